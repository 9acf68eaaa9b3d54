"""Posting to the fee ledger (服务费用台账, policy 三(四)3) and keeping each client's account.

Every posting service of the chapter (bills, payments) follows the same three steps inside its
transaction:

1. :func:`lock_account` — lock the client's :class:`ClientAccount` row (created if missing), so
   two postings for one client queue instead of interleaving;
2. :func:`post_entry` — append :class:`LedgerEntry` rows (never edited; a correction is a
   reversing row with the opposite sign that points at what it undoes);
3. :func:`refresh_account` — recompute the account's totals from the rows.

So for every client, and for the firm, these identities always hold (tests check them with
random sequences of operations):

    balance    = Σ receivables − Σ receipts − Σ credits          (ledger rows)
    unallocated = Σ amounts of payments not reversed − Σ their net allocations
    balance    = Σ outstanding of OPEN/PARTIAL bills − unallocated
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.billing.models import (
    Bill,
    BillKind,
    BillStatus,
    ClientAccount,
    EntryKind,
    LedgerEntry,
    Payment,
)
from zhangfang.clients.models import Client
from zhangfang.core.errors import DomainError
from zhangfang.core.money_sql import MoneySum

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

#: Bill statuses that still owe money (and can take allocations and credits).
OWING = (BillStatus.OPEN, BillStatus.PARTIAL)


def check_amount(value, *, field: str) -> Decimal:
    """``value`` as a Decimal of at most two places and above zero, else a DomainError naming
    ``field`` (a Chinese label). Floats are refused: money is never binary-rounded."""
    if isinstance(value, float) or value is None:
        raise DomainError(_("%(field)s格式不正确。") % {"field": field})
    try:
        amount = Decimal(value)
    except (ArithmeticError, ValueError, TypeError):
        raise DomainError(_("%(field)s格式不正确。") % {"field": field}) from None
    if not amount.is_finite():
        raise DomainError(_("%(field)s格式不正确。") % {"field": field})
    if amount != amount.quantize(CENT):
        raise DomainError(_("%(field)s最多保留两位小数。") % {"field": field})
    if amount <= 0:
        raise DomainError(_("%(field)s须大于零。") % {"field": field})
    return amount.quantize(CENT)


def lock_account(client) -> ClientAccount:
    """The client's account row, locked until the caller's transaction ends; created if missing.

    Every posting starts here, so concurrent postings for one client run one after the other and
    each sees the bills and payments the previous one left.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_account() must be called inside a transaction")
    try:
        # A savepoint, so that losing the race to create the row leaves our transaction usable.
        with transaction.atomic():
            ClientAccount.objects.get_or_create(client_id=client.pk)
    except IntegrityError:
        pass
    return ClientAccount.objects.select_for_update().get(client_id=client.pk)


def post_entry(
    *,
    client,
    kind: str,
    amount: Decimal,
    posted_on: dt.date,
    description: str,
    bill: Bill | None = None,
    payment: Payment | None = None,
    reverses: LedgerEntry | None = None,
    by=None,
) -> LedgerEntry:
    """Append one ledger row. Only the services of this chapter call it, after lock_account."""
    return LedgerEntry.objects.create(
        client_id=client.pk,
        kind=kind,
        amount=amount,
        posted_on=posted_on,
        description=description[:200],
        bill=bill,
        payment=payment,
        reverses=reverses,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )


def reverse_entry(
    entry: LedgerEntry, *, posted_on: dt.date, description: str, by=None
) -> LedgerEntry:
    """A row with the opposite amount that undoes ``entry`` (which stays as it was)."""
    return post_entry(
        client=entry.client,
        kind=entry.kind,
        amount=-entry.amount,
        posted_on=posted_on,
        description=description,
        bill=entry.bill,
        payment=entry.payment,
        reverses=entry,
        by=by,
    )


def settled_status(bill: Bill) -> str:
    """OPEN / PARTIAL / PAID from what was paid and credited against the amount."""
    settled = bill.paid_amount + bill.credited_amount
    if settled >= bill.amount:
        return BillStatus.PAID
    if settled > 0:
        return BillStatus.PARTIAL
    return BillStatus.OPEN


