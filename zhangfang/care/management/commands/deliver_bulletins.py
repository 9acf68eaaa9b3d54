"""Periodic job: send the policy bulletins' queued messages (e-mail, SMS, WeChat).

Idempotent — run it every few minutes; a message leaves the queue once it is sent, failed or
skipped, and ``--retry`` tries the failed ones again. Links in the messages use ``SITE_URL``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from zhangfang.care.services.bulletins import SEND_BATCH, deliver_bulletins


class Command(BaseCommand):
    help = "Send queued policy bulletin messages batch by batch (with --retry also failed ones)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--retry", action="store_true", help="Also send the messages that failed before."
        )
        parser.add_argument("--bulletin", type=int, help="Only this bulletin (its id).")
        parser.add_argument(
            "--batch-size", type=int, default=SEND_BATCH, help="Messages per transaction."
        )

    def handle(self, *args, **options) -> None:
        tally = deliver_bulletins(
            retry=options["retry"],
            bulletin_id=options["bulletin"],
            batch_size=max(1, options["batch_size"]),
        )
        self.stdout.write(
            f"Bulletin messages: {tally.sent} sent, {tally.failed} failed, {tally.skipped} skipped."
        )
