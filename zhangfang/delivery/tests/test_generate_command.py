"""The daily ``generate_monthly_work`` command: figures printed, idempotent, the previous month
generated when it has no work yet."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from zhangfang.delivery.models import WorkItem
from zhangfang.delivery.tests.support import at, make_firm

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("generate_monthly_work", *args, stdout=out)
    return out.getvalue()


def test_a_given_period_is_generated_once():
    make_firm()
    first = run("--period", "2026-11")
    count = WorkItem.objects.filter(period=dt.date(2026, 11, 1)).count()
    assert count > 0
    assert f"2026-11: 1 client(s) in service, {count} item(s) created, 0 cancelled." in first
    second = run("--period", "2026-11")
    assert "0 item(s) created" in second
    assert WorkItem.objects.count() == count


def test_default_is_this_month_and_the_previous_one_when_missing():
    make_firm()
    with time_machine.travel(at(2026, 12, 3, 6), tick=False):
        output = run()
        assert "2026-11:" in output and "2026-12:" in output
        assert WorkItem.objects.filter(period=dt.date(2026, 11, 1)).exists()
        assert WorkItem.objects.filter(period=dt.date(2026, 12, 1)).exists()
        total = WorkItem.objects.count()
        again = run()
    # November has work now: the second run only looks at December, and adds nothing.
    assert "2026-11:" not in again and "2026-12:" in again and "0 item(s) created" in again
    assert WorkItem.objects.count() == total


def test_a_malformed_period_is_refused():
    with pytest.raises(CommandError):
        run("--period", "2026/11")
