"""Return visits (policy 四（一）): planned per client by tier and service term, recorded with the
client's satisfaction and opinions; each problem the client raises is forwarded to a department
head as a task (四（一）3), and closes only once its result has been reported back to the client.

Every write is audited on the client, so the client's history shows its visits; status changes
go through one service per transition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.care.models import (
    ProblemStatus,
    ReturnVisit,
    ReturnVisitStatus,
    VisitMethod,
    VisitProblem,
)
from zhangfang.care.wiring.visits import (
    NEW_CLIENT_MONTHS,
    PROBLEM_DAYS,
    VISIT_MONTHS_BASIC,
    VISIT_MONTHS_KEY,
    VISIT_MONTHS_NEW,
    VISIT_MONTHS_STANDARD,
)
from zhangfang.clients.models import Client, ClientStatus, ImportanceTier
from zhangfang.contracts.models import Contract
from zhangfang.core import audit, policy
from zhangfang.core.calendar import add_months, add_working_days, is_working_day
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.roles import is_admin_or_head_of
from zhangfang.delivery.services.generation import SERVING_CONTRACTS
from zhangfang.notifications.services import notify
from zhangfang.staff.models import Department, User
from zhangfang.staff.selectors import department_heads, first_head_by_department

V = ReturnVisitStatus
P = ProblemStatus

VISIT_FIELDS = [
    "due_on",
    "staff",
    "status",
    "method",
    "contact",
    "visited_at",
    "satisfaction",
    "opinions",
    "summary",
    "cancel_reason",
]
PROBLEM_FIELDS = [
    "description",
    "department",
    "assignee",
    "due_on",
    "status",
    "result",
    "informed_how",
]

#: Policy setting holding each tier's visit interval, in months.
TIER_MONTHS_SETTING = {
    ImportanceTier.KEY: VISIT_MONTHS_KEY,
    ImportanceTier.STANDARD: VISIT_MONTHS_STANDARD,
    ImportanceTier.BASIC: VISIT_MONTHS_BASIC,
}

# ---------------------------------------------------------------------------------------------
# Interval adjusters: later chapters (risk, 六) shorten the interval of risky clients ("回访周期
# 根据客户重要程度和服务期限等因素确定") without this module knowing them.
# ---------------------------------------------------------------------------------------------

IntervalAdjuster = Callable[[Client, int], int]

#: Functions ``(client, months) -> months`` applied in order to each client's interval.
INTERVAL_ADJUSTERS: list[IntervalAdjuster] = []


def register_interval_adjuster(fn: IntervalAdjuster) -> IntervalAdjuster:
    """Add ``fn`` to the adjusters (once); usable as a decorator."""
    if fn not in INTERVAL_ADJUSTERS:
        INTERVAL_ADJUSTERS.append(fn)
    return fn


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def can_manage(user, client: Client) -> bool:
    """Plan a visit by hand or cancel one: the client's customer service, a head of the client's
    department, an administrator."""
    return client.customer_service_id == user.pk or is_admin_or_head_of(user, client.department_id)


def can_record(user, visit: ReturnVisit) -> bool:
    """Record or reschedule a visit: its staff, and whoever may manage the client's visits."""
    return visit.staff_id == user.pk or can_manage(user, visit.client)


def can_resolve(user, problem: VisitProblem) -> bool:
    """Record a problem's result: the head it was given to, a head of its department, an admin."""
    return problem.assignee_id == user.pk or is_admin_or_head_of(user, problem.department_id)


def can_inform(user, problem: VisitProblem) -> bool:
    """Record how the result was reported to the client: the visit's staff, the client's
    customer service (or a head of the client's department, an administrator)."""
    return can_record(user, problem.visit)


def visit_actions(user, visit: ReturnVisit) -> dict[str, bool]:
    """The actions ``user`` may take on ``visit`` now (the detail page shows these)."""
    planned = visit.status == V.PLANNED
    return {
        "record": planned and can_record(user, visit),
        "reschedule": planned and can_record(user, visit),
        "cancel": planned and can_manage(user, visit.client),
    }


def problem_actions(user, problem: VisitProblem) -> dict[str, bool]:
    return {
        "resolve": problem.status == P.FORWARDED and can_resolve(user, problem),
        "inform": problem.status == P.RESOLVED and can_inform(user, problem),
    }


