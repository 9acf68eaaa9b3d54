from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    # The language switch is on the login page too, so it needs no login.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("zhangfang.core.urls")),
    path("staff/", include("zhangfang.staff.urls")),
    path("clients/", include("zhangfang.clients.urls")),
    path("notifications/", include("zhangfang.notifications.urls")),
    path("leads/", include("zhangfang.leads.urls")),
    path("contracts/", include("zhangfang.contracts.urls")),
    path("billing/", include("zhangfang.billing.urls")),
    path("delivery/", include("zhangfang.delivery.urls")),
    path("care/", include("zhangfang.care.urls")),
    path("complaints/", include("zhangfang.complaints.urls")),
]
