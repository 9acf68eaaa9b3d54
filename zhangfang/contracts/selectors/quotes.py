"""The quote calculator's reading of the price list: a client's needs priced by
:func:`zhangfang.contracts.pricing.quote`, with the figures a salesperson tells the client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from zhangfang.contracts.models import FeeItem, PaymentTerm
from zhangfang.contracts.pricing import CycleCharge, Quote, QuoteLine, quote, to_cents


@dataclass(frozen=True)
class QuoteSummary:
    """A priced quote and what the page shows beside it."""

    quote: Quote
    plan_query: str  # the needs as GET parameters of the plan form (用此报价创建服务方案)

    @property
    def lines(self) -> list[QuoteLine]:
        return self.quote.lines

    @property
    def cycle(self) -> CycleCharge | None:
        """One bill of the payment cycle; every cycle of a term charges the same."""
        return self.quote.cycles[0] if self.quote.cycles else None

    @property
    def cycle_count(self) -> int:
        return len(self.quote.cycles)

    @property
    def monthly_payment_total(self) -> Decimal:
        """What the same service costs paid month by month at list price."""
        return to_cents(self.quote.monthly_fee * self.quote.term_months) + self.quote.one_off_total

    @property
    def saving(self) -> Decimal:
        """What the payment term saves compared with paying month by month."""
        return self.monthly_payment_total - self.quote.total


def quote_summary(
    *,
    taxpayer_type: str,
    industry: str,
    monthly_vouchers: int,
    payment_term: PaymentTerm,
    term_months: int,
    addons: Iterable[FeeItem],
    include_setup: bool,
    on: dt.date,
) -> QuoteSummary:
    """Price the needs; raises ``pricing.DomainError`` (naming the field) when the list cannot."""
    addons = list(addons)
    priced = quote(
        taxpayer_type=taxpayer_type,
        industry=industry,
        monthly_vouchers=monthly_vouchers,
        payment_term=payment_term,
        term_months=term_months,
        addons=addons,
        include_setup=include_setup,
        on=on,
    )
    plan_query = urlencode(
        [
            ("taxpayer_type", taxpayer_type),
            ("industry", industry),
            ("monthly_vouchers", monthly_vouchers),
            ("payment_term", payment_term.pk),
            ("term_months", term_months),
            *[("addons", item.pk) for item in addons],
            ("include_setup", 1 if include_setup else 0),
        ]
    )
    return QuoteSummary(quote=priced, plan_query=plan_query)
