"""URLs of contracts and fees: each part's views module lists its own ``urlpatterns``."""

from zhangfang.core.parts import collect_urlpatterns

app_name = "contracts"

urlpatterns = collect_urlpatterns(
    "zhangfang.contracts.views", ["prices", "quotes", "plans", "contracts", "public"]
)
