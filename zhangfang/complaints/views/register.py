"""Complaint register pages: the list with each complaint's working days left, registering a
complaint (a client picked by ``?client=`` or a search), the detail page laid out as the
《客户投诉登记表》 with the actions this user may take now and the timeline, a print view, and the
handling timeliness per department (四（三）3)."""

from __future__ import annotations

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
from zhangfang.complaints.forms.complaints import (
    MINE_CHOICES,
    PERIOD_CHOICES,
    PERIOD_QUARTER,
    CloseForm,
    ComplaintFilterForm,
    ComplaintForm,
    FeedBackForm,
    HandleForm,
    PeriodForm,
    ReopenForm,
    StartForm,
    TransferForm,
)
from zhangfang.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    Severity,
)
from zhangfang.complaints.selectors import complaints as selectors
from zhangfang.complaints.services import complaints as services
from zhangfang.core.errors import DomainError
from zhangfang.core.forms import add_service_error
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role

PAGE_SIZE = 25

STATUS_COLOURS = {
    ComplaintStatus.REGISTERED: "primary",
    ComplaintStatus.INVESTIGATING: "warning",
    ComplaintStatus.HANDLED: "info",
    ComplaintStatus.FED_BACK: "success",
    ComplaintStatus.CLOSED: "secondary",
    ComplaintStatus.REOPENED: "danger",
}
SEVERITY_COLOURS = {
    Severity.MINOR: "light",
    Severity.SERIOUS: "warning",
    Severity.CRITICAL: "danger",
}

staff_roles = role_required(*Role.values)
intake_roles = role_required(*services.INTAKE_ROLES)
head_roles = role_required(Role.DEPARTMENT_HEAD, Role.ADMIN)


def access_complaint(user, pk: int) -> Complaint:
    """The complaint if ``user`` may see it; 404 otherwise (the same as a missing one)."""
    complaint = selectors.complaint_get(user=user, pk=pk)
    if complaint is None:
        raise Http404
    return complaint


# ---------------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("number", gettext_lazy("投诉编号")),
    ("client", gettext_lazy("客户")),
    ("", gettext_lazy("类别")),
    ("severity", gettext_lazy("严重程度")),
    ("status", gettext_lazy("状态")),
    ("due", gettext_lazy("处理期限")),
    ("", gettext_lazy("责任部门")),
    ("received", gettext_lazy("受理时间")),
]


def _filter_bar(filters: selectors.ComplaintFilters, state: ListState) -> FilterBar:
    return FilterBar(
        action=reverse("complaints:complaint_list"),
        target="#complaint-table",
        fields=[
            FilterField.search(_("搜索"), filters.q, placeholder=_("投诉编号、客户名称")),
            FilterField("status", _("状态"), value=filters.status, options=ComplaintStatus.choices),
            FilterField(
                "category", _("类别"), value=filters.category, options=ComplaintCategory.choices
            ),
            FilterField(
                "severity", _("严重程度"), value=filters.severity, options=Severity.choices
            ),
            FilterField(
                "department",
                _("责任部门"),
                value=filters.department or "",
                options=selectors.department_filter_options(),
            ),
            FilterField("mine", _("与我有关"), value=filters.mine, options=MINE_CHOICES),
            FilterField("open", _("只看未处理"), "check", filters.open_only),
            FilterField("overdue", _("只看已超期"), "check", filters.overdue),
        ],
        hidden={"sort": state.sort},
    )


@staff_roles
def complaint_list(request):
    fragment = wants_fragment(request)
    today = timezone.localdate()
    state = ListState.from_request(
        request, sorts=selectors.COMPLAINT_SORTS, default_sort="-received"
    )
    filters = ComplaintFilterForm(request.GET).filters()
    queryset = selectors.complaint_list(
        user=request.user, filters=filters, ordering=state.ordering(), today=today
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    page.object_list = selectors.with_time_left(page.object_list, today)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None if fragment else _filter_bar(filters, state),
        "columns": [state.column(key, label) for key, label in COLUMNS],
        "status_colours": STATUS_COLOURS,
        "severity_colours": SEVERITY_COLOURS,
        "can_register": services.can_register(request.user),
        "can_see_rates": has_role(request.user, Role.DEPARTMENT_HEAD, Role.ADMIN),
    }
    template = "complaints/complaint_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


