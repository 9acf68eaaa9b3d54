"""Reads of return visits and the problems clients raised on them, always from the user's scope:
visits of the clients they may see, plus the visits and problems assigned to them (and, for a
department head, the problems forwarded to their department)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from zhangfang.care.models import ProblemStatus, ReturnVisit, ReturnVisitStatus, VisitProblem
from zhangfang.care.wiring.visits import VISIT_DUE_SOON_DAYS
from zhangfang.clients.models import Client, ClientStatus, Contact
from zhangfang.clients.selectors import ClientFilters, client_list, client_visible_q
from zhangfang.core import policy
from zhangfang.core.calendar import local_midnight
from zhangfang.core.models import AuditEvent
from zhangfang.core.roles import Role, roles_of
from zhangfang.staff.models import Department, User

V = ReturnVisitStatus
P = ProblemStatus

# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------


def _heads_department(user) -> int | None:
    if Role.DEPARTMENT_HEAD in roles_of(user) and user.department_id is not None:
        return user.department_id
    return None


def visit_scope_q(user) -> Q:
    """Visits ``user`` may see: their clients' (data scope), those they are to make, and those
    with a problem given to them or (for a head) forwarded to their department."""
    clients = client_visible_q(user, prefix="client__")
    if not clients:
        # An empty Q is "everything" (finance, administrators); OR-ing it would narrow it.
        return clients
    problems = Q(assignee=user.pk)
    department = _heads_department(user)
    if department is not None:
        problems |= Q(department=department)
    return (
        clients
        | Q(staff=user.pk)
        | Q(pk__in=VisitProblem.objects.filter(problems).values("visit_id"))
    )


def problem_scope_q(user) -> Q:
    """Problems ``user`` may see: those of their clients' visits, those given to them, those
    of the visits they made, and for a head those forwarded to their department."""
    clients = client_visible_q(user, prefix="visit__client__")
    if not clients:
        return clients
    condition = clients | Q(assignee=user.pk) | Q(visit__staff=user.pk)
    department = _heads_department(user)
    if department is not None:
        condition |= Q(department=department)
    return condition


def visits_visible_to(user) -> QuerySet[ReturnVisit]:
    return ReturnVisit.objects.filter(visit_scope_q(user))


def problems_visible_to(user) -> QuerySet[VisitProblem]:
    return VisitProblem.objects.filter(problem_scope_q(user))


def due_soon_days() -> int:
    return int(policy.get(VISIT_DUE_SOON_DAYS))


# ---------------------------------------------------------------------------------------------
# The visit list
# ---------------------------------------------------------------------------------------------

#: Sort keys of the list, each a tuple of ``order_by`` fields ending with a unique one.
VISIT_SORTS = {
    "due": ("due_on", "id"),
    "client": ("client__search_pinyin", "id"),
    "visited": ("visited_at", "id"),
    "satisfaction": ("satisfaction", "id"),
    "staff": ("staff__name", "id"),
}

#: The views of the list (the ``state`` filter).
STATE_DUE = "due"
STATE_OVERDUE = "overdue"
STATE_DONE = "done"
STATE_ALL = "all"
STATES = (STATE_DUE, STATE_OVERDUE, STATE_DONE, STATE_ALL)

#: What a row shows; loading only this keeps user rows (password hashes) out of the list.
VISIT_ROW_FIELDS = (
    "client_id",
    "due_on",
    "staff_id",
    "status",
    "method",
    "visited_at",
    "satisfaction",
    "planned_automatically",
    "client__name",
    "client__short_name",
    "client__tier",
    "client__search_pinyin",
    "client__department_id",
    "client__department__name",
    "staff__name",
    "staff__username",
)


@dataclass(frozen=True)
class VisitFilters:
    q: str = ""
    state: str = STATE_DUE
    mine: bool = False
    department: int | None = None
    method: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    client: int | None = None

    @property
    def active(self) -> bool:
        return any(
            (
                self.q,
                self.state != STATE_DUE,
                self.mine,
                self.department,
                self.method,
                self.date_from,
                self.date_to,
                self.client,
            )
        )


def _open_problem_count() -> Coalesce:
    counts = (
        VisitProblem.objects.filter(visit=OuterRef("pk"))
        .exclude(status=P.CLOSED)
        .order_by()
        .values("visit")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def visit_list(
    *, user, filters: VisitFilters, ordering: list[Any], today: dt.date
) -> QuerySet[ReturnVisit]:
    """The list page's visits, filtered and sorted, with what a row shows joined in.

    The date range applies to the visit date for done visits and to the planned date otherwise.
    """
    queryset = (
        visits_visible_to(user)
        .select_related("client", "client__department", "staff")
        .only(*VISIT_ROW_FIELDS)
        .annotate(open_problems=_open_problem_count())
    )
    if filters.state == STATE_DUE:
        queryset = queryset.filter(status=V.PLANNED)
    elif filters.state == STATE_OVERDUE:
        queryset = queryset.filter(status=V.PLANNED, due_on__lt=today)
    elif filters.state == STATE_DONE:
        queryset = queryset.filter(status=V.DONE)
    if filters.q:
        queryset = queryset.filter(
            Q(client__name__icontains=filters.q)
            | Q(client__short_name__icontains=filters.q)
            | Q(client__search_pinyin__contains=filters.q.lower())
        )
    if filters.mine:
        queryset = queryset.filter(staff=user.pk)
    if filters.department:
        queryset = queryset.filter(client__department=filters.department)
    if filters.method:
        queryset = queryset.filter(method=filters.method)
    if filters.client:
        queryset = queryset.filter(client=filters.client)
    if filters.state == STATE_DONE:
        if filters.date_from:
            queryset = queryset.filter(visited_at__gte=local_midnight(filters.date_from))
        if filters.date_to:
            end = local_midnight(filters.date_to + dt.timedelta(days=1))
            queryset = queryset.filter(visited_at__lt=end)
    else:
        if filters.date_from:
            queryset = queryset.filter(due_on__gte=filters.date_from)
        if filters.date_to:
            queryset = queryset.filter(due_on__lte=filters.date_to)
    return queryset.order_by(*ordering)


def due_flag(visit: ReturnVisit, *, today: dt.date, soon_days: int) -> str:
    """``overdue`` for a planned visit past its date, ``soon`` within the due-soon window."""
    if visit.status != V.PLANNED:
        return ""
    if visit.due_on < today:
        return "overdue"
    if visit.due_on <= today + dt.timedelta(days=soon_days):
        return "soon"
    return ""


def with_due_flags(rows: list[ReturnVisit], *, today: dt.date) -> list[ReturnVisit]:
    """Put each row's due flag on it (``row.flag``), computed in Python: no query."""
    soon = due_soon_days()
    for row in rows:
        row.flag = due_flag(row, today=today, soon_days=soon)
    return rows


