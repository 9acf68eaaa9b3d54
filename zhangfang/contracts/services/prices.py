"""Writes to the price list: finance and administrators keep it; every change is audited."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zhangfang.contracts.models import FeeItem
from zhangfang.core import audit
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError

FEE_ITEM_FIELDS = [
    "name",
    "unit",
    "amount",
    "taxpayer_type",
    "description",
    "is_active",
    "sort_order",
]


def _duplicate(name: str) -> DomainError:
    return DomainError(_("收费项目“%(name)s”已存在。") % {"name": name})


def _save(item: FeeItem) -> None:
    if FeeItem.objects.filter(name=item.name).exclude(pk=item.pk).exists():
        raise _duplicate(item.name)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:  # someone saved the same name at the same moment
        raise _duplicate(item.name) from exc


@transaction.atomic
def fee_item_create(*, data: dict[str, Any], by) -> FeeItem:
    """Add a line to the price list."""
    item = FeeItem(**data)
    _save(item)
    audit.record(
        action="create",
        by=by,
        obj=item,
        changes=audit.created(audit.snapshot(item, FEE_ITEM_FIELDS)),
    )
    return item


@transaction.atomic
def fee_item_update(
    *, item: FeeItem, data: dict[str, Any], expected_version: int | None, by
) -> FeeItem:
    """Change a line of the price list, refusing a save based on an older version."""
    current = lock_version(
        FeeItem,
        pk=item.pk,
        version=item.version if expected_version is None else expected_version,
        message=_(
            "保存失败：在您编辑期间，其他人已修改了此收费项目。您填写的内容仍在下方，请核对后重新保存。"
        ),
    )
    before = audit.snapshot(current, FEE_ITEM_FIELDS)
    apply_edit(current, data)
    _save(current)
    changes = audit.diff(before, audit.snapshot(current, FEE_ITEM_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current
