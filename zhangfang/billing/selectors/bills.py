"""Reads of bills: the bill list, one bill with its allocations and ledger rows, the open bills
of a client (for the payment form) and the add-ons of the price list (for the bill form).

Every read that returns client data starts from the user's data scope
(``client_visible_q(user, prefix="client__")``): finance and administrators see every bill, the
others only the bills of clients they may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from zhangfang.billing.models import Allocation, Bill, BillKind, BillStatus, LedgerEntry
from zhangfang.billing.services.ledger import OWING
from zhangfang.clients.models import Client
from zhangfang.clients.selectors import ClientFilters, client_list, client_visible_q
from zhangfang.contracts.models import FeeItem, FeeKind
from zhangfang.contracts.pricing import price_list_on

#: Sort keys of the bill list, each a tuple of ``order_by`` fields ending with a unique one.
BILL_SORTS = {
    "number": ("number", "id"),
    "client": ("client__search_pinyin", "id"),
    "issued": ("issued_on", "id"),
    "due": ("due_on", "id"),
    "amount": ("amount", "id"),
    "status": ("status", "due_on", "id"),
}

#: What a row of the bill list shows; nothing more is loaded (no encrypted client fields).
BILL_ROW_FIELDS = (
    "number",
    "kind",
    "description",
    "issued_on",
    "due_on",
    "amount",
    "paid_amount",
    "credited_amount",
    "status",
    "period_start",
    "period_end",
    "client__name",
    "client__search_pinyin",
)


@dataclass(frozen=True)
class BillFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    overdue: bool = False
    month: dt.date | None = None  # the first day of the issue month
    client: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.kind or self.overdue or self.month or self.client)


def bills_visible_to(user) -> QuerySet[Bill]:
    return Bill.objects.filter(client_visible_q(user, prefix="client__"))


def _client_search(queryset: QuerySet, text: str) -> QuerySet:
    """Bills whose number is the text, or whose client matches it (name, pinyin, credit code)."""
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(number__iexact=text)
        | Q(client__name__icontains=text)
        | Q(client__short_name__icontains=text)
        | Q(client__search_pinyin__icontains=text.lower())
        | Q(client__uscc__iexact=text.upper())
    )


def bill_list(*, user, filters: BillFilters, ordering: list, today: dt.date) -> QuerySet[Bill]:
    """The bills ``user`` may see, filtered and ordered, each row with its client's name."""
    queryset = bills_visible_to(user).select_related("client").only(*BILL_ROW_FIELDS)
    queryset = _client_search(queryset, filters.q)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.overdue:
        queryset = queryset.filter(status__in=OWING, due_on__lt=today)
    if filters.month:
        start = filters.month
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        queryset = queryset.filter(issued_on__gte=start, issued_on__lt=end)
    if filters.client:
        queryset = queryset.filter(client_id=filters.client)
    return queryset.order_by(*ordering)


def bill_get(*, user, pk: int) -> Bill | None:
    """One bill ``user`` may see, with what its page shows: its allocations (and their
    payments) and its ledger rows, in three queries."""
    return (
        bills_visible_to(user)
        .filter(pk=pk)
        .select_related("client", "contract", "created_by")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("payment", "created_by").order_by("id"),
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


def billable_client(*, user, pk: int | None) -> Client | None:
    """A client ``user`` may see, for the bill and payment forms (None when not visible)."""
    if not pk:
        return None
    return (
        Client.objects.filter(client_visible_q(user), pk=pk)
        .select_related("account")
        .only("name", "short_name", "uscc", "status", "account")
        .first()
    )


def client_search(*, user, q: str, limit: int = 10) -> list[Client]:
    """Clients matching ``q`` (name, pinyin, credit code, contact) that ``user`` may see."""
    if not q.strip():
        return []
    return list(client_list(user=user, filters=ClientFilters(q=q), table_row_only=True)[:limit])


def open_bills(client) -> list[Bill]:
    """The client's bills that still owe money, oldest due first (the auto-allocation order)."""
    return list(
        Bill.objects.filter(client=client, status__in=OWING).order_by("due_on", "issued_on", "id")
    )


def addon_price_items(*, on: dt.date) -> list[FeeItem]:
    """The add-on (增值服务) lines of the price list in force on ``on``, for the bill form."""
    return list(price_list_on(on).filter(kind=FeeKind.ADDON))


def status_choices_for_filter() -> list[tuple[str, str]]:
    return list(BillStatus.choices)


def kind_choices_for_filter() -> list[tuple[str, str]]:
    return list(BillKind.choices)
