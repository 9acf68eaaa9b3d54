"""Reads of the price list; every logged-in member of staff may read it (it is published)."""

from __future__ import annotations

from django.db.models import QuerySet

from zhangfang.contracts.models import FeeItem


def fee_item_list(*, active_only: bool = False) -> QuerySet[FeeItem]:
    queryset = FeeItem.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("sort_order", "name")
