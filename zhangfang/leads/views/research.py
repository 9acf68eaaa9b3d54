"""Market research pages (policy 二(一)1): competitors with their prices, the price comparison,
and research notes. Open to sales, department heads and administrators; others get 403."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.forms import save_edit
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.selectors import audit_history_for
from zhangfang.leads.forms.research import CompetitorForm, MarketNoteForm, price_formset
from zhangfang.leads.selectors import research as selectors
from zhangfang.leads.services import research as services

PAGE_SIZE = 25
research_roles = role_required(*selectors.RESEARCH_ROLES)

COMPETITOR_COLUMNS = [
    ("name", gettext_lazy("竞争对手")),
    ("", gettext_lazy("服务内容")),
    ("prices", gettext_lazy("收费项目")),
    ("", gettext_lazy("信息来源")),
    ("observed_on", gettext_lazy("调研日期")),
]


def _competitor_or_404(pk: int):
    competitor = selectors.competitor_get(pk)
    if competitor is None:
        raise Http404
    return competitor


def _note_or_404(pk: int):
    note = selectors.market_note_get(pk)
    if note is None:
        raise Http404
    return note


@research_roles
def competitor_list(request):
    state = ListState.from_request(request, sorts=selectors.COMPETITOR_SORTS, default_sort="name")
    page = state.paginate(
        selectors.competitor_list(q=state.q, ordering=state.ordering()), per_page=PAGE_SIZE
    )
    context = {
        "state": state,
        "page": page,
        "page_links": state.page_links(page),
        "columns": [state.column(key, label) for key, label in COMPETITOR_COLUMNS],
        "q": state.q,
    }
    if wants_fragment(request):
        return render(request, "leads/research_competitor_list.html#table", context)
    context["filter_bar"] = FilterBar(
        action=reverse("leads:research_competitor_list"),
        target="#competitor-table",
        fields=[
            FilterField.search(
                _("搜索"), state.q, placeholder=_("名称、服务内容、收费项目、信息来源")
            )
        ],
        hidden={"sort": state.sort},
        submit_label=_("搜索"),
    )
    return render(request, "leads/research_competitor_list.html", context)


@research_roles
def competitor_create(request):
    form = CompetitorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            competitor = services.competitor_create(data=form.competitor_data(), by=request.user)
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, _("竞争对手已登记，请在下方录入其收费项目。"))
            return redirect("leads:research_competitor_detail", pk=competitor.pk)
    return render(request, "leads/research_competitor_form.html", {"form": form})


@research_roles
def competitor_edit(request, pk: int):
    competitor = _competitor_or_404(pk)
    form = CompetitorForm(request.POST or None, instance=competitor)
    context = {"form": form, "competitor": competitor}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.competitor_update(
            competitor=competitor,
            data=form.competitor_data(),
            expected_version=version,
            by=request.user,
        ),
        reload=lambda: _competitor_or_404(pk),
        error_field="name",
    ):
        messages.success(request, _("竞争对手信息已保存。"))
        return redirect("leads:research_competitor_detail", pk=pk)
    return render(request, "leads/research_competitor_form.html", context)


def _detail(request, competitor, formset, *, conflict: str = "", status: int = 200):
    # After a refused save the form keeps the version the user started from, so fixing a typo
    # and saving again cannot override a change someone made meanwhile.
    submitted = request.POST.get("version", "") if not conflict else ""
    return render(
        request,
        "leads/competitor_detail.html",
        {
            "competitor": competitor,
            "formset": formset,
            "conflict": conflict,
            "price_version": submitted if submitted.isdigit() else competitor.version,
            "events": audit_history_for(competitor, limit=30),
        },
        status=status,
    )


@research_roles
def competitor_detail(request, pk: int):
    competitor = _competitor_or_404(pk)
    return _detail(request, competitor, price_formset(competitor))


@research_roles
@require_POST
def competitor_prices(request, pk: int):
    """Save the price rows edited on the competitor's page: all of them, or none."""
    competitor = _competitor_or_404(pk)
    formset = price_formset(competitor, request.POST)
    version = request.POST.get("version", "")
    if not formset.is_valid():
        return _detail(request, competitor, formset, status=422)
    try:
        changed = services.competitor_prices_save(
            competitor=competitor,
            rows=formset.price_rows(),
            expected_version=int(version) if version.isdigit() else None,
            by=request.user,
        )
    except ConcurrentEditError as error:
        current = _competitor_or_404(pk)
        return _detail(request, current, price_formset(current), conflict=error.message, status=409)
    except DomainError as error:
        formset._non_form_errors = formset.error_class([error.message])
        return _detail(request, competitor, formset, status=422)
    if changed:
        messages.success(request, _("收费项目已保存。"))
    else:
        messages.info(request, _("收费项目没有变化。"))
    return redirect(reverse("leads:research_competitor_detail", args=[pk]) + "#prices")


