"""Request intake's wiring: the response deadlines per urgency (policy 三（三）1), the client
page's 客户需求 tab and the home panel (my open requests, those past their deadline)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.clients import tabs as client_tabs
from zhangfang.core import policy
from zhangfang.core.dashboard import Panel
from zhangfang.core.dashboard import register as register_panel

RESPONSE_HOURS_NORMAL = "delivery.response_hours_normal"
RESPONSE_HOURS_URGENT = "delivery.response_hours_urgent"
RESPONSE_HOURS_CRITICAL = "delivery.response_hours_critical"

policy.register(
    policy.PolicyValue(
        RESPONSE_HOURS_NORMAL,
        _("一般需求响应时限"),
        "int",
        8,
        unit=_("工作小时"),
        clause="三（三）1",
        minimum=1,
        maximum=240,
        help_text=_("客服人员接到一般客户需求后，须在此工作小时内给予响应。"),
    ),
    policy.PolicyValue(
        RESPONSE_HOURS_URGENT,
        _("紧急需求响应时限"),
        "int",
        4,
        unit=_("工作小时"),
        clause="三（三）1",
        minimum=1,
        maximum=240,
        help_text=_("紧急客户需求须在此工作小时内给予响应。"),
    ),
    policy.PolicyValue(
        RESPONSE_HOURS_CRITICAL,
        _("特急需求响应时限"),
        "int",
        2,
        unit=_("工作小时"),
        clause="三（三）1",
        minimum=1,
        maximum=240,
        help_text=_("特急客户需求须在此工作小时内给予响应。"),
    ),
)


def _requests_tab(request, client):
    from zhangfang.delivery.views.requests import client_requests_tab

    return client_requests_tab(request, client)


client_tabs.register("requests", _("客户需求"), _requests_tab)


def _requests_panel(request):
    from zhangfang.delivery.selectors.requests import request_counts_for_home

    counts = request_counts_for_home(user=request.user, now=timezone.now())
    if not counts["mine"] and not counts["overdue"]:
        return None
    return counts


register_panel(Panel("requests", "delivery/request_panel.html", _requests_panel, order=15))
