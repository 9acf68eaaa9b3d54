"""Reads of routing rules and the people and departments a rule may name."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from zhangfang.delivery.models import RoutingRule
from zhangfang.staff.models import Department, User


def routing_rule_list() -> QuerySet[RoutingRule]:
    """Every rule in the order ``route()`` tries them, with the names the list shows."""
    return RoutingRule.objects.select_related("user", "department").order_by("priority", "id")


def routing_rule_get(*, pk: int) -> RoutingRule | None:
    return RoutingRule.objects.select_related("user", "department").filter(pk=pk).first()


def rule_user_choices(*, rule: RoutingRule | None = None) -> QuerySet[User]:
    """Active staff, plus the rule's current user (so an edit shows who it names today)."""
    keep = Q(is_active=True)
    if rule is not None and rule.user_id:
        keep |= Q(pk=rule.user_id)
    return User.objects.filter(keep).order_by("name", "username")


def rule_department_choices(*, rule: RoutingRule | None = None) -> QuerySet[Department]:
    """Active departments, plus the rule's current department."""
    keep = Q(is_active=True)
    if rule is not None and rule.department_id:
        keep |= Q(pk=rule.department_id)
    return Department.objects.filter(keep).order_by("name")
