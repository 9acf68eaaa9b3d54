"""What the receivables part adds to the shared mechanisms: the overdue-notice policy setting
and the finance home panel (逾期金额 and the largest overdue clients)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.billing.selectors import receivables as selectors
from zhangfang.billing.services.overdue import GRACE_DAYS_KEY
from zhangfang.core import policy
from zhangfang.core.dashboard import Panel, register
from zhangfang.core.roles import Role, has_role

policy.register(
    policy.PolicyValue(
        GRACE_DAYS_KEY,
        _("账单逾期提醒宽限天数"),
        "int",
        0,
        unit=_("天"),
        clause="三（四）4",
        minimum=0,
        maximum=365,
        help_text=_(
            "账单超过付款期限达到此天数后，通知客户的客服专员和业务负责人催收；"
            "0 表示付款期限次日即通知。"
        ),
    )
)

#: Roles that see the overdue panel on their home page.
PANEL_ROLES = (Role.FINANCE, Role.ADMIN, Role.DEPARTMENT_HEAD)


def _overdue_panel(request):
    if not has_role(request.user, *PANEL_ROLES):
        return None
    today = timezone.localdate()
    return {
        "overdue": selectors.overdue_total(user=request.user, on=today),
        "top": selectors.largest_overdue_clients(user=request.user, on=today, limit=5),
    }


register(Panel("billing_overdue", "billing/receivables_panel.html", _overdue_panel, order=12))
