"""Contract numbers are unique and consecutive per year, also when several people draft at the
same moment (PostgreSQL: real concurrent transactions on separate connections)."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection, connections

from zhangfang.contracts.models import Contract
from zhangfang.contracts.services import contracts as services
from zhangfang.contracts.tests.contracts_support import NOW, accepted_version, make_firm

DRAFTERS = 8
EXPECTED = [f"HT2026-{n:04d}" for n in range(1, DRAFTERS + 1)]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_sequential_drafts_are_numbered_one_after_another():
    firm = make_firm()
    versions = [firm.version] + [accepted_version(firm) for _ in range(DRAFTERS - 1)]
    numbers = [
        services.contract_draft(plan_version=v, template=firm.template, by=firm.staff.sales1).number
        for v in versions
    ]
    assert numbers == EXPECTED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_drafts_get_distinct_consecutive_numbers():
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises writers (one write transaction at a time), so drafts cannot "
            "overlap there; the sequential test covers it. Run on PostgreSQL for real overlap."
        )
    firm = make_firm()
    versions = [firm.version] + [accepted_version(firm) for _ in range(DRAFTERS - 1)]
    barrier = threading.Barrier(DRAFTERS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def draft(version) -> None:
        try:
            barrier.wait(timeout=20)
            contract = services.contract_draft(
                plan_version=version, template=firm.template, by=firm.staff.sales1
            )
            with lock:
                numbers.append(contract.number)
        except BaseException as error:  # reported below; a thread must not die silently
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draft, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(numbers) == EXPECTED
    assert sorted(Contract.objects.values_list("number", flat=True)) == EXPECTED
