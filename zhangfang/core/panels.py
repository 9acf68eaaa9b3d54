"""Core's own home panels: the filing calendar for everyone, calendar data warnings for admins."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhangfang.core import calendar
from zhangfang.core.dashboard import Panel, register
from zhangfang.core.roles import is_admin


def _filing(request):
    today = timezone.localdate()
    deadline = calendar.filing_deadline(today.year, today.month)
    if deadline < today:
        following = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
        deadline = calendar.filing_deadline(following.year, following.month)
    return {
        "today": today,
        "is_working_day": calendar.is_working_day(today),
        "deadline": deadline,
        "working_days_left": calendar.working_days_between(today, deadline),
    }


def _calendar_warnings(request):
    if not is_admin(request.user):
        return None
    year = timezone.localdate().year
    missing = calendar.years_missing_schedule([year, year + 1])
    return {"missing_years": missing, "wide": True} if missing else None


register(Panel("filing", "core/panels/filing.html", _filing, order=10))
register(
    Panel("calendar_warnings", "core/panels/calendar_warnings.html", _calendar_warnings, order=5)
)
