"""A small firm for return-visit tests: two departments, their heads, customer service, an
accountant, sales and an administrator, and a client of department one with a contact."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace

from zhangfang.care.models import ReturnVisit, ReturnVisitStatus, VisitMethod
from zhangfang.clients.models import Client
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.contracts.models import Contract, ContractStatus
from zhangfang.contracts.tests.factories import ContractFactory
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def make_firm() -> SimpleNamespace:
    d1 = DepartmentFactory(name="服务一部")
    d2 = DepartmentFactory(name="服务二部")
    staff = SimpleNamespace(
        service=UserFactory(username="cs", name="客服甲", department=d1, roles=["service"]),
        colleague=UserFactory(username="cs2", name="客服乙", department=d1, roles=["service"]),
        accountant=UserFactory(username="acc", name="会计丙", department=d1, roles=["accountant"]),
        head=UserFactory(username="head1", name="主管丁", department=d1, roles=["dept_head"]),
        head2=UserFactory(username="head2", name="主管戊", department=d2, roles=["dept_head"]),
        outsider=UserFactory(username="out", name="客服己", department=d2, roles=["service"]),
        sales=UserFactory(username="sales", name="业务庚", department=d1, roles=["sales"]),
        admin=UserFactory(username="admin", name="管理员", department=None, roles=["admin"]),
    )
    acme = ClientFactory(
        name="深圳市顶峰科技有限公司",
        department=d1,
        tier="A",
        accountant=staff.accountant,
        customer_service=staff.service,
        sales_owner=staff.sales,
    )
    contact = ContactFactory(client=acme, name="王经理")
    return SimpleNamespace(d1=d1, d2=d2, staff=staff, acme=acme, contact=contact)


def serve(client: Client, start: dt.date, status: str = ContractStatus.ACTIVE) -> Contract:
    """A contract the firm serves ``client`` under from ``start``."""
    return ContractFactory(
        client=client,
        status=status,
        start_date=start,
        end_date=dt.date(start.year + 1, start.month, 1),
    )


def done_visit(client: Client, visited_at: dt.datetime, **fields) -> ReturnVisit:
    """A visit recorded at ``visited_at`` (due that day unless ``due_on`` is given)."""
    fields.setdefault("due_on", visited_at.date())
    return ReturnVisit.objects.create(
        client=client,
        staff=fields.pop("staff", client.customer_service),
        status=ReturnVisitStatus.DONE,
        method=fields.pop("method", VisitMethod.PHONE),
        visited_at=visited_at,
        satisfaction=fields.pop("satisfaction", 5),
        summary=fields.pop("summary", "客户对服务满意。"),
        **fields,
    )
