"""The administrator's pages of ``core``: holiday calendar, filing deadlines, policy settings and
the audit log. Administrators only; every write goes through ``core.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhangfang.core import calendar, selectors, services
from zhangfang.core.admin_forms import (
    AuditFilterForm,
    CalendarBulkForm,
    CalendarDayForm,
    FilingDeadlinesForm,
    PolicySettingsForm,
    object_type_labels,
    parse_year,
)
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.models import CalendarDay
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role

AUDIT_PAGE_SIZE = 50

#: Bootstrap classes of the calendar grid's cells (CSP forbids inline styles).
CELL_CLASSES = {
    "work": "",
    "rest": "bg-body-secondary text-body-tertiary",
    "holiday": "bg-danger-subtle text-danger-emphasis fw-semibold",
    "makeup": "bg-warning-subtle text-warning-emphasis fw-semibold",
}


def _form_error(form, exc: ValidationError) -> None:
    """A service's ValidationError beside the field it names (if the form has it), else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def schedule_warnings(*years: int) -> list[dict]:
    """One warning per year without a holiday schedule: this year, next year and any shown.

    "This year" is the year in Asia/Shanghai (the firm's time zone), not in UTC.
    """
    today = timezone.localdate()
    wanted = {today.year, today.year + 1, *years}
    message = _(
        "%(year)s 年的节假日安排尚未录入，系统暂按周末计算工作日，请录入国务院办公厅公布的安排。"
    )
    return [
        {"year": year, "message": message % {"year": year}}
        for year in calendar.years_missing_schedule(wanted)
    ]


def _year_nav(year: int) -> dict[str, int]:
    return {"year": year, "previous": year - 1, "next": year + 1}


# -- holiday calendar ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def calendar_days(request: HttpRequest) -> HttpResponse:
    """节假日安排: the entries of a year, the year as computed, and forms to add or change days."""
    today = timezone.localdate()
    year = parse_year(request.POST.get("year") or request.GET.get("year"), today.year)
    day_form = CalendarDayForm(prefix="day")
    bulk_form = CalendarBulkForm(prefix="bulk")

    if request.method == "POST":
        if request.POST.get("action") == "bulk":
            bulk_form = CalendarBulkForm(request.POST, prefix="bulk")
            if bulk_form.is_valid():
                entries = bulk_form.cleaned_data["text"]
                try:
                    count = services.calendar_days_bulk_set(entries=entries, by=request.user)
                except ValidationError as exc:
                    _form_error(bulk_form, exc)
                else:
                    messages.success(request, _("已录入 %(n)s 天的安排。") % {"n": count})
                    return redirect(f"{reverse('core:calendar_days')}?year={entries[0][0].year}")
        else:
            day_form = CalendarDayForm(request.POST, prefix="day")
            if day_form.is_valid():
                data = day_form.cleaned_data
                replacing = None
                if data.get("pk"):
                    replacing = CalendarDay.objects.filter(pk=data["pk"]).first()
                try:
                    day = services.calendar_day_set(
                        date=data["date"],
                        kind=data["kind"],
                        note=data["note"],
                        by=request.user,
                        replacing=replacing,
                    )
                except ValidationError as exc:
                    _form_error(day_form, exc)
                else:
                    messages.success(
                        request,
                        _("已保存 %(date)s 的安排：%(kind)s。")
                        % {"date": day.date.isoformat(), "kind": day.get_kind_display()},
                    )
                    return redirect(f"{reverse('core:calendar_days')}?year={day.date.year}")
    elif request.GET.get("edit", "").isdigit():
        editing = CalendarDay.objects.filter(pk=int(request.GET["edit"])).first()
        if editing is not None:
            day_form = CalendarDayForm(
                prefix="day",
                initial={
                    "date": editing.date,
                    "kind": editing.kind,
                    "note": editing.note,
                    "pk": editing.pk,
                },
            )

    months = selectors.calendar_year_months(year)
    for month in months:
        for week in month["weeks"]:
            for cell in week:
                if cell is not None:
                    cell["css"] = CELL_CLASSES[cell["kind"]]
    return render(
        request,
        "core/admin/calendar_days.html",
        {
            **_year_nav(year),
            "warnings": schedule_warnings(year),
            "has_schedule": calendar.year_has_schedule(year),
            "entries": selectors.calendar_day_list(year=year),
            "months": months,
            "weekdays": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
            "day_form": day_form,
            "bulk_form": bulk_form,
            "editing": bool(day_form["pk"].value()),
        },
    )


