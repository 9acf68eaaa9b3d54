"""Gap-free, per-year document numbers (contracts, bills, receipts) that stay unique under
concurrent use on SQLite and PostgreSQL."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from zhangfang.core.models import NumberSequence


def next_number(key: str) -> int:
    """The next number of series ``key``; must run inside the transaction that uses it.

    The UPDATE takes the row lock and holds it until the caller's transaction ends, so a second
    drafter waits and then reads the number after ours; if the caller rolls back, the number is
    given back with it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must be called inside a transaction")
    if not NumberSequence.objects.filter(key=key).update(last_value=F("last_value") + 1):
        try:
            with transaction.atomic():
                NumberSequence.objects.create(key=key, last_value=1)
                return 1
        except IntegrityError:
            # Another transaction created the series at the same moment; queue behind it.
            NumberSequence.objects.filter(key=key).update(last_value=F("last_value") + 1)
    return NumberSequence.objects.values_list("last_value", flat=True).get(key=key)


def yearly_number(prefix: str, year: int, *, width: int = 4) -> str:
    """``HT2026-0001``: the prefix, the year and the next number of that year's series."""
    serial = next_number(f"{prefix}:{year}")
    return f"{prefix}{year}-{serial:0{width}d}"
