"""Reads of the price list and payment terms; every logged-in member of staff may read them, and
the lines in force today are published to clients (明码标价)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.contracts.models import FeeItem, FeeKind, PaymentTerm
from zhangfang.contracts.pricing import price_list_on

#: The filter of the staff price-list page.
CURRENT = "current"
HISTORY = "all"


def fee_item_list(*, active_only: bool = False) -> QuerySet[FeeItem]:
    """The price list; with ``active_only``, the lines in force today (what clients are quoted).

    The competitor price comparison (leads) reads our prices through this.
    """
    if active_only:
        return price_list_on(timezone.localdate())
    return FeeItem.objects.order_by("sort_order", "name", "effective_from")


@dataclass
class FeeItemGroup:
    """The lines of one kind (代理记账, 行业加价, …), in price-list order."""

    kind: str
    label: str
    items: list[FeeItem] = field(default_factory=list)


def tier_label(item: FeeItem) -> str:
    """The voucher tier of a line in words: ``31–100 张``, ``101 张以上``, ``不限``."""
    if item.voucher_min is None and item.voucher_max is None:
        return _("不限")
    if item.voucher_max is None:
        return _("%(low)s 张以上") % {"low": item.voucher_min}
    return _("%(low)s–%(high)s 张") % {"low": item.voucher_min or 0, "high": item.voucher_max}


def _grouped(items) -> list[FeeItemGroup]:
    """Group lines by kind in the order of ``FeeKind``; each line gets its ``tier`` in words."""
    groups = {kind: FeeItemGroup(kind=kind, label=label) for kind, label in FeeKind.choices}
    for item in items:
        item.tier = tier_label(item)
        groups[item.kind].items.append(item)
    return [group for group in groups.values() if group.items]


def fee_item_groups(*, view: str = CURRENT, on: dt.date | None = None) -> list[FeeItemGroup]:
    """The staff price list grouped by kind, in one query.

    ``on`` gives the price list in force on that day; otherwise ``view`` is ``current`` (lines
    not yet ended, including disabled ones and price changes that start later, so finance sees
    what it keeps) or ``all`` (the history as well).
    """
    if on is not None:
        queryset = price_list_on(on)
    elif view == HISTORY:
        queryset = FeeItem.objects.all()
    else:
        today = timezone.localdate()
        queryset = FeeItem.objects.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=today))
    return _grouped(queryset.order_by("sort_order", "name", "effective_from"))


def fee_item_get(*, pk: int) -> FeeItem | None:
    return FeeItem.objects.filter(pk=pk).first()


def payment_term_list(*, active_only: bool = False) -> QuerySet[PaymentTerm]:
    queryset = PaymentTerm.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("sort_order", "name")


def payment_term_get(*, pk: int) -> PaymentTerm | None:
    return PaymentTerm.objects.filter(pk=pk).first()


@dataclass
class PublicPriceList:
    """What the public price page shows: the lines in force on ``on`` grouped by kind, the
    payment terms, and the day the latest of those prices took effect."""

    on: dt.date
    groups: list[FeeItemGroup]
    payment_terms: list[PaymentTerm]
    prices_since: dt.date | None


def public_price_list(*, on: dt.date | None = None) -> PublicPriceList:
    on = on or timezone.localdate()
    items = list(price_list_on(on))
    return PublicPriceList(
        on=on,
        groups=_grouped(items),
        payment_terms=list(payment_term_list(active_only=True)),
        prices_since=max((item.effective_from for item in items), default=None),
    )
