"""The left navigation: only the parts that exist, only those the user's roles may open."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhangfang.core.roles import Role, roles_of

# (section label, [(item label, url name, roles that see it or None for everyone)])
NAVIGATION = [
    (
        _("工作台"),
        [(_("首页"), "core:home", None)],
    ),
    (
        _("客户"),
        [(_("客户列表"), "clients:list", None)],
    ),
    (
        _("客户开发"),
        [
            (
                _("销售漏斗"),
                "leads:pipeline_board",
                {Role.SALES, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN},
            ),
            (
                _("潜在客户"),
                "leads:prospect_list",
                {Role.SALES, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN},
            ),
            (
                _("拜访日历"),
                "leads:visit_calendar",
                {Role.SALES, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN},
            ),
            (
                _("拜访列表"),
                "leads:visit_list",
                {Role.SALES, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN},
            ),
            (_("市场活动"), "leads:activity_list", {Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN}),
            (_("合作机构"), "leads:partner_list", {Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN}),
            (
                _("推荐奖励台账"),
                "leads:reward_ledger",
                {Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN},
            ),
            (
                _("竞争对手"),
                "leads:research_competitor_list",
                {Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN},
            ),
            (
                _("价格对比"),
                "leads:research_price_comparison",
                {Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN},
            ),
            (
                _("市场调研记录"),
                "leads:research_note_list",
                {Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN},
            ),
            (
                _("客户开发分析"),
                "leads:analytics",
                {Role.SALES, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN},
            ),
        ],
    ),
    (
        _("客户服务"),
        [
            (_("今日待办"), "delivery:work_today", None),
            (_("服务工作看板"), "delivery:work_board", None),
            (_("客户需求"), "delivery:request_list", None),
            (
                _("满意度调查"),
                "delivery:survey_list",
                {Role.CUSTOMER_SERVICE, Role.DEPARTMENT_HEAD, Role.ADMIN},
            ),
            (_("低分回访"), "delivery:follow_up_list", None),
            (_("整改任务"), "delivery:rectification_list", None),
            (_("质量抽查"), "delivery:quality_sample_list", {Role.DEPARTMENT_HEAD, Role.ADMIN}),
            (_("服务标准"), "delivery:service_standards", {Role.DEPARTMENT_HEAD, Role.ADMIN}),
            (_("团队工作量"), "delivery:workload", {Role.DEPARTMENT_HEAD, Role.ADMIN}),
            (
                _("响应及时率"),
                "delivery:request_timeliness",
                {Role.DEPARTMENT_HEAD, Role.ADMIN},
            ),
            (_("质量得分"), "delivery:quality_scores", {Role.DEPARTMENT_HEAD, Role.ADMIN}),
            (_("分派规则"), "delivery:routing_rule_list", {Role.DEPARTMENT_HEAD, Role.ADMIN}),
        ],
    ),
    (
        _("关系维护"),
        [
            (_("回访计划"), "care:visit_list", None),
            (_("回访问题"), "care:visit_problem_list", None),
            (
                _("回访率"),
                "care:visit_rate",
                {Role.CUSTOMER_SERVICE, Role.DEPARTMENT_HEAD, Role.ADMIN},
            ),
            (_("政策资讯"), "care:bulletin_list", None),
            (
                _("客户祝福"),
                "care:greeting_preview",
                {Role.CUSTOMER_SERVICE, Role.DEPARTMENT_HEAD, Role.ADMIN},
            ),
            (_("客户活动"), "care:event_list", None),
            (_("客户投诉"), "complaints:complaint_list", None),
            (
                _("投诉处理及时率"),
                "complaints:complaint_timeliness",
                {Role.DEPARTMENT_HEAD, Role.ADMIN},
            ),
            (_("投诉分析"), "complaints:analysis", {Role.DEPARTMENT_HEAD, Role.ADMIN}),
        ],
    ),
    (
        _("合同与收费"),
        [
            (_("收费标准"), "contracts:fee_item_list", None),
            (_("付款方式"), "contracts:payment_term_list", None),
            (
                _("报价计算"),
                "contracts:quote_calculator",
                {Role.SALES, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN},
            ),
            (_("服务方案"), "contracts:plan_list", None),
            (_("合同"), "contracts:contract_list", None),
            (_("账单"), "billing:bill_list", None),
            (_("收款"), "billing:payment_list", None),
            (_("应收账款"), "billing:receivables", None),
            (_("缴费滞后客户"), "billing:paid_through", None),
            (_("对账单"), "billing:statement_list", None),
            (
                _("收费统计"),
                "billing:reports",
                {Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN},
            ),
        ],
    ),
    (
        _("系统管理"),
        [
            (_("员工"), "staff:user_list", {Role.ADMIN}),
            (_("部门"), "staff:department_list", {Role.ADMIN}),
            (_("节假日安排"), "core:calendar_days", {Role.ADMIN}),
            (_("申报纳税期限"), "core:filing_deadlines", {Role.ADMIN}),
            (_("制度参数"), "core:policy_settings", {Role.ADMIN}),
            (_("合同模板"), "contracts:template_list", {Role.ADMIN}),
            (_("客户标签"), "clients:tag_list", {Role.ADMIN, Role.DEPARTMENT_HEAD}),
            (_("获客渠道"), "leads:channel_list", {Role.ADMIN}),
            (_("官网线索值班"), "leads:duty_roster", {Role.ADMIN, Role.DEPARTMENT_HEAD}),
            (_("审计日志"), "core:audit_log", {Role.ADMIN}),
        ],
    ),
]


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    sections = []
    for label, entries in NAVIGATION:
        items = [
            {"label": item_label, "url": reverse(url_name)}
            for item_label, url_name, allowed in entries
            if allowed is None or roles & allowed
        ]
        if items:
            sections.append({"label": label, "items": items})
    # The current page is the item with the longest URL that the path starts with, so
    # /staff/departments/ marks 部门, not also 员工 (/staff/).
    matches = [
        item
        for section in sections
        for item in section["items"]
        if request.path == item["url"]
        or (item["url"] != "/" and request.path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_sections": sections, "nav_roles": [Role(code).label for code in sorted(roles)]}


def firm(request) -> dict:
    """The firm's name for every page, including the client-facing ones without a login."""
    return {"firm_name": settings.FIRM_NAME}
