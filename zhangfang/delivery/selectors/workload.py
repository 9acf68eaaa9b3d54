"""The service team's load (policy 三（一）2: duties and who carries them) and what one member holds
when they leave.

:func:`workload` counts, per member of staff, the clients they serve and the open work, requests,
rectifications and survey follow-ups they hold: one grouped query per measure, so the page costs
the same whatever the number of staff and clients. :func:`holdings` lists what one person holds,
for the handover page and the handover service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from zhangfang.clients.models import Client, ClientStatus
from zhangfang.clients.services import REASSIGNABLE
from zhangfang.core.roles import Role, has_role, is_admin_or_head_of
from zhangfang.delivery.models import (
    OPEN_STATUSES,
    OPEN_WORK,
    FollowUp,
    FollowUpStatus,
    Rectification,
    RectificationStatus,
    ServiceRequest,
    WorkItem,
)
from zhangfang.leads.models import Prospect
from zhangfang.leads.selectors.prospects import OPEN_STAGES
from zhangfang.staff.models import Department, User

#: A rectification is open until the checker has verified it (待整改, 待复查).
OPEN_RECTIFICATION = (RectificationStatus.OPEN, RectificationStatus.DONE)

#: A client the firm still serves or may serve: a terminated client keeps its last team as history.
LIVE_CLIENTS = ~Q(status=ClientStatus.TERMINATED)

#: The client team fields a handover passes on, in the order of the client form.
CLIENT_KINDS = ("accountant", "tax_specialist", "customer_service", "sales_owner")

#: The other kinds a person holds, each a record with one responsible person.
RECORD_KINDS = ("work", "requests", "rectifications", "follow_ups", "prospects")

KINDS = CLIENT_KINDS + RECORD_KINDS

KIND_LABELS = {
    "accountant": _("主办会计的客户"),
    "tax_specialist": _("税务专员的客户"),
    "customer_service": _("客服专员的客户"),
    "sales_owner": _("业务负责人的客户"),
    "work": _("未完成的服务工作"),
    "requests": _("未办结的客户需求"),
    "rectifications": _("未完成的整改任务"),
    "follow_ups": _("待处理的满意度跟进"),
    "prospects": _("跟进中的潜在客户"),
}

#: The role a colleague must hold to take over a kind (None: any active member of staff).
KIND_ROLES: dict[str, str | None] = {
    **REASSIGNABLE,
    "work": None,
    "requests": None,
    "rectifications": None,
    "follow_ups": None,
    "prospects": Role.SALES,
}

#: How many records of a kind the handover page lists (the counts are always complete).
LISTED = 100


# ---------------------------------------------------------------------------------------------
# Who may see what
# ---------------------------------------------------------------------------------------------


def sees_all_departments(user) -> bool:
    return has_role(user, Role.ADMIN)


def can_hand_over(user, person: User) -> bool:
    """An administrator, or a head of ``person``'s department."""
    return is_admin_or_head_of(user, person.department_id)


def handover_person(*, user, pk: int) -> User | None:
    """The member of staff ``user`` may hand over (active or not); None if missing or not theirs."""
    person = User.objects.select_related("department").filter(pk=pk).first()
    if person is None or not can_hand_over(user, person):
        return None
    return person


def department_choices(*, user) -> list[Department]:
    """The departments whose load ``user`` sees: all for administrators, their own for heads."""
    if sees_all_departments(user):
        return list(Department.objects.filter(is_active=True).order_by("name"))
    if user.department_id is None:
        return []
    return list(Department.objects.filter(pk=user.department_id))


# ---------------------------------------------------------------------------------------------
# The workload table
# ---------------------------------------------------------------------------------------------


