from django.urls import path

from zhangfang.core import views, views_admin

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/calendar/", views_admin.calendar_days, name="calendar_days"),
    path(
        "admin/calendar/<int:pk>/delete/",
        views_admin.calendar_day_delete,
        name="calendar_day_delete",
    ),
    path("admin/filing-deadlines/", views_admin.filing_deadlines, name="filing_deadlines"),
    path("admin/settings/", views_admin.policy_settings, name="policy_settings"),
    path("admin/audit/", views_admin.audit_log, name="audit_log"),
]