def department_options() -> list[tuple[int, str]]:
    return list(
        Department.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
    )


def departments() -> QuerySet[Department]:
    """The departments a problem may be forwarded to."""
    return Department.objects.filter(is_active=True).order_by("name")


def staff_options() -> QuerySet[User]:
    """Active staff a visit may be given to."""
    return User.objects.filter(is_active=True).select_related("department").order_by("name", "id")


# ---------------------------------------------------------------------------------------------
# One visit
# ---------------------------------------------------------------------------------------------


def visit_get(*, user, pk: int) -> ReturnVisit | None:
    """The visit if ``user`` may see it, else None (the page answers 404)."""
    return (
        visits_visible_to(user)
        .select_related(
            "client",
            "client__department",
            "client__customer_service",
            "staff",
            "contact",
            "recorded_by",
        )
        .filter(pk=pk)
        .first()
    )


def visit_problems(visit: ReturnVisit) -> list[VisitProblem]:
    return list(
        VisitProblem.objects.filter(visit=visit)
        .select_related("department", "assignee", "resolved_by", "informed_by")
        .order_by("id")
    )


def client_recent_visits(
    client: Client, *, limit: int = 5, exclude: int | None = None
) -> list[ReturnVisit]:
    """The client's latest done visits, newest first."""
    queryset = ReturnVisit.objects.filter(client=client, status=V.DONE)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude)
    return list(queryset.select_related("staff", "contact").order_by("-visited_at", "-id")[:limit])


