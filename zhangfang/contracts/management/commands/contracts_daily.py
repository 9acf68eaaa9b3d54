"""The contracts' daily job (policy 二（三）4):

    manage.py contracts_daily [--date 2026-12-01]

Activates signed contracts whose start date has come (a client still 潜在 becomes 服务中),
expires contracts whose end date has passed, and reminds the owner and the client's
customer-service member of contracts ending within ``contracts.renewal_notice_days`` days that
have no renewal yet. A scheduler runs it once a day, early in the morning Asia/Shanghai. It is
idempotent: a moved contract no longer matches, and each reminder has a ``dedupe_key``.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhangfang.contracts.services.contracts import contracts_daily


class Command(BaseCommand):
    help = (
        "Activate signed contracts whose start date has come, expire those past their end date, "
        "and send renewal reminders. Run daily; idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="act as if today were this day (YYYY-MM-DD)")

    def handle(self, *args, **options) -> None:
        today = None
        if options.get("date"):
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date must look like 2026-12-01: {error}") from error
        result = contracts_daily(today=today)
        self.stdout.write(
            f"activated {result['activated']}, expired {result['expired']}, "
            f"reminded {result['reminded']}"
        )
