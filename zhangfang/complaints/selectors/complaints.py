"""Reads of the complaint register, always from the user's scope: the complaints of clients they
may see, those they registered or handle, and for a department head their department's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from zhangfang.clients.models import Client, Contact
from zhangfang.clients.selectors import ClientFilters, client_list, client_visible_q
from zhangfang.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintStatus,
    ComplaintStep,
    Severity,
)
from zhangfang.core.calendar import working_days_between
from zhangfang.core.roles import Role, is_admin, roles_of
from zhangfang.core.search import normalize_query
from zhangfang.staff.models import Department, User

#: Severity as a rank, so "most severe first" is a real order and not the codes' alphabet.
SEVERITY_RANK = Case(
    When(severity=Severity.MINOR, then=Value(1)),
    When(severity=Severity.SERIOUS, then=Value(2)),
    When(severity=Severity.CRITICAL, then=Value(3)),
    default=Value(0),
    output_field=IntegerField(),
)

#: Sort keys of the list, each a tuple of ``order_by`` fields ending with a unique one.
COMPLAINT_SORTS = {
    "received": ("received_at", "id"),
    "number": ("number",),
    "due": ("due_on", "id"),
    "status": ("status", "received_at", "id"),
    "severity": (SEVERITY_RANK, "received_at", "id"),
    "client": ("client__name", "id"),
}

#: The "mine" filter: complaints I registered, or those I handle.
MINE_REGISTERED = "registered"
MINE_HANDLED = "handled"


def complaint_scope_q(user) -> Q:
    """Complaints ``user`` may see: their clients' (data scope), those they registered or
    handle, and for a department head those of their department."""
    clients = client_visible_q(user, prefix="client__")
    if not clients:
        # An empty Q is "everything" (finance, administrators); OR-ing it would narrow it.
        return clients
    condition = clients | Q(registered_by=user.pk) | Q(handler=user.pk)
    if Role.DEPARTMENT_HEAD in roles_of(user) and user.department_id is not None:
        condition |= Q(department=user.department_id)
    return condition


def complaints_visible_to(user) -> QuerySet[Complaint]:
    return Complaint.objects.filter(complaint_scope_q(user))


@dataclass(frozen=True)
class ComplaintFilters:
    q: str = ""
    status: str = ""
    open_only: bool = False
    overdue: bool = False
    category: str = ""
    severity: str = ""
    department: int | None = None
    mine: str = ""

    @property
    def active(self) -> bool:
        return any(
            (
                self.q,
                self.status,
                self.open_only,
                self.overdue,
                self.category,
                self.severity,
                self.department,
                self.mine,
            )
        )


def overdue_q(today: dt.date) -> Q:
    """Complaints the department still owes a resolution for, past their deadline."""
    return Q(status__in=OPEN_STATUSES, due_on__lt=today)


def complaint_list(
    *, user, filters: ComplaintFilters, ordering: list[Any], today: dt.date
) -> QuerySet[Complaint]:
    """The list page's complaints, filtered and sorted, with what a row shows joined in."""
    queryset = complaints_visible_to(user).select_related("client", "handler", "department")
    if filters.q:
        condition = (
            Q(number__icontains=filters.q)
            | Q(client__name__icontains=filters.q)
            | Q(client__short_name__icontains=filters.q)
        )
        pinyin = normalize_query(filters.q)
        if pinyin:
            condition |= Q(client__search_pinyin__contains=pinyin)
        queryset = queryset.filter(condition)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.open_only:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    if filters.overdue:
        queryset = queryset.filter(overdue_q(today))
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.severity:
        queryset = queryset.filter(severity=filters.severity)
    if filters.department:
        queryset = queryset.filter(department=filters.department)
    if filters.mine == MINE_REGISTERED:
        queryset = queryset.filter(registered_by=user.pk)
    elif filters.mine == MINE_HANDLED:
        queryset = queryset.filter(handler=user.pk)
    return queryset.order_by(*ordering)


def time_left(complaint: Complaint, today: dt.date) -> dict[str, str]:
    """The SLA badge: working days left, how far past the deadline, or how handling went.

    Counted on the working-day calendar, so a deadline after 国庆 is not "overdue" during it.
    """
    if complaint.is_open:
        if today < complaint.due_on:
            left = working_days_between(today, complaint.due_on)
            colour = "warning" if left <= 1 else "info"
            return {"label": _("剩余 %s 个工作日") % left, "colour": colour}
        if today == complaint.due_on:
            return {"label": _("今日到期"), "colour": "warning"}
        late = working_days_between(complaint.due_on, today)
        if late:
            return {"label": _("已超期 %s 个工作日") % late, "colour": "danger"}
        return {"label": _("已超期"), "colour": "danger"}
    if complaint.handled_in_time is True:
        return {"label": _("按时处理"), "colour": "success"}
    if complaint.handled_in_time is False:
        return {"label": _("超期处理"), "colour": "secondary"}
    return {"label": "", "colour": "light"}


