"""Periodic job: escalate complaints left unresolved past their handling deadline to the firm's
administrators, and again if they stay unresolved (policy 四（三）3).

Idempotent — run it daily or more often; each level is reached (and announced) once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from zhangfang.complaints.services.complaints import escalate_overdue_complaints


class Command(BaseCommand):
    help = "Escalate complaints past their working-day handling deadline to the administrators."

    def handle(self, *args, **options) -> None:
        count = escalate_overdue_complaints()
        self.stdout.write(f"Escalated {count} overdue complaint(s).")
