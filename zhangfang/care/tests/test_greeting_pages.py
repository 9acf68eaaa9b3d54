"""Greeting pages: the role matrix, the plan of the next 30 days (contents, what will happen,
filters, paging, pinned queries), the sent log, templates (placeholders checked, preview,
version lock), days (firm-defined days validated, built-ins only switched off), the client's
greeting history and the home panel."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from zhangfang.care.models import GreetingDay, GreetingSend, GreetingStatus, GreetingTemplate
from zhangfang.care.selectors.greetings import client_greetings
from zhangfang.care.services import greetings as services
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.tests.support import at, make_firm

pytestmark = pytest.mark.django_db

PREVIEW = reverse("care:greeting_preview")
LOG = reverse("care:greeting_log")
TEMPLATES = reverse("care:greeting_template_list")
DAYS = reverse("care:greeting_day_list")
NEW_DAY = reverse("care:greeting_day_create")

#: 2026-09-20: the next 30 days (to 2026-10-19) hold 中秋节 (09-25) and 国庆节 (10-01).
TODAY = dt.date(2026, 9, 20)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 9, 20, 10), tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    firm = make_firm()
    firm.contact.email = "wang@acme.example"
    firm.contact.save()
    return firm


def as_user(client, firm, who: str):
    client.force_login(getattr(firm.staff, who))
    return client


def record(contact, key: str, date: dt.date, status=GreetingStatus.SENT, **kwargs) -> GreetingSend:
    return GreetingSend.objects.create(
        contact=contact,
        client=contact.client,
        kind="birthday" if key.startswith("birthday") else "holiday",
        occasion_key=key,
        occasion_date=date,
        channel=kwargs.pop("channel", "email"),
        subject="祝福",
        body="…",
        status=status,
        **kwargs,
    )


def rows(html: str) -> list[str]:
    """The table rows of a page, as text with single spaces."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    found = []
    for row in re.findall(r"<tr.*?</tr>", body, flags=re.S):
        text = re.sub(r"<[^>]+>", " ", row)
        found.append(" ".join(text.split()))
    return found


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "read", "edit", "sees_acme"),
    [
        ("service", 200, 403, True),
        ("head", 200, 200, True),
        ("head2", 200, 200, False),
        ("outsider", 200, 403, False),
        ("admin", 200, 200, True),
        ("accountant", 403, 403, None),
        ("tax", 403, 403, None),
        ("sales", 403, 403, None),
    ],
)
def test_role_matrix(client, firm, who, read, edit, sees_acme):
    record(firm.contact, "birthday:2026", TODAY)
    template = GreetingTemplate.objects.get(kind="birthday")
    firm_day = services.greeting_day_create(
        data={"name": "公司周年庆", "rule": "solar", "month": 10, "day": 8}, by=firm.staff.admin
    )
    as_user(client, firm, who)
    for url in (PREVIEW, LOG):
        page = client.get(url)
        assert page.status_code == read
        if read == 200:
            assert (firm.acme.name in page.content.decode()) is sees_acme
    for url in (
        TEMPLATES,
        reverse("care:greeting_template_edit", args=[template.pk]),
        DAYS,
        NEW_DAY,
        reverse("care:greeting_day_edit", args=[firm_day.pk]),
    ):
        assert client.get(url).status_code == edit
    toggle = client.post(reverse("care:greeting_day_toggle", args=[firm_day.pk]), {"active": "0"})
    assert toggle.status_code == (302 if edit == 200 else 403)
    if edit == 200:
        missing = 10**6
        assert client.get(reverse("care:greeting_template_edit", args=[missing])).status_code == 404
        assert client.get(reverse("care:greeting_day_edit", args=[missing])).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, firm):
    for url in (PREVIEW, LOG, TEMPLATES, DAYS, NEW_DAY):
        assert client.get(url).status_code == 302


# --- The plan of the next 30 days ----------------------------------------------------------------


