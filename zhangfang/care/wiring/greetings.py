"""Greetings' wiring (policy 四（二）2): a home panel for customer service, department heads and
administrators when greetings to their clients failed in the last week (someone should call or
correct the address). Greetings need no policy setting: the days, templates and channels are
edited on their own pages."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhangfang.core.dashboard import Panel
from zhangfang.core.dashboard import register as register_panel

#: How far back the panel looks for failed greetings.
FAILED_PANEL_DAYS = 7


def _failed_panel(request):
    from zhangfang.care.selectors.greetings import failed_count
    from zhangfang.care.services.greetings import can_view

    if not can_view(request.user):
        return None
    since = timezone.localdate() - dt.timedelta(days=FAILED_PANEL_DAYS - 1)
    failed = failed_count(user=request.user, since=since)
    if not failed:
        return None
    return {"failed": failed, "since": since}


register_panel(Panel("greeting_failures", "care/greeting_panel.html", _failed_panel, order=40))
