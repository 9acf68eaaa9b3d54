"""The demo firm's contracts, bills and payments: a year (or more) of fee history per client.

Written in bulk, not through the services, because the benchmark builds 400,000 ledger entries
and a service call per row would take an hour. The rows obey the same rules the services keep
(checked by ``test_billing_demo.py`` against the services' own ``refresh_account``): every issued
bill has its receivable entry, every payment its receipt entry and allocations, each
``ClientAccount`` equals the sums of its client's entries, and the number series continue after
the highest number written here.

Behaviour is drawn from a seeded random generator: most clients pay on time, some pay late, a few
have stopped paying (their recent bills are overdue), and a few paid too much (a credit).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.db import transaction
from django.utils import timezone

from zhangfang.billing.models import (
    Allocation,
    Bill,
    BillKind,
    BillStatus,
    ClientAccount,
    EntryKind,
    LedgerEntry,
    Payment,
    PaymentMethod,
)
from zhangfang.billing.services.bills import BILL_PREFIX
from zhangfang.billing.services.payments import RECEIPT_PREFIX
from zhangfang.clients.models import Client, ClientStatus
from zhangfang.contracts.models import (
    CYCLE_MONTHS,
    Contract,
    ContractLine,
    ContractStatus,
    ContractTemplate,
    FeeKind,
    FeeUnit,
    PaymentTerm,
)
from zhangfang.contracts.pricing import bookkeeping_item, cycle_charge, price_list_on
from zhangfang.core.calendar import add_months
from zhangfang.core.models import NumberSequence
from zhangfang.staff.models import User

BATCH_SIZE = 2000
CONTRACT_PREFIX = "HT"
ZERO = Decimal(0)

#: Share of clients by how they pay.
_ON_TIME, _LATE, _STOPPED, _OVERPAID = "on_time", "late", "stopped", "overpaid"
_BEHAVIOUR = [(_ON_TIME, 80), (_LATE, 10), (_STOPPED, 6), (_OVERPAID, 4)]
_CYCLES = [("monthly", 70), ("quarterly", 20), ("annual", 10)]
_METHODS = [
    (PaymentMethod.BANK, 60),
    (PaymentMethod.WECHAT, 20),
    (PaymentMethod.ALIPAY, 15),
    (PaymentMethod.CASH, 5),
]


def _weighted(rng: random.Random, pairs: list[tuple]) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


@dataclass
class _Numbers:
    """Per-year serials of each series, written to ``NumberSequence`` at the end."""

    last: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def next(self, prefix: str, year: int, width: int = 4) -> str:
        key = f"{prefix}:{year}"
        self.last[key] += 1
        return f"{prefix}{year}-{self.last[key]:0{width}d}"

    def save(self) -> None:
        for key, value in self.last.items():
            sequence, _created = NumberSequence.objects.get_or_create(key=key)
            if sequence.last_value < value:
                NumberSequence.objects.filter(key=key).update(last_value=value)


def _pick_terms() -> dict[str, PaymentTerm]:
    terms = {}
    for term in PaymentTerm.objects.filter(is_active=True).order_by("sort_order", "id"):
        if term.cycle == "annual" and term.discount_percent > 0:
            terms.setdefault("annual", term)
        elif term.cycle in ("monthly", "quarterly"):
            terms.setdefault(term.cycle, term)
    return terms


def build_demo_billing(
    *,
    history_months: int = 12,
    seed: int = 2026,
    today: dt.date | None = None,
    render_bodies: bool = True,
    stdout: IO[str] | None = None,
) -> dict[str, int]:
    """Give every client in service a contract started ``history_months`` ago, its bills up to
    today, and payments; returns counts. Does nothing for clients that already have a contract.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    today = today or timezone.localdate()
    terms = _pick_terms()
    if not {"monthly", "quarterly", "annual"} <= terms.keys():
        raise RuntimeError("demo billing needs the default payment terms (migrate first)")
    template = ContractTemplate.objects.filter(is_default=True, is_active=True).first()
    setup_item = price_list_on(today).filter(kind=FeeKind.SETUP).first()
    finance = User.objects.filter(groups__name="finance", is_active=True).order_by("id").first()
    fallback_owner = User.objects.filter(is_active=True).order_by("id").first()
    clients = list(
        Client.objects.filter(status=ClientStatus.ACTIVE, contracts__isnull=True)
        .select_related("sales_owner")
        .order_by("id")
    )
    # Monthly fees come from the price list in force, once per taxpayer type and voucher volume.
    fees: dict[tuple[str, int], Decimal] = {}
    first_month = add_months(dt.date(today.year, today.month, 1), -(history_months - 1))
    numbers = _Numbers()
    for key, value in NumberSequence.objects.values_list("key", "last_value"):
        numbers.last[key] = value

    with transaction.atomic():
        contracts: list[Contract] = []
        plans: dict[int, dict] = {}
        for acme in clients:
            vouchers = rng.choice([10, 40, 80, 150, 250, 400])
            key = (acme.taxpayer_type, vouchers)
            if key not in fees:
                item = bookkeeping_item(
                    taxpayer_type=acme.taxpayer_type, monthly_vouchers=vouchers, on=first_month
                )
                fees[key] = item.amount if item else Decimal(300)
            cycle = _weighted(rng, _CYCLES)
            term = terms[cycle]
            # Most contracts run two years (longer when the history is); one in ten runs one year
            # and ends about now, so the renewal reminders have something to remind of.
            short = rng.random() < 0.1
            term_months = 12 if short else max(24, 12 * (history_months // 12 + 1))
            start = first_month if not short else add_months(first_month, history_months - 12)
            start = max(start, first_month)
            end = add_months(start, term_months) - dt.timedelta(days=1)
            signed_on = start - dt.timedelta(days=rng.randint(3, 20))
            owner = acme.sales_owner or fallback_owner
            charge = cycle_charge(
                monthly_fee=fees[key],
                months=CYCLE_MONTHS[cycle],
                free_months=term.free_months,
                discount_percent=term.discount_percent,
            )
            setup_fee = setup_item.amount if setup_item and rng.random() < 0.5 else ZERO
            contract = Contract(
                number=numbers.next(CONTRACT_PREFIX, signed_on.year),
                client=acme,
                status=ContractStatus.ACTIVE if end >= today else ContractStatus.EXPIRED,
                start_date=start,
                end_date=end,
                term_months=term_months,
                payment_term=term,
                payment_cycle=cycle,
                discount_percent=term.discount_percent,
                free_months=term.free_months,
                payment_due_days=term.due_days,
                payment_method="银行转账",
                monthly_fee=fees[key],
                one_off_total=setup_fee,
                total_amount=charge.amount * (term_months // CYCLE_MONTHS[cycle]) + setup_fee,
                owner=owner,
                department_id=acme.department_id,
                template=template,
                submitted_at=_at(signed_on - dt.timedelta(days=2)),
                reviewed_at=_at(signed_on - dt.timedelta(days=1)),
                signed_on=signed_on,
                created_by=owner,
            )
            contracts.append(contract)
            plans[acme.pk] = {
                "vouchers": vouchers,
                "charge": charge,
                "setup_fee": setup_fee,
                "behaviour": _weighted(rng, _BEHAVIOUR),
            }
        Contract.objects.bulk_create(contracts, batch_size=BATCH_SIZE)
        lines = []
        for contract in contracts:
            plan = plans[contract.client_id]
            lines.append(
                ContractLine(
                    contract=contract,
                    name="代理记账",
                    kind=FeeKind.BOOKKEEPING,
                    unit=FeeUnit.MONTH,
                    unit_price=contract.monthly_fee,
                    quantity=Decimal(1),
                    amount=contract.monthly_fee,
                    sort_order=10,
                )
            )
            if plan["setup_fee"]:
                lines.append(
                    ContractLine(
                        contract=contract,
                        fee_item=setup_item,
                        name=setup_item.name,
                        kind=FeeKind.SETUP,
                        unit=FeeUnit.ONCE,
                        unit_price=plan["setup_fee"],
                        quantity=Decimal(1),
                        amount=plan["setup_fee"],
                        sort_order=20,
                    )
                )
        ContractLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)
        if render_bodies and template is not None:
            _render_bodies(contracts, template)

        bills: list[Bill] = []
        for contract in contracts:
            bills.extend(_schedule(contract, plans[contract.client_id], numbers, today, finance))
        Bill.objects.bulk_create(bills, batch_size=BATCH_SIZE)
        entries, payments, allocations = _pay(bills, plans, numbers, today, rng, finance)
        # Related rows are written after the rows they point to, so their ids are known.
        Payment.objects.bulk_create(payments, batch_size=BATCH_SIZE)
        Allocation.objects.bulk_create(allocations, batch_size=BATCH_SIZE)
        Bill.objects.bulk_update(
            [b for b in bills if b.paid_amount], ["paid_amount", "status"], batch_size=BATCH_SIZE
        )
        LedgerEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        _accounts(contracts, bills, payments, entries, today)
        numbers.save()
    counts = {
        "contracts": len(contracts),
        "bills": len(bills),
        "payments": len(payments),
        "ledger_entries": len(entries),
    }
    if stdout is not None:
        stdout.write(
            f"收费演示数据：合同 {counts['contracts']} 份，账单 {counts['bills']} 张，"
            f"收款 {counts['payments']} 笔，台账分录 {counts['ledger_entries']} 条"
            f"（{time.perf_counter() - started:.1f} 秒）\n"
        )
    return counts


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def _render_bodies(contracts: list[Contract], template: ContractTemplate) -> None:
    from zhangfang.contracts import templating

    for contract in contracts:
        contract.body = templating.render(template.body, templating.contract_values(contract))
    Contract.objects.bulk_update(contracts, ["body"], batch_size=500)


def _schedule(contract: Contract, plan: dict, numbers: _Numbers, today, finance) -> list[Bill]:
    """The contract's bills as the billing schedule makes them: one per cycle, plus 建账费."""
    months = CYCLE_MONTHS[contract.payment_cycle]
    due = dt.timedelta(days=contract.payment_due_days)
    charge = plan["charge"]
    bills = []
    for index in range(contract.term_months // months):
        period_start = add_months(contract.start_date, index * months)
        period_end = add_months(contract.start_date, (index + 1) * months) - dt.timedelta(days=1)
        issued_on = max(period_start, contract.signed_on)
        bills.append(
            Bill(
                number=numbers.next(BILL_PREFIX, issued_on.year),
                client_id=contract.client_id,
                contract=contract,
                kind=BillKind.SERVICE,
                description=f"{contract.number} 代理记账服务费 {period_start:%Y-%m}"
                + (f" 至 {period_end:%Y-%m}" if months > 1 else ""),
                period_start=period_start,
                period_end=period_end,
                issued_on=issued_on,
                due_on=issued_on + due,
                list_amount=charge.list_amount,
                discount_amount=charge.discount_amount,
                amount=charge.amount,
                status=BillStatus.OPEN if issued_on <= today else BillStatus.SCHEDULED,
                created_by=finance,
            )
        )
    if plan["setup_fee"]:
        first = bills[0].issued_on
        bills.insert(
            0,
            Bill(
                number=numbers.next(BILL_PREFIX, first.year),
                client_id=contract.client_id,
                contract=contract,
                kind=BillKind.SETUP,
                description=f"{contract.number} 建账费",
                issued_on=first,
                due_on=first + due,
                list_amount=plan["setup_fee"],
                amount=plan["setup_fee"],
                status=BillStatus.OPEN if first <= today else BillStatus.SCHEDULED,
                created_by=finance,
            ),
        )
    return bills


def _pay(bills, plans, numbers, today, rng, finance):
    """Receivable entries for issued bills; payments, allocations and receipt entries."""
    entries: list[LedgerEntry] = []
    payments: list[Payment] = []
    allocations: list[Allocation] = []
    by_client: dict[int, list[Bill]] = defaultdict(list)
    for bill in bills:
        if bill.status == BillStatus.SCHEDULED:
            continue
        by_client[bill.client_id].append(bill)
        entries.append(
            LedgerEntry(
                client_id=bill.client_id,
                kind=EntryKind.RECEIVABLE,
                amount=bill.amount,
                posted_on=bill.issued_on,
                description=bill.description,
                bill=bill,
                created_by=finance,
            )
        )
    for client_id, issued in by_client.items():
        behaviour = plans[client_id]["behaviour"]
        stop_after = len(issued) - rng.randint(2, 4) if behaviour == _STOPPED else len(issued)
        for index, bill in enumerate(issued):
            if index >= stop_after:
                continue
            delay = rng.randint(0, 9) if behaviour != _LATE else rng.randint(15, 75)
            received_on = bill.issued_on + dt.timedelta(days=delay)
            if received_on > today:
                continue  # not paid yet: open, or overdue when past due
            extra = Decimal(100) if behaviour == _OVERPAID and index == len(issued) - 1 else ZERO
            payment = Payment(
                number=numbers.next(RECEIPT_PREFIX, received_on.year),
                client_id=client_id,
                method=_weighted(rng, _METHODS),
                amount=bill.amount + extra,
                allocated_amount=bill.amount,
                received_on=received_on,
                reference=f"{rng.randrange(10**15, 10**16)}",
                received_by=finance,
            )
            payments.append(payment)
            allocations.append(
                Allocation(payment=payment, bill=bill, amount=bill.amount, created_by=finance)
            )
            bill.paid_amount = bill.amount
            bill.status = BillStatus.PAID
            entries.append(
                LedgerEntry(
                    client_id=client_id,
                    kind=EntryKind.RECEIPT,
                    amount=payment.amount,
                    posted_on=received_on,
                    description=f"收款 {payment.number}（{bill.number}）",
                    payment=payment,
                    created_by=finance,
                )
            )
    entries.sort(key=lambda entry: (entry.posted_on, entry.kind != EntryKind.RECEIVABLE))
    return entries, payments, allocations


def _accounts(contracts, bills, payments, entries, today) -> None:
    """One ClientAccount per client, by the same rules as ``refresh_account``."""
    totals: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in entries:
        totals[entry.client_id][entry.kind] += entry.amount
    for payment in payments:
        totals[payment.client_id]["unallocated"] += payment.amount - payment.allocated_amount
    service: dict[int, list[Bill]] = defaultdict(list)
    oldest: dict[int, dt.date] = {}
    for bill in bills:
        if bill.kind == BillKind.SERVICE:
            service[bill.client_id].append(bill)
        if bill.status in (BillStatus.OPEN, BillStatus.PARTIAL) and bill.due_on < today:
            current = oldest.get(bill.client_id)
            oldest[bill.client_id] = min(current, bill.due_on) if current else bill.due_on
    accounts = []
    for contract in contracts:
        client_id = contract.client_id
        paid_through = None
        for bill in sorted(service[client_id], key=lambda b: b.period_start):
            if bill.status != BillStatus.PAID:
                break
            paid_through = bill.period_end
        sums = totals[client_id]
        receivable = sums[EntryKind.RECEIVABLE]
        receipt = sums[EntryKind.RECEIPT]
        credit = sums[EntryKind.CREDIT]
        accounts.append(
            ClientAccount(
                client_id=client_id,
                receivable_total=receivable,
                receipt_total=receipt,
                credit_total=credit,
                balance=receivable - receipt - credit,
                unallocated=sums["unallocated"],
                paid_through=paid_through,
                oldest_overdue_on=oldest.get(client_id),
            )
        )
    ClientAccount.objects.bulk_create(accounts, batch_size=BATCH_SIZE)
