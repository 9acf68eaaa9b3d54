"""Money sums are exact to the cent on SQLite too (it adds decimals as binary floats)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from zhangfang.billing.models import EntryKind, LedgerEntry
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.money_sql import MoneySum

pytestmark = pytest.mark.django_db


def _entries(*amounts: str) -> None:
    acme = ClientFactory()
    for amount in amounts:
        LedgerEntry.objects.create(
            client=acme,
            kind=EntryKind.RECEIPT,
            amount=Decimal(amount),
            posted_on=dt.date(2026, 11, 27),
            description="测试",
        )


def test_a_sum_of_cents_is_exact():
    _entries("123456.78", "0.01", "-123456.78")
    total = LedgerEntry.objects.aggregate(total=MoneySum("amount"))["total"]
    assert total == Decimal("0.01")
    assert str(total) == "0.01"


def test_a_balance_that_nets_to_nothing_is_zero():
    _entries("1000.10", "2000.20", "-3000.30")
    assert LedgerEntry.objects.aggregate(total=MoneySum("amount"))["total"] == 0


def test_no_rows_sum_to_zero_cents():
    assert LedgerEntry.objects.aggregate(total=MoneySum("amount"))["total"] == Decimal("0.00")


def test_the_plain_sum_is_what_goes_wrong_on_sqlite(django_db_blocker):
    # Documents why MoneySum exists; on PostgreSQL the plain sum is exact already.
    _entries("123456.78", "0.01", "-123456.78")
    plain = LedgerEntry.objects.aggregate(total=Sum("amount"))["total"]
    from django.db import connection

    if connection.vendor == "sqlite":
        assert plain != Decimal("0.01")
    else:
        assert plain == Decimal("0.01")
