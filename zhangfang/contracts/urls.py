from django.urls import path

from zhangfang.contracts import views

app_name = "contracts"

urlpatterns = [
    path("prices/", views.fee_item_list, name="fee_item_list"),
    path("prices/new/", views.fee_item_create, name="fee_item_create"),
    path("prices/<int:pk>/edit/", views.fee_item_edit, name="fee_item_edit"),
]
