"""One-off bills, credits (减免) and voids (作废): the services and their rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from zhangfang.billing.models import (
    Bill,
    BillKind,
    BillStatus,
    ClientAccount,
    EntryKind,
    LedgerEntry,
)
from zhangfang.billing.services.bills import bill_create, bill_credit, bill_void
from zhangfang.billing.services.payments import payment_reverse
from zhangfang.billing.tests.factories import (
    finance_user,
    issued_bill,
    received_payment,
    signed_contract,
)
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = dt.datetime(2027, 3, 15, 2, 0, tzinfo=dt.UTC)  # 2027-03-15 in Shanghai


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


def account(client):
    return ClientAccount.objects.get(client=client)


def test_bill_create_posts_the_receivable(acme, finance):
    bill = bill_create(
        client=acme,
        kind=BillKind.ADDON,
        description="工商年报",
        amount=D("300.00"),
        issued_on=dt.date(2027, 3, 15),
        due_on=dt.date(2027, 3, 25),
        by=finance,
    )
    assert bill.number.startswith("ZD2027-")
    assert bill.status == BillStatus.OPEN
    [entry] = bill.entries.all()
    assert (entry.kind, entry.amount, entry.posted_on) == (
        EntryKind.RECEIVABLE,
        D("300.00"),
        dt.date(2027, 3, 15),
    )
    assert account(acme).balance == D("300.00")
    assert account(acme).receivable_total == D("300.00")
    event = AuditEvent.objects.get(object_type="billing.bill", object_id=str(bill.pk))
    assert event.anchor_type == "clients.client"
    assert event.anchor_id == str(acme.pk)


def test_bill_numbers_are_gap_free_per_year(acme):
    first = issued_bill(acme, 100)
    second = issued_bill(acme, 200)
    assert int(second.number.split("-")[1]) == int(first.number.split("-")[1]) + 1


def test_future_issue_date_makes_a_scheduled_bill(acme, finance):
    bill = issued_bill(acme, 300, issued_on=dt.date(2027, 4, 1), due_on=dt.date(2027, 4, 10))
    assert bill.status == BillStatus.SCHEDULED
    assert not bill.entries.exists()
    assert account(acme).balance == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": D("0")}, "应收金额须大于零"),
        ({"amount": D("-5")}, "应收金额须大于零"),
        ({"amount": D("1.005")}, "两位小数"),
        ({"amount": 1.5}, "应收金额格式不正确"),
        ({"description": "  "}, "摘要"),
        ({"due_on": dt.date(2027, 3, 1)}, "付款期限"),
        ({"kind": "nonsense"}, "类别"),
    ],
)
def test_bill_create_refuses_bad_input_naming_the_field(acme, finance, changes, message):
    values = {
        "client": acme,
        "kind": BillKind.ADDON,
        "description": "工商年报",
        "amount": D("300"),
        "issued_on": dt.date(2027, 3, 15),
        "due_on": dt.date(2027, 3, 25),
        "by": finance,
    } | changes
    with pytest.raises(DomainError, match=message):
        bill_create(**values)
    assert not Bill.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_credit_reduces_what_is_owed(acme, finance):
    bill = issued_bill(acme, 300)
    entry = bill_credit(bill=bill, amount=D("100.00"), reason="老客户优惠", by=finance)
    assert (entry.kind, entry.amount) == (EntryKind.CREDIT, D("100.00"))
    bill.refresh_from_db()
    assert bill.credited_amount == D("100.00")
    assert bill.status == BillStatus.PARTIAL
    assert bill.outstanding == D("200.00")
    assert account(acme).balance == D("200.00")
    assert account(acme).credit_total == D("100.00")
    bill_credit(bill=bill, amount=D("200.00"), reason="全部减免", by=finance)
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID


def test_credit_rules(acme, finance):
    bill = issued_bill(acme, 300)
    with pytest.raises(DomainError, match="不能超过账单未收金额"):
        bill_credit(bill=bill, amount=D("300.01"), reason="x", by=finance)
    with pytest.raises(DomainError, match="减免原因"):
        bill_credit(bill=bill, amount=D("10"), reason=" ", by=finance)
    with pytest.raises(DomainError, match="减免金额须大于零"):
        bill_credit(bill=bill, amount=D("0"), reason="x", by=finance)
    received_payment(acme, 300)
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    with pytest.raises(TransitionNotAllowed):
        bill_credit(bill=bill, amount=D("1"), reason="x", by=finance)
    assert not LedgerEntry.objects.filter(kind=EntryKind.CREDIT).exists()


def test_void_reverses_receivable_and_credits(acme, finance):
    bill = issued_bill(acme, 300)
    bill_credit(bill=bill, amount=D("50"), reason="优惠", by=finance)
    bill_void(bill=bill, reason="重复开单", by=finance)
    bill.refresh_from_db()
    assert bill.status == BillStatus.VOID
    assert bill.credited_amount == 0
    entries = list(bill.entries.order_by("id"))
    assert [(e.kind, e.amount) for e in entries] == [
        (EntryKind.RECEIVABLE, D("300.00")),
        (EntryKind.CREDIT, D("50.00")),
        (EntryKind.RECEIVABLE, D("-300.00")),
        (EntryKind.CREDIT, D("-50.00")),
    ]
    assert entries[2].reverses == entries[0]
    assert entries[3].reverses == entries[1]
    assert account(acme).balance == 0
    with pytest.raises(TransitionNotAllowed, match="已作废"):
        bill_void(bill=bill, reason="again", by=finance)


def test_void_refused_with_money_paid_allowed_after_reversal(acme, finance):
    bill = issued_bill(acme, 300)
    payment = received_payment(acme, 100)
    with pytest.raises(DomainError, match="已收款"):
        bill_void(bill=bill, reason="x", by=finance)
    payment_reverse(payment=payment, reason="退票", by=finance)
    bill_void(bill=bill, reason="开错了", by=finance)
    bill.refresh_from_db()
    assert bill.status == BillStatus.VOID
    assert account(acme).balance == 0


def test_void_of_scheduled_bill_writes_no_entry(acme, finance):
    with time_machine.travel(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        contract = signed_contract(client=acme, signed_on=dt.date(2026, 12, 1))
    bill = contract.bills.filter(status=BillStatus.SCHEDULED).last()
    bill_void(bill=bill, reason="提前终止", by=finance)
    bill.refresh_from_db()
    assert bill.status == BillStatus.VOID
    assert not bill.entries.exists()


def test_void_requires_reason(acme, finance):
    bill = issued_bill(acme, 300)
    with pytest.raises(DomainError, match="作废原因"):
        bill_void(bill=bill, reason="", by=finance)


def test_paid_through_is_the_end_of_an_unbroken_run(acme, finance):
    with time_machine.travel(dt.datetime(2027, 1, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        contract = signed_contract(client=acme, signed_on=dt.date(2027, 1, 1))
    from zhangfang.billing.services.bills import bills_issue_scheduled

    bills_issue_scheduled(today=dt.date(2027, 3, 15))
    jan, feb, mar = contract.bills.filter(kind=BillKind.SERVICE).order_by("period_start")[:3]
    assert account(acme).paid_through is None
    # March paid in advance of February: not paid *through* March.
    received_payment(acme, 300, allocations=[(mar, D(300))])
    assert account(acme).paid_through is None
    received_payment(acme, 300, allocations=[(jan, D(300))])
    assert account(acme).paid_through == dt.date(2027, 1, 31)
    bill_credit(bill=feb, amount=D(300), reason="赠送", by=finance)
    assert account(acme).paid_through == dt.date(2027, 3, 31)


def test_oldest_overdue(acme):
    issued_bill(acme, 100, issued_on=dt.date(2027, 2, 1), due_on=dt.date(2027, 2, 10))
    issued_bill(acme, 100, issued_on=dt.date(2027, 3, 1), due_on=dt.date(2027, 3, 10))
    issued_bill(acme, 100, due_on=dt.date(2027, 3, 20))
    assert account(acme).oldest_overdue_on == dt.date(2027, 2, 10)
    received_payment(acme, 100)
    assert account(acme).oldest_overdue_on == dt.date(2027, 3, 10)
