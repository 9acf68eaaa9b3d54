"""Every write of market research (policy 二(一)1): competitors, their prices, research notes.

All audited: a competitor's own changes and those of its price items are anchored on the
competitor, so its page shows one history.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zhangfang.core import audit
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.leads.models import Competitor, CompetitorPrice, MarketNote, PriceUnit
from zhangfang.leads.selectors.research import normalize_item

COMPETITOR_AUDIT_FIELDS = [
    "name",
    "services",
    "strengths",
    "weaknesses",
    "source",
    "observed_on",
    "notes",
]
NOTE_AUDIT_FIELDS = ["title", "observed_on", "body"]


def _duplicate_name(name: str) -> DomainError:
    return DomainError(_("竞争对手：“%(name)s”已登记。") % {"name": name})


def _save_competitor(competitor: Competitor) -> None:
    try:
        with transaction.atomic():
            competitor.save()
    except IntegrityError as exc:
        # The unique name index decides when two people register the same competitor at once.
        if Competitor.objects.filter(name=competitor.name).exclude(pk=competitor.pk).exists():
            raise _duplicate_name(competitor.name) from exc
        raise


@transaction.atomic
def competitor_create(*, data: dict[str, Any], by) -> Competitor:
    """Register a competitor (its price items are added on its page); audited as a creation."""
    if Competitor.objects.filter(name=data.get("name", "")).exists():
        raise _duplicate_name(data["name"])
    competitor = Competitor(**data)
    _save_competitor(competitor)
    audit.record(
        action="create",
        by=by,
        obj=competitor,
        changes=audit.created(audit.snapshot(competitor, COMPETITOR_AUDIT_FIELDS)),
    )
    return competitor


@transaction.atomic
def competitor_update(
    *, competitor: Competitor, data: dict[str, Any], expected_version: int | None, by
) -> Competitor:
    """Save edits to a competitor made on the version the user opened; refuse if someone else
    saved in between (the user's input is then shown again for them to check)."""
    current = lock_version(
        Competitor,
        pk=competitor.pk,
        version=competitor.version if expected_version is None else expected_version,
        message=_("保存失败：在您编辑期间，其他人已修改了此竞争对手。请核对最新信息后重新保存。"),
    )
    if (
        Competitor.objects.filter(name=data.get("name", current.name))
        .exclude(pk=current.pk)
        .exists()
    ):
        raise _duplicate_name(data["name"])
    before = audit.snapshot(current, COMPETITOR_AUDIT_FIELDS)
    apply_edit(current, data)
    _save_competitor(current)
    changes = audit.diff(before, audit.snapshot(current, COMPETITOR_AUDIT_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


@transaction.atomic
def competitor_delete(*, competitor: Competitor, by) -> None:
    """Remove a competitor with its price items; the audit keeps what it held."""
    values = audit.snapshot(competitor, COMPETITOR_AUDIT_FIELDS)
    prices = list(competitor.prices.all())
    if prices:
        values["prices"] = "；".join(_price_text(p) for p in prices)
    audit.record(action="delete", by=by, obj=competitor, changes=audit.deleted(values))
    competitor.delete()


def _price_text(price: CompetitorPrice) -> str:
    unit = PriceUnit(price.unit).label if price.unit in PriceUnit.values else price.unit
    text = f"{price.item} ¥{price.amount:,.2f} {unit}"
    return f"{text}（{price.notes}）" if price.notes else text


def _check_row(number: int, row: dict[str, Any]) -> None:
    """The rules the form checks, again, because a service must not trust its caller."""
    item = (row.get("item") or "").strip()
    if not item:
        raise DomainError(_("第 %(row)s 行：请填写收费项目。") % {"row": number})
    amount = row.get("amount")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise DomainError(_("第 %(row)s 行：金额必须是数字。") % {"row": number})
    if amount < 0:
        raise DomainError(_("第 %(row)s 行：金额不能为负数。") % {"row": number})
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("第 %(row)s 行：金额最多保留两位小数（到分）。") % {"row": number})
    if row.get("unit") not in PriceUnit.values:
        raise DomainError(_("第 %(row)s 行：请选择有效的计价单位。") % {"row": number})


@transaction.atomic
def competitor_prices_save(
    *, competitor: Competitor, rows: list[dict[str, Any]], expected_version: int | None, by
) -> int:
    """Replace the price items of ``competitor`` with ``rows``, all or nothing.

    Each row is ``{"id", "item", "amount", "unit", "notes"}``: a row with the ``id`` of one of
    this competitor's items updates it, a row without ``id`` adds an item, and an existing item
    not among the rows is removed. An ``id`` of another competitor's item is refused. One audit
    event (anchored on the competitor) lists what was added, changed and removed; nothing is
    recorded when nothing changed. Returns the number of items changed.

    The competitor's ``version`` covers its price list too: a save based on a version someone
    else has since changed is refused, so two people editing prices never silently undo each
    other's rows.
    """
    version = competitor.version if expected_version is None else expected_version
    current = Competitor.objects.select_for_update().filter(pk=competitor.pk).first()
    if current is None or current.version != version:
        raise ConcurrentEditError(
            _("保存失败：在您编辑期间，其他人已修改了此竞争对手的价格。请刷新页面后重新填写。")
        )
    existing = {p.pk: p for p in CompetitorPrice.objects.filter(competitor=competitor)}
    seen: set[tuple[str, str]] = set()
    kept: set[int] = set()
    for number, row in enumerate(rows, start=1):
        _check_row(number, row)
        key = (normalize_item(row["item"]), row["unit"])
        if key in seen:
            raise DomainError(
                _("第 %(row)s 行：收费项目“%(item)s”重复。") % {"row": number, "item": row["item"]}
            )
        seen.add(key)
        if row.get("id") is not None:
            if row["id"] not in existing:
                raise DomainError(
                    _("第 %(row)s 行：该价格已被他人删除，请刷新页面。") % {"row": number}
                )
            kept.add(row["id"])

    changes: dict[str, list[Any]] = {}
    for price_id, price in existing.items():
        if price_id not in kept:
            changes[f"删除 {price.item}"] = [_price_text(price), None]
            price.delete()
    for row in rows:
        values = {
            "item": " ".join(row["item"].split()),
            "amount": row["amount"],
            "unit": row["unit"],
            "notes": (row.get("notes") or "").strip(),
        }
        if row.get("id") is None:
            price = CompetitorPrice.objects.create(competitor=competitor, **values)
            changes[f"新增 {price.item}"] = [None, _price_text(price)]
            continue
        price = existing[row["id"]]
        before = _price_text(price)
        if any(getattr(price, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(price, name, value)
            price.save()
            changes[f"修改 {price.item}"] = [before, _price_text(price)]
    if changes:
        audit.record(
            action="update",
            by=by,
            obj=competitor,
            changes=changes,
            detail=_("收费项目"),
        )
        Competitor.objects.filter(pk=competitor.pk).update(version=version + 1)
        competitor.version = version + 1
    return len(changes)


@transaction.atomic
def market_note_create(*, data: dict[str, Any], by) -> MarketNote:
    """Record a dated research note on market trends; the author is the user."""
    note = MarketNote.objects.create(author=by, **data)
    audit.record(
        action="create",
        by=by,
        obj=note,
        changes=audit.created(audit.snapshot(note, NOTE_AUDIT_FIELDS)),
    )
    return note


@transaction.atomic
def market_note_update(*, note: MarketNote, data: dict[str, Any], by) -> MarketNote:
    """Correct a research note; audited with what changed."""
    current = MarketNote.objects.select_for_update().get(pk=note.pk)
    before = audit.snapshot(current, NOTE_AUDIT_FIELDS)
    for name, value in data.items():
        setattr(current, name, value)
    current.save()
    changes = audit.diff(before, audit.snapshot(current, NOTE_AUDIT_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


@transaction.atomic
def market_note_delete(*, note: MarketNote, by) -> None:
    """Remove a research note; the audit keeps its text."""
    audit.record(
        action="delete",
        by=by,
        obj=note,
        changes=audit.deleted(audit.snapshot(note, NOTE_AUDIT_FIELDS)),
    )
    note.delete()