@research_roles
@require_POST
def competitor_delete(request, pk: int):
    competitor = _competitor_or_404(pk)
    services.competitor_delete(competitor=competitor, by=request.user)
    messages.success(request, _("竞争对手“%(name)s”已删除。") % {"name": competitor.name})
    return redirect("leads:research_competitor_list")


@research_roles
def price_comparison(request):
    return render(
        request,
        "leads/research_price_comparison.html",
        {"comparison": selectors.price_comparison()},
    )


def _date_param(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@research_roles
def note_list(request):
    state = ListState.from_request(
        request, sorts={"date": ("observed_on", "id")}, default_sort="-date"
    )
    date_from, date_to = _date_param(state.get("from")), _date_param(state.get("to"))
    page = state.paginate(
        selectors.market_note_list(q=state.q, date_from=date_from, date_to=date_to),
        per_page=PAGE_SIZE,
    )
    context = {
        "state": state,
        "page": page,
        "page_links": state.page_links(page),
        "filters_active": bool(state.q or date_from or date_to),
    }
    if wants_fragment(request):
        return render(request, "leads/research_note_list.html#notes", context)
    context["filter_bar"] = FilterBar(
        action=reverse("leads:research_note_list"),
        target="#note-list",
        fields=[
            FilterField.search(_("搜索"), state.q, placeholder=_("标题或内容")),
            FilterField("from", _("日期从"), "date", date_from),
            FilterField("to", _("日期至"), "date", date_to),
        ],
        submit_label=_("筛选"),
    )
    return render(request, "leads/research_note_list.html", context)


@research_roles
def note_create(request):
    form = MarketNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.market_note_create(data=form.note_data(), by=request.user)
        messages.success(request, _("调研记录已保存。"))
        return redirect("leads:research_note_list")
    return render(request, "leads/research_note_form.html", {"form": form})


@research_roles
def note_edit(request, pk: int):
    note = _note_or_404(pk)
    form = MarketNoteForm(request.POST or None, instance=note)
    if request.method == "POST" and form.is_valid():
        services.market_note_update(note=note, data=form.note_data(), by=request.user)
        messages.success(request, _("调研记录已保存。"))
        return redirect("leads:research_note_list")
    return render(request, "leads/research_note_form.html", {"form": form, "note": note})


@research_roles
@require_POST
def note_delete(request, pk: int):
    note = _note_or_404(pk)
    services.market_note_delete(note=note, by=request.user)
    messages.success(request, _("调研记录已删除。"))
    return redirect("leads:research_note_list")


urlpatterns = [
    path("research/competitors/", competitor_list, name="research_competitor_list"),
    path("research/competitors/new/", competitor_create, name="research_competitor_create"),
    path("research/competitors/<int:pk>/", competitor_detail, name="research_competitor_detail"),
    path("research/competitors/<int:pk>/edit/", competitor_edit, name="research_competitor_edit"),
    path(
        "research/competitors/<int:pk>/prices/",
        competitor_prices,
        name="research_competitor_prices",
    ),
    path(
        "research/competitors/<int:pk>/delete/",
        competitor_delete,
        name="research_competitor_delete",
    ),
    path("research/prices/", price_comparison, name="research_price_comparison"),
    path("research/notes/", note_list, name="research_note_list"),
    path("research/notes/new/", note_create, name="research_note_create"),
    path("research/notes/<int:pk>/edit/", note_edit, name="research_note_edit"),
    path("research/notes/<int:pk>/delete/", note_delete, name="research_note_delete"),
]
