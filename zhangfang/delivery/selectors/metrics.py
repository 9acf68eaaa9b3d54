"""The service standards' measures (policy 三（三）) per person and department for a period: on-time
filing, quality score and satisfaction. Response timeliness is in ``selectors.requests``.

Each measure is one grouped query scoped to the user, folded into a table per person and one per
department, in the same shape as :class:`zhangfang.delivery.selectors.requests.Timeliness`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from zhangfang.clients.selectors import client_visible_q
from zhangfang.delivery.models import (
    CheckStatus,
    QualityCheck,
    Survey,
    WorkItem,
    WorkStatus,
    WorkStep,
)

#: An answer whose overall rating is at least this counts as satisfied (4 of 5: 满意 or 非常满意).
SATISFIED_AT = 4


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal; None when there is nothing to count."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Tally:
    """A count of how many of ``total`` were good (on time, satisfied)."""

    key: Any
    name: str
    total: int = 0
    good: int = 0

    @property
    def rate(self) -> Decimal | None:
        return percent(self.good, self.total)


@dataclass
class Average:
    """The mean of scores (quality, in percent) over ``count`` checks."""

    key: Any
    name: str
    count: int = 0
    total: Decimal = Decimal(0)

    @property
    def average(self) -> Decimal | None:
        if not self.count:
            return None
        return (self.total / self.count).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _person_name(row: dict, prefix: str) -> str:
    return row[f"{prefix}__name"] or row[f"{prefix}__username"] or _("未分派")


def _fold(rows: Iterable[dict], person: str, department: str, make, add) -> dict[str, list]:
    people: dict[Any, Any] = {}
    departments: dict[Any, Any] = defaultdict(lambda: None)
    for row in rows:
        key = row[person]
        if key not in people:
            people[key] = make(key, _person_name(row, person))
        dep_key = row[department]
        if departments[dep_key] is None:
            departments[dep_key] = make(dep_key, row[f"{department}__name"] or _("未指定部门"))
        add(people[key], row)
        add(departments[dep_key], row)
    order = lambda t: (t.key is None, t.name)  # noqa: E731 - a sort key, named for reading
    return {
        "people": sorted(people.values(), key=order),
        "departments": sorted(departments.values(), key=order),
    }


def filing_on_time(*, user, period: dt.date, today: dt.date) -> dict[str, list[Tally]]:
    """On-time filing for the returns of ``period``, per assignee and per client department.

    Counted: every return that is done, or whose deadline has passed by ``today`` (a return still
    open before its deadline is not yet late). Good: done on or before its deadline.
    """
    rows = (
        WorkItem.objects.filter(client_visible_q(user, prefix="client__"))
        .filter(period=period, step=WorkStep.FILING)
        .exclude(status=WorkStatus.CANCELLED)
        .filter(Q(status=WorkStatus.DONE) | Q(due_on__lt=today))
        .annotate(done_on=TruncDate("completed_at"))
        .values(
            "assignee",
            "assignee__name",
            "assignee__username",
            "client__department",
            "client__department__name",
        )
        .annotate(
            total=Count("id"),
            good=Count("id", filter=Q(status=WorkStatus.DONE, done_on__lte=F("due_on"))),
        )
        .order_by()
    )

    def add(tally: Tally, row: dict) -> None:
        tally.total += row["total"]
        tally.good += row["good"]

    return _fold(rows, "assignee", "client__department", Tally, add)


def quality_scores(*, user, period: dt.date) -> dict[str, list[Average]]:
    """The mean quality score of the checks done on ``period``'s work, per person checked and per
    client department."""
    rows = (
        QualityCheck.objects.filter(client_visible_q(user, prefix="item__client__"))
        .filter(sample__period=period, score__isnull=False)
        .exclude(status=CheckStatus.PENDING)
        .values(
            "reviewee",
            "reviewee__name",
            "reviewee__username",
            "item__client__department",
            "item__client__department__name",
        )
        .annotate(count=Count("id"), total=Sum("score"))
        .order_by()
    )

    def add(average: Average, row: dict) -> None:
        # Sums, not means, are folded: a department's mean is the mean of all its checks.
        average.count += row["count"]
        average.total += Decimal(str(row["total"]))

    return _fold(rows, "reviewee", "item__client__department", Average, add)


def satisfaction(*, user, period: dt.date) -> dict[str, list[Tally]]:
    """Answered surveys of ``period`` and how many were satisfied (overall ≥ 4), per client's
    customer-service member and per client department."""
    rows = (
        Survey.objects.filter(client_visible_q(user, prefix="client__"))
        .filter(period=period, answered_at__isnull=False)
        .values(
            "client__customer_service",
            "client__customer_service__name",
            "client__customer_service__username",
            "client__department",
            "client__department__name",
        )
        .annotate(
            total=Count("id"),
            good=Count("id", filter=Q(overall__gte=SATISFIED_AT)),
        )
        .order_by()
    )

    def add(tally: Tally, row: dict) -> None:
        tally.total += row["total"]
        tally.good += row["good"]

    return _fold(rows, "client__customer_service", "client__department", Tally, add)
