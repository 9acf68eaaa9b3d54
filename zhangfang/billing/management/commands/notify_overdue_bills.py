"""Tell the client's customer-service member and sales owner about each overdue bill.

    manage.py notify_overdue_bills [--date 2026-12-01]

A scheduler (cron, a systemd timer or the task runner) runs it once a day, e.g. at 09:00
Asia/Shanghai. A bill is included once it is past its due date by at least the policy setting
``billing.overdue_grace_days`` (0: from the day after the due date). It is idempotent: each bill
is notified once per person (the notification's ``dedupe_key``), so a second run sends nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone

from zhangfang.billing.services.overdue import overdue_bills_notify


class Command(BaseCommand):
    help = (
        "Notify the customer-service member and sales owner of every bill overdue by at least "
        "the policy's grace days (Asia/Shanghai). Run daily; idempotent (once per bill)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="check as of this day (YYYY-MM-DD) instead of today")

    def handle(self, *args, **options) -> None:
        if options.get("date"):
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date must look like 2026-12-01: {error}") from error
        else:
            day = timezone.localdate()
        sent = overdue_bills_notify(
            on=day, url_for=lambda bill: reverse("billing:bill_detail", args=[bill.pk])
        )
        self.stdout.write(f"{day.isoformat()}: sent {sent} overdue notice(s).")
