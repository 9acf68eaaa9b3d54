"""The complaint analysis report (policy 四（三）5) and its Excel export, one sheet per section.

Department heads see their own department (the department filter is fixed for them),
administrators the whole firm or one department they pick. The figures come from
``selectors.analysis``; this module only draws the charts and writes the workbook.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.complaints.selectors import analysis as selectors
from zhangfang.core import audit, charts
from zhangfang.core.excel import xlsx_workbook_response
from zhangfang.core.listing import wants_fragment
from zhangfang.core.permissions import role_required

analysis_roles = role_required(*selectors.ANALYSIS_ROLES)


def _department_param(request: HttpRequest) -> int | None:
    value = request.GET.get("department", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def _report(request: HttpRequest, *, whole: bool = False):
    """The report the URL asks for (``whole``: the long lists uncut, for the export), the
    period error (if any) and the department choices."""
    today = timezone.localdate()
    period, error = selectors.period_from_params(request.GET, today=today)
    options = selectors.department_options(request.user)
    scope = selectors.analysis_scope(request.user, _department_param(request), options)
    names = dict(options)
    report = selectors.complaint_analysis(
        scope=scope,
        period=period,
        today=today,
        department_name=names.get(scope.department_id, ""),
        cap=None if whole else selectors.PAGE_CAP,
    )
    return report, error, options


def _charts(report: selectors.Report) -> dict[str, str]:
    """The page's charts, drawn from the figures already computed (no queries)."""
    drawn = {
        "categories": charts.bar_chart(
            title=_("投诉类别分布"),
            labels=[row.label for row in report.by_category],
            values=[row.count for row in report.by_category],
            horizontal=True,
            value_label=_("投诉数"),
            category_label=_("投诉类别"),
        ),
        "months": charts.line_chart(
            title=report.months_title,
            labels=[row.label for row in report.months],
            series=[
                charts.Series(_("受理"), [row.received for row in report.months]),
                charts.Series(_("关闭"), [row.closed for row in report.months]),
            ],
            value_label=_("投诉数"),
            category_label=_("月份"),
        ),
        "root_causes": charts.bar_chart(
            title=_("根本原因分布（本期关闭的投诉）"),
            labels=[row.label for row in report.root_causes],
            values=[row.count for row in report.root_causes],
            horizontal=True,
            value_label=_("投诉数"),
            category_label=_("根本原因"),
        ),
    }
    # One department's own report has a single row: a chart of it would say nothing.
    if len(report.by_department) > 1:
        drawn["departments"] = charts.bar_chart(
            title=_("各部门受理与关闭"),
            labels=[row.name for row in report.by_department],
            series=[
                charts.Series(_("受理"), [row.received for row in report.by_department]),
                charts.Series(_("关闭"), [row.closed for row in report.by_department]),
            ],
            horizontal=True,
            value_label=_("投诉数"),
            category_label=_("部门"),
        )
    return drawn


@analysis_roles
def complaint_analysis(request: HttpRequest) -> HttpResponse:
    report, error, options = _report(request)
    context = {
        "report": report,
        "period_error": error,
        "period_kinds": selectors.PERIOD_KINDS,
        "department_options": options,
        "charts": _charts(report),
        "query": request.GET.urlencode(),
        "repeat_window": selectors.REPEAT_WINDOW_DAYS,
    }
    template = "complaints/analysis.html"
    if wants_fragment(request):
        return render(request, f"{template}#body", context | {"fragment": True})
    return render(request, template, context)


# -- the Excel export --------------------------------------------------------------------------


