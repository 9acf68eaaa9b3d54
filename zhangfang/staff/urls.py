from django.urls import path

from zhangfang.staff import auth_views, views

app_name = "staff"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("", views.user_list, name="user_list"),
    path("new/", views.user_create, name="user_create"),
    path("<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("<int:pk>/password/", views.user_password, name="user_password"),
    path("<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("departments/", views.department_list, name="department_list"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path(
        "departments/<int:pk>/active/",
        views.department_set_active,
        name="department_set_active",
    ),
]
