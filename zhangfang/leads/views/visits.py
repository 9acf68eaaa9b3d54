"""Visit pages: plan, edit, materials checklist, record, cancel, the list and the calendar,
and the 拜访 tab of the prospect detail page."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.core import calendar as work_calendar
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.forms import rebased_form
from zhangfang.core.listing import FilterBar, FilterField, ListState, options_html, wants_fragment
from zhangfang.core.roles import Role, has_role
from zhangfang.leads import prospect_tabs
from zhangfang.leads.forms.visits import VisitCancelForm, VisitOutcomeForm, VisitPlanForm
from zhangfang.leads.models import Prospect, Visit, VisitStatus
from zhangfang.leads.selectors import visits as selectors
from zhangfang.leads.selectors.prospects import prospects_visible_to
from zhangfang.leads.services import visits as services

PAGE_SIZE = 25
#: Roles that plan visits and log negotiations; finance sees them but does not write them.
VISIT_WRITERS = (Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN)
WEEKDAYS = [
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
]


# ---------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------


def access_prospect(user, pk: int) -> Prospect:
    """The prospect if ``user`` may see it; 404 for a missing one and for another's alike."""
    prospect = prospects_visible_to(user).filter(pk=pk).first()
    if prospect is None:
        raise Http404
    return prospect


def access_visit(user, pk: int, *, write: bool = False) -> Visit:
    """The visit if ``user`` may see it (404 otherwise); for ``write``, also change it (403)."""
    visit = selectors.visit_get(user=user, pk=pk)
    if visit is None:
        raise Http404
    if write and not can_write_visit(user, visit):
        raise PermissionDenied
    return visit


def can_write_prospect_visits(user) -> bool:
    return has_role(user, *VISIT_WRITERS)


def can_write_visit(user, visit: Visit) -> bool:
    """Sales, heads and administrators in scope, and anyone going on the visit."""
    return can_write_prospect_visits(user) or any(u.pk == user.pk for u in visit.staff.all())


def access_prospect_for_write(user, pk: int) -> Prospect:
    prospect = access_prospect(user, pk)
    if not can_write_prospect_visits(user):
        raise PermissionDenied
    return prospect


def prospect_tab_url(prospect_id: int, tab: str) -> str:
    """The prospect's detail page on ``tab``; the visit page if the prospect pages are absent."""
    try:
        return reverse("leads:prospect_detail", args=[prospect_id]) + f"?tab={tab}"
    except NoReverseMatch:  # pragma: no cover - only while the prospect part is not installed
        return reverse("leads:visit_list")


def _can_open_prospect(user, visit: Visit) -> bool:
    return prospects_visible_to(user).filter(pk=visit.prospect_id).exists()


# ---------------------------------------------------------------------------------------------
# The prospect's 拜访 tab
# ---------------------------------------------------------------------------------------------


def _visits_tab(request, prospect: Prospect):
    return "leads/visit_tab.html", {
        "prospect": prospect,
        "visits": selectors.visits_of_prospect(prospect),
        "can_write": can_write_prospect_visits(request.user),
    }


prospect_tabs.register("visits", gettext_lazy("拜访"), _visits_tab, order=30)


# ---------------------------------------------------------------------------------------------
# Plan, edit, record, cancel
# ---------------------------------------------------------------------------------------------


def _plan_kwargs(form: VisitPlanForm) -> dict:
    data = form.cleaned_data
    return {
        "purpose": data["purpose"],
        "starts_at": data["starts_at"],
        "place": data["place"],
        "staff": list(data["staff"]),
        "materials": form.material_items(),
    }


def visit_create(request, pk: int):
    prospect = access_prospect_for_write(request.user, pk)
    form = VisitPlanForm(request.POST or None, planner=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_plan(prospect=prospect, by=request.user, **_plan_kwargs(form))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("拜访计划已保存。"))
            return redirect("leads:visit_detail", pk=visit.pk)
    return render(request, "leads/visit_form.html", {"form": form, "prospect": prospect})


