"""URLs of client service: each part's views module lists its own ``urlpatterns``."""

from zhangfang.core.parts import collect_urlpatterns

app_name = "delivery"

urlpatterns = collect_urlpatterns(
    "zhangfang.delivery.views",
    [
        "requests",
        "routing",
        "work_board",
        "work_items",
        "quality",
        "surveys",
        "standards",
        "workload",
    ],
)
