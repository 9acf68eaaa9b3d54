"""Template helpers of the administrator's pages (``{% load zhangfang %}``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.core import policy
from zhangfang.core.audit import field_label
from zhangfang.core.roles import Role

register = template.Library()

#: Labels of audit change keys that are not model fields (roles are group memberships).
EXTRA_LABELS = {"roles": _("角色"), "password": _("密码")}


#: A moment as the audit trail stores it (``audit.jsonable``: ISO 8601 with its offset).
_STORED_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")


def _display(value: Any) -> str:
    """A stored before/after value as text: booleans as 是/否, moments in local time as
    ``2026-11-27 19:16``, nothing as an empty string."""
    if isinstance(value, str) and _STORED_MOMENT.match(value):
        moment = dt.datetime.fromisoformat(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    if value is None:
        return ""
    if value is True:
        return str(_("是"))
    if value is False:
        return str(_("否"))
    if isinstance(value, list | tuple):
        return "、".join(_display(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_display(item)}" for key, item in value.items())
    return str(value)


@register.filter
def audit_rows(event) -> list[dict[str, Any]]:
    """The changed fields of an audit event, for display: label, before, after (as text).

    ``before``/``after`` are None when the side is empty, so a template can tell "set" (nothing
    before) and "cleared" (nothing after) apart from a change.
    """
    rows = []
    for key, values in (event.changes or {}).items():
        if not (isinstance(values, list | tuple) and len(values) == 2):
            continue
        label = field_label(event.object_type, key)
        if label == key:
            definition = policy.REGISTRY.get(key)
            label = str(definition.label if definition else EXTRA_LABELS.get(key, key))
        rows.append(
            {
                "label": label,
                "before": _display(values[0]) or None,
                "after": _display(values[1]) or None,
            }
        )
    return rows


@register.filter
def role_label(code: str) -> str:
    """The Chinese name of a role code (a group's name); other group names as they are."""
    return str(Role(code).label) if code in Role.values else code


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    """``mapping[key]``, or None: for lookups by a variable key in templates."""
    return mapping.get(key) if hasattr(mapping, "get") else None
