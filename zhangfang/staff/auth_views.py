"""Login, logout and password change (Django's views with our forms and templates)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _

from zhangfang.staff.forms import LoginForm


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("您已安全退出。"))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "staff/password_change.html"
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        messages.success(self.request, _("密码已修改。"))
        return super().form_valid(form)
