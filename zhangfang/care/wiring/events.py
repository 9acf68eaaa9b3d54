"""Client events' wiring (policy 四（二）3): how many people one client may bring, and the home
panel of events that need their organisers (ended and waiting for attendance and a summary, or
coming up soon)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.core import policy
from zhangfang.core.dashboard import Panel
from zhangfang.core.dashboard import register as register_panel

MAX_ATTENDEES = "care.event_max_attendees"

policy.register(
    policy.PolicyValue(
        MAX_ATTENDEES,
        _("每家客户活动报名人数上限"),
        "int",
        5,
        unit=_("人"),
        clause="四（二）3",
        minimum=1,
        maximum=100,
        help_text=_("客户通过报名链接回复参加时，一家客户最多可报名的人数。"),
    ),
)


def _events_panel(request):
    from zhangfang.care.selectors.events import event_counts_for_home

    counts = event_counts_for_home(user=request.user, now=timezone.now())
    if counts is None or not (counts["to_close"] or counts["upcoming"]):
        return None
    return counts


register_panel(Panel("care_events", "care/event_panel.html", _events_panel, order=40))
