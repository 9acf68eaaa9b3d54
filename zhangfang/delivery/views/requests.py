"""Request intake pages: the list with each request's time left to respond, registering a
request (a client picked by ``?client=`` or a search), the detail page with the actions this
user may take now and the audit timeline, and the response timeliness rates (三（三）1)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.clients.picker import client_picker
from zhangfang.core.errors import DomainError
from zhangfang.core.forms import add_service_error
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role
from zhangfang.delivery.forms.requests import (
    STATUS_FILTER_CHOICES,
    ConfirmForm,
    MonthForm,
    ReassignForm,
    ReopenForm,
    RequestFilterForm,
    RequestForm,
    ResolveForm,
    RespondForm,
    StartForm,
)
from zhangfang.delivery.models import RequestCategory, RequestStatus, ServiceRequest, Urgency
from zhangfang.delivery.selectors import requests as selectors
from zhangfang.delivery.services import requests as services

PAGE_SIZE = 25

STATUS_COLOURS = {
    RequestStatus.NEW: "primary",
    RequestStatus.RESPONDED: "info",
    RequestStatus.IN_PROGRESS: "warning",
    RequestStatus.REOPENED: "danger",
    RequestStatus.RESOLVED: "success",
    RequestStatus.CONFIRMED: "secondary",
}
URGENCY_COLOURS = {Urgency.NORMAL: "light", Urgency.URGENT: "warning", Urgency.CRITICAL: "danger"}

staff_roles = role_required(*Role.values)
intake_roles = role_required(*services.INTAKE_ROLES)
head_roles = role_required(Role.DEPARTMENT_HEAD, Role.ADMIN)


def access_request(user, pk: int) -> ServiceRequest:
    """The request if ``user`` may see it; 404 otherwise (the same as a missing one)."""
    request = selectors.request_get(user=user, pk=pk)
    if request is None:
        raise Http404
    return request


# ---------------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("received", gettext_lazy("受理时间")),
    ("client", gettext_lazy("客户")),
    ("", gettext_lazy("类别")),
    ("urgency", gettext_lazy("紧急程度")),
    ("status", gettext_lazy("状态")),
    ("respond_by", gettext_lazy("响应时限")),
    ("", gettext_lazy("负责人")),
]


def _filter_bar(filters: selectors.RequestFilters, state: ListState) -> FilterBar:
    return FilterBar(
        action=reverse("delivery:request_list"),
        target="#request-table",
        fields=[
            FilterField.search(_("搜索"), filters.q, placeholder=_("客户名称")),
            FilterField("status", _("状态"), value=filters.status, options=STATUS_FILTER_CHOICES),
            FilterField(
                "category", _("类别"), value=filters.category, options=RequestCategory.choices
            ),
            FilterField("urgency", _("紧急程度"), value=filters.urgency, options=Urgency.choices),
            FilterField("mine", _("只看我负责的"), "check", filters.mine),
            FilterField("overdue", _("只看响应超时"), "check", filters.overdue),
        ],
        hidden={"sort": state.sort},
    )


@staff_roles
def request_list(request):
    fragment = wants_fragment(request)
    now = timezone.now()
    state = ListState.from_request(request, sorts=selectors.REQUEST_SORTS, default_sort="-received")
    filters = RequestFilterForm(request.GET).filters()
    queryset = selectors.request_list(
        user=request.user, filters=filters, ordering=state.ordering(), now=now
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    page.object_list = selectors.with_time_left(page.object_list, now)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None if fragment else _filter_bar(filters, state),
        "columns": [state.column(key, label) for key, label in COLUMNS],
        "status_colours": STATUS_COLOURS,
        "urgency_colours": URGENCY_COLOURS,
        "can_register": services.can_register(request.user),
        "can_see_rates": has_role(request.user, Role.DEPARTMENT_HEAD, Role.ADMIN),
    }
    template = "delivery/request_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


# ---------------------------------------------------------------------------------------------
# Registering
# ---------------------------------------------------------------------------------------------


@intake_roles
def request_create(request):
    client_pk = request.GET.get("client", "")
    client = (
        selectors.intake_client(user=request.user, pk=int(client_pk))
        if client_pk.isdigit()
        else None
    )
    if client is None:
        if client_pk:
            raise Http404
        return _client_picker(request)
    contacts = selectors.client_contacts(client)
    form = RequestForm(request.POST or None, contacts=contacts)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_register(
                client=client, data=form.request_data(), by=request.user
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            deadline = timezone.localtime(created.respond_by).strftime("%Y-%m-%d %H:%M")
            if created.assignee:
                text = _("需求已登记，已分派给%(who)s，须在 %(deadline)s 前响应。") % {
                    "who": created.assignee,
                    "deadline": deadline,
                }
            else:
                text = _("需求已登记，已转%(dept)s负责人分派，须在 %(deadline)s 前响应。") % {
                    "dept": created.department or _("管理员"),
                    "deadline": deadline,
                }
            messages.success(request, text)
            return redirect("delivery:request_detail", pk=created.pk)
    return render(request, "delivery/request_form.html", {"form": form, "c": client})


def _client_picker(request):
    """The new-request page without a client: search for one (htmx updates the results)."""
    return client_picker(
        request,
        template="delivery/request_client_picker.html",
        url=reverse("delivery:request_create"),
        search=lambda q: selectors.intake_client_search(user=request.user, q=q),
        picker_hint=_("只列出您可以查看的客户。也可以在客户页面的“客户需求”标签中登记。"),
    )


# ---------------------------------------------------------------------------------------------
# Detail and actions
# ---------------------------------------------------------------------------------------------

#: Each action: its form, the service call and the message on success.
ACTIONS = {
    "respond": (
        RespondForm,
        lambda r, data, by: services.request_respond(request=r, note=data["note"], by=by),
        gettext_lazy("已记录首次响应。"),
    ),
    "start": (
        StartForm,
        lambda r, data, by: services.request_start(request=r, by=by),
        gettext_lazy("需求已转为处理中。"),
    ),
    "resolve": (
        ResolveForm,
        lambda r, data, by: services.request_resolve(
            request=r, resolution=data["resolution"], by=by
        ),
        gettext_lazy("需求已解决，请向客户确认。"),
    ),
    "confirm": (
        ConfirmForm,
        lambda r, data, by: services.request_confirm(request=r, how=data["how"], by=by),
        gettext_lazy("已记录客户确认。"),
    ),
    "reopen": (
        ReopenForm,
        lambda r, data, by: services.request_reopen(request=r, reason=data["reason"], by=by),
        gettext_lazy("需求已重新打开。"),
    ),
    "reassign": (
        ReassignForm,
        lambda r, data, by: services.request_reassign(request=r, assignee=data["assignee"], by=by),
        gettext_lazy("需求已改派。"),
    ),
}


def _forms(actions: dict[str, bool], bound: tuple[str, object] | None = None) -> dict:
    forms = {}
    for name, allowed in actions.items():
        if not allowed:
            continue
        if bound and bound[0] == name:
            forms[name] = bound[1]
        elif name == "reassign":
            forms[name] = ReassignForm(users=selectors.assignee_options(), prefix=name)
        else:
            forms[name] = ACTIONS[name][0](prefix=name)
    return forms


def _detail(request, req: ServiceRequest, bound=None, status: int = 200):
    now = timezone.now()
    actions = services.available_actions(request.user, req)
    context = {
        "r": req,
        "sla": selectors.time_left(req, now),
        "events": selectors.request_history(req),
        "status_colours": STATUS_COLOURS,
        "urgency_colours": URGENCY_COLOURS,
        "forms": _forms(actions, bound),
    }
    return render(request, "delivery/request_detail.html", context, status=status)


def request_detail(request, pk: int):
    return _detail(request, access_request(request.user, pk))


@require_POST
def request_action(request, pk: int, action: str):
    req = access_request(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    if not services.available_actions(request.user, req).get(action):
        if action == "reassign" or not services.can_confirm(request.user, req):
            raise PermissionDenied
        messages.error(request, _("此需求当前不能进行该操作。"))
        return redirect("delivery:request_detail", pk=pk)
    form_class, call, success = ACTIONS[action]
    kwargs = {"users": selectors.assignee_options()} if action == "reassign" else {}
    form = form_class(request.POST, prefix=action, **kwargs)
    if form.is_valid():
        try:
            call(req, form.cleaned_data, request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, str(success))
            return redirect("delivery:request_detail", pk=pk)
    return _detail(request, req, bound=(action, form), status=422)


def client_requests_tab(request, client):
    """The client page's 客户需求 tab: the client's latest requests and a link to register one."""
    return "delivery/request_client_tab.html", {
        "requests": selectors.with_time_left(
            selectors.client_requests(user=request.user, client=client), timezone.now()
        ),
        "status_colours": STATUS_COLOURS,
        "can_register": services.can_register(request.user),
    }


# ---------------------------------------------------------------------------------------------
# Response timeliness (三（三）1)
# ---------------------------------------------------------------------------------------------


def _month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, dt.datetime(following.year, following.month, 1, tzinfo=zone)


@head_roles
def request_timeliness(request):
    form = MonthForm(request.GET)
    month = form.cleaned_data.get("month") if form.is_valid() else None
    month = month or timezone.localdate().replace(day=1)
    start, end = _month_bounds(month)
    rates = selectors.timeliness(user=request.user, start=start, end=end, now=timezone.now())
    bar = FilterBar(
        action=reverse("delivery:request_timeliness"),
        target="#timeliness",
        fields=[FilterField("month", _("月份"), "month", month.strftime("%Y-%m"))],
    )
    context = {"month": month, "filter_bar": bar, **rates}
    template = "delivery/request_timeliness.html"
    if wants_fragment(request):
        return render(request, f"{template}#tables", context)
    return render(request, template, context)


urlpatterns = [
    path("requests/", request_list, name="request_list"),
    path("requests/new/", request_create, name="request_create"),
    path("requests/timeliness/", request_timeliness, name="request_timeliness"),
    path("requests/<int:pk>/", request_detail, name="request_detail"),
    path("requests/<int:pk>/<slug:action>/", request_action, name="request_action"),
]
