"""Request intake pages: the role matrix (404 outside the scope), the list with its filters, SLA
badges and pinned query count, registering through the client picker, the detail page's actions,
the timeliness rates, the client tab and the home panel."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.delivery.models import RequestStatus, ServiceRequest, Urgency
from zhangfang.delivery.services import requests as services
from zhangfang.delivery.tests.support import at, make_firm, request_data

pytestmark = pytest.mark.django_db

LIST = reverse("delivery:request_list")
NEW = reverse("delivery:request_create")
RATES = reverse("delivery:request_timeliness")
NOW = at(2026, 3, 11, 10)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_firm()


def as_user(client, firm, who: str):
    client.force_login(getattr(firm.staff, who))
    return client


def register(firm, **overrides) -> ServiceRequest:
    return services.request_register(
        client=firm.acme, data=request_data(**overrides), by=firm.staff.service
    )


def detail(request: ServiceRequest) -> str:
    return reverse("delivery:request_detail", args=[request.pk])


def action(request: ServiceRequest, name: str) -> str:
    return reverse("delivery:request_action", args=[request.pk, name])


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "list_", "new", "see", "rates"),
    [
        ("service", 200, 200, 200, 403),
        ("accountant", 200, 403, 200, 403),
        ("tax", 200, 403, 200, 403),
        ("sales", 200, 403, 200, 403),
        ("head", 200, 200, 200, 200),
        ("head2", 200, 200, 404, 200),
        ("outsider", 200, 200, 404, 403),
        ("admin", 200, 200, 200, 200),
    ],
)
def test_role_matrix(client, firm, who, list_, new, see, rates):
    request = register(firm)
    as_user(client, firm, who)
    assert client.get(LIST).status_code == list_
    assert client.get(NEW).status_code == new
    assert client.get(detail(request)).status_code == see
    assert client.get(RATES).status_code == rates
    if see == 404:
        assert client.post(action(request, "respond"), {"respond-note": "x"}).status_code == 404
        assert str(firm.acme.name) not in client.get(LIST).content.decode()


def test_anonymous_is_sent_to_login(client, firm):
    response = client.get(LIST)
    assert response.status_code == 302 and "login" in response["Location"]


def test_someone_else_may_not_register_for_a_client_outside_their_scope(client, firm):
    as_user(client, firm, "outsider")
    assert client.get(NEW, {"client": firm.acme.pk}).status_code == 404
    assert client.get(NEW, {"client": 99999}).status_code == 404


# --- List ---------------------------------------------------------------------------------------


def test_list_shows_time_left_and_overdue(client, firm, _clock):
    register(firm, urgency=Urgency.CRITICAL)  # by 12:00
    _clock.move_to(at(2026, 3, 11, 9, 45), tick=False)
    register(firm)  # by 17:45
    _clock.move_to(at(2026, 3, 11, 12, 40), tick=False)
    page = as_user(client, firm, "service").get(LIST).content.decode()
    assert "已超时 40 分" in page
    assert "剩余 5 小时 5 分" in page
    overdue = client.get(LIST, {"overdue": "1"}).content.decode()
    assert "已超时 40 分" in overdue and "剩余" not in overdue


def test_list_filters_and_htmx_fragment(client, firm):
    register(firm, category="invoice")
    mine = register(firm)
    services.request_reassign(request=mine, assignee=firm.staff.accountant, by=firm.staff.head)
    as_user(client, firm, "accountant")
    page = client.get(LIST, {"mine": "1"}).content.decode()
    assert "共 1 条需求" in page
    page = client.get(LIST, {"category": "invoice"}, HTTP_HX_REQUEST="true").content.decode()
    assert "共 1 条需求" in page and "<html" not in page
    assert "共 2 条需求" in client.get(LIST, {"q": "顶峰"}).content.decode()
    assert "没有符合条件的需求" in client.get(LIST, {"q": "不存在"}).content.decode()
    assert "共 2 条需求" in client.get(LIST, {"status": "bogus", "sort": "-nope"}).content.decode()


def test_list_query_count_is_pinned(client, firm, django_assert_num_queries):
    for _ in range(3):
        register(firm)
    other = ClientFactory(department=firm.d2)
    for _ in range(5):
        services.request_register(client=other, data=request_data(), by=firm.staff.admin)
    as_user(client, firm, "admin")
    client.get(LIST)
    # session, user, groups; count, ids, rows with client, assignee and department.
    with django_assert_num_queries(6):
        client.get(LIST)
    with django_assert_num_queries(6):
        client.get(LIST, {"sort": "respond_by", "page": "1"}, HTTP_HX_REQUEST="true")


# --- Registering --------------------------------------------------------------------------------


def test_register_through_the_picker(client, firm):
    as_user(client, firm, "service")
    page = client.get(NEW, {"q": "顶峰"}, HTTP_HX_REQUEST="true").content.decode()
    assert f"?client={firm.acme.pk}" in page
    form_page = client.get(NEW, {"client": firm.acme.pk}).content.decode()
    assert "王经理" in form_page and "2026-03-11T10:00" in form_page
    response = client.post(
        f"{NEW}?client={firm.acme.pk}",
        {
            "contact": firm.contact.pk,
            "channel": "wechat",
            "category": "invoice",
            "urgency": "urgent",
            "received_at": "2026-03-11T09:30",
            "content": "需要开具增值税专用发票。",
        },
    )
    created = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(created)
    assert created.assignee == firm.staff.service and created.contact == firm.contact
    assert created.respond_by == at(2026, 3, 11, 13, 30)
    page = client.get(detail(created)).content.decode()
    assert "已分派给客服甲" in page and "2026-03-11 13:30" in page


def test_register_keeps_input_and_names_the_field(client, firm):
    as_user(client, firm, "service")
    response = client.post(
        f"{NEW}?client={firm.acme.pk}",
        {
            "channel": "phone",
            "category": "invoice",
            "urgency": "normal",
            "received_at": "2026-03-11T12:00",
            "content": "要发票",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "受理时间不能晚于现在" in page
    assert "要发票" in page
    assert not ServiceRequest.objects.exists()


# --- Detail and actions -------------------------------------------------------------------------


def test_assignee_works_the_request_through(client, firm):
    request = register(firm)
    as_user(client, firm, "service")
    page = client.get(detail(request)).content.decode()
    assert action(request, "respond") in page and action(request, "reassign") not in page
    assert client.post(action(request, "respond"), {"respond-note": "已回电"}).status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.RESPONDED and request.responded_in_time
    client.post(action(request, "start"))
    client.post(action(request, "resolve"), {"resolve-resolution": "已开票"})
    client.post(action(request, "confirm"), {"confirm-how": "微信确认"})
    request.refresh_from_db()
    assert request.status == RequestStatus.CONFIRMED
    page = client.get(detail(request)).content.decode()
    assert "微信确认" in page and "按时响应" in page and "已开票" in page
    assert action(request, "reopen") in page


def test_action_errors_stay_on_the_page(client, firm):
    request = register(firm)
    as_user(client, firm, "service")
    response = client.post(action(request, "respond"), {"respond-note": ""})
    assert response.status_code == 422 and "响应内容" in response.content.decode()
    # A move the state does not allow: a message, nothing changes.
    response = client.post(action(request, "resolve"), {"resolve-resolution": "x"}, follow=True)
    assert "不能进行该操作" in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.NEW
    assert client.post(action(request, "nonsense")).status_code == 404


def test_reassign_is_for_heads(client, firm):
    request = register(firm)
    as_user(client, firm, "service")
    response = client.post(action(request, "reassign"), {"reassign-assignee": firm.staff.tax.pk})
    assert response.status_code == 403
    as_user(client, firm, "head")
    response = client.post(action(request, "reassign"), {"reassign-assignee": firm.staff.tax.pk})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.assignee == firm.staff.tax


def test_reader_in_scope_sees_no_actions(client, firm):
    request = register(firm)
    as_user(client, firm, "accountant")
    page = client.get(detail(request)).content.decode()
    assert "/delivery/requests/" + str(request.pk) + "/" + "respond" not in page
    assert "记录响应" not in page
    assert client.post(action(request, "respond"), {"respond-note": "x"}).status_code == 403


# --- Timeliness, client tab, home panel ---------------------------------------------------------


def test_timeliness_rates_per_person_and_department(client, firm, _clock):
    in_time = register(firm)
    late = register(firm, urgency=Urgency.CRITICAL)
    register(firm, urgency=Urgency.CRITICAL)  # never answered
    services.request_respond(request=in_time, note="好", by=firm.staff.service)
    _clock.move_to(at(2026, 3, 11, 13), tick=False)
    services.request_respond(request=late, note="好", by=firm.staff.service)
    from zhangfang.delivery.selectors.requests import timeliness

    rates = timeliness(
        user=firm.staff.head, start=at(2026, 3, 1), end=at(2026, 4, 1), now=at(2026, 3, 11, 13)
    )
    (person,) = rates["people"]
    (department,) = rates["departments"]
    assert (person.name, person.received, person.responded, person.in_time) == ("客服甲", 3, 2, 1)
    assert person.rate == 50.0 and person.overdue_unanswered == 1
    assert department.name == "服务一部" and department.rate == 50.0
    page = as_user(client, firm, "head").get(RATES, {"month": "2026-03"}).content.decode()
    assert "50.0%" in page and "客服甲" in page
    assert "本月没有受理的需求" in client.get(RATES, {"month": "2026-02"}).content.decode()
    assert client.get(RATES, {"month": "garbage"}).status_code == 200


def test_client_tab_and_home_panel(client, firm):
    # Received yesterday, critical: its response deadline (yesterday 12:00) has passed.
    register(firm, urgency=Urgency.CRITICAL, received_at=at(2026, 3, 10, 10))
    as_user(client, firm, "service")
    tab = client.get(reverse("clients:tab", args=[firm.acme.pk, "requests"])).content.decode()
    assert "税务咨询" in tab and f"?client={firm.acme.pk}" in tab and "已超时" in tab
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    home = response.content.decode()
    assert "1 条需求待我处理" in home and "1 条需求响应超时" in home
