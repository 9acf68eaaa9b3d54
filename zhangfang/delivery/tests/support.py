"""A small firm for request intake tests: two departments, their heads and service team."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace

from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.delivery.models import Channel, RequestCategory, Urgency
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def make_firm() -> SimpleNamespace:
    d1 = DepartmentFactory(name="服务一部")
    d2 = DepartmentFactory(name="服务二部")
    staff = SimpleNamespace(
        service=UserFactory(username="cs", name="客服甲", department=d1, roles=["service"]),
        accountant=UserFactory(username="acc", name="会计乙", department=d1, roles=["accountant"]),
        tax=UserFactory(username="tax", name="税务丙", department=d1, roles=["tax"]),
        head=UserFactory(username="head1", name="主管丁", department=d1, roles=["dept_head"]),
        head2=UserFactory(username="head2", name="主管戊", department=d2, roles=["dept_head"]),
        outsider=UserFactory(username="out", name="客服己", department=d2, roles=["service"]),
        sales=UserFactory(username="sales", name="业务庚", department=d1, roles=["sales"]),
        admin=UserFactory(username="admin", name="管理员", department=None, roles=["admin"]),
    )
    acme = ClientFactory(
        name="深圳市顶峰科技有限公司",
        department=d1,
        accountant=staff.accountant,
        tax_specialist=staff.tax,
        customer_service=staff.service,
        sales_owner=staff.sales,
    )
    contact = ContactFactory(client=acme, name="王经理")
    return SimpleNamespace(d1=d1, d2=d2, staff=staff, acme=acme, contact=contact)


def request_data(**overrides) -> dict:
    data = {
        "channel": Channel.PHONE,
        "category": RequestCategory.TAX_ADVICE,
        "urgency": Urgency.NORMAL,
        "content": "咨询小规模纳税人季度免税额度。",
    }
    data.update(overrides)
    return data
