"""The service standards page (policy 三（三）): for a month, per person and per department, the
response timeliness (1), on-time filing and quality score (2, 4) and satisfaction against the
target (4); with its Excel export. Department heads see their department, administrators all."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.core import audit, policy
from zhangfang.core.excel import xlsx_response
from zhangfang.core.listing import FilterBar, FilterField, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role
from zhangfang.delivery.forms.surveys import StandardsForm
from zhangfang.delivery.selectors import standards as selectors
from zhangfang.delivery.wiring.surveys import SATISFACTION_TARGET

head_roles = role_required(Role.DEPARTMENT_HEAD, Role.ADMIN)


def _figures(request):
    period = StandardsForm(request.GET).period_value()
    target = Decimal(str(policy.get(SATISFACTION_TARGET)))
    tables = selectors.service_standards(
        user=request.user,
        period=period,
        target=target,
        now=timezone.now(),
        today=timezone.localdate(),
    )
    return period, target, tables


@head_roles
def service_standards(request):
    period, target, tables = _figures(request)
    month = period.strftime("%Y-%m")
    bar = FilterBar(
        action=reverse("delivery:service_standards"),
        target="#standards",
        fields=[FilterField("period", _("月份"), "month", month)],
    )
    context = {
        "period": period,
        "month": month,
        "target": target,
        "filter_bar": bar,
        **tables,
    }
    template = "delivery/standards.html"
    if wants_fragment(request):
        return render(request, f"{template}#tables", context)
    return render(request, template, context)


def _cell(value: Decimal | None):
    return value if value is not None else "—"


@head_roles
def service_standards_export(request):
    """Both tables in one sheet, a row per person then per department; audited."""
    period, target, tables = _figures(request)
    month = period.strftime("%Y-%m")
    audit.record(
        action="export",
        by=request.user,
        object_type="delivery.survey",
        object_repr=_("服务标准达成情况 %(month)s") % {"month": month},
    )
    rows = []
    for kind, label in (("people", _("人员")), ("departments", _("部门"))):
        for row in tables[kind]:
            rows.append(
                [
                    label,
                    row.name,
                    _cell(row.response_rate),
                    _cell(row.filing_rate),
                    _cell(row.quality_score),
                    _cell(row.satisfaction_rate),
                    (_("未达标") if row.below_target else _("达标"))
                    if row.satisfaction_rate is not None
                    else "—",
                ]
            )
    return xlsx_response(
        filename=_("服务标准") + f"-{month}.xlsx",
        sheet=_("服务标准"),
        headers=[
            _("类别"),
            _("名称"),
            _("响应及时率（%）"),
            _("按期申报率（%）"),
            _("质量得分（%）"),
            _("满意度（%）"),
            _("满意度目标 %(target)s%%") % {"target": target},
        ],
        rows=rows,
    )


urlpatterns = [
    path("standards/", service_standards, name="service_standards"),
    path("standards/export.xlsx", service_standards_export, name="service_standards_export"),
]
