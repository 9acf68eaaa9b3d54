from django.urls import path

from zhangfang.clients import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("export.xlsx", views.client_export, name="export"),
    path("reassign/", views.clients_bulk_reassign, name="bulk_reassign"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/new/", views.tag_create, name="tag_create"),
    path("tags/<int:pk>/edit/", views.tag_edit, name="tag_edit"),
    path("tags/<int:pk>/delete/", views.tag_delete, name="tag_delete"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/tab/<slug:tab>/", views.client_tab, name="tab"),
    path("<int:pk>/status/", views.client_change_status, name="status"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_pk>/delete/", views.contact_delete, name="contact_delete"),
    path("<int:pk>/reveal/<slug:field>/", views.client_reveal, name="reveal"),
    path(
        "<int:pk>/contacts/<int:contact_pk>/reveal/<slug:field>/",
        views.contact_reveal,
        name="contact_reveal",
    ),
]
