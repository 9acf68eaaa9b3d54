"""Payments (收款) and their allocation to bills (核销), policy 三(四)3.

A payment posts one RECEIPT row for the whole amount. Allocations then apply parts of it to the
client's open bills — by default the oldest due first; what is not allocated stays as the
client's credit (预收余额) and can be allocated to later bills with :func:`payment_allocate`.
A bounced or mistaken payment is reversed: a negative RECEIPT row and negative allocations undo
it, and the bills it paid owe again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.billing.models import (
    Allocation,
    Bill,
    BillStatus,
    EntryKind,
    LedgerEntry,
    Payment,
    PaymentMethod,
)
from zhangfang.billing.services.ledger import (
    OWING,
    ZERO,
    check_amount,
    lock_account,
    post_entry,
    refresh_account,
    require,
    reverse_entry,
    settled_status,
)
from zhangfang.core import audit
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.numbering import yearly_number

#: Prefix of receipt numbers: SJ2027-0001 (收据).
RECEIPT_PREFIX = "SJ"

PAYMENT_FIELDS = [
    "number",
    "client",
    "method",
    "amount",
    "received_on",
    "payer",
    "reference",
    "note",
    "allocated_amount",
]

AllocationRequest = Iterable[tuple[Bill, Decimal]]


def _owing_bills(client_id: int):
    """The client's bills that still owe, oldest due first (the order auto-allocation uses)."""
    return (
        Bill.objects.select_for_update()
        .filter(client_id=client_id, status__in=OWING)
        .order_by("due_on", "issued_on", "id")
    )


def _plan_allocations(
    *, payment: Payment, available: Decimal, allocations: AllocationRequest | None
) -> list[tuple[Bill, Decimal]]:
    """What to apply to which bill, checked; bills are re-read under lock.

    ``None`` spreads ``available`` over the owing bills, oldest due first. An explicit list is
    checked row by row: the bill belongs to the payment's client and owes money, the amount is
    above zero and at most what the bill owes, no bill twice, and the total at most ``available``.
    """
    if allocations is None:
        plan = []
        remaining = available
        for bill in _owing_bills(payment.client_id):
            if remaining <= 0:
                break
            part = min(remaining, bill.outstanding)
            plan.append((bill, part))
            remaining -= part
        return plan
    requested = list(allocations)
    locked = {
        bill.pk: bill
        for bill in Bill.objects.select_for_update().filter(pk__in=[b.pk for b, _a in requested])
    }
    plan = []
    seen: set[int] = set()
    total = ZERO
    for row, (requested_bill, raw_amount) in enumerate(requested, start=1):
        bill = locked.get(requested_bill.pk)
        number = getattr(requested_bill, "number", "")
        if bill is None or bill.client_id != payment.client_id:
            raise DomainError(
                _("第 %(row)s 行：账单 %(number)s 不属于该客户。") % {"row": row, "number": number}
            )
        if bill.pk in seen:
            raise DomainError(
                _("第 %(row)s 行：账单 %(number)s 重复核销。") % {"row": row, "number": number}
            )
        seen.add(bill.pk)
        if bill.status not in OWING:
            raise DomainError(
                _("第 %(row)s 行：账单 %(number)s 状态为“%(status)s”，不能核销。")
                % {"row": row, "number": bill.number, "status": bill.get_status_display()}
            )
        amount = check_amount(
            raw_amount,
            field=_("第 %(row)s 行（账单 %(number)s）核销金额")
            % {"row": row, "number": bill.number},
        )
        if amount > bill.outstanding:
            raise DomainError(
                _(
                    "第 %(row)s 行：核销金额 %(amount)s 元超过账单 %(number)s 的"
                    "未收金额 %(owing)s 元。"
                )
                % {
                    "row": row,
                    "amount": amount,
                    "number": bill.number,
                    "owing": bill.outstanding,
                }
            )
        total += amount
        plan.append((bill, amount))
    if total > available:
        raise DomainError(
            _("核销合计 %(total)s 元超过可核销金额 %(available)s 元。")
            % {"total": total, "available": available}
        )
    return plan


def _apply(payment: Payment, plan: list[tuple[Bill, Decimal]], by) -> list[Allocation]:
    """Write the allocations of ``plan`` and move the bills' paid amounts and statuses."""
    rows = []
    for bill, amount in plan:
        rows.append(
            Allocation.objects.create(
                payment=payment,
                bill=bill,
                amount=amount,
                created_by=by if getattr(by, "is_authenticated", False) else None,
            )
        )
        bill.paid_amount += amount
        bill.status = settled_status(bill)
        bill.save(update_fields=["paid_amount", "status"])
        payment.allocated_amount += amount
    if rows:
        payment.save(update_fields=["allocated_amount"])
    return rows


def _allocation_text(plan: list[tuple[Bill, Decimal]]) -> str:
    return "；".join(f"{bill.number} {amount}" for bill, amount in plan)