def test_the_plan_shows_the_next_30_days_and_what_will_happen(client, firm):
    acme = firm.acme
    ContactFactory(
        client=acme,
        name="李芳",
        birthday=dt.date(1990, 9, 22),
        is_primary=False,
        email="li@acme.example",
    )
    ContactFactory(
        client=acme,
        name="退订者",
        birthday=dt.date(1985, 9, 23),
        is_primary=False,
        email="t@acme.example",
        greetings_opt_out=True,
    )
    ContactFactory(client=acme, name="无邮箱", birthday=dt.date(1985, 9, 24), is_primary=False)
    ContactFactory(
        client=acme,
        name="今天",
        birthday=dt.date(1985, 9, 20),
        is_primary=False,
        email="today@acme.example",
    )
    ContactFactory(
        client=acme,
        name="太晚",
        birthday=dt.date(1985, 10, 20),
        is_primary=False,
        email="late@acme.example",
    )
    ContactFactory(
        client=acme,
        name="昨天",
        birthday=dt.date(1985, 9, 19),
        is_primary=False,
        email="y@acme.example",
    )
    today = ContactFactory._meta.model.objects.get(name="今天")
    record(today, "birthday:2026", TODAY)
    as_user(client, firm, "service")

    page = client.get(PREVIEW).content.decode()

    assert "2026-09-20 至 2026-10-19" in page
    assert rows(page) == [
        f"2026-09-20 生日 今天 {acme.name} 电子邮件 已发送过 已发送 · 2026-09-20 10:00",
        f"2026-09-22 生日 李芳 {acme.name} 电子邮件 将发送",
        f"2026-09-23 生日 退订者 {acme.name} 电子邮件 已退订，不发送",
        f"2026-09-24 生日 无邮箱 {acme.name} 电子邮件 无联系地址，不发送",
        f"2026-09-25 中秋节 王经理 {acme.name} 电子邮件 将发送",
        f"2026-10-01 国庆节 王经理 {acme.name} 电子邮件 将发送",
    ]


def test_the_plan_shows_channels_and_missing_templates(client, firm):
    GreetingTemplate.objects.filter(day__code="mid_autumn").update(channels=["email", "sms"])
    GreetingTemplate.objects.filter(day__code="national_day").update(active=False)
    as_user(client, firm, "head")
    assert rows(client.get(PREVIEW).content.decode()) == [
        f"2026-09-25 中秋节 王经理 {firm.acme.name} 电子邮件 将发送",
        f"2026-09-25 中秋节 王经理 {firm.acme.name} 短信 通道未配置，不发送",
        f"2026-10-01 国庆节 王经理 {firm.acme.name} — 未启用模板，不发送",
    ]


def test_the_plan_filters_by_kind_and_search(client, firm):
    other = ClientFactory(
        name="广州市恒泰贸易有限公司", department=firm.d1, customer_service=firm.staff.service
    )
    ContactFactory(client=other, name="陈总", birthday=dt.date(1980, 9, 30))
    as_user(client, firm, "service")
    birthdays = rows(client.get(PREVIEW, {"kind": "birthday"}).content.decode())
    assert [r.split()[2] for r in birthdays] == ["陈总"]
    found = rows(client.get(PREVIEW, {"q": "恒泰"}).content.decode())
    assert {r.split()[2] for r in found} == {"陈总"} and len(found) == 3
    found = rows(client.get(PREVIEW, {"q": "htmy"}, HTTP_HX_REQUEST="true").content.decode())
    assert {r.split()[2] for r in found} == {"陈总"}
    page = client.get(PREVIEW, {"q": "没有这个人"}).content.decode()
    assert "没有符合条件的祝福" in page


def test_the_plan_pages_and_pins_its_queries(client, firm, django_assert_num_queries):
    for n in range(30):
        c = ClientFactory(department=firm.d1, customer_service=firm.staff.service)
        ContactFactory(client=c, email=f"c{n}@example.com", birthday=dt.date(1980, 10, 1 + n % 9))
        record(c.contacts.get(), "mid_autumn:2026", dt.date(2026, 9, 25))
    as_user(client, firm, "service")
    first = client.get(PREVIEW).content.decode()
    assert "共 92 条" in first and len(rows(first)) == 25
    assert "已发送过" in first
    # session, user, groups; the days, the holidays' contacts, the birthdays, the templates;
    # the page's recorded greetings.
    with django_assert_num_queries(8):
        client.get(PREVIEW)
    with django_assert_num_queries(8):
        page = client.get(PREVIEW, {"page": "4"}, HTTP_HX_REQUEST="true").content.decode()
    assert len(rows(page)) == 17


# --- The log ------------------------------------------------------------------------------------


