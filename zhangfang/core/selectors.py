"""Reads of the shared tables: the audit log, the calendar entries and the policy settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from zhangfang.core import calendar, policy
from zhangfang.core.calendar import local_midnight
from zhangfang.core.models import AuditEvent, CalendarDay, FilingDeadline, PolicySetting

#: Sort keys of the audit log. Events are read newest first; the order is fixed by design (an
#: audit trail is read as a timeline), so there is one key.
AUDIT_SORTS = {"at": ("at", "id")}


def audit_event_list(
    *,
    actor: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    q: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Every audit event, newest first, narrowed by the given filters.

    ``actor`` is a user id; ``q`` matches the object's id exactly or its text, the event's note
    or the actor's name in part; ``date_from``/``date_to`` are calendar days in the firm's time
    zone, both included. The rows need no joins to display (the actor's name is stored on the
    event), so a page of them is one query.
    """
    queryset = AuditEvent.objects.all()
    if actor:
        queryset = queryset.filter(actor_id=actor)
    if action:
        queryset = queryset.filter(action=action)
    if object_type:
        queryset = queryset.filter(object_type=object_type)
    text = (q or "").strip()
    if text:
        queryset = queryset.filter(
            Q(object_id=text)
            | Q(object_repr__icontains=text)
            | Q(detail__icontains=text)
            | Q(actor_name__icontains=text)
        )
    if date_from:
        queryset = queryset.filter(at__gte=local_midnight(date_from))
    if date_to:
        queryset = queryset.filter(at__lt=local_midnight(date_to + dt.timedelta(days=1)))
    return queryset.order_by("-at", "-id")


def audit_history_for(obj: models.Model, *, limit: int | None = None) -> list[AuditEvent]:
    """The events shown in ``obj``'s history (those anchored on it), newest first.

    An event is anchored on the record whose timeline shows it: a client's own changes and those
    of its contacts are anchored on the client. ``limit`` caps the number returned.
    """
    queryset = AuditEvent.objects.filter(
        anchor_type=obj._meta.label_lower, anchor_id=str(obj.pk)
    ).order_by("-at", "-id")
    if limit is not None:
        queryset = queryset[:limit]
    return list(queryset)


def audit_object_types() -> list[str]:
    """The object types that occur in the audit log, for the log's filter."""
    return list(
        AuditEvent.objects.exclude(object_type="")
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )


def calendar_day_list(*, year: int) -> list[CalendarDay]:
    """The administrator's holiday and make-up day entries of ``year``, by date."""
    return list(CalendarDay.objects.filter(date__year=year).order_by("date"))


def calendar_year_months(year: int) -> list[dict[str, Any]]:
    """The year as the system computes it, month by month, for the calendar page's grid.

    Each month is ``{"month": 1..12, "weeks": [[cell or None] * 7, ...]}`` (weeks start on
    Monday); a cell is ``{"date", "kind", "entry"}`` where ``kind`` is ``work``, ``rest`` (an
    ordinary weekend), ``holiday`` (a statutory rest day) or ``makeup`` (a weekend working day),
    and ``entry`` is the administrator's CalendarDay for that date, if any.
    """
    entries = {row.date: row for row in calendar_day_list(year=year)}
    months = []
    for month in range(1, 13):
        first = dt.date(year, month, 1)
        weeks: list[list[dict[str, Any] | None]] = [[None] * first.weekday()]
        day = first
        while day.month == month:
            working = calendar.is_working_day(day)
            if working:
                kind = "makeup" if day.weekday() >= 5 else "work"
            else:
                kind = "holiday" if calendar.is_statutory_holiday(day) else "rest"
            if len(weeks[-1]) == 7:
                weeks.append([])
            weeks[-1].append({"date": day, "kind": kind, "entry": entries.get(day)})
            day += dt.timedelta(days=1)
        weeks[-1] += [None] * (7 - len(weeks[-1]))
        months.append({"month": month, "weeks": weeks})
    return months


def filing_deadline_entries(*, year: int) -> dict[int, FilingDeadline]:
    """The administrator's entered 申报纳税期限 of ``year``, by month."""
    return {row.month: row for row in FilingDeadline.objects.filter(year=year)}


def policy_rows() -> list[dict[str, Any]]:
    """Every registered policy value with its stored raw value (if any) and its current value."""
    stored = {row.key: row for row in PolicySetting.objects.select_related("updated_by")}
    rows = []
    for key, definition in policy.REGISTRY.items():
        setting = stored.get(key)
        rows.append(
            {
                "key": key,
                "definition": definition,
                "default": definition.dump(definition.default),
                "current": definition.dump(policy.get(key)),
                "stored": setting,
            }
        )
    return rows
