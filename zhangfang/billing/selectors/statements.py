"""Reads of statements of account (对账单): the figures of a period from the fee ledger, and the
statements issued to a client.

A statement's figures come from the ledger alone, so they always agree with it:

    opening  = Σ balance effects of the client's entries posted before the period
    closing  = opening + billed − received − credited

where billed, received and credited are the period's receivable, receipt and credit entries,
reversals included (a reversal is an entry of the same kind with the opposite sign, so it nets
out in its own column).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, Q, QuerySet

from zhangfang.billing.models import EntryKind, LedgerEntry, Statement, StatementStatus
from zhangfang.billing.selectors.ledger import BALANCE_EFFECT
from zhangfang.clients.models import Client
from zhangfang.clients.selectors import client_visible_q
from zhangfang.core.money_sql import MoneySum

ZERO = Decimal("0.00")
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class StatementLine:
    """One ledger entry of the period as a statement shows it."""

    posted_on: dt.date
    kind: str
    kind_label: str
    description: str
    #: 应收 (a receivable, negative when it reverses one), else None.
    billed: Decimal | None
    #: 收款 (a receipt), else None.
    received: Decimal | None
    #: 减免 (a credit), else None.
    credited: Decimal | None
    balance: Decimal

    @property
    def settled(self) -> Decimal | None:
        """收款/减免 in one column: what lowered the balance."""
        return self.received if self.received is not None else self.credited


@dataclass(frozen=True)
class StatementFigures:
    client: Client
    start: dt.date
    end: dt.date
    opening_balance: Decimal
    lines: list[StatementLine] = field(default_factory=list)
    billed: Decimal = ZERO
    received: Decimal = ZERO
    credited: Decimal = ZERO

    @property
    def settled(self) -> Decimal:
        """收款/减免 of the period in one figure."""
        return self.received + self.credited

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.billed - self.received - self.credited


def statement_compute(*, client: Client, start: dt.date, end: dt.date) -> StatementFigures:
    """The figures of ``client``'s statement for ``start``–``end`` (both days included): the
    opening balance, every entry of the period with its running balance, the period's totals
    and the closing balance. Two queries."""
    opening = LedgerEntry.objects.filter(client_id=client.pk, posted_on__lt=start).aggregate(
        total=MoneySum(BALANCE_EFFECT)
    )["total"]
    entries = (
        LedgerEntry.objects.filter(client_id=client.pk, posted_on__gte=start, posted_on__lte=end)
        .order_by("posted_on", "id")
        .only("posted_on", "kind", "amount", "description")
    )
    labels = dict(EntryKind.choices)
    balance = opening
    totals = {EntryKind.RECEIVABLE: ZERO, EntryKind.RECEIPT: ZERO, EntryKind.CREDIT: ZERO}
    lines = []
    for entry in entries:
        balance += entry.balance_effect
        totals[entry.kind] += entry.amount
        lines.append(
            StatementLine(
                posted_on=entry.posted_on,
                kind=entry.kind,
                kind_label=str(labels[entry.kind]),
                description=entry.description,
                billed=entry.amount if entry.kind == EntryKind.RECEIVABLE else None,
                received=entry.amount if entry.kind == EntryKind.RECEIPT else None,
                credited=entry.amount if entry.kind == EntryKind.CREDIT else None,
                balance=balance,
            )
        )
    return StatementFigures(
        client=client,
        start=start,
        end=end,
        opening_balance=opening,
        lines=lines,
        billed=totals[EntryKind.RECEIVABLE],
        received=totals[EntryKind.RECEIPT],
        credited=totals[EntryKind.CREDIT],
    )


def statement_client_get(*, user, pk: int) -> Client | None:
    """The client (with its team) if ``user`` may see it, else None."""
    return (
        Client.objects.filter(client_visible_q(user), pk=pk)
        .select_related("department", "customer_service", "sales_owner")
        .first()
    )


def statements_of_client(*, client: Client) -> list[Statement]:
    """Every statement issued to ``client``, latest period first, with who issued it."""
    return list(
        Statement.objects.filter(client=client)
        .select_related("issued_by", "recorded_by")
        .order_by("-period_end", "-id")
    )


def statement_get(*, user, pk: int) -> Statement | None:
    """One statement with its client and people, or None if missing or outside ``user``'s scope."""
    return (
        Statement.objects.filter(client_visible_q(user, prefix="client__"), pk=pk)
        .select_related("client", "issued_by", "recorded_by")
        .first()
    )


@dataclass(frozen=True)
class StatementFilters:
    q: str = ""
    status: str = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.status)


STATEMENT_SORTS = {
    "period_end": ("period_end", "id"),
    "created": ("created_at", "id"),
    "closing": ("closing_balance", "id"),
}


def statement_list(
    *, user, filters: StatementFilters, sort: str = "-created"
) -> QuerySet[Statement]:
    """Statements of the clients ``user`` may see, filtered by status and client name."""
    queryset = (
        Statement.objects.filter(client_visible_q(user, prefix="client__"))
        .select_related("client", "issued_by")
        .only(
            "period_start",
            "period_end",
            "opening_balance",
            "closing_balance",
            "status",
            "responded_on",
            "created_at",
            "client__name",
            "issued_by__name",
            "issued_by__username",
        )
    )
    if filters.status in StatementStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.q:
        queryset = queryset.filter(
            Q(client__name__icontains=filters.q) | Q(client__short_name__icontains=filters.q)
        )
    descending = sort.startswith("-")
    keys = STATEMENT_SORTS.get(sort.lstrip("-"), STATEMENT_SORTS["created"])
    return queryset.order_by(*[f"-{key}" if descending else key for key in keys])


def statement_history(statement: Statement, *, limit: int = 20) -> list:
    """What happened to the statement (issued, answered, downloaded), newest first.

    The events are anchored on the client (so the client's history shows them); here they are
    found by the statement itself, through the audit log's object index.
    """
    from zhangfang.core.models import AuditEvent

    return list(
        AuditEvent.objects.filter(
            object_type="billing.statement", object_id=str(statement.pk)
        ).order_by("-at", "-id")[:limit]
    )