def test_the_log_lists_and_filters_what_was_sent(client, firm):
    record(firm.contact, "mid_autumn:2025", dt.date(2025, 10, 6))
    record(
        firm.contact,
        "birthday:2026",
        dt.date(2026, 3, 1),
        status=GreetingStatus.FAILED,
        error="Connection refused",
        address="wang@acme.example",
    )
    record(
        firm.contact,
        "birthday:2026",
        dt.date(2026, 3, 1),
        status=GreetingStatus.SKIPPED,
        channel="sms",
        error="短信通道尚未配置。",
    )
    elsewhere = ContactFactory(client=ClientFactory(department=firm.d2), name="别部门")
    record(elsewhere, "national_day:2025", dt.date(2025, 10, 1))
    as_user(client, firm, "service")
    page = client.get(LOG).content.decode()
    assert rows(page) == [
        f"2026-03-01 生日 王经理 {firm.acme.name} 短信 未发送 2026-09-20 10:00 短信通道尚未配置。",
        f"2026-03-01 生日 王经理 {firm.acme.name} 电子邮件 wang@acme.example "
        "发送失败 2026-09-20 10:00 Connection refused",
        f"2025-10-06 中秋节 王经理 {firm.acme.name} 电子邮件 已发送 2026-09-20 10:00 —",
    ]
    assert len(rows(client.get(LOG, {"status": "failed"}).content.decode())) == 1
    assert len(rows(client.get(LOG, {"kind": "holiday"}).content.decode())) == 1
    assert len(rows(client.get(LOG, {"channel": "sms"}).content.decode())) == 1
    assert len(rows(client.get(LOG, {"start": "2026-01-01"}).content.decode())) == 2
    assert len(rows(client.get(LOG, {"end": "2025-12-31", "q": "顶峰"}).content.decode())) == 1
    assert "没有符合条件" in client.get(LOG, {"q": "恒泰"}).content.decode()
    as_user(client, firm, "admin")
    assert len(rows(client.get(LOG).content.decode())) == 4


def test_the_log_pins_its_queries(client, firm, django_assert_num_queries):
    for n in range(8):
        c = ClientFactory(department=firm.d2)
        record(ContactFactory(client=c), f"national_day:{2020 + n}", dt.date(2020 + n, 10, 1))
    as_user(client, firm, "admin")
    client.get(LOG)
    # session, user, groups; count, ids, rows with contact and client; the days' names.
    with django_assert_num_queries(7):
        client.get(LOG, {"sort": "client"})
    with django_assert_num_queries(7):
        client.get(LOG, {"status": "sent"}, HTTP_HX_REQUEST="true")


# --- Templates ----------------------------------------------------------------------------------


def template_url(template: GreetingTemplate) -> str:
    return reverse("care:greeting_template_edit", args=[template.pk])


def template_data(template: GreetingTemplate, **changes) -> dict:
    data = {
        "subject": template.subject,
        "body": template.body,
        "channels": list(template.channels),
        "active": "on" if template.active else "",
        "version": template.version,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value not in ("", None)}