def visit_edit(request, pk: int):
    visit = access_visit(request.user, pk, write=True)
    if visit.status != VisitStatus.PLANNED:
        messages.error(request, _("该拜访已结束或取消，不能再修改计划。"))
        return redirect("leads:visit_detail", pk=visit.pk)
    form = VisitPlanForm(request.POST or None, visit=visit)
    context = {"form": form, "prospect": visit.prospect, "visit": visit}
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_update(
                visit=visit,
                expected_version=form.cleaned_data.get("version"),
                by=request.user,
                **_plan_kwargs(form),
            )
        except ConcurrentEditError as error:
            current = access_visit(request.user, pk, write=True)
            context["form"] = rebased_form(
                VisitPlanForm, request, version=current.version, visit=current
            )
            context["conflict"] = error.message
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("拜访计划已保存。"))
            return redirect("leads:visit_detail", pk=visit.pk)
    return render(request, "leads/visit_form.html", context)


def visit_detail(request, pk: int):
    visit = access_visit(request.user, pk)
    return render(
        request,
        "leads/visit_detail.html",
        {
            "visit": visit,
            "prospect": visit.prospect,
            "can_open_prospect": _can_open_prospect(request.user, visit),
            "can_write": can_write_visit(request.user, visit),
            "prospect_url": prospect_tab_url(visit.prospect_id, "visits"),
            "outcome_form": VisitOutcomeForm(visit=visit),
            "cancel_form": VisitCancelForm(),
        },
    )


@require_POST
def visit_material_toggle(request, pk: int, index: int):
    visit = access_visit(request.user, pk, write=True)
    try:
        visit = services.visit_toggle_material(visit=visit, index=index, by=request.user)
    except DomainError as error:
        if request.htmx:
            raise Http404 from error
        messages.error(request, error.message)
    if request.htmx:
        return render(
            request, "leads/visit_detail.html#materials", {"visit": visit, "can_write": True}
        )
    return redirect("leads:visit_detail", pk=visit.pk)


def visit_record(request, pk: int):
    visit = access_visit(request.user, pk, write=True)
    form = VisitOutcomeForm(request.POST or None, visit=visit)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_record_outcome(visit=visit, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("拜访记录已保存。"))
            return redirect("leads:visit_detail", pk=visit.pk)
    return render(
        request,
        "leads/visit_record_form.html",
        {"form": form, "visit": visit, "prospect": visit.prospect},
    )


@require_POST
def visit_cancel(request, pk: int):
    visit = access_visit(request.user, pk, write=True)
    form = VisitCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("取消原因：请填写取消原因。"))
    else:
        try:
            services.visit_cancel(visit=visit, reason=form.cleaned_data["reason"], by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("拜访已取消。"))
    return redirect("leads:visit_detail", pk=visit.pk)


# ---------------------------------------------------------------------------------------------
# List and calendar
# ---------------------------------------------------------------------------------------------


def _date_param(request, name: str) -> dt.date | None:
    try:
        return parse_date(request.GET.get(name, "").strip())
    except ValueError:
        return None


def visit_list(request):
    state = ListState.from_request(request, sorts=selectors.VISIT_SORTS, default_sort="-time")
    status = state.get("status")
    filters = selectors.VisitFilters(
        staff=state.get_int("staff"),
        status=status if status in VisitStatus.values else "",
        date_from=_date_param(request, "date_from"),
        date_to=_date_param(request, "date_to"),
    )
    queryset = selectors.visit_list(user=request.user, filters=filters, ordering=state.ordering())
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    fragment = wants_fragment(request)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filters_active": bool(
            filters.staff or filters.status or filters.date_from or filters.date_to
        ),
        "columns": [
            state.column("time", _("拜访时间")),
            state.column("prospect", _("潜在客户")),
            state.column("", _("目的")),
            state.column("", _("地点")),
            state.column("", _("拜访人员")),
            state.column("", _("状态")),
        ],
        "filter_bar": None
        if fragment
        else FilterBar(
            action=reverse("leads:visit_list"),
            target="#visit-table",
            fields=[
                FilterField(
                    "staff",
                    _("拜访人员"),
                    value=filters.staff or "",
                    options=selectors.calendar_staff_options(request.user),
                ),
                FilterField("status", _("状态"), value=filters.status, options=VisitStatus.choices),
                FilterField("date_from", _("开始日期"), "date", filters.date_from),
                FilterField("date_to", _("结束日期"), "date", filters.date_to),
            ],
            hidden={"sort": state.sort},
        ),
    }
    template = "leads/visit_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


