"""The work item part's wiring (policy 三（二）3): how long a tax confirmation link stays valid,
and the client page's 服务工作 tab (the client's periods of work and its service scope)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhangfang.clients import tabs as client_tabs
from zhangfang.core import policy

# The key is also read by services.confirmations; it is spelled here so the settings page lists it
# without importing the services at start-up.
TAX_LINK_DAYS = "delivery.tax_link_days"

policy.register(
    policy.PolicyValue(
        TAX_LINK_DAYS,
        _("税款确认链接有效期"),
        "int",
        5,
        unit=_("天"),
        clause="三（二）3",
        minimum=1,
        maximum=60,
        help_text=_("发给客户确认税款测算的链接在此天数内有效；重新发送时重新计算。"),
    ),
)


def _work_tab(request, client):
    from zhangfang.delivery.views.work_items import client_work_tab

    return client_work_tab(request, client)


client_tabs.register("work", _("服务工作"), _work_tab)
