"""Periodic job: generate the monthly work (policy 三（二）3) — run it daily.

Without ``--period`` it generates the current month, and the previous month too when that has no
work at all yet (a first install, or a scheduler that was down over the month's end). Generation
is idempotent: a second run creates nothing; it also cancels the untouched work of clients no
longer served.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhangfang.delivery.models import WorkItem
from zhangfang.delivery.services.generation import period_of, previous_month, work_generate


def _period(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"--period must be YYYY-MM, not {text!r}") from exc


class Command(BaseCommand):
    help = "Generate the monthly work of every client in service (idempotent; run daily)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", help="The period (所属期) as YYYY-MM; default this month.")

    def handle(self, *args, **options) -> None:
        if options["period"]:
            periods = [_period(options["period"])]
        else:
            current = period_of(timezone.localdate())
            previous = previous_month(current)
            periods = [current]
            if not WorkItem.objects.filter(period=previous).exists():
                periods.insert(0, previous)
        for period in periods:
            result = work_generate(period=period)
            self.stdout.write(
                f"{period:%Y-%m}: {result.clients} client(s) in service, "
                f"{result.created} item(s) created, {result.cancelled} cancelled."
            )
