"""Data scope: which records a user may see, decided in one place for every chapter.

Each chapter describes where its records keep the client team (``ScopePaths``) and starts every
query from :func:`scope_q`. An accountant, tax specialist or customer-service member sees what is
assigned to them, a sales member what they own, a department head their department's, finance and
administrators everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from zhangfang.core.roles import FIRM_WIDE_ROLES, Role, roles_of


@dataclass(frozen=True)
class ScopePaths:
    """ORM paths, from the scoped model, to the fields that decide who sees a record."""

    department: str
    owner: str
    assignees: tuple[str, ...]


NOTHING = Q(pk__in=[])


def scope_q(user, paths: ScopePaths, *, prefix: str = "") -> Q:
    """A filter for the records ``user`` may see; ``Q()`` means all, ``NOTHING`` means none."""
    roles = roles_of(user)
    if roles & FIRM_WIDE_ROLES:
        return Q()
    condition = NOTHING
    if Role.DEPARTMENT_HEAD in roles and user.department_id is not None:
        condition |= Q(**{f"{prefix}{paths.department}": user.department_id})
    if Role.SALES in roles:
        condition |= Q(**{f"{prefix}{paths.owner}": user.pk})
    if roles & {Role.ACCOUNTANT, Role.TAX_SPECIALIST, Role.CUSTOMER_SERVICE}:
        for path in paths.assignees:
            condition |= Q(**{f"{prefix}{path}": user.pk})
    return condition
