"""Helpers that build billing data through the services (never by writing ledger rows), so the
accounts and ledger identities hold in every test that uses them.

- ``finance_user()``: a 财务 user (sees and bills every client).
- ``issued_bill(acme, amount, due_on)``: an OPEN bill, receivable posted.
- ``paid_bill(...)``/``received_payment(...)``: a payment recorded (and allocated).
- ``signed_contract(...)``: a contract in status 已签署 with its schedule made.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from zhangfang.billing.models import Bill, BillKind, Payment, PaymentMethod
from zhangfang.billing.services.bills import bill_create, contract_bills_schedule
from zhangfang.billing.services.payments import payment_record
from zhangfang.contracts.models import ContractStatus
from zhangfang.contracts.tests.factories import ContractFactory
from zhangfang.staff.tests.factories import UserFactory


def finance_user(**kwargs):
    """A 财务 user without a department (finance sees all clients)."""
    kwargs.setdefault("department", None)
    return UserFactory(roles=["finance"], **kwargs)


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def issued_bill(
    client,
    amount=Decimal("300.00"),
    due_on: dt.date | None = None,
    *,
    issued_on: dt.date | None = None,
    kind: str = BillKind.ADDON,
    description: str = "工商年报",
    by=None,
    **kwargs,
) -> Bill:
    """An issued bill of ``client`` made by ``bill_create``: the receivable is posted.

    ``issued_on`` defaults to the earlier of today and ``due_on`` (so the bill is OPEN at once);
    ``due_on`` defaults to ten days after the issue date.
    """
    today = timezone.localdate()
    if issued_on is None:
        issued_on = min(today, due_on) if due_on else today
    if due_on is None:
        due_on = issued_on + dt.timedelta(days=10)
    return bill_create(
        client=client,
        kind=kind,
        description=description,
        amount=_money(amount),
        issued_on=issued_on,
        due_on=due_on,
        by=by or finance_user(),
        **kwargs,
    )


def received_payment(
    client,
    amount=Decimal("300.00"),
    *,
    received_on: dt.date | None = None,
    allocations=None,
    method: str = PaymentMethod.BANK,
    by=None,
    **kwargs,
) -> Payment:
    """A payment of ``client`` recorded by ``payment_record`` (allocated oldest due first unless
    ``allocations`` is given; ``[]`` keeps it all as the client's credit)."""
    return payment_record(
        client=client,
        method=method,
        amount=_money(amount),
        received_on=received_on or timezone.localdate(),
        allocations=allocations,
        by=by or finance_user(),
        **kwargs,
    )


def paid_bill(client, amount=Decimal("300.00"), due_on: dt.date | None = None, **kwargs) -> Bill:
    """An issued bill paid in full by its own payment."""
    by = kwargs.pop("by", None) or finance_user()
    bill = issued_bill(client, amount, due_on, by=by, **kwargs)
    received_payment(client, bill.amount, allocations=[(bill, bill.amount)], by=by)
    bill.refresh_from_db()
    return bill


def signed_contract(*, by=None, schedule: bool = True, **kwargs):
    """A contract in status 已签署 (signed today unless ``signed_on`` is given), with its billing
    schedule made by ``contract_bills_schedule`` unless ``schedule=False``."""
    kwargs.setdefault("status", ContractStatus.SIGNED)
    kwargs.setdefault("signed_on", timezone.localdate())
    contract = ContractFactory(**kwargs)
    if schedule:
        contract_bills_schedule(contract=contract, by=by or finance_user())
    return contract


def billing_firm():
    """A small firm for page tests: ``acme`` (一部, accountant ``acct1``, sales ``sales1``) and
    ``globex`` (二部). Staff: ``finance``, ``admin``, ``head1``/``head2`` (部门负责人 of 一部 /
    二部), ``acct1`` (acme's accountant), ``acct2`` (一部, not acme's), ``sales1``, ``service``
    (客服 without clients)."""
    from types import SimpleNamespace

    from zhangfang.clients.tests.factories import ClientFactory
    from zhangfang.staff.tests.factories import DepartmentFactory

    d1 = DepartmentFactory(name="服务一部")
    d2 = DepartmentFactory(name="服务二部")
    staff = SimpleNamespace(
        finance=finance_user(username="finance", name="钱财务"),
        admin=UserFactory(username="admin", name="管理员", department=None, roles=["admin"]),
        head1=UserFactory(username="head1", name="部长甲", department=d1, roles=["dept_head"]),
        head2=UserFactory(username="head2", name="部长乙", department=d2, roles=["dept_head"]),
        acct1=UserFactory(username="acct1", name="会计甲", department=d1, roles=["accountant"]),
        acct2=UserFactory(username="acct2", name="会计乙", department=d1, roles=["accountant"]),
        sales1=UserFactory(username="sales1", name="业务甲", department=d1, roles=["sales"]),
        service=UserFactory(username="service", name="客服甲", department=d1, roles=["service"]),
    )
    acme = ClientFactory(
        name="深圳市阿克米科技有限公司",
        department=d1,
        accountant=staff.acct1,
        sales_owner=staff.sales1,
    )
    globex = ClientFactory(name="广州环球贸易有限公司", department=d2)
    return SimpleNamespace(d1=d1, d2=d2, staff=staff, acme=acme, globex=globex)
