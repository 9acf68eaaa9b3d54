"""Return visits' wiring (policy 四（一）2–3): how often each tier of client is visited, the
new-client term, the working days a department has to handle a problem a client raised, the
"due soon" window, and the home panel (my visits due soon or overdue, problems given to me)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.clients import team_hooks as client_team_hooks
from zhangfang.core import policy
from zhangfang.core.dashboard import Panel
from zhangfang.core.dashboard import register as register_panel

VISIT_MONTHS_KEY = "care.visit_months_key"
VISIT_MONTHS_STANDARD = "care.visit_months_standard"
VISIT_MONTHS_BASIC = "care.visit_months_basic"
NEW_CLIENT_MONTHS = "care.new_client_months"
VISIT_MONTHS_NEW = "care.visit_months_new"
PROBLEM_DAYS = "care.problem_days"
VISIT_DUE_SOON_DAYS = "care.visit_due_soon_days"

policy.register(
    policy.PolicyValue(
        VISIT_MONTHS_KEY,
        _("A 类重点客户回访周期"),
        "int",
        3,
        unit=_("个月"),
        clause="四（一）2",
        minimum=1,
        maximum=24,
        help_text=_("重点客户每隔此月数回访一次（默认每季度一次）。"),
    ),
    policy.PolicyValue(
        VISIT_MONTHS_STANDARD,
        _("B 类一般客户回访周期"),
        "int",
        6,
        unit=_("个月"),
        clause="四（一）2",
        minimum=1,
        maximum=24,
        help_text=_("一般客户每隔此月数回访一次（默认每半年一次）。"),
    ),
    policy.PolicyValue(
        VISIT_MONTHS_BASIC,
        _("C 类普通客户回访周期"),
        "int",
        6,
        unit=_("个月"),
        clause="四（一）2",
        minimum=1,
        maximum=24,
        help_text=_("普通客户每隔此月数回访一次（默认每半年一次）。"),
    ),
    policy.PolicyValue(
        NEW_CLIENT_MONTHS,
        _("新客户期限"),
        "int",
        12,
        unit=_("个月"),
        clause="四（一）2",
        minimum=0,
        maximum=60,
        help_text=_("客户开始服务后此月数内视为新客户，按新客户回访周期回访。"),
    ),
    policy.PolicyValue(
        VISIT_MONTHS_NEW,
        _("新客户回访周期"),
        "int",
        3,
        unit=_("个月"),
        clause="四（一）2",
        minimum=1,
        maximum=24,
        help_text=_("新客户每隔此月数回访一次；不会比其重要程度对应的周期更长。"),
    ),
    policy.PolicyValue(
        PROBLEM_DAYS,
        _("回访问题处理时限"),
        "int",
        3,
        unit=_("个工作日"),
        clause="四（一）3",
        minimum=1,
        maximum=60,
        help_text=_("回访中客户反映的问题转交相关部门后，部门须在此时限内处理并反馈结果。"),
    ),
    policy.PolicyValue(
        VISIT_DUE_SOON_DAYS,
        _("回访临近提醒天数"),
        "int",
        7,
        unit=_("天"),
        clause="四（一）2",
        minimum=0,
        maximum=60,
        help_text=_("计划回访日期在此天数内的回访在列表和首页中提示为“即将到期”。"),
    ),
)


def _visits_panel(request):
    from zhangfang.care.selectors.visits import visit_counts_for_home

    counts = visit_counts_for_home(user=request.user, today=timezone.localdate())
    if not any(counts.values()):
        return None
    return counts


register_panel(Panel("care_visits", "care/visit_panel.html", _visits_panel, order=18))


def _move_planned_visits(**change):
    from zhangfang.care.services.visits import move_planned_visits

    return move_planned_visits(**change)


# A new customer-service member takes over the client's planned return visits.
client_team_hooks.register(_move_planned_visits)
