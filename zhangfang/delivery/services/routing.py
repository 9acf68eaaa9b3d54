"""Routing rules (分派规则): where a new request of a category goes (policy 三（二）1).

Administrators and department heads keep them. A rule names its target; only a fixed-user rule
carries a user and only a department rule a department, so a rule never holds a stale choice
that ``route()`` would silently ignore.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.core import audit
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError
from zhangfang.delivery.models import RouteTarget, RoutingRule

RULE_FIELDS = ["category", "target", "user", "department", "priority", "active"]

STALE_RULE = gettext_lazy(
    "保存失败：在您编辑期间，其他人已修改了此分派规则。您填写的内容仍在下方，请核对后重新保存。"
)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the target's own choice checked and the other choice cleared."""
    data = dict(data)
    target = data.get("target")
    if target == RouteTarget.USER:
        user = data.get("user")
        if user is None:
            raise DomainError(_("分派给指定员工时，请选择员工。"), field="user")
        if not user.is_active:
            raise DomainError(
                _("员工“%(name)s”已停用，不能接收新需求。") % {"name": user}, field="user"
            )
        data["department"] = None
    elif target == RouteTarget.DEPARTMENT:
        if data.get("department") is None:
            raise DomainError(_("分派给指定部门时，请选择部门。"), field="department")
        data["user"] = None
    else:
        # The client's own accountant / tax specialist / customer service: nobody fixed.
        data["user"] = None
        data["department"] = None
    return data


@transaction.atomic
def routing_rule_create(*, data: dict[str, Any], by) -> RoutingRule:
    """Add a routing rule; ``data`` holds the fields of ``RULE_FIELDS``."""
    rule = RoutingRule(**_clean(data))
    rule.save()
    audit.record(
        action="create",
        by=by,
        obj=rule,
        changes=audit.created(audit.snapshot(rule, RULE_FIELDS)),
    )
    return rule


@transaction.atomic
def routing_rule_update(
    *, rule: RoutingRule, data: dict[str, Any], expected_version: int | None, by
) -> RoutingRule:
    """Change a routing rule, refusing a save based on an older version."""
    current = lock_version(
        RoutingRule,
        pk=rule.pk,
        version=rule.version if expected_version is None else expected_version,
        message=str(STALE_RULE),
    )
    before = audit.snapshot(current, RULE_FIELDS)
    apply_edit(current, _clean(data))
    current.save()
    changes = audit.diff(before, audit.snapshot(current, RULE_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current