def paid_through_of(client_id: int) -> dt.date | None:
    """已缴至: the last day of service covered by settled SERVICE bills in an unbroken run.

    The client's non-void SERVICE bills are taken in order of their service period. Starting
    from the earliest, every bill that is settled (status PAID — paid, credited or both) extends
    the run; the first bill that is not settled (open, partly paid or still scheduled) ends it.
    ``paid_through`` is the ``period_end`` (last day of the last month) of the last bill of the
    run, or None when the earliest bill is not settled or there is no service bill at all.

    A later bill paid in advance while an earlier one is unpaid does not move the date: the
    client has not paid *through* that month. Two aggregate queries, whatever the history.
    """
    service = Bill.objects.filter(client_id=client_id, kind=BillKind.SERVICE).exclude(
        status=BillStatus.VOID
    )
    first_unsettled = (
        service.exclude(status=BillStatus.PAID)
        .filter(period_start__isnull=False)
        .aggregate(start=Min("period_start"))["start"]
    )
    paid = service.filter(status=BillStatus.PAID, period_end__isnull=False)
    if first_unsettled is not None:
        paid = paid.filter(period_start__lt=first_unsettled)
    return paid.aggregate(end=Max("period_end"))["end"]


def refresh_account(client, *, today: dt.date | None = None) -> ClientAccount:
    """Recompute the client's account from its rows and save it; returns the account.

    Call it at the end of every posting service, in the same transaction (after lock_account).
    ``today`` decides what is overdue (default: today in Asia/Shanghai).
    """
    today = today or timezone.localdate()
    account, _created = ClientAccount.objects.get_or_create(client_id=client.pk)

    def total(kind: str):
        return MoneySum("amount", filter=Q(kind=kind))

    sums = LedgerEntry.objects.filter(client_id=client.pk).aggregate(
        receivable=total(EntryKind.RECEIVABLE),
        receipt=total(EntryKind.RECEIPT),
        credit=total(EntryKind.CREDIT),
    )
    unallocated = Payment.objects.filter(client_id=client.pk, is_reversed=False).aggregate(
        amount=MoneySum("amount"),
        allocated=MoneySum("allocated_amount"),
    )
    account.receivable_total = sums["receivable"]
    account.receipt_total = sums["receipt"]
    account.credit_total = sums["credit"]
    account.balance = sums["receivable"] - sums["receipt"] - sums["credit"]
    account.unallocated = unallocated["amount"] - unallocated["allocated"]
    account.paid_through = paid_through_of(client.pk)
    account.oldest_overdue_on = Bill.objects.filter(
        client_id=client.pk, status__in=OWING, due_on__lt=today
    ).aggregate(day=Min("due_on"))["day"]
    account.save()
    return account


@transaction.atomic
def accounts_refresh_overdue(*, today: dt.date) -> int:
    """Bring every account's 最早逾期日 up to ``today`` (bills fall overdue without a posting).

    The daily job calls it. One grouped query finds the right dates; only accounts whose stored
    date differs are written. Returns how many were changed. Idempotent.
    """
    wanted = dict(
        Bill.objects.filter(status__in=OWING, due_on__lt=today)
        .values_list("client_id")
        .annotate(day=Min("due_on"))
        .values_list("client_id", "day")
    )
    stored = dict(
        ClientAccount.objects.filter(
            Q(oldest_overdue_on__isnull=False) | Q(client_id__in=list(wanted))
        ).values_list("client_id", "oldest_overdue_on")
    )
    changed = 0
    for client_id in set(wanted) | set(stored):
        if client_id not in stored:
            # No account yet (rows written before accounts existed): compute all of it.
            refresh_account(Client(pk=client_id), today=today)
        elif stored[client_id] != wanted.get(client_id):
            ClientAccount.objects.filter(client_id=client_id).update(
                oldest_overdue_on=wanted.get(client_id), updated_at=timezone.now()
            )
        else:
            continue
        changed += 1
    return changed


def require(condition: bool, message: str) -> None:
    """Raise DomainError(message) unless ``condition``; keeps the checks in services short."""
    if not condition:
        raise DomainError(message)
