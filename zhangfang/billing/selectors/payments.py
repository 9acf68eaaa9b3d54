"""Reads of payments (收款): the list, one payment with its allocations, and the receipt.

Scoped like bills: finance and administrators see every payment, the others only the payments
of clients they may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet

from zhangfang.billing.models import Allocation, LedgerEntry, Payment
from zhangfang.clients.selectors import client_visible_q

PAYMENT_SORTS = {
    "number": ("number", "id"),
    "client": ("client__search_pinyin", "id"),
    "received": ("received_on", "id"),
    "amount": ("amount", "id"),
}

PAYMENT_ROW_FIELDS = (
    "number",
    "method",
    "amount",
    "allocated_amount",
    "received_on",
    "payer",
    "reference",
    "is_reversed",
    "client__name",
    "client__search_pinyin",
    "received_by__name",
    "received_by__username",
)


@dataclass(frozen=True)
class PaymentFilters:
    q: str = ""
    method: str = ""
    month: dt.date | None = None
    unallocated: bool = False
    client: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.method or self.month or self.unallocated or self.client)


def payments_visible_to(user) -> QuerySet[Payment]:
    return Payment.objects.filter(client_visible_q(user, prefix="client__"))


def payment_list(*, user, filters: PaymentFilters, ordering: list) -> QuerySet[Payment]:
    """The payments ``user`` may see, filtered and ordered, with client and handler names."""
    queryset = (
        payments_visible_to(user).select_related("client", "received_by").only(*PAYMENT_ROW_FIELDS)
    )
    text = filters.q.strip()
    if text:
        queryset = queryset.filter(
            Q(number__iexact=text)
            | Q(reference__iexact=text)
            | Q(payer__icontains=text)
            | Q(client__name__icontains=text)
            | Q(client__short_name__icontains=text)
            | Q(client__search_pinyin__icontains=text.lower())
            | Q(client__uscc__iexact=text.upper())
        )
    if filters.method:
        queryset = queryset.filter(method=filters.method)
    if filters.month:
        start = filters.month
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        queryset = queryset.filter(received_on__gte=start, received_on__lt=end)
    if filters.unallocated:
        queryset = queryset.filter(is_reversed=False, allocated_amount__lt=F("amount"))
    if filters.client:
        queryset = queryset.filter(client_id=filters.client)
    return queryset.order_by(*ordering)


def payment_get(*, user, pk: int) -> Payment | None:
    """One payment ``user`` may see, with its allocations (and their bills) and ledger rows."""
    return (
        payments_visible_to(user)
        .filter(pk=pk)
        .select_related("client", "received_by")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("bill", "created_by").order_by("id"),
            ),
            Prefetch(
                "entries",
                queryset=LedgerEntry.objects.select_related("created_by").order_by(
                    "posted_on", "id"
                ),
            ),
        )
        .first()
    )


def receipt_lines(payment: Payment) -> list[dict]:
    """What a receipt says the payment paid: each bill with its net allocated amount (after
    any undone allocations), in the order they were applied; uses the prefetched rows."""
    lines: dict[int, dict] = {}
    for row in payment.allocations.all():
        line = lines.setdefault(row.bill_id, {"bill": row.bill, "amount": 0})
        line["amount"] += row.amount
    return [line for line in lines.values() if line["amount"]]
