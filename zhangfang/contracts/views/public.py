"""Client-facing pages without login: the service plan a client accepts or sends back
(三（二）2 "提交给客户审核，根据客户意见进行修改完善，直至客户满意").

The link carries a signed token (see ``services.plans.plan_token``); the page is standalone and
phone-first (``core/public_base.html``), with no staff navigation. CSRF protection stays on: the
answer form is rendered by this site and posts back to it, so the CSRF cookie is always there.
The page is never cached (a proxy must not keep a client's plan, nor serve an old state of it)
and asks search engines not to index it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zhangfang.contracts.forms.plans import PlanResponseForm
from zhangfang.contracts.selectors.plans import version_figures
from zhangfang.contracts.services import plans as services
from zhangfang.core import links
from zhangfang.core.errors import DomainError

#: The HTTP status of each page of a link that cannot be answered (the texts are in the
#: template): a link that never existed is "not found", the others are "gone".
MESSAGE_STATUS = {
    "invalid": 404,
    "expired": 410,
    services.LINK_WITHDRAWN: 410,
    services.LINK_SUPERSEDED: 410,
}


def _message_page(request, kind: str, *, owner=None):
    return links.no_index(
        render(
            request,
            "contracts/public_plan_message.html",
            {"kind": kind, "owner": owner},
            status=MESSAGE_STATUS[kind],
        )
    )


def _response_forms(data=None, *, submitted: str = "") -> dict[str, PlanResponseForm]:
    """The two answer forms; only the one the client submitted is bound to their input."""
    return {
        name: PlanResponseForm(
            data if submitted == name else None,
            response=name,
        )
        for name in (PlanResponseForm.ACCEPT, PlanResponseForm.CHANGES)
    }


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def public_plan(request, token: str):
    try:
        version = services.plan_from_token(token)
    except services.PlanLinkExpired:
        return _message_page(request, "expired")
    except services.PlanLinkInvalid:
        return _message_page(request, "invalid")
    state = services.link_state(version)
    plan = version.plan
    if state in (services.LINK_WITHDRAWN, services.LINK_SUPERSEDED):
        return _message_page(request, state, owner=plan.owner)
    submitted = request.POST.get("response", "") if request.method == "POST" else ""
    forms = _response_forms(request.POST, submitted=submitted)
    status = 200
    if request.method == "POST":
        form = forms.get(submitted)
        if state != services.LINK_OPEN:
            messages.warning(request, _("您已答复过此方案，不能重复答复。"))
            return redirect("contracts:public_plan", token)
        if form is not None and form.is_valid():
            try:
                services.plan_respond(
                    version=version,
                    response=submitted,
                    comment=form.cleaned_data.get("comment", ""),
                    responder_name=form.cleaned_data["responder_name"],
                )
            except services.PlanLinkExpired:
                return _message_page(request, "expired")
            except DomainError as error:
                # Answered a moment ago (a double submit), or withdrawn meanwhile.
                messages.warning(request, error.message)
            else:
                messages.success(request, _("感谢您的答复，我们已收到。"))
            return redirect("contracts:public_plan", token)
        status = 400
    return links.no_index(
        render(
            request,
            "contracts/public_plan.html",
            {
                "plan": plan,
                "v": version,
                "figures": version_figures(version),
                "state": state,
                "accept_form": forms[PlanResponseForm.ACCEPT],
                "changes_form": forms[PlanResponseForm.CHANGES],
                "submitted": submitted,
            },
            status=status,
        )
    )


urlpatterns = [
    path("p/<str:token>/", public_plan, name="public_plan"),
]
