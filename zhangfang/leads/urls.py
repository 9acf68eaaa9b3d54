"""URLs of client development: each part's views module lists its own ``urlpatterns``."""

from importlib import import_module

app_name = "leads"

PARTS = [
    "prospects",
    "visits",
    "negotiations",
    "marketing",
    "referrals",
    "research",
    "analytics",
    "public_form",
]

urlpatterns: list = []
for part in PARTS:
    try:
        module = import_module(f"zhangfang.leads.views.{part}")
    except ModuleNotFoundError as exc:
        # A part not built yet; a typo inside an existing module must still fail loudly.
        if exc.name != f"zhangfang.leads.views.{part}":
            raise
        continue
    urlpatterns += module.urlpatterns
