"""Routing rule pages: create and edit, validation beside the field, a stale save refused with the
input kept, the role matrix, the pinned list query count, and a rule made here routing a request."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import RequestCategory, RouteTarget, RoutingRule
from zhangfang.delivery.services import requests as request_services
from zhangfang.delivery.services import routing as services
from zhangfang.delivery.tests.support import at, make_firm, request_data
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("delivery:routing_rule_list")
NEW = reverse("delivery:routing_rule_create")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 3, 11, 10), tick=False):
        yield


@pytest.fixture
def firm():
    return make_firm()


def edit_url(rule: RoutingRule) -> str:
    return reverse("delivery:routing_rule_edit", args=[rule.pk])


def form_data(**overrides) -> dict:
    data = {
        "category": RequestCategory.TAX_ADVICE,
        "target": RouteTarget.TAX_SPECIALIST,
        "user": "",
        "department": "",
        "priority": "10",
        "active": "on",
    }
    data.update(overrides)
    return data


def make_rule(firm, **data) -> RoutingRule:
    values = {
        "category": RequestCategory.TAX_ADVICE,
        "target": RouteTarget.ACCOUNTANT,
        "priority": 10,
        "active": True,
    }
    values.update(data)
    return services.routing_rule_create(data=values, by=firm.staff.admin)


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("head", 200), ("accountant", 403), ("sales", 403), ("service", 403)],
)
def test_role_matrix(client, firm, who, status):
    rule = make_rule(firm)
    client.force_login(getattr(firm.staff, who))
    for url in (LIST, NEW, edit_url(rule)):
        assert client.get(url).status_code == status, url


def test_edit_of_a_missing_rule_is_404(client, firm):
    client.force_login(firm.staff.admin)
    assert client.get(reverse("delivery:routing_rule_edit", args=[999])).status_code == 404


# --- Create and edit ----------------------------------------------------------------------------


def test_create_through_the_page_and_it_routes_a_new_request(client, firm):
    client.force_login(firm.staff.head)
    response = client.post(
        NEW,
        form_data(
            category=RequestCategory.INVOICE, target=RouteTarget.USER, user=firm.staff.accountant.pk
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    rule = RoutingRule.objects.get()
    assert (rule.target, rule.user, rule.department, rule.version) == (
        RouteTarget.USER,
        firm.staff.accountant,
        None,
        1,
    )
    assert AuditEvent.objects.filter(object_id=str(rule.pk), action="create").count() == 1

    request = request_services.request_register(
        client=firm.acme,
        data=request_data(category=RequestCategory.INVOICE),
        by=firm.staff.service,
    )
    assert request.assignee == firm.staff.accountant


def test_department_rule_made_on_the_page_routes_to_the_department(client, firm):
    client.force_login(firm.staff.admin)
    client.post(NEW, form_data(target=RouteTarget.DEPARTMENT, department=firm.d2.pk))
    request = request_services.request_register(
        client=firm.acme, data=request_data(), by=firm.staff.service
    )
    assert (request.assignee, request.department) == (None, firm.d2)


def test_edit_through_the_page_clears_the_choice_the_target_does_not_use(client, firm):
    rule = make_rule(firm, target=RouteTarget.USER, user=firm.staff.accountant)
    client.force_login(firm.staff.admin)
    page = client.get(edit_url(rule)).content.decode()
    assert 'name="version" value="1"' in page
    response = client.post(
        edit_url(rule),
        form_data(
            target=RouteTarget.CUSTOMER_SERVICE,
            user=firm.staff.accountant.pk,
            department=firm.d1.pk,
            priority="5",
            version="1",
        ),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.target, rule.user, rule.department, rule.priority, rule.version) == (
        RouteTarget.CUSTOMER_SERVICE,
        None,
        None,
        5,
        2,
    )
    event = AuditEvent.objects.get(object_id=str(rule.pk), action="update")
    assert set(event.changes) == {"target", "user", "priority"}


# --- Validation ---------------------------------------------------------------------------------


def _errors_of(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


def test_fixed_user_target_needs_a_user(client, firm):
    client.force_login(firm.staff.admin)
    response = client.post(NEW, form_data(target=RouteTarget.USER))
    assert response.status_code == 200
    assert _errors_of(response, "user") == ["分派给指定员工时，请选择员工。"]
    assert not RoutingRule.objects.exists()


def test_fixed_user_must_be_active(client, firm):
    gone = UserFactory(name="离职者", roles=["accountant"], is_active=False)
    rule = make_rule(firm, target=RouteTarget.USER, user=firm.staff.accountant)
    # Deactivated after the rule was made: the edit page still offers them, the save refuses.
    RoutingRule.objects.filter(pk=rule.pk).update(user=gone)
    client.force_login(firm.staff.admin)
    response = client.post(
        edit_url(rule), form_data(target=RouteTarget.USER, user=gone.pk, version="1")
    )
    assert response.status_code == 200
    assert _errors_of(response, "user") == ["员工“离职者”已停用，不能接收新需求。"]
    with pytest.raises(DomainError, match="已停用"):
        services.routing_rule_create(
            data={"category": "other", "target": RouteTarget.USER, "user": gone}, by=None
        )


def test_department_target_needs_a_department(client, firm):
    client.force_login(firm.staff.admin)
    response = client.post(NEW, form_data(target=RouteTarget.DEPARTMENT, priority="3"))
    assert _errors_of(response, "department") == ["分派给指定部门时，请选择部门。"]
    page = response.content.decode()
    assert "分派给指定部门时，请选择部门。" in page
    assert 'value="3"' in page  # typed input kept


# --- Conflict -----------------------------------------------------------------------------------


def test_a_stale_save_is_refused_and_the_input_kept(client, firm):
    rule = make_rule(firm)
    # Someone else saves first.
    services.routing_rule_update(
        rule=rule, data={"priority": 20}, expected_version=1, by=firm.staff.head
    )
    client.force_login(firm.staff.admin)
    response = client.post(edit_url(rule), form_data(priority="77", version="1"))
    assert response.status_code == 200
    assert response.context["conflict"] == str(services.STALE_RULE)
    page = response.content.decode()
    assert "其他人已修改了此分派规则" in page
    assert 'value="77"' in page
    assert 'name="version" value="2"' in page
    rule.refresh_from_db()
    assert (rule.priority, rule.version) == (20, 2)
    # Saving again, now based on the current version, goes through.
    response = client.post(edit_url(rule), form_data(priority="77", version="2"))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.priority, rule.version) == (77, 3)


# --- List ---------------------------------------------------------------------------------------


def test_list_shows_rules_by_priority_with_names(client, firm):
    make_rule(firm, priority=30, target=RouteTarget.DEPARTMENT, department=firm.d2)
    make_rule(firm, priority=5, target=RouteTarget.USER, user=firm.staff.tax, active=False)
    client.force_login(firm.staff.head)
    page = client.get(LIST).content.decode()
    assert page.index("指定员工：税务丙") < page.index("指定部门：服务二部")
    assert "已停用" in page


def test_list_query_count_is_pinned(client, firm, django_assert_num_queries):
    for i in range(3):
        make_rule(firm, priority=i, target=RouteTarget.USER, user=firm.staff.tax)
        make_rule(firm, priority=i, target=RouteTarget.DEPARTMENT, department=firm.d1)
    client.force_login(firm.staff.admin)
    client.get(LIST)
    # session, user, groups; the rules with their user and department.
    with django_assert_num_queries(4):
        client.get(LIST)
