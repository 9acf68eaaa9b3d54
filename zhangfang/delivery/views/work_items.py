"""One work item's page (policy 三（二）3): its header, the client's other steps of the period,
the actions this user may take now, the 收票 交接清单, the 税款测算 and its confirmation link, and
the timeline. Also the client's confirmation page (no login), the client page's 服务工作 tab and
the service scope editor.

Each action is a POST to its own address (``work/items/<pk>/<action>/``); a refusal is shown on
its form (the page is rendered again, status 422), success redirects back with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zhangfang.clients.permissions import access_client
from zhangfang.core import links
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.forms import add_service_error, submit
from zhangfang.delivery.forms.work_items import (
    CompleteForm,
    HandoverClientForm,
    HandoverLineForm,
    HandoverRemoveForm,
    OverrideForm,
    ReassignForm,
    ReopenForm,
    ServiceScopeForm,
    StartForm,
    TaxAnswerForm,
    TaxEstimateForm,
    TaxRecordForm,
)
from zhangfang.delivery.models import (
    ConfirmationStatus,
    ServiceScope,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.selectors import work_items as selectors
from zhangfang.delivery.services import confirmations, handover, scope, work
from zhangfang.delivery.services.generation import SCOPE_FIELDS

STATUS_COLOURS = {
    WorkStatus.TODO: "secondary",
    WorkStatus.IN_PROGRESS: "primary",
    WorkStatus.DONE: "success",
    WorkStatus.CANCELLED: "dark",
}
CONFIRMATION_COLOURS = {
    ConfirmationStatus.DRAFT: "secondary",
    ConfirmationStatus.SENT: "info",
    ConfirmationStatus.CONFIRMED: "success",
    ConfirmationStatus.QUERIED: "warning",
}


def access_item(user, pk: int) -> WorkItem:
    """The step if ``user`` may see its client (or it is theirs); 404 otherwise."""
    item = selectors.work_item_get(user=user, pk=pk)
    if item is None:
        raise Http404
    return item


# ---------------------------------------------------------------------------------------------
# What this user may do now
# ---------------------------------------------------------------------------------------------


def available_actions(user, item: WorkItem) -> dict[str, bool]:
    """Each action of the page and whether ``user`` may take it on the step as it is now."""
    W = WorkStatus
    works = work.can_work(user, item)
    moves = work.ALLOWED_MOVES.get(item.status, frozenset())
    override = (
        item.is_open
        and not item.override_reason
        and work.needs_client_confirmation(item)
        and work.can_override(user, item)
        and not work.client_confirmed(item)
    )
    edit_handover = handover.can_edit_handover(user, item)
    edit_estimate = confirmations.can_edit_estimate(user, item)
    return {
        "start": works and item.status == W.TODO and W.IN_PROGRESS in moves,
        "complete": works and item.is_open and W.DONE in moves,
        "reopen": item.status == W.DONE and work.can_reopen(user, item),
        "reassign": item.is_open and work.can_reassign(user, item),
        "override": override,
        "handover-add": edit_handover,
        "handover-remove": edit_handover,
        "handover-firm": edit_handover,
        "handover-client": edit_handover,
        "estimate-save": edit_estimate,
        "estimate-send": edit_estimate,
        "estimate-record": edit_estimate,
    }


def _estimate_amount(item: WorkItem):
    """The confirmed estimate's amount for a 申报 step, to prefill the tax filed."""
    if item.step != WorkStep.FILING or not item.filing:
        return None
    estimate = selectors.estimate_for_period(item)
    if estimate is None:
        return None
    for line in estimate.lines.all():
        if line.filing == item.filing:
            return line.amount
    return None


