"""Service plan pages (服务方案, 三（二）2): list, new plan (from a client's page or a quote, with
a live price preview), detail with the version history, revise, send and withdraw; and the
client page's 服务方案 tab."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.clients.picker import client_picker
from zhangfang.contracts.forms.plans import (
    PlanForm,
    PlanPricingForm,
    PlanWithdrawForm,
    initial_for_client,
    initial_from_version,
)
from zhangfang.contracts.models import PlanStatus, ServicePlan, ServicePlanVersion
from zhangfang.contracts.selectors import plans as selectors
from zhangfang.contracts.services import plans as services
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role

#: Everyone on the staff reads the plans within their data scope.
PLAN_READERS = tuple(Role.values)
#: Who drafts, revises, sends and withdraws plans (within their scope).
PLAN_WRITERS = (Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN)
PAGE_SIZE = 25

#: Bootstrap colour of each status's badge.
STATUS_COLOURS = {
    PlanStatus.DRAFT: "secondary",
    PlanStatus.SENT: "info",
    PlanStatus.CHANGES_REQUESTED: "warning",
    PlanStatus.ACCEPTED: "success",
    PlanStatus.WITHDRAWN: "dark",
}

#: (sort key, header, optional): optional columns are hidden on a phone.
COLUMNS = [
    ("client", gettext_lazy("客户"), False),
    ("title", gettext_lazy("方案名称"), False),
    ("status", gettext_lazy("状态"), False),
    ("", gettext_lazy("版本"), True),
    ("total", gettext_lazy("服务期合计"), True),
    ("", gettext_lazy("负责人"), True),
    ("updated", gettext_lazy("更新时间"), True),
]

reader_roles = role_required(*PLAN_READERS)
writer_roles = role_required(*PLAN_WRITERS)


def can_write_plans(user) -> bool:
    return has_role(user, *PLAN_WRITERS)


def access_plan(user, pk: int, *, write: bool = False) -> ServicePlan:
    """The plan if ``user`` may see it (404 otherwise, the same as a missing one); with
    ``write``, a reader who may not change plans (finance, accountant, ...) is refused (403)."""
    plan = selectors.plan_get(user=user, pk=pk)
    if plan is None:
        raise Http404
    if write and not can_write_plans(user):
        raise PermissionDenied
    return plan


def _actions(plan: ServicePlan) -> dict[str, bool]:
    moves = services.allowed_moves(plan.status)
    return {
        "revise": PlanStatus.DRAFT in moves and plan.status != PlanStatus.SENT,
        "send": PlanStatus.SENT in moves,
        "withdraw": PlanStatus.WITHDRAWN in moves,
    }


# ---------------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------------


@reader_roles
def plan_list(request):
    fragment = wants_fragment(request)
    state = ListState.from_request(request, sorts=selectors.PLAN_SORTS, default_sort="-updated")
    status = state.get("status")
    filters = selectors.PlanFilters(
        q=state.q,
        status=status if status in PlanStatus.values else "",
        owner=state.get_int("owner"),
    )
    queryset = selectors.plan_list(user=request.user, filters=filters, ordering=state.ordering())
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "columns": [
            {**state.column(key, label), "optional": optional} for key, label, optional in COLUMNS
        ],
        "status_colours": STATUS_COLOURS,
        "can_create": can_write_plans(request.user),
    }
    if not fragment:
        context["filter_bar"] = FilterBar(
            action=reverse("contracts:plan_list"),
            target="#plan-table",
            fields=[
                FilterField.search(_("客户或方案名称"), filters.q, placeholder=_("输入名称搜索")),
                FilterField("status", _("状态"), value=filters.status, options=PlanStatus.choices),
                FilterField(
                    "owner",
                    _("负责人"),
                    value=filters.owner,
                    options=selectors.plan_owner_options(user=request.user),
                ),
            ],
            hidden={"sort": state.sort},
        )
    template = "contracts/plan_list.html#table" if fragment else "contracts/plan_list.html"
    return render(request, template, context)


# ---------------------------------------------------------------------------------------------
# New plan, revise, preview
# ---------------------------------------------------------------------------------------------


def _preview_context(form: PlanPricingForm) -> dict:
    quote = form.quote if form.is_valid() else None
    return {"quote": quote, "preview_form": form}


@writer_roles
def plan_create(request):
    client_pk = request.GET.get("client", "")
    client = (
        selectors.plannable_client(user=request.user, pk=int(client_pk))
        if client_pk.isdigit()
        else None
    )
    if client is None:
        if client_pk:
            raise Http404
        return _client_picker(request)
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                plan = services.plan_create(
                    client=client,
                    title=form.cleaned_data["title"].strip(),
                    terms=form.terms(),
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("服务方案已创建。核对无误后可发送给客户确认。"))
                return redirect("contracts:plan_detail", plan.pk)
    else:
        form = PlanForm(initial=initial_for_client(client, request.GET))
    return render(
        request,
        "contracts/plan_form.html",
        {
            "form": form,
            "c": client,
            "quote": form.quote if form.is_bound else None,
            "preview_url": reverse("contracts:plan_preview"),
        },
    )


def _client_picker(request):
    """The new-plan page without a client: search for one (htmx updates the results)."""
    return client_picker(
        request,
        template="contracts/plan_client_picker.html",
        url=reverse("contracts:plan_create"),
        search=lambda q: selectors.plannable_client_search(user=request.user, q=q),
        # The quote calculator's figures ride along, so the chosen client's form opens with them.
        carry=request.GET,
        picker_hint=_(
            "只列出您可以查看的潜在客户和服务中客户。也可以在客户页面的“服务方案”标签中新建。"
        ),
        picker_empty=_("没有找到可新建方案的客户。潜在客户需先在客户列表中登记。"),
    )


@writer_roles
@require_POST
def plan_preview(request):
    """The price preview of the plan form (htmx): the quote of the figures typed so far."""
    form = PlanPricingForm(request.POST)
    return render(request, "contracts/plan_form.html#preview", _preview_context(form))


@writer_roles
def plan_revise(request, pk: int):
    plan = access_plan(request.user, pk, write=True)
    latest = plan.versions.all()[0]
    if not _actions(plan)["revise"]:
        messages.error(
            request,
            _("方案当前状态为“%(status)s”，不能修改。") % {"status": plan.get_status_display()}
            if plan.status != PlanStatus.SENT
            else _("方案已发送给客户，正在等待答复；如需修改，请先撤回。"),
        )
        return redirect("contracts:plan_detail", plan.pk)
    conflict = ""
    if request.method == "POST":
        form = PlanForm(request.POST, with_title=False)
        if form.is_valid():
            try:
                version = services.plan_revise(
                    plan=plan,
                    terms=form.terms(),
                    by=request.user,
                    expected_version=form.cleaned_data.get("version"),
                )
            except ConcurrentEditError as error:
                conflict = error.message
                data = request.POST.copy()
                data["version"] = str(selectors.plan_edit_version(pk=pk))
                form = PlanForm(data, with_title=False)
                form.is_valid()
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("已保存为第 %(number)s 版。") % {"number": version.number}
                )
                return redirect("contracts:plan_detail", plan.pk)
    else:
        form = PlanForm(
            initial=initial_from_version(latest, plan_version=plan.version), with_title=False
        )
    return render(
        request,
        "contracts/plan_form.html",
        {
            "form": form,
            "plan": plan,
            "c": plan.client,
            "latest": latest,
            "conflict": conflict,
            "quote": form.quote if form.is_bound else None,
            "preview_url": reverse("contracts:plan_preview"),
        },
    )


# ---------------------------------------------------------------------------------------------
# Detail, send, withdraw
# ---------------------------------------------------------------------------------------------


def plan_link(request, version: ServicePlanVersion) -> str:
    return request.build_absolute_uri(
        reverse("contracts:public_plan", args=[services.plan_token(version)])
    )


@reader_roles
def plan_detail(request, pk: int):
    plan = access_plan(request.user, pk)
    versions = list(plan.versions.all())
    current = versions[0]
    can_write = can_write_plans(request.user)
    context = {
        "plan": plan,
        "c": plan.client,
        "current": current,
        "figures": selectors.version_figures(current),
        "versions": versions,
        "status_colours": STATUS_COLOURS,
        "can_write": can_write,
        "actions": _actions(plan) if can_write else {},
        "withdraw_form": PlanWithdrawForm(),
    }
    if plan.status == PlanStatus.SENT and current.sent_at:
        context["link"] = plan_link(request, current)
        context["link_state"] = services.link_state(current)
    return render(request, "contracts/plan_detail.html", context)


@writer_roles
@require_POST
def plan_send(request, pk: int):
    plan = access_plan(request.user, pk, write=True)
    resend = plan.status == PlanStatus.SENT
    try:
        services.plan_send(plan=plan, by=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("已重新发送，链接有效期已延长。")
            if resend
            else _("已发送。请复制下方链接，通过微信或短信发给客户。"),
        )
    return redirect("contracts:plan_detail", plan.pk)


@writer_roles
@require_POST
def plan_withdraw(request, pk: int):
    plan = access_plan(request.user, pk, write=True)
    form = PlanWithdrawForm(request.POST)
    reason = form.cleaned_data["reason"].strip() if form.is_valid() else ""
    try:
        services.plan_withdraw(plan=plan, by=request.user, reason=reason)
    except TransitionNotAllowed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("方案已撤回，客户的链接已失效。"))
    return redirect("contracts:plan_detail", plan.pk)


# ---------------------------------------------------------------------------------------------
# The client page's tab
# ---------------------------------------------------------------------------------------------


def client_plans_tab(request, client):
    """The 服务方案 tab of the client page: the client's plans and the "新建服务方案" button."""
    return "contracts/plan_client_tab.html", {
        "plans": selectors.client_plans(user=request.user, client=client),
        "status_colours": STATUS_COLOURS,
        "can_create_plan": can_write_plans(request.user)
        and client.status in services.PLANNABLE_CLIENT_STATUSES,
    }


urlpatterns = [
    path("plans/", plan_list, name="plan_list"),
    path("plans/new/", plan_create, name="plan_create"),
    path("plans/preview/", plan_preview, name="plan_preview"),
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/revise/", plan_revise, name="plan_revise"),
    path("plans/<int:pk>/send/", plan_send, name="plan_send"),
    path("plans/<int:pk>/withdraw/", plan_withdraw, name="plan_withdraw"),
]
