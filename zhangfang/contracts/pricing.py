"""Prices a client's needs from the price list (报价): the one place fees are computed.

Plans, contracts and the billing schedule all use these functions, so a quote, the contract that
follows it and the bills it generates always agree to the cent.

Rules:
- 代理记账: the active line for the client's taxpayer type whose voucher tier contains the monthly
  voucher count (a line without taxpayer type fits everyone; without ``voucher_max`` has no cap).
- 行业加价: every active surcharge line for the client's industry, monthly.
- 建账费: once, when asked for. Add-ons (增值服务): the lines chosen, once each (or per month if
  the line is priced per month). 账本费: per year of the term.
- Payment cycle: one bill covers ``months`` months and charges
  ``(months − free_months) × monthly fee × (1 − discount%)``, rounded to the cent (half up).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from zhangfang.contracts.models import FeeItem, FeeKind, FeeUnit, PaymentTerm
from zhangfang.core.errors import DomainError

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CycleCharge:
    """What one bill of a payment cycle charges."""

    months: int
    list_amount: Decimal  # months × monthly fee
    discount_amount: Decimal  # free months and percentage discount together
    amount: Decimal  # what the client pays for the cycle


def cycle_charge(
    *, monthly_fee: Decimal, months: int, free_months: int = 0, discount_percent: Decimal = 0
) -> CycleCharge:
    """The charge for ``months`` months of service under a payment term."""
    if months <= 0:
        raise ValueError("months must be positive")
    list_amount = to_cents(monthly_fee * months)
    chargeable = max(months - free_months, 0)
    amount = to_cents(monthly_fee * chargeable * (HUNDRED - Decimal(discount_percent)) / HUNDRED)
    return CycleCharge(months, list_amount, list_amount - amount, amount)


@dataclass(frozen=True)
class QuoteLine:
    fee_item: FeeItem | None
    name: str
    kind: str
    unit: str
    unit_price: Decimal
    quantity: Decimal
    amount: Decimal

    @property
    def is_recurring(self) -> bool:
        return self.unit == FeeUnit.MONTH


@dataclass(frozen=True)
class Quote:
    lines: list[QuoteLine]
    term_months: int
    payment_term: PaymentTerm
    monthly_fee: Decimal  # Σ monthly lines: bookkeeping + surcharges (+ monthly add-ons)
    one_off_total: Decimal  # Σ other lines for the whole term
    cycles: list[CycleCharge] = field(default_factory=list)

    @property
    def recurring_list_total(self) -> Decimal:
        return sum((c.list_amount for c in self.cycles), Decimal(0))

    @property
    def discount_total(self) -> Decimal:
        return sum((c.discount_amount for c in self.cycles), Decimal(0))

    @property
    def recurring_total(self) -> Decimal:
        return sum((c.amount for c in self.cycles), Decimal(0))

    @property
    def total(self) -> Decimal:
        """What the client pays over the whole term."""
        return self.recurring_total + self.one_off_total

    @property
    def first_bill(self) -> Decimal:
        """The first bill: the first cycle plus the one-off charges."""
        first = self.cycles[0].amount if self.cycles else Decimal(0)
        return first + self.one_off_total


def effective_on(on: dt.date) -> Q:
    return Q(is_active=True, effective_from__lte=on) & (
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )


def price_list_on(on: dt.date) -> QuerySet[FeeItem]:
    """The lines of the price list in force on ``on``."""
    return FeeItem.objects.filter(effective_on(on)).order_by("sort_order", "name")


def _for_taxpayer(queryset: QuerySet[FeeItem], taxpayer_type: str) -> QuerySet[FeeItem]:
    """Lines for this taxpayer type and lines for everyone (blank taxpayer type)."""
    return queryset.filter(Q(taxpayer_type=taxpayer_type) | Q(taxpayer_type=""))


def _tier_width(item: FeeItem) -> float:
    low = item.voucher_min or 0
    return math.inf if item.voucher_max is None else item.voucher_max - low


def bookkeeping_item(*, taxpayer_type: str, monthly_vouchers: int, on: dt.date) -> FeeItem | None:
    """The 代理记账 line for this taxpayer type and voucher volume; the most specific wins."""
    candidates = (
        _for_taxpayer(price_list_on(on).filter(kind=FeeKind.BOOKKEEPING), taxpayer_type)
        .filter(Q(voucher_min__isnull=True) | Q(voucher_min__lte=monthly_vouchers))
        .filter(Q(voucher_max__isnull=True) | Q(voucher_max__gte=monthly_vouchers))
    )
    # A line for this taxpayer type beats a line for everyone; then the narrowest tier, so a
    # catch-all line (no tier) never hides the tier the volume falls in.
    return min(
        candidates,
        key=lambda item: (item.taxpayer_type == "", _tier_width(item), item.sort_order, item.pk),
        default=None,
    )


def _line(item: FeeItem, quantity: Decimal) -> QuoteLine:
    return QuoteLine(
        fee_item=item,
        name=item.name,
        kind=item.kind,
        unit=item.unit,
        unit_price=item.amount,
        quantity=quantity,
        amount=to_cents(item.amount * quantity),
    )


def _times_per_term(unit: str, term_months: int) -> Decimal:
    """How often a non-monthly line is charged over the term; a monthly line joins the monthly
    fee (quantity 1 per month) and is billed with every cycle."""
    if unit == FeeUnit.YEAR:
        return Decimal(math.ceil(term_months / 12))
    if unit == FeeUnit.QUARTER:
        return Decimal(math.ceil(term_months / 3))
    return Decimal(1)


def check_term(term_months: int, payment_term: PaymentTerm) -> None:
    """A term must be whole cycles: an annual prepayment cannot cover 18 months."""
    if term_months <= 0 or term_months % payment_term.months:
        raise DomainError(
            _("服务期限须为付款周期（%(months)s 个月）的整数倍。")
            % {"months": payment_term.months},
            field="term_months",
        )


def quote(
    *,
    taxpayer_type: str,
    industry: str,
    monthly_vouchers: int,
    payment_term: PaymentTerm,
    term_months: int,
    addons: Iterable[FeeItem] = (),
    include_setup: bool = False,
    on: dt.date,
) -> Quote:
    """Price a client's needs from the price list in force on ``on``.

    Raises DomainError (a DomainError with a message for the user and the field to change) when
    the price list has no bookkeeping line for the taxpayer type and voucher volume, or the term
    is not whole payment cycles.
    """
    check_term(term_months, payment_term)
    lines: list[QuoteLine] = []
    bookkeeping = bookkeeping_item(
        taxpayer_type=taxpayer_type, monthly_vouchers=monthly_vouchers, on=on
    )
    if bookkeeping is None:
        raise DomainError(
            _("收费标准中没有适用于该纳税人类型、月凭证量 %(count)s 张的代理记账价格。")
            % {"count": monthly_vouchers},
            field="monthly_vouchers",
        )
    lines.append(_line(bookkeeping, Decimal(1)))
    in_force = _for_taxpayer(price_list_on(on), taxpayer_type)
    if industry:
        for item in in_force.filter(kind=FeeKind.SURCHARGE, industry=industry):
            lines.append(_line(item, Decimal(1)))
    if include_setup:
        # One 建账费: the line for this taxpayer type if there is one, else the general line.
        setup = min(
            in_force.filter(kind=FeeKind.SETUP),
            key=lambda item: (item.taxpayer_type == "", item.sort_order, item.pk),
            default=None,
        )
        if setup is not None:
            lines.append(_line(setup, Decimal(1)))
    for item in in_force.filter(kind=FeeKind.LEDGER_BOOK):
        lines.append(_line(item, _times_per_term(item.unit, term_months)))
    for item in addons:
        lines.append(_line(item, _times_per_term(item.unit, term_months)))
    monthly_fee = sum((line.amount for line in lines if line.is_recurring), Decimal(0))
    one_off_total = sum((line.amount for line in lines if not line.is_recurring), Decimal(0))
    cycles = [
        cycle_charge(
            monthly_fee=monthly_fee,
            months=payment_term.months,
            free_months=payment_term.free_months,
            discount_percent=payment_term.discount_percent,
        )
        for _cycle in range(term_months // payment_term.months)
    ]
    return Quote(
        lines=lines,
        term_months=term_months,
        payment_term=payment_term,
        monthly_fee=monthly_fee,
        one_off_total=one_off_total,
        cycles=cycles,
    )