def with_time_left(rows: list[Complaint], today: dt.date) -> list[Complaint]:
    """Put each row's SLA badge on it (``row.sla``), computed in Python: no query."""
    for row in rows:
        row.sla = time_left(row, today)
    return rows


def complaint_get(*, user, pk: int) -> Complaint | None:
    """The complaint if ``user`` may see it, else None (the page answers 404)."""
    return (
        complaints_visible_to(user)
        .select_related(
            "client",
            "contact",
            "registered_by",
            "staff_involved",
            "department",
            "handler",
        )
        .filter(pk=pk)
        .first()
    )


def complaint_steps(complaint: Complaint) -> list[ComplaintStep]:
    """The complaint's timeline, oldest first."""
    return list(complaint.steps.select_related("by").order_by("at", "id"))


def client_complaints(*, user, client: Client, limit: int = 50) -> list[Complaint]:
    """The client page's tab: its latest complaints that ``user`` may see."""
    return list(
        complaints_visible_to(user)
        .filter(client=client)
        .select_related("handler", "department")
        .order_by("-received_at", "-id")[:limit]
    )


def intake_client(*, user, pk: int) -> Client | None:
    """A client ``user`` may see (and so register a complaint for), with its department."""
    return Client.objects.filter(client_visible_q(user), pk=pk).select_related("department").first()


def intake_client_search(*, user, q: str, limit: int = 10) -> list[Client]:
    """Clients matching ``q`` (name, pinyin, credit code) for the register page's picker."""
    if not q.strip():
        return []
    return list(client_list(user=user, filters=ClientFilters(q=q), table_row_only=True)[:limit])


def client_contacts(client: Client) -> QuerySet[Contact]:
    return Contact.objects.filter(client=client).order_by("-is_primary", "name", "id")


def staff_options() -> QuerySet[User]:
    """Active staff, for "staff involved"."""
    return User.objects.filter(is_active=True).select_related("department").order_by("name", "id")


def department_choices() -> QuerySet[Department]:
    """Active departments a complaint can be made the responsibility of."""
    return Department.objects.filter(is_active=True).order_by("name", "id")


def department_filter_options() -> list[tuple[int, str]]:
    return list(department_choices().values_list("id", "name"))


def complaint_counts_for_home(*, user, today: dt.date) -> dict[str, int]:
    """For the home panel, in one query: the open complaints I handle, those past their deadline
    in my scope, and the results that came back to me to tell the client."""
    counts = complaints_visible_to(user).aggregate(
        mine=Count("id", filter=Q(handler=user.pk, status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=overdue_q(today)),
        to_feed_back=Count("id", filter=Q(registered_by=user.pk, status=ComplaintStatus.HANDLED)),
    )
    return {key: value or 0 for key, value in counts.items()}


# ---------------------------------------------------------------------------------------------
# Handling timeliness per department (四（三）3)
# ---------------------------------------------------------------------------------------------


@dataclass
class DepartmentTimeliness:
    key: Any
    name: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0

    @property
    def rate(self) -> float | None:
        """Handled on time ÷ due in the period, in percent; None when nothing was due."""
        return round(self.on_time * 100 / self.due, 1) if self.due else None


def timeliness(
    *, user, start: dt.date, end: dt.date, today: dt.date
) -> tuple[list[DepartmentTimeliness], DepartmentTimeliness]:
    """Per department, the complaints due in ``[start, end)``: handled on time, handled late,
    still open past their deadline. One grouped query; a head sees their own department, an
    administrator every department. Returns the rows and their total."""
    queryset = Complaint.objects.filter(due_on__gte=start, due_on__lt=end)
    if not is_admin(user):
        queryset = queryset.filter(department=user.department_id)
    rows = (
        queryset.values("department", "department__name")
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=Q(handled_in_time=True)),
            late=Count("id", filter=Q(handled_in_time=False)),
            open_overdue=Count("id", filter=overdue_q(today)),
        )
        .order_by("department__name", "department")
    )
    result = [
        DepartmentTimeliness(
            key=row["department"],
            name=row["department__name"],
            due=row["due"],
            on_time=row["on_time"],
            late=row["late"],
            open_overdue=row["open_overdue"],
        )
        for row in rows
    ]
    total = DepartmentTimeliness(key=None, name=_("合计"))
    for row in result:
        total.due += row.due
        total.on_time += row.on_time
        total.late += row.late
        total.open_overdue += row.open_overdue
    return result, total
