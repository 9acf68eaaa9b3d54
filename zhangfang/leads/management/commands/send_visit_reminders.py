"""Remind the staff going on tomorrow's visits (policy 二(三)2: prepare before the visit).

    manage.py send_visit_reminders [--date 2026-12-01]

A scheduler (cron, a systemd timer or the task runner) runs it once a day, for example at 17:00
Asia/Shanghai, so the materials can still be prepared. It is idempotent: each visit is reminded
once (``Visit.reminded_at`` and the notification's ``dedupe_key``), so a second run, a retry or
an overlapping run sends nothing new.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone

from zhangfang.leads.services.visits import visits_remind


class Command(BaseCommand):
    help = (
        "Notify each member of staff going on a visit that starts tomorrow (Asia/Shanghai) with "
        "its time, place, purpose and the materials not yet prepared. Run daily by a scheduler, "
        "e.g. at 17:00; idempotent (one reminder per visit)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            help="remind visits of this day (YYYY-MM-DD) instead of tomorrow",
        )

    def handle(self, *args, **options) -> None:
        if options.get("date"):
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date must look like 2026-12-01: {error}") from error
        else:
            day = timezone.localdate() + dt.timedelta(days=1)
        count = visits_remind(
            day=day, url_for=lambda visit: reverse("leads:visit_detail", args=[visit.pk])
        )
        self.stdout.write(f"{day.isoformat()}: reminded {count} visit(s).")