def _form(name: str, item: WorkItem, *, data=None, confirmation=None, filings=None):
    """The form of action ``name`` (bound to ``data`` when given)."""
    kwargs: dict[str, Any] = {"prefix": name}
    if name == "start" or name == "handover-firm" or name == "estimate-send":
        return StartForm(data, **kwargs)
    if name == "complete":
        form = CompleteForm(data, filing=item.step == WorkStep.FILING, **kwargs)
        if data is None and "tax_amount" in form.fields:
            form.initial["tax_amount"] = item.tax_amount or _estimate_amount(item)
            form.initial["zero_filing"] = item.zero_filing
        return form
    if name == "reopen":
        return ReopenForm(data, **kwargs)
    if name == "reassign":
        return ReassignForm(data, users=selectors.active_staff(), **kwargs)
    if name == "override":
        return OverrideForm(data, **kwargs)
    if name == "handover-add":
        return HandoverLineForm(data, **kwargs)
    if name == "handover-remove":
        return HandoverRemoveForm(data, **kwargs)
    if name == "handover-client":
        return HandoverClientForm(data, **kwargs)
    if name == "estimate-save":
        return TaxEstimateForm(
            data,
            filings=filings if filings is not None else confirmations.tax_filings(item),
            confirmation=confirmation,
            **kwargs,
        )
    if name == "estimate-record":
        return TaxRecordForm(data, **kwargs)
    raise Http404


def _detail(request, item: WorkItem, *, bound: tuple[str, Any] | None = None, status: int = 200):
    user = request.user
    actions = available_actions(user, item)
    handover_list = selectors.handover_of(item)
    confirmation = selectors.confirmation_of(item)
    filings = confirmations.tax_filings(item) if item.step == WorkStep.TAX_ESTIMATE else []
    forms = {}
    for name, allowed in actions.items():
        if not allowed:
            continue
        if bound and bound[0] == name:
            forms[name] = bound[1]
        elif name != "handover-remove":
            forms[name] = _form(name, item, confirmation=confirmation, filings=filings)
    context: dict[str, Any] = {
        "item": item,
        "due": selectors.due_info(item, timezone.localdate()),
        "steps": selectors.period_steps(item),
        "status_colours": STATUS_COLOURS,
        "confirmation_colours": CONFIRMATION_COLOURS,
        "forms": forms,
        "item_forms": [
            (n, forms[n])
            for n in ("start", "complete", "reopen", "reassign", "override")
            if n in forms
        ],
        "actions": actions,
        "can_edit_handover": actions["handover-add"],
        "handover_forms": {
            key: forms.get(f"handover-{key}") for key in ("add", "remove", "firm", "client")
        },
        "can_edit_estimate": actions["estimate-save"],
        "estimate_forms": {key: forms.get(f"estimate-{key}") for key in ("save", "send", "record")},
        "completion_problem": (
            work.completion_problem(item, user) if actions.get("complete") else None
        ),
        "handover": handover_list,
        "confirmation": confirmation,
        "filings": filings,
        "events": selectors.work_item_history(
            item, handover=handover_list, confirmation=confirmation
        ),
    }
    if item.step == WorkStep.FILING and work.needs_client_confirmation(item):
        context["period_estimate"] = selectors.estimate_for_period(item)
        context["client_confirmed"] = work.client_confirmed(item)
    if confirmation is not None and confirmation.sent_at is not None:
        context["link_url"] = request.build_absolute_uri(
            confirmations.confirmation_path(confirmation)
        )
        context["link_state"] = confirmations.link_state(confirmation)
    return render(request, "delivery/work_item_detail.html", context, status=status)


def work_item_detail(request, pk: int):
    return _detail(request, access_item(request.user, pk))


# ---------------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------------

Call = Callable[[WorkItem, dict, Any, Any], Any]