# ---------------------------------------------------------------------------------------------
# The schedule
# ---------------------------------------------------------------------------------------------


def on_or_after_working_day(day: dt.date) -> dt.date:
    """``day`` if it is a working day, else the next working day (a visit due on 国庆 moves to
    the first day back)."""
    return day if is_working_day(day) else add_working_days(day, 1)


@dataclass(frozen=True)
class Schedule:
    """The policy settings the schedule reads, read once per planning run."""

    tier_months: Mapping[str, int]
    new_client_months: int
    new_months: int

    @classmethod
    def current(cls) -> Schedule:
        return cls(
            tier_months={tier: int(policy.get(key)) for tier, key in TIER_MONTHS_SETTING.items()},
            new_client_months=int(policy.get(NEW_CLIENT_MONTHS)),
            new_months=int(policy.get(VISIT_MONTHS_NEW)),
        )


def interval_months(
    client: Client, *, service_start: dt.date, today: dt.date, schedule: Schedule | None = None
) -> int:
    """How many months after the last visit the next one is due.

    The tier's interval; for a client still within the new-client term of its service start,
    the new-client interval when that is shorter (being new never makes visits rarer); then each
    registered adjuster in turn. At least one month.
    """
    schedule = schedule or Schedule.current()
    months = schedule.tier_months.get(client.tier, schedule.tier_months[ImportanceTier.STANDARD])
    if today < add_months(service_start, schedule.new_client_months):
        months = min(months, schedule.new_months)
    for adjust in INTERVAL_ADJUSTERS:
        months = int(adjust(client, months))
    return max(1, months)


def scheduled_on(
    client: Client,
    *,
    service_start: dt.date,
    last_visit: dt.date | None,
    today: dt.date,
    schedule: Schedule | None = None,
) -> dt.date:
    """The date the schedule gives, before moving it off a rest day: the last done visit's date
    (else the service start) plus the interval; a first visit is never planned before today."""
    months = interval_months(client, service_start=service_start, today=today, schedule=schedule)
    due = add_months(last_visit or service_start, months)
    return max(due, today) if last_visit is None else due


def next_due_on(
    client: Client,
    *,
    service_start: dt.date,
    last_visit: dt.date | None,
    today: dt.date,
    schedule: Schedule | None = None,
) -> dt.date:
    """The due date of the client's next visit: :func:`scheduled_on`, moved to the next working
    day when it is not one."""
    return on_or_after_working_day(
        scheduled_on(
            client,
            service_start=service_start,
            last_visit=last_visit,
            today=today,
            schedule=schedule,
        )
    )


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def service_start_of(client: Client) -> dt.date:
    """The earliest start of the client's contracts in force or ended (those the firm serves or
    served under), else the day the client was entered."""
    start = Contract.objects.filter(client=client, status__in=SERVING_CONTRACTS).aggregate(
        start=Min("start_date")
    )["start"]
    return start or _local_date(client.created_at)


def last_visit_of(client: Client) -> dt.date | None:
    """The date of the client's latest done visit, if any."""
    last = ReturnVisit.objects.filter(client=client, status=V.DONE).aggregate(
        last=Max("visited_at")
    )["last"]
    return _local_date(last)


def default_staff(client: Client, heads: Mapping[int, User] | None = None) -> User | None:
    """Who visits: the client's customer service when active, else a head of its department
    (an administrator when the department has none)."""
    service = client.customer_service
    if service is not None and service.is_active:
        return service
    if heads is not None and client.department_id in heads:
        return heads[client.department_id]
    candidates = department_heads(client.department)
    return candidates[0] if candidates else None


def _url(visit: ReturnVisit) -> str:
    return reverse("care:visit_detail", args=[visit.pk])


def _record_visit(visit: ReturnVisit, *, action: str, by, before: dict | None, detail: str = ""):
    after = audit.snapshot(visit, VISIT_FIELDS)
    audit.record(
        action=action,
        by=by,
        obj=visit,
        anchor=visit.client,
        changes=audit.created(after) if before is None else audit.diff(before, after),
        detail=detail,
    )


