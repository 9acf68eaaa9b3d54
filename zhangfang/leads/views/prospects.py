"""Prospect pages: register/edit with the duplicate warning, list, pipeline board, detail with
tabs, stage moves, conversion into a client, Excel import and export."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.core import audit
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.excel import XLSX, xlsx_response
from zhangfang.core.forms import rebased_form
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role
from zhangfang.core.validators import format_mobile
from zhangfang.leads import importing, prospect_tabs
from zhangfang.leads.forms.prospects import (
    DuplicateCheckForm,
    ImportForm,
    MoveForm,
    ProspectFilterForm,
    ProspectForm,
)
from zhangfang.leads.models import Prospect, Stage, TaxNeed
from zhangfang.leads.selectors import prospects as selectors
from zhangfang.leads.services import prospects as services

#: Roles that work with prospects at all; finance sees them (all, read-only) for forecasting.
PROSPECT_ROLES = (Role.SALES, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN)
#: Roles that register, edit, move, convert and import prospects.
PROSPECT_WRITERS = (Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN)
#: Roles that may export the list (prospect data leaving the system).
PROSPECT_EXPORTERS = (Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN)
PAGE_SIZE = 25
BOARD_CARDS_PER_COLUMN = 20

#: Bootstrap colour of each stage's badge.
STAGE_COLOURS = {
    Stage.LEAD: "secondary",
    Stage.ASSESSMENT: "info",
    Stage.VISIT: "primary",
    Stage.NEGOTIATION: "warning",
    Stage.WON: "success",
    Stage.LOST: "dark",
}

prospect_roles = role_required(*PROSPECT_ROLES)
writer_roles = role_required(*PROSPECT_WRITERS)


def access_prospect(user, pk: int, *, write: bool = False) -> Prospect:
    """The prospect if ``user`` may see it (404 otherwise, the same as a missing one); with
    ``write``, a user who may only read (finance) is refused with 403."""
    prospect = selectors.prospect_get(user=user, pk=pk)
    if prospect is None:
        raise Http404
    if write and not has_role(user, *PROSPECT_WRITERS):
        raise PermissionDenied
    return prospect


# ---------------------------------------------------------------------------------------------
# List, export and board
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("name", gettext_lazy("客户名称"), False),
    ("stage", gettext_lazy("阶段"), False),
    ("score", gettext_lazy("综合评分"), False),
    ("value", gettext_lazy("潜在价值"), True),
    ("likelihood", gettext_lazy("合作可能性"), True),
    ("", gettext_lazy("联系人"), True),
    ("", gettext_lazy("来源渠道"), True),
    ("", gettext_lazy("业务负责人"), True),
    ("stage_changed", gettext_lazy("进入本阶段"), True),
    ("created", gettext_lazy("登记时间"), True),
]


def _filter_bar(
    filters: selectors.ProspectFilters, *, action: str, target: str, sort: str = ""
) -> FilterBar:
    """The bar of the prospect list and of the pipeline board (which has no sort)."""

    def score(name: str, label, value) -> FilterField:
        return FilterField(
            name,
            label,
            "number",
            value,
            width="col-6 col-md-2 col-xl-1",
            min_value=0,
            max_value=100,
        )

    return FilterBar(
        action=action,
        target=target,
        fields=[
            FilterField.search(
                _("搜索"), filters.q, placeholder=_("名称、拼音、联系人、电话、信用代码")
            ),
            FilterField(
                "owner",
                _("业务负责人"),
                value=filters.owner or "",
                options=selectors.owner_options(),
            ),
            FilterField(
                "channel",
                _("来源渠道"),
                value=filters.channel or "",
                options=selectors.channel_options(),
            ),
            FilterField("stage", _("阶段"), value=filters.stage, options=Stage.choices),
            FilterField(
                "department",
                _("部门"),
                value=filters.department or "",
                options=selectors.department_options(),
            ),
            score("score_min", _("评分≥"), filters.score_min),
            score("score_max", _("评分≤"), filters.score_max),
        ],
        hidden={"sort": sort},
    )


def _list_state(request) -> tuple[ListState, selectors.ProspectFilters]:
    state = ListState.from_request(request, sorts=selectors.PROSPECT_SORTS, default_sort="-score")
    return state, ProspectFilterForm(request.GET).filters()


@prospect_roles
def prospect_list(request):
    fragment = wants_fragment(request)
    state, filters = _list_state(request)
    queryset = selectors.prospect_list(user=request.user, filters=filters, sort=state.sort)
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None
        if fragment
        else _filter_bar(
            filters,
            action=reverse("leads:prospect_list"),
            target="#prospect-table",
            sort=state.sort,
        ),
        "columns": [
            {**state.column(key, label), "optional": optional} for key, label, optional in COLUMNS
        ],
        "stage_colours": STAGE_COLOURS,
        "can_create": has_role(request.user, *PROSPECT_WRITERS),
        "can_export": has_role(request.user, *PROSPECT_EXPORTERS),
        "export_query": state.querystring(page=None),
    }
    template = "leads/prospect_list.html#table" if fragment else "leads/prospect_list.html"
    return render(request, template, context)


EXPORT_HEADERS = [
    gettext_lazy("客户名称"),
    gettext_lazy("统一社会信用代码"),
    gettext_lazy("联系人"),
    gettext_lazy("职务"),
    gettext_lazy("联系电话"),
    gettext_lazy("电子邮箱"),
    gettext_lazy("地址"),
    gettext_lazy("行业类型"),
    gettext_lazy("企业规模"),
    gettext_lazy("年营业收入"),
    gettext_lazy("纳税人类型"),
    gettext_lazy("财务状况"),
    gettext_lazy("税务需求"),
    gettext_lazy("预计月服务费"),
    gettext_lazy("来源渠道"),
    gettext_lazy("业务负责人"),
    gettext_lazy("部门"),
    gettext_lazy("阶段"),
    gettext_lazy("流失原因"),
    gettext_lazy("综合评分"),
    gettext_lazy("潜在价值"),
    gettext_lazy("合作可能性"),
    gettext_lazy("登记时间"),
    gettext_lazy("备注"),
]


def _export_rows(prospects):
    needs = dict(TaxNeed.choices)
    for p in prospects:
        yield [
            p.company_name,
            p.uscc,
            p.contact_name,
            p.contact_title,
            format_mobile(p.contact_mobile),
            p.email,
            p.address,
            p.get_industry_display(),
            p.get_size_display(),
            p.get_revenue_display(),
            p.get_taxpayer_type_display(),
            p.financial_notes,
            "、".join(str(needs.get(code, code)) for code in p.tax_needs or []),
            p.expected_monthly_fee,
            str(p.channel),
            str(p.owner or ""),
            str(p.department or ""),
            p.get_stage_display(),
            str(p.loss_reason or ""),
            p.score,
            p.value_score,
            p.likelihood_score,
            p.created_at,
            p.notes,
        ]


def prospect_export(request):
    """The filtered list as an Excel file; the export is written to the audit log."""
    if not has_role(request.user, *PROSPECT_EXPORTERS):
        raise PermissionDenied
    state, filters = _list_state(request)
    count = selectors.prospect_list(user=request.user, filters=filters).count()
    audit.record(
        action="export",
        by=request.user,
        object_type="leads.prospect",
        object_repr=_("潜在客户列表（%(count)s 条）") % {"count": count},
        detail=state.querystring(page=None)[:255],
    )
    return xlsx_response(
        filename=_("潜在客户") + f"-{timezone.localdate():%Y%m%d}.xlsx",
        sheet=_("潜在客户"),
        headers=[str(h) for h in EXPORT_HEADERS],
        rows=_export_rows(
            selectors.prospect_export_queryset(user=request.user, filters=filters, sort=state.sort)
        ),
    )


def _board_context(request, params: QueryDict, *, fragment: bool) -> dict:
    filters = ProspectFilterForm(params).filters()
    columns = selectors.pipeline_board(
        user=request.user, filters=filters, per_column=BOARD_CARDS_PER_COLUMN
    )
    list_url = reverse("leads:prospect_list")
    query = params.copy()
    query.pop("page", None)
    for column in columns:
        column["moves"] = [
            (code, Stage(code).label) for code in services.allowed_moves(column["stage"])
        ]
        column_query = query.copy()
        column_query["stage"] = column["stage"]
        column["list_url"] = f"{list_url}?{column_query.urlencode()}"
        column["colour"] = STAGE_COLOURS[column["stage"]]
    return {
        "columns": columns,
        "filters": filters,
        "query": query.urlencode(),
        "filter_bar": None
        if fragment
        else _filter_bar(filters, action=reverse("leads:pipeline_board"), target="#pipeline-board"),
        "loss_reasons": selectors.loss_reason_options(),
        "can_move": has_role(request.user, *PROSPECT_WRITERS),
        "can_create": has_role(request.user, *PROSPECT_WRITERS),
        "per_column": BOARD_CARDS_PER_COLUMN,
    }


@prospect_roles
def pipeline_board(request):
    fragment = wants_fragment(request)
    context = _board_context(request, request.GET, fragment=fragment)
    template = "leads/pipeline_board.html#board" if fragment else "leads/pipeline_board.html"
    return render(request, template, context)


# ---------------------------------------------------------------------------------------------
# Register and edit, with the duplicate warning
# ---------------------------------------------------------------------------------------------


def _duplicates_for(form: ProspectForm, user, *, exclude_pk: int | None = None):
    data = form.cleaned_data
    return selectors.prospect_duplicates(
        user=user,
        company_name=data.get("company_name", ""),
        mobile=data.get("contact_mobile", ""),
        uscc=data.get("uscc", ""),
        exclude_pk=exclude_pk,
    )


@writer_roles
def prospect_create(request):
    form = ProspectForm(request.POST or None, user=request.user)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicates_for(form, request.user)
        if duplicates and not form.cleaned_data.get("confirm_duplicates"):
            form.add_error(
                None,
                _("可能与已有记录重复，请先核对下列记录；确认不是同一客户后勾选“仍然登记”再保存。"),
            )
        else:
            prospect = services.prospect_create(data=form.prospect_data(), by=request.user)
            messages.success(
                request, _("潜在客户“%(name)s”已登记。") % {"name": prospect.company_name}
            )
            return redirect("leads:prospect_detail", pk=prospect.pk)
    return render(
        request, "leads/prospect_form.html", {"form": form, "duplicates": duplicates, "p": None}
    )


IDENTITY_FIELDS = ("company_name", "contact_mobile", "uscc")


def prospect_edit(request, pk: int):
    prospect = access_prospect(request.user, pk, write=True)
    form = ProspectForm(request.POST or None, instance=prospect, user=request.user)
    context = {"form": form, "p": prospect, "duplicates": []}
    if request.method == "POST" and form.is_valid():
        changed_identity = any(name in form.changed_data for name in IDENTITY_FIELDS)
        duplicates = _duplicates_for(form, request.user, exclude_pk=pk) if changed_identity else []
        context["duplicates"] = duplicates
        if duplicates and not form.cleaned_data.get("confirm_duplicates"):
            form.add_error(
                None,
                _("修改后可能与已有记录重复，请先核对；确认不是同一客户后勾选“仍然登记”再保存。"),
            )
        else:
            try:
                services.prospect_update(
                    prospect=prospect,
                    data=form.prospect_data(),
                    expected_version=form.cleaned_data.get("version"),
                    by=request.user,
                )
            except ConcurrentEditError as error:
                current = access_prospect(request.user, pk)
                rebound = rebased_form(
                    ProspectForm,
                    request,
                    version=current.version,
                    instance=current,
                    user=request.user,
                )
                context.update({"form": rebound, "conflict": error.message, "p": current})
            else:
                messages.success(request, _("潜在客户信息已保存。"))
                return redirect("leads:prospect_detail", pk=pk)
    return render(request, "leads/prospect_form.html", context)


@require_POST
@writer_roles
def prospect_duplicates(request):
    """The duplicate warning as the user types (htmx): a fragment listing likely matches."""
    form = DuplicateCheckForm(request.POST)
    matches = []
    if form.is_valid():
        data = form.cleaned_data
        matches = selectors.prospect_duplicates(
            user=request.user,
            company_name=data["company_name"],
            mobile=data["contact_mobile"],
            uscc=data["uscc"],
            exclude_pk=data.get("exclude"),
        )
    return render(request, "leads/prospect_duplicates.html", {"duplicates": matches, "live": True})


# ---------------------------------------------------------------------------------------------
# Detail, tabs, moves, conversion
# ---------------------------------------------------------------------------------------------


def _detail_context(request, prospect: Prospect, tab_key: str) -> dict:
    tab = prospect_tabs.TABS.get(tab_key) or prospect_tabs.TABS["overview"]
    template, context = tab.render(request, prospect)
    can_write = has_role(request.user, *PROSPECT_WRITERS)
    moves = services.allowed_moves(prospect.stage)
    needs = dict(TaxNeed.choices)
    context.update(
        {
            "p": prospect,
            "tab": tab.key,
            "tab_template": template,
            "tabs": [(t.key, t.label) for t in prospect_tabs.ordered()],
            "stage_colour": STAGE_COLOURS.get(prospect.stage, "secondary"),
            "can_write": can_write,
            "moves": [(code, Stage(code).label) for code in moves if code != Stage.LOST],
            "can_mark_lost": can_write and Stage.LOST in moves,
            "can_convert": can_write
            and prospect.client_id is None
            and prospect.stage in services.CONVERTIBLE_STAGES,
            "loss_reasons": selectors.loss_reason_options(),
            "tax_need_labels": [needs.get(code, code) for code in prospect.tax_needs or []],
        }
    )
    return context


def prospect_detail(request, pk: int):
    prospect = access_prospect(request.user, pk)
    context = _detail_context(request, prospect, request.GET.get("tab", "overview"))
    return render(request, "leads/prospect_detail.html", context)


def prospect_tab(request, pk: int, tab: str):
    prospect = access_prospect(request.user, pk)
    if tab not in prospect_tabs.TABS:
        raise Http404
    context = _detail_context(request, prospect, tab)
    return render(request, "leads/prospect_detail.html#tabs", context)


@require_POST
def prospect_move(request, pk: int):
    """Move a prospect along the pipeline (detail page or a board card)."""
    prospect = access_prospect(request.user, pk, write=True)
    form = MoveForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "；".join(e for errors in form.errors.values() for e in errors)
    else:
        data = form.cleaned_data
        try:
            services.prospect_move(
                prospect,
                data["to"],
                request.user,
                loss_reason=data.get("loss_reason"),
                note=data.get("note", ""),
            )
        except DomainError as exc:
            error = exc.message
    if request.POST.get("return") == "board":
        params = QueryDict(request.POST.get("query", ""))
        if wants_fragment(request):
            context = _board_context(request, params, fragment=True)
            context["board_error"] = error
            if not error:
                context["board_message"] = _("“%(name)s”已移动到“%(stage)s”。") % {
                    "name": prospect.company_name,
                    "stage": Stage(form.cleaned_data["to"]).label,
                }
            return render(request, "leads/pipeline_board.html#board", context)
        if error:
            messages.error(request, error)
        return redirect(reverse("leads:pipeline_board") + "?" + params.urlencode())
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("阶段已变更。"))
    return redirect("leads:prospect_detail", pk=pk)


def prospect_convert(request, pk: int):
    """Confirm (GET) and convert (POST) a prospect into a client."""
    prospect = access_prospect(request.user, pk, write=True)
    if request.method == "POST":
        try:
            client = services.prospect_convert(prospect, request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("leads:prospect_detail", pk=pk)
        messages.success(
            request, _("已转为客户“%(name)s”，联系人已同时建立。") % {"name": client.name}
        )
        return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "leads/prospect_convert.html",
        {"p": prospect, "convertible": prospect.stage in services.CONVERTIBLE_STAGES},
    )


# ---------------------------------------------------------------------------------------------
# Excel import
# ---------------------------------------------------------------------------------------------

ERRORS_SHOWN = 500


@writer_roles
def prospect_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = importing.import_prospects(
            form.cleaned_data["file"],
            by=request.user,
            good_rows_only=form.cleaned_data["good_rows_only"],
        )
        if report.created:
            messages.success(
                request, _("已导入 %(count)s 个潜在客户。") % {"count": report.created}
            )
    return render(
        request,
        "leads/prospect_import.html",
        {
            "form": form,
            "report": report,
            "errors_shown": report.errors[:ERRORS_SHOWN] if report else [],
            "errors_hidden": max(0, len(report.errors) - ERRORS_SHOWN) if report else 0,
            "headers": importing.COLUMNS,
        },
    )


@writer_roles
def prospect_import_template(request):
    response = HttpResponse(importing.template_workbook(), content_type=XLSX)
    filename = quote(_("潜在客户导入模板") + ".xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


urlpatterns = [
    path("prospects/", prospect_list, name="prospect_list"),
    path("prospects/new/", prospect_create, name="prospect_create"),
    path("prospects/duplicates/", prospect_duplicates, name="prospect_duplicates"),
    path("prospects/export.xlsx", prospect_export, name="prospect_export"),
    path("prospects/import/", prospect_import, name="prospect_import"),
    path(
        "prospects/import/template.xlsx",
        prospect_import_template,
        name="prospect_import_template",
    ),
    path("prospects/<int:pk>/", prospect_detail, name="prospect_detail"),
    path("prospects/<int:pk>/edit/", prospect_edit, name="prospect_edit"),
    path("prospects/<int:pk>/tab/<slug:tab>/", prospect_tab, name="prospect_tab"),
    path("prospects/<int:pk>/move/", prospect_move, name="prospect_move"),
    path("prospects/<int:pk>/convert/", prospect_convert, name="prospect_convert"),
    path("pipeline/", pipeline_board, name="pipeline_board"),
]
