"""The demo's fee history is written in bulk; it must be exactly what the services would keep."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from zhangfang.billing.demo import build_demo_billing
from zhangfang.billing.models import (
    Allocation,
    Bill,
    BillStatus,
    ClientAccount,
    EntryKind,
    LedgerEntry,
    Payment,
)
from zhangfang.billing.services.ledger import refresh_account
from zhangfang.clients.demo import build_demo_firm
from zhangfang.clients.models import Client, ClientStatus
from zhangfang.contracts.demo import build_demo_price_list
from zhangfang.contracts.models import Contract, ContractStatus
from zhangfang.core.numbering import yearly_number

TODAY = dt.date(2026, 11, 27)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    build_demo_firm(clients=30)
    build_demo_price_list()
    return build_demo_billing(history_months=12, today=TODAY)


def test_every_client_in_service_gets_a_contract_and_a_year_of_bills(demo):
    active = Client.objects.filter(status=ClientStatus.ACTIVE).count()
    assert demo["contracts"] == active == Contract.objects.count()
    assert Contract.objects.filter(status=ContractStatus.ACTIVE).count() == active
    first = (
        Bill.objects.filter(period_start__isnull=False)
        .order_by("period_start")
        .values_list("period_start", flat=True)
        .first()
    )
    assert first == dt.date(2025, 12, 1)
    assert LedgerEntry.objects.count() == demo["ledger_entries"]
    # Future cycles are scheduled, not receivables.
    assert not LedgerEntry.objects.filter(bill__status=BillStatus.SCHEDULED).exists()


def test_accounts_equal_what_the_services_compute(demo):
    stored = {a.client_id: a for a in ClientAccount.objects.all()}
    assert stored
    for acme in Client.objects.filter(pk__in=stored):
        recomputed = refresh_account(acme, today=TODAY)
        before = stored[acme.pk]
        for name in (
            "receivable_total",
            "receipt_total",
            "credit_total",
            "balance",
            "unallocated",
            "paid_through",
            "oldest_overdue_on",
        ):
            assert getattr(before, name) == getattr(recomputed, name), (acme.pk, name)


def test_ledger_adds_up_and_some_clients_are_overdue_or_in_credit(demo):
    def total(kind):
        return LedgerEntry.objects.filter(kind=kind).aggregate(s=Sum("amount"))["s"] or 0

    balance = total(EntryKind.RECEIVABLE) - total(EntryKind.RECEIPT) - total(EntryKind.CREDIT)
    assert balance == ClientAccount.objects.aggregate(s=Sum("balance"))["s"]
    assert (
        Allocation.objects.aggregate(s=Sum("amount"))["s"]
        == Payment.objects.aggregate(s=Sum("allocated_amount"))["s"]
    )
    assert ClientAccount.objects.filter(oldest_overdue_on__isnull=False).exists()
    assert ClientAccount.objects.filter(unallocated__gt=0).exists()
    assert (
        Bill.objects.filter(status=BillStatus.PAID).count()
        > Bill.objects.filter(status=BillStatus.OPEN).count()
    )
    assert all(isinstance(v, Decimal) for v in Bill.objects.values_list("amount", flat=True))


def test_number_series_continue_after_the_demo(demo):
    last = Contract.objects.filter(number__startswith="HT2025-").order_by("-number").first()
    from django.db import transaction

    with transaction.atomic():
        following = yearly_number("HT", 2025)
    assert following > last.number
