from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "zhangfang.leads"
    label = "leads"
    verbose_name = _("客户开发")

    def ready(self) -> None:
        # Policy settings (score weights), the home panel and the client page's "来源" tab.
        from zhangfang.leads import panels, policy, policy_marketing, prospect_tabs  # noqa: F401

        prospect_tabs.register_client_tab()
