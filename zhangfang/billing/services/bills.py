"""Bills (应收账单): a signed contract's billing schedule, one-off charges, credits and voids.

A contract's schedule is made once, when it is signed: one SERVICE bill per payment cycle over
the term, priced by :func:`zhangfang.contracts.pricing.cycle_charge` so the bills agree with the
quote to the cent, plus the contract's one-off lines (建账费, 工商年报 …) with the first cycle.
A bill whose issue date has come is a receivable at once (status OPEN and a RECEIVABLE ledger
row); a later one waits as SCHEDULED until the daily job ``issue_scheduled_bills`` issues it.

Bill statuses move only here and in the payments services::

    SCHEDULED → OPEN (issued) → PARTIAL ⇄ PAID   (by paid + credited against the amount)
    SCHEDULED / OPEN / PARTIAL / PAID → VOID      (only with nothing paid)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.billing.models import Bill, BillKind, BillStatus, EntryKind, LedgerEntry
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
from zhangfang.clients.models import Client
from zhangfang.contracts.models import CYCLE_MONTHS, FeeKind, FeeUnit
from zhangfang.contracts.pricing import cycle_charge
from zhangfang.core import audit
from zhangfang.core.calendar import add_months
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.numbering import yearly_number

#: The bill kind of a contract's one-off line; add-ons (工商年报 …) are the rest.
ONE_OFF_BILL_KINDS = {FeeKind.SETUP: BillKind.SETUP, FeeKind.LEDGER_BOOK: BillKind.OTHER}

#: Prefix of bill numbers: ZD2027-0001 (账单).
BILL_PREFIX = "ZD"

BILL_FIELDS = [
    "number",
    "client",
    "contract",
    "kind",
    "description",
    "period_start",
    "period_end",
    "issued_on",
    "due_on",
    "list_amount",
    "discount_amount",
    "amount",
    "status",
]

#: Contract statuses in which the schedule may be made: the contracts chapter calls
#: contract_bills_schedule while signing, before or after it moves the status on.
SCHEDULABLE_CONTRACT_STATUSES = ("approved", "signed", "active")


def _new_bill(*, issued_on: dt.date, **fields) -> Bill:
    return Bill.objects.create(
        number=yearly_number(BILL_PREFIX, issued_on.year), issued_on=issued_on, **fields
    )


def _receivable_text(bill: Bill) -> str:
    return _("账单 %(number)s：%(description)s") % {
        "number": bill.number,
        "description": bill.description,
    }


def _issue(bill: Bill, *, by=None) -> LedgerEntry:
    """Make ``bill`` a receivable: status OPEN and its RECEIVABLE row, posted on its issue date."""
    bill.status = BillStatus.OPEN
    bill.save(update_fields=["status"])
    return post_entry(
        client=bill.client,
        kind=EntryKind.RECEIVABLE,
        amount=bill.amount,
        posted_on=bill.issued_on,
        description=_receivable_text(bill),
        bill=bill,
        by=by,
    )


def _period_text(start: dt.date, end: dt.date) -> str:
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%Y-%m}"
    return _("%(start)s 至 %(end)s") % {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}


@transaction.atomic
def contract_bills_schedule(*, contract, by) -> list[Bill]:
    """Make the billing schedule of a signed contract; returns its bills in issue order.

    - One SERVICE bill per payment cycle over the term: cycle ``i`` covers the months from
      ``start_date + i × cycle`` to the day before the next cycle; its amounts come from
      ``cycle_charge`` (monthly fee, cycle months, free months, discount of the contract).
      A cycle that charges nothing (all months free) gets no bill.
    - Each one-off contract line (unit other than 元/月) becomes a bill issued with the first
      cycle: kind SETUP for 建账费, ADDON for the others.
    - ``issued_on`` is the first day of the cycle, but never before the signing date (today when
      the contract has none yet); ``due_on`` is ``payment_due_days`` after it.
    - Bills issued on or before today are receivables at once; the others wait as SCHEDULED.

    Idempotent: when the contract already has bills, nothing is created and they are returned.
    """
    require(
        contract.status in SCHEDULABLE_CONTRACT_STATUSES,
        _("合同 %(number)s 尚未签署，不能生成收费计划。") % {"number": contract.number},
    )
    lock_account(contract.client)
    existing = list(Bill.objects.filter(contract=contract).order_by("issued_on", "id"))
    if existing:
        return existing
    today = timezone.localdate()
    signed_on = contract.signed_on or today
    months = CYCLE_MONTHS[contract.payment_cycle]
    cycles = -(-contract.term_months // months)  # a short last cycle still gets its bill
    due_days = dt.timedelta(days=contract.payment_due_days)
    bills: list[Bill] = []
    first_issue: dt.date | None = None
    for index in range(cycles):
        period_start = add_months(contract.start_date, index * months)
        cycle_months = min(months, contract.term_months - index * months)
        period_end = add_months(contract.start_date, index * months + cycle_months) - dt.timedelta(
            days=1
        )
        charge = cycle_charge(
            monthly_fee=contract.monthly_fee,
            months=cycle_months,
            free_months=min(contract.free_months, cycle_months),
            discount_percent=contract.discount_percent,
        )
        issued_on = max(period_start, signed_on)
        first_issue = first_issue or issued_on
        if charge.amount <= 0:
            continue
        bills.append(
            _new_bill(
                client=contract.client,
                contract=contract,
                kind=BillKind.SERVICE,
                description=_("%(contract)s 代理记账服务费 %(period)s")
                % {"contract": contract.number, "period": _period_text(period_start, period_end)},
                period_start=period_start,
                period_end=period_end,
                issued_on=issued_on,
                due_on=issued_on + due_days,
                list_amount=charge.list_amount,
                discount_amount=charge.discount_amount,
                amount=charge.amount,
                status=BillStatus.SCHEDULED,
                created_by=by,
            )
        )
    first_issue = first_issue or max(contract.start_date, signed_on)
    for line in contract.lines.exclude(unit=FeeUnit.MONTH).order_by("sort_order", "id"):
        if line.amount <= 0:
            continue
        bills.append(
            _new_bill(
                client=contract.client,
                contract=contract,
                kind=ONE_OFF_BILL_KINDS.get(line.kind, BillKind.ADDON),
                description=_("%(contract)s %(name)s")
                % {"contract": contract.number, "name": line.name},
                issued_on=first_issue,
                due_on=first_issue + due_days,
                list_amount=line.amount,
                amount=line.amount,
                status=BillStatus.SCHEDULED,
                created_by=by,
            )
        )
    issued = 0
    for bill in bills:
        if bill.issued_on <= today:
            _issue(bill, by=by)
            issued += 1
    refresh_account(contract.client)
    audit.record(
        action="create",
        by=by,
        obj=contract,
        anchor=contract.client,
        detail=_("生成收费计划：账单 %(count)s 张，合计 %(total)s 元，已开单 %(issued)s 张")
        % {
            "count": len(bills),
            "total": sum((bill.amount for bill in bills), ZERO),
            "issued": issued,
        },
    )
    return sorted(bills, key=lambda bill: (bill.issued_on, bill.pk))


@transaction.atomic
def bills_issue_scheduled(*, today: dt.date) -> int:
    """Issue every SCHEDULED bill whose issue date is on or before ``today``; returns how many.

    The daily job runs it (``by`` is the system). Each bill becomes OPEN with its RECEIVABLE row
    posted on its issue date, and its client's account is refreshed. Idempotent: an issued bill
    is no longer SCHEDULED, so a second run finds nothing.
    """
    client_ids = list(
        Bill.objects.filter(status=BillStatus.SCHEDULED, issued_on__lte=today)
        .values_list("client_id", flat=True)
        .distinct()
        .order_by("client_id")
    )
    issued = 0
    for client_id in client_ids:
        client = Client.objects.get(pk=client_id)
        lock_account(client)
        due = Bill.objects.select_for_update().filter(
            client=client, status=BillStatus.SCHEDULED, issued_on__lte=today
        )
        for bill in due.order_by("issued_on", "id"):
            _issue(bill)
            audit.record(
                action="status",
                by=None,
                obj=bill,
                anchor=client,
                changes={"status": [str(BillStatus.SCHEDULED.label), str(BillStatus.OPEN.label)]},
                detail=_("到期自动开单"),
            )
            issued += 1
        refresh_account(client, today=today)
    return issued


@transaction.atomic
def bill_create(
    *,
    client,
    kind: str,
    description: str,
    amount: Decimal,
    issued_on: dt.date,
    due_on: dt.date,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    contract=None,
    by,
) -> Bill:
    """Bill a one-off or add-on charge (or any charge) to ``client``; posts the receivable.

    An issue date after today makes the bill SCHEDULED (the daily job issues it then); otherwise
    it is OPEN at once with its RECEIVABLE row posted on the issue date.
    """
    lock_account(client)
    amount = check_amount(amount, field=_("应收金额"))
    require(kind in BillKind.values, _("账单类别无效。"))
    description = (description or "").strip()
    require(bool(description), _("请填写摘要。"))
    require(len(description) <= 200, _("摘要不能超过 200 个字。"))
    require(due_on >= issued_on, _("付款期限不能早于开单日期。"))
    if period_start or period_end:
        require(
            period_start is not None and period_end is not None and period_end >= period_start,
            _("服务期止不能早于服务期起，两者须同时填写。"),
        )
    if contract is not None:
        require(contract.client_id == client.pk, _("所选合同不属于该客户。"))
    if kind == BillKind.SERVICE and contract is not None and period_start is not None:
        require(
            not Bill.objects.filter(contract=contract, period_start=period_start, kind=kind)
            .exclude(status=BillStatus.VOID)
            .exists(),
            _("该合同的这一服务期已开过账单。"),
        )
    bill = _new_bill(
        client=client,
        contract=contract,
        kind=kind,
        description=description,
        period_start=period_start,
        period_end=period_end,
        issued_on=issued_on,
        due_on=due_on,
        list_amount=amount,
        amount=amount,
        status=BillStatus.SCHEDULED,
        created_by=by,
    )
    if issued_on <= timezone.localdate():
        _issue(bill, by=by)
    refresh_account(client)
    audit.record(
        action="create",
        by=by,
        obj=bill,
        anchor=client,
        changes=audit.created(audit.snapshot(bill, BILL_FIELDS)),
    )
    return bill


def _locked_bill(bill: Bill) -> Bill:
    """The bill re-read under its client's account lock, so checks see the latest amounts."""
    lock_account(bill.client)
    return Bill.objects.select_for_update().select_related("client").get(pk=bill.pk)


