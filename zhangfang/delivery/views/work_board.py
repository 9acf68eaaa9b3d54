"""The monthly work board (policy 三（二）3): a period's clients and their steps, filters, bulk
start/complete of ticked steps, generating a period's work now (department heads and
administrators), the Excel export, and each person's list of work due today."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhangfang.core.errors import DomainError
from zhangfang.core.excel import xlsx_response
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role
from zhangfang.delivery.forms.work_board import (
    BULK_CHOICES,
    FILING_CHOICES,
    PERIOD_FORMAT,
    BoardFilterForm,
    GenerateForm,
    WorkBulkForm,
)
from zhangfang.delivery.selectors import work_board as selectors
from zhangfang.delivery.services import generation
from zhangfang.delivery.services import work as services

PAGE_SIZE = 50

staff_roles = role_required(*Role.values)
head_roles = role_required(Role.DEPARTMENT_HEAD, Role.ADMIN)


def can_generate(user) -> bool:
    return has_role(user, Role.DEPARTMENT_HEAD, Role.ADMIN)


def _filter_bar(user, period: dt.date, filters: selectors.BoardFilters, state) -> FilterBar:
    fields = [
        FilterField.search(_("搜索"), filters.q, placeholder=_("客户名称或拼音")),
        FilterField("period", _("所属期"), "month", period.strftime(PERIOD_FORMAT)),
        FilterField("filing", _("税种"), value=filters.filing, options=FILING_CHOICES),
    ]
    if selectors.can_filter_by_assignee(user):
        fields.append(
            FilterField(
                "assignee",
                _("负责人"),
                value=filters.assignee or "",
                options=selectors.assignee_options(),
            )
        )
    fields += [
        FilterField("mine", _("我的"), "check", filters.mine),
        FilterField("dept", _("本部门"), "check", filters.department),
        FilterField("overdue", _("逾期"), "check", filters.overdue),
        FilterField("unfiled", _("未申报"), "check", filters.unfiled),
    ]
    return FilterBar(
        action=reverse("delivery:work_board"),
        target="#work-board",
        fields=fields,
        hidden={"sort": state.sort},
    )


@staff_roles
def work_board(request):
    fragment = wants_fragment(request)
    today = timezone.localdate()
    form = BoardFilterForm(request.GET)
    period = form.chosen_period() or selectors.default_period(today)
    filters = form.filters()
    state = ListState.from_request(request, sorts=selectors.BOARD_SORTS, default_sort="name")
    clients = selectors.board_clients(
        user=request.user, period=period, filters=filters, today=today
    ).order_by(*state.ordering())
    columns, summary = selectors.board_overview(
        clients=clients,
        period=period,
        today=today,
        restrict=filters.active or not selectors.sees_every_client(request.user),
    )
    if request.GET.get("export") == "xlsx":
        return _export(request, clients=clients, columns=columns, period=period, today=today)
    page = state.paginate(clients, per_page=PAGE_SIZE)
    rows, open_items = selectors.board_grid(
        clients=page.object_list, columns=columns, period=period, today=today
    )
    previous, following = selectors.adjacent_periods(period)
    context = {
        "period": period,
        "today": today,
        "previous_query": state.querystring(period=previous.strftime(PERIOD_FORMAT), page=None),
        "next_query": state.querystring(period=following.strftime(PERIOD_FORMAT), page=None),
        "deadline": generation.period_deadline(period),
        "summary": summary,
        "columns": columns,
        "rows": rows,
        "open_items": open_items,
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "client_column": state.column("name", _("客户")),
        "overdue_sort_query": state.querystring(
            sort="-overdue" if state.sort == "overdue" else "overdue", page=None
        ),
        "filters": filters,
        "filter_bar": None if fragment else _filter_bar(request.user, period, filters, state),
        "bulk_choices": BULK_CHOICES,
        "next_url": request.get_full_path(),
        "export_query": state.querystring(export="xlsx", page=None),
        "can_generate": can_generate(request.user),
    }
    template = "delivery/work_board.html"
    return render(request, f"{template}#board" if fragment else template, context)


def _export(request, *, clients, columns, period: dt.date, today: dt.date) -> HttpResponse:
    """The filtered board as an Excel file; the export is written to the audit log like the
    client list's."""
    count = clients.count()
    services.work_board_exported(
        period=period, count=count, query=request.GET.urlencode(), by=request.user
    )
    period_text = period.strftime(PERIOD_FORMAT)
    return xlsx_response(
        filename=_("服务工作看板") + f"-{period_text}.xlsx",
        sheet=period_text,
        headers=[_("客户"), _("部门"), *[str(column.label) for column in columns]],
        rows=selectors.board_export_rows(
            clients=clients, columns=columns, period=period, today=today
        ),
    )


def _back(request) -> str:
    """Where to go after a POST: the board as the user left it (``next``), if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("delivery:work_board")


@require_POST
@staff_roles
def work_bulk(request):
    form = WorkBulkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(request))
    items = selectors.visible_items(user=request.user, ids=form.cleaned_data["items"])
    if items is None:
        raise Http404
    action = form.cleaned_data["action"]
    try:
        changed = services.work_bulk_update(items=items, action=action, by=request.user)
    except DomainError as error:
        messages.error(request, _("未做任何更改：%(reason)s") % {"reason": error.message})
    else:
        label = dict(BULK_CHOICES)[action]
        messages.success(
            request,
            _("已%(action)s %(count)s 项工作。") % {"action": label, "count": changed},
        )
    return redirect(_back(request))


@require_POST
@head_roles
def work_generate(request):
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择有效的所属期。"))
        return redirect(_back(request))
    period = form.cleaned_data["period"]
    result = generation.work_generate(period=period, by=request.user)
    messages.success(
        request,
        _("%(period)s：新增 %(created)s 项工作，取消 %(cancelled)s 项（%(clients)s 户客户）。")
        % {
            "period": period.strftime(PERIOD_FORMAT),
            "created": result.created,
            "cancelled": result.cancelled,
            "clients": result.clients,
        },
    )
    return redirect(_back(request))


@staff_roles
def work_today(request):
    today = timezone.localdate()
    items = selectors.today_items(user=request.user, today=today)
    context = {
        "today": today,
        "items": items,
        "limited": len(items) >= selectors.TODAY_LIMIT,
        "warning_days": selectors.warning_days(),
        "department_overdue": selectors.department_overdue(user=request.user, today=today),
    }
    return render(request, "delivery/work_today.html", context)


urlpatterns = [
    path("work/", work_board, name="work_board"),
    path("work/bulk/", work_bulk, name="work_bulk"),
    path("work/generate/", work_generate, name="work_generate"),
    path("work/today/", work_today, name="work_today"),
]
