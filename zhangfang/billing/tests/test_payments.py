"""Payments and allocation (核销): oldest due first, explicit, partial, credits, reversals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from zhangfang.billing.models import (
    Allocation,
    BillStatus,
    ClientAccount,
    EntryKind,
    LedgerEntry,
    Payment,
    PaymentMethod,
)
from zhangfang.billing.services.payments import payment_allocate, payment_record, payment_reverse
from zhangfang.billing.tests.factories import finance_user, issued_bill, received_payment
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.errors import DomainError, TransitionNotAllowed

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = dt.datetime(2027, 3, 15, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def acme():
    return ClientFactory(name="深圳市阿克米科技有限公司")


@pytest.fixture
def finance():
    return finance_user()


@pytest.fixture
def three_bills(acme):
    """Due 2027-01-10 (¥100), 2027-02-10 (¥200), 2027-03-10 (¥300) — made out of order."""
    late = issued_bill(acme, 300, issued_on=dt.date(2027, 3, 1), due_on=dt.date(2027, 3, 10))
    first = issued_bill(acme, 100, issued_on=dt.date(2027, 1, 1), due_on=dt.date(2027, 1, 10))
    middle = issued_bill(acme, 200, issued_on=dt.date(2027, 2, 1), due_on=dt.date(2027, 2, 10))
    return first, middle, late


def refreshed(*bills):
    for bill in bills:
        bill.refresh_from_db()
    return bills


def account(client):
    return ClientAccount.objects.get(client=client)


def record(acme, finance, amount, **kwargs):
    return payment_record(
        client=acme,
        method=PaymentMethod.BANK,
        amount=D(amount),
        received_on=dt.date(2027, 3, 15),
        by=finance,
        **kwargs,
    )


def test_payment_posts_one_receipt_and_allocates_oldest_due_first(acme, finance, three_bills):
    payment = record(acme, finance, "250.00", payer="张三", reference="TX001")
    assert payment.number.startswith("SJ2027-")
    [entry] = payment.entries.all()
    assert (entry.kind, entry.amount, entry.posted_on) == (
        EntryKind.RECEIPT,
        D("250.00"),
        dt.date(2027, 3, 15),
    )
    first, middle, late = refreshed(*three_bills)
    assert (first.paid_amount, first.status) == (D("100.00"), BillStatus.PAID)
    assert (middle.paid_amount, middle.status) == (D("150.00"), BillStatus.PARTIAL)
    assert (late.paid_amount, late.status) == (D("0.00"), BillStatus.OPEN)
    assert payment.allocated_amount == D("250.00")
    acct = account(acme)
    assert acct.balance == D("350.00")
    assert acct.unallocated == 0
    assert acct.oldest_overdue_on == dt.date(2027, 2, 10)


def test_explicit_allocation(acme, finance, three_bills):
    first, middle, late = three_bills
    payment = record(acme, finance, "300", allocations=[(late, D("300"))])
    first, middle, late = refreshed(first, middle, late)
    assert late.status == BillStatus.PAID
    assert first.status == middle.status == BillStatus.OPEN
    assert [a.bill_id for a in payment.allocations.all()] == [late.pk]


def test_explicit_partial_allocation_leaves_credit(acme, finance, three_bills):
    first, middle, _late = three_bills
    record(acme, finance, "500", allocations=[(first, D("100")), (middle, D("50"))])
    first, middle = refreshed(first, middle)
    assert first.status == BillStatus.PAID
    assert middle.status == BillStatus.PARTIAL
    acct = account(acme)
    assert acct.unallocated == D("350.00")
    assert acct.balance == D("100.00")  # 600 owed − 500 received


def test_overpayment_stays_as_credit_and_is_allocated_later(acme, finance, three_bills):
    payment = record(acme, finance, "1000")
    assert all(b.status == BillStatus.PAID for b in refreshed(*three_bills))
    acct = account(acme)
    assert acct.unallocated == D("400.00")
    assert acct.balance == D("-400.00")
    new = issued_bill(acme, 300)
    rows = payment_allocate(payment=payment, by=finance)
    assert [(r.bill_id, r.amount) for r in rows] == [(new.pk, D("300.00"))]
    assert account(acme).unallocated == D("100.00")
    payment.refresh_from_db()
    assert payment.unallocated == D("100.00")
    with pytest.raises(DomainError, match="没有待收款的账单"):
        payment_allocate(payment=payment, by=finance)


def test_allocate_with_nothing_left_is_refused(acme, finance, three_bills):
    payment = record(acme, finance, "100")
    with pytest.raises(DomainError, match="已全部核销"):
        payment_allocate(payment=payment, by=finance)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (lambda b: [(b[0], D("100.01"))], "超过账单"),
        (lambda b: [(b[0], D("100")), (b[1], D("200")), (b[2], D("1"))], "核销合计"),
        (lambda b: [(b[0], D("0"))], "核销金额须大于零"),
        (lambda b: [(b[0], D("50")), (b[0], D("50"))], "重复核销"),
    ],
)
def test_bad_explicit_allocations_are_refused_and_nothing_saved(
    acme, finance, three_bills, rows, message
):
    with pytest.raises(DomainError, match=message):
        record(acme, finance, "300", allocations=rows(three_bills))
    assert not Payment.objects.exists()
    assert not LedgerEntry.objects.filter(kind=EntryKind.RECEIPT).exists()
    assert all(b.paid_amount == 0 for b in refreshed(*three_bills))


def test_bill_of_another_client_is_refused(acme, finance):
    other = ClientFactory()
    theirs = issued_bill(other, 100)
    with pytest.raises(DomainError, match=r"第 1 行.*不属于该客户"):
        record(acme, finance, "100", allocations=[(theirs, D("100"))])


def test_paid_bill_cannot_take_more(acme, finance, three_bills):
    first = three_bills[0]
    record(acme, finance, "100", allocations=[(first, D("100"))])
    with pytest.raises(DomainError, match="已结清"):
        record(acme, finance, "100", allocations=[(first, D("1"))])


def test_payment_input_rules(acme, finance):
    with pytest.raises(DomainError, match="收款金额须大于零"):
        record(acme, finance, "0")
    with pytest.raises(DomainError, match="收款日期不能晚于今天"):
        payment_record(
            client=acme,
            method=PaymentMethod.CASH,
            amount=D(10),
            received_on=dt.date(2027, 3, 16),
            by=finance,
        )
    with pytest.raises(DomainError, match="收款方式"):
        payment_record(
            client=acme, method="cheque", amount=D(10), received_on=dt.date(2027, 3, 1), by=finance
        )


def test_reverse_undoes_receipt_and_allocations(acme, finance, three_bills):
    payment = record(acme, finance, "250")
    payment_reverse(payment=payment, reason="银行退票", by=finance)
    assert payment.is_reversed
    assert payment.allocated_amount == 0
    entries = list(payment.entries.order_by("id"))
    assert [e.amount for e in entries] == [D("250.00"), D("-250.00")]
    assert entries[1].reverses == entries[0]
    rows = list(Allocation.objects.filter(payment=payment).order_by("id"))
    assert [r.amount for r in rows] == [D("100.00"), D("150.00"), D("-100.00"), D("-150.00")]
    assert rows[2].reverses == rows[0]
    assert all((b.paid_amount, b.status) == (0, BillStatus.OPEN) for b in refreshed(*three_bills))
    acct = account(acme)
    assert acct.balance == D("600.00")
    assert acct.receipt_total == 0
    assert acct.unallocated == 0
    with pytest.raises(TransitionNotAllowed, match="已冲销"):
        payment_reverse(payment=payment, reason="again", by=finance)
    with pytest.raises(TransitionNotAllowed, match="已冲销"):
        payment_allocate(payment=payment, by=finance)


def test_reverse_of_later_allocation_restores_bills(acme, finance):
    payment = received_payment(acme, 500, by=finance)  # all credit: no bills yet
    assert account(acme).unallocated == D("500.00")
    bill = issued_bill(acme, 300)
    payment_allocate(payment=payment, by=finance)
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    payment_reverse(payment=payment, reason="误登记", by=finance)
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN
    assert account(acme).balance == D("300.00")
    assert account(acme).unallocated == 0


def test_reverse_requires_reason(acme, finance):
    payment = received_payment(acme, 100, by=finance)
    with pytest.raises(DomainError, match="冲销原因"):
        payment_reverse(payment=payment, reason=" ", by=finance)


def test_ledger_rows_cannot_be_changed_or_deleted(acme, finance, three_bills):
    payment = record(acme, finance, "150")
    entry = LedgerEntry.objects.first()
    allocation = Allocation.objects.first()
    for row in (entry, allocation):
        with pytest.raises(PermissionError):
            row.save()
        with pytest.raises(PermissionError):
            row.delete()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(PermissionError):
        Allocation.objects.filter(payment=payment).delete()
