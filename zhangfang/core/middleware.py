"""Request-wide rules: login required everywhere, idle sessions expire, audit knows the address."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from zhangfang.core import audit, policy

_LAST_SEEN = "zhangfang_last_seen"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for the audit log and rate limits.

    Behind a reverse proxy (``BEHIND_TLS_PROXY``) every request comes from the proxy, so the
    address the proxy appended last to X-Forwarded-For is used; earlier entries are whatever the
    client claimed and are not trusted.
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR") or None


class LanguageMiddleware:
    """Simplified Chinese unless the user chose another language with the switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a firm's PC with an
    English system would get English pages; the policy's users expect Chinese by default.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class IdleSessionTimeoutMiddleware:
    """Log the user out after ``session_idle_minutes`` without a request (等保 2.0)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = audit.current_ip.set(client_ip(request))
        try:
            if request.user.is_authenticated:
                now = int(time.time())
                last_seen = request.session.get(_LAST_SEEN)
                limit = policy.get("session_idle_minutes") * 60
                if last_seen is not None and now - last_seen > limit:
                    logout(request)
                    messages.warning(request, _("长时间未操作，已自动退出，请重新登录。"))
                    if request.headers.get("HX-Request") == "true":
                        return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
                    return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
                # Writing the session on every request would cost a write per page; a minute's
                # precision is enough for a timeout counted in minutes.
                if last_seen is None or now - last_seen >= 60:
                    request.session[_LAST_SEEN] = now
            return self.get_response(request)
        finally:
            audit.current_ip.reset(token)


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Every view needs a login unless marked ``@login_not_required``.

    An htmx request whose session has gone gets an ``HX-Redirect`` so the whole page moves to the
    login form, instead of the form being swapped into a table cell.
    """

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(resolve_url(self.get_login_url(view_func)))
        return super().handle_no_permission(request, view_func)
