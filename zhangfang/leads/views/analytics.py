"""The client development analytics page (policy 二(三)): funnels per channel and salesperson,
new clients per month, as charts beside tables, and the Excel export of the funnel tables."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.core import charts
from zhangfang.core.excel import xlsx_response
from zhangfang.core.listing import wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.leads.selectors import analytics as selectors
from zhangfang.leads.services import analytics as services

analytics_roles = role_required(*selectors.ANALYTICS_ROLES)


def _charts(report: selectors.FunnelReport) -> dict[str, str]:
    """The page's charts, drawn from the figures already computed (no queries)."""
    total = report.channel_total
    channels = [row for row in report.by_channel if row.prospects]
    people = [row for row in report.by_salesperson if row.prospects]
    registered, signed = _("登记潜在客户"), _("签约")
    month_series = [charts.Series(_("由潜在客户转化"), [m.converted for m in report.months])]
    if report.shows_all_clients:
        month_series.append(
            charts.Series(_("全部新增客户"), [m.created or 0 for m in report.months])
        )
    return {
        "funnel": charts.funnel_chart(
            title=_("转化漏斗（%(period)s）") % {"period": report.period.label},
            stages=[
                (_("登记"), total.prospects),
                (_("拜访"), total.visited),
                (_("洽谈"), total.negotiated),
                (_("签约"), total.signed),
            ],
            # Drawn narrower: it sits in a column beside the channel chart.
            width=440,
        ),
        "channels": charts.bar_chart(
            title=_("各渠道登记与签约"),
            labels=[row.name for row in channels],
            series=[
                charts.Series(registered, [row.prospects for row in channels]),
                charts.Series(signed, [row.signed for row in channels]),
            ],
            horizontal=True,
            value_label=_("潜在客户数"),
            category_label=_("渠道"),
        ),
        "salespeople": charts.bar_chart(
            title=_("各业务人员登记与签约"),
            labels=[row.name for row in people],
            series=[
                charts.Series(registered, [row.prospects for row in people]),
                charts.Series(signed, [row.signed for row in people]),
            ],
            horizontal=True,
            value_label=_("潜在客户数"),
            category_label=_("业务人员"),
        ),
        "months": charts.line_chart(
            title=_("近 12 个月新增客户"),
            labels=[m.label for m in report.months],
            series=month_series,
            value_label=_("客户数"),
            category_label=_("月份"),
        ),
    }


def _report(request):
    today = timezone.localdate()
    period, error = selectors.period_from_params(request.GET, today=today)
    return selectors.funnel_report(request.user, period, today=today), error


@analytics_roles
def analytics_dashboard(request):
    report, error = _report(request)
    context = {
        "report": report,
        "period_error": error,
        "period_choices": selectors.PERIOD_CHOICES,
        "charts": _charts(report),
        "query": request.GET.urlencode(),
    }
    if wants_fragment(request):
        return render(request, "leads/analytics_dashboard.html#body", context)
    return render(request, "leads/analytics_dashboard.html", context)


def _export_rows(report: selectors.FunnelReport):
    sections = [
        (_("渠道"), report.by_channel, report.channel_total),
        (_("业务人员"), report.by_salesperson, report.salesperson_total),
    ]
    for group, rows, total in sections:
        for row in [*rows, total]:
            yield [
                group,
                row.name,
                row.prospects,
                row.visited,
                row.negotiated,
                row.signed,
                row.lost,
                row.conversion_rate,
                row.cost,
                row.cost_per_signed,
            ]


EXPORT_HEADERS = [
    "分组",
    "名称",
    "登记潜在客户",
    "有拜访",
    "有洽谈",
    "签约",
    "流失",
    "转化率(%)",
    "活动费用(元)",
    "单个签约客户成本(元)",
]


@analytics_roles
def analytics_export(request):
    """The two funnel tables of the chosen period in one sheet; the export is audited."""
    report, _error = _report(request)
    rows = list(_export_rows(report))
    services.funnel_exported(period_label=report.period.label, rows=len(rows), by=request.user)
    period = report.period
    return xlsx_response(
        filename=_("客户开发漏斗") + f"-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx",
        sheet=_("客户开发漏斗"),
        headers=[_(h) for h in EXPORT_HEADERS],
        rows=rows,
    )


urlpatterns = [
    path("analytics/", analytics_dashboard, name="analytics"),
    path("analytics/export.xlsx", analytics_export, name="analytics_export"),
]
