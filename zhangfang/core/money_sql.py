"""Sums of money in SQL that come back exact to the cent on every database.

SQLite has no decimal type: it adds ``DecimalField`` values as binary floats, and Django rounds the
result back to the field's places only for plain columns, not for aggregates. So on SQLite
``Sum("amount")`` over ¥0.10 + ¥0.20 − ¥0.29 answers ``Decimal('0.00999999999999979')``, and a
balance that should be zero compares unequal to zero. :class:`MoneySum` rounds every result to the
cent (the floats are exact far beyond any ledger's size) and answers ¥0.00 for an empty set.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, Sum

from zhangfang.core.money import CENT

ZERO = Decimal("0.00")


def money_field() -> DecimalField:
    return DecimalField(max_digits=18, decimal_places=2)


class MoneySum(Sum):
    """``Sum`` of a money expression: a Decimal in whole cents, ¥0.00 when there are no rows."""

    def __init__(self, *expressions, **extra) -> None:
        # No ``default=``: Django would wrap the sum in a Coalesce whose converter is not ours;
        # ``convert_value`` turns the NULL of an empty set into ¥0.00 instead.
        extra.setdefault("output_field", money_field())
        super().__init__(*expressions, **extra)

    def convert_value(self, value, expression, connection):
        if value is None:
            return ZERO
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
