"""Contracts' wiring: the renewal-notice setting (policy 二（三）4), the client page's 合同 tab and
the home panel (contracts waiting for my review, contracts about to run out)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.clients import tabs as client_tabs
from zhangfang.core import policy
from zhangfang.core.dashboard import Panel
from zhangfang.core.dashboard import register as register_panel
from zhangfang.core.roles import Role, has_role

RENEWAL_NOTICE_DAYS = "contracts.renewal_notice_days"

policy.register(
    policy.PolicyValue(
        RENEWAL_NOTICE_DAYS,
        _("合同续签提醒提前天数"),
        "int",
        30,
        unit=_("天"),
        clause="二（三）4",
        minimum=1,
        maximum=180,
        help_text=_("合同终止日期前此天数内尚未续签的，提醒经办人和客户的客服专员联系客户续签。"),
    ),
)


def _contracts_tab(request, client):
    from zhangfang.contracts.views.contracts import client_contracts_tab

    return client_contracts_tab(request, client)


client_tabs.register("contracts", _("合同"), _contracts_tab)

#: Roles for whom the contracts panel can have something to show.
PANEL_ROLES = (Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN, Role.CUSTOMER_SERVICE)


def _contracts_panel(request):
    if not has_role(request.user, *PANEL_ROLES):
        return None
    from zhangfang.contracts.selectors.contracts import contract_counts_for_home

    days = policy.get(RENEWAL_NOTICE_DAYS)
    counts = contract_counts_for_home(user=request.user, today=timezone.localdate(), days=days)
    if not counts["to_review"] and not counts["expiring"]:
        return None
    return {**counts, "days": days}


register_panel(Panel("contracts", "contracts/contract_panel.html", _contracts_panel, order=20))
