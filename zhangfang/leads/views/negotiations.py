"""Negotiation pages: log a round, correct it, and the 洽谈 tab of the prospect detail page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.core.errors import DomainError
from zhangfang.leads import prospect_tabs
from zhangfang.leads.forms.negotiations import NegotiationForm
from zhangfang.leads.models import Prospect
from zhangfang.leads.selectors import negotiations as selectors
from zhangfang.leads.services import negotiations as services
from zhangfang.leads.views.visits import (
    access_prospect_for_write,
    can_write_prospect_visits,
    prospect_tab_url,
)


def _negotiations_tab(request, prospect: Prospect):
    return "leads/negotiation_tab.html", {
        "prospect": prospect,
        "rounds": selectors.negotiation_rounds(prospect),
        "can_write": can_write_prospect_visits(request.user),
    }


prospect_tabs.register("negotiations", gettext_lazy("洽谈"), _negotiations_tab, order=40)


def negotiation_create(request, pk: int):
    prospect = access_prospect_for_write(request.user, pk)
    form = NegotiationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.negotiation_log(prospect=prospect, data=form.cleaned_data, by=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("洽谈记录已保存。"))
            return redirect(prospect_tab_url(prospect.pk, "negotiations"))
    return render(
        request,
        "leads/negotiation_form.html",
        {
            "form": form,
            "prospect": prospect,
            "back_url": prospect_tab_url(prospect.pk, "negotiations"),
        },
    )


def negotiation_edit(request, pk: int):
    negotiation = selectors.negotiation_get(user=request.user, pk=pk)
    if negotiation is None:
        raise Http404
    if not can_write_prospect_visits(request.user):
        raise PermissionDenied
    prospect = negotiation.prospect
    form = NegotiationForm(request.POST or None, negotiation=negotiation)
    if request.method == "POST" and form.is_valid():
        try:
            services.negotiation_update(
                negotiation=negotiation, data=form.cleaned_data, by=request.user
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("洽谈记录已保存。"))
            return redirect(prospect_tab_url(prospect.pk, "negotiations"))
    return render(
        request,
        "leads/negotiation_form.html",
        {
            "form": form,
            "prospect": prospect,
            "negotiation": negotiation,
            "back_url": prospect_tab_url(prospect.pk, "negotiations"),
        },
    )


urlpatterns = [
    path("prospects/<int:pk>/negotiations/new/", negotiation_create, name="negotiation_create"),
    path("negotiations/<int:pk>/edit/", negotiation_edit, name="negotiation_edit"),
]