@transaction.atomic
def payment_record(
    *,
    client,
    method: str,
    amount: Decimal,
    received_on: dt.date,
    payer: str = "",
    reference: str = "",
    note: str = "",
    allocations: list[tuple[Bill, Decimal]] | None = None,
    by,
) -> Payment:
    """Record money received from ``client`` and apply it to bills; returns the payment.

    Posts one RECEIPT row for the whole amount, dated ``received_on``. ``allocations=None``
    applies it to the client's owing bills oldest due first; an explicit list (possibly empty)
    applies exactly that, after checking each row. What is not applied stays as the client's
    credit (预收余额). The receipt number (收据编号) is the next of the year received.
    """
    lock_account(client)
    amount = check_amount(amount, field=_("收款金额"))
    require(method in PaymentMethod.values, _("请选择收款方式。"))
    require(received_on is not None, _("请填写收款日期。"))
    require(received_on <= timezone.localdate(), _("收款日期不能晚于今天。"))
    payer, reference, note = (payer or "").strip(), (reference or "").strip(), (note or "").strip()
    require(len(payer) <= 100, _("付款人不能超过 100 个字。"))
    require(len(reference) <= 64, _("交易流水号不能超过 64 个字符。"))
    require(len(note) <= 200, _("备注不能超过 200 个字。"))
    payment = Payment.objects.create(
        number=yearly_number(RECEIPT_PREFIX, received_on.year),
        client=client,
        method=method,
        amount=amount,
        received_on=received_on,
        payer=payer,
        reference=reference,
        note=note,
        received_by=by,
    )
    post_entry(
        client=client,
        kind=EntryKind.RECEIPT,
        amount=amount,
        posted_on=received_on,
        description=_("收款 %(number)s（%(method)s）")
        % {"number": payment.number, "method": payment.get_method_display()},
        payment=payment,
        by=by,
    )
    plan = _plan_allocations(payment=payment, available=amount, allocations=allocations)
    _apply(payment, plan, by)
    refresh_account(client)
    audit.record(
        action="create",
        by=by,
        obj=payment,
        anchor=client,
        changes=audit.created(audit.snapshot(payment, PAYMENT_FIELDS)),
        detail=(_("核销：%(rows)s") % {"rows": _allocation_text(plan)}) if plan else "",
    )
    return payment


def _locked_payment(payment: Payment) -> Payment:
    lock_account(payment.client)
    return Payment.objects.select_for_update().select_related("client").get(pk=payment.pk)


@transaction.atomic
def payment_allocate(
    *, payment: Payment, allocations: list[tuple[Bill, Decimal]] | None = None, by
) -> list[Allocation]:
    """Apply a payment's unallocated remainder (the client's credit) to bills, later.

    ``None`` applies it oldest due first; an explicit list is checked as in payment_record.
    Refused for a reversed payment, one with nothing left, or when no bill owes anything.
    """
    current = _locked_payment(payment)
    if current.is_reversed:
        raise TransitionNotAllowed(
            _("收款 %(number)s 已冲销，不能核销。") % {"number": current.number}
        )
    available = current.unallocated
    require(
        available > 0,
        _("收款 %(number)s 已全部核销，没有预收余额。") % {"number": current.number},
    )
    plan = _plan_allocations(payment=current, available=available, allocations=allocations)
    require(bool(plan), _("该客户没有待收款的账单，无需核销。"))
    before = audit.snapshot(current, ["allocated_amount"])
    rows = _apply(current, plan, by)
    refresh_account(current.client)
    audit.record(
        action="update",
        by=by,
        obj=current,
        anchor=current.client,
        changes=audit.diff(before, audit.snapshot(current, ["allocated_amount"])),
        detail=_("核销预收余额：%(rows)s") % {"rows": _allocation_text(plan)},
    )
    payment.refresh_from_db()
    return rows


@transaction.atomic
def payment_reverse(*, payment: Payment, reason: str, by) -> None:
    """冲销 a bounced or mistaken payment.

    Posts a negative RECEIPT row that reverses the original, writes a negative allocation for
    each allocation still standing (the bills owe again: paid amount and status restored), and
    marks the payment reversed with the reason. The original rows stay as they were.
    """
    current = _locked_payment(payment)
    reason = (reason or "").strip()
    require(bool(reason), _("请填写冲销原因。"))
    require(len(reason) <= 200, _("冲销原因不能超过 200 个字。"))
    if current.is_reversed:
        raise TransitionNotAllowed(_("收款 %(number)s 已冲销。") % {"number": current.number})
    today = timezone.localdate()
    text = _("冲销收款 %(number)s：%(reason)s") % {"number": current.number, "reason": reason}
    for entry in LedgerEntry.objects.filter(
        payment=current, amount__gt=0, reverses__isnull=True, reversed_by__isnull=True
    ).order_by("id"):
        reverse_entry(entry, posted_on=today, description=text, by=by)
    standing = list(
        Allocation.objects.filter(
            payment=current, amount__gt=0, reverses__isnull=True, reversed_by__isnull=True
        ).order_by("id")
    )
    bills = {
        bill.pk: bill
        for bill in Bill.objects.select_for_update().filter(
            pk__in=[row.bill_id for row in standing]
        )
    }
    undone = []
    for row in standing:
        bill = bills[row.bill_id]
        Allocation.objects.create(
            payment=current,
            bill=bill,
            amount=-row.amount,
            reverses=row,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        bill.paid_amount -= row.amount
        if bill.status != BillStatus.VOID:
            bill.status = settled_status(bill)
        bill.save(update_fields=["paid_amount", "status"])
        undone.append((bill, row.amount))
    before = audit.snapshot(current, ["is_reversed", "allocated_amount"])
    current.allocated_amount = ZERO
    current.is_reversed = True
    current.reversal_reason = reason
    current.save(update_fields=["allocated_amount", "is_reversed", "reversal_reason"])
    refresh_account(current.client)
    audit.record(
        action="status",
        by=by,
        obj=current,
        anchor=current.client,
        changes=audit.diff(before, audit.snapshot(current, ["is_reversed", "allocated_amount"])),
        detail=_("冲销原因：%(reason)s") % {"reason": reason}
        + (("；" + _("撤销核销：%(rows)s") % {"rows": _allocation_text(undone)}) if undone else ""),
    )
    payment.refresh_from_db()
