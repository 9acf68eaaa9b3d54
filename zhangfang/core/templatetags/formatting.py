"""Display formats of DESIGN.md: money ``¥1,234.56``, mobiles ``138 0013 8000``, masked IDs."""

from __future__ import annotations

from decimal import Decimal

from django import template

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
