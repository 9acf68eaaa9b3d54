"""Reads of visits: who may see which, the list, the calendar, the reminders due.

A visit is visible to whoever may see its prospect (data scope of prospects) and to every
member of staff going on it, so a colleague asked along finds it in their own calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet

from zhangfang.core.calendar import local_midnight
from zhangfang.core.roles import FIRM_WIDE_ROLES, Role, roles_of
from zhangfang.core.scope import scope_q
from zhangfang.leads.models import Prospect, Visit, VisitStatus
from zhangfang.leads.selectors.prospects import PROSPECT_SCOPE

User = get_user_model()

#: Sort keys of the visit list.
VISIT_SORTS = {"time": ("starts_at", "id"), "prospect": ("prospect__company_name", "id")}


def visit_visible_q(user) -> Q:
    """Visits of prospects in ``user``'s scope, and visits ``user`` goes on."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    in_scope = scope_q(user, PROSPECT_SCOPE, prefix="prospect__")
    if not in_scope:
        # Q() means everything (firm-wide roles); OR-ing an empty Q would drop that meaning.
        return in_scope
    return in_scope | Q(
        pk__in=Visit.staff.through.objects.filter(user_id=user.pk).values("visit_id")
    )


def visits_visible_to(user) -> QuerySet[Visit]:
    return Visit.objects.filter(visit_visible_q(user))


def _staff_prefetch() -> Prefetch:
    return Prefetch("staff", queryset=User.objects.only("id", "name", "username").order_by("name"))


def visit_get(*, user, pk: int) -> Visit | None:
    """The visit if ``user`` may see it, with its prospect and staff; None otherwise."""
    return (
        visits_visible_to(user)
        .select_related("prospect", "prospect__owner", "created_by")
        .prefetch_related(_staff_prefetch())
        .filter(pk=pk)
        .first()
    )


def visits_of_prospect(prospect: Prospect) -> list[Visit]:
    """A prospect's visits, latest first, with who goes (for its 拜访 tab)."""
    return list(
        prospect.visits.select_related("created_by")
        .prefetch_related(_staff_prefetch())
        .order_by("-starts_at", "-id")
    )


@dataclass(frozen=True)
class VisitFilters:
    staff: int | None = None
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def visit_list(*, user, filters: VisitFilters, ordering: list | None = None) -> QuerySet[Visit]:
    """The visits ``user`` may see, narrowed by ``filters`` (dates in Asia/Shanghai, inclusive)."""
    queryset = visits_visible_to(user)
    if filters.staff:
        queryset = queryset.filter(
            pk__in=Visit.staff.through.objects.filter(user_id=filters.staff).values("visit_id")
        )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.date_from:
        queryset = queryset.filter(starts_at__gte=local_midnight(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(
            starts_at__lt=local_midnight(filters.date_to + dt.timedelta(days=1))
        )
    return (
        queryset.select_related("prospect")
        .prefetch_related(_staff_prefetch())
        .order_by(*(ordering or ["starts_at", "id"]))
    )


def visits_between(*, user, staff_id: int | None, start: dt.date, end: dt.date) -> list[Visit]:
    """Visits ``user`` may see from ``start`` up to ``end`` (exclusive), of one person if given.

    Two queries whatever the number of visits: the visits with their prospects, then the staff.
    """
    return list(
        visit_list(
            user=user,
            filters=VisitFilters(staff=staff_id, date_from=start, date_to=end - dt.timedelta(1)),
        )
    )


def calendar_staff_options(user) -> list[tuple[int, str]]:
    """Whose calendar ``user`` may open: anyone for firm-wide roles, a department head their
    department's members, everyone else only themselves."""
    roles = roles_of(user)
    people = User.objects.filter(is_active=True).order_by("name", "id")
    if roles & FIRM_WIDE_ROLES:
        pass
    elif Role.DEPARTMENT_HEAD in roles and user.department_id is not None:
        people = people.filter(Q(department_id=user.department_id) | Q(pk=user.pk))
    else:
        return [(user.pk, str(user))]
    return [
        (pk, name or username)
        for pk, name, username in people.values_list("pk", "name", "username")
    ]


def visit_staff_choices() -> QuerySet:
    """Who can be sent on a visit: the firm's active staff, by department and name."""
    return (
        User.objects.filter(is_active=True)
        .select_related("department")
        .order_by("department__name", "name", "id")
    )


def visits_to_remind(*, day: dt.date) -> QuerySet[Visit]:
    """Planned visits starting on ``day`` (Asia/Shanghai) that have had no reminder yet."""
    return (
        Visit.objects.filter(
            status=VisitStatus.PLANNED,
            reminded_at__isnull=True,
            starts_at__gte=local_midnight(day),
            starts_at__lt=local_midnight(day + dt.timedelta(days=1)),
        )
        .select_related("prospect")
        .prefetch_related("staff")
        .order_by("starts_at", "id")
    )
