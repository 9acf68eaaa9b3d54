"""The administrator's pages of core: access, holiday calendar and filing deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models.functions import Lower
from django.test import RequestFactory
from django.urls import reverse

from zhangfang.core import calendar
from zhangfang.core.admin_forms import parse_calendar_lines
from zhangfang.core.listing import ListState
from zhangfang.core.models import AuditEvent, CalendarDay, FilingDeadline
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["core:calendar_days", "core:filing_deadlines", "core:policy_settings", "core:audit_log"]
CALENDAR = reverse("core:calendar_days")
DEADLINES = reverse("core:filing_deadlines")

#: A far year the shipped calendar cannot know, so the tests do not depend on its release.
FAR = 2099


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(db):
    return UserFactory(username="boss", name="管理员", department=None, roles=["admin"])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


# -- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("roles", "status"),
    [(["admin"], 200), (["accountant"], 403), (["sales"], 403), (["dept_head"], 403), ([], 403)],
)
def test_role_matrix(client, page, roles, status):
    client.force_login(UserFactory(roles=roles))
    assert client.get(reverse(page)).status_code == status


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_login(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))


def test_non_admins_cannot_write(client, admin):
    day = CalendarDay.objects.create(date=dt.date(FAR, 1, 1), kind="holiday", note="元旦")
    client.force_login(UserFactory(roles=["dept_head"]))
    posts = [
        (CALENDAR, {"day-date": f"{FAR}-01-02", "day-kind": "holiday"}),
        (reverse("core:calendar_day_delete", args=[day.pk]), {}),
        (DEADLINES, {"year": FAR, "month_1": "20"}),
        (reverse("core:policy_settings"), {"login_lockout_minutes": "8"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert CalendarDay.objects.count() == 1
    assert not FilingDeadline.objects.exists()


def test_no_inline_scripts_or_styles(admin_client):
    for page in PAGES:
        html = admin_client.get(reverse(page)).content.decode()
        assert " style=" not in html
        assert "<style" not in html
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), page


# -- holiday calendar ------------------------------------------------------------------------------


def _cell(response, day: dt.date) -> dict:
    month = response.context["months"][day.month - 1]
    return next(c for week in month["weeks"] for c in week if c and c["date"] == day)


# The clock moves before logging in: a session from another year has long expired.


def test_calendar_defaults_to_this_year_in_shanghai(client, admin):
    # 2025-12-31 17:00 UTC is already 2026-01-01 in Shanghai.
    with time_machine.travel(dt.datetime(2025, 12, 31, 17, 0, tzinfo=dt.UTC)):
        client.force_login(admin)
        assert client.get(CALENDAR).context["year"] == 2026
        assert client.get(CALENDAR, {"year": "abc"}).context["year"] == 2026
        assert client.get(CALENDAR, {"year": "1066"}).context["year"] == 2026


def test_calendar_warns_about_years_without_a_schedule(client, admin):
    admin_client = client
    with time_machine.travel(dt.datetime(FAR - 1, 3, 1, 12, tzinfo=dt.UTC)):
        client.force_login(admin)
        html = admin_client.get(CALENDAR).content.decode()
        expected = (
            f"{FAR} 年的节假日安排尚未录入，系统暂按周末计算工作日，请录入国务院办公厅公布的安排。"
        )
        assert expected in html
        assert f"{FAR - 1} 年的节假日安排尚未录入" in html
        assert expected in admin_client.get(DEADLINES).content.decode()
        # An entered day counts as the year's schedule: that year's warning goes.
        admin_client.post(
            CALENDAR, {"action": "day", "day-date": f"{FAR - 1}-10-01", "day-kind": "holiday"}
        )
        html = admin_client.get(CALENDAR).content.decode()
        assert f"{FAR - 1} 年的节假日安排尚未录入" not in html
        assert expected in html


def test_no_warning_when_both_years_are_known(client, admin):
    with time_machine.travel(dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)):
        client.force_login(admin)
        response = client.get(CALENDAR, {"year": 2025})
    assert response.context["warnings"] == []
    assert "尚未录入" not in response.content.decode()


def test_month_grid_marks_holidays_make_up_days_and_weekends(admin_client):
    response = admin_client.get(CALENDAR, {"year": 2025})
    assert _cell(response, dt.date(2025, 10, 1))["kind"] == "holiday"  # 国庆
    assert _cell(response, dt.date(2025, 9, 28))["kind"] == "makeup"  # a Sunday, worked
    assert _cell(response, dt.date(2025, 9, 20))["kind"] == "rest"  # a plain Saturday
    assert _cell(response, dt.date(2025, 9, 22))["kind"] == "work"
    assert len(response.context["months"]) == 12


def test_entering_a_holiday_changes_the_calendar_and_the_deadline(admin_client, admin):
    day = dt.date(FAR, 6, 15)  # a Monday
    assert admin_client.get(CALENDAR, {"year": FAR}).context["entries"] == []
    assert _row(admin_client.get(DEADLINES, {"year": FAR}), 6)["deadline"] == day

    response = admin_client.post(
        CALENDAR,
        {
            "action": "day",
            "year": FAR,
            "day-date": day.isoformat(),
            "day-kind": "holiday",
            "day-note": "端午节",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{CALENDAR}?year={FAR}"
    page = admin_client.get(CALENDAR, {"year": FAR})
    assert [e.note for e in page.context["entries"]] == ["端午节"]
    assert _cell(page, day)["kind"] == "holiday"
    assert not calendar.is_working_day(day)
    # Sat 13 + Sun 14 + the holiday make a 3-day run: the deadline moves 3 working days on.
    assert _row(admin_client.get(DEADLINES, {"year": FAR}), 6)["deadline"] == dt.date(FAR, 6, 18)

    event = AuditEvent.objects.get(object_type="core.calendarday", action="create")
    assert event.actor == admin
    assert event.changes["date"] == [None, day.isoformat()]


def test_make_up_workday_and_edit_and_delete(admin_client):
    saturday = dt.date(FAR, 6, 13)
    admin_client.post(
        CALENDAR, {"action": "day", "day-date": saturday.isoformat(), "day-kind": "workday"}
    )
    assert calendar.is_working_day(saturday)
    entry = CalendarDay.objects.get(date=saturday)

    form = admin_client.get(CALENDAR, {"year": FAR, "edit": entry.pk}).context["day_form"]
    assert form.initial["pk"] == entry.pk
    admin_client.post(
        CALENDAR,
        {
            "action": "day",
            "day-pk": entry.pk,
            "day-date": saturday.isoformat(),
            "day-kind": "holiday",
            "day-note": "改为休息",
        },
    )
    entry.refresh_from_db()
    assert (entry.kind, entry.note) == ("holiday", "改为休息")
    assert not calendar.is_working_day(saturday)
    update = AuditEvent.objects.get(object_type="core.calendarday", action="update")
    assert update.changes["kind"] == ["调休上班", "法定节假日（休息）"]

    response = admin_client.post(reverse("core:calendar_day_delete", args=[entry.pk]))
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    assert not calendar.is_working_day(saturday)  # back to an ordinary Saturday
    assert calendar.is_working_day(dt.date(FAR, 6, 15))
    deleted = AuditEvent.objects.get(object_type="core.calendarday", action="delete")
    assert deleted.changes["date"] == [saturday.isoformat(), None]
    assert admin_client.get(reverse("core:calendar_day_delete", args=[1])).status_code == 405


def test_calendar_day_form_errors_name_the_field(admin_client):
    response = admin_client.post(
        CALENDAR, {"action": "day", "day-date": "2099-02-30", "day-kind": "nap"}
    )
    errors = response.context["day_form"].errors
    assert set(errors) == {"date", "kind"}
    assert "请更正下列错误" in response.content.decode()
    assert not CalendarDay.objects.exists()


def test_bulk_entry(admin_client, admin):
    text = (
        f"# {FAR} 春节\n"
        f"{FAR}-01-01 holiday 元旦\n"
        f"{FAR}-02-06~{FAR}-02-08 休 春节\n"
        f"{FAR}-02-14 workday 春节调休\n"
    )
    response = admin_client.post(CALENDAR, {"action": "bulk", "bulk-text": text})
    assert response.status_code == 302
    entries = {e.date: (e.kind, e.note) for e in CalendarDay.objects.all()}
    assert entries == {
        dt.date(FAR, 1, 1): ("holiday", "元旦"),
        dt.date(FAR, 2, 6): ("holiday", "春节"),
        dt.date(FAR, 2, 7): ("holiday", "春节"),
        dt.date(FAR, 2, 8): ("holiday", "春节"),
        dt.date(FAR, 2, 14): ("workday", "春节调休"),
    }
    [event] = AuditEvent.objects.filter(object_type="core.calendarday")
    assert event.actor == admin and len(event.changes) == 5
    assert calendar.is_working_day(dt.date(FAR, 2, 14))


def test_bulk_entry_is_all_or_nothing_and_names_the_line(admin_client):
    text = f"{FAR}-01-01 holiday 元旦\n{FAR}-13-01 holiday 错\n{FAR}-01-02 sleep\n"
    response = admin_client.post(CALENDAR, {"action": "bulk", "bulk-text": text})
    errors = " ".join(response.context["bulk_form"].errors["text"])
    assert "第 2 行" in errors and "第 3 行" in errors
    assert not CalendarDay.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2099-01-05~2099-01-01 holiday x", "结束日期早于开始日期"),
        ("2099-01-01~2099-03-01 holiday x", "超过 31 天"),
        ("2099-01-01 holiday a\n2099-01-01 workday b", "与第 1 行重复"),
        ("元旦 2099-01-01", "格式应为"),
        ("", "必填"),
    ],
)
def test_bulk_entry_errors(text, message):
    from django.core.exceptions import ValidationError

    from zhangfang.core.admin_forms import CalendarBulkForm

    if text:
        with pytest.raises(ValidationError) as caught:
            parse_calendar_lines(text)
        assert message in " ".join(caught.value.messages)
    else:
        form = CalendarBulkForm({"text": text})
        assert message in " ".join(form.errors["text"])


# -- filing deadlines ------------------------------------------------------------------------------


def _row(response, month: int) -> dict:
    return response.context["rows"][month - 1]


def test_deadlines_show_the_source_of_each_month(admin_client):
    response = admin_client.get(DEADLINES, {"year": 2025})
    rows = response.context["rows"]
    assert len(rows) == 12
    assert [r["deadline"].day for r in rows] == [15, 20, 17, 18, 22, 16, 15, 15, 15, 27, 17, 15]
    assert {r["source_label"] for r in rows} == {"内置官方表"}
    far = admin_client.get(DEADLINES, {"year": FAR}).context["rows"]
    assert {r["source_label"] for r in far} == {"按规则推算"}


def test_entered_deadlines_take_precedence(admin_client, admin):
    data = {"year": 2025, "month_2": "2025-02-21", "month_10": "28"}
    response = admin_client.post(DEADLINES, data)
    assert response.status_code == 302
    assert response["Location"] == f"{DEADLINES}?year=2025"
    page = admin_client.get(DEADLINES, {"year": 2025})
    assert _row(page, 2)["deadline"] == dt.date(2025, 2, 21)
    assert _row(page, 2)["source_label"] == "录入"
    assert _row(page, 10)["deadline"] == dt.date(2025, 10, 28)
    assert _row(page, 3)["source_label"] == "内置官方表"
    assert calendar.filing_deadline(2025, 2) == dt.date(2025, 2, 21)
    assert page.context["form"]["month_2"].value() == "2025-02-21"
    event = AuditEvent.objects.get(object_type="core.filingdeadline")
    assert event.actor == admin
    assert event.changes == {"2025-02": [None, "2025-02-21"], "2025-10": [None, "2025-10-28"]}

    # Clearing a month removes the entry: the shipped table applies again.
    admin_client.post(DEADLINES, {"year": 2025, "month_2": "", "month_10": "28"})
    assert list(FilingDeadline.objects.values_list("month", flat=True)) == [10]
    assert calendar.filing_deadline(2025, 2) == dt.date(2025, 2, 20)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-04-15", "3 月：截止日必须在 2025 年 3 月内"),
        ("32", "3 月：“32”不是有效的日期"),
        ("2025-03-10", "3 月：申报截止日不会早于当月 15 日"),
        ("soon", "3 月：“soon”不是有效的日期"),
    ],
)
def test_deadline_validation_names_the_month_and_saves_nothing(admin_client, value, message):
    response = admin_client.post(DEADLINES, {"year": 2025, "month_1": "20", "month_3": value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["month_3"])
    assert message in response.content.decode()
    assert not FilingDeadline.objects.exists()


# -- the shared list helper (core.listing) ---------------------------------------------------------

SORTS = {"name": ("name", "id"), "lower": (Lower("name"), "id")}


def _state(query: str) -> ListState:
    return ListState.from_request(
        RequestFactory().get(f"/x/?{query}"), sorts=SORTS, default_sort="name"
    )


def test_list_state_reads_and_whitelists():
    state = _state("q=+%E5%BC%A0+&sort=-name&page=3&department=7&role=x")
    assert (state.q, state.sort, state.page_number) == ("张", "-name", "3")
    assert state.ordering() == ["-name", "-id"]
    assert (state.get("role"), state.get("missing", "d")) == ("x", "d")
    assert (state.get_int("department"), state.get_int("role")) == (7, None)
    assert _state("sort=password").sort == "name"
    assert _state("sort=-password").ordering() == ["name", "id"]
    lower = _state("sort=-lower").ordering()
    assert lower[0].descending and lower[1] == "-id"


def test_list_state_links_keep_the_other_parameters():
    state = _state("q=a&sort=name&page=2&role=x")
    column = state.column("name", "名称")
    assert column["direction"] == "asc"
    assert column["query"] == "q=a&sort=-name&role=x"  # toggles and goes back to page 1
    assert state.column("", "角色") == {"label": "角色", "sortable": False}
    assert state.querystring(role=None, page=5) == "q=a&sort=name&page=5"
    page = state.paginate(list(range(60)), per_page=25)
    links = state.page_links(page)
    assert [link["label"] for link in links] == ["«", "1", "2", "3", "»"]
    assert links[-1]["query"] == "q=a&sort=name&page=3&role=x"
    assert state.paginate(list(range(60)), per_page=25).number == 2
    assert _state("page=zz").paginate(list(range(60)), per_page=25).number == 1