# ---------------------------------------------------------------------------------------------
# Registering
# ---------------------------------------------------------------------------------------------


def _complaint_form(request, client, data=None) -> ComplaintForm:
    form = ComplaintForm(
        data,
        contacts=selectors.client_contacts(client),
        departments=selectors.department_choices(),
        staff=selectors.staff_options(),
        client_department=client.department,
    )
    # Choosing a contact asks the page for their name and phone (htmx; CSP allows no inline
    # script). Without JavaScript the service fills in what was left empty from the contact.
    form.fields["contact"].widget.attrs.update(
        {
            "hx-get": f"{reverse('complaints:complaint_create')}?client={client.pk}",
            "hx-trigger": "change",
            "hx-target": "#contact-fields",
            "hx-swap": "outerHTML",
        }
    )
    return form


@intake_roles
def complaint_create(request):
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
    template = "complaints/complaint_form.html"
    if request.method != "POST" and "contact" in request.GET and wants_fragment(request):
        # Choosing a contact refreshes the name and phone fields with theirs.
        form = _complaint_form(request, client)
        contact_pk = request.GET.get("contact", "")
        contact = (
            selectors.client_contacts(client).filter(pk=int(contact_pk)).first()
            if contact_pk.isdigit()
            else None
        )
        if contact is not None:
            form.prefill_contact(contact)
        return render(request, f"{template}#contact_fields", {"form": form, "c": client})
    form = _complaint_form(request, client, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.complaint_register(
                client=client, data=dict(form.cleaned_data), by=request.user
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("投诉 %(number)s 已登记，已转%(department)s负责人%(handler)s处理，期限 %(due)s。")
                % {
                    "number": created.number,
                    "department": created.department.name,
                    "handler": created.handler or "",
                    "due": created.due_on.isoformat(),
                },
            )
            return redirect("complaints:complaint_detail", pk=created.pk)
    return render(request, template, {"form": form, "c": client})


def _client_picker(request):
    """The register page without a client: search for one (htmx updates the results)."""
    return client_picker(
        request,
        template="complaints/complaint_client_picker.html",
        url=reverse("complaints:complaint_create"),
        search=lambda q: selectors.intake_client_search(user=request.user, q=q),
        picker_hint=_("只列出您可以查看的客户。也可以在客户页面的“投诉”标签中登记。"),
    )


# ---------------------------------------------------------------------------------------------
# Detail and actions
# ---------------------------------------------------------------------------------------------

#: Each action: the service call and the message on success.
ACTIONS = {
    "start": (
        lambda c, data, by: services.complaint_start(complaint=c, note=data["note"], by=by),
        gettext_lazy("已开始调查。"),
    ),
    "handle": (
        lambda c, data, by: services.complaint_handle(complaint=c, by=by, **data),
        gettext_lazy("处理结果已记录，并已通知客服反馈客户。"),
    ),
    "feed_back": (
        lambda c, data, by: services.complaint_feed_back(
            complaint=c, feedback=data["feedback"], by=by
        ),
        gettext_lazy("已记录反馈客户情况。"),
    ),
    "close": (
        lambda c, data, by: services.complaint_close(complaint=c, by=by, **data),
        gettext_lazy("投诉已关闭。"),
    ),
    "reopen": (
        lambda c, data, by: services.complaint_reopen(complaint=c, reason=data["reason"], by=by),
        gettext_lazy("投诉已重新打开。"),
    ),
    "transfer": (
        lambda c, data, by: services.complaint_transfer(
            complaint=c, department=data["department"], note=data["note"], by=by
        ),
        gettext_lazy("投诉已转交。"),
    ),
}


def _action_form(name: str, complaint: Complaint, data=None):
    """The form of action ``name``, pre-filled from the complaint where it helps."""
    if name == "start":
        return StartForm(data, prefix=name)
    if name == "handle":
        initial = {
            "investigation": complaint.investigation,
            "resolution": complaint.resolution,
            "root_cause": complaint.root_cause,
            "corrective_action": complaint.corrective_action,
        }
        return HandleForm(data, prefix=name, initial=initial)
    if name == "feed_back":
        return FeedBackForm(data, prefix=name)
    if name == "close":
        initial = {
            "root_cause": complaint.root_cause,
            "corrective_action": complaint.corrective_action,
        }
        return CloseForm(data, prefix=name, initial=initial)
    if name == "reopen":
        return ReopenForm(data, prefix=name)
    departments = selectors.department_choices().exclude(pk=complaint.department_id)
    return TransferForm(data, prefix=name, departments=departments)


def _detail(request, complaint: Complaint, bound=None, status: int = 200):
    actions = services.available_actions(request.user, complaint)
    forms = {}
    for name, allowed in actions.items():
        if allowed:
            forms[name] = bound[1] if bound and bound[0] == name else _action_form(name, complaint)
    context = {
        "complaint": complaint,
        "sla": selectors.time_left(complaint, timezone.localdate()),
        "steps": selectors.complaint_steps(complaint),
        "step_labels": services.STEP_LABELS,
        "status_labels": dict(ComplaintStatus.choices),
        "status_colours": STATUS_COLOURS,
        "severity_colours": SEVERITY_COLOURS,
        "forms": forms,
    }
    return render(request, "complaints/complaint_detail.html", context, status=status)


def complaint_detail(request, pk: int):
    return _detail(request, access_complaint(request.user, pk))


def complaint_print(request, pk: int):
    """The 《客户投诉登记表》 alone on a page, for printing and filing."""
    complaint = access_complaint(request.user, pk)
    context = {
        "complaint": complaint,
        "steps": selectors.complaint_steps(complaint),
        "step_labels": services.STEP_LABELS,
        "status_labels": dict(ComplaintStatus.choices),
        "printed_on": timezone.localdate(),
    }
    return render(request, "complaints/complaint_print.html", context)


@require_POST
def complaint_action(request, pk: int, action: str):
    complaint = access_complaint(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    if not services.may_take(request.user, complaint, action):
        raise PermissionDenied
    if not services.state_allows(complaint, action):
        messages.error(request, services.refusal(complaint, action))
        return redirect("complaints:complaint_detail", pk=pk)
    call, success = ACTIONS[action]
    form = _action_form(action, complaint, request.POST)
    if form.is_valid():
        try:
            call(complaint, form.cleaned_data, request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, str(success))
            return redirect("complaints:complaint_detail", pk=pk)
    return _detail(request, complaint, bound=(action, form), status=422)


def client_complaints_tab(request, client):
    """The client page's 投诉 tab: the client's latest complaints and a link to register one."""
    return "complaints/complaint_client_tab.html", {
        "complaints": selectors.with_time_left(
            selectors.client_complaints(user=request.user, client=client), timezone.localdate()
        ),
        "status_colours": STATUS_COLOURS,
        "severity_colours": SEVERITY_COLOURS,
        "can_register": services.can_register(request.user),
    }


# ---------------------------------------------------------------------------------------------
# Handling timeliness (四（三）3)
# ---------------------------------------------------------------------------------------------


@head_roles
def complaint_timeliness(request):
    today = timezone.localdate()
    form = PeriodForm(request.GET)
    period, start, end = form.bounds(today)
    rows, total = selectors.timeliness(user=request.user, start=start, end=end, today=today)
    bar = FilterBar(
        action=reverse("complaints:complaint_timeliness"),
        target="#timeliness",
        fields=[
            FilterField("period", _("统计周期"), "radio", period, options=PERIOD_CHOICES),
            FilterField("month", _("月份"), "month", start.strftime("%Y-%m")),
        ],
    )
    if period == PERIOD_QUARTER:
        label = _("%(year)s 年第 %(quarter)s 季度") % {
            "year": start.year,
            "quarter": (start.month - 1) // 3 + 1,
        }
    else:
        label = _("%(year)s 年 %(month)s 月") % {"year": start.year, "month": start.month}
    context = {"filter_bar": bar, "rows": rows, "total": total, "period_label": label}
    template = "complaints/complaint_timeliness.html"
    if wants_fragment(request):
        return render(request, f"{template}#table", context)
    return render(request, template, context)


urlpatterns = [
    path("", complaint_list, name="complaint_list"),
    path("new/", complaint_create, name="complaint_create"),
    path("timeliness/", complaint_timeliness, name="complaint_timeliness"),
    path("<int:pk>/", complaint_detail, name="complaint_detail"),
    path("<int:pk>/print/", complaint_print, name="complaint_print"),
    path("<int:pk>/<slug:action>/", complaint_action, name="complaint_action"),
]
