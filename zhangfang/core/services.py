"""Writes of the shared tables: holiday entries, filing deadlines and policy settings.

Each service is one transaction and writes one audit event (policy settings: one per changed
value, by ``policy.policy_value_set``). Calendar writes invalidate the calendar's per-process
tables: ``calendar.invalidate_calendar_cache`` bumps the version now, so this request already
sees the change, and again on commit, so no process keeps rows it read in between.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhangfang.core import audit, calendar, policy
from zhangfang.core.models import CalendarDay, CalendarDayKind, FilingDeadline, PolicySetting

CALENDAR_DAY_FIELDS = ["date", "kind", "note"]


def _check_calendar_day(kind: str, note: str) -> None:
    if kind not in CalendarDayKind.values:
        raise ValidationError({"kind": _("类型只能是法定节假日或调休上班。")})
    if len(note) > 100:
        raise ValidationError({"note": _("说明不能超过 100 个字。")})


@transaction.atomic
def calendar_day_set(
    *,
    date: dt.date,
    kind: str,
    note: str,
    by,
    replacing: CalendarDay | None = None,
) -> CalendarDay:
    """Enter a holiday (rest day) or make-up working day; it overrides the shipped calendar.

    Without ``replacing`` the entry for ``date`` is created or overwritten. With ``replacing``
    (an entry being edited) that entry is changed, its date included; moving it onto a date
    that already has an entry is refused.
    """
    note = (note or "").strip()
    _check_calendar_day(kind, note)
    existing = CalendarDay.objects.select_for_update().filter(date=date).first()
    if replacing is not None:
        if existing is not None and existing.pk != replacing.pk:
            raise ValidationError(
                {"date": _("%(date)s 已有一条安排，请直接编辑那一条。") % {"date": date}}
            )
        existing = CalendarDay.objects.select_for_update().get(pk=replacing.pk)
    if existing is None:
        day = CalendarDay.objects.create(date=date, kind=kind, note=note)
        audit.record(
            action="create",
            by=by,
            obj=day,
            changes=audit.created(audit.snapshot(day, CALENDAR_DAY_FIELDS)),
        )
    else:
        day = existing
        before = audit.snapshot(day, CALENDAR_DAY_FIELDS)
        day.date, day.kind, day.note = date, kind, note
        day.save()
        changes = audit.diff(before, audit.snapshot(day, CALENDAR_DAY_FIELDS))
        if changes:
            audit.record(action="update", by=by, obj=day, changes=changes)
    calendar.invalidate_calendar_cache()
    return day


@transaction.atomic
def calendar_day_delete(*, day: CalendarDay, by) -> None:
    """Remove an entry; the day goes back to what the shipped calendar (or the weekend) says."""
    values = audit.snapshot(day, CALENDAR_DAY_FIELDS)
    audit.record(action="delete", by=by, obj=day, changes=audit.deleted(values))
    CalendarDay.objects.filter(pk=day.pk).delete()
    calendar.invalidate_calendar_cache()


def _day_text(kind: str, note: str) -> str:
    label = str(CalendarDayKind(kind).label)
    return f"{label} {note}".strip()


@transaction.atomic
def calendar_days_bulk_set(*, entries: Iterable[tuple[dt.date, str, str]], by) -> int:
    """Enter many days at once (a year's schedule); all or nothing, one audit event.

    ``entries`` are ``(date, kind, note)``; a date that already has an entry is overwritten.
    Returns the number of days created or changed.
    """
    wanted = {day: (kind, (note or "").strip()) for day, kind, note in entries}
    for kind, note in wanted.values():
        _check_calendar_day(kind, note)
    existing = {row.date: row for row in CalendarDay.objects.filter(date__in=list(wanted))}
    changes: dict[str, list[Any]] = {}
    to_create: list[CalendarDay] = []
    to_update: list[CalendarDay] = []
    for day, (kind, note) in sorted(wanted.items()):
        row = existing.get(day)
        if row is None:
            to_create.append(CalendarDay(date=day, kind=kind, note=note))
            changes[day.isoformat()] = [None, _day_text(kind, note)]
        elif (row.kind, row.note) != (kind, note):
            changes[day.isoformat()] = [_day_text(row.kind, row.note), _day_text(kind, note)]
            row.kind, row.note = kind, note
            to_update.append(row)
    CalendarDay.objects.bulk_create(to_create)
    CalendarDay.objects.bulk_update(to_update, ["kind", "note"])
    if changes:
        days = sorted(wanted)
        audit.record(
            action="update",
            by=by,
            object_type="core.calendarday",
            object_repr=_("节假日安排批量录入：%(first)s 至 %(last)s")
            % {"first": days[0], "last": days[-1]},
            changes=changes,
            detail=_("共 %(n)s 天") % {"n": len(changes)},
        )
    calendar.invalidate_calendar_cache()
    return len(changes)


@transaction.atomic
def filing_deadlines_set(*, year: int, deadlines: Mapping[int, dt.date | None], by) -> int:
    """Enter the official 申报纳税期限 of ``year``: a date per month, ``None`` removes the entry.

    Months not in ``deadlines`` are left as they are. Every date must lie in its month (and not
    before the 15th); otherwise nothing is saved. One audit event lists the months changed.
    Returns how many months changed.
    """
    errors: dict[str, list[str]] = {}
    for month, deadline in deadlines.items():
        if not 1 <= month <= 12:
            raise ValueError(f"month must be 1..12, not {month}")
        if deadline is not None and (
            (deadline.year, deadline.month) != (year, month) or deadline.day < 15
        ):
            errors[f"month_{month}"] = [
                _("%(month)s 月：截止日必须在 %(year)s 年 %(month)s 月 15 日至月底之间。")
                % {"month": month, "year": year}
            ]
    if errors:
        raise ValidationError(errors)

    existing = {row.month: row for row in FilingDeadline.objects.filter(year=year)}
    changes: dict[str, list[Any]] = {}
    for month, deadline in sorted(deadlines.items()):
        row = existing.get(month)
        before = row.deadline if row else None
        if before == deadline:
            continue
        if deadline is None:
            row.delete()
        elif row is None:
            FilingDeadline.objects.create(year=year, month=month, deadline=deadline)
        else:
            row.deadline = deadline
            row.save(update_fields=["deadline"])
        changes[f"{year}-{month:02d}"] = [
            before.isoformat() if before else None,
            deadline.isoformat() if deadline else None,
        ]
    if changes:
        audit.record(
            action="update",
            by=by,
            object_type="core.filingdeadline",
            object_id=str(year),
            object_repr=_("%(year)s 年申报纳税期限") % {"year": year},
            changes=changes,
        )
        calendar.invalidate_calendar_cache()
    return len(changes)


@transaction.atomic
def policy_settings_save(*, raw_values: Mapping[str, Any], by) -> list[str]:
    """Validate every submitted policy value, then store the changed ones; all or nothing.

    Each value is checked by its ``PolicyValue.parse`` (the message names the setting) and the
    office hours must open before they close. Returns the keys whose stored value changed.
    """
    parsed: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, raw in raw_values.items():
        definition = policy.REGISTRY.get(key)
        if definition is None:
            raise ValueError(f"Unknown policy value {key!r}")
        try:
            parsed[key] = definition.parse(raw)
        except ValidationError as exc:
            errors[key] = exc.messages
    start = parsed.get("office_hours_start", policy.get("office_hours_start"))
    end = parsed.get("office_hours_end", policy.get("office_hours_end"))
    if not errors and start >= end:
        errors["office_hours_end"] = [_("下班时间必须晚于上班时间。")]
    if errors:
        raise ValidationError(errors)

    stored = dict(PolicySetting.objects.filter(key__in=list(parsed)).values_list("key", "value"))
    changed = []
    for key, value in parsed.items():
        definition = policy.REGISTRY[key]
        if key in stored:
            same = stored[key] == definition.dump(value)
        else:
            same = value == definition.default
        if not same:
            policy.policy_value_set(key=key, raw=definition.dump(value), by=by)
            changed.append(key)
    return changed
