"""The roles of DESIGN.md and the data scope each one has.

Role membership is a Django ``Group`` whose name is the role's code, so an administrator assigns
roles on the staff page and permission checks read ``user.groups`` once per request.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES = "sales", _("业务人员")
    CUSTOMER_SERVICE = "service", _("客服")
    ACCOUNTANT = "accountant", _("会计")
    TAX_SPECIALIST = "tax", _("税务专员")
    FINANCE = "finance", _("财务")
    DEPARTMENT_HEAD = "dept_head", _("部门负责人")
    ADMIN = "admin", _("管理员")


#: Roles that see every client of the firm.
FIRM_WIDE_ROLES = frozenset({Role.FINANCE, Role.ADMIN})


def roles_of(user) -> frozenset[str]:
    """The role codes of ``user``, read once and kept on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_zhangfang_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMIN}
        user._zhangfang_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_admin(user) -> bool:
    return has_role(user, Role.ADMIN)


def heads_department(user, *department_ids: int | None) -> bool:
    """Whether ``user`` is a department head of one of ``department_ids``."""
    return (
        has_role(user, Role.DEPARTMENT_HEAD)
        and user.department_id is not None
        and user.department_id in department_ids
    )


def is_admin_or_head_of(user, *department_ids: int | None) -> bool:
    """An administrator, or a head of one of ``department_ids`` (the usual "who may decide")."""
    return is_admin(user) or heads_department(user, *department_ids)
