"""Receivables pages: ageing per client (应收账款) and the clients whose service is paid through a
month that is behind (缴费滞后客户), each with its Excel export."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.billing.selectors import receivables as selectors
from zhangfang.clients.selectors import department_options
from zhangfang.core import audit
from zhangfang.core.excel import xlsx_response
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role

#: Every role reaches the pages; what each sees is its data scope (finance and administrators
#: all clients, a department head the department's, others the clients they serve or own).
RECEIVABLE_ROLES = tuple(Role.values)
#: Roles that may export the lists (client money leaving the system).
RECEIVABLE_EXPORTERS = (Role.FINANCE, Role.DEPARTMENT_HEAD, Role.ADMIN)
PAGE_SIZE = 25

receivable_roles = role_required(*RECEIVABLE_ROLES)


def _as_of(state: ListState) -> dt.date:
    """The ``on`` date of the URL, else today (Asia/Shanghai); a malformed date is ignored."""
    try:
        return dt.date.fromisoformat(state.get("on"))
    except ValueError:
        return timezone.localdate()


# ---------------------------------------------------------------------------------------------
# 应收账款
# ---------------------------------------------------------------------------------------------

RECEIVABLE_COLUMNS = [
    ("name", gettext_lazy("客户")),
    ("", gettext_lazy("客服专员 / 业务负责人")),
    *[("over_90" if b.key == "over_90" else "", b.label) for b in selectors.BUCKETS],
    ("total", gettext_lazy("应收合计")),
    ("credit", gettext_lazy("预收")),
]


def _receivable_state(request):
    state = ListState.from_request(request, sorts=selectors.RECEIVABLE_SORTS, default_sort="-total")
    bucket = state.get("bucket")
    filters = selectors.ReceivableFilters(
        q=state.q[:100],
        department=state.get_int("department"),
        staff=state.get_int("staff"),
        only_overdue=state.get("overdue") == "1",
        bucket=bucket if bucket in selectors.BUCKET_KEYS else "",
    )
    return state, filters, _as_of(state)


@receivable_roles
def receivables(request):
    fragment = wants_fragment(request)
    state, filters, on = _receivable_state(request)
    queryset = selectors.receivables_by_client(
        user=request.user, on=on, filters=filters, sort=state.sort
    )
    page = selectors.receivables_page(queryset, per_page=PAGE_SIZE, page_number=state.page_number)
    context = {
        "state": state,
        "filters": filters,
        "on": on,
        "page": page,
        "page_links": state.page_links(page),
        "totals": selectors.receivables_totals(queryset),
        "buckets": selectors.BUCKETS,
        "columns": [state.column(key, label) for key, label in RECEIVABLE_COLUMNS],
        "can_export": has_role(request.user, *RECEIVABLE_EXPORTERS),
        "export_query": state.querystring(page=None),
    }
    if not fragment:
        context["filter_bar"] = FilterBar(
            action=reverse("billing:receivables"),
            target="#receivables-table",
            fields=[
                FilterField.search(_("搜索客户"), filters.q, placeholder=_("名称、简称、拼音")),
                FilterField(
                    "department", _("部门"), value=filters.department, options=department_options()
                ),
                FilterField(
                    "staff",
                    _("业务负责人 / 客服"),
                    value=filters.staff,
                    options=selectors.receivable_staff_options(),
                ),
                FilterField(
                    "bucket",
                    _("账龄"),
                    value=filters.bucket,
                    options=[(b.key, b.label) for b in selectors.BUCKETS],
                ),
                FilterField("on", _("统计日期"), "date", on.isoformat()),
                FilterField("overdue", _("只看有逾期的客户"), "check", filters.only_overdue),
            ],
            hidden={"sort": state.sort},
        )
    template = "billing/receivables_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


@receivable_roles
def receivables_export(request):
    """The filtered list (every page) with the firm's totals as an Excel file; audited."""
    if not has_role(request.user, *RECEIVABLE_EXPORTERS):
        raise PermissionDenied
    state, filters, on = _receivable_state(request)
    queryset = selectors.receivables_by_client(
        user=request.user, on=on, filters=filters, sort=state.sort
    )
    rows = selectors.with_clients(list(queryset))
    totals = selectors.receivables_totals(queryset)
    audit.record(
        action="export",
        by=request.user,
        object_type="billing.bill",
        object_repr=_("应收账款账龄表（%(count)s 个客户）") % {"count": len(rows)},
        detail=state.querystring(page=None)[:255],
    )
    amount_keys = [*selectors.BUCKET_KEYS, "total", "credit"]
    headers = [
        _("客户"),
        _("部门"),
        _("客服专员"),
        _("业务负责人"),
        *[str(b.label) for b in selectors.BUCKETS],
        _("应收合计"),
        _("预收"),
    ]
    lines = [
        [
            row["client"].name,
            row["client"].department.name if row["client"].department else "",
            str(row["client"].customer_service or ""),
            str(row["client"].sales_owner or ""),
            *[row[key] for key in amount_keys],
        ]
        for row in rows
    ]
    lines.append([_("合计"), "", "", "", *[totals[key] for key in amount_keys]])
    return xlsx_response(
        filename=_("应收账款") + f"-{on:%Y%m%d}.xlsx",
        sheet=_("应收账款") + f" {on:%Y-%m-%d}",
        headers=headers,
        rows=lines,
    )


