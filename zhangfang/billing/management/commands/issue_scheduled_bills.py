"""Issue the bills of contracts' schedules whose issue date has come (policy 三(四)3).

    manage.py issue_scheduled_bills [--date 2027-01-01]

A scheduler (cron, a systemd timer or the task runner) runs it once a day, early in the morning
Asia/Shanghai. Each SCHEDULED bill whose issue date is on or before the day becomes a receivable
(status 未收款 and its ledger row, posted on its own issue date). It then brings every account's
最早逾期日 up to the day, since bills fall overdue without any posting. Idempotent: a second run,
a retry or an overlapping run issues nothing new.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from zhangfang.billing.services.bills import bills_issue_scheduled
from zhangfang.billing.services.ledger import accounts_refresh_overdue


class Command(BaseCommand):
    help = (
        "Issue scheduled bills whose issue date is on or before today (Asia/Shanghai) and update "
        "each client's oldest overdue date. Run daily by a scheduler; idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="act as if today were this day (YYYY-MM-DD)")

    def handle(self, *args, **options) -> None:
        if options.get("date"):
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date must look like 2027-01-01: {error}") from error
        else:
            day = timezone.localdate()
        issued = bills_issue_scheduled(today=day)
        overdue = accounts_refresh_overdue(today=day)
        self.stdout.write(
            f"{day.isoformat()}: issued {issued} bill(s); "
            f"updated the overdue date of {overdue} account(s)."
        )