@transaction.atomic
def bill_credit(*, bill: Bill, amount: Decimal, reason: str, by) -> LedgerEntry:
    """减免: forgive part or all of what a bill still owes, with a reason.

    Posts a CREDIT row and adds to the bill's credited amount; a bill fully settled this way is
    PAID. Only issued bills that still owe money, and never more than they owe.
    """
    current = _locked_bill(bill)
    amount = check_amount(amount, field=_("减免金额"))
    reason = (reason or "").strip()
    require(bool(reason), _("请填写减免原因。"))
    if current.status not in OWING:
        raise TransitionNotAllowed(
            _("账单 %(number)s 状态为“%(status)s”，不能减免。")
            % {"number": current.number, "status": current.get_status_display()}
        )
    require(
        amount <= current.outstanding,
        _("减免金额不能超过账单未收金额 %(outstanding)s 元。")
        % {"outstanding": current.outstanding},
    )
    before = audit.snapshot(current, ["credited_amount", "status"])
    entry = post_entry(
        client=current.client,
        kind=EntryKind.CREDIT,
        amount=amount,
        posted_on=timezone.localdate(),
        description=_("账单 %(number)s 减免：%(reason)s")
        % {"number": current.number, "reason": reason},
        bill=current,
        by=by,
    )
    current.credited_amount += amount
    current.status = settled_status(current)
    current.save(update_fields=["credited_amount", "status"])
    refresh_account(current.client)
    audit.record(
        action="update",
        by=by,
        obj=current,
        anchor=current.client,
        changes=audit.diff(before, audit.snapshot(current, ["credited_amount", "status"])),
        detail=_("减免 %(amount)s 元：%(reason)s") % {"amount": amount, "reason": reason},
    )
    bill.refresh_from_db()
    return entry


