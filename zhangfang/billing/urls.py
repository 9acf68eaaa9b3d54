"""URLs of billing and the fee ledger: each part's views module lists its own ``urlpatterns``."""

from zhangfang.core.parts import collect_urlpatterns

app_name = "billing"

urlpatterns = collect_urlpatterns(
    "zhangfang.billing.views",
    ["bills", "payments", "ledger", "receivables", "statements", "reports"],
)
