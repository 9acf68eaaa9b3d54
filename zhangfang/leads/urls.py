"""URLs of client development: each part's views module lists its own ``urlpatterns``."""

from zhangfang.core.parts import collect_urlpatterns

app_name = "leads"

urlpatterns = collect_urlpatterns(
    "zhangfang.leads.views",
    [
        "prospects",
        "visits",
        "negotiations",
        "marketing",
        "referrals",
        "research",
        "analytics",
        "public_form",
    ],
)
