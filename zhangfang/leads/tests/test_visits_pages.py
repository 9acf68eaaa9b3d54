"""Visit pages: role matrix, form messages, materials, list and calendar with pinned queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import Stage, Visit, VisitStatus
from zhangfang.leads.tests.factories import ProspectFactory, VisitFactory, tomorrow_at

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
LIST = reverse("leads:visit_list")
CALENDAR = reverse("leads:visit_calendar")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.fixture
def prospect(sales_firm):
    return ProspectFactory(owner=sales_firm.staff.sales1, company_name="深圳市拜访页面有限公司")


def plan_data(user, **changes) -> dict:
    data = {
        "purpose": "了解记账需求",
        "starts_at": timezone.localtime(tomorrow_at(9, 30)).strftime("%Y-%m-%dT%H:%M"),
        "place": "南山区科技园",
        "staff": [user.pk],
        "materials": ["公司介绍", "成功案例"],
        "extra_materials": "行业报价对比表\n",
    }
    data.update(changes)
    return data


# -- role matrix -------------------------------------------------------------------------------

MATRIX = [
    ("sales1", 200),  # owner
    ("sales2", 404),  # another salesperson of the department
    ("head1", 200),  # head of the prospect's department
    ("head2", 404),  # head of another department
    ("acct1", 404),  # accountant
    ("admin", 200),
]


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_plan_page_role_matrix(client, sales_firm, prospect, who, status):
    client.force_login(getattr(sales_firm.staff, who))
    assert client.get(reverse("leads:visit_create", args=[prospect.pk])).status_code == status


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_visit_pages_role_matrix(client, sales_firm, prospect, who, status):
    visit = VisitFactory(prospect=prospect)
    client.force_login(getattr(sales_firm.staff, who))
    for name in ("leads:visit_detail", "leads:visit_edit", "leads:visit_record"):
        assert client.get(reverse(name, args=[visit.pk])).status_code == status, name
    toggle = reverse("leads:visit_material_toggle", args=[visit.pk, 0])
    assert client.post(toggle).status_code == (302 if status == 200 else 404)
    cancel = client.post(reverse("leads:visit_cancel", args=[visit.pk]), {"reason": "x"})
    assert cancel.status_code == (302 if status == 200 else 404)


def test_anonymous_is_sent_to_login(client, prospect):
    visit = VisitFactory(prospect=prospect)
    for url in (LIST, CALENDAR, reverse("leads:visit_detail", args=[visit.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_colleague_going_on_the_visit_may_open_it(client, sales_firm, prospect):
    visit = VisitFactory(
        prospect=prospect, staff=[sales_firm.staff.sales1, sales_firm.staff.sales2]
    )
    client.force_login(sales_firm.staff.sales2)
    response = client.get(reverse("leads:visit_detail", args=[visit.pk]))
    assert response.status_code == 200 and prospect.company_name in response.text
    # ...but not the prospect itself, so no link to it.
    assert response.context["can_open_prospect"] is False


# -- planning, validation, toggle, record, cancel ---------------------------------------------


def test_plan_a_visit_through_the_page(client, sales_firm, prospect):
    client.force_login(sales_firm.staff.sales1)
    page = client.get(reverse("leads:visit_create", args=[prospect.pk]))
    # The planner goes by default and the usual materials are ticked.
    assert page.context["form"].initial["staff"] == [sales_firm.staff.sales1.pk]
    assert "合同样本" in page.text
    response = client.post(
        reverse("leads:visit_create", args=[prospect.pk]), plan_data(sales_firm.staff.sales1)
    )
    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/visits/{visit.pk}/")
    assert [m["item"] for m in visit.materials] == ["公司介绍", "成功案例", "行业报价对比表"]
    assert timezone.localtime(visit.starts_at).strftime("%H:%M") == "09:30"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"starts_at": "2020-01-01T10:00"}, "starts_at", "拜访时间不能早于当前时间。"),
        ({"staff": []}, "staff", "请至少选择一名拜访人员。"),
        ({"purpose": ""}, "purpose", "这个字段是必填项。"),
        ({"starts_at": "明天"}, "starts_at", "请输入有效的日期和时间"),
    ],
)
def test_plan_form_messages_name_the_field(client, sales_firm, prospect, changes, field, message):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(
        reverse("leads:visit_create", args=[prospect.pk]),
        plan_data(sales_firm.staff.sales1, **changes),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    label = str(form.fields[field].label)
    assert re.search(rf"{label}</a>：[^<]*{message[:6]}", response.text)
    assert not Visit.objects.exists()
    # Nothing typed is lost.
    assert "南山区科技园" in response.text or changes.get("place") == ""


def test_edit_a_plan_with_a_stale_version_is_refused(client, sales_firm, prospect):
    visit = VisitFactory(prospect=prospect)
    client.force_login(sales_firm.staff.sales1)
    data = plan_data(sales_firm.staff.sales1, version=visit.version, place="福田区")
    assert client.post(reverse("leads:visit_edit", args=[visit.pk]), data).status_code == 302
    data["place"] = "罗湖区"
    response = client.post(reverse("leads:visit_edit", args=[visit.pk]), data)
    assert response.status_code == 200 and "其他人已修改" in response.text
    assert Visit.objects.get(pk=visit.pk).place == "福田区"


def test_materials_toggle_with_htmx_returns_the_checklist(client, sales_firm, prospect):
    visit = VisitFactory(prospect=prospect)
    client.force_login(sales_firm.staff.sales1)
    url = reverse("leads:visit_material_toggle", args=[visit.pk, 1])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="visit-materials"' in response.text
    assert Visit.objects.get(pk=visit.pk).materials[1] == {"item": "服务方案", "done": True}
    assert AuditEvent.objects.filter(
        anchor_type="leads.prospect", anchor_id=str(prospect.pk), object_type="leads.visit"
    ).exists()


def test_record_outcome_through_the_page_moves_the_prospect(client, sales_firm, prospect):
    visit = VisitFactory(prospect=prospect)
    client.force_login(sales_firm.staff.sales1)
    url = reverse("leads:visit_record", args=[visit.pk])
    response = client.post(url, {"outcome": "", "next_step": "报价"})
    assert response.status_code == 200 and "请填写拜访结果。" in response.text
    response = client.post(
        url, {"outcome": "老板认可方案", "next_step": "发送报价", "next_step_on": "2030-01-02"}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    prospect.refresh_from_db()
    assert visit.status == VisitStatus.DONE and visit.next_step_on == dt.date(2030, 1, 2)
    assert prospect.stage == Stage.VISIT


def test_cancel_needs_a_reason(client, sales_firm, prospect):
    visit = VisitFactory(prospect=prospect)
    client.force_login(sales_firm.staff.sales1)
    client.post(reverse("leads:visit_cancel", args=[visit.pk]), {"reason": ""})
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.PLANNED
    client.post(reverse("leads:visit_cancel", args=[visit.pk]), {"reason": "客户改期"})
    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.CANCELLED


def test_visits_tab_lists_plans_and_records(client, sales_firm, prospect):
    from zhangfang.leads import prospect_tabs

    VisitFactory(prospect=prospect, purpose="首次拜访", status=VisitStatus.DONE, outcome="有意向")
    VisitFactory(prospect=prospect, purpose="二次拜访")
    assert str(prospect_tabs.TABS["visits"].label) == "拜访"
    client.force_login(sales_firm.staff.sales1)
    request = client.get(LIST).wsgi_request
    template, context = prospect_tabs.TABS["visits"].render(request, prospect)
    from django.template.loader import render_to_string

    html = render_to_string(template, context, request=request)
    assert "首次拜访" in html and "有意向" in html and "二次拜访" in html
    assert reverse("leads:visit_create", args=[prospect.pk]) in html


# -- list ----------------------------------------------------------------------------------------


def test_list_filters_and_scope(client, sales_firm, prospect):
    staff = sales_firm.staff
    mine = VisitFactory(prospect=prospect, starts_at=at("2026-12-01"), purpose="甲的拜访")
    VisitFactory(
        prospect=prospect, starts_at=at("2026-12-10"), purpose="已取消的", status="cancelled"
    )
    other = ProspectFactory(owner=staff.sales3)
    VisitFactory(prospect=other, starts_at=at("2026-12-01"), purpose="二部的拜访")

    def purposes(user, **params):
        client.force_login(user)
        return sorted(v.purpose for v in client.get(LIST, params).context["page"].object_list)

    assert purposes(staff.sales1) == ["已取消的", "甲的拜访"]
    assert purposes(staff.sales2) == []
    assert purposes(staff.head2) == ["二部的拜访"]
    assert purposes(staff.acct1) == []
    assert purposes(staff.admin, status="cancelled") == ["已取消的"]
    assert purposes(staff.admin, date_from="2026-12-01", date_to="2026-12-01") == [
        "二部的拜访",
        "甲的拜访",
    ]
    assert purposes(staff.admin, staff=staff.sales3.pk) == ["二部的拜访"]
    assert mine.pk


def test_list_fragment_for_htmx(client, sales_firm, prospect):
    VisitFactory(prospect=prospect)
    client.force_login(sales_firm.staff.sales1)
    response = client.get(LIST, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text
    assert prospect.company_name in response.text


def _count_queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def _many_visits(prospect, user, n: int, start: str):
    first = at(start, 9)
    for i in range(n):
        VisitFactory(prospect=prospect, starts_at=first + dt.timedelta(hours=i % 8, days=i % 5))
    assert Visit.objects.filter(staff=user).count() >= n


def test_list_query_count_is_pinned_and_constant(
    client, sales_firm, prospect, django_assert_num_queries
):
    client.force_login(sales_firm.staff.sales1)
    _many_visits(prospect, sales_firm.staff.sales1, 5, "2026-12-01")
    client.get(LIST)  # warm the per-process caches (session, roles)
    with django_assert_num_queries(LIST_QUERIES):
        client.get(LIST)
    _many_visits(prospect, sales_firm.staff.sales1, 25, "2026-12-01")
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 25


# session, user, roles, count, page ids, rows with prospects, staff prefetch (a salesperson's
# staff filter offers only themselves, without a query)
LIST_QUERIES = 7


# -- calendar ------------------------------------------------------------------------------------


def visit_days(response) -> dict[str, list[str]]:
    days: dict[str, list[str]] = {}
    for week in response.context["weeks"]:
        for day in week:
            if day["visits"]:
                days[day["date"].isoformat()] = [v.purpose for v in day["visits"]]
    return days


@pytest.fixture
def diary(sales_firm, prospect):
    staff = sales_firm.staff
    VisitFactory(prospect=prospect, starts_at=at("2026-11-30", 9), purpose="周一上午")
    VisitFactory(prospect=prospect, starts_at=at("2026-12-06", 23), purpose="周日深夜")
    VisitFactory(prospect=prospect, starts_at=at("2026-12-08", 14), purpose="下周二")
    VisitFactory(prospect=prospect, starts_at=at("2026-11-29", 14), purpose="上周日")
    VisitFactory(
        prospect=prospect, starts_at=at("2026-12-02", 14), purpose="同事的", staff=[staff.sales2]
    )
    other = ProspectFactory(owner=staff.sales3)
    VisitFactory(prospect=other, starts_at=at("2026-12-01", 9), purpose="二部的")


@time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI), tick=False)
def test_calendar_week_shows_my_visits_of_that_week(client, sales_firm, diary):
    client.force_login(sales_firm.staff.sales1)
    response = client.get(CALENDAR, {"view": "week", "date": "2026-12-02"})
    assert visit_days(response) == {"2026-11-30": ["周一上午"], "2026-12-06": ["周日深夜"]}
    assert response.context["staff_id"] == sales_firm.staff.sales1.pk
    assert "view=week&date=2026-11-23" in response.context["previous_query"]
    assert "view=week&date=2026-12-07" in response.context["next_query"]


@time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI), tick=False)
def test_calendar_month_shows_the_whole_grid_today_and_rest_days(client, sales_firm, diary):
    client.force_login(sales_firm.staff.sales1)
    response = client.get(CALENDAR, {"view": "month", "date": "2026-11-15"})
    days = visit_days(response)
    # November's grid runs from Monday 10-26 to Sunday 12-06.
    assert days == {
        "2026-11-29": ["上周日"],
        "2026-11-30": ["周一上午"],
        "2026-12-06": ["周日深夜"],
    }
    weeks = response.context["weeks"]
    assert weeks[0][0]["date"] == dt.date(2026, 10, 26) and weeks[-1][-1]["date"] == dt.date(
        2026, 12, 6
    )
    today = [d for w in weeks for d in w if d["is_today"]]
    assert [d["date"] for d in today] == [dt.date(2026, 11, 27)]
    assert re.search(r'table-secondary[^"]*"\s+data-date="2026-11-28"', response.text)
    assert not re.search(r'table-secondary[^"]*"\s+data-date="2026-11-27"', response.text)
    assert 'aria-current="date"' in response.text


def test_calendar_shades_statutory_holidays(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    response = client.get(CALENDAR, {"view": "month", "date": "2026-10-01"})
    first = next(
        d for w in response.context["weeks"] for d in w if d["date"] == dt.date(2026, 10, 1)
    )
    assert first["is_working"] is False  # 国庆节 on a Thursday


def test_calendar_staff_choice_respects_scope(client, sales_firm, diary):
    staff = sales_firm.staff
    params = {"view": "month", "date": "2026-12-01", "staff": staff.sales2.pk}
    client.force_login(staff.head1)
    assert visit_days(client.get(CALENDAR, params)) == {"2026-12-02": ["同事的"]}
    # A salesperson cannot open a colleague's calendar: they get their own.
    client.force_login(staff.sales1)
    response = client.get(CALENDAR, params)
    assert response.context["staff_id"] == staff.sales1.pk
    assert "同事的" not in str(visit_days(response))
    # A head of another department cannot pick sales2, and sees nothing of 一部.
    client.force_login(staff.head2)
    response = client.get(CALENDAR, {**params, "staff": staff.sales1.pk})
    assert response.context["staff_id"] == staff.head2.pk and visit_days(response) == {}
    client.force_login(staff.admin)
    assert visit_days(client.get(CALENDAR, {**params, "staff": staff.sales3.pk})) == {
        "2026-12-01": ["二部的"]
    }


def test_calendar_htmx_navigation_returns_the_grid_only(client, sales_firm, diary):
    client.force_login(sales_firm.staff.sales1)
    response = client.get(
        CALENDAR, {"view": "week", "date": "2026-12-01"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert "周一上午" in response.text and 'hx-push-url="true"' in response.text


def test_calendar_query_count_is_pinned_and_constant(
    client, sales_firm, prospect, django_assert_num_queries
):
    client.force_login(sales_firm.staff.sales1)
    params = {"view": "month", "date": "2026-12-01"}
    _many_visits(prospect, sales_firm.staff.sales1, 5, "2026-12-01")
    client.get(CALENDAR, params)  # the calendar year's holiday table is read once per process
    with django_assert_num_queries(CALENDAR_QUERIES):
        client.get(CALENDAR, params)
    _many_visits(prospect, sales_firm.staff.sales1, 25, "2026-12-01")
    with django_assert_num_queries(CALENDAR_QUERIES):
        response = client.get(CALENDAR, params)
    assert response.context["visit_count"] == 30


# session, user, roles, visits with prospects, staff prefetch
CALENDAR_QUERIES = 5


def test_finance_sees_visits_but_does_not_plan_or_change_them(client, sales_firm, prospect):
    visit = VisitFactory(prospect=prospect)
    client.force_login(sales_firm.staff.finance)
    page = client.get(reverse("leads:visit_detail", args=[visit.pk]))
    assert (
        page.status_code == 200 and reverse("leads:visit_record", args=[visit.pk]) not in page.text
    )
    assert client.get(reverse("leads:visit_create", args=[prospect.pk])).status_code == 403
    for name in ("leads:visit_edit", "leads:visit_record"):
        assert client.get(reverse(name, args=[visit.pk])).status_code == 403
    toggle = reverse("leads:visit_material_toggle", args=[visit.pk, 0])
    assert client.post(toggle).status_code == 403
    assert client.get(LIST).context["page"].paginator.count == 1


def test_a_colleague_going_on_the_visit_may_tick_materials(client, sales_firm, prospect):
    visit = VisitFactory(prospect=prospect, staff=[sales_firm.staff.sales1, sales_firm.staff.acct1])
    client.force_login(sales_firm.staff.acct1)
    toggle = reverse("leads:visit_material_toggle", args=[visit.pk, 1])
    assert client.post(toggle).status_code == 302
    assert Visit.objects.get(pk=visit.pk).materials[1]["done"] is True


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_visits_tab_on_the_prospect_page(client, sales_firm, prospect, who, status):
    VisitFactory(prospect=prospect, purpose="首次上门拜访")
    client.force_login(getattr(sales_firm.staff, who))
    fragment = client.get(reverse("leads:prospect_tab", args=[prospect.pk, "visits"]))
    # The prospect page (its owner's code) may close itself to a role outright (403) or answer
    # 404 as for a record out of scope; either way nothing of the prospect is shown.
    assert fragment.status_code in ((status,) if status == 200 else (403, 404))
    if status == 200:
        assert "首次上门拜访" in fragment.text and "<html" not in fragment.text
        page = client.get(reverse("leads:prospect_detail", args=[prospect.pk]), {"tab": "visits"})
        assert "首次上门拜访" in page.text and "洽谈" in page.text
