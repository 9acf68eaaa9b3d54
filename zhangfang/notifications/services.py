"""Sending messages to staff: the in-app inbox, and e-mail when the recipient has an address.

Other chapters call :func:`notify`; delivery happens after the surrounding transaction commits,
so a rolled-back action sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from zhangfang.notifications.models import Notification


def notify(
    *, recipients: Iterable, title: str, body: str = "", url: str = "", dedupe_key: str = ""
) -> list[Notification]:
    """Put a message in each recipient's inbox (once per ``dedupe_key`` if given); e-mail a copy."""
    created = []
    for user in {r.pk: r for r in recipients if r is not None}.values():
        if (
            dedupe_key
            and Notification.objects.filter(recipient=user, dedupe_key=dedupe_key).exists()
        ):
            continue
        created.append(
            Notification.objects.create(
                recipient=user, title=title[:200], body=body, url=url, dedupe_key=dedupe_key
            )
        )
        if user.email and getattr(settings, "NOTIFICATION_EMAIL", False):
            transaction.on_commit(
                lambda user=user: send_mail(
                    title, body or title, None, [user.email], fail_silently=True
                )
            )
    return created


def notification_mark_read(*, user, pk: int | None = None) -> int:
    """Mark one (``pk``) or all of ``user``'s unread messages as read; returns how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())
