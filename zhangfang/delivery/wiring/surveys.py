"""Satisfaction surveys' wiring (policy 三（二）4, 三（三）4): how long a client's link stays open,
the rating that opens a follow-up and its deadline, and the home panel of open follow-ups.

The satisfaction target itself (三（三）4 "满意度要达到[X]%以上") is the firm-wide setting
``satisfaction_target_percent`` that ``core.policy`` registers; it is read here, not registered
twice.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.core import policy
from zhangfang.core.dashboard import Panel
from zhangfang.core.dashboard import register as register_panel

SATISFACTION_TARGET = "satisfaction_target_percent"
SURVEY_LINK_DAYS = "delivery.survey_link_days"
SURVEY_LOW_SCORE = "delivery.survey_low_score"
FOLLOW_UP_DAYS = "delivery.follow_up_days"

policy.register(
    policy.PolicyValue(
        SURVEY_LINK_DAYS,
        _("满意度调查链接有效期"),
        "int",
        14,
        unit=_("天"),
        clause="三（二）4",
        minimum=1,
        maximum=90,
        help_text=_("发给客户的满意度调查链接在此天数后失效。"),
    ),
    policy.PolicyValue(
        SURVEY_LOW_SCORE,
        _("满意度低分阈值"),
        "int",
        3,
        unit=_("分"),
        clause="三（三）4",
        minimum=1,
        maximum=4,
        help_text=_("客户任一项评分（1–5 分）不高于此分数时，自动生成回访跟进任务。"),
    ),
    policy.PolicyValue(
        FOLLOW_UP_DAYS,
        _("低分回访处理时限"),
        "int",
        3,
        unit=_("个工作日"),
        clause="三（二）4",
        minimum=1,
        maximum=30,
        help_text=_("客服专员和部门负责人须在此时限内回访低分客户并记录处理结果。"),
    ),
)


def _follow_up_panel(request):
    from zhangfang.delivery.selectors.surveys import follow_up_counts_for_home

    counts = follow_up_counts_for_home(user=request.user, today=timezone.localdate())
    if not counts["open"]:
        return None
    return counts


register_panel(
    Panel("survey_follow_ups", "delivery/follow_up_panel.html", _follow_up_panel, order=16)
)
