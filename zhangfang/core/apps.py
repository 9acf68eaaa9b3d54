from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zhangfang.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        # Login, logout and failed-login events are written to the audit log.
        from zhangfang.core import auth_audit, panels  # noqa: F401
