"""Service plans' wiring: how long the client's link stays valid (a setting), and the client
page's 服务方案 tab."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhangfang.clients import tabs as client_tabs
from zhangfang.core.policy import PolicyValue, register

register(
    PolicyValue(
        "contracts.plan_link_days",
        _("服务方案确认链接有效期"),
        "int",
        14,
        unit=_("天"),
        clause="三（二）2",
        minimum=1,
        maximum=90,
        help_text=_(
            "服务方案发送给客户后，客户可在此期限内通过链接接受方案或提出修改意见；"
            "过期后需重新发送。"
        ),
    ),
)


def _plans_tab(request, client):
    from zhangfang.contracts.views.plans import client_plans_tab

    return client_plans_tab(request, client)


client_tabs.register("plans", _("服务方案"), _plans_tab)
