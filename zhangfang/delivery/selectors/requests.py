"""Reads of client requests, always from the user's scope: the clients they may see, plus the
requests assigned to them or routed to the department they head."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from zhangfang.clients.models import Client, Contact
from zhangfang.clients.selectors import ClientFilters, client_list, client_visible_q
from zhangfang.core.models import AuditEvent
from zhangfang.core.roles import Role, roles_of
from zhangfang.delivery.models import OPEN_STATUSES, RequestStatus, ServiceRequest
from zhangfang.staff.models import User

#: Sort keys of the list, each a tuple of ``order_by`` fields ending with a unique one.
REQUEST_SORTS = {
    "received": ("received_at", "id"),
    "respond_by": ("respond_by", "id"),
    "status": ("status", "received_at", "id"),
    "urgency": ("urgency", "received_at", "id"),
    "client": ("client__name", "id"),
}

#: The "status" filter also offers all open requests at once.
OPEN = "open"


def request_scope_q(user) -> Q:
    """Requests ``user`` may see: their clients' (data scope), those assigned to them, and for a
    department head those routed to their department."""
    clients = client_visible_q(user, prefix="client__")
    if not clients:
        # An empty Q is "everything" (finance, administrators); OR-ing it would narrow it.
        return clients
    condition = clients | Q(assignee=user.pk)
    if Role.DEPARTMENT_HEAD in roles_of(user) and user.department_id is not None:
        condition |= Q(department=user.department_id)
    return condition


def requests_visible_to(user) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(request_scope_q(user))


@dataclass(frozen=True)
class RequestFilters:
    q: str = ""
    status: str = ""
    category: str = ""
    urgency: str = ""
    mine: bool = False
    overdue: bool = False

    @property
    def active(self) -> bool:
        return any((self.q, self.status, self.category, self.urgency, self.mine, self.overdue))


def request_list(
    *, user, filters: RequestFilters, ordering: list[Any], now: dt.datetime
) -> QuerySet[ServiceRequest]:
    """The list page's requests, filtered and sorted, with what a row shows joined in."""
    queryset = requests_visible_to(user).select_related("client", "assignee", "department")
    if filters.q:
        queryset = queryset.filter(
            Q(client__name__icontains=filters.q) | Q(client__short_name__icontains=filters.q)
        )
    if filters.status == OPEN:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.urgency:
        queryset = queryset.filter(urgency=filters.urgency)
    if filters.mine:
        queryset = queryset.filter(assignee=user.pk)
    if filters.overdue:
        queryset = queryset.filter(status=RequestStatus.NEW, respond_by__lt=now)
    return queryset.order_by(*ordering)


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)s 天 %(h)s 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s 小时 %(m)s 分") % {"h": hours, "m": minutes}
    return _("%(m)s 分") % {"m": minutes}


def time_left(request: ServiceRequest, now: dt.datetime) -> dict[str, str]:
    """The row's SLA badge: time left to respond, how late it is, or how the response went."""
    if request.status == RequestStatus.NEW:
        if now <= request.respond_by:
            left = request.respond_by - now
            colour = "warning" if left <= dt.timedelta(hours=1) else "info"
            return {"label": _("剩余 %s") % _duration(left), "colour": colour}
        return {"label": _("已超时 %s") % _duration(now - request.respond_by), "colour": "danger"}
    if request.responded_in_time:
        return {"label": _("按时响应"), "colour": "success"}
    return {"label": _("超时响应"), "colour": "secondary"}


def with_time_left(rows: list[ServiceRequest], now: dt.datetime) -> list[ServiceRequest]:
    """Put each row's SLA badge on it (``row.sla``), computed in Python: no query."""
    for row in rows:
        row.sla = time_left(row, now)
    return rows


def request_get(*, user, pk: int) -> ServiceRequest | None:
    """The request if ``user`` may see it, else None (the page answers 404)."""
    return (
        requests_visible_to(user)
        .select_related("client", "contact", "assignee", "department", "registered_by")
        .filter(pk=pk)
        .first()
    )