#: Each action: the service call and the message on success.
ACTIONS: dict[str, tuple[Call, Any]] = {
    "start": (
        lambda item, data, by, request: work.work_start(item=item, by=by),
        gettext_lazy("已开始此项工作。"),
    ),
    "complete": (
        lambda item, data, by, request: work.work_complete(
            item=item,
            by=by,
            zero_filing=data.get("zero_filing") if "zero_filing" in data else None,
            tax_amount=data.get("tax_amount"),
            note=data.get("note", ""),
        ),
        gettext_lazy("此项工作已完成。"),
    ),
    "reopen": (
        lambda item, data, by, request: work.work_reopen(item=item, reason=data["reason"], by=by),
        gettext_lazy("此项工作已重新打开。"),
    ),
    "reassign": (
        lambda item, data, by, request: work.work_reassign(item=item, to=data["assignee"], by=by),
        gettext_lazy("已调整负责人。"),
    ),
    "override": (
        lambda item, data, by, request: work.filing_override(
            item=item, reason=data["override_reason"], by=by
        ),
        gettext_lazy("已批准未经客户确认先行申报。"),
    ),
    "handover-add": (
        lambda item, data, by, request: handover.handover_add_line(
            item=item,
            document_type=data["document_type"],
            quantity=data["quantity"],
            received_on=data["received_on"],
            note=data.get("note", ""),
            by=by,
        ),
        gettext_lazy("已登记交接明细。"),
    ),
    "handover-remove": (
        lambda item, data, by, request: handover.handover_remove_line(
            item=item, line_id=data["line"], by=by
        ),
        gettext_lazy("已删除交接明细。"),
    ),
    "handover-firm": (
        lambda item, data, by, request: handover.handover_confirm_firm(item=item, by=by),
        gettext_lazy("已确认接收交接资料。"),
    ),
    "handover-client": (
        lambda item, data, by, request: handover.handover_confirm_client(
            item=item, name=data["name"], by=by
        ),
        gettext_lazy("已记录客户确认交接。"),
    ),
    "estimate-save": (
        lambda item, data, by, request: confirmations.tax_estimate_save(
            item=item,
            amounts={k[len("amount_") :]: v for k, v in data.items() if k.startswith("amount_")},
            remarks=data.get("remarks", ""),
            expected_version=data.get("version"),
            by=by,
        ),
        gettext_lazy("税款测算已保存。"),
    ),
    "estimate-send": (
        lambda item, data, by, request: confirmations.tax_confirmation_send(
            item=item, by=by, base_url=links.request_base_url(request)
        ),
        gettext_lazy("已发送给客户确认，请复制确认链接发给客户。"),
    ),
    "estimate-record": (
        lambda item, data, by, request: confirmations.tax_confirmation_record(
            item=item, via=data["via"], name=data["name"], note=data.get("note", ""), by=by
        ),
        gettext_lazy("已记录客户确认，税款测算已完成。"),
    ),
}


