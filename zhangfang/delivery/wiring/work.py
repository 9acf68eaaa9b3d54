"""The monthly work's wiring (policy 三（二）3): how many working days before a deadline a step
shows as due soon, and the home panel (my overdue and due-soon work)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.core import policy
from zhangfang.core.dashboard import Panel
from zhangfang.core.dashboard import register as register_panel

DEADLINE_WARNING_DAYS = "delivery.deadline_warning_days"

policy.register(
    policy.PolicyValue(
        DEADLINE_WARNING_DAYS,
        _("服务工作到期预警"),
        "int",
        3,
        unit=_("个工作日"),
        clause="三（二）3",
        minimum=0,
        maximum=30,
        help_text=_("未完成的工作在截止日期前此数量的工作日内显示为“即将到期”，并列入今日待办。"),
    ),
)


def _work_panel(request):
    from zhangfang.delivery.selectors.work_board import work_counts_for_home

    counts = work_counts_for_home(user=request.user, today=timezone.localdate())
    if not counts["overdue"] and not counts["due_soon"]:
        return None
    return counts


register_panel(Panel("work", "delivery/work_panel.html", _work_panel, order=12))
