"""The public website lead form (no login) and the duty roster page behind it.

Embedding: the firm's website shows the form in an ``<iframe>``. The rest of Zhangfang forbids
framing (``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``, against clickjacking);
these two pages only are exempt from the X-Frame-Options header and have their CSP
``frame-ancestors`` widened to the origins in the ``LEADS_FORM_FRAME_ANCESTORS`` setting (a list,
e.g. ``["https://www.example-firm.cn"]``; default ``'self'`` plus any https site, since the page
holds no session and no data of ours, so being framed by another site risks nothing). CSRF stays
on: the form posts to our own origin, and Django's CSRF cookie works inside the frame.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from zhangfang.core.middleware import client_ip
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role
from zhangfang.leads.forms.public_form import DutyRosterForm, WebsiteLeadForm
from zhangfang.leads.services import public_form as services

THANK_YOU = gettext_lazy("我们已收到您的信息，工作人员将在 1 个工作日内与您联系。")


def _frame_ancestors() -> list[str]:
    return list(getattr(settings, "LEADS_FORM_FRAME_ANCESTORS", ["'self'", "https:"]))


def _embeddable(response):
    """Let the firm's own site frame this response (see the module docstring)."""
    response._csp_replace = {"frame-ancestors": _frame_ancestors()}
    return response


def _public_context(**extra) -> dict:
    return extra


# CSRF protection guards a logged-in session against forged requests; this form has no session
# to abuse, and a CSRF cookie cannot reach it when it is embedded in the firm's website (a
# cross-site iframe gets no SameSite=Lax cookie), which would refuse every genuine enquiry.
# Abuse is held off by the signed start time, the honeypot and the per-address rate limit.
@login_not_required
@xframe_options_exempt
@csrf_exempt
@require_http_methods(["GET", "POST"])
def public_apply(request):
    if request.method == "GET":
        return _embeddable(
            render(request, "leads/public_apply.html", _public_context(form=WebsiteLeadForm()))
        )
    address = client_ip(request) or "unknown"
    if services.rate_limited(address):
        response = render(
            request,
            "leads/public_apply.html",
            _public_context(
                form=WebsiteLeadForm(),
                limited=_("您提交的次数过多，请一小时后再试，或直接致电我们。"),
            ),
            status=429,
        )
        response["Retry-After"] = "3600"
        return _embeddable(response)
    form = WebsiteLeadForm(request.POST)
    if form.caught_by_honeypot():
        # A bot filled the hidden field: it gets the same thank-you as a person, so it learns
        # nothing, and nothing is saved.
        services.count_submission(address)
        return redirect("leads:public_apply_thanks")
    if not form.is_valid():
        if "started" in form.errors:
            # Give a person a fresh stamp so their next press of the button goes through.
            data = request.POST.copy()
            data["started"] = services.form_started_token()
            form.data = data
        return _embeddable(
            render(request, "leads/public_apply.html", _public_context(form=form), status=400)
        )
    services.count_submission(address)
    services.website_lead_submit(data=form.lead_data())
    return redirect("leads:public_apply_thanks")


@login_not_required
@xframe_options_exempt
def public_apply_thanks(request):
    return _embeddable(
        render(request, "leads/public_thanks.html", _public_context(message=THANK_YOU))
    )


@role_required(Role.ADMIN, Role.DEPARTMENT_HEAD)
def duty_roster(request):
    form = DutyRosterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.duty_roster_save(assignments=form.assignments(), by=request.user)
        messages.success(request, _("值班安排已保存。"))
        return redirect("leads:duty_roster")
    return render(request, "leads/public_duty_roster.html", {"form": form})


urlpatterns = [
    path("apply/", public_apply, name="public_apply"),
    path("apply/thanks/", public_apply_thanks, name="public_apply_thanks"),
    path("duty-roster/", duty_roster, name="duty_roster"),
]