@require_POST
def work_item_action(request, pk: int, action: str):
    item = access_item(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    if not available_actions(request.user, item).get(action):
        raise PermissionDenied
    call, success = ACTIONS[action]
    form = _form(
        action,
        item,
        data=request.POST,
        confirmation=selectors.confirmation_of(item) if action == "estimate-save" else None,
    )
    if submit(request, form, lambda: call(item, form.cleaned_data, request.user, request)):
        messages.success(request, str(success))
        return redirect("delivery:work_item_detail", pk=pk)
    if action == "estimate-save" and form.is_valid():
        form = _rebased_estimate(request, item, form)
    # The page again, with what changed meanwhile (the refusal may be someone else's action).
    return _detail(request, access_item(request.user, pk), bound=(action, form), status=422)


def _rebased_estimate(request, item: WorkItem, form: TaxEstimateForm) -> TaxEstimateForm:
    """After a refused save: the user's amounts again, based on the estimate as saved now, so
    saving again after checking goes through (nothing typed is lost)."""
    current = selectors.confirmation_of(item)
    stored = current.version if current else 0
    if form.cleaned_data.get("version") == stored:
        return form
    data = request.POST.copy()
    data["estimate-save-version"] = str(stored)
    errors = form.errors.copy()
    rebased = _form("estimate-save", item, data=data, confirmation=current)
    rebased.is_valid()
    for field, messages_ in errors.items():
        for message in messages_:
            rebased.add_error(None if field == "__all__" else field, message)
    return rebased


# ---------------------------------------------------------------------------------------------
# The client's confirmation page (no login)
# ---------------------------------------------------------------------------------------------

MESSAGE_STATUS = {
    "invalid": 404,
    confirmations.LINK_EXPIRED: 410,
    confirmations.LINK_ANSWERED: 410,
    confirmations.LINK_REVISING: 410,
}


def _message_page(request, kind: str, confirmation=None, *, status: int | None = None):
    return links.no_index(
        render(
            request,
            "delivery/tax_confirm_message.html",
            {
                "kind": kind,
                "confirmation": confirmation,
                "item": confirmation.item if confirmation else None,
                "lines": list(confirmation.lines.all()) if confirmation else [],
            },
            status=status or MESSAGE_STATUS[kind],
        )
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def tax_confirm_public(request, token: str):
    confirmation = confirmations.confirmation_from_token(token)
    if confirmation is None:
        return _message_page(request, "invalid")
    state = confirmations.link_state(confirmation)
    if state != confirmations.LINK_OPEN:
        # Straight after the client's own answer (redirected here with ?answered=1) the page is
        # their receipt, not an error: 200. Any later visit says the link was used: 410.
        just_answered = state == confirmations.LINK_ANSWERED and "answered" in request.GET
        return _message_page(request, state, confirmation, status=200 if just_answered else None)
    answer = request.POST.get("answer", "") if request.method == "POST" else ""
    forms = {
        name: TaxAnswerForm(request.POST if answer == name else None, answer=name)
        for name in (TaxAnswerForm.CONFIRM, TaxAnswerForm.QUERY)
    }
    status = 200
    if request.method == "POST":
        form = forms.get(answer)
        if form is not None and form.is_valid():
            try:
                confirmations.tax_confirmation_answer(
                    confirmation=confirmation,
                    confirmed=answer == TaxAnswerForm.CONFIRM,
                    name=form.cleaned_data["name"],
                    comment=form.cleaned_data.get("comment", ""),
                )
            except DomainError as error:
                if error.field:
                    add_service_error(form, error)
                    status = 400
                else:
                    # Answered a moment ago (a double submit), expired or withdrawn meanwhile:
                    # the page now says which.
                    return redirect("delivery:tax_confirm_public", token)
            else:
                if answer == TaxAnswerForm.CONFIRM:
                    messages.success(request, _("感谢您的确认，我们将按此金额为您申报。"))
                else:
                    messages.success(request, _("您的疑问已提交，我们会尽快与您联系。"))
                url = reverse("delivery:tax_confirm_public", args=[token])
                return redirect(f"{url}?answered=1")
        else:
            status = 400
    item = confirmation.item
    return links.no_index(
        render(
            request,
            "delivery/tax_confirm_public.html",
            {
                "confirmation": confirmation,
                "item": item,
                "lines": list(confirmation.lines.all()),
                "confirm_form": forms[TaxAnswerForm.CONFIRM],
                "query_form": forms[TaxAnswerForm.QUERY],
            },
            status=status,
        )
    )


# ---------------------------------------------------------------------------------------------
# The client page's 服务工作 tab and the service scope
# ---------------------------------------------------------------------------------------------


def client_work_tab(request, client):
    """The client's last 12 periods of work and its service scope."""
    current = scope.scope_of(client)
    return "delivery/work_client_tab.html", {
        "periods": selectors.client_work_periods(client=client, today=timezone.localdate()),
        "scope": current,
        "scope_fields": [
            (ServiceScope._meta.get_field(name).verbose_name, getattr(current, name))
            for name in SCOPE_FIELDS
        ],
        "can_edit_scope": scope.can_edit_scope(request.user, client),
    }


@require_http_methods(["GET", "POST"])
def service_scope_edit(request, client_pk: int):
    client = access_client(request.user, client_pk)
    if not scope.can_edit_scope(request.user, client):
        raise PermissionDenied
    current = scope.scope_of(client)
    form = ServiceScopeForm(request.POST or None, scope=current)
    context: dict[str, Any] = {"c": client, "scope": current}
    if request.method == "POST" and form.is_valid():
        try:
            scope.service_scope_update(
                client=client,
                data=form.scope_data(),
                expected_version=form.cleaned_data.get("version"),
                by=request.user,
            )
        except ConcurrentEditError as error:
            latest = scope.scope_of(client)
            data = request.POST.copy()
            data["version"] = str(latest.version)
            form = ServiceScopeForm(data, scope=latest)
            form.is_valid()
            context["conflict"] = error.message
            context["scope"] = latest
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("服务范围已保存，自下一期生成的工作起生效。"))
            return redirect(reverse("clients:detail", args=[client.pk]) + "?tab=work")
    context["form"] = form
    status = 422 if request.method == "POST" else 200
    return render(request, "delivery/service_scope_form.html", context, status=status)


urlpatterns = [
    path("work/items/<int:pk>/", work_item_detail, name="work_item_detail"),
    path("work/items/<int:pk>/<slug:action>/", work_item_action, name="work_item_action"),
    path("work/scope/<int:client_pk>/", service_scope_edit, name="service_scope_edit"),
    path("t/<str:token>/", tax_confirm_public, name="tax_confirm_public"),
]