def _plan_next(client: Client, *, today: dt.date, by) -> ReturnVisit | None:
    """Plan the client's next visit if it is in service and has none planned."""
    if client.status != ClientStatus.ACTIVE:
        return None
    if ReturnVisit.objects.filter(client=client, status=V.PLANNED).exists():
        return None
    visit = ReturnVisit.objects.create(
        client=client,
        due_on=next_due_on(
            client,
            service_start=service_start_of(client),
            last_visit=last_visit_of(client),
            today=today,
        ),
        staff=default_staff(client),
        planned_automatically=True,
    )
    _record_visit(visit, action="create", by=by, before=None, detail=_("按回访周期生成回访计划"))
    return visit


@transaction.atomic
def plan_return_visits(*, today: dt.date | None = None, by=None) -> dict[str, int]:
    """Plan a visit for every client in service that has none planned, and cancel the planned
    visits of clients no longer in service. Idempotent: a second run creates nothing.

    Works in bulk (a handful of queries whatever the number of clients): service starts, last
    visits, planned visits and department heads are each read once. Returns the counts
    ``clients`` (in service), ``created`` and ``cancelled``.
    """
    today = today or timezone.localdate()
    schedule = Schedule.current()
    cancelled = ReturnVisit.objects.filter(status=V.PLANNED).exclude(
        client__status=ClientStatus.ACTIVE
    )
    cancelled_count = cancelled.update(
        status=V.CANCELLED,
        cancel_reason=_("客户已不在服务中"),
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    starts = dict(
        Contract.objects.filter(status__in=SERVING_CONTRACTS, client__status=ClientStatus.ACTIVE)
        .values("client_id")
        .annotate(start=Min("start_date"))
        .values_list("client_id", "start")
    )
    last_visits = {
        client_id: _local_date(last)
        for client_id, last in ReturnVisit.objects.filter(
            status=V.DONE, client__status=ClientStatus.ACTIVE
        )
        .values("client_id")
        .annotate(last=Max("visited_at"))
        .values_list("client_id", "last")
    }
    heads: dict[int, User] = first_head_by_department()
    admins = department_heads(None)
    fallback = admins[0].pk if admins else None
    in_service = Client.objects.filter(status=ClientStatus.ACTIVE)
    total = in_service.count()
    # Only the clients still to plan are loaded, so the daily run after the first is quick.
    clients = (
        in_service.exclude(pk__in=ReturnVisit.objects.filter(status=V.PLANNED).values("client_id"))
        .only("id", "name", "tier", "status", "created_at", "department_id", "customer_service_id")
        .annotate(service_active=F("customer_service__is_active"))
        .order_by("pk")
    )
    # Thousands of clients share a handful of due dates: ask the calendar once per date.
    working: dict[dt.date, dt.date] = {}
    rows = []
    for client in clients.iterator(chunk_size=2000):
        if client.customer_service_id is not None and client.service_active:
            staff_id = client.customer_service_id
        elif client.department_id in heads:
            staff_id = heads[client.department_id].pk
        else:
            staff_id = fallback
        due = scheduled_on(
            client,
            service_start=starts.get(client.pk) or _local_date(client.created_at),
            last_visit=last_visits.get(client.pk),
            today=today,
            schedule=schedule,
        )
        if due not in working:
            working[due] = on_or_after_working_day(due)
        rows.append(
            ReturnVisit(
                client_id=client.pk,
                due_on=working[due],
                staff_id=staff_id,
                planned_automatically=True,
            )
        )
    ReturnVisit.objects.bulk_create(rows, batch_size=500)
    if rows or cancelled_count:
        audit.record(
            action="generate",
            by=by,
            object_type="care.returnvisit",
            object_id=today.isoformat(),
            object_repr=_("%(day)s 回访计划") % {"day": today.isoformat()},
            detail=_("生成 %(created)d 条，取消 %(cancelled)d 条（%(clients)d 户服务中客户）")
            % {"created": len(rows), "cancelled": cancelled_count, "clients": total},
        )
    return {"clients": total, "created": len(rows), "cancelled": cancelled_count}


# ---------------------------------------------------------------------------------------------
# Visits planned by hand, rescheduled, cancelled
# ---------------------------------------------------------------------------------------------


def _locked(visit: ReturnVisit) -> ReturnVisit:
    """The visit re-read under a row lock, so two clicks cannot both pass the status check."""
    return (
        ReturnVisit.objects.select_for_update(of=("self",))
        .select_related("client", "staff", "contact")
        .get(pk=visit.pk)
    )


def _save(visit: ReturnVisit, fields: list[str]) -> None:
    visit.version = F("version") + 1
    visit.save(update_fields=[*fields, "version", "updated_at"])
    visit.refresh_from_db(fields=["version"])


def _require_planned(visit: ReturnVisit) -> None:
    if visit.status != V.PLANNED:
        raise TransitionNotAllowed(
            _("状态为“%(status)s”的回访不能再修改。") % {"status": visit.get_status_display()}
        )


def _check_staff(staff: User | None) -> None:
    if staff is not None and not staff.is_active:
        raise DomainError(_("不能安排给已停用的员工。"), field="staff")


def move_planned_visits(*, client, field: str, old_user_id: int | None, new_user, by) -> int:
    """When ``client``'s customer-service member is replaced, give the new member the planned
    visits the old one was to make (a team hook, run inside the client edit's transaction).

    Visits already made keep who made them; another member's visits are not touched; nothing
    moves when the post is left empty. One audit event on the client says how many moved.
    """
    if field != "customer_service" or new_user is None or old_user_id in (None, new_user.pk):
        return 0
    moved = ReturnVisit.objects.filter(
        client=client, staff_id=old_user_id, status=V.PLANNED
    ).update(staff=new_user, version=F("version") + 1, updated_at=timezone.now())
    if moved:
        audit.record(
            action="update",
            by=by,
            obj=client,
            changes={
                _("回访人"): [str(User.objects.filter(pk=old_user_id).first()), str(new_user)]
            },
            detail=_("随客服专员调整转交待回访 %(count)s 次") % {"count": moved},
        )
    return moved


@transaction.atomic
def visit_create(*, client: Client, due_on: dt.date, staff: User | None = None, by) -> ReturnVisit:
    """Plan a visit by hand (a client asked for one, or a matter needs it).

    The client's customer service, a head of its department or an administrator; the client must
    be in service and have no visit planned already (a client has one planned visit at a time:
    reschedule that one instead). ``staff`` defaults to the client's customer service.
    """
    if not can_manage(by, client):
        raise DomainError(_("只有客户的客服专员、部门负责人或管理员可以安排回访。"))
    if client.status != ClientStatus.ACTIVE:
        raise DomainError(_("只能为服务中的客户安排回访。"))
    if due_on < timezone.localdate():
        raise DomainError(_("计划回访日期不能早于今天。"), field="due_on")
    _check_staff(staff)
    # Locks the client row, so two people planning at once cannot both pass the check below.
    Client.objects.select_for_update().filter(pk=client.pk).first()
    if ReturnVisit.objects.filter(client=client, status=V.PLANNED).exists():
        raise DomainError(_("该客户已有待回访的计划，请修改那条计划的日期。"))
    visit = ReturnVisit.objects.create(
        client=client,
        due_on=due_on,
        staff=staff or default_staff(client),
        planned_automatically=False,
    )
    _record_visit(visit, action="create", by=by, before=None, detail=_("手工安排回访"))
    if visit.staff is not None and visit.staff.pk != getattr(by, "pk", None):
        recipients = [visit.staff]
        title = _("新的回访任务：%(client)s（%(due)s）") % {
            "client": client.name,
            "due": due_on.isoformat(),
        }
        url = _url(visit)
        transaction.on_commit(lambda: notify(recipients=recipients, title=title, url=url))
    return visit


@transaction.atomic
def visit_reschedule(*, visit: ReturnVisit, due_on: dt.date, reason: str, by) -> ReturnVisit:
    """Move a planned visit to another date, with the reason (the client is away, …)."""
    visit = _locked(visit)
    if not can_record(by, visit):
        raise DomainError(_("您不能修改此回访计划。"))
    _require_planned(visit)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写改期原因。"), field="reason")
    if due_on < timezone.localdate():
        raise DomainError(_("计划回访日期不能早于今天。"), field="due_on")
    if due_on == visit.due_on:
        raise DomainError(_("新日期与原计划日期相同。"), field="due_on")
    before = audit.snapshot(visit, VISIT_FIELDS)
    visit.due_on = due_on
    _save(visit, ["due_on"])
    _record_visit(visit, action="update", by=by, before=before, detail=_("改期：%s") % reason)
    return visit


@transaction.atomic
def visit_cancel(*, visit: ReturnVisit, reason: str, by) -> ReturnVisit:
    """Cancel a planned visit, with the reason. The next planning run plans a new one while the
    client is in service, counted from its last done visit."""
    visit = _locked(visit)
    if not can_manage(by, visit.client):
        raise DomainError(_("只有客户的客服专员、部门负责人或管理员可以取消回访。"))
    _require_planned(visit)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写取消原因。"), field="reason")
    before = audit.snapshot(visit, VISIT_FIELDS)
    visit.status = V.CANCELLED
    visit.cancel_reason = reason[:200]
    _save(visit, ["status", "cancel_reason"])
    _record_visit(visit, action="update", by=by, before=before, detail=_("取消回访"))
    return visit


# ---------------------------------------------------------------------------------------------
# Recording a visit and forwarding the problems raised
# ---------------------------------------------------------------------------------------------


def _problem_assignee(department: Department) -> User | None:
    heads = department_heads(department)
    return heads[0] if heads else None


def _forward(visit: ReturnVisit, *, description: str, department: Department, today, by):
    problem = VisitProblem.objects.create(
        visit=visit,
        description=description,
        department=department,
        assignee=_problem_assignee(department),
        due_on=add_working_days(today, int(policy.get(PROBLEM_DAYS))),
    )
    audit.record(
        action="create",
        by=by,
        obj=problem,
        anchor=visit.client,
        changes=audit.created(audit.snapshot(problem, PROBLEM_FIELDS)),
        detail=_("回访问题转交%s") % department.name,
    )
    if problem.assignee is not None:
        recipients = [problem.assignee]
        title = _("回访问题待处理：%(client)s") % {"client": visit.client.name}
        body = _("%(text)s\n请在 %(due)s 前处理并反馈结果。") % {
            "text": description,
            "due": problem.due_on.isoformat(),
        }
        url, key = _url(visit), f"care.visitproblem.{problem.pk}.forwarded"
        transaction.on_commit(
            lambda: notify(recipients=recipients, title=title, body=body, url=url, dedupe_key=key)
        )
    return problem


@transaction.atomic
def visit_record(
    *,
    visit: ReturnVisit,
    data: Mapping[str, Any],
    problems: Iterable[Mapping[str, Any]] = (),
    by,
) -> ReturnVisit:
    """Record a visit: ``data`` holds ``method``, ``contact``, ``visited_at``, ``satisfaction``
    (1–5), ``opinions`` and ``summary``; each of ``problems`` a ``description`` and the
    ``department`` to forward it to.

    The visit is closed (已回访), each problem goes to a head of its department with a deadline
    in working days (the head is told after the transaction commits), and the client's next
    visit is planned, all in one transaction. The visit's staff, the client's customer service,
    heads of the client's department and administrators may record.
    """
    visit = _locked(visit)
    if not can_record(by, visit):
        raise DomainError(_("只有回访人、客户的客服专员、部门负责人或管理员可以记录回访。"))
    _require_planned(visit)
    method = data.get("method") or ""
    if method not in VisitMethod.values:
        raise DomainError(_("请选择回访方式。"), field="method")
    contact = data.get("contact")
    if contact is not None and contact.client_id != visit.client_id:
        raise DomainError(_("受访人不属于此客户。"), field="contact")
    now = timezone.now()
    visited_at = data.get("visited_at") or now
    if visited_at > now:
        raise DomainError(_("回访时间不能晚于现在。"), field="visited_at")
    satisfaction = data.get("satisfaction")
    if satisfaction is None or not 1 <= int(satisfaction) <= 5:
        raise DomainError(_("请选择 1–5 分的满意度。"), field="satisfaction")
    summary = (data.get("summary") or "").strip()
    if not summary:
        raise DomainError(_("请填写回访记录。"), field="summary")
    raised = []
    for problem in problems:
        description = (problem.get("description") or "").strip()
        department = problem.get("department")
        if not description and department is None:
            continue
        if not description or department is None:
            raise DomainError(_("每个问题都须填写问题描述并选择转交部门。"))
        raised.append((description, department))

    before = audit.snapshot(visit, VISIT_FIELDS)
    visit.status = V.DONE
    visit.method = method
    visit.contact = contact
    visit.visited_at = visited_at
    visit.satisfaction = int(satisfaction)
    visit.opinions = (data.get("opinions") or "").strip()
    visit.summary = summary
    visit.recorded_by = by
    _save(
        visit,
        [
            "status",
            "method",
            "contact",
            "visited_at",
            "satisfaction",
            "opinions",
            "summary",
            "recorded_by",
        ],
    )
    _record_visit(visit, action="update", by=by, before=before, detail=_("记录回访"))
    today = timezone.localdate()
    for description, department in raised:
        _forward(visit, description=description, department=department, today=today, by=by)
    _plan_next(visit.client, today=today, by=by)
    return visit


# ---------------------------------------------------------------------------------------------
# Problems: result, then reporting back to the client
# ---------------------------------------------------------------------------------------------


def _locked_problem(problem: VisitProblem) -> VisitProblem:
    return (
        VisitProblem.objects.select_for_update(of=("self",))
        .select_related("visit", "visit__client", "visit__staff", "department", "assignee")
        .get(pk=problem.pk)
    )


def _save_problem(problem: VisitProblem, fields: list[str]) -> None:
    problem.version = F("version") + 1
    problem.save(update_fields=[*fields, "version"])
    problem.refresh_from_db(fields=["version"])


def _record_problem(problem: VisitProblem, *, by, before: dict, detail: str) -> None:
    audit.record(
        action="update",
        by=by,
        obj=problem,
        anchor=problem.visit.client,
        changes=audit.diff(before, audit.snapshot(problem, PROBLEM_FIELDS)),
        detail=detail,
    )


@transaction.atomic
def problem_resolve(*, problem: VisitProblem, result: str, by) -> VisitProblem:
    """The department's result for a forwarded problem (→ 已处理待告知); the visit's staff (or
    the client's customer service) is told to report it to the client."""
    problem = _locked_problem(problem)
    if not can_resolve(by, problem):
        raise DomainError(_("只有转交部门的负责人或管理员可以记录处理结果。"))
    if problem.status != P.FORWARDED:
        raise TransitionNotAllowed(
            _("状态为“%(status)s”的问题不能再记录处理结果。")
            % {"status": problem.get_status_display()}
        )
    result = (result or "").strip()
    if not result:
        raise DomainError(_("请填写处理结果。"), field="result")
    before = audit.snapshot(problem, PROBLEM_FIELDS)
    problem.status = P.RESOLVED
    problem.result = result
    problem.resolved_by = by
    problem.resolved_at = timezone.now()
    _save_problem(problem, ["status", "result", "resolved_by", "resolved_at"])
    _record_problem(problem, by=by, before=before, detail=_("记录处理结果"))
    visit = problem.visit
    reporter = visit.staff or visit.client.customer_service
    if reporter is not None and reporter.pk != getattr(by, "pk", None):
        recipients = [reporter]
        title = _("回访问题已处理，请告知客户：%(client)s") % {"client": visit.client.name}
        url, key = _url(visit), f"care.visitproblem.{problem.pk}.resolved"
        transaction.on_commit(
            lambda: notify(recipients=recipients, title=title, body=result, url=url, dedupe_key=key)
        )
    return problem


@transaction.atomic
def problem_inform(*, problem: VisitProblem, how: str, by) -> VisitProblem:
    """Record how the result was reported to the client (→ 已告知客户), which closes the problem.

    The only way a problem closes: never before the department has recorded a result, never
    without saying how the client was told.
    """
    problem = _locked_problem(problem)
    if not can_inform(by, problem):
        raise DomainError(_("只有回访人、客户的客服专员、部门负责人或管理员可以记录告知情况。"))
    if problem.status == P.FORWARDED or not problem.result.strip():
        raise TransitionNotAllowed(_("部门尚未反馈处理结果，不能告知客户并关闭问题。"))
    if problem.status != P.RESOLVED:
        raise TransitionNotAllowed(_("此问题已告知客户。"))
    how = (how or "").strip()
    if not how:
        raise DomainError(_("请填写告知客户的方式和内容。"), field="how")
    before = audit.snapshot(problem, PROBLEM_FIELDS)
    problem.status = P.CLOSED
    problem.informed_how = how[:100]
    problem.informed_by = by
    problem.informed_at = timezone.now()
    _save_problem(problem, ["status", "informed_how", "informed_by", "informed_at"])
    _record_problem(problem, by=by, before=before, detail=_("已告知客户：%s") % how)
    return problem