def _sheets(report: selectors.Report) -> list[tuple[str, list[str], list[list[Any]]]]:
    h = report.headline
    scope_name = report.department_name or _("全公司")
    summary = [
        [_("统计期间"), report.period.label],
        [_("范围"), scope_name],
        [_("受理投诉"), h.received],
        [_("本期关闭"), h.closed],
        [_("尚未处理完毕"), h.still_open],
        [_("逾期未处理"), h.overdue],
        [_("重新打开"), h.reopened],
        [_("已处理"), h.handled],
        [_("按时处理"), h.on_time],
        [_("处理及时率（%）"), h.timeliness_rate],
        [_("平均解决时长（工作日）"), h.avg_working_days],
        [_("解决时长中位数（工作日）"), h.median_working_days],
        [_("平均解决时长（自然日）"), h.avg_calendar_days],
        [_("解决时长中位数（自然日）"), h.median_calendar_days],
        [_("关闭后 %(days)s 天内再次投诉") % {"days": selectors.REPEAT_WINDOW_DAYS}, h.again],
    ]
    share_headers = [_("投诉数"), _("占比（%）")]
    return [
        (_("概况"), [_("指标"), _("数值")], summary),
        (
            _("按类别"),
            [_("投诉类别"), *share_headers],
            [[r.label, r.count, r.share] for r in report.by_category],
        ),
        (
            _("按严重程度"),
            [_("严重程度"), *share_headers],
            [[r.label, r.count, r.share] for r in report.by_severity],
        ),
        (
            _("按部门"),
            [
                _("部门"),
                _("受理"),
                _("本期关闭"),
                _("尚未处理完毕"),
                _("已处理"),
                _("按时处理"),
                _("处理及时率（%）"),
                _("平均解决时长（工作日）"),
                _("平均解决时长（自然日）"),
            ],
            [
                [
                    r.name,
                    r.received,
                    r.closed,
                    r.still_open,
                    r.handled,
                    r.on_time,
                    r.on_time_rate,
                    r.avg_working_days,
                    r.avg_calendar_days,
                ]
                for r in report.by_department
            ],
        ),
        (
            _("按人员"),
            [_("涉及人员"), _("投诉数"), _("投诉类别")],
            [[r.name, r.count, r.categories_text] for r in report.by_person],
        ),
        (
            _("按月份"),
            [_("月份"), _("受理"), _("关闭")],
            [[r.label, r.received, r.closed] for r in report.months],
        ),
        (
            _("根本原因"),
            [_("根本原因"), *share_headers],
            [[r.label, r.count, r.share] for r in report.root_causes],
        ),
        (
            _("重复投诉客户"),
            [_("客户名称"), _("投诉次数"), _("投诉类别"), _("最近投诉日期")],
            [[r.name, r.count, r.categories_text, r.last_received] for r in report.repeat_clients],
        ),
        (
            _("关闭后再次投诉"),
            [
                _("投诉编号"),
                _("客户名称"),
                _("受理日期"),
                _("投诉类别"),
                _("上次投诉编号"),
                _("上次关闭日期"),
                _("间隔天数"),
            ],
            [
                [
                    r.number,
                    r.client_name,
                    r.received,
                    r.category,
                    r.previous_number,
                    r.previous_closed,
                    r.days_after,
                ]
                for r in report.recomplaints
            ],
        ),
        (
            _("纠正措施"),
            [
                _("投诉编号"),
                _("客户名称"),
                _("责任部门"),
                _("投诉类别"),
                _("根本原因"),
                _("纠正措施"),
                _("受理日期"),
                _("关闭日期"),
                _("解决时长（工作日）"),
                _("解决时长（自然日）"),
            ],
            [
                [
                    r.number,
                    r.client_name,
                    r.department,
                    r.category,
                    r.root_cause,
                    r.corrective_action,
                    r.received,
                    r.closed,
                    r.working_days,
                    r.calendar_days,
                ]
                for r in report.closed_cases
            ],
        ),
    ]


@analysis_roles
def complaint_analysis_export(request: HttpRequest) -> HttpResponse:
    """Every section of the report in its own sheet, the lists whole; the export is audited."""
    report, _error, _options = _report(request, whole=True)
    scope_name = report.department_name or _("全公司")
    audit.record(
        action="export",
        by=request.user,
        object_type="complaints.complaint",
        object_repr=_("客户投诉分析 %(period)s") % {"period": report.period.label},
        detail=_("导出 %(period)s %(scope)s 的投诉分析报告")
        % {"period": report.period.label, "scope": scope_name},
    )
    period = report.period
    return xlsx_workbook_response(
        filename=_("客户投诉分析") + f"-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx",
        sheets=_sheets(report),
    )


urlpatterns = [
    path("analysis/", complaint_analysis, name="analysis"),
    path("analysis/export.xlsx", complaint_analysis_export, name="analysis_export"),
]
