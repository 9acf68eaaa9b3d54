"""URLs of complaint handling: each part's views module lists its own ``urlpatterns``."""

from zhangfang.core.parts import collect_urlpatterns

app_name = "complaints"

urlpatterns = collect_urlpatterns("zhangfang.complaints.views", ["register", "analysis"])