def request_history(request: ServiceRequest) -> list[AuditEvent]:
    """The request's own audit events (they are anchored on the client), newest first."""
    return list(
        AuditEvent.objects.filter(
            object_type=request._meta.label_lower, object_id=str(request.pk)
        ).order_by("-at", "-id")[:200]
    )


def client_requests(*, user, client: Client, limit: int = 50) -> list[ServiceRequest]:
    """The client page's tab: its latest requests that ``user`` may see."""
    return list(
        requests_visible_to(user)
        .filter(client=client)
        .select_related("assignee")
        .order_by("-received_at", "-id")[:limit]
    )


def intake_client(*, user, pk: int) -> Client | None:
    """A client ``user`` may see (and so register a request for)."""
    return Client.objects.filter(client_visible_q(user), pk=pk).first()


def intake_client_search(*, user, q: str, limit: int = 10) -> list[Client]:
    """Clients matching ``q`` (name, pinyin, credit code) for the new-request picker."""
    if not q.strip():
        return []
    return list(client_list(user=user, filters=ClientFilters(q=q), table_row_only=True)[:limit])


def client_contacts(client: Client) -> QuerySet[Contact]:
    return Contact.objects.filter(client=client).order_by("-is_primary", "name", "id")


def assignee_options() -> QuerySet[User]:
    """Active staff to reassign a request to."""
    return User.objects.filter(is_active=True).select_related("department").order_by("name", "id")


def request_counts_for_home(*, user, now: dt.datetime) -> dict[str, int]:
    """My open requests, and the requests in my scope past their response deadline."""
    counts = requests_visible_to(user).aggregate(
        mine=Count("id", filter=Q(assignee=user.pk, status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=Q(status=RequestStatus.NEW, respond_by__lt=now)),
    )
    return {"mine": counts["mine"] or 0, "overdue": counts["overdue"] or 0}


# ---------------------------------------------------------------------------------------------
# Response timeliness (三（三）1)
# ---------------------------------------------------------------------------------------------


@dataclass
class Timeliness:
    key: Any
    name: str
    received: int = 0
    responded: int = 0
    in_time: int = 0
    overdue_unanswered: int = 0

    @property
    def rate(self) -> float | None:
        """Responded in time ÷ responded, in percent; None when nothing was responded."""
        return round(self.in_time * 100 / self.responded, 1) if self.responded else None


def timeliness(
    *, user, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[str, list[Timeliness]]:
    """Response timeliness per person and per department for requests received in
    ``[start, end)``: one grouped query, folded into the two tables in Python."""
    rows = (
        requests_visible_to(user)
        .filter(received_at__gte=start, received_at__lt=end)
        .values(
            "assignee", "assignee__name", "assignee__username", "department", "department__name"
        )
        .annotate(
            received=Count("id"),
            responded=Count("id", filter=Q(first_response_at__isnull=False)),
            in_time=Count("id", filter=Q(responded_in_time=True)),
            overdue_unanswered=Count(
                "id", filter=Q(first_response_at__isnull=True, respond_by__lt=now)
            ),
        )
        .order_by()
    )
    people: dict[Any, Timeliness] = {}
    departments: dict[Any, Timeliness] = defaultdict(lambda: Timeliness(None, ""))
    for row in rows:
        person = people.setdefault(
            row["assignee"],
            Timeliness(
                row["assignee"],
                row["assignee__name"] or row["assignee__username"] or _("未分派"),
            ),
        )
        department = departments[row["department"]]
        department.key = row["department"]
        department.name = row["department__name"] or _("未指定部门")
        for total in (person, department):
            total.received += row["received"]
            total.responded += row["responded"]
            total.in_time += row["in_time"]
            total.overdue_unanswered += row["overdue_unanswered"]
    return {
        "people": sorted(people.values(), key=lambda t: (t.key is None, t.name)),
        "departments": sorted(departments.values(), key=lambda t: (t.key is None, t.name)),
    }
