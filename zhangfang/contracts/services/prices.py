"""Writes to the price list (收费标准) and the payment terms (付款方式): finance and administrators
keep them; every change is audited and refused if someone else saved first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.contracts.models import CYCLE_MONTHS, FeeItem, FeeKind, PaymentTerm
from zhangfang.contracts.selectors.prices import tier_label
from zhangfang.core import audit
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError

FEE_ITEM_FIELDS = [
    "name",
    "kind",
    "unit",
    "amount",
    "taxpayer_type",
    "industry",
    "voucher_min",
    "voucher_max",
    "effective_from",
    "effective_to",
    "description",
    "is_active",
    "sort_order",
]

PAYMENT_TERM_FIELDS = [
    "name",
    "cycle",
    "discount_percent",
    "free_months",
    "due_days",
    "description",
    "is_active",
    "sort_order",
]

STALE_FEE_ITEM = gettext_lazy(
    "保存失败：在您编辑期间，其他人已修改了此收费项目。您填写的内容仍在下方，请核对后重新保存。"
)
STALE_PAYMENT_TERM = gettext_lazy(
    "保存失败：在您编辑期间，其他人已修改了此付款方式。您填写的内容仍在下方，请核对后重新保存。"
)


# -- fee items ------------------------------------------------------------------------------


def _periods_overlap(item: FeeItem) -> Q:
    """Lines whose effective period shares at least one day with ``item``'s."""
    overlap = Q(effective_to__isnull=True) | Q(effective_to__gte=item.effective_from)
    if item.effective_to is not None:
        overlap &= Q(effective_from__lte=item.effective_to)
    return overlap


def _tiers_overlap(item: FeeItem) -> Q:
    """Lines whose voucher tier shares at least one voucher count with ``item``'s."""
    low = item.voucher_min or 0
    overlap = Q(voucher_max__isnull=True) | Q(voucher_max__gte=low)
    if item.voucher_max is not None:
        overlap &= Q(voucher_min__isnull=True) | Q(voucher_min__lte=item.voucher_max)
    return overlap


def _check_fee_item(item: FeeItem) -> None:
    """The rules a line must keep, each refusal naming the field to correct."""
    if item.kind == FeeKind.SURCHARGE and not item.industry:
        raise DomainError(_("行业加价须选择适用行业。"), field="industry")
    if (
        item.voucher_min is not None
        and item.voucher_max is not None
        and item.voucher_min > item.voucher_max
    ):
        raise DomainError(_("凭证量上限不能小于下限。"), field="voucher_max")
    if item.effective_to is not None and item.effective_to < item.effective_from:
        raise DomainError(_("失效日期不能早于生效日期。"), field="effective_to")
    if (
        FeeItem.objects.filter(name=item.name, effective_from=item.effective_from)
        .exclude(pk=item.pk)
        .exists()
    ):
        raise _duplicate(item)
    if item.kind == FeeKind.BOOKKEEPING and item.is_active:
        # Two bookkeeping lines of one taxpayer type whose tiers overlap on the same days would
        # make the price of a client depend on the order of the list; refuse the second.
        clash = (
            FeeItem.objects.filter(
                kind=FeeKind.BOOKKEEPING, is_active=True, taxpayer_type=item.taxpayer_type
            )
            .filter(_periods_overlap(item) & _tiers_overlap(item))
            .exclude(pk=item.pk)
            .order_by("sort_order", "name")
            .first()
        )
        if clash is not None:
            raise DomainError(
                _("凭证量区间与同期有效的“%(name)s”（%(tier)s）重叠。")
                % {"name": clash.name, "tier": tier_label(clash)},
                field="voucher_min",
            )


def _duplicate(item: FeeItem) -> DomainError:
    return DomainError(
        _("收费项目“%(name)s”在 %(date)s 起已有一条价格。")
        % {"name": item.name, "date": item.effective_from.isoformat()},
        field="name",
    )


def _save_fee_item(item: FeeItem) -> None:
    _check_fee_item(item)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:  # someone saved the same name and date at the same moment
        raise _duplicate(item) from exc


