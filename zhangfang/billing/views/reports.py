"""The billing report (收费统计): per month billed, collected, credited, outstanding at month end
and the collection rate, a chart beside the table, the largest overdue bills and clients, and
the Excel export."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.billing.selectors import receivables as receivable_selectors
from zhangfang.billing.selectors import reports as selectors
from zhangfang.core import audit, charts
from zhangfang.core.excel import xlsx_response
from zhangfang.core.money import format_rmb
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role

#: Finance and administrators see the firm; a department head the department's clients.
REPORT_ROLES = (Role.FINANCE, Role.ADMIN, Role.DEPARTMENT_HEAD)
LARGEST = 10

report_roles = role_required(*REPORT_ROLES)


def _period(request) -> selectors.ReportPeriod:
    """``?period=2026`` (a year offered on the page) or ``last12``; this year by default."""
    today = timezone.localdate()
    value = request.GET.get("period", "").strip()
    if value == "last12":
        return selectors.period_last_12(today)
    years = selectors.report_years(today=today)
    if value.isdigit() and int(value) in years:
        return selectors.period_year(int(value))
    return selectors.period_year(today.year)


def _rmb(value) -> str:
    return format_rmb(value)


def _chart(report: selectors.BillingReport):
    labels = [m.label[2:] if len(report.months) > 6 else m.label for m in report.months]
    return charts.bar_chart(
        title=_("每月应收与收款"),
        labels=labels,
        series=[
            charts.Series(_("应收"), [m.billed for m in report.months]),
            charts.Series(_("收款"), [m.collected for m in report.months]),
        ],
        value_format=_rmb,
        value_label=_("金额（元）"),
    )


def _outstanding_chart(report: selectors.BillingReport):
    labels = [m.label[2:] for m in report.months]
    return charts.line_chart(
        title=_("月末欠费余额"),
        labels=labels,
        series=[charts.Series(_("月末欠费余额"), [m.outstanding for m in report.months])],
        value_format=_rmb,
    )


@report_roles
def billing_report(request):
    today = timezone.localdate()
    period = _period(request)
    report = selectors.billing_report(user=request.user, period=period)
    context = {
        "report": report,
        "period_choices": [("last12", _("最近 12 个月"))]
        + [
            (str(year), _("%(year)s 年") % {"year": year})
            for year in selectors.report_years(today=today)
        ],
        "chart": _chart(report),
        "outstanding_chart": _outstanding_chart(report),
        "today": today,
        "largest_bills": receivable_selectors.largest_overdue_bills(
            user=request.user, on=today, limit=LARGEST
        ),
        "largest_clients": receivable_selectors.largest_overdue_clients(
            user=request.user, on=today, limit=LARGEST
        ),
    }
    return render(request, "billing/report_billing.html", context)


@report_roles
def billing_report_export(request):
    """The month table as Excel; audited like every export."""
    period = _period(request)
    report = selectors.billing_report(user=request.user, period=period)
    audit.record(
        action="export",
        by=request.user,
        object_type="billing.ledgerentry",
        object_repr=_("收费统计 %(start)s 至 %(end)s")
        % {"start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    rows = [
        [
            m.label,
            m.billed,
            m.collected,
            m.credited,
            m.outstanding,
            m.collection_rate,
        ]
        for m in report.months
    ]
    rows.append(
        [
            _("合计"),
            report.billed,
            report.collected,
            report.credited,
            report.closing_balance,
            report.collection_rate,
        ]
    )
    return xlsx_response(
        filename=_("收费统计") + f"-{period.key}.xlsx",
        sheet=_("收费统计"),
        headers=[_("月份"), _("应收"), _("收款"), _("减免"), _("月末欠费余额"), _("收款率（%）")],
        rows=rows,
    )


urlpatterns = [
    path("reports/", billing_report, name="reports"),
    path("reports/export.xlsx", billing_report_export, name="report_export"),
]
