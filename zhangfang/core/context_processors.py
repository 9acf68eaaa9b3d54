"""The left navigation: only the parts that exist, only those the user's roles may open."""

from __future__ import annotations

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
        _("系统管理"),
        [
            (_("员工"), "staff:user_list", {Role.ADMIN}),
            (_("部门"), "staff:department_list", {Role.ADMIN}),
            (_("节假日安排"), "core:calendar_days", {Role.ADMIN}),
            (_("申报纳税期限"), "core:filing_deadlines", {Role.ADMIN}),
            (_("制度参数"), "core:policy_settings", {Role.ADMIN}),
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
        items = []
        for item_label, url_name, allowed in entries:
            if allowed is not None and not (roles & allowed):
                continue
            url = reverse(url_name)
            active = request.path == url if url == "/" else request.path.startswith(url)
            items.append({"label": item_label, "url": url, "active": active})
        if items:
            sections.append({"label": label, "items": items})
    return {"nav_sections": sections, "nav_roles": [Role(code).label for code in sorted(roles)]}
