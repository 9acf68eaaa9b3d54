"""Reads of quality spot checks: the checklist, samples and their checks, rectification tasks
and the per-person quality table. Heads see their department's, administrators everything; a
rectification is also visible to the person who has to put it right."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from zhangfang.clients.selectors import client_visible_q
from zhangfang.core.roles import Role, has_role
from zhangfang.core.scope import NOTHING
from zhangfang.delivery.models import (
    ChecklistItem,
    CheckStatus,
    QualityCheck,
    QualitySample,
    QualityScore,
    Rectification,
    RectificationStatus,
)
from zhangfang.delivery.selectors.metrics import quality_scores
from zhangfang.staff.models import Department

#: Sort keys of the rectification list.
RECTIFICATION_SORTS = {
    "due": ("due_on", "id"),
    "status": ("status", "due_on", "id"),
    "created": ("created_at", "id"),
}


# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------


def _department_q(user, *, sample: str, client: str) -> Q:
    """Records of the head's department, reached through the sample or the checked client."""
    if has_role(user, Role.ADMIN):
        return Q()
    if has_role(user, Role.DEPARTMENT_HEAD) and user.department_id is not None:
        return Q(**{sample: user.department_id}) | Q(**{client: user.department_id})
    return NOTHING


def sample_visible_q(user) -> Q:
    if has_role(user, Role.ADMIN):
        return Q()
    if has_role(user, Role.DEPARTMENT_HEAD) and user.department_id is not None:
        return Q(department=user.department_id)
    return NOTHING


def check_visible_q(user, *, prefix: str = "") -> Q:
    return _department_q(
        user,
        sample=f"{prefix}sample__department",
        client=f"{prefix}item__client__department",
    )


# ---------------------------------------------------------------------------------------------
# Checklist
# ---------------------------------------------------------------------------------------------


def checklist_items(*, active_only: bool = False) -> QuerySet[ChecklistItem]:
    items = ChecklistItem.objects.all()
    return items.filter(active=True) if active_only else items


def checklist_item_get(*, pk: int) -> ChecklistItem | None:
    return ChecklistItem.objects.filter(pk=pk).first()


# ---------------------------------------------------------------------------------------------
# Samples and checks
# ---------------------------------------------------------------------------------------------


def draw_departments(*, user) -> QuerySet[Department]:
    """The departments ``user`` may draw a sample for."""
    departments = Department.objects.filter(is_active=True).order_by("name")
    if has_role(user, Role.ADMIN):
        return departments
    if has_role(user, Role.DEPARTMENT_HEAD) and user.department_id is not None:
        return departments.filter(pk=user.department_id)
    return departments.none()


def sample_list(*, user) -> QuerySet[QualitySample]:
    """Samples ``user`` may see, newest first, with their progress counted in the same query."""
    return (
        QualitySample.objects.filter(sample_visible_q(user))
        .select_related("department", "drawn_by")
        .annotate(
            total=Count("checks"),
            checked=Count("checks", filter=~Q(checks__status=CheckStatus.PENDING)),
        )
        .order_by("-drawn_at", "-id")
    )


def sample_get(*, user, pk: int) -> QualitySample | None:
    return sample_list(user=user).filter(pk=pk).first()


def sample_checks(*, sample: QualitySample) -> QuerySet[QualityCheck]:
    return (
        QualityCheck.objects.filter(sample=sample)
        .select_related("item__client", "reviewee", "checker")
        .order_by("reviewee__name", "item__client__name", "id")
    )


def check_get(*, user, pk: int) -> QualityCheck | None:
    return (
        QualityCheck.objects.filter(check_visible_q(user), pk=pk)
        .select_related(
            "sample__department",
            "item__client__department",
            "item__completed_by",
            "reviewee",
            "checker",
        )
        .first()
    )


def check_scores(*, check: QualityCheck) -> QuerySet[QualityScore]:
    return QualityScore.objects.filter(quality_check=check).select_related("checklist_item")


def check_rectifications(*, check: QualityCheck) -> QuerySet[Rectification]:
    return Rectification.objects.filter(quality_check=check).select_related(
        "assignee", "verified_by"
    )


# ---------------------------------------------------------------------------------------------
# Rectifications
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RectificationFilters:
    status: str = ""
    mine: bool = False
    overdue: bool = False


def rectification_visible_q(user) -> Q:
    """Mine (the assignee), the checker's, and for heads their department's."""
    if has_role(user, Role.ADMIN):
        # Not OR-ed: ``Q(...) | Q()`` is ``Q(...)``, which would hide everything else.
        return Q()
    return (
        Q(assignee=user.pk)
        | Q(quality_check__checker=user.pk)
        | check_visible_q(user, prefix="quality_check__")
    )


def rectification_list(
    *, user, filters: RectificationFilters, today: dt.date, ordering: list[Any] | None = None
) -> QuerySet[Rectification]:
    queryset = Rectification.objects.filter(rectification_visible_q(user))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.mine:
        queryset = queryset.filter(assignee=user.pk)
    if filters.overdue:
        queryset = queryset.filter(status=RectificationStatus.OPEN, due_on__lt=today)
    return queryset.select_related(
        "assignee", "quality_check__item__client", "quality_check__checker"
    ).order_by(*(ordering or ["due_on", "id"]))


def rectification_get(*, user, pk: int) -> Rectification | None:
    return (
        Rectification.objects.filter(rectification_visible_q(user), pk=pk)
        .select_related(
            "assignee",
            "quality_check__sample",
            "quality_check__item__client",
            "quality_check__checker",
        )
        .first()
    )


def rectification_counts_for_home(*, user, today: dt.date) -> dict[str, int]:
    """My rectifications still to put right, and how many of them are past their deadline."""
    mine = Rectification.objects.filter(assignee=user.pk, status=RectificationStatus.OPEN)
    return mine.aggregate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))


# ---------------------------------------------------------------------------------------------
# Quality scores
# ---------------------------------------------------------------------------------------------


@dataclass
class ScoreRow:
    name: str
    count: int
    average: Any
    open: int = 0


def quality_table(*, user, period: dt.date) -> dict[str, list[ScoreRow]]:
    """Per person checked and per department: the mean score (from
    :func:`zhangfang.delivery.selectors.metrics.quality_scores`), the number of checks and the
    rectifications of the period's checks still open (not yet passed re-checking)."""
    means = quality_scores(user=user, period=period)
    open_rows = (
        Rectification.objects.filter(client_visible_q(user, prefix="quality_check__item__client__"))
        .filter(quality_check__sample__period=period)
        .exclude(status=RectificationStatus.VERIFIED)
        .values("quality_check__reviewee", "quality_check__item__client__department")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_person: dict[Any, int] = {}
    by_department: dict[Any, int] = {}
    for row in open_rows:
        person = row["quality_check__reviewee"]
        department = row["quality_check__item__client__department"]
        by_person[person] = by_person.get(person, 0) + row["n"]
        by_department[department] = by_department.get(department, 0) + row["n"]
    return {
        "people": [
            ScoreRow(a.name, a.count, a.average, by_person.get(a.key, 0)) for a in means["people"]
        ],
        "departments": [
            ScoreRow(a.name, a.count, a.average, by_department.get(a.key, 0))
            for a in means["departments"]
        ],
    }
