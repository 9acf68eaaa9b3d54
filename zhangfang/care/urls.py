"""URLs of relationship maintenance: each part's views module lists its own ``urlpatterns``."""

from zhangfang.core.parts import collect_urlpatterns

app_name = "care"

urlpatterns = collect_urlpatterns(
    "zhangfang.care.views", ["visits", "bulletins", "greetings", "events"]
)
