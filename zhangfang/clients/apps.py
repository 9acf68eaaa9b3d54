from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "zhangfang.clients"
    label = "clients"
    verbose_name = _("客户")

    def ready(self) -> None:
        from zhangfang.clients import panels  # noqa: F401  (registers the home panels)
