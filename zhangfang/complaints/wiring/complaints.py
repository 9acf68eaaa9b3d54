"""The complaint register's wiring: the handling deadline in working days (policy 四（三）3) and
the re-escalation interval, the client page's 投诉 tab and the home panel (open complaints I
handle, overdue ones, results waiting to be told to the client)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhangfang.clients import tabs as client_tabs
from zhangfang.core import policy
from zhangfang.core.dashboard import Panel
from zhangfang.core.dashboard import register as register_panel

HANDLING_DAYS = "complaints.handling_days"
REESCALATION_DAYS = "complaints.reescalation_days"

policy.register(
    policy.PolicyValue(
        HANDLING_DAYS,
        _("投诉处理时限"),
        "int",
        5,
        unit=_("个工作日"),
        clause="四（三）3",
        minimum=1,
        maximum=30,
        help_text=_(
            "客服登记投诉后，责任部门负责人须在此工作日内组织调查处理，并将处理结果反馈客服。"
        ),
    ),
    policy.PolicyValue(
        REESCALATION_DAYS,
        _("投诉再次上报间隔"),
        "int",
        3,
        unit=_("个工作日"),
        clause="四（三）3",
        minimum=1,
        maximum=30,
        help_text=_("投诉超期上报管理层后，仍未处理满此工作日的，再次上报。"),
    ),
)


def _complaints_tab(request, client):
    from zhangfang.complaints.views.register import client_complaints_tab

    return client_complaints_tab(request, client)


client_tabs.register("complaints", _("投诉"), _complaints_tab)


def _complaints_panel(request):
    from django.utils import timezone

    from zhangfang.complaints.selectors.complaints import complaint_counts_for_home

    counts = complaint_counts_for_home(user=request.user, today=timezone.localdate())
    if not any(counts.values()):
        return None
    return counts


register_panel(Panel("complaints", "complaints/complaint_panel.html", _complaints_panel, order=16))
