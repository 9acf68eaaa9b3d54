"""Reads of a user's inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from zhangfang.notifications.models import Notification


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(recipient=user)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-id")


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_get(*, user, pk: int) -> Notification | None:
    """One of ``user``'s own messages (None for anyone else's, as for a missing one)."""
    return Notification.objects.filter(recipient=user, pk=pk).first()
