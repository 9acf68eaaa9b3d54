"""Periodic job: send today's birthday and holiday greetings (policy 四（二）2).

Run it once a day, in the morning (e.g. 09:00 from cron or a systemd timer). Idempotent: a
second run, or two at the same moment, never sends a greeting twice. A missed day is not caught
up the next day: a belated wish is not what the policy means, and a past ``--date`` is refused.
"""

from __future__ import annotations

import argparse
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zhangfang.care.services.greetings import send_greetings
from zhangfang.core.errors import DomainError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = "Send the day's birthday and holiday greetings to clients' contacts (once each)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date",
            type=_date,
            default=None,
            help="The day whose greetings to send (YYYY-MM-DD, today or later; default today).",
        )

    def handle(self, *args, **options) -> None:
        try:
            counts = send_greetings(day=options["date"])
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            "{date}: {occasions} occasion(s); sent {sent}, failed {failed}, skipped {skipped}, "
            "opted out {opted_out}, already sent {already_sent}, "
            "no template {no_template}.".format(**counts)
        )
