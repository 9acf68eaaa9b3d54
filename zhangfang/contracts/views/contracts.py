"""Contract pages: the list (with 待我审核 and 即将到期), drafting from an accepted plan, the detail
page with the actions this user may take now, edit, review, signing with the scan, termination,
renewal, the PDF and the signed scan; and the administrators' contract templates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.contracts import templating
from zhangfang.contracts.contract_pdf import contract_pdf
from zhangfang.contracts.forms.contracts import (
    EXPIRING_CHOICES,
    CancelForm,
    ContractDraftForm,
    ContractEditForm,
    ContractFilterForm,
    ContractTemplateForm,
    ReviewForm,
    SignForm,
    TerminateForm,
)
from zhangfang.contracts.models import Contract, ContractStatus
from zhangfang.contracts.selectors import contracts as selectors
from zhangfang.contracts.services import contracts as services
from zhangfang.core import audit
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.forms import add_service_error, rebased_form
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.pdf import pdf_response
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role
from zhangfang.core.selectors import audit_history_for

PAGE_SIZE = 25

#: Bootstrap colour of each status badge.
STATUS_COLOURS = {
    ContractStatus.DRAFT: "secondary",
    ContractStatus.PENDING: "warning",
    ContractStatus.RETURNED: "danger",
    ContractStatus.APPROVED: "info",
    ContractStatus.SIGNED: "primary",
    ContractStatus.ACTIVE: "success",
    ContractStatus.EXPIRED: "dark",
    ContractStatus.TERMINATED: "dark",
}

#: Everyone on the staff may open the list; what they see is their data scope.
staff_roles = role_required(*Role.values)
drafter_roles = role_required(Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN)
admin_only = role_required(Role.ADMIN)


def access_contract(user, pk: int) -> Contract:
    """The contract if ``user`` may see it; 404 otherwise (the same as a missing one)."""
    contract = selectors.contract_get(user=user, pk=pk)
    if contract is None:
        raise Http404
    return contract


# ---------------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("number", gettext_lazy("合同编号"), False),
    ("client", gettext_lazy("客户"), False),
    ("status", gettext_lazy("状态"), False),
    ("start", gettext_lazy("起始日期"), True),
    ("end", gettext_lazy("终止日期"), False),
    ("total", gettext_lazy("合同总额"), True),
    ("", gettext_lazy("经办人"), True),
    ("created", gettext_lazy("起草时间"), True),
]


def _filter_bar(filters: selectors.ContractFilters, state: ListState, *, is_reviewer: bool):
    expiring = [(days, _("%(days)s 天内") % {"days": days}) for days, _label in EXPIRING_CHOICES]
    fields = [
        FilterField.search(_("搜索"), filters.q, placeholder=_("合同编号或客户名称")),
        FilterField("status", _("状态"), value=filters.status, options=ContractStatus.choices),
        FilterField("owner", _("经办人"), value=filters.owner, options=selectors.owner_options()),
        FilterField(
            "department",
            _("部门"),
            value=filters.department,
            options=selectors.department_options(),
        ),
        FilterField("expiring", _("即将到期"), value=filters.expiring_days, options=expiring),
    ]
    if is_reviewer:
        fields.append(FilterField("review", _("只看待我审核"), "check", filters.review))
    return FilterBar(
        action=reverse("contracts:contract_list"),
        target="#contract-table",
        fields=fields,
        hidden={"sort": state.sort},
    )


@staff_roles
def contract_list(request):
    fragment = wants_fragment(request)
    state = ListState.from_request(request, sorts=selectors.CONTRACT_SORTS, default_sort="-created")
    filters = ContractFilterForm(request.GET).filters()
    queryset = selectors.contract_list(user=request.user, filters=filters, sort=state.sort)
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None
        if fragment
        else _filter_bar(
            filters, state, is_reviewer=has_role(request.user, Role.DEPARTMENT_HEAD, Role.ADMIN)
        ),
        "columns": [
            {**state.column(key, label), "optional": optional} for key, label, optional in COLUMNS
        ],
        "status_colours": STATUS_COLOURS,
        "can_create": services.can_draft(request.user),
        "is_reviewer": has_role(request.user, Role.DEPARTMENT_HEAD, Role.ADMIN),
        "can_admin_templates": has_role(request.user, Role.ADMIN),
    }
    template = "contracts/contract_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


# ---------------------------------------------------------------------------------------------
# Drafting and editing
# ---------------------------------------------------------------------------------------------


@drafter_roles
def contract_create(request):
    initial = {}
    if request.method == "GET" and request.GET.get("plan_version", "").isdigit():
        initial["plan_version"] = int(request.GET["plan_version"])
    form = ContractDraftForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_draft(
                plan_version=form.cleaned_data["plan_version"],
                template=form.cleaned_data["template"],
                by=request.user,
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("合同 %(number)s 已起草，请核对后提交审核。") % {"number": contract.number},
            )
            return redirect("contracts:contract_detail", pk=contract.pk)
    has_plans = selectors.accepted_plan_versions(user=request.user).exists()
    return render(request, "contracts/contract_form.html", {"form": form, "has_plans": has_plans})


def contract_edit(request, pk: int):
    contract = access_contract(request.user, pk)
    if not services.can_edit(request.user, contract):
        raise PermissionDenied
    initial = {
        "start_date": contract.start_date,
        "payment_method": contract.payment_method,
        "body": contract.body,
        "version": contract.version,
    }
    form = ContractEditForm(request.POST or None, initial=initial)
    context = {"form": form, "c": contract}
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update_draft(
                contract=contract,
                data=form.contract_data(),
                expected_version=form.cleaned_data.get("version"),
                regenerate_body=form.cleaned_data["regenerate_body"],
                by=request.user,
            )
        except ConcurrentEditError as error:
            current = access_contract(request.user, pk)
            context.update(
                {
                    "form": rebased_form(ContractEditForm, request, version=current.version),
                    "conflict": error.message,
                    "c": current,
                }
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("合同已保存。"))
            return redirect("contracts:contract_detail", pk=pk)
    return render(request, "contracts/contract_edit.html", context)


# ---------------------------------------------------------------------------------------------
# Detail
# ---------------------------------------------------------------------------------------------


def _actions(user, contract: Contract) -> dict[str, bool]:
    return {
        "edit": services.can_edit(user, contract),
        "submit": services.can_submit(user, contract),
        "review": services.can_review(user, contract),
        "sign": services.can_sign(user, contract),
        "terminate": services.can_terminate(user, contract),
        "cancel": services.can_edit(user, contract),
        "renew": services.can_renew(user, contract) and not contract.has_open_renewal,
    }


def contract_detail(request, pk: int):
    contract = access_contract(request.user, pk)
    actions = _actions(request.user, contract)
    context = {
        "c": contract,
        "lines": selectors.contract_lines(contract),
        "renewals": selectors.contract_renewals(contract),
        "events": audit_history_for(contract, limit=200),
        "status_colours": STATUS_COLOURS,
        "actions": actions if any(actions.values()) else {},
    }
    return render(request, "contracts/contract_detail.html", context)


def _refused(request, error: DomainError, pk: int):
    messages.error(request, error.message)
    return redirect("contracts:contract_detail", pk=pk)


@require_POST
def contract_submit(request, pk: int):
    contract = access_contract(request.user, pk)
    try:
        services.contract_submit(contract=contract, by=request.user)
    except DomainError as error:
        return _refused(request, error, pk)
    messages.success(request, _("合同已提交审核。"))
    return redirect("contracts:contract_detail", pk=pk)


def contract_review(request, pk: int):
    contract = access_contract(request.user, pk)
    if not services.can_review(request.user, contract):
        raise PermissionDenied
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                services.contract_approve(
                    contract=contract, comment=data["comment"], by=request.user
                )
                messages.success(request, _("合同已批准。"))
            else:
                services.contract_return(
                    contract=contract, comment=data["comment"], by=request.user
                )
                messages.success(request, _("合同已退回起草人修改。"))
        except DomainError as error:
            add_service_error(form, error)
        else:
            return redirect("contracts:contract_detail", pk=pk)
    return render(
        request,
        "contracts/contract_review.html",
        {"form": form, "c": contract, "lines": selectors.contract_lines(contract)},
    )


def contract_sign(request, pk: int):
    contract = access_contract(request.user, pk)
    if not services.can_sign(request.user, contract):
        raise PermissionDenied
    form = SignForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            signed = services.contract_sign(
                contract=contract,
                signed_on=form.cleaned_data["signed_on"],
                scan=form.cleaned_data["scan"],
                by=request.user,
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            if signed.status == ContractStatus.ACTIVE:
                text = _("合同已签署并生效，收费计划已生成，已通知财务和服务团队。")
            else:
                text = _("合同已签署，收费计划已生成，已通知财务和服务团队。")
            messages.success(request, text)
            return redirect("contracts:contract_detail", pk=pk)
    return render(request, "contracts/contract_sign.html", {"form": form, "c": contract})


def contract_terminate(request, pk: int):
    contract = access_contract(request.user, pk)
    if not services.can_terminate(request.user, contract):
        raise PermissionDenied
    form = TerminateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_terminate(
                contract=contract,
                terminated_on=form.cleaned_data["terminated_on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("合同已终止。"))
            return redirect("contracts:contract_detail", pk=pk)
    return render(request, "contracts/contract_terminate.html", {"form": form, "c": contract})


def contract_cancel(request, pk: int):
    contract = access_contract(request.user, pk)
    if not services.can_edit(request.user, contract):
        raise PermissionDenied
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_cancel(
                contract=contract, reason=form.cleaned_data["reason"], by=request.user
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("合同已作废。"))
            return redirect("contracts:contract_detail", pk=pk)
    return render(request, "contracts/contract_cancel.html", {"form": form, "c": contract})


@require_POST
def contract_renew(request, pk: int):
    contract = access_contract(request.user, pk)
    try:
        renewal = services.contract_renew(contract=contract, by=request.user)
    except DomainError as error:
        return _refused(request, error, pk)
    messages.success(
        request, _("已起草续签合同 %(number)s，请核对后提交审核。") % {"number": renewal.number}
    )
    return redirect("contracts:contract_detail", pk=renewal.pk)


def contract_pdf_view(request, pk: int):
    contract = access_contract(request.user, pk)
    content = contract_pdf(contract, selectors.contract_lines(contract))
    return pdf_response(content, f"{contract.number}.pdf")


def contract_scan(request, pk: int):
    """The signed scan, to those who may open the contract; stored outside the public files."""
    contract = access_contract(request.user, pk)
    if not contract.signed_scan:
        raise Http404
    try:
        handle = contract.signed_scan.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    extension = contract.signed_scan.name.rsplit(".", 1)[-1].lower()
    # The signed contract carries the client's identifiers and seals: every opening is recorded.
    audit.record(action="reveal", by=request.user, obj=contract, detail=_("查看签署扫描件"))
    return FileResponse(
        handle, as_attachment=False, filename=f"{contract.number}-{_('签署扫描件')}.{extension}"
    )


def client_contracts_tab(request, client):
    """The client page's 合同 tab: the client's contracts and the accepted plans to draft from."""
    can_create = services.can_draft(request.user)
    draftable = (
        selectors.draftable_plan_versions(user=request.user, client=client) if can_create else []
    )
    return "contracts/contract_client_tab.html", {
        "contracts": selectors.client_contracts(user=request.user, client=client),
        "status_colours": STATUS_COLOURS,
        "draftable_versions": draftable,
        "can_create": can_create,
    }


# ---------------------------------------------------------------------------------------------
# Contract templates (administrators)
# ---------------------------------------------------------------------------------------------


def _template_or_404(pk: int):
    template = selectors.template_get(pk=pk)
    if template is None:
        raise Http404
    return template


def _placeholder_help() -> list[tuple[str, object]]:
    return list(templating.PLACEHOLDERS.items())


@admin_only
def template_list(request):
    return render(request, "contracts/template_list.html", {"templates": selectors.template_list()})


@admin_only
def template_create(request):
    form = ContractTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_template_create(data=form.template_data(), by=request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("合同模板已添加。"))
            return redirect("contracts:template_list")
    return render(
        request,
        "contracts/template_form.html",
        {"form": form, "t": None, "placeholders": _placeholder_help()},
    )


@admin_only
def template_edit(request, pk: int):
    template = _template_or_404(pk)
    form = ContractTemplateForm(request.POST or None, instance=template)
    context = {"form": form, "t": template, "placeholders": _placeholder_help()}
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_template_update(
                template=template,
                data=form.template_data(),
                expected_version=form.cleaned_data.get("version"),
                by=request.user,
            )
        except ConcurrentEditError as error:
            current = _template_or_404(pk)
            context.update(
                {
                    "form": rebased_form(
                        ContractTemplateForm, request, version=current.version, instance=current
                    ),
                    "conflict": error.message,
                    "t": current,
                }
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("合同模板已保存。"))
            return redirect("contracts:template_list")
    return render(request, "contracts/template_form.html", context)


@admin_only
def template_preview(request, pk: int):
    """The saved template filled with sample facts, as a drafted contract would read."""
    template = _template_or_404(pk)
    return render(
        request,
        "contracts/template_preview.html",
        {
            "t": template,
            "body": templating.render(template.body, templating.sample_values()),
            "unknown": templating.unknown_placeholders(template.body),
        },
    )


@require_POST
@admin_only
def template_preview_text(request):
    """Preview of the text being edited (htmx from the edit form), before it is saved."""
    body = request.POST.get("body", "")
    return render(
        request,
        "contracts/template_preview.html#preview",
        {
            "body": templating.render(body, templating.sample_values()),
            "unknown": templating.unknown_placeholders(body),
        },
    )


urlpatterns = [
    path("", contract_list, name="contract_list"),
    path("new/", contract_create, name="contract_create"),
    path("<int:pk>/", contract_detail, name="contract_detail"),
    path("<int:pk>/edit/", contract_edit, name="contract_edit"),
    path("<int:pk>/submit/", contract_submit, name="contract_submit"),
    path("<int:pk>/review/", contract_review, name="contract_review"),
    path("<int:pk>/sign/", contract_sign, name="contract_sign"),
    path("<int:pk>/terminate/", contract_terminate, name="contract_terminate"),
    path("<int:pk>/cancel/", contract_cancel, name="contract_cancel"),
    path("<int:pk>/renew/", contract_renew, name="contract_renew"),
    path("<int:pk>/pdf/", contract_pdf_view, name="contract_pdf"),
    path("<int:pk>/scan/", contract_scan, name="contract_scan"),
    path("templates/", template_list, name="template_list"),
    path("templates/new/", template_create, name="template_create"),
    path("templates/preview/", template_preview_text, name="template_preview_text"),
    path("templates/<int:pk>/edit/", template_edit, name="template_edit"),
    path("templates/<int:pk>/preview/", template_preview, name="template_preview"),
]
