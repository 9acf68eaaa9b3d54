"""Picking a client for a form that needs one (a request, a survey, a service plan, a bill): a
search box whose results update in place, each linking to the form with ``?client=<pk>``.

Every chapter's "new …" page without a client uses this one view helper and its template
``clients/_client_picker.html``; each decides whom it offers (its own search) and what the page
says around it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from zhangfang.clients.models import Client
from zhangfang.core.listing import wants_fragment

PICKER_TEMPLATE = "clients/_client_picker.html"


class ClientSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("搜索客户"), required=False, max_length=100)


def client_picker(
    request: HttpRequest,
    *,
    template: str,
    url: str,
    search: Callable[[str], Sequence[Client]],
    carry: QueryDict | None = None,
    **context,
) -> HttpResponse:
    """The page ``template`` (which includes the picker) or, for htmx, just the results.

    ``search(q)`` returns the clients offered for a query; ``carry`` are parameters that ride
    along to the chosen client's form (the quote calculator's figures, say). Optional context:
    ``picker_hint`` under the box, ``picker_empty`` when nothing matched.
    """
    form = ClientSearchForm(request.GET)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    carried = carry.copy() if carry is not None else QueryDict(mutable=True)
    for key in ("q", "client"):
        carried.pop(key, None)
    context.update(
        q=q,
        results=search(q) if q else [],
        picker_url=url,
        picker_carry=[(key, value) for key, values in carried.lists() for value in values],
        picker_carry_query=carried.urlencode(),
    )
    if wants_fragment(request):
        return render(request, f"{PICKER_TEMPLATE}#results", context)
    return render(request, template, context)
