"""Reads of market research (policy 二(一)1): competitors, research notes, the price comparison.

Market research is not client data: it has no owner or department, so it is not scoped; the pages
are open to the roles that do research (sales, department heads, administrators) and closed to
the others (``RESEARCH_ROLES``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from zhangfang.core.roles import Role, has_role
from zhangfang.core.search import pinyin_keys
from zhangfang.leads.models import Competitor, CompetitorPrice, MarketNote, PriceUnit

#: The roles that read and write market research.
RESEARCH_ROLES = (Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN)

#: Sort keys of the competitor list (``ListState``).
COMPETITOR_SORTS = {
    "name": ("name", "id"),
    "observed_on": ("observed_on", "id"),
    "prices": ("price_count", "id"),
}


def can_use_research(user) -> bool:
    return has_role(user, *RESEARCH_ROLES)


def normalize_item(text: str) -> str:
    """A price item's name as it is compared: full-width forms folded, spaces collapsed,
    Latin letters lower-case; so “代理记账（小规模）” and “代理记账(小规模) ” are one item."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def competitor_list(*, q: str = "", ordering: list | None = None) -> QuerySet[Competitor]:
    """Competitors with the number of their price items, searched by name, services, source."""
    queryset = Competitor.objects.annotate(price_count=Count("prices", distinct=True))
    q = (q or "").strip()
    if q:
        queryset = queryset.filter(
            Q(name__icontains=q)
            | Q(services__icontains=q)
            | Q(source__icontains=q)
            | Q(strengths__icontains=q)
            | Q(weaknesses__icontains=q)
            | Q(prices__item__icontains=q)
        ).distinct()
    return queryset.order_by(*(ordering or ["name", "id"]))


def competitor_get(pk: int) -> Competitor | None:
    """One competitor with its price items, or None."""
    return Competitor.objects.prefetch_related("prices").filter(pk=pk).first()


def market_note_list(
    *, q: str = "", date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet[MarketNote]:
    """Research notes, newest first, searched in title and text, optionally between two dates."""
    queryset = MarketNote.objects.select_related("author")
    q = (q or "").strip()
    if q:
        queryset = queryset.filter(Q(title__icontains=q) | Q(body__icontains=q))
    if date_from:
        queryset = queryset.filter(observed_on__gte=date_from)
    if date_to:
        queryset = queryset.filter(observed_on__lte=date_to)
    return queryset.order_by("-observed_on", "-id")


def market_note_get(pk: int) -> MarketNote | None:
    return MarketNote.objects.select_related("author").filter(pk=pk).first()


# -- price comparison -------------------------------------------------------------------------

PriceKey = tuple[str, str]  # (normalized item name, PriceUnit value)


def our_prices() -> dict[PriceKey, Decimal]:
    """The firm's own price list, keyed like the comparison rows: ``(normalize_item(item),
    unit) → amount`` in yuan per that unit.

    Read from the active lines of the contracts chapter's price list (收费标准). While it is
    empty, :func:`price_comparison` shows no “本公司” column and the page says that our prices
    will appear once the fee standards are entered.
    """
    from zhangfang.contracts.selectors.prices import fee_item_list

    return {
        (normalize_item(item.name), item.unit): item.amount
        for item in fee_item_list(active_only=True)
    }


@dataclass
class PriceCell:
    """One competitor's price for one item: ``low``–``high`` if they list it more than once."""

    low: Decimal
    high: Decimal
    notes: list[str] = field(default_factory=list)
    is_lowest: bool = False

    @property
    def is_range(self) -> bool:
        return self.low != self.high


@dataclass
class PriceRow:
    item: str
    unit: str
    unit_label: str
    cells: list[PriceCell | None]
    ours: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    average: Decimal | None = None
    quoted_by: int = 0


@dataclass
class PriceComparison:
    competitors: list[Competitor]
    rows: list[PriceRow]
    has_our_prices: bool


def price_comparison() -> PriceComparison:
    """Competitors' prices side by side: one row per price item and unit, one column per
    competitor that lists prices, ¥ per unit.

    Items are grouped across competitors by their normalized name (:func:`normalize_item`) and
    their unit, because ¥300 a month and ¥3,000 a year are not comparable figures; the row shows
    the first spelling met. The lowest competitor price of a row is marked, and the row has the
    lowest, highest and average (of each competitor's lowest price, to the cent). The firm's own
    price is the ``ours`` of a row, from :func:`our_prices` (empty until fee standards exist).
    One query.
    """
    prices = list(
        CompetitorPrice.objects.select_related("competitor").order_by(
            "competitor__name", "competitor_id", "item", "id"
        )
    )
    ours = our_prices()
    competitors: list[Competitor] = []
    column: dict[int, int] = {}
    grouped: dict[PriceKey, dict] = {}
    for price in prices:
        if price.competitor_id not in column:
            column[price.competitor_id] = len(competitors)
            competitors.append(price.competitor)
        key = (normalize_item(price.item), price.unit)
        row = grouped.setdefault(key, {"item": price.item, "cells": {}})
        cell = row["cells"].get(price.competitor_id)
        if cell is None:
            row["cells"][price.competitor_id] = PriceCell(price.amount, price.amount)
            cell = row["cells"][price.competitor_id]
        else:
            cell.low, cell.high = min(cell.low, price.amount), max(cell.high, price.amount)
        if price.notes:
            cell.notes.append(price.notes)
    for key in ours:
        grouped.setdefault(key, {"item": key[0], "cells": {}})

    rows = []
    for (item_key, unit), row in grouped.items():
        cells: list[PriceCell | None] = [None] * len(competitors)
        for competitor_id, cell in row["cells"].items():
            cells[column[competitor_id]] = cell
        quoted = [cell.low for cell in cells if cell is not None]
        price_row = PriceRow(
            item=row["item"],
            unit=unit,
            unit_label=str(PriceUnit(unit).label) if unit in PriceUnit.values else unit,
            cells=cells,
            ours=ours.get((item_key, unit)),
            quoted_by=len(quoted),
        )
        if quoted:
            price_row.low, price_row.high = min(quoted), max(quoted)
            price_row.average = (sum(quoted) / len(quoted)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            if len(quoted) > 1:
                for cell in cells:
                    if cell is not None and cell.low == price_row.low:
                        cell.is_lowest = True
        rows.append(price_row)
    unit_order = {value: i for i, value in enumerate(PriceUnit.values)}
    rows.sort(key=lambda r: (pinyin_keys(r.item) or r.item, unit_order.get(r.unit, 99)))
    return PriceComparison(competitors=competitors, rows=rows, has_our_prices=bool(ours))
