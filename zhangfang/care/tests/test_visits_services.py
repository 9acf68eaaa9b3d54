"""Return-visit services: planning by tier and service term, the interval adjusters, idempotence
and cancellation, recording a visit (next visit, problems forwarded to a head with a deadline in
working days), the problem closure rule, permissions and the bulk planner's query count."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhangfang.care.models import ProblemStatus, ReturnVisit, ReturnVisitStatus, VisitProblem
from zhangfang.care.services import visits as services
from zhangfang.care.tests.factories import ReturnVisitFactory
from zhangfang.care.tests.factories_visits import at, done_visit, make_firm, serve
from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.contracts.models import ContractStatus
from zhangfang.core import policy
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.notifications.models import Notification
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)  # a Tuesday
PLANNED = ReturnVisitStatus.PLANNED


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 3, 10, 10), tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_firm()


@pytest.fixture
def adjusters():
    saved = list(services.INTERVAL_ADJUSTERS)
    yield services.INTERVAL_ADJUSTERS
    services.INTERVAL_ADJUSTERS[:] = saved


def planned_for(client) -> ReturnVisit:
    return ReturnVisit.objects.get(client=client, status=PLANNED)


def record_data(firm, **overrides) -> dict:
    data = {
        "method": "phone",
        "contact": firm.contact,
        "visited_at": at(2026, 3, 10, 9, 30),
        "satisfaction": 4,
        "opinions": "希望每月提前告知税款。",
        "summary": "电话回访财务负责人，了解本季度服务情况。",
    }
    data.update(overrides)
    return data


# --- Planning by tier and service term -----------------------------------------------------------


def test_tiers_set_the_interval_after_the_last_visit(firm):
    old = dt.date(2024, 1, 15)
    clients = {}
    for tier in ("A", "B", "C"):
        clients[tier] = ClientFactory(tier=tier, department=firm.d1)
        serve(clients[tier], old)
        done_visit(clients[tier], at(2026, 3, 2, 15))
    counts = services.plan_return_visits()
    assert counts["created"] == 4  # the three and acme (no contract: entered today)
    assert planned_for(clients["A"]).due_on == dt.date(2026, 6, 2)  # quarterly
    assert planned_for(clients["B"]).due_on == dt.date(2026, 9, 2)  # half-yearly
    assert planned_for(clients["C"]).due_on == dt.date(2026, 9, 2)


def test_tier_intervals_are_policy_settings(firm):
    policy.policy_value_set(key="care.visit_months_standard", raw="4", by=firm.staff.admin)
    b = ClientFactory(tier="B", department=firm.d1)
    serve(b, dt.date(2024, 1, 15))
    done_visit(b, at(2026, 3, 2, 15))
    services.plan_return_visits()
    assert planned_for(b).due_on == dt.date(2026, 7, 2)


def test_new_clients_are_visited_at_the_new_client_interval(firm):
    new_b = ClientFactory(tier="B", department=firm.d1)
    serve(new_b, dt.date(2025, 12, 10))  # within 12 months
    old_b = ClientFactory(tier="B", department=firm.d1)
    serve(old_b, dt.date(2025, 3, 2))  # past the new-client term
    done_visit(old_b, at(2026, 3, 2, 15))
    services.plan_return_visits()
    # 2025-12-10 + 3 months = 2026-03-10: today, not earlier.
    assert planned_for(new_b).due_on == TODAY
    assert planned_for(old_b).due_on == dt.date(2026, 9, 2)


def test_service_start_is_the_earliest_serving_contract_else_the_entry_date(firm):
    contracted = ClientFactory(tier="B", department=firm.d1)
    serve(contracted, dt.date(2026, 3, 5))
    serve(contracted, dt.date(2026, 2, 10), status=ContractStatus.EXPIRED)
    serve(contracted, dt.date(2025, 1, 1), status=ContractStatus.DRAFT)  # never served under
    services.plan_return_visits()
    # New client from 2026-02-10: + 3 months = 2026-05-10, a Sunday → Monday 2026-05-11.
    assert planned_for(contracted).due_on == dt.date(2026, 5, 11)
    # acme has no contract: entered today, so a new client from today.
    assert planned_for(firm.acme).due_on == dt.date(2026, 6, 10)


def test_a_first_visit_is_never_planned_before_today(firm):
    long_served = ClientFactory(tier="C", department=firm.d1)
    serve(long_served, dt.date(2020, 1, 6))
    services.plan_return_visits()
    assert planned_for(long_served).due_on == TODAY


def test_the_first_visit_moves_off_a_weekend_today(firm, _clock):
    _clock.move_to(at(2026, 3, 14, 10), tick=False)  # a Saturday
    long_served = ClientFactory(tier="C", department=firm.d1)
    serve(long_served, dt.date(2020, 1, 6))
    services.plan_return_visits()
    assert planned_for(long_served).due_on == dt.date(2026, 3, 16)


def test_due_date_on_national_day_moves_to_the_next_working_day(firm, _clock):
    _clock.move_to(at(2026, 7, 2, 10), tick=False)
    new_client = ClientFactory(tier="B", department=firm.d1)
    serve(new_client, dt.date(2026, 7, 2))  # new: 3 months → 2026-10-02, inside 国庆
    key = ClientFactory(tier="A", department=firm.d1)
    serve(key, dt.date(2024, 1, 1))
    done_visit(key, at(2026, 7, 1, 10))  # quarterly → 2026-10-01, 国庆
    services.plan_return_visits()
    assert planned_for(new_client).due_on == dt.date(2026, 10, 8)
    assert planned_for(key).due_on == dt.date(2026, 10, 8)


def test_adjusters_shorten_the_interval(firm, adjusters):
    risky = ClientFactory(tier="B", department=firm.d1, name="高风险贸易有限公司")
    serve(risky, dt.date(2024, 1, 15))
    done_visit(risky, at(2026, 3, 2, 15))
    calls = []

    @services.register_interval_adjuster
    def shorten_risky(client, months):
        calls.append((client.pk, months))
        return 2 if client.name.startswith("高风险") else months

    services.register_interval_adjuster(shorten_risky)  # registering twice keeps one
    assert services.INTERVAL_ADJUSTERS.count(shorten_risky) == 1
    services.plan_return_visits()
    assert planned_for(risky).due_on == dt.date(2026, 5, 6)  # 2026-05-02 is 劳动节 → 05-06
    assert (risky.pk, 6) in calls
    assert planned_for(firm.acme).due_on == dt.date(2026, 6, 10)  # untouched


def test_an_adjuster_cannot_go_below_one_month(firm, adjusters):
    services.register_interval_adjuster(lambda client, months: 0)
    serve(firm.acme, dt.date(2024, 1, 15))
    done_visit(firm.acme, at(2026, 3, 2, 15))
    services.plan_return_visits()
    assert planned_for(firm.acme).due_on == dt.date(2026, 4, 2)


def test_staff_is_customer_service_else_a_department_head(firm):
    firm.staff.colleague.is_active = False
    firm.staff.colleague.save()
    inactive = ClientFactory(department=firm.d1, customer_service=firm.staff.colleague)
    nobody = ClientFactory(department=firm.d2)
    no_department = ClientFactory(department=None)
    services.plan_return_visits()
    assert planned_for(firm.acme).staff == firm.staff.service
    assert planned_for(inactive).staff == firm.staff.head
    assert planned_for(nobody).staff == firm.staff.head2
    assert planned_for(no_department).staff == firm.staff.admin


def test_planning_is_idempotent_and_the_command_prints_counts(firm):
    ClientFactory.create_batch(2, department=firm.d1)
    ClientFactory(department=firm.d1, status=ClientStatus.PROSPECT)
    out = StringIO()
    call_command("plan_return_visits", stdout=out)
    assert "Clients in service: 3; planned 3 visit(s); cancelled 0" in out.getvalue()
    out = StringIO()
    call_command("plan_return_visits", stdout=out)
    assert "planned 0 visit(s); cancelled 0" in out.getvalue()
    assert ReturnVisit.objects.count() == 3
    event = AuditEvent.objects.get(object_type="care.returnvisit", action="generate")
    assert "生成 3 条" in event.detail


def test_visits_of_clients_no_longer_in_service_are_cancelled(firm):
    services.plan_return_visits()
    firm.acme.status = ClientStatus.TERMINATED
    firm.acme.save()
    counts = services.plan_return_visits()
    assert counts == {"clients": 0, "created": 0, "cancelled": 1}
    visit = ReturnVisit.objects.get(client=firm.acme)
    assert visit.status == ReturnVisitStatus.CANCELLED
    assert visit.cancel_reason == "客户已不在服务中"
    assert services.plan_return_visits()["cancelled"] == 0


def test_bulk_planning_query_count_does_not_grow_with_clients(firm):
    ClientFactory.create_batch(3, department=firm.d1)
    with CaptureQueriesContext(connection) as few:
        services.plan_return_visits()
    ReturnVisit.objects.all().delete()
    for c in ClientFactory.create_batch(30, department=firm.d2):
        serve(c, dt.date(2025, 6, 1))
        done_visit(c, at(2026, 1, 5, 10))
    with CaptureQueriesContext(connection) as many:
        counts = services.plan_return_visits()
    assert counts["created"] == 34
    # The first run also read the policy settings and calendar into the cache.
    assert len(many.captured_queries) <= len(few.captured_queries)
    assert len(many.captured_queries) <= 15


# --- Planning by hand, rescheduling, cancelling ------------------------------------------------


def test_visit_create_by_hand(firm):
    visit = services.visit_create(client=firm.acme, due_on=dt.date(2026, 3, 20), by=firm.staff.head)
    assert visit.staff == firm.staff.service and not visit.planned_automatically
    with pytest.raises(DomainError, match="已有待回访"):
        services.visit_create(client=firm.acme, due_on=dt.date(2026, 3, 25), by=firm.staff.head)
    # The planner leaves a client with a planned visit alone.
    assert services.plan_return_visits()["created"] == 0


@pytest.mark.parametrize("who", ["accountant", "colleague", "head2", "outsider", "sales"])
def test_visit_create_is_refused_to_others(firm, who):
    with pytest.raises(DomainError):
        services.visit_create(
            client=firm.acme, due_on=dt.date(2026, 3, 20), by=getattr(firm.staff, who)
        )


def test_visit_create_refuses_a_past_date(firm):
    with pytest.raises(DomainError) as error:
        services.visit_create(client=firm.acme, due_on=dt.date(2026, 3, 9), by=firm.staff.service)
    assert error.value.field == "due_on"


def test_reschedule_and_cancel_need_a_reason(firm):
    services.plan_return_visits()
    visit = planned_for(firm.acme)
    with pytest.raises(DomainError):
        services.visit_reschedule(
            visit=visit, due_on=dt.date(2026, 6, 15), reason=" ", by=firm.staff.service
        )
    services.visit_reschedule(
        visit=visit, due_on=dt.date(2026, 6, 15), reason="客户出差", by=firm.staff.service
    )
    visit.refresh_from_db()
    assert visit.due_on == dt.date(2026, 6, 15) and visit.version == 2
    event = AuditEvent.objects.filter(object_type="care.returnvisit", object_id=str(visit.pk))
    assert event.filter(detail="改期：客户出差").exists()
    with pytest.raises(DomainError):
        services.visit_cancel(visit=visit, reason="", by=firm.staff.service)
    with pytest.raises(DomainError):
        services.visit_cancel(visit=visit, reason="客户要求", by=firm.staff.accountant)
    services.visit_cancel(visit=visit, reason="客户要求", by=firm.staff.service)
    visit.refresh_from_db()
    assert visit.status == ReturnVisitStatus.CANCELLED and visit.cancel_reason == "客户要求"
    with pytest.raises(TransitionNotAllowed):
        services.visit_reschedule(
            visit=visit, due_on=dt.date(2026, 6, 20), reason="再改", by=firm.staff.service
        )


# --- Recording ----------------------------------------------------------------------------------


def test_recording_closes_the_visit_and_plans_the_next(firm, django_capture_on_commit_callbacks):
    serve(firm.acme, dt.date(2024, 1, 15))
    services.plan_return_visits()
    visit = planned_for(firm.acme)
    assert visit.due_on == TODAY
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_record(
            visit=visit,
            data=record_data(firm),
            problems=[
                {"description": "发票寄送太慢", "department": firm.d2},
                {"description": "", "department": None},  # a blank row
            ],
            by=firm.staff.service,
        )
    visit.refresh_from_db()
    assert visit.status == ReturnVisitStatus.DONE and visit.satisfaction == 4
    assert visit.recorded_by == firm.staff.service
    following = planned_for(firm.acme)
    assert following.pk != visit.pk and following.due_on == dt.date(2026, 6, 10)
    problem = VisitProblem.objects.get()
    assert problem.assignee == firm.staff.head2
    assert problem.due_on == dt.date(2026, 3, 13)  # three working days after Tuesday
    assert Notification.objects.filter(recipient=firm.staff.head2).count() == 1


def test_recording_in_the_week_before_national_day_counts_working_days(firm, _clock):
    _clock.move_to(at(2026, 9, 29, 10), tick=False)
    visit = services.visit_create(client=firm.acme, due_on=dt.date(2026, 9, 29), by=firm.staff.head)
    services.visit_record(
        visit=visit,
        data=record_data(firm, visited_at=at(2026, 9, 29, 9)),
        problems=[{"description": "希望上门辅导", "department": firm.d1}],
        by=firm.staff.service,
    )
    problem = VisitProblem.objects.get()
    assert problem.assignee == firm.staff.head
    # 09-30 is one working day, 10-01…10-07 are 国庆, then 10-08 and 10-09.
    assert problem.due_on == dt.date(2026, 10, 9)
    # acme was entered 2026-03-10 (new client): quarterly from the visit → 2026-12-29.
    assert planned_for(firm.acme).due_on == dt.date(2026, 12, 29)


def test_problem_days_is_a_policy_setting(firm):
    policy.policy_value_set(key="care.problem_days", raw="5", by=firm.staff.admin)
    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    services.visit_record(
        visit=visit,
        data=record_data(firm),
        problems=[{"description": "x", "department": firm.d1}],
        by=firm.staff.service,
    )
    assert VisitProblem.objects.get().due_on == dt.date(2026, 3, 17)


def test_a_department_without_a_head_goes_to_an_administrator(firm):
    from zhangfang.staff.tests.factories import DepartmentFactory

    empty = DepartmentFactory(name="行政部")
    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    services.visit_record(
        visit=visit,
        data=record_data(firm),
        problems=[{"description": "前台电话没人接", "department": empty}],
        by=firm.staff.service,
    )
    assert VisitProblem.objects.get().assignee == firm.staff.admin


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"method": ""}, "method"),
        ({"satisfaction": None}, "satisfaction"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"summary": "  "}, "summary"),
        ({"visited_at": at(2026, 3, 10, 11)}, "visited_at"),
    ],
)
def test_recording_validates(firm, overrides, field):
    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    with pytest.raises(DomainError) as error:
        services.visit_record(
            visit=visit, data=record_data(firm, **overrides), by=firm.staff.service
        )
    assert error.value.field == field
    visit.refresh_from_db()
    assert visit.status == PLANNED


def test_recording_refuses_a_contact_of_another_client_and_half_a_problem(firm):
    from zhangfang.clients.tests.factories import ContactFactory

    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    with pytest.raises(DomainError) as error:
        services.visit_record(
            visit=visit, data=record_data(firm, contact=ContactFactory()), by=firm.staff.service
        )
    assert error.value.field == "contact"
    with pytest.raises(DomainError, match="转交部门"):
        services.visit_record(
            visit=visit,
            data=record_data(firm),
            problems=[{"description": "只写了问题", "department": None}],
            by=firm.staff.service,
        )
    assert not VisitProblem.objects.exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("service", True),
        ("head", True),
        ("admin", True),
        ("accountant", False),
        ("colleague", False),
        ("head2", False),
        ("outsider", False),
    ],
)
def test_who_may_record(firm, who, allowed):
    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    if allowed:
        services.visit_record(visit=visit, data=record_data(firm), by=getattr(firm.staff, who))
        visit.refresh_from_db()
        assert visit.status == ReturnVisitStatus.DONE
    else:
        with pytest.raises(DomainError):
            services.visit_record(visit=visit, data=record_data(firm), by=getattr(firm.staff, who))


def test_the_visit_staff_may_record_even_outside_customer_service(firm):
    visitor = UserFactory(username="v", department=firm.d1, roles=["accountant"])
    visit = services.visit_create(client=firm.acme, due_on=TODAY, staff=visitor, by=firm.staff.head)
    services.visit_record(visit=visit, data=record_data(firm), by=visitor)
    visit.refresh_from_db()
    assert visit.status == ReturnVisitStatus.DONE


def test_a_done_visit_cannot_be_recorded_twice(firm):
    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    services.visit_record(visit=visit, data=record_data(firm), by=firm.staff.service)
    with pytest.raises(TransitionNotAllowed):
        services.visit_record(visit=visit, data=record_data(firm), by=firm.staff.service)


def test_recording_a_terminated_clients_visit_plans_nothing(firm):
    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    firm.acme.status = ClientStatus.SUSPENDED
    firm.acme.save()
    services.visit_record(visit=visit, data=record_data(firm), by=firm.staff.service)
    assert not ReturnVisit.objects.filter(status=PLANNED).exists()


# --- Problems: result, then reporting back ----------------------------------------------------


@pytest.fixture
def problem(firm):
    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    services.visit_record(
        visit=visit,
        data=record_data(firm),
        problems=[{"description": "发票寄送太慢", "department": firm.d2}],
        by=firm.staff.service,
    )
    return VisitProblem.objects.get()


def test_a_problem_cannot_close_before_its_result(firm, problem):
    with pytest.raises(TransitionNotAllowed, match="尚未反馈处理结果"):
        services.problem_inform(problem=problem, how="电话告知", by=firm.staff.service)
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.FORWARDED


def test_a_problem_cannot_close_without_reporting_back(firm, problem):
    with pytest.raises(DomainError) as error:
        services.problem_resolve(problem=problem, result="  ", by=firm.staff.head2)
    assert error.value.field == "result"
    services.problem_resolve(problem=problem, result="改用顺丰寄送", by=firm.staff.head2)
    with pytest.raises(DomainError) as error:
        services.problem_inform(problem=problem, how="", by=firm.staff.service)
    assert error.value.field == "how"
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RESOLVED


def test_the_whole_problem_flow_is_audited_and_notified(
    firm, problem, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.problem_resolve(problem=problem, result="改用顺丰寄送", by=firm.staff.head2)
    assert Notification.objects.filter(
        recipient=firm.staff.service, title__contains="请告知客户"
    ).exists()
    with pytest.raises(TransitionNotAllowed):
        services.problem_resolve(problem=problem, result="再处理", by=firm.staff.head2)
    services.problem_inform(problem=problem, how="电话告知王经理", by=firm.staff.service)
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED
    assert problem.resolved_by == firm.staff.head2 and problem.informed_by == firm.staff.service
    with pytest.raises(TransitionNotAllowed):
        services.problem_inform(problem=problem, how="再告知", by=firm.staff.service)
    events = AuditEvent.objects.filter(object_type="care.visitproblem", object_id=str(problem.pk))
    assert events.count() == 3
    assert set(events.values_list("anchor_type", flat=True)) == {"clients.client"}


@pytest.mark.parametrize(
    ("who", "resolve", "inform"),
    [
        ("head2", True, False),  # the department's head (the assignee)
        ("admin", True, True),
        ("service", False, True),  # the visit's staff and client's customer service
        ("head", False, True),  # a head of the client's department
        ("outsider", False, False),
        ("accountant", False, False),
    ],
)
def test_problem_permissions(firm, problem, who, resolve, inform):
    user = getattr(firm.staff, who)
    assert services.can_resolve(user, problem) is resolve
    problem.status = ProblemStatus.RESOLVED
    problem.result = "已处理"
    assert services.can_inform(user, problem) is inform
    if not resolve:
        problem.status = ProblemStatus.FORWARDED
        with pytest.raises(DomainError):
            services.problem_resolve(problem=problem, result="x", by=user)


def test_a_new_customer_service_member_takes_over_the_planned_visits():
    """Replacing the client's customer-service member on the client form moves the visit still
    to be made; the visit already made keeps who made it."""
    from zhangfang.clients.services import client_update

    dept = DepartmentFactory()
    old, new = (UserFactory(roles=["service"], department=dept) for _ in range(2))
    admin = UserFactory(roles=["admin"])
    acme = ClientFactory(department=dept, customer_service=old)
    done = ReturnVisitFactory(client=acme, staff=old, status=ReturnVisitStatus.DONE)
    planned = ReturnVisitFactory(client=acme, staff=old)
    client_update(
        client=acme, data={"customer_service": new}, expected_version=acme.version, by=admin
    )
    planned.refresh_from_db()
    done.refresh_from_db()
    assert (planned.staff, done.staff) == (new, old)
    assert AuditEvent.objects.filter(detail__contains="转交待回访 1 次").exists()
