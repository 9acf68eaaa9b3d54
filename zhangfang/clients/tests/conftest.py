"""A small firm for client tests: two departments, a member of staff in every role."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory


@pytest.fixture
def firm(db):
    d1 = DepartmentFactory(name="代账一部")
    d2 = DepartmentFactory(name="代账二部")
    staff = SimpleNamespace(
        admin=UserFactory(username="admin", name="管理员", department=None, roles=["admin"]),
        finance=UserFactory(username="finance", name="钱财务", department=None, roles=["finance"]),
        head1=UserFactory(username="head1", name="部长甲", department=d1, roles=["dept_head"]),
        head2=UserFactory(username="head2", name="部长乙", department=d2, roles=["dept_head"]),
        sales1=UserFactory(username="sales1", name="业务甲", department=d1, roles=["sales"]),
        acct1=UserFactory(username="acct1", name="会计甲", department=d1, roles=["accountant"]),
        acct2=UserFactory(username="acct2", name="会计乙", department=d2, roles=["accountant"]),
        tax1=UserFactory(username="tax1", name="税务甲", department=d1, roles=["tax"]),
        service1=UserFactory(username="service1", name="客服甲", department=d1, roles=["service"]),
    )
    ours = ClientFactory(
        name="华为技术有限公司",
        short_name="华为",
        department=d1,
        sales_owner=staff.sales1,
        accountant=staff.acct1,
        tax_specialist=staff.tax1,
        customer_service=staff.service1,
    )
    theirs = ClientFactory(
        name="广州市恒泰贸易有限公司", short_name="恒泰", department=d2, accountant=staff.acct2
    )
    return SimpleNamespace(d1=d1, d2=d2, staff=staff, ours=ours, theirs=theirs)