@transaction.atomic
def bill_void(*, bill: Bill, reason: str, by) -> None:
    """作废 a bill that nothing was paid against (its net allocations are zero).

    An issued bill gets a reversing row for its receivable and for each of its credits (the
    original rows stay), so the ledger nets the bill out; a SCHEDULED bill was never a
    receivable and just becomes VOID. A bill with money allocated to it is refused: reverse the
    payment or re-allocate first.
    """
    current = _locked_bill(bill)
    reason = (reason or "").strip()
    require(bool(reason), _("请填写作废原因。"))
    if current.status == BillStatus.VOID:
        raise TransitionNotAllowed(_("账单 %(number)s 已作废。") % {"number": current.number})
    if current.paid_amount != 0:
        raise DomainError(
            _("账单 %(number)s 已收款 %(paid)s 元，不能作废；请先冲销相关收款。")
            % {"number": current.number, "paid": current.paid_amount}
        )
    before = audit.snapshot(current, ["status", "credited_amount"])
    if current.status != BillStatus.SCHEDULED:
        today = timezone.localdate()
        text = _("账单 %(number)s 作废：%(reason)s") % {"number": current.number, "reason": reason}
        standing = LedgerEntry.objects.filter(
            bill=current, amount__gt=0, reverses__isnull=True, reversed_by__isnull=True
        ).order_by("id")
        for entry in standing:
            reverse_entry(entry, posted_on=today, description=text, by=by)
    current.status = BillStatus.VOID
    # Its credits are reversed with it, so nothing stays forgiven on a void bill.
    current.credited_amount = ZERO
    current.save(update_fields=["status", "credited_amount"])
    refresh_account(current.client)
    audit.record(
        action="status",
        by=by,
        obj=current,
        anchor=current.client,
        changes=audit.diff(before, audit.snapshot(current, ["status", "credited_amount"])),
        detail=_("作废原因：%(reason)s") % {"reason": reason},
    )
    bill.refresh_from_db()


@transaction.atomic
def contract_bills_stop(*, contract, on: dt.date, by) -> list[Bill]:
    """A contract ended early on ``on``: void its scheduled bills for service periods that start
    after that day (they were never receivables). Returns the voided bills.

    Bills already issued stay as they are: whether a prepaid period is refunded or credited is
    finance's decision, made on the bill (credit or void) with a reason.
    """
    stopped = list(
        Bill.objects.filter(
            contract=contract, status=BillStatus.SCHEDULED, period_start__gt=on
        ).order_by("period_start", "id")
    )
    reason = _("合同 %(number)s 于 %(date)s 终止") % {
        "number": contract.number,
        "date": on.isoformat(),
    }
    for bill in stopped:
        bill_void(bill=bill, reason=reason, by=by)
    return stopped
