"""Request intake services: the SLA clock on the working-day calendar (Spring Festival, National
Day, make-up days), routing rules, in-time and late responses, every allowed and refused move,
reassignment and escalation of overdue requests (idempotent, to the department head)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.core.policy import policy_value_set
from zhangfang.delivery.models import (
    RequestCategory,
    RequestStatus,
    RouteTarget,
    RoutingRule,
    ServiceRequest,
    Urgency,
)
from zhangfang.delivery.services import requests as services
from zhangfang.delivery.tests.support import at, make_firm, request_data
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=False)

S = RequestStatus


@pytest.fixture
def firm():
    return make_firm()


def register(firm, *, when: dt.datetime | None = None, by=None, **overrides) -> ServiceRequest:
    data = request_data(**overrides)
    if when is not None:
        data["received_at"] = when
    return services.request_register(client=firm.acme, data=data, by=by or firm.staff.service)


# --- The SLA clock ------------------------------------------------------------------------------


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_deadline_per_urgency_in_office_hours(firm):
    # Wed 10:00: normal 8 h → 18:00 (closing time stays that day); urgent 4 h → 14:00;
    # critical 2 h → 12:00. From 11:00, 8 h run into Thursday 10:00.
    assert register(firm).respond_by == at(2026, 3, 11, 18)
    assert register(firm, when=at(2026, 3, 11, 9, 30)).respond_by == at(2026, 3, 11, 17, 30)
    with time_machine.travel(at(2026, 3, 11, 11), tick=False):
        assert register(firm).respond_by == at(2026, 3, 12, 10)
    assert register(firm, urgency=Urgency.URGENT).respond_by == at(2026, 3, 11, 14)
    assert register(firm, urgency=Urgency.CRITICAL).respond_by == at(2026, 3, 11, 12)


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_deadline_follows_the_setting(firm):
    policy_value_set(key="delivery.response_hours_urgent", raw="1", by=firm.staff.admin)
    assert register(firm, urgency=Urgency.URGENT).respond_by == at(2026, 3, 11, 11)


@time_machine.travel(at(2026, 2, 13, 17), tick=False)
def test_clock_skips_spring_festival_and_counts_the_make_up_saturday(firm):
    # Fri 2026-02-13 17:00 + 4 h: 1 h on Friday, Sat Feb 14 is a make-up working day (3 h).
    assert register(firm, urgency=Urgency.URGENT).respond_by == at(2026, 2, 14, 12)
    # Sat Feb 14 17:00 + 2 h: 1 h that day, then 春节 Feb 15–23, 1 h on Tue Feb 24.
    with time_machine.travel(at(2026, 2, 14, 17), tick=False):
        assert register(firm, urgency=Urgency.CRITICAL).respond_by == at(2026, 2, 24, 10)


@time_machine.travel(at(2026, 10, 12, 9), tick=False)
def test_clock_skips_national_day_for_a_back_dated_request(firm):
    # Received Wed Sep 30 16:00 (registered later): 2 h that day, 国庆 Oct 1–7, 6 h on Oct 8.
    request = register(firm, when=at(2026, 9, 30, 16))
    assert request.respond_by == at(2026, 10, 8, 15)
    # Fri Oct 9 17:00 + 2 h → Sat Oct 10 (make-up day) 10:00.
    request = register(firm, when=at(2026, 10, 9, 17), urgency=Urgency.CRITICAL)
    assert request.respond_by == at(2026, 10, 10, 10)


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_received_at_may_not_be_in_the_future(firm):
    with pytest.raises(DomainError) as error:
        register(firm, when=at(2026, 3, 11, 11))
    assert error.value.field == "received_at"
    assert not ServiceRequest.objects.exists()


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_only_intake_roles_in_scope_register(firm):
    with pytest.raises(DomainError):
        services.request_register(client=firm.acme, data=request_data(), by=firm.staff.accountant)
    with pytest.raises(DomainError):  # service role, but not this client's team
        services.request_register(client=firm.acme, data=request_data(), by=firm.staff.outsider)
    other = make_contact_of_another_client()
    with pytest.raises(DomainError) as error:
        register(firm, contact=other)
    assert error.value.field == "contact"


def make_contact_of_another_client():
    from zhangfang.clients.tests.factories import ContactFactory

    return ContactFactory()


# --- Routing ------------------------------------------------------------------------------------


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_default_route_is_the_clients_customer_service(firm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = register(firm)
    assert request.assignee == firm.staff.service
    assert request.department == firm.d1
    assert Notification.objects.filter(recipient=firm.staff.service).count() == 1
    event = AuditEvent.objects.get(object_id=str(request.pk), action="create")
    assert event.anchor_type == "clients.client" and event.anchor_id == str(firm.acme.pk)


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_without_customer_service_the_department_heads_are_told(
    firm, django_capture_on_commit_callbacks
):
    firm.acme.customer_service = None
    firm.acme.save()
    with django_capture_on_commit_callbacks(execute=True):
        request = register(firm, by=firm.staff.head)
    assert request.assignee is None and request.department == firm.d1
    assert Notification.objects.filter(recipient=firm.staff.head).count() == 1
    assert not Notification.objects.filter(recipient=firm.staff.head2).exists()


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_first_matching_active_rule_wins(firm):
    RoutingRule.objects.create(
        category=RequestCategory.TAX_ADVICE, target=RouteTarget.ACCOUNTANT, priority=20
    )
    RoutingRule.objects.create(
        category=RequestCategory.TAX_ADVICE, target=RouteTarget.TAX_SPECIALIST, priority=10
    )
    RoutingRule.objects.create(
        category=RequestCategory.TAX_ADVICE,
        target=RouteTarget.USER,
        user=firm.staff.head2,
        priority=1,
        active=False,
    )
    RoutingRule.objects.create(
        category=RequestCategory.BOOKKEEPING, target=RouteTarget.DEPARTMENT, department=firm.d2
    )
    assert register(firm).assignee == firm.staff.tax
    bookkeeping = register(firm, category=RequestCategory.BOOKKEEPING)
    assert bookkeeping.assignee is None and bookkeeping.department == firm.d2
    # No rule for 发票: the default.
    assert register(firm, category=RequestCategory.INVOICE).assignee == firm.staff.service


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_a_rule_whose_person_is_missing_falls_through(firm):
    firm.acme.tax_specialist = None
    firm.acme.save()
    RoutingRule.objects.create(
        category=RequestCategory.TAX_ADVICE, target=RouteTarget.TAX_SPECIALIST, priority=1
    )
    RoutingRule.objects.create(
        category=RequestCategory.TAX_ADVICE,
        target=RouteTarget.USER,
        user=firm.staff.head2,
        priority=2,
    )
    request = register(firm)
    assert request.assignee == firm.staff.head2 and request.department == firm.d2


# --- Response and the workflow -------------------------------------------------------------------


def test_response_in_time_and_late(firm, time_machine):
    time_machine.move_to(at(2026, 3, 11, 10), tick=False)
    early = register(firm, urgency=Urgency.CRITICAL)  # by 12:00
    late = register(firm, urgency=Urgency.CRITICAL)
    time_machine.move_to(at(2026, 3, 11, 12), tick=False)
    early = services.request_respond(request=early, note="已电话回复", by=firm.staff.service)
    assert early.status == S.RESPONDED
    assert early.first_response_at == at(2026, 3, 11, 12)
    assert early.responded_in_time is True
    time_machine.move_to(at(2026, 3, 11, 12, 1), tick=False)
    late = services.request_respond(request=late, note="已回复", by=firm.staff.service)
    assert late.responded_in_time is False


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_every_allowed_move_and_reopen(firm):
    request = register(firm)
    by = firm.staff.service
    request = services.request_respond(request=request, note="收到", by=by)
    request = services.request_start(request=request, by=by)
    assert request.status == S.IN_PROGRESS
    request = services.request_resolve(request=request, resolution="已答复政策口径", by=by)
    assert request.status == S.RESOLVED and request.resolved_at
    request = services.request_reopen(request=request, reason="客户仍有疑问", by=by)
    assert request.status == S.REOPENED
    request = services.request_resolve(request=request, resolution="补充说明", by=by)
    request = services.request_confirm(request=request, how="客户电话确认", by=by)
    assert request.status == S.CONFIRMED and request.confirmed_how == "客户电话确认"
    request = services.request_reopen(request=request, reason="又出现问题", by=by)
    assert request.status == S.REOPENED and request.confirmed_at is None
    # A question answered on the spot: 已响应 → 已解决.
    quick = services.request_respond(request=register(firm), note="当场答复", by=by)
    assert services.request_resolve(request=quick, resolution="已答复", by=by).status == S.RESOLVED
    assert request.version > 1
    assert AuditEvent.objects.filter(object_id=str(request.pk)).count() == 8


@pytest.mark.parametrize(
    ("status", "call"),
    [
        (S.NEW, lambda r, by: services.request_start(request=r, by=by)),
        (S.NEW, lambda r, by: services.request_resolve(request=r, resolution="x", by=by)),
        (S.NEW, lambda r, by: services.request_confirm(request=r, how="x", by=by)),
        (S.NEW, lambda r, by: services.request_reopen(request=r, reason="x", by=by)),
        (S.RESPONDED, lambda r, by: services.request_respond(request=r, note="x", by=by)),
        (S.RESPONDED, lambda r, by: services.request_confirm(request=r, how="x", by=by)),
        (S.IN_PROGRESS, lambda r, by: services.request_start(request=r, by=by)),
        (S.IN_PROGRESS, lambda r, by: services.request_reopen(request=r, reason="x", by=by)),
        (S.RESOLVED, lambda r, by: services.request_start(request=r, by=by)),
        (S.CONFIRMED, lambda r, by: services.request_resolve(request=r, resolution="x", by=by)),
        (S.REOPENED, lambda r, by: services.request_confirm(request=r, how="x", by=by)),
        (S.REOPENED, lambda r, by: services.request_respond(request=r, note="x", by=by)),
    ],
)
@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_refused_moves(firm, status, call):
    request = register(firm)
    ServiceRequest.objects.filter(pk=request.pk).update(status=status)
    request.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        call(request, firm.staff.service)
    request.refresh_from_db()
    assert request.status == status


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_required_texts_name_their_field(firm):
    request = register(firm)
    with pytest.raises(DomainError) as error:
        services.request_respond(request=request, note=" ", by=firm.staff.service)
    assert error.value.field == "note"
    request = services.request_respond(request=request, note="好", by=firm.staff.service)
    with pytest.raises(DomainError) as error:
        services.request_resolve(request=request, resolution="", by=firm.staff.service)
    assert error.value.field == "resolution"


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_who_may_act(firm):
    request = register(firm)
    for outsider in (firm.staff.accountant, firm.staff.head2, firm.staff.outsider):
        with pytest.raises(DomainError):
            services.request_respond(request=request, note="x", by=outsider)
    # The department head and an administrator may act on any request of their department.
    assert services.can_work(firm.staff.head, request)
    assert services.can_work(firm.staff.admin, request)
    with pytest.raises(DomainError):
        services.request_reassign(request=request, assignee=firm.staff.tax, by=firm.staff.service)


@time_machine.travel(at(2026, 3, 11, 10), tick=False)
def test_reassign(firm, django_capture_on_commit_callbacks):
    request = register(firm)
    with django_capture_on_commit_callbacks(execute=True):
        request = services.request_reassign(
            request=request, assignee=firm.staff.tax, by=firm.staff.head
        )
    assert request.assignee == firm.staff.tax
    assert Notification.objects.filter(recipient=firm.staff.tax).exists()
    assert services.can_work(firm.staff.tax, request)
    assert not services.can_work(firm.staff.service, request)
    with pytest.raises(DomainError):
        services.request_reassign(request=request, assignee=firm.staff.tax, by=firm.staff.head)


# --- Escalation ---------------------------------------------------------------------------------


def test_escalation_is_idempotent_and_goes_to_the_head(
    firm, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(at(2026, 3, 11, 10), tick=False)
    overdue = register(firm, urgency=Urgency.CRITICAL)  # by 12:00
    answered = register(firm, urgency=Urgency.CRITICAL)
    services.request_respond(request=answered, note="已回复", by=firm.staff.service)
    not_yet = register(firm)  # by 18:00
    time_machine.move_to(at(2026, 3, 11, 12, 30), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.requests_escalate_overdue(now=at(2026, 3, 11, 12, 30)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        call_command("escalate_overdue_requests", stdout=__import__("io").StringIO())
    overdue.refresh_from_db()
    not_yet.refresh_from_db()
    assert overdue.escalated_at == at(2026, 3, 11, 12, 30)
    assert not_yet.escalated_at is None
    notes = Notification.objects.filter(dedupe_key=f"delivery.request.{overdue.pk}.escalated")
    assert [n.recipient for n in notes] == [firm.staff.head]
    assert (
        AuditEvent.objects.filter(object_id=str(overdue.pk), detail="响应超时，已上报").count() == 1
    )


def test_escalation_without_a_head_goes_to_the_administrators(
    firm, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(at(2026, 3, 11, 10), tick=False)
    firm.staff.head.groups.clear()
    request = register(firm, urgency=Urgency.CRITICAL)
    with django_capture_on_commit_callbacks(execute=True):
        services.requests_escalate_overdue(now=at(2026, 3, 12, 10))
    recipients = set(
        Notification.objects.filter(
            dedupe_key=f"delivery.request.{request.pk}.escalated"
        ).values_list("recipient__username", flat=True)
    )
    assert recipients == {"admin"}


def test_the_new_status_reads_as_a_status_in_english_not_as_the_new_button():
    from django.utils import translation

    from zhangfang.delivery.models import RequestStatus

    with translation.override("en"):
        assert str(RequestStatus.NEW.label) == "New"
        assert str(RequestStatus.CONFIRMED.label) == "Confirmed by client"
        assert translation.gettext("新建") == "Create"