def client_open_problems(client: Client) -> list[VisitProblem]:
    """The client's problems not yet reported back, oldest deadline first."""
    return list(
        VisitProblem.objects.filter(visit__client=client)
        .exclude(status=P.CLOSED)
        .select_related("department", "assignee")
        .order_by("due_on", "id")
    )


def client_visits(client: Client) -> dict[str, Any]:
    """What the client page's 关系维护 tab shows of visits: the next planned visit (``next``),
    the last five done (``recent``) and the problems still open (``open_problems``)."""
    upcoming = (
        ReturnVisit.objects.filter(client=client, status=V.PLANNED)
        .select_related("staff")
        .order_by("due_on", "id")
        .first()
    )
    return {
        "next": upcoming,
        "recent": client_recent_visits(client),
        "open_problems": client_open_problems(client),
    }


def client_contacts(client: Client) -> QuerySet[Contact]:
    return Contact.objects.filter(client=client).order_by("-is_primary", "name", "id")


def visit_history(visit: ReturnVisit, problems: list[VisitProblem]) -> list[AuditEvent]:
    """The audit events of the visit and its problems (they are anchored on the client)."""
    condition = Q(object_type="care.returnvisit", object_id=str(visit.pk))
    if problems:
        condition |= Q(object_type="care.visitproblem", object_id__in=[str(p.pk) for p in problems])
    return list(AuditEvent.objects.filter(condition).order_by("-at", "-id")[:200])


def visit_client(*, user, pk: int) -> Client | None:
    """A client in service that ``user`` may see (and so plan a visit for)."""
    return (
        Client.objects.filter(client_visible_q(user), pk=pk, status=ClientStatus.ACTIVE)
        .select_related("customer_service", "department")
        .first()
    )


def visit_client_search(*, user, q: str, limit: int = 10) -> list[Client]:
    """Clients in service matching ``q`` (name, pinyin, credit code) for the picker."""
    if not q.strip():
        return []
    filters = ClientFilters(q=q, status=ClientStatus.ACTIVE)
    return list(client_list(user=user, filters=filters, table_row_only=True)[:limit])


# ---------------------------------------------------------------------------------------------
# The problem list
# ---------------------------------------------------------------------------------------------

PROBLEM_SORTS = {
    "due": ("due_on", "id"),
    "created": ("created_at", "id"),
    "client": ("visit__client__search_pinyin", "id"),
    "status": ("status", "due_on", "id"),
}

#: The ``state`` filter of the problem list ("" = all).
PROBLEM_OPEN = "open"
PROBLEM_RESOLVED = "resolved"
PROBLEM_CLOSED = "closed"
PROBLEM_STATE_STATUS = {
    PROBLEM_OPEN: P.FORWARDED,
    PROBLEM_RESOLVED: P.RESOLVED,
    PROBLEM_CLOSED: P.CLOSED,
}

#: The ``whose`` filter: given to me, or forwarded to my department.
WHOSE_MINE = "mine"
WHOSE_DEPARTMENT = "department"


@dataclass(frozen=True)
class ProblemFilters:
    q: str = ""
    state: str = ""
    whose: str = ""
    overdue: bool = False

    @property
    def active(self) -> bool:
        return any((self.q, self.state, self.whose, self.overdue))


def problem_list(
    *, user, filters: ProblemFilters, ordering: list[Any], today: dt.date
) -> QuerySet[VisitProblem]:
    """The problem list's rows; overdue = still with the department after its deadline."""
    queryset = problems_visible_to(user).select_related(
        "visit", "visit__client", "visit__staff", "department", "assignee"
    )
    if filters.state in PROBLEM_STATE_STATUS:
        queryset = queryset.filter(status=PROBLEM_STATE_STATUS[filters.state])
    if filters.whose == WHOSE_MINE:
        queryset = queryset.filter(assignee=user.pk)
    elif filters.whose == WHOSE_DEPARTMENT:
        queryset = queryset.filter(department=user.department_id)
    if filters.overdue:
        queryset = queryset.filter(status=P.FORWARDED, due_on__lt=today)
    if filters.q:
        queryset = queryset.filter(
            Q(visit__client__name__icontains=filters.q) | Q(description__icontains=filters.q)
        )
    return queryset.order_by(*ordering)


