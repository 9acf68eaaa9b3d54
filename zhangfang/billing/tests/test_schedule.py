"""A signed contract's billing schedule, and the daily job that issues scheduled bills."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from zhangfang.billing.models import (
    Bill,
    BillKind,
    BillStatus,
    ClientAccount,
    EntryKind,
    LedgerEntry,
)
from zhangfang.billing.services.bills import (
    bills_issue_scheduled,
    contract_bills_schedule,
)
from zhangfang.billing.tests.factories import finance_user, signed_contract
from zhangfang.contracts.models import ContractLine, ContractStatus, FeeKind, FeeUnit, PaymentCycle
from zhangfang.contracts.pricing import cycle_charge
from zhangfang.contracts.tests.factories import ContractFactory
from zhangfang.core.calendar import add_months
from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent

pytestmark = pytest.mark.django_db

D = Decimal
BEFORE_START = dt.datetime(2026, 12, 15, 10, 0, tzinfo=dt.UTC)


def service_bills(contract):
    return list(
        Bill.objects.filter(contract=contract, kind=BillKind.SERVICE).order_by("period_start")
    )


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 11, 15), 3) == dt.date(2028, 2, 15)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)


@time_machine.travel(BEFORE_START)
def test_monthly_contract_gets_twelve_bills_all_scheduled_before_the_start():
    contract = signed_contract(signed_on=dt.date(2026, 12, 15))
    bills = service_bills(contract)
    assert len(bills) == 12
    assert [b.amount for b in bills] == [D("300.00")] * 12
    assert bills[0].period_start == dt.date(2027, 1, 1)
    assert bills[0].period_end == dt.date(2027, 1, 31)
    assert bills[1].period_end == dt.date(2027, 2, 28)
    assert bills[-1].period_end == dt.date(2027, 12, 31)
    assert bills[0].issued_on == dt.date(2027, 1, 1)
    assert bills[0].due_on == dt.date(2027, 1, 11)  # 10 days to pay by default
    assert {b.status for b in bills} == {BillStatus.SCHEDULED}
    assert not contract.client.ledger_entries.exists()
    assert ClientAccount.objects.get(client=contract.client).balance == 0
    assert "2027-01" in bills[0].description


@time_machine.travel(BEFORE_START)
def test_quarterly_contract_bills_each_quarter():
    contract = signed_contract(payment_cycle=PaymentCycle.QUARTERLY)
    bills = service_bills(contract)
    assert [(b.period_start, b.period_end) for b in bills] == [
        (dt.date(2027, 1, 1), dt.date(2027, 3, 31)),
        (dt.date(2027, 4, 1), dt.date(2027, 6, 30)),
        (dt.date(2027, 7, 1), dt.date(2027, 9, 30)),
        (dt.date(2027, 10, 1), dt.date(2027, 12, 31)),
    ]
    assert [b.amount for b in bills] == [D("900.00")] * 4
    assert sum(b.amount for b in bills) == D("3600.00")


@time_machine.travel(BEFORE_START)
def test_annual_discount_contract_matches_cycle_charge():
    contract = signed_contract(payment_cycle=PaymentCycle.ANNUAL, discount_percent=D(10))
    [bill] = service_bills(contract)
    charge = cycle_charge(monthly_fee=D(300), months=12, discount_percent=D(10))
    assert (bill.list_amount, bill.discount_amount, bill.amount) == (
        charge.list_amount,
        charge.discount_amount,
        charge.amount,
    )
    assert bill.amount == D("3240.00")
    assert bill.discount_amount == D("360.00")
    assert bill.period_end == dt.date(2027, 12, 31)


@time_machine.travel(BEFORE_START)
def test_annual_free_month_contract():
    contract = signed_contract(
        payment_cycle=PaymentCycle.ANNUAL, free_months=1, monthly_fee=D("450.00")
    )
    [bill] = service_bills(contract)
    assert bill.list_amount == D("5400.00")
    assert bill.discount_amount == D("450.00")
    assert bill.amount == D("4950.00")


@time_machine.travel(BEFORE_START)
def test_one_off_lines_are_billed_with_the_first_cycle():
    contract = ContractFactory(status=ContractStatus.SIGNED, signed_on=dt.date(2026, 12, 15))
    ContractLine.objects.create(
        contract=contract,
        name="代理记账",
        kind=FeeKind.BOOKKEEPING,
        unit=FeeUnit.MONTH,
        unit_price=D(300),
        amount=D(300),
    )
    ContractLine.objects.create(
        contract=contract,
        name="建账费",
        kind=FeeKind.SETUP,
        unit=FeeUnit.ONCE,
        unit_price=D(500),
        amount=D(500),
    )
    ContractLine.objects.create(
        contract=contract,
        name="工商年报",
        kind=FeeKind.ADDON,
        unit=FeeUnit.YEAR,
        unit_price=D(300),
        amount=D(300),
    )
    ContractLine.objects.create(
        contract=contract,
        name="账本费",
        kind=FeeKind.LEDGER_BOOK,
        unit=FeeUnit.YEAR,
        unit_price=D(100),
        amount=D(100),
    )
    bills = contract_bills_schedule(contract=contract, by=finance_user())
    one_offs = [b for b in bills if b.kind != BillKind.SERVICE]
    assert sorted((b.kind, b.amount) for b in one_offs) == [
        (BillKind.ADDON, D("300.00")),
        (BillKind.OTHER, D("100.00")),
        (BillKind.SETUP, D("500.00")),
    ]
    assert {b.issued_on for b in one_offs} == {dt.date(2027, 1, 1)}
    assert len(bills) == 15


@time_machine.travel(BEFORE_START)
def test_schedule_is_idempotent():
    contract = signed_contract()
    count = Bill.objects.count()
    events = AuditEvent.objects.count()
    again = contract_bills_schedule(contract=contract, by=finance_user())
    assert Bill.objects.count() == count
    assert len(again) == count
    assert AuditEvent.objects.count() == events


def test_bills_due_at_signing_are_issued_at_once():
    with time_machine.travel(dt.datetime(2027, 2, 10, 2, 0, tzinfo=dt.UTC)):
        contract = signed_contract(signed_on=dt.date(2027, 2, 10))
        bills = service_bills(contract)
        # January and February have begun: issued on the signing date, never before it.
        assert [b.status for b in bills[:3]] == [
            BillStatus.OPEN,
            BillStatus.OPEN,
            BillStatus.SCHEDULED,
        ]
        assert bills[0].issued_on == dt.date(2027, 2, 10)
        assert bills[0].due_on == dt.date(2027, 2, 20)
        entries = contract.client.ledger_entries.all()
        assert [(e.kind, e.amount, e.posted_on) for e in entries] == [
            (EntryKind.RECEIVABLE, D("300.00"), dt.date(2027, 2, 10)),
            (EntryKind.RECEIVABLE, D("300.00"), dt.date(2027, 2, 10)),
        ]
        assert ClientAccount.objects.get(client=contract.client).balance == D("600.00")


def test_unsigned_contract_is_refused():
    contract = ContractFactory(status=ContractStatus.DRAFT)
    with pytest.raises(DomainError, match="尚未签署"):
        contract_bills_schedule(contract=contract, by=finance_user())
    assert not Bill.objects.exists()


def test_daily_job_issues_scheduled_bills_when_their_day_comes():
    with time_machine.travel(BEFORE_START):
        contract = signed_contract(payment_cycle=PaymentCycle.QUARTERLY)
    assert bills_issue_scheduled(today=dt.date(2026, 12, 31)) == 0
    assert bills_issue_scheduled(today=dt.date(2027, 1, 1)) == 1
    assert bills_issue_scheduled(today=dt.date(2027, 1, 1)) == 0  # idempotent
    first = service_bills(contract)[0]
    assert first.status == BillStatus.OPEN
    [entry] = first.entries.all()
    assert (entry.kind, entry.amount, entry.posted_on) == (
        EntryKind.RECEIVABLE,
        D("900.00"),
        dt.date(2027, 1, 1),
    )
    account = ClientAccount.objects.get(client=contract.client)
    assert account.balance == D("900.00")
    # A late run issues everything whose day has passed, each posted on its own issue date.
    assert bills_issue_scheduled(today=dt.date(2027, 7, 5)) == 2
    assert sorted(contract.client.ledger_entries.values_list("posted_on", flat=True)) == [
        dt.date(2027, 1, 1),
        dt.date(2027, 4, 1),
        dt.date(2027, 7, 1),
    ]


def test_management_command_issues_and_marks_overdue(capsys):
    with time_machine.travel(BEFORE_START):
        contract = signed_contract()
    call_command("issue_scheduled_bills", "--date", "2027-01-20")
    out = capsys.readouterr().out
    assert "1" in out
    account = ClientAccount.objects.get(client=contract.client)
    assert account.balance == D("300.00")
    assert account.oldest_overdue_on == dt.date(2027, 1, 11)
    call_command("issue_scheduled_bills", "--date", "2027-01-20")
    assert Bill.objects.filter(status=BillStatus.OPEN).count() == 1


def test_ending_a_contract_early_voids_the_bills_of_later_periods_only():
    """Terminated on 2027-03-15: the March bill was issued and stays; April onwards go."""
    from zhangfang.billing.services.bills import contract_bills_stop

    with time_machine.travel(dt.datetime(2027, 3, 15, 2, tzinfo=dt.UTC), tick=False):
        contract = signed_contract(
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2027, 12, 31),
            signed_on=dt.date(2026, 12, 20),
            monthly_fee=Decimal("300.00"),
        )
        stopped = contract_bills_stop(contract=contract, on=dt.date(2027, 3, 15), by=None)
    assert [b.period_start for b in stopped] == [dt.date(2027, m, 1) for m in range(4, 13)]
    statuses = dict(Bill.objects.filter(contract=contract).values_list("period_start", "status"))
    assert statuses[dt.date(2027, 3, 1)] == BillStatus.OPEN
    assert all(statuses[dt.date(2027, m, 1)] == BillStatus.VOID for m in range(4, 13))
    # Nothing voided was ever a receivable, so the ledger is untouched by the stop.
    assert not LedgerEntry.objects.filter(bill__in=stopped).exists()
