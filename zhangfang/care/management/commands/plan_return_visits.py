"""Periodic job: plan the next return visit of every client in service that has none, and cancel
the planned visits of clients no longer in service (policy 四（一）2).

Idempotent — run it daily; a second run the same day creates nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zhangfang.care.services.visits import plan_return_visits


class Command(BaseCommand):
    help = "Plan return visits by client tier and service term; cancel those of former clients."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date",
            dest="today",
            help="Plan as if today were this date (YYYY-MM-DD); default: today in Asia/Shanghai.",
        )

    def handle(self, *args, **options) -> None:
        today = None
        if options.get("today"):
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--date: not a date: {options['today']!r}") from exc
        counts = plan_return_visits(today=today)
        self.stdout.write(
            f"Clients in service: {counts['clients']}; planned {counts['created']} visit(s); "
            f"cancelled {counts['cancelled']} visit(s)."
        )