def problem_get(*, user, pk: int) -> VisitProblem | None:
    return (
        problems_visible_to(user)
        .select_related("visit", "visit__client", "visit__staff", "department", "assignee")
        .filter(pk=pk)
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Home panel
# ---------------------------------------------------------------------------------------------


def visit_counts_for_home(*, user, today: dt.date) -> dict[str, int]:
    """My planned visits overdue and due soon, problems given to me still open, and problems of
    my visits whose result is waiting to be reported to the client."""
    soon_until = today + dt.timedelta(days=due_soon_days())
    visits = ReturnVisit.objects.filter(staff=user.pk, status=V.PLANNED).aggregate(
        overdue=Count("id", filter=Q(due_on__lt=today)),
        soon=Count("id", filter=Q(due_on__gte=today, due_on__lte=soon_until)),
    )
    problems = VisitProblem.objects.filter(
        Q(assignee=user.pk, status=P.FORWARDED) | Q(visit__staff=user.pk, status=P.RESOLVED)
    ).aggregate(
        problems=Count("id", filter=Q(assignee=user.pk, status=P.FORWARDED)),
        to_inform=Count("id", filter=Q(visit__staff=user.pk, status=P.RESOLVED)),
    )
    return {
        "overdue": visits["overdue"] or 0,
        "soon": visits["soon"] or 0,
        "problems": problems["problems"] or 0,
        "to_inform": problems["to_inform"] or 0,
    }


# ---------------------------------------------------------------------------------------------
# Visit rate (四（一）2)
# ---------------------------------------------------------------------------------------------


@dataclass
class VisitRate:
    key: Any
    name: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0

    @property
    def rate(self) -> float | None:
        """Done on time ÷ due, in percent; None when nothing was due."""
        return round(self.on_time * 100 / self.due, 1) if self.due else None

    def add(self, row: dict[str, int]) -> None:
        self.due += row["due"]
        self.on_time += row["on_time"]
        self.late += row["late"]
        self.open += row["open"]


def _rate_order(rate: VisitRate) -> tuple[bool, str]:
    # Named rows first, by name; "未分派" / "未指定部门" last.
    return (rate.key is None, rate.name)


def visit_rate(*, user, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The visit rate of visits due in ``[start, end]`` (cancelled ones left out), per person
    (the visit's staff) and per department (the client's): one grouped query, folded into the
    two tables and the total in Python. On time = visited on or before the due date (a Shanghai
    day)."""
    done = Q(status=V.DONE)
    rows = (
        visits_visible_to(user)
        .filter(due_on__gte=start, due_on__lte=end)
        .exclude(status=V.CANCELLED)
        .values(
            "staff",
            "staff__name",
            "staff__username",
            "client__department",
            "client__department__name",
        )
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=done & Q(visited_at__date__lte=F("due_on"))),
            late=Count("id", filter=done & Q(visited_at__date__gt=F("due_on"))),
            open=Count("id", filter=Q(status=V.PLANNED)),
        )
        .order_by()
    )
    people: dict[Any, VisitRate] = {}
    departments: dict[Any, VisitRate] = {}
    total = VisitRate(None, _("合计"))
    for row in rows:
        person = people.setdefault(
            row["staff"],
            VisitRate(row["staff"], row["staff__name"] or row["staff__username"] or _("未分派")),
        )
        department = departments.setdefault(
            row["client__department"],
            VisitRate(
                row["client__department"], row["client__department__name"] or _("未指定部门")
            ),
        )
        for bucket in (person, department, total):
            bucket.add(row)
    return {
        "people": sorted(people.values(), key=_rate_order),
        "departments": sorted(departments.values(), key=_rate_order),
        "total": total,
    }
