"""Return visit pages (policy 四（一）): the visit plan with overdue and due-soon visits, a visit's
page where it is recorded with the problems raised, planning a visit by hand, the problems
forwarded to departments, and the visit rate per person and department."""

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

from zhangfang.care.forms.visits import (
    PERIOD_CHOICES,
    PROBLEM_STATE_CHOICES,
    STATE_CHOICES,
    WHOSE_CHOICES,
    CancelForm,
    InformForm,
    ProblemFilterForm,
    RateForm,
    RescheduleForm,
    ResolveForm,
    VisitCreateForm,
    VisitFilterForm,
    VisitRecordForm,
    problem_formset,
    raised_problems,
)
from zhangfang.care.models import ProblemStatus, ReturnVisit, ReturnVisitStatus, VisitMethod
from zhangfang.care.selectors import visits as selectors
from zhangfang.care.services import visits as services
from zhangfang.clients.picker import client_picker
from zhangfang.core.errors import DomainError
from zhangfang.core.forms import add_service_error
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role

PAGE_SIZE = 25

STATUS_COLOURS = {
    ReturnVisitStatus.PLANNED: "primary",
    ReturnVisitStatus.DONE: "success",
    ReturnVisitStatus.CANCELLED: "secondary",
}
PROBLEM_COLOURS = {
    ProblemStatus.FORWARDED: "warning",
    ProblemStatus.RESOLVED: "info",
    ProblemStatus.CLOSED: "success",
}

#: Who plans visits by hand and reads the visit rate.
PLAN_ROLES = (Role.CUSTOMER_SERVICE, Role.DEPARTMENT_HEAD, Role.ADMIN)

staff_roles = role_required(*Role.values)
plan_roles = role_required(*PLAN_ROLES)


def access_visit(user, pk: int) -> ReturnVisit:
    """The visit if ``user`` may see it; 404 otherwise (the same as a missing one)."""
    visit = selectors.visit_get(user=user, pk=pk)
    if visit is None:
        raise Http404
    return visit


# ---------------------------------------------------------------------------------------------
# The visit plan
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("client", gettext_lazy("客户")),
    ("due", gettext_lazy("计划回访日期")),
    ("", gettext_lazy("状态")),
    ("staff", gettext_lazy("回访人")),
    ("visited", gettext_lazy("回访时间")),
    ("satisfaction", gettext_lazy("满意度")),
    ("", gettext_lazy("未结问题")),
]


def _visit_filter_bar(filters: selectors.VisitFilters, state: ListState) -> FilterBar:
    return FilterBar(
        action=reverse("care:visit_list"),
        target="#visit-table",
        fields=[
            FilterField("state", _("范围"), "radio", filters.state, options=STATE_CHOICES),
            FilterField.search(_("搜索"), filters.q, placeholder=_("客户名称或拼音")),
            FilterField(
                "department",
                _("部门"),
                value=filters.department or "",
                options=selectors.department_options(),
            ),
            FilterField("method", _("回访方式"), value=filters.method, options=VisitMethod.choices),
            FilterField("date_from", _("日期从"), "date", filters.date_from),
            FilterField("date_to", _("日期至"), "date", filters.date_to),
            FilterField("mine", _("只看我的回访"), "check", filters.mine),
        ],
        hidden={"sort": state.sort, "client": filters.client or ""},
    )


@staff_roles
def visit_list(request):
    fragment = wants_fragment(request)
    today = timezone.localdate()
    state = ListState.from_request(request, sorts=selectors.VISIT_SORTS, default_sort="due")
    filters = VisitFilterForm(request.GET).filters()
    queryset = selectors.visit_list(
        user=request.user, filters=filters, ordering=state.ordering(), today=today
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    page.object_list = selectors.with_due_flags(page.object_list, today=today)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None if fragment else _visit_filter_bar(filters, state),
        "columns": [state.column(key, label) for key, label in COLUMNS],
        "status_colours": STATUS_COLOURS,
        "can_plan": has_role(request.user, *PLAN_ROLES),
        "today": today,
    }
    template = "care/visit_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


# ---------------------------------------------------------------------------------------------
# Planning a visit by hand
# ---------------------------------------------------------------------------------------------


