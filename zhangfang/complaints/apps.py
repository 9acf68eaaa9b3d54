from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "zhangfang.complaints"
    label = "complaints"
    verbose_name = _("客户投诉")

    def ready(self) -> None:
        # Each part registers its settings, client tabs and home panels in wiring/<part>.py.
        from zhangfang.core.parts import import_wiring

        import_wiring(self.name)
