"""Complaint register pages: the role matrix (404 outside the scope), the list with its filters,
badges and pinned query count, registering through the client picker (the contact pre-fills
name and phone), the detail page's actions and timeline, the print view, the timeliness per
department, the client tab and the home panel."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.complaints.models import Complaint, ComplaintStatus, RootCause
from zhangfang.complaints.services import complaints as services
from zhangfang.complaints.tests.factories_complaints import (
    at,
    fed_back,
    handled,
    make_complaint_firm,
    register,
)

pytestmark = pytest.mark.django_db

LIST = reverse("complaints:complaint_list")
NEW = reverse("complaints:complaint_create")
RATES = reverse("complaints:complaint_timeliness")
NOW = at(2026, 11, 2, 10)  # a Monday; complaints registered now are due Monday Nov 9


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_complaint_firm()


def as_user(client, firm, who: str):
    client.force_login(getattr(firm.staff, who))
    return client


def detail(complaint: Complaint) -> str:
    return reverse("complaints:complaint_detail", args=[complaint.pk])


def action(complaint: Complaint, name: str) -> str:
    return reverse("complaints:complaint_action", args=[complaint.pk, name])


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "list_", "new", "see", "rates"),
    [
        ("service", 200, 200, 200, 403),  # registered it
        ("head", 200, 200, 200, 200),  # handles it
        ("accountant", 200, 403, 200, 403),  # the client's accountant reads it
        ("head2", 200, 200, 404, 200),  # another department's head
        ("stranger", 200, 403, 404, 403),  # an accountant with nothing to do with it
        ("outsider", 200, 200, 404, 403),  # customer service of another department
        ("admin", 200, 200, 200, 200),
    ],
)
def test_role_matrix(client, firm, who, list_, new, see, rates):
    complaint = register(firm)
    as_user(client, firm, who)
    assert client.get(LIST).status_code == list_
    assert client.get(NEW).status_code == new
    assert client.get(detail(complaint)).status_code == see
    printed = client.get(reverse("complaints:complaint_print", args=[complaint.pk]))
    assert printed.status_code == see
    assert client.get(RATES).status_code == rates
    if see == 404:
        response = client.post(action(complaint, "start"), {"start-note": "x"})
        assert response.status_code == 404
        assert complaint.number not in client.get(LIST).content.decode()
    else:
        assert complaint.number in client.get(LIST).content.decode()


def test_anonymous_is_sent_to_login(client, firm):
    response = client.get(LIST)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_transferred_complaint_is_seen_by_the_new_department(client, firm):
    complaint = register(firm)
    services.complaint_transfer(complaint=complaint, department=firm.d2, by=firm.staff.head)
    as_user(client, firm, "head2")
    page = client.get(detail(complaint)).content.decode()
    assert action(complaint, "start") in page and action(complaint, "transfer") in page


def test_no_one_registers_for_a_client_outside_their_scope(client, firm):
    as_user(client, firm, "outsider")
    assert client.get(NEW, {"client": firm.acme.pk}).status_code == 404
    assert client.get(NEW, {"client": 99999}).status_code == 404


# --- List ---------------------------------------------------------------------------------------


def test_list_badges_and_filters(client, firm, _clock):
    late = register(firm)  # due Nov 9
    _clock.move_to(at(2026, 11, 6, 10), tick=False)
    fresh = register(firm, category="fees", severity="critical")  # due Nov 13
    done = handled(firm, register(firm))
    services.complaint_transfer(complaint=fresh, department=firm.d2, by=firm.staff.head)
    _clock.move_to(at(2026, 11, 11, 10), tick=False)
    as_user(client, firm, "admin")
    page = client.get(LIST).content.decode()
    assert "共 3 件投诉" in page
    assert "已超期 2 个工作日" in page and "剩余 2 个工作日" in page and "按时处理" in page
    overdue = client.get(LIST, {"overdue": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in overdue and "共 1 件投诉" in overdue and late.number in overdue
    assert "共 2 件投诉" in client.get(LIST, {"open": "1"}).content.decode()
    assert fresh.number in client.get(LIST, {"category": "fees"}).content.decode()
    assert "共 1 件投诉" in client.get(LIST, {"severity": "critical"}).content.decode()
    by_dept = client.get(LIST, {"department": firm.d2.pk}).content.decode()
    assert "共 1 件投诉" in by_dept and fresh.number in by_dept
    assert "共 1 件投诉" in client.get(LIST, {"status": "handled"}).content.decode()
    assert done.number in client.get(LIST, {"q": done.number}).content.decode()
    assert "共 3 件投诉" in client.get(LIST, {"q": "顶峰"}).content.decode()
    assert "没有符合条件的投诉" in client.get(LIST, {"q": "不存在"}).content.decode()
    # A hand-edited URL is ignored rather than refused.
    tampered = client.get(LIST, {"status": "bogus", "sort": "-nope", "department": "x"})
    assert "共 3 件投诉" in tampered.content.decode()
    # Sorting by severity puts the critical one first.
    rows = client.get(LIST, {"sort": "-severity"}).content.decode()
    assert rows.index(fresh.number) < rows.index(late.number)
    as_user(client, firm, "service")
    assert "共 3 件投诉" in client.get(LIST, {"mine": "registered"}).content.decode()
    assert "共 0 件投诉" in client.get(LIST, {"mine": "handled"}).content.decode()
    as_user(client, firm, "head")
    assert "共 2 件投诉" in client.get(LIST, {"mine": "handled"}).content.decode()


def test_list_query_count_is_pinned(client, firm, django_assert_num_queries):
    for _ in range(3):
        register(firm)
    other = ClientFactory(department=firm.d2)
    for _ in range(5):
        register(firm, client=other, by=firm.staff.admin)
    handled(firm, register(firm))
    as_user(client, firm, "admin")
    client.get(LIST)
    # session, user, groups; departments for the filter; count, ids, rows with their joins.
    with django_assert_num_queries(7):
        client.get(LIST)
    # The table fragment needs no filter bar.
    with django_assert_num_queries(6):
        client.get(LIST, {"sort": "due", "page": "1"}, HTTP_HX_REQUEST="true")
    as_user(client, firm, "head")
    client.get(LIST)
    with django_assert_num_queries(7):
        client.get(LIST, {"open": "1", "mine": "handled"})


def test_empty_list_says_what_to_do(client, firm):
    page = as_user(client, firm, "service").get(LIST).content.decode()
    assert "还没有客户投诉" in page and NEW in page


# --- Registering --------------------------------------------------------------------------------


def test_register_through_the_picker(client, firm, django_capture_on_commit_callbacks):
    as_user(client, firm, "service")
    page = client.get(NEW, {"q": "顶峰"}, HTTP_HX_REQUEST="true").content.decode()
    assert f"?client={firm.acme.pk}" in page
    form_page = client.get(NEW, {"client": firm.acme.pk}).content.decode()
    assert "客户投诉登记表" in form_page and firm.acme.name in form_page
    assert "2026-11-02T10:00" in form_page and "王经理" in form_page
    # The client's department is the default responsible department.
    assert f'<option value="{firm.d1.pk}" selected>' in form_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{NEW}?client={firm.acme.pk}",
            {
                "contact": firm.contact.pk,
                "contact_name": "",
                "contact_phone": "",
                "channel": "wechat",
                "category": "accounting_error",
                "severity": "critical",
                "received_at": "2026-11-02T09:30",
                "department": firm.d1.pk,
                "staff_involved": firm.staff.accountant.pk,
                "matter": "九月利润表数字错误。",
                "client_request": "重新出具报表。",
            },
        )
    created = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(created)
    assert created.contact_name == "王经理" and created.contact_phone == firm.contact.mobile
    assert created.handler == firm.staff.head and created.staff_involved == firm.staff.accountant
    page = client.get(detail(created)).content.decode()
    assert "TS2026-0001" in page and "已转服务一部负责人主管丁处理" in page
    assert "九月利润表数字错误" in page and "重新出具报表" in page and "2026-11-09" in page
    assert "剩余 5 个工作日" in page


def test_choosing_a_contact_prefills_name_and_phone(client, firm):
    as_user(client, firm, "service")
    fragment = client.get(
        NEW, {"client": firm.acme.pk, "contact": firm.contact.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="contact-fields"' in fragment and "<html" not in fragment
    assert 'value="王经理"' in fragment and f'value="{firm.contact.mobile}"' in fragment
    # The select asks for this fragment when it changes.
    form_page = client.get(NEW, {"client": firm.acme.pk}).content.decode()
    assert 'hx-target="#contact-fields"' in form_page


def test_register_keeps_input_and_names_the_field(client, firm):
    as_user(client, firm, "service")
    response = client.post(
        f"{NEW}?client={firm.acme.pk}",
        {
            "channel": "phone",
            "category": "fees",
            "severity": "minor",
            "received_at": "2026-11-02T09:00",
            "department": firm.d1.pk,
            "matter": "对收费有异议",
            "contact_name": "",
            "contact_phone": "",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "请选择或填写投诉人" in page
    assert "对收费有异议" in page
    assert not Complaint.objects.exists()


# --- Detail and actions -------------------------------------------------------------------------


def test_the_workflow_through_the_pages(client, firm, _clock):
    complaint = register(firm)
    as_user(client, firm, "head")
    page = client.get(detail(complaint)).content.decode()
    assert action(complaint, "start") in page and action(complaint, "feed_back") not in page
    assert client.post(action(complaint, "start"), {"start-note": "调取记录"}).status_code == 302
    response = client.post(
        action(complaint, "handle"),
        {
            "handle-investigation": "会计漏报。",
            "handle-resolution": "补报，滞纳金由公司承担。",
            "handle-root_cause": RootCause.WORKLOAD,
            "handle-corrective_action": "",
        },
    )
    assert response.status_code == 302
    as_user(client, firm, "service")
    page = client.get(detail(complaint)).content.decode()
    assert "补报，滞纳金由公司承担" in page and "按时处理" in page
    assert action(complaint, "handle") not in page and action(complaint, "feed_back") in page
    client.post(action(complaint, "feed_back"), {"feed_back-feedback": "已电话告知王经理。"})
    # The close form pre-fills what the head already gave.
    page = client.get(detail(complaint)).content.decode()
    assert f'<option value="{RootCause.WORKLOAD}" selected>' in page
    response = client.post(
        action(complaint, "close"),
        {
            "close-client_confirmation": "王经理确认满意",
            "close-root_cause": RootCause.WORKLOAD,
            "close-corrective_action": "",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "关闭投诉前须填写纠正措施" in page and 'aria-invalid="true"' in page
    assert "王经理确认满意" in page  # nothing typed is lost
    response = client.post(
        action(complaint, "close"),
        {
            "close-client_confirmation": "王经理确认满意",
            "close-root_cause": RootCause.WORKLOAD,
            "close-corrective_action": "申报前增加复核。",
        },
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    page = client.get(detail(complaint)).content.decode()
    # The timeline shows every step with its note.
    for text in ("登记投诉", "开始调查", "调取记录", "处理完毕", "反馈客户", "客户确认关闭"):
        assert text in page
    assert action(complaint, "reopen") in page
    client.post(action(complaint, "reopen"), {"reopen-reason": "又收到滞纳金通知"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.REOPENED and complaint.reopen_count == 1


def test_refused_moves_and_errors(client, firm):
    complaint = register(firm)
    as_user(client, firm, "head")
    # A move the state does not allow: a clear message, nothing changes.
    response = client.post(
        action(complaint, "handle"),
        {"handle-investigation": "x", "handle-resolution": "y"},
        follow=True,
    )
    assert "状态为“登记”的投诉不能改为“已处理”" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.REGISTERED
    assert client.post(action(complaint, "nonsense")).status_code == 404
    services.complaint_start(complaint=complaint, by=firm.staff.head)
    response = client.post(action(complaint, "handle"), {"handle-investigation": "查"})
    assert response.status_code == 422 and "处理结果" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "start", "feed_back", "transfer"),
    [
        ("service", 403, 302, 403),
        ("head", 302, 302, 302),
        ("accountant", 403, 403, 403),
        ("admin", 302, 302, 302),
    ],
)
def test_action_permissions(client, firm, who, start, feed_back, transfer):
    as_user(client, firm, who)
    complaint = register(firm)
    assert client.post(action(complaint, "start")).status_code == start
    handled_one = handled(firm, register(firm))
    response = client.post(action(handled_one, "feed_back"), {"feed_back-feedback": "已告知"})
    assert response.status_code == feed_back
    response = client.post(action(complaint, "transfer"), {"transfer-department": firm.d2.pk})
    assert response.status_code == transfer


def test_reader_in_scope_sees_no_action_forms(client, firm):
    complaint = register(firm)
    page = as_user(client, firm, "accountant").get(detail(complaint)).content.decode()
    assert complaint.number in page and '<form method="post" action="/complaints/' not in page


def test_print_view(client, firm):
    complaint = fed_back(firm, register(firm))
    page = (
        as_user(client, firm, "service")
        .get(reverse("complaints:complaint_print", args=[complaint.pk]))
        .content.decode()
    )
    assert "客户投诉登记表" in page and complaint.number in page and firm.acme.name in page
    assert "已电话告知王经理" in page and "打印日期：2026-11-02" in page
    assert "zf-sidebar" not in page


# --- Timeliness, client tab, home panel ---------------------------------------------------------


def test_timeliness_per_department(client, firm, _clock, django_assert_num_queries):
    on_time = register(firm)  # due Nov 9
    late = register(firm)
    register(firm)  # never handled: open and overdue by Nov 20
    elsewhere = register(firm, department=firm.d2)
    handled(firm, on_time)
    _clock.move_to(at(2026, 11, 10, 9), tick=False)
    handled(firm, late)
    services.complaint_start(complaint=elsewhere, by=firm.staff.head2)
    _clock.move_to(at(2026, 11, 20, 9), tick=False)
    as_user(client, firm, "admin")
    client.get(RATES)
    with django_assert_num_queries(4):  # session, user, groups, the grouped query
        page = client.get(RATES, {"month": "2026-11"}).content.decode()
    assert "2026 年 11 月" in page
    # 服务一部: 3 due, 1 on time, 1 late, 1 open past due → 33.3%; 服务二部: 1 due, 0 on time.
    assert "33.3%" in page and "0.0%" in page and "25.0%" in page  # total 1 of 4
    quarter = client.get(RATES, {"period": "quarter", "month": "2026-11"}).content.decode()
    assert "2026 年第 4 季度" in quarter and "33.3%" in quarter
    assert "此期间没有到期的投诉" in client.get(RATES, {"month": "2026-09"}).content.decode()
    assert client.get(RATES, {"month": "garbage", "period": "x"}).status_code == 200
    # A head sees their own department only.
    page = as_user(client, firm, "head2").get(RATES).content.decode()
    assert "服务二部" in page and "服务一部" not in page and "0.0%" in page
    fragment = client.get(RATES, {"month": "2026-11"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "服务二部" in fragment


def test_client_tab_and_home_panel(client, firm, _clock):
    register(firm)
    handled(firm, register(firm))
    _clock.move_to(at(2026, 11, 10, 9), tick=False)
    as_user(client, firm, "service")
    tab = client.get(reverse("clients:tab", args=[firm.acme.pk, "complaints"])).content.decode()
    assert "TS2026-0001" in tab and "TS2026-0002" in tab and "已超期" in tab
    assert f"{NEW}?client={firm.acme.pk}" in tab
    home = client.get(reverse("core:home")).content.decode()
    assert "1 件投诉已处理，待反馈客户" in home and "1 件投诉已超期" in home
    home = as_user(client, firm, "head").get(reverse("core:home")).content.decode()
    assert "1 件投诉待我处理" in home and "1 件投诉已超期" in home
    # Someone with nothing to do with it sees no panel.
    home = as_user(client, firm, "stranger").get(reverse("core:home")).content.decode()
    assert "件投诉" not in home
