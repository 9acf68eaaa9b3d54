"""Reads of the fee ledger (服务费用台账) of one client: the account summary and the ledger with
a running balance, a page at a time.

The ledger is shown in the order it was posted (date, then entry), oldest first, like a ledger
book; the first page shown is the last one (the newest rows). The balance column is right on
every page: the balance before the page's first row is one aggregate query over the rows before
it, and the page's rows add to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Case, DecimalField, F, Q, When

from zhangfang.billing.models import ClientAccount, EntryKind, LedgerEntry
from zhangfang.core.money_sql import MoneySum

LEDGER_PAGE_SIZE = 20
ZERO = Decimal("0.00")

#: How a row moves what the client owes: receivables up, receipts and credits down.
BALANCE_EFFECT = Case(
    When(kind=EntryKind.RECEIVABLE, then=F("amount")),
    default=-F("amount"),
    output_field=DecimalField(max_digits=14, decimal_places=2),
)


@dataclass(frozen=True)
class LedgerRow:
    entry: LedgerEntry
    debit: Decimal | None  # what the row adds to the balance (应收)
    credit: Decimal | None  # what it takes off (收款、减免)
    balance: Decimal  # the balance after the row


@dataclass(frozen=True)
class LedgerPage:
    page: Page
    rows: list[LedgerRow]
    opening_balance: Decimal  # the balance before the page's first row
    closing_balance: Decimal  # the balance after its last row


def account_of(client) -> ClientAccount:
    """The client's account; an unsaved empty one when nothing was ever posted."""
    try:
        return ClientAccount.objects.get(client_id=client.pk)
    except ClientAccount.DoesNotExist:
        return ClientAccount(client_id=client.pk)


def _page_number(page: int | str | None, last: int) -> int:
    """The requested page number; missing or malformed means the last (newest) page."""
    try:
        number = int(page)
    except (TypeError, ValueError):
        return last
    return min(max(number, 1), last)


def client_ledger(
    *, client, page: int | str | None, per_page: int = LEDGER_PAGE_SIZE
) -> LedgerPage:
    """One page of the client's ledger, oldest row first, with debit, credit and running balance.

    ``page`` None (or not a number) gives the last page. At most three queries whatever the
    page: the count, the page's rows, and the balance before the page (one aggregate, skipped
    on the first page).
    """
    entries = (
        LedgerEntry.objects.filter(client_id=client.pk)
        .select_related("bill", "payment")
        .only(
            "kind",
            "amount",
            "posted_on",
            "description",
            "reverses_id",
            "bill__number",
            "payment__number",
        )
        .order_by("posted_on", "id")
    )
    paginator = Paginator(entries, per_page)
    number = _page_number(page, paginator.num_pages)
    current = paginator.page(number)
    items = list(current.object_list)
    opening = ZERO
    if items and current.number > 1:  # nothing comes before the first page
        first = items[0]
        before = Q(posted_on__lt=first.posted_on) | Q(posted_on=first.posted_on, id__lt=first.pk)
        opening = (
            LedgerEntry.objects.filter(client_id=client.pk)
            .filter(before)
            .aggregate(total=MoneySum(BALANCE_EFFECT))["total"]
        )
    balance = opening
    rows = []
    for entry in items:
        effect = entry.balance_effect
        balance += effect
        rows.append(
            LedgerRow(
                entry=entry,
                debit=effect if entry.kind == EntryKind.RECEIVABLE else None,
                credit=entry.amount if entry.kind != EntryKind.RECEIVABLE else None,
                balance=balance,
            )
        )
    current.object_list = items
    return LedgerPage(page=current, rows=rows, opening_balance=opening, closing_balance=balance)
