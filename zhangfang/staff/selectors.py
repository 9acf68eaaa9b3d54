"""Reads of staff users and departments for the administrator's pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from zhangfang.core import policy
from zhangfang.core.roles import Role
from zhangfang.staff.models import Department, User

#: Sort keys of the staff list, each a tuple of ``order_by`` fields (see ``core.listing``).
USER_SORTS = {
    "username": ("username", "id"),
    "name": ("name", "id"),
    "department": ("department__name", "username", "id"),
    "title": ("title", "username", "id"),
    "active": ("is_active", "username", "id"),
    "last_login": ("last_login", "id"),
}

#: Sort keys of the department list.
DEPARTMENT_SORTS = {
    "name": ("name", "id"),
    "members": ("member_count", "name", "id"),
    "clients": ("client_count", "name", "id"),
    "active": ("is_active", "name", "id"),
}


def user_list(
    *,
    q: str = "",
    department: int | None = None,
    role: str = "",
    active: bool | None = None,
    ordering: Sequence[Any] = ("username", "id"),
) -> QuerySet[User]:
    """Staff matching the filters, with department and role groups loaded (two queries a page).

    ``q`` matches the name, the username or the mobile number (any run of its digits);
    ``ordering`` is what ``ListState.ordering()`` gives for one of :data:`USER_SORTS`.
    """
    queryset = User.objects.select_related("department").prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name"))
    )
    text = q.strip()
    if text:
        condition = Q(name__icontains=text) | Q(username__icontains=text)
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 3:
            condition |= Q(mobile__contains=digits)
        queryset = queryset.filter(condition)
    if department:
        queryset = queryset.filter(department_id=department)
    if role:
        # A subquery rather than a join, so a user is listed once whatever their groups.
        queryset = queryset.filter(pk__in=User.objects.filter(groups__name=role).values("pk"))
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset.order_by(*ordering)


def user_get(*, pk: int) -> User | None:
    return User.objects.select_related("department").filter(pk=pk).first()


def user_roles(user: User) -> list[str]:
    """The role codes of ``user`` in the order of :class:`Role` (one query unless prefetched)."""
    names = {group.name for group in user.groups.all()}
    return [code for code in Role.values if code in names]


def username_taken(username: str, *, exclude_pk: int | None = None) -> bool:
    queryset = User.objects.filter(username__iexact=username)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def locked_usernames(usernames: Iterable[str] | None = None) -> set[str]:
    """Which of ``usernames`` (all, if None) are locked out now by repeated failed logins.

    An account is locked while its failures (summed over axes' attempt rows, one per address and
    browser) reach the ``login_failure_limit`` policy within the ``login_lockout_minutes``
    cool-off, which is how axes itself decides. One query.
    """
    from axes.models import AccessAttempt

    threshold = timezone.now() - dt.timedelta(minutes=policy.get("login_lockout_minutes"))
    attempts = AccessAttempt.objects.filter(attempt_time__gte=threshold)
    if usernames is not None:
        usernames = list(usernames)
        if not usernames:
            return set()
        attempts = attempts.filter(username__in=usernames)
    rows = (
        attempts.values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=policy.get("login_failure_limit"))
        .values_list("username", flat=True)
    )
    return set(rows)


def _count_of(model, field: str) -> Coalesce:
    """A correlated ``COUNT`` of ``model`` rows pointing at the outer department.

    A subquery per count, rather than ``Count()`` over two joins, keeps members × clients from
    multiplying into each other.
    """
    counts = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def department_list(
    *, q: str = "", active: bool | None = None, ordering: Sequence[Any] = ("name", "id")
) -> QuerySet[Department]:
    """Departments with ``member_count`` (staff) and ``client_count`` (clients) annotated."""
    # The client model belongs to a later chapter; reach it through the reverse relation so
    # that staff does not import it.
    client_model = Department._meta.get_field("clients").related_model
    queryset = Department.objects.annotate(
        member_count=_count_of(User, "department"),
        client_count=_count_of(client_model, "department"),
    )
    if q.strip():
        queryset = queryset.filter(name__icontains=q.strip())
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset.order_by(*ordering)


def department_get(*, pk: int) -> Department | None:
    return department_list().filter(pk=pk).first()


def department_options(*, include: Department | None = None) -> QuerySet[Department]:
    """Active departments to choose from, plus ``include`` (a user's current one) if inactive."""
    condition = Q(is_active=True)
    if include is not None:
        condition |= Q(pk=include.pk)
    return Department.objects.filter(condition).order_by("name")


def department_name_taken(name: str, *, exclude_pk: int | None = None) -> bool:
    queryset = Department.objects.filter(name__iexact=name.strip())
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


def department_heads(department) -> list[User]:
    """The active heads of ``department``; the administrators when it has none (or is None), so
    an escalation always reaches someone."""
    heads = []
    if department is not None:
        heads = list(
            User.objects.filter(
                department=department, is_active=True, groups__name=Role.DEPARTMENT_HEAD
            )
            .distinct()
            .order_by("pk")
        )
    if not heads:
        heads = list(
            User.objects.filter(is_active=True, groups__name=Role.ADMIN).distinct().order_by("pk")
        )
    return heads


def first_head_by_department() -> dict[int, User]:
    """Each department's first active head (by id), in one query: who reviews its clients' books
    when the monthly work is generated."""
    heads: dict[int, User] = {}
    for user in (
        User.objects.filter(
            is_active=True, groups__name=Role.DEPARTMENT_HEAD, department__isnull=False
        )
        .distinct()
        .order_by("pk")
    ):
        heads.setdefault(user.department_id, user)
    return heads
