"""Periodic job: escalate client requests past their response deadline to the department head.

Idempotent — run it every few minutes; a request is escalated (and its heads told) once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from zhangfang.delivery.services.requests import requests_escalate_overdue


class Command(BaseCommand):
    help = "Escalate client requests not responded to within the SLA to the department head."

    def handle(self, *args, **options) -> None:
        count = requests_escalate_overdue(now=timezone.now())
        self.stdout.write(f"Escalated {count} overdue request(s).")