@plan_roles
def visit_create(request):
    client_pk = request.GET.get("client", "")
    client = (
        selectors.visit_client(user=request.user, pk=int(client_pk))
        if client_pk.isdigit()
        else None
    )
    if client is None:
        if client_pk:
            raise Http404
        return client_picker(
            request,
            template="care/visit_client_picker.html",
            url=reverse("care:visit_create"),
            search=lambda q: selectors.visit_client_search(user=request.user, q=q),
            picker_hint=_("只列出您可以查看的服务中客户。"),
        )
    form = VisitCreateForm(request.POST or None, users=selectors.staff_options())
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_create(
                client=client,
                due_on=form.cleaned_data["due_on"],
                staff=form.cleaned_data["staff"],
                by=request.user,
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已安排回访。"))
            return redirect("care:visit_detail", pk=visit.pk)
    return render(request, "care/visit_form.html", {"form": form, "c": client})


# ---------------------------------------------------------------------------------------------
# A visit: recording it, rescheduling, cancelling, its problems
# ---------------------------------------------------------------------------------------------


def _problem_forms(user, problems, bound=None) -> None:
    """Put on each problem the forms ``user`` may use on it now (``problem.forms``)."""
    for problem in problems:
        forms = {}
        actions = services.problem_actions(user, problem)
        for name, form_class in (("resolve", ResolveForm), ("inform", InformForm)):
            if not actions[name]:
                continue
            if bound is not None and bound[0] == (problem.pk, name):
                forms[name] = bound[1]
            else:
                forms[name] = form_class(prefix=f"p{problem.pk}")
        problem.forms = forms


def _detail(request, visit: ReturnVisit, *, bound: dict | None = None, status: int = 200):
    bound = bound or {}
    actions = services.visit_actions(request.user, visit)
    problems = selectors.visit_problems(visit)
    for problem in problems:
        problem.visit = visit  # the permission checks read the visit: no query per problem
    _problem_forms(request.user, problems, bound.get("problem"))
    departments = selectors.departments()
    context = {
        "v": visit,
        "today": timezone.localdate(),
        "flag": selectors.due_flag(
            visit, today=timezone.localdate(), soon_days=selectors.due_soon_days()
        ),
        "actions": actions,
        "problems": problems,
        "status_colours": STATUS_COLOURS,
        "problem_colours": PROBLEM_COLOURS,
        "recent": selectors.client_recent_visits(visit.client, exclude=visit.pk),
        "open_problems": [
            p for p in selectors.client_open_problems(visit.client) if p.visit_id != visit.pk
        ],
        "events": selectors.visit_history(visit, problems),
    }
    if actions["record"]:
        context["record_form"] = bound.get("record") or VisitRecordForm(
            contacts=selectors.client_contacts(visit.client)
        )
        context["problem_formset"] = bound.get("problems") or problem_formset(
            departments=departments
        )
    if actions["reschedule"]:
        context["reschedule_form"] = bound.get("reschedule") or RescheduleForm(
            prefix="reschedule", initial={"due_on": visit.due_on}
        )
    if actions["cancel"]:
        context["cancel_form"] = bound.get("cancel") or CancelForm(prefix="cancel")
    return render(request, "care/visit_detail.html", context, status=status)


def visit_detail(request, pk: int):
    """The visit's page; a POST records the visit with the problems raised."""
    visit = access_visit(request.user, pk)
    if request.method != "POST":
        return _detail(request, visit)
    if not services.visit_actions(request.user, visit)["record"]:
        if not services.can_record(request.user, visit):
            raise PermissionDenied
        messages.error(request, _("此回访已结束，不能再记录。"))
        return redirect("care:visit_detail", pk=pk)
    form = VisitRecordForm(request.POST, contacts=selectors.client_contacts(visit.client))
    formset = problem_formset(request.POST, departments=selectors.departments())
    if form.is_valid() and formset.is_valid():
        try:
            services.visit_record(
                visit=visit,
                data=form.cleaned_data,
                problems=raised_problems(formset),
                by=request.user,
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("回访已记录，已按回访周期安排下一次回访。"))
            return redirect("care:visit_detail", pk=pk)
    return _detail(request, visit, bound={"record": form, "problems": formset}, status=422)


VISIT_ACTIONS = {
    "reschedule": (
        RescheduleForm,
        lambda v, data, by: services.visit_reschedule(
            visit=v, due_on=data["due_on"], reason=data["reason"], by=by
        ),
        gettext_lazy("回访日期已修改。"),
    ),
    "cancel": (
        CancelForm,
        lambda v, data, by: services.visit_cancel(visit=v, reason=data["reason"], by=by),
        gettext_lazy("回访已取消。"),
    ),
}


@require_POST
def visit_action(request, pk: int, action: str):
    visit = access_visit(request.user, pk)
    if action not in VISIT_ACTIONS:
        raise Http404
    if not services.visit_actions(request.user, visit)[action]:
        if not services.can_record(request.user, visit):
            raise PermissionDenied
        messages.error(request, _("此回访当前不能进行该操作。"))
        return redirect("care:visit_detail", pk=pk)
    form_class, call, success = VISIT_ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        try:
            call(visit, form.cleaned_data, request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, str(success))
            return redirect("care:visit_detail", pk=pk)
    return _detail(request, visit, bound={action: form}, status=422)


PROBLEM_ACTIONS = {
    "resolve": (
        ResolveForm,
        lambda p, data, by: services.problem_resolve(problem=p, result=data["result"], by=by),
        gettext_lazy("处理结果已记录，已通知回访人告知客户。"),
    ),
    "inform": (
        InformForm,
        lambda p, data, by: services.problem_inform(problem=p, how=data["how"], by=by),
        gettext_lazy("已记录告知客户，问题已关闭。"),
    ),
}


@require_POST
def problem_action(request, pk: int, action: str):
    problem = selectors.problem_get(user=request.user, pk=pk)
    if problem is None or action not in PROBLEM_ACTIONS:
        raise Http404
    visit = access_visit(request.user, problem.visit_id)
    problem.visit = visit
    if not services.problem_actions(request.user, problem)[action]:
        allowed = (services.can_resolve if action == "resolve" else services.can_inform)(
            request.user, problem
        )
        if not allowed:
            raise PermissionDenied
        messages.error(request, _("此问题当前不能进行该操作。"))
        return redirect("care:visit_detail", pk=visit.pk)
    form_class, call, success = PROBLEM_ACTIONS[action]
    form = form_class(request.POST, prefix=f"p{problem.pk}")
    if form.is_valid():
        try:
            call(problem, form.cleaned_data, request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, str(success))
            return redirect("care:visit_detail", pk=visit.pk)
    return _detail(request, visit, bound={"problem": ((problem.pk, action), form)}, status=422)


# ---------------------------------------------------------------------------------------------
# Problems forwarded to departments (四（一）3)
# ---------------------------------------------------------------------------------------------

PROBLEM_COLUMNS = [
    ("client", gettext_lazy("客户")),
    ("", gettext_lazy("问题")),
    ("", gettext_lazy("转交部门")),
    ("due", gettext_lazy("处理期限")),
    ("status", gettext_lazy("状态")),
    ("created", gettext_lazy("转交时间")),
]


@staff_roles
def visit_problem_list(request):
    fragment = wants_fragment(request)
    today = timezone.localdate()
    state = ListState.from_request(request, sorts=selectors.PROBLEM_SORTS, default_sort="due")
    filters = ProblemFilterForm(request.GET).filters()
    queryset = selectors.problem_list(
        user=request.user, filters=filters, ordering=state.ordering(), today=today
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    bar = FilterBar(
        action=reverse("care:visit_problem_list"),
        target="#problem-table",
        fields=[
            FilterField.search(_("搜索"), filters.q, placeholder=_("客户名称或问题内容")),
            FilterField("state", _("状态"), value=filters.state, options=PROBLEM_STATE_CHOICES),
            FilterField("whose", _("范围"), value=filters.whose, options=WHOSE_CHOICES),
            FilterField("overdue", _("只看超期未处理"), "check", filters.overdue),
        ],
        hidden={"sort": state.sort},
    )
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None if fragment else bar,
        "columns": [state.column(key, label) for key, label in PROBLEM_COLUMNS],
        "problem_colours": PROBLEM_COLOURS,
        "forwarded": ProblemStatus.FORWARDED,
        "today": today,
    }
    template = "care/visit_problem_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


# ---------------------------------------------------------------------------------------------
# Visit rate
# ---------------------------------------------------------------------------------------------


@plan_roles
def visit_rate(request):
    kind, month, start, end = RateForm(request.GET).period(timezone.localdate())
    rates = selectors.visit_rate(user=request.user, start=start, end=end)
    bar = FilterBar(
        action=reverse("care:visit_rate"),
        target="#visit-rate",
        fields=[
            FilterField("kind", _("统计周期"), "radio", kind, options=PERIOD_CHOICES),
            FilterField("month", _("月份"), "month", month.strftime("%Y-%m")),
        ],
    )
    context = {"start": start, "end": end, "kind": kind, "filter_bar": bar, **rates}
    template = "care/visit_rate.html"
    if wants_fragment(request):
        return render(request, f"{template}#tables", context)
    return render(request, template, context)


urlpatterns = [
    path("visits/", visit_list, name="visit_list"),
    path("visits/new/", visit_create, name="visit_create"),
    path("visits/rate/", visit_rate, name="visit_rate"),
    path("visits/problems/", visit_problem_list, name="visit_problem_list"),
    path("visits/problems/<int:pk>/<slug:action>/", problem_action, name="visit_problem_action"),
    path("visits/<int:pk>/", visit_detail, name="visit_detail"),
    path("visits/<int:pk>/<slug:action>/", visit_action, name="visit_action"),
]