# ---------------------------------------------------------------------------------------------
# 缴费滞后客户
# ---------------------------------------------------------------------------------------------

PAID_THROUGH_COLUMNS = [
    ("name", gettext_lazy("客户")),
    ("paid_through", gettext_lazy("已缴至")),
    ("", gettext_lazy("滞后月数")),
    ("balance", gettext_lazy("欠费余额")),
    ("", gettext_lazy("服务团队")),
]


def _paid_through_state(request):
    state = ListState.from_request(
        request, sorts=selectors.PAID_THROUGH_SORTS, default_sort="paid_through"
    )
    min_months = state.get_int("months")
    filters = selectors.PaidThroughFilters(
        q=state.q[:100],
        department=state.get_int("department"),
        staff=state.get_int("staff"),
        min_months=min(min_months, 120) if min_months else None,
    )
    return state, filters, _as_of(state)


def _with_months_behind(clients, on: dt.date):
    for c in clients:
        c.months_behind = selectors.months_behind(c, on=on)
    return clients


@receivable_roles
def paid_through_list(request):
    fragment = wants_fragment(request)
    state, filters, on = _paid_through_state(request)
    queryset = selectors.paid_through_behind(
        user=request.user, on=on, filters=filters, sort=state.sort
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    _with_months_behind(page.object_list, on)
    context = {
        "state": state,
        "filters": filters,
        "on": on,
        "cutoff": selectors.previous_month_end(on),
        "page": page,
        "page_links": state.page_links(page),
        "columns": [state.column(key, label) for key, label in PAID_THROUGH_COLUMNS],
        "can_export": has_role(request.user, *RECEIVABLE_EXPORTERS),
        "export_query": state.querystring(page=None),
    }
    if not fragment:
        context["filter_bar"] = FilterBar(
            action=reverse("billing:paid_through"),
            target="#paid-through-table",
            fields=[
                FilterField.search(_("搜索客户"), filters.q, placeholder=_("名称、简称、拼音")),
                FilterField(
                    "department", _("部门"), value=filters.department, options=department_options()
                ),
                FilterField(
                    "staff",
                    _("服务人员"),
                    value=filters.staff,
                    options=selectors.receivable_staff_options(accountants=True),
                ),
                FilterField("on", _("统计日期"), "date", on.isoformat()),
                FilterField(
                    "months",
                    _("滞后≥（月）"),
                    "number",
                    filters.min_months,
                    width="col-6 col-md-2 col-xl-1",
                ),
            ],
            hidden={"sort": state.sort},
        )
    template = "billing/paid_through_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


@receivable_roles
def paid_through_export(request):
    """The filtered list as an Excel file; audited."""
    if not has_role(request.user, *RECEIVABLE_EXPORTERS):
        raise PermissionDenied
    state, filters, on = _paid_through_state(request)
    clients = _with_months_behind(
        list(
            selectors.paid_through_behind(
                user=request.user, on=on, filters=filters, sort=state.sort
            )
        ),
        on,
    )
    audit.record(
        action="export",
        by=request.user,
        object_type="billing.clientaccount",
        object_repr=_("缴费滞后客户（%(count)s 个）") % {"count": len(clients)},
        detail=state.querystring(page=None)[:255],
    )
    unpaid = _("未缴费")
    return xlsx_response(
        filename=_("缴费滞后客户") + f"-{on:%Y%m%d}.xlsx",
        sheet=_("缴费滞后客户"),
        headers=[
            _("客户"),
            _("已缴至"),
            _("滞后月数"),
            _("欠费余额"),
            _("部门"),
            _("主办会计"),
            _("客服专员"),
            _("业务负责人"),
        ],
        rows=(
            [
                c.name,
                f"{c.paid_through:%Y-%m}" if c.paid_through else unpaid,
                c.months_behind,
                c.balance,
                c.department.name if c.department else "",
                c.accountant.name if c.accountant else "",
                c.customer_service.name if c.customer_service else "",
                c.sales_owner.name if c.sales_owner else "",
            ]
            for c in clients
        ),
    )


urlpatterns = [
    path("receivables/", receivables, name="receivables"),
    path("receivables/export.xlsx", receivables_export, name="receivables_export"),
    path("paid-through/", paid_through_list, name="paid_through"),
    path("paid-through/export.xlsx", paid_through_export, name="paid_through_export"),
]