@transaction.atomic
def fee_item_create(*, data: dict[str, Any], by) -> FeeItem:
    """Add a line to the price list."""
    item = FeeItem(**data)
    _save_fee_item(item)
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
        message=str(STALE_FEE_ITEM),
    )
    before = audit.snapshot(current, FEE_ITEM_FIELDS)
    apply_edit(current, data)
    _save_fee_item(current)
    changes = audit.diff(before, audit.snapshot(current, FEE_ITEM_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


@transaction.atomic
def fee_item_change_price(
    *,
    item: FeeItem,
    amount: Decimal,
    effective_from: dt.date,
    expected_version: int | None,
    by,
) -> FeeItem:
    """A price change (调价): the line ends the day before ``effective_from`` and a copy with the
    new amount starts on it, so quotes and contracts made before keep the price they were made
    with. Returns the new line.
    """
    current = lock_version(
        FeeItem,
        pk=item.pk,
        version=item.version if expected_version is None else expected_version,
        message=str(STALE_FEE_ITEM),
    )
    if effective_from <= current.effective_from:
        raise DomainError(
            _("调价日期须晚于现价的生效日期 %(date)s。")
            % {"date": current.effective_from.isoformat()},
            field="effective_from",
        )
    if current.effective_to is not None and effective_from > current.effective_to:
        raise DomainError(
            _("现价已于 %(date)s 失效，不能在此之后调价；请添加新的收费项目。")
            % {"date": current.effective_to.isoformat()},
            field="effective_from",
        )
    if amount == current.amount:
        raise DomainError(_("新价格与现价相同。"), field="amount")
    old_end = current.effective_to
    successor = FeeItem(
        **{name: getattr(current, name) for name in FEE_ITEM_FIELDS},
    )
    successor.amount = amount
    successor.effective_from = effective_from
    successor.effective_to = old_end
    # The old line is shortened first, so the new line's tier does not clash with it.
    current.effective_to = effective_from - dt.timedelta(days=1)
    current.version += 1
    current.save(update_fields=["effective_to", "version", "updated_at"])
    _save_fee_item(successor)
    audit.record(
        action="price_change",
        by=by,
        obj=current,
        changes={
            "amount": [
                audit.snapshot(current, ["amount"])["amount"],
                audit.snapshot(successor, ["amount"])["amount"],
            ],
            "effective_to": [
                old_end.isoformat() if old_end else None,
                current.effective_to.isoformat(),
            ],
        },
        detail=_("新价格自 %(date)s 起执行") % {"date": effective_from.isoformat()},
    )
    return successor


# -- payment terms ----------------------------------------------------------------------------


def _check_payment_term(term: PaymentTerm) -> None:
    if term.discount_percent is None or not (0 <= term.discount_percent < 100):
        raise DomainError(_("折扣须在 0 到 100 之间（不含 100）。"), field="discount_percent")
    months = CYCLE_MONTHS[term.cycle]
    if term.free_months >= months:
        raise DomainError(
            _("赠送月数须少于一个付款周期的月数（%(months)s 个月）。") % {"months": months},
            field="free_months",
        )
    if PaymentTerm.objects.filter(name=term.name).exclude(pk=term.pk).exists():
        raise _duplicate_term(term)


def _duplicate_term(term: PaymentTerm) -> DomainError:
    return DomainError(_("付款方式“%(name)s”已存在。") % {"name": term.name}, field="name")


def _save_payment_term(term: PaymentTerm) -> None:
    _check_payment_term(term)
    try:
        with transaction.atomic():
            term.save()
    except IntegrityError as exc:  # the same name saved at the same moment
        raise _duplicate_term(term) from exc


@transaction.atomic
def payment_term_create(*, data: dict[str, Any], by) -> PaymentTerm:
    """Add a payment term (e.g. 年付九折) that quotes and plans may offer."""
    term = PaymentTerm(**data)
    _save_payment_term(term)
    audit.record(
        action="create",
        by=by,
        obj=term,
        changes=audit.created(audit.snapshot(term, PAYMENT_TERM_FIELDS)),
    )
    return term


@transaction.atomic
def payment_term_update(
    *, term: PaymentTerm, data: dict[str, Any], expected_version: int | None, by
) -> PaymentTerm:
    """Change a payment term, refusing a save based on an older version.

    Contracts copy the cycle, discount and free months when drafted, so a change here never
    alters what a signed contract bills.
    """
    current = lock_version(
        PaymentTerm,
        pk=term.pk,
        version=term.version if expected_version is None else expected_version,
        message=str(STALE_PAYMENT_TERM),
    )
    before = audit.snapshot(current, PAYMENT_TERM_FIELDS)
    apply_edit(current, data)
    _save_payment_term(current)
    changes = audit.diff(before, audit.snapshot(current, PAYMENT_TERM_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current
