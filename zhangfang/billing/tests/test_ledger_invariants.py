"""Property-based tests of the fee ledger: whatever sequence of billing operations finance runs
(some of them refused), the books always balance.

Each example runs a random sequence of bill_create, payment_record (auto, none or random explicit
allocations), bill_credit, bill_void, payment_reverse and payment_allocate on three clients, in
a savepoint that is rolled back afterwards, then checks the identities below for every client,
every bill, every payment and the firm as a whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhangfang.billing.models import (
    Allocation,
    Bill,
    BillKind,
    BillStatus,
    ClientAccount,
    EntryKind,
    LedgerEntry,
    Payment,
    PaymentMethod,
)
from zhangfang.billing.services.bills import bill_create, bill_credit, bill_void
from zhangfang.billing.services.ledger import OWING, settled_status
from zhangfang.billing.services.payments import payment_allocate, payment_record, payment_reverse
from zhangfang.billing.tests.factories import finance_user
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.errors import DomainError
from zhangfang.core.money_sql import MoneySum

TODAY = dt.date(2027, 3, 15)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

cents = st.integers(min_value=1, max_value=200_000)
fraction = st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal(1), Decimal("1.5")])
pick = st.integers(min_value=0, max_value=50)
who = st.integers(min_value=0, max_value=2)
allocation_mode = st.one_of(
    st.just("auto"),
    st.just("none"),
    st.lists(st.tuples(pick, fraction), min_size=1, max_size=3),
)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("bill"), who, cents, st.integers(min_value=-90, max_value=5)),
        st.tuples(st.just("pay"), who, cents, allocation_mode),
        st.tuples(st.just("credit"), pick, fraction),
        st.tuples(st.just("void"), pick),
        st.tuples(st.just("reverse"), pick),
        st.tuples(st.just("allocate"), pick, allocation_mode),
    ),
    min_size=1,
    max_size=14,
)


@pytest.fixture
def world(db):
    with time_machine.travel(dt.datetime(2027, 3, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        yield {"finance": finance_user(), "clients": [ClientFactory() for _ in range(3)]}


def _money(value: Decimal) -> Decimal:
    return max(value.quantize(CENT), CENT)


def _explicit(rows, bills: list[Bill]) -> list[tuple[Bill, Decimal]]:
    chosen = []
    for index, share in rows:
        if bills:
            bill = bills[index % len(bills)]
            bill.refresh_from_db()
            chosen.append((bill, _money(bill.outstanding * share)))
    return chosen


def _run(op, world) -> None:
    by, clients = world["finance"], world["clients"]
    bills = list(Bill.objects.order_by("id"))
    payments = list(Payment.objects.order_by("id"))
    kind = op[0]
    if kind == "bill":
        _kind, client_index, amount, offset = op
        issued_on = TODAY + dt.timedelta(days=offset)
        bill_create(
            client=clients[client_index],
            kind=BillKind.ADDON,
            description="增值服务",
            amount=Decimal(amount) / 100,
            issued_on=issued_on,
            due_on=issued_on + dt.timedelta(days=10),
            by=by,
        )
    elif kind == "pay":
        _kind, client_index, amount, mode = op
        client = clients[client_index]
        if mode == "auto":
            allocations = None
        elif mode == "none":
            allocations = []
        else:
            allocations = _explicit(mode, bills)  # may name other clients' bills: refused
        payment_record(
            client=client,
            method=PaymentMethod.BANK,
            amount=Decimal(amount) / 100,
            received_on=TODAY,
            allocations=allocations,
            by=by,
        )
    elif kind == "credit" and bills:
        bill = bills[op[1] % len(bills)]
        bill_credit(bill=bill, amount=_money(bill.outstanding * op[2]), reason="减免", by=by)
    elif kind == "void" and bills:
        bill_void(bill=bills[op[1] % len(bills)], reason="作废", by=by)
    elif kind == "reverse" and payments:
        payment_reverse(payment=payments[op[1] % len(payments)], reason="退票", by=by)
    elif kind == "allocate" and payments:
        payment = payments[op[1] % len(payments)]
        mode = op[2]
        allocations = _explicit(mode, bills) if isinstance(mode, list) else None
        payment_allocate(payment=payment, allocations=allocations, by=by)


def _sum(queryset, field: str = "amount") -> Decimal:
    # MoneySum: SQLite adds decimals as floats (see core/money_sql.py).
    return queryset.aggregate(total=MoneySum(field))["total"]


def _check_books(clients) -> None:
    firm_balance = ZERO
    for client in clients:
        entries = LedgerEntry.objects.filter(client=client)
        receivables = _sum(entries.filter(kind=EntryKind.RECEIVABLE))
        receipts = _sum(entries.filter(kind=EntryKind.RECEIPT))
        credits = _sum(entries.filter(kind=EntryKind.CREDIT))
        account = ClientAccount.objects.filter(client=client).first()
        if account is None:  # nothing ever posted for this client
            assert not entries.exists()
            continue
        assert account.receivable_total == receivables
        assert account.receipt_total == receipts
        assert account.credit_total == credits
        assert account.balance == receivables - receipts - credits
        firm_balance += account.balance

        standing = Payment.objects.filter(client=client, is_reversed=False)
        net_allocations = _sum(Allocation.objects.filter(payment__in=standing))
        assert account.unallocated == _sum(standing) - net_allocations
        assert account.unallocated >= 0

        owing = Bill.objects.filter(client=client, status__in=OWING)
        outstanding = sum((b.outstanding for b in owing), ZERO)
        assert account.balance == outstanding - account.unallocated

        overdue = [b.due_on for b in owing if b.due_on < TODAY]
        assert account.oldest_overdue_on == (min(overdue) if overdue else None)

    for bill in Bill.objects.all():
        paid = _sum(Allocation.objects.filter(bill=bill))
        credited = _sum(LedgerEntry.objects.filter(bill=bill, kind=EntryKind.CREDIT))
        receivable = _sum(LedgerEntry.objects.filter(bill=bill, kind=EntryKind.RECEIVABLE))
        assert bill.paid_amount == paid >= 0
        assert bill.credited_amount == credited >= 0
        assert bill.paid_amount + bill.credited_amount <= bill.amount
        if bill.status in (BillStatus.VOID, BillStatus.SCHEDULED):
            assert receivable == 0
            assert bill.paid_amount == 0
            assert bill.credited_amount == 0
        else:
            assert receivable == bill.amount
            assert bill.status == settled_status(bill)

    for payment in Payment.objects.all():
        receipt = _sum(LedgerEntry.objects.filter(payment=payment, kind=EntryKind.RECEIPT))
        allocated = _sum(Allocation.objects.filter(payment=payment))
        assert payment.allocated_amount == allocated
        assert 0 <= payment.allocated_amount <= payment.amount
        if payment.is_reversed:
            assert receipt == 0 and allocated == 0
        else:
            assert receipt == payment.amount

    # Firm-wide: the accounts add up to the ledger.
    everything = LedgerEntry.objects.all()
    assert firm_balance == (
        _sum(everything.filter(kind=EntryKind.RECEIVABLE))
        - _sum(everything.filter(kind=EntryKind.RECEIPT))
        - _sum(everything.filter(kind=EntryKind.CREDIT))
    )
    # Every reversing row undoes a row of its own kind, once.
    for entry in everything.filter(reverses__isnull=False).select_related("reverses"):
        assert entry.kind == entry.reverses.kind
        assert entry.amount == -entry.reverses.amount


class _Rollback(Exception):
    pass


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_books_balance_after_any_sequence(world, ops):
    with time_machine.travel(dt.datetime(2027, 3, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        try:
            with transaction.atomic():
                for op in ops:
                    # A refused operation changes nothing; the books must still hold.
                    with contextlib.suppress(DomainError):
                        _run(op, world)
                _check_books(world["clients"])
                raise _Rollback
        except _Rollback:
            pass