def test_templates_list_and_edit(client, firm):
    template = GreetingTemplate.objects.get(kind="birthday")
    as_user(client, firm, "head")
    page = client.get(TEMPLATES).content.decode()
    assert "生日快乐" in page and "端午安康" in page
    page = client.get(template_url(template)).content.decode()
    # The preview with sample values.
    assert "王经理您好：今天是您的生日，账房代账全体同仁祝您生日快乐" in page
    response = client.post(
        template_url(template),
        template_data(template, subject="{联系人}生日快乐", channels=["email", "sms"]),
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.subject == "{联系人}生日快乐" and template.channels == ["email", "sms"]
    assert template.version == 2
    event = AuditEvent.objects.get(object_type="care.greetingtemplate")
    assert event.changes["subject"] == ["生日快乐", "{联系人}生日快乐"]


def test_an_unknown_placeholder_is_an_error_naming_it(client, firm):
    template = GreetingTemplate.objects.get(kind="birthday")
    as_user(client, firm, "admin")
    response = client.post(
        template_url(template), template_data(template, body="{联系人}您好，{姓名}生日快乐 {客户}")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "未知的占位符：{姓名}" in page
    assert "{联系人}您好，{姓名}生日快乐" in page  # what was typed is kept
    template.refresh_from_db()
    assert template.version == 1
    response = client.post(template_url(template), template_data(template, channels=[]))
    assert "请至少选择一个发送渠道" in response.content.decode()


def test_preview_renders_what_was_typed_without_saving(client, firm):
    template = GreetingTemplate.objects.get(day__code="mid_autumn")
    as_user(client, firm, "admin")
    page = client.post(
        template_url(template),
        {**template_data(template, body="{公司}祝{联系人}{节日}快乐"), "preview": "1"},
    ).content.decode()
    assert 'id="rendered-body">账房代账祝王经理中秋节快乐' in page
    template.refresh_from_db()
    assert template.version == 1


def test_a_stale_template_save_is_refused(client, firm):
    template = GreetingTemplate.objects.get(kind="birthday")
    services.greeting_template_update(
        template=template,
        data={"subject": "先保存的", "body": template.body, "channels": ["email"], "active": True},
        expected_version=1,
        by=firm.staff.admin,
    )
    as_user(client, firm, "head")
    response = client.post(template_url(template), template_data(template, subject="后保存的"))
    page = response.content.decode()
    assert "其他人已修改了此祝福模板" in page and "后保存的" in page
    template.refresh_from_db()
    assert template.subject == "先保存的"


# --- Days ---------------------------------------------------------------------------------------


def test_firm_days_are_created_validated_and_edited(client, firm):
    as_user(client, firm, "head")
    for data, error in (
        ({"name": "x", "rule": "lunar", "month": 12, "day": 31}, "农历日期应在初一到三十之间"),
        ({"name": "x", "rule": "solar", "month": 2, "day": 30}, "2 月没有 30 日"),
        ({"name": "x", "rule": "solar", "month": 13, "day": 1}, "月份应在 1 到 12 之间"),
        ({"name": "x", "rule": "qingming", "month": 4, "day": 5}, "qingming 不在可用的选项中"),
    ):
        page = client.post(NEW_DAY, data).content.decode()
        assert error in page
    assert not GreetingDay.objects.filter(builtin=False).exists()

    response = client.post(
        NEW_DAY, {"name": "公司周年庆", "rule": "solar", "month": 10, "day": 8, "active": "on"}
    )
    assert response.status_code == 302
    day = GreetingDay.objects.get(builtin=False)
    assert day.code.startswith("firm-") and day.active
    template = GreetingTemplate.objects.get(day=day)
    assert template.active and template.channels == ["email"]
    assert "公司周年庆" in client.get(DAYS).content.decode()
    # It is greeted on its day, with the default template.
    assert f"2026-10-08 公司周年庆 王经理 {firm.acme.name}" in " ".join(
        rows(client.get(PREVIEW).content.decode())
    )

    edit = reverse("care:greeting_day_edit", args=[day.pk])
    response = client.post(
        edit,
        {
            "name": "建司纪念日",
            "rule": "lunar",
            "month": 8,
            "day": 30,
            "active": "on",
            "version": 1,
        },
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.name, day.rule, day.month, day.day, day.version) == (
        "建司纪念日",
        "lunar",
        8,
        30,
        2,
    )
    stale = client.post(
        edit, {"name": "旧的", "rule": "lunar", "month": 8, "day": 30, "active": "on", "version": 1}
    )
    assert "其他人已修改了此节日" in stale.content.decode()


def test_built_in_days_are_switched_off_not_deleted_or_edited(client, firm):
    spring = GreetingDay.objects.get(code="mid_autumn")
    as_user(client, firm, "admin")
    assert client.get(reverse("care:greeting_day_edit", args=[spring.pk])).status_code == 404
    toggle = reverse("care:greeting_day_toggle", args=[spring.pk])
    assert client.post(toggle, {"active": "0"}).status_code == 302
    spring.refresh_from_db()
    assert not spring.active
    page = client.get(DAYS).content.decode()
    assert "中秋节" in page and "已停用" in page
    assert "中秋节" not in " ".join(rows(client.get(PREVIEW).content.decode()))
    client.post(toggle, {"active": "1"})
    spring.refresh_from_db()
    assert spring.active
    assert AuditEvent.objects.filter(object_type="care.greetingday", action="status").count() == 2
    assert client.get(toggle).status_code == 405


# --- The client's greeting history and the home panel --------------------------------------------


def test_client_greetings_of_the_last_12_months(firm, django_assert_num_queries):
    record(firm.contact, "mid_autumn:2025", dt.date(2025, 10, 6))
    record(
        firm.contact,
        "birthday:2026",
        dt.date(2026, 3, 1),
        status=GreetingStatus.FAILED,
        error="Connection refused",
    )
    record(firm.contact, "national_day:2024", dt.date(2024, 10, 1))  # too old
    record(firm.contact, "mid_autumn:2025x", dt.date(2025, 9, 20))  # exactly a year ago
    ContactFactory(name="别的客户")
    with django_assert_num_queries(2):
        sends = client_greetings(firm.acme)
    assert [(s.occasion_date, s.occasion_label) for s in sends] == [
        (dt.date(2026, 3, 1), "生日"),
        (dt.date(2025, 10, 6), "中秋节"),
    ]
    html = render_to_string("care/_client_greetings.html", {"greetings": sends})
    assert "Connection refused" in html and "中秋节" in html and "王经理" in html
    assert "近 12 个月没有发送过祝福" in render_to_string(
        "care/_client_greetings.html", {"greetings": []}
    )


def test_home_panel_shows_failed_greetings(client, firm):
    as_user(client, firm, "service")
    assert "条祝福发送失败" not in client.get(reverse("core:home")).content.decode()
    record(firm.contact, "birthday:2026", dt.date(2026, 9, 18), status=GreetingStatus.FAILED)
    page = client.get(reverse("core:home")).content.decode()
    assert "近 7 天 1 条祝福发送失败" in page
    as_user(client, firm, "accountant")
    assert "条祝福发送失败" not in client.get(reverse("core:home")).content.decode()