@require_POST
@role_required(Role.ADMIN)
def calendar_day_delete(request: HttpRequest, pk: int) -> HttpResponse:
    day = CalendarDay.objects.filter(pk=pk).first()
    if day is None:
        raise Http404
    services.calendar_day_delete(day=day, by=request.user)
    messages.success(request, _("已删除 %(date)s 的安排。") % {"date": day.date.isoformat()})
    return redirect(f"{reverse('core:calendar_days')}?year={day.date.year}")


# -- filing deadlines ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def filing_deadlines(request: HttpRequest) -> HttpResponse:
    """申报纳税期限: each month's deadline and where it comes from; enter the official table."""
    today = timezone.localdate()
    year = parse_year(request.POST.get("year") or request.GET.get("year"), today.year)
    entries = selectors.filing_deadline_entries(year=year)
    if request.method == "POST":
        form = FilingDeadlinesForm(request.POST, year=year)
        if form.is_valid():
            try:
                count = services.filing_deadlines_set(
                    year=year, deadlines=form.cleaned_data["deadlines"], by=request.user
                )
            except ValidationError as exc:
                _form_error(form, exc)
            else:
                if count:
                    messages.success(
                        request,
                        _("已保存 %(year)s 年 %(n)s 个月的申报截止日。")
                        % {"year": year, "n": count},
                    )
                else:
                    messages.info(request, _("没有改动。"))
                return redirect(f"{reverse('core:filing_deadlines')}?year={year}")
    else:
        form = FilingDeadlinesForm(
            year=year,
            initial={f"month_{m}": row.deadline.isoformat() for m, row in entries.items()},
        )
    shipped = year in calendar.OFFICIAL_FILING_DEADLINES
    sources = {"entered": _("录入"), "shipped": _("内置官方表"), "rule": _("按规则推算")}
    rows = []
    for month in range(1, 13):
        source = "entered" if month in entries else "shipped" if shipped else "rule"
        rows.append(
            {
                "month": month,
                "deadline": calendar.filing_deadline(year, month),
                "source": source,
                "source_label": sources[source],
                "field": form[f"month_{month}"],
            }
        )
    return render(
        request,
        "core/admin/filing_deadlines.html",
        {
            **_year_nav(year),
            "warnings": schedule_warnings(year),
            "rows": rows,
            "form": form,
        },
    )


# -- policy settings -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def policy_settings(request: HttpRequest) -> HttpResponse:
    """制度参数: every open number of the policy, with its clause, default and current value."""
    form = PolicySettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        raw = {key: form.cleaned_data[key] for key in form.cleaned_data["values"]}
        try:
            changed = services.policy_settings_save(raw_values=raw, by=request.user)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            if changed:
                messages.success(request, _("已保存 %(n)s 项制度参数。") % {"n": len(changed)})
            else:
                messages.info(request, _("没有改动。"))
            return redirect("core:policy_settings")
    return render(request, "core/admin/policy_settings.html", {"form": form, "rows": form.rows()})


# -- audit log -----------------------------------------------------------------------------------


@require_GET
@role_required(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    """审计日志: read-only, newest first, filtered in place (htmx) with the state in the URL."""
    state = ListState.from_request(request, sorts=selectors.AUDIT_SORTS, default_sort="-at")
    filter_form = AuditFilterForm(request.GET)
    filters = filter_form.filters()
    page = state.paginate(selectors.audit_event_list(**filters), per_page=AUDIT_PAGE_SIZE)
    context = {
        "state": state,
        "page": page,
        "page_links": state.page_links(page),
        "filters_active": bool(filters),
        "type_labels": object_type_labels(),
    }
    if wants_fragment(request):
        return render(request, "core/admin/audit_log.html#table", context)
    context["filter_bar"] = _audit_filter_bar(filter_form, filters)
    return render(request, "core/admin/audit_log.html", context)


def _audit_filter_bar(form: AuditFilterForm, filters: dict[str, Any]) -> FilterBar:
    """The audit log's bar; its options are the form's (already read to check the values)."""

    def options(name: str) -> list:
        return [(value, label) for value, label in form.fields[name].choices if value != ""]

    def select(name: str) -> FilterField:
        return FilterField(
            name, form.fields[name].label, value=filters.get(name, ""), options=options(name)
        )

    def date(name: str) -> FilterField:
        return FilterField(name, form.fields[name].label, "date", filters.get(name))

    return FilterBar(
        action=reverse("core:audit_log"),
        target="#audit-table",
        fields=[
            select("actor"),
            select("action"),
            select("object_type"),
            FilterField.search(form.fields["q"].label, filters.get("q", "")),
            date("date_from"),
            date("date_to"),
        ],
    )
