"""The complaint workflow's services: registering (number, handler, deadline, notification,
first step), every allowed and refused transition, closing only with root cause and corrective
action, the first handling's timeliness, reopening, transfers, who may do what, and escalation."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from zhangfang.clients.tests.factories import ContactFactory
from zhangfang.complaints.models import Complaint, ComplaintStatus, ComplaintStep, RootCause
from zhangfang.complaints.services import complaints as services
from zhangfang.complaints.tests.factories_complaints import (
    at,
    fed_back,
    handled,
    make_complaint_firm,
    register,
)
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.notifications.models import Notification
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

S = ComplaintStatus
NOW = at(2026, 11, 2, 10)  # a Monday; due Monday Nov 9


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_complaint_firm()


def inbox(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


def steps(complaint) -> list[tuple[str, str, str]]:
    return list(
        ComplaintStep.objects.filter(complaint=complaint)
        .order_by("at", "id")
        .values_list("action", "from_status", "to_status")
    )


def close(firm, complaint, **overrides):
    data = {
        "client_confirmation": "王经理电话确认满意。",
        "root_cause": RootCause.WORKLOAD,
        "corrective_action": "调整会计工作量并增加申报前复核。",
    }
    data.update(overrides)
    return services.complaint_close(complaint=complaint, by=firm.staff.service, **data)


# --- Registering --------------------------------------------------------------------------------


def test_register_numbers_routes_and_notifies_the_department_head(
    firm, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = register(firm, staff_involved=firm.staff.accountant)
        second = register(firm)
    assert (first.number, second.number) == ("TS2026-0001", "TS2026-0002")
    assert first.status == S.REGISTERED and first.department == firm.d1
    assert first.handler == firm.staff.head and first.registered_by == firm.staff.service
    assert first.due_on == dt.date(2026, 11, 9) and first.received_at == NOW
    assert first.staff_involved == firm.staff.accountant
    (title, _) = sorted(inbox(firm.staff.head))
    assert title.startswith("新的客户投诉：TS2026-0001 深圳市顶峰科技有限公司（申报延误，较重）")
    note = Notification.objects.filter(recipient=firm.staff.head, title=title).get()
    assert "2026-11-09" in note.body and note.url == f"/complaints/{first.pk}/"
    assert steps(first) == [("register", "", S.REGISTERED)]
    assert "服务一部负责人主管丁" in first.steps.get().note
    event = AuditEvent.objects.get(object_type="complaints.complaint", object_id=str(first.pk))
    assert event.action == "create" and event.anchor_id == str(firm.acme.pk)


def test_register_with_another_department_goes_to_its_head(firm):
    complaint = register(firm, department=firm.d2)
    assert complaint.handler == firm.staff.head2


def test_a_department_without_a_head_falls_back_to_an_administrator(firm):
    from zhangfang.staff.tests.factories import DepartmentFactory

    complaint = register(firm, department=DepartmentFactory(name="行政部"))
    assert complaint.handler == firm.staff.admin


def test_a_chosen_contact_fills_in_name_and_phone(firm):
    complaint = register(firm, contact=firm.contact, contact_name="", contact_phone="")
    assert complaint.contact == firm.contact
    assert (complaint.contact_name, complaint.contact_phone) == ("王经理", firm.contact.mobile)
    typed = register(firm, contact=firm.contact, contact_name="王总", contact_phone="0755-1234")
    assert (typed.contact_name, typed.contact_phone) == ("王总", "0755-1234")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"matter": "  "}, "matter", "请填写投诉事项"),
        ({"contact_name": ""}, "contact_name", "请选择或填写投诉人"),
        ({"contact_phone": ""}, "contact_phone", "联系方式"),
        ({"received_at": at(2026, 11, 2, 11)}, "received_at", "不能晚于现在"),
    ],
)
def test_register_refuses_incomplete_forms_naming_the_field(firm, overrides, field, message):
    with pytest.raises(DomainError) as error:
        register(firm, **overrides)
    assert error.value.field == field and message in error.value.message
    assert not Complaint.objects.exists()


def test_register_refuses_a_contact_of_another_client(firm):
    other = ContactFactory()
    with pytest.raises(DomainError) as error:
        register(firm, contact=other)
    assert error.value.field == "contact"


@pytest.mark.parametrize("who", ["accountant", "sales", "stranger"])
def test_only_customer_service_heads_and_admins_register(firm, who):
    with pytest.raises(DomainError):
        register(firm, by=getattr(firm.staff, who))


def test_customer_service_cannot_register_for_a_client_outside_their_scope(firm):
    with pytest.raises(DomainError, match="不能为此客户登记"):
        register(firm, by=firm.staff.outsider)


# --- The workflow -------------------------------------------------------------------------------


def test_the_whole_way_to_closed(firm, django_capture_on_commit_callbacks, _clock):
    complaint = register(firm)
    _clock.move_to(at(2026, 11, 4, 9), tick=False)
    complaint = services.complaint_start(
        complaint=complaint, note="调取申报记录", by=firm.staff.head
    )
    assert complaint.status == S.INVESTIGATING
    _clock.move_to(at(2026, 11, 9, 17), tick=False)  # the last day of the deadline
    with django_capture_on_commit_callbacks(execute=True):
        complaint = services.complaint_handle(
            complaint=complaint,
            investigation="会计漏报。",
            resolution="补报，滞纳金由公司承担。",
            root_cause=RootCause.WORKLOAD,
            by=firm.staff.head,
        )
    assert complaint.status == S.HANDLED and complaint.handled_in_time is True
    assert complaint.handled_at == at(2026, 11, 9, 17)
    assert complaint.root_cause == RootCause.WORKLOAD and complaint.corrective_action == ""
    # The result goes back to the customer-service member who registered it (四（三）3).
    assert inbox(firm.staff.service) == [
        "投诉已处理，请反馈客户：TS2026-0001 深圳市顶峰科技有限公司"
    ]
    complaint = services.complaint_feed_back(
        complaint=complaint, feedback="已电话告知。", by=firm.staff.service
    )
    assert complaint.status == S.FED_BACK and complaint.fed_back_at is not None
    complaint = close(firm, complaint)
    assert complaint.status == S.CLOSED and complaint.closed_at == at(2026, 11, 9, 17)
    assert complaint.corrective_action.startswith("调整会计工作量")
    assert steps(complaint) == [
        ("register", "", S.REGISTERED),
        ("start", S.REGISTERED, S.INVESTIGATING),
        ("handle", S.INVESTIGATING, S.HANDLED),
        ("feed_back", S.HANDLED, S.FED_BACK),
        ("close", S.FED_BACK, S.CLOSED),
    ]
    actions = list(
        AuditEvent.objects.filter(object_id=str(complaint.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "status", "status", "status", "status"]


def test_handled_after_the_deadline_is_late(firm, _clock):
    complaint = register(firm)
    _clock.move_to(at(2026, 11, 10, 9), tick=False)
    assert handled(firm, complaint).handled_in_time is False


# Every state × action: allowed moves per ALLOWED_MOVES, refused ones with a clear message.
TRANSITIONS = {
    "start": {S.REGISTERED, S.REOPENED},
    "handle": {S.INVESTIGATING},
    "feed_back": {S.HANDLED},
    "close": {S.FED_BACK},
    "reopen": {S.FED_BACK, S.CLOSED},
}


def _call(firm, complaint, action):
    head, cs = firm.staff.head, firm.staff.service
    if action == "start":
        return services.complaint_start(complaint=complaint, by=head)
    if action == "handle":
        return services.complaint_handle(
            complaint=complaint, investigation="查", resolution="改", by=head
        )
    if action == "feed_back":
        return services.complaint_feed_back(complaint=complaint, feedback="已告知", by=cs)
    if action == "close":
        return close(firm, complaint)
    return services.complaint_reopen(complaint=complaint, reason="不满意", by=cs)


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_transition_matrix(firm, status, action):
    complaint = register(firm)
    Complaint.objects.filter(pk=complaint.pk).update(
        status=status, root_cause=RootCause.PROCESS, corrective_action="改流程"
    )
    complaint.refresh_from_db()
    if status in TRANSITIONS[action]:
        moved = _call(firm, complaint, action)
        assert moved.status == services.ACTION_RULES[action][0]
        assert ComplaintStep.objects.filter(complaint=complaint, action=action).exists()
    else:
        with pytest.raises(TransitionNotAllowed) as error:
            _call(firm, complaint, action)
        label = S(status).label
        assert f"状态为“{label}”的投诉不能改为" in error.value.message
        complaint.refresh_from_db()
        assert complaint.status == status
        assert not ComplaintStep.objects.filter(complaint=complaint, action=action).exists()


def test_closing_needs_root_cause_and_corrective_action(firm):
    complaint = fed_back(firm, register(firm))
    with pytest.raises(DomainError) as error:
        close(firm, complaint, root_cause="")
    assert error.value.field == "root_cause" and "根本原因" in error.value.message
    with pytest.raises(DomainError) as error:
        close(firm, complaint, corrective_action="  ")
    assert error.value.field == "corrective_action" and "纠正措施" in error.value.message
    with pytest.raises(DomainError) as error:
        close(firm, complaint, root_cause="bogus")
    assert error.value.field == "root_cause"
    with pytest.raises(DomainError) as error:
        close(firm, complaint, client_confirmation="")
    assert error.value.field == "client_confirmation"
    complaint.refresh_from_db()
    assert complaint.status == S.FED_BACK and complaint.closed_at is None


def test_handling_needs_investigation_and_resolution(firm):
    complaint = services.complaint_start(complaint=register(firm), by=firm.staff.head)
    for missing in ("investigation", "resolution"):
        values = {"investigation": "查", "resolution": "改", missing: ""}
        with pytest.raises(DomainError) as error:
            services.complaint_handle(complaint=complaint, by=firm.staff.head, **values)
        assert error.value.field == missing


def test_reopen_and_handle_again_keeps_the_first_timeliness(
    firm, _clock, django_capture_on_commit_callbacks
):
    complaint = close(firm, fed_back(firm, register(firm)))
    assert complaint.handled_in_time is True
    # The escalation of the first round must not carry over into the second.
    Complaint.objects.filter(pk=complaint.pk).update(escalation_level=1, escalated_at=NOW)
    complaint.refresh_from_db()
    _clock.move_to(at(2026, 11, 20, 10), tick=False)  # a Friday
    with django_capture_on_commit_callbacks(execute=True):
        complaint = services.complaint_reopen(
            complaint=complaint, reason="滞纳金仍未退回", by=firm.staff.service
        )
    assert complaint.status == S.REOPENED and complaint.reopen_count == 1
    assert complaint.due_on == dt.date(2026, 11, 27)
    assert (complaint.escalation_level, complaint.escalated_at) == (0, None)
    assert complaint.closed_at is None and complaint.client_confirmation == ""
    assert "投诉已重新打开：TS2026-0001 深圳市顶峰科技有限公司" in inbox(firm.staff.head)
    _clock.move_to(at(2026, 12, 1, 10), tick=False)  # past the new deadline
    complaint = handled(firm, complaint)
    assert complaint.handled_in_time is True  # the first answer was in time
    assert complaint.handled_at == at(2026, 12, 1, 10)
    complaint = services.complaint_reopen(
        complaint=services.complaint_feed_back(
            complaint=complaint, feedback="告知", by=firm.staff.service
        ),
        reason="again",
        by=firm.staff.service,
    )
    assert complaint.reopen_count == 2


def test_transfer_to_another_department(firm, django_capture_on_commit_callbacks):
    complaint = services.complaint_start(complaint=register(firm), by=firm.staff.head)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = services.complaint_transfer(
            complaint=complaint, department=firm.d2, note="二部负责申报", by=firm.staff.head
        )
    assert complaint.department == firm.d2 and complaint.handler == firm.staff.head2
    assert complaint.status == S.INVESTIGATING and complaint.due_on == dt.date(2026, 11, 9)
    assert inbox(firm.staff.head2) == ["客户投诉已转交您的部门：TS2026-0001 深圳市顶峰科技有限公司"]
    step = complaint.steps.get(action="transfer")
    assert step.note == "由服务一部转交服务二部（负责人：主管戊）：二部负责申报"
    with pytest.raises(DomainError) as error:
        services.complaint_transfer(complaint=complaint, department=firm.d2, by=firm.staff.admin)
    assert error.value.field == "department"
    # The former department's head no longer decides on it.
    with pytest.raises(DomainError):
        services.complaint_transfer(complaint=complaint, department=firm.d1, by=firm.staff.head)
    # Once handled it stays with the department that handled it.
    complaint = services.complaint_handle(
        complaint=complaint, investigation="查", resolution="改", by=firm.staff.head2
    )
    with pytest.raises(TransitionNotAllowed, match="未处理完毕"):
        services.complaint_transfer(complaint=complaint, department=firm.d1, by=firm.staff.admin)


# --- Who may do what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "handle", "follow_up", "transfer"),
    [
        ("service", False, True, False),  # registered it, and the client's customer service
        ("head", True, True, True),  # the handler, head of the complaint's department
        ("head2", False, False, False),
        ("accountant", False, False, False),
        ("stranger", False, False, False),
        ("outsider", False, False, False),
        ("admin", True, True, True),
    ],
)
def test_permission_matrix(firm, who, handle, follow_up, transfer):
    complaint = register(firm)
    user = getattr(firm.staff, who)
    assert services.can_handle(user, complaint) is handle
    assert services.can_follow_up(user, complaint) is follow_up
    assert services.can_transfer(user, complaint) is transfer
    if not handle:
        with pytest.raises(DomainError, match="只有处理负责人"):
            services.complaint_start(complaint=complaint, by=user)


def test_the_clients_customer_service_follows_up_a_complaint_a_head_registered(firm):
    colleague = UserFactory(username="cs2", department=firm.d1, roles=["service"])
    complaint = fed_back(firm, register(firm, by=firm.staff.head))
    assert complaint.registered_by == firm.staff.head
    with pytest.raises(DomainError, match="只有登记人"):
        services.complaint_close(
            complaint=complaint,
            client_confirmation="确认",
            root_cause=RootCause.PROCESS,
            corrective_action="改流程",
            by=colleague,
        )
    # close() acts as 客服甲, the client's customer service.
    assert close(firm, complaint).status == S.CLOSED


def test_the_handler_is_not_told_of_their_own_reopening(firm, django_capture_on_commit_callbacks):
    complaint = fed_back(firm, register(firm))
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_reopen(complaint=complaint, reason="再查", by=firm.staff.head)
    assert not [t for t in inbox(firm.staff.head) if "重新打开" in t]


# --- Escalation ---------------------------------------------------------------------------------


def test_escalation_levels_and_idempotence(firm, _clock, django_capture_on_commit_callbacks):
    second_admin = UserFactory(username="boss", department=None, roles=["admin"])
    complaint = register(firm)  # due Monday Nov 9
    other = register(firm)
    handled(firm, other)  # handled: never escalated
    with django_capture_on_commit_callbacks(execute=True):
        _clock.move_to(at(2026, 11, 9, 23), tick=False)
        assert services.escalate_overdue_complaints() == 0  # still the due day
        _clock.move_to(at(2026, 11, 10, 8), tick=False)
        assert services.escalate_overdue_complaints() == 1
        assert services.escalate_overdue_complaints() == 0  # idempotent
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1 and complaint.escalated_at == at(2026, 11, 10, 8)
    title = "客户投诉超期未处理（第 1 次上报）：TS2026-0001 深圳市顶峰科技有限公司"
    assert inbox(firm.staff.admin) == [title] and inbox(second_admin) == [title]
    assert title in inbox(firm.staff.head)  # the handler learns it went up
    # Level 2 after complaints.reescalation_days (3) more working days: Nov 11, 12, 13.
    with django_capture_on_commit_callbacks(execute=True):
        _clock.move_to(at(2026, 11, 13, 20), tick=False)
        assert services.escalate_overdue_complaints() == 0
        _clock.move_to(at(2026, 11, 14, 9), tick=False)  # Saturday: past the second deadline
        assert services.escalate_overdue_complaints() == 1
        _clock.move_to(at(2026, 11, 30, 9), tick=False)
        assert services.escalate_overdue_complaints() == 0  # never a level twice, nor a third
    complaint.refresh_from_db()
    assert complaint.escalation_level == 2
    assert len(inbox(firm.staff.admin)) == 2
    assert [s for s in steps(complaint) if s[0] == "escalate"] == [
        ("escalate", S.REGISTERED, S.REGISTERED),
        ("escalate", S.REGISTERED, S.REGISTERED),
    ]
    assert (
        AuditEvent.objects.filter(object_id=str(complaint.pk), detail__contains="上报").count() == 2
    )


def test_escalation_goes_one_level_per_run_and_the_command_runs_it(firm, _clock):
    complaint = register(firm)
    _clock.move_to(at(2026, 12, 31, 9), tick=False)  # long overdue when the job first runs
    from io import StringIO

    out = StringIO()
    call_command("escalate_overdue_complaints", stdout=out)
    assert "Escalated 1 overdue complaint(s)." in out.getvalue()
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1
    call_command("escalate_overdue_complaints", stdout=StringIO())
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1


def test_a_reopened_complaint_escalates_again(firm, _clock, django_capture_on_commit_callbacks):
    complaint = register(firm)
    _clock.move_to(at(2026, 11, 10, 9), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_overdue_complaints()
    complaint = fed_back(firm, Complaint.objects.get(pk=complaint.pk))
    complaint = services.complaint_reopen(
        complaint=complaint, reason="不满意", by=firm.staff.service
    )
    _clock.move_to(at(2026, 11, 18, 9), tick=False)  # past the new deadline (Nov 17)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate_overdue_complaints() == 1
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1
    assert len(inbox(firm.staff.admin)) == 2  # the second round is announced too


def test_a_refused_registration_gives_its_number_back(firm):
    with pytest.raises(DomainError):
        register(firm, matter="")
    assert register(firm).number == "TS2026-0001"