@dataclass
class Load:
    """One member's figures (or a department's total)."""

    clients_accountant: int = 0
    clients_tax: int = 0
    clients_service: int = 0
    work_open: int = 0
    work_overdue: int = 0
    requests_open: int = 0
    rectifications_open: int = 0
    follow_ups_open: int = 0

    def add(self, other: Load) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def holds_anything(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


@dataclass
class StaffRow:
    person: User
    load: Load


@dataclass
class DepartmentGroup:
    department: Department | None
    rows: list[StaffRow] = field(default_factory=list)
    total: Load = field(default_factory=Load)


@dataclass
class Workload:
    groups: list[DepartmentGroup]
    total: Load
    today: dt.date

    @property
    def staff_count(self) -> int:
        return sum(len(group.rows) for group in self.groups)


def _counts(queryset: QuerySet, person: str, **measures: Any) -> dict[int, dict[str, int]]:
    """``{user id: {measure: n}}`` of ``queryset`` grouped by the ``person`` field (one query)."""
    rows = (
        queryset.order_by()
        .values(person)
        .annotate(**measures)
        .filter(**{f"{person}__isnull": False})
    )
    return {row[person]: row for row in rows}


def workload(*, user, department: int | None = None, today: dt.date) -> Workload:
    """Every active member of staff in the departments ``user`` sees (``department`` narrows an
    administrator's view to one), with their load, grouped by department with a total each.

    A member who is no longer active but still holds something is listed too, so nothing open is
    forgotten. The counts are the person's whole load, whichever department the clients are in.
    Eight queries whatever the size of the firm.
    """
    if sees_all_departments(user):
        scope = Q(department_id=department) if department else Q()
    elif has_role(user, Role.DEPARTMENT_HEAD) and user.department_id is not None:
        scope = Q(department_id=user.department_id)
    else:
        return Workload(groups=[], total=Load(), today=today)

    def of(prefix: str) -> Q:
        # The same scope seen from a record that points at the person through ``prefix``.
        return Q(**{f"{prefix}__{key}": value for key, value in scope.children}) if scope else Q()

    live = Client.objects.filter(LIVE_CLIENTS)
    measures: dict[str, dict[int, dict[str, int]]] = {
        "clients_accountant": _counts(live.filter(of("accountant")), "accountant", n=Count("id")),
        "clients_tax": _counts(live.filter(of("tax_specialist")), "tax_specialist", n=Count("id")),
        "clients_service": _counts(
            live.filter(of("customer_service")), "customer_service", n=Count("id")
        ),
        "work": _counts(
            WorkItem.objects.filter(of("assignee"), status__in=OPEN_WORK),
            "assignee",
            n=Count("id"),
            overdue=Count("id", filter=Q(due_on__lt=today)),
        ),
        "requests_open": _counts(
            ServiceRequest.objects.filter(of("assignee"), status__in=OPEN_STATUSES),
            "assignee",
            n=Count("id"),
        ),
        "rectifications_open": _counts(
            Rectification.objects.filter(of("assignee"), status__in=OPEN_RECTIFICATION),
            "assignee",
            n=Count("id"),
        ),
        "follow_ups_open": _counts(
            FollowUp.objects.filter(of("assignee"), status=FollowUpStatus.OPEN),
            "assignee",
            n=Count("id"),
        ),
    }
    holders = set().union(*(counts.keys() for counts in measures.values()))
    people = (
        User.objects.filter(scope)
        .filter(Q(is_active=True) | Q(pk__in=holders))
        .select_related("department")
        .order_by("department__name", "name", "username", "id")
    )

    def n(measure: str, pk: int, key: str = "n") -> int:
        return measures[measure].get(pk, {}).get(key, 0)

    groups: dict[int | None, DepartmentGroup] = {}
    total = Load()
    for person in people:
        load = Load(
            clients_accountant=n("clients_accountant", person.pk),
            clients_tax=n("clients_tax", person.pk),
            clients_service=n("clients_service", person.pk),
            work_open=n("work", person.pk),
            work_overdue=n("work", person.pk, "overdue"),
            requests_open=n("requests_open", person.pk),
            rectifications_open=n("rectifications_open", person.pk),
            follow_ups_open=n("follow_ups_open", person.pk),
        )
        group = groups.get(person.department_id)
        if group is None:
            group = groups[person.department_id] = DepartmentGroup(person.department)
        group.rows.append(StaffRow(person, load))
        group.total.add(load)
        total.add(load)
    # Departments by name, staff without a department last.
    ordered = sorted(groups.values(), key=lambda g: (g.department is None, str(g.department)))
    return Workload(groups=ordered, total=total, today=today)


# ---------------------------------------------------------------------------------------------
# What one person holds (handover)
# ---------------------------------------------------------------------------------------------


@dataclass
class Holding:
    """One kind of thing ``person`` holds: how many, the first :data:`LISTED` of them, and how
    many of them move with the person's clients (work and requests of those clients)."""

    kind: str
    count: int
    rows: list[Any]
    with_clients: int = 0

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def remaining(self) -> int:
        """How many need a colleague named for this kind."""
        return self.count - self.with_clients

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


def _served_clients(person: User) -> Q:
    """Live clients whose team ``person`` is on: their open work follows the client moves."""
    team = Q()
    for kind in CLIENT_KINDS:
        team |= Q(**{kind: person})
    return LIVE_CLIENTS & team


def open_records(person: User) -> dict[str, QuerySet]:
    """The open records of each kind that point at ``person`` (the handover moves them all)."""
    return {
        **{
            kind: Client.objects.filter(LIVE_CLIENTS, **{kind: person}).order_by("name", "id")
            for kind in CLIENT_KINDS
        },
        "work": WorkItem.objects.filter(assignee=person, status__in=OPEN_WORK).order_by(
            "due_on", "id"
        ),
        "requests": ServiceRequest.objects.filter(
            assignee=person, status__in=OPEN_STATUSES
        ).order_by("respond_by", "id"),
        "rectifications": Rectification.objects.filter(
            assignee=person, status__in=OPEN_RECTIFICATION
        ).order_by("due_on", "id"),
        "follow_ups": FollowUp.objects.filter(assignee=person, status=FollowUpStatus.OPEN).order_by(
            "due_on", "id"
        ),
        "prospects": Prospect.objects.filter(owner=person, stage__in=OPEN_STAGES).order_by(
            "-score", "id"
        ),
    }


def holding_counts(person: User) -> dict[str, Holding]:
    """How many of each kind ``person`` holds, and how many follow their clients (no rows)."""
    return _holdings(person, listed=0)


def holdings(person: User) -> dict[str, Holding]:
    """What ``person`` holds, kind by kind, with the first rows of each for the page.

    One query for the client counts, one per other kind for its counts, one per kind for its
    rows: the page's cost does not grow with what the person holds.
    """
    return _holdings(person, listed=LISTED)


#: What a listed row of each kind shows beside itself.
ROW_RELATED = {
    "work": ("client",),
    "requests": ("client",),
    "rectifications": ("quality_check__item__client",),
    "follow_ups": ("survey__client",),
    "prospects": (),
}


def _holdings(person: User, *, listed: int) -> dict[str, Holding]:
    records = open_records(person)
    served = Client.objects.filter(_served_clients(person)).values("pk")
    client_counts = Client.objects.filter(_served_clients(person)).aggregate(
        **{kind: Count("id", filter=Q(**{kind: person})) for kind in CLIENT_KINDS}
    )
    result: dict[str, Holding] = {
        kind: Holding(kind, client_counts[kind] or 0, []) for kind in CLIENT_KINDS
    }
    for kind in ("work", "requests"):
        figures = records[kind].aggregate(
            count=Count("id"), with_clients=Count("id", filter=Q(client__in=served))
        )
        result[kind] = Holding(kind, figures["count"], [], figures["with_clients"])
    for kind in ("rectifications", "follow_ups", "prospects"):
        if listed:
            # One query gives the rows and, unless there are more than are listed, the count.
            rows = list(records[kind].select_related(*ROW_RELATED[kind])[: listed + 1])
            count = len(rows) if len(rows) <= listed else records[kind].count()
            result[kind] = Holding(kind, count, rows[:listed])
        else:
            result[kind] = Holding(kind, records[kind].count(), [])
    if listed:
        for kind in (*CLIENT_KINDS, "work", "requests"):
            if result[kind].count:
                queryset = records[kind]
                if kind in CLIENT_KINDS:
                    queryset = queryset.only("id", "name", "status")
                else:
                    queryset = queryset.select_related(*ROW_RELATED[kind])
                result[kind].rows = list(queryset[:listed])
    return result


def holds_nothing(person: User) -> bool:
    """True when no open record of any kind points at ``person`` (a finished handover)."""
    return not any(queryset.exists() for queryset in open_records(person).values())


def colleague_options(*, user, person: User) -> dict[str, list[User]]:
    """Who may take over each kind from ``person``: active staff holding the kind's role, in the
    person's department for a head (an administrator may choose anyone). Two queries in all."""
    queryset = User.objects.filter(is_active=True).exclude(pk=person.pk)
    if not sees_all_departments(user):
        queryset = queryset.filter(department_id=person.department_id)
    people = list(
        queryset.select_related("department")
        .prefetch_related("groups")
        .order_by("department__name", "name", "id")
    )
    roles = {p.pk: {group.name for group in p.groups.all()} for p in people}
    return {
        kind: [p for p in people if role is None or role in roles[p.pk]]
        for kind, role in KIND_ROLES.items()
    }
