from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "zhangfang.care"
    label = "care"
    verbose_name = _("关系维护")

    def ready(self) -> None:
        # Each part registers its settings, client tabs and home panels in wiring/<part>.py.
        from zhangfang.core.parts import import_wiring

        import_wiring(self.name)