def _month_start(day: dt.date, months: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def visit_calendar(request):
    """Week or month of one person's visits (default: the user's own)."""
    today = timezone.localdate()
    view = "month" if request.GET.get("view") == "month" else "week"
    anchor = _date_param(request, "date") or today
    options = selectors.calendar_staff_options(request.user)
    allowed = {pk for pk, _name in options}
    requested = request.GET.get("staff", "")
    staff_id = (
        int(requested) if requested.isdigit() and int(requested) in allowed else request.user.pk
    )

    if view == "week":
        start = anchor - dt.timedelta(days=anchor.weekday())
        end = start + dt.timedelta(days=7)
        previous, following = start - dt.timedelta(days=7), start + dt.timedelta(days=7)
        title = _("%(start)s 至 %(end)s") % {
            "start": start.isoformat(),
            "end": (end - dt.timedelta(days=1)).isoformat(),
        }
    else:
        first = _month_start(anchor)
        last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
        start = first - dt.timedelta(days=first.weekday())
        end = last + dt.timedelta(days=7 - last.weekday())
        previous, following = _month_start(first, -1), _month_start(first, 1)
        title = _("%(year)s 年 %(month)s 月") % {"year": first.year, "month": first.month}

    visits = selectors.visits_between(user=request.user, staff_id=staff_id, start=start, end=end)
    by_day: dict[dt.date, list[Visit]] = {}
    for visit in visits:
        by_day.setdefault(timezone.localdate(visit.starts_at), []).append(visit)
    days = []
    day = start
    while day < end:
        days.append(
            {
                "date": day,
                "is_today": day == today,
                "is_working": work_calendar.is_working_day(day),
                "in_period": view == "week" or day.month == anchor.month,
                "visits": by_day.get(day, []),
            }
        )
        day += dt.timedelta(days=1)

    def query(**changes) -> str:
        params = {"view": view, "date": anchor.isoformat(), "staff": staff_id}
        params.update(changes)
        return "&".join(f"{key}={value}" for key, value in params.items())

    context = {
        "view": view,
        "title": title,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "weekdays": WEEKDAYS,
        "staff_id": staff_id,
        "staff_options_html": options_html(options, str(staff_id)),
        "anchor": anchor,
        "visit_count": len(visits),
        "previous_query": query(date=previous.isoformat()),
        "next_query": query(date=following.isoformat()),
        "today_query": query(date=today.isoformat()),
        "week_query": query(view="week"),
        "month_query": query(view="month"),
    }
    template = "leads/visit_calendar.html"
    return render(request, f"{template}#calendar" if wants_fragment(request) else template, context)


urlpatterns = [
    path("visits/", visit_list, name="visit_list"),
    path("visits/calendar/", visit_calendar, name="visit_calendar"),
    path("prospects/<int:pk>/visits/new/", visit_create, name="visit_create"),
    path("visits/<int:pk>/", visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", visit_edit, name="visit_edit"),
    path("visits/<int:pk>/record/", visit_record, name="visit_record"),
    path("visits/<int:pk>/cancel/", visit_cancel, name="visit_cancel"),
    path(
        "visits/<int:pk>/materials/<int:index>/toggle/",
        visit_material_toggle,
        name="visit_material_toggle",
    ),
]
