"""Billing reports: per month billed, collected, credited, outstanding at month end and the
collection rate, from the fee ledger.

Every figure is a sum of ledger entries, reversals included (a reversal has the opposite sign,
so it nets out in the month it is posted):

    billed      = Σ receivable entries posted in the month
    collected   = Σ receipt entries posted in the month
    credited    = Σ credit entries posted in the month
    outstanding = Σ balance effects of every entry posted up to the month's last day
    rate        = collected / billed, as a percentage with one decimal (none when nothing billed)

Two queries whatever the number of entries (see :func:`billing_report`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField

from zhangfang.billing.models import ClientAccount, EntryKind, LedgerEntry
from zhangfang.clients.selectors import client_visible_q
from zhangfang.core.money_sql import MoneySum

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class ReportPeriod:
    """Twelve (or fewer) whole months: a calendar year, or the last 12 months to this one."""

    key: str  # "2026" or "last12"
    months: tuple[tuple[int, int], ...]  # (year, month), oldest first

    @property
    def start(self) -> dt.date:
        year, month = self.months[0]
        return dt.date(year, month, 1)

    @property
    def end(self) -> dt.date:
        year, month = self.months[-1]
        return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_year(year: int) -> ReportPeriod:
    return ReportPeriod(str(year), tuple((year, month) for month in range(1, 13)))


def period_last_12(today: dt.date) -> ReportPeriod:
    index = today.year * 12 + today.month - 1
    months = tuple(divmod(i, 12) for i in range(index - 11, index + 1))
    return ReportPeriod("last12", tuple((year, month + 1) for year, month in months))


@dataclass(frozen=True)
class MonthFigures:
    year: int
    month: int
    billed: Decimal
    collected: Decimal
    credited: Decimal
    outstanding: Decimal

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def collection_rate(self) -> Decimal | None:
        return collection_rate(self.collected, self.billed)


def collection_rate(collected: Decimal, billed: Decimal) -> Decimal | None:
    """收款率 in percent with one decimal (half up); None when nothing was billed."""
    if billed <= 0:
        return None
    return (collected * 100 / billed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BillingReport:
    period: ReportPeriod
    opening_balance: Decimal
    months: list[MonthFigures]

    @property
    def billed(self) -> Decimal:
        return sum((m.billed for m in self.months), ZERO)

    @property
    def collected(self) -> Decimal:
        return sum((m.collected for m in self.months), ZERO)

    @property
    def credited(self) -> Decimal:
        return sum((m.credited for m in self.months), ZERO)

    @property
    def closing_balance(self) -> Decimal:
        return self.months[-1].outstanding if self.months else self.opening_balance

    @property
    def collection_rate(self) -> Decimal | None:
        return collection_rate(self.collected, self.billed)


def billing_report(*, user, period: ReportPeriod) -> BillingReport:
    """The month-by-month figures of ``period`` over the clients ``user`` may see.

    Two queries, neither reading the ledger before the period: the clients' current balances
    (``ClientAccount.balance``, kept equal to Σ of the client's entries by every posting), and
    the entries posted since the period began, summed per day and kind (at most a few hundred
    rows a year, read through the ``ledger_date_kind`` index; months are added up here, since a
    month extracted in SQL would cost SQLite a function call per entry). The opening balance is
    the balance now less what moved it since the period began.
    """
    balance_now = ClientAccount.objects.filter(client_visible_q(user, prefix="client__")).aggregate(
        total=MoneySum("balance")
    )["total"]
    daily = (
        LedgerEntry.objects.filter(client_visible_q(user, prefix="client__"))
        .filter(posted_on__gte=period.start)
        .order_by()
        .values("posted_on", "kind")
        .annotate(total=MoneySum("amount"))
    )
    sums: dict[tuple[int, int, str], Decimal] = defaultdict(lambda: ZERO)
    moved_since_start = ZERO
    for row in daily:
        day, kind, total = row["posted_on"], row["kind"], Decimal(row["total"])
        moved_since_start += total if kind == EntryKind.RECEIVABLE else -total
        sums[(day.year, day.month, kind)] += total
    opening = balance_now - moved_since_start
    months = []
    balance = opening
    for year, month in period.months:
        billed = sums[(year, month, EntryKind.RECEIVABLE)]
        collected = sums[(year, month, EntryKind.RECEIPT)]
        credited = sums[(year, month, EntryKind.CREDIT)]
        balance = balance + billed - collected - credited
        months.append(
            MonthFigures(
                year=year,
                month=month,
                billed=billed,
                collected=collected,
                credited=credited,
                outstanding=balance,
            )
        )
    return BillingReport(period=period, opening_balance=opening, months=months)


def report_years(*, today: dt.date, back: int = 5) -> list[int]:
    """The years the report offers: this year and the ``back`` before it (five years of history
    are kept), newest first; no query."""
    return list(range(today.year, today.year - back - 1, -1))
