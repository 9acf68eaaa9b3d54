"""Display formats of DESIGN.md: money ``¥1,234.56``, mobiles ``138 0013 8000``, masked IDs."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from django import template
from django.utils import translation

from zhangfang.core import crypto, money, validators

register = template.Library()


@register.filter
def mobile(value: str) -> str:
    return validators.format_mobile(value) if value else ""


@register.filter
def rmb(value: Decimal | None) -> str:
    return money.format_rmb(value) if value is not None else ""


@register.filter
def rmb_upper(value: Decimal | None) -> str:
    return money.rmb_upper(value) if value is not None else ""


@lru_cache(maxsize=256)
def _choice_labels(model: type, field: str, language: str) -> dict[str, str]:
    return {str(value): str(label) for value, label in model._meta.get_field(field).flatchoices}


@register.filter
def display(obj, field: str) -> str:
    """``{{ c|display:"industry" }}``: the label of a choice field, like ``get_FOO_display``.

    Django's ``get_FOO_display`` rebuilds a dict of translated labels on every call; in a table
    of 25 rows that is hundreds of translations per page, so lists use this cached lookup.
    """
    value = getattr(obj, field)
    labels = _choice_labels(type(obj), field, translation.get_language() or "")
    return labels.get(str(value), value if value is not None else "")


@register.filter
def masked(value: str) -> str:
    return crypto.mask(value or "")


#: Bootstrap colour of a status badge, by status code, shared by every chapter's statuses.
STATUS_COLOURS = {
    "prospect": "secondary",
    "active": "success",
    "suspended": "warning",
    "terminated": "dark",
}


@register.filter
def status_colour(code: str) -> str:
    return STATUS_COLOURS.get(code, "secondary")
