"""Quality spot checks' wiring (policy 三（二）4): the rectification deadline and the home panel
(my open rectifications)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.core import policy
from zhangfang.core.dashboard import Panel
from zhangfang.core.dashboard import register as register_panel

RECTIFICATION_DAYS = "delivery.rectification_days"

policy.register(
    policy.PolicyValue(
        RECTIFICATION_DAYS,
        _("质检整改期限"),
        "int",
        5,
        unit=_("个工作日"),
        clause="三（二）4",
        minimum=1,
        maximum=60,
        help_text=_("抽查发现的问题须在此工作日内整改完毕；退回重改时重新计算。"),
    ),
)


def _rectifications_panel(request):
    from zhangfang.delivery.selectors.quality import rectification_counts_for_home

    counts = rectification_counts_for_home(user=request.user, today=timezone.localdate())
    if not counts["open"]:
        return None
    return counts


register_panel(
    Panel("rectifications", "delivery/quality_panel.html", _rectifications_panel, order=25)
)
