"""The service standards page (policy 三（三）): the four measures of a month side by side, one row
per person and one per department.

Nothing is counted here: the measures come from ``selectors.requests.timeliness`` (响应及时) and
``selectors.metrics`` (按期申报, 质量得分, 满意度); this module only lines their tables up by
person and by department.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from zhangfang.delivery.selectors import metrics
from zhangfang.delivery.selectors.requests import Timeliness, timeliness


@dataclass
class StandardRow:
    """One person's or department's four measures; a measure with nothing counted is None."""

    key: Any
    name: str
    response: Timeliness | None = None
    filing: metrics.Tally | None = None
    quality: metrics.Average | None = None
    satisfaction: metrics.Tally | None = None
    target: Decimal = Decimal(0)

    @property
    def response_rate(self) -> Decimal | None:
        rate = self.response.rate if self.response is not None else None
        # The timeliness table rounds to a float; shown like the others, with one decimal.
        return None if rate is None else Decimal(str(rate)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def filing_rate(self) -> Decimal | None:
        return self.filing.rate if self.filing is not None else None

    @property
    def quality_score(self) -> Decimal | None:
        return self.quality.average if self.quality is not None else None

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return self.satisfaction.rate if self.satisfaction is not None else None

    @property
    def below_target(self) -> bool:
        rate = self.satisfaction_rate
        return rate is not None and rate < self.target


MEASURES = ("response", "filing", "quality", "satisfaction")


def merge(*, target: Decimal, **tables: dict[str, list]) -> dict[str, list[StandardRow]]:
    """Line up the measures' tables (``response=``, ``filing=``, ``quality=``,
    ``satisfaction=``, each ``{"people": [...], "departments": [...]}`` of rows with ``key`` and
    ``name``) into one row per person and one per department, in the measures' order (named,
    then the unassigned)."""
    merged: dict[str, list[StandardRow]] = {}
    for side in ("people", "departments"):
        rows: dict[Any, StandardRow] = {}
        for measure in MEASURES:
            for entry in tables.get(measure, {}).get(side, []):
                row = rows.setdefault(
                    entry.key, StandardRow(entry.key, entry.name, target=Decimal(str(target)))
                )
                setattr(row, measure, entry)
        merged[side] = sorted(rows.values(), key=lambda r: (r.key is None, r.name))
    return merged


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of ``month`` and of the next one, in the firm's time zone."""
    zone = timezone.get_current_timezone()
    start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, dt.datetime(following.year, following.month, 1, tzinfo=zone)


def service_standards(
    *, user, period: dt.date, target: Decimal, now: dt.datetime, today: dt.date
) -> dict[str, list[StandardRow]]:
    """The month ``period``'s measures in ``user``'s scope: responses to the requests received
    in the month, the returns of the period filed on time, its quality checks' mean score and
    its surveys' satisfaction, merged per person and per department."""
    start, end = month_bounds(period)
    return merge(
        target=target,
        response=timeliness(user=user, start=start, end=end, now=now),
        filing=metrics.filing_on_time(user=user, period=period, today=today),
        quality=metrics.quality_scores(user=user, period=period),
        satisfaction=metrics.satisfaction(user=user, period=period),
    )
