"""The fee ledger's additions to shared pages: the 收费台账 tab on the client detail page."""

from django.utils.translation import gettext_lazy as _

from zhangfang.billing.views.ledger import client_billing_tab
from zhangfang.clients import tabs

tabs.register("billing", _("收费台账"), client_billing_tab)
