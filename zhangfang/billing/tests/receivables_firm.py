"""A small firm for the receivables, statements and reports tests (not a test module itself).

``firm = billing_firm()`` (inside a test with database access) gives departments ``d1``/``d2``,
staff ``admin``, ``finance``, ``head1``/``head2`` (部门负责人 of 一部/二部), ``cs1`` (客服, 一部),
``sales1`` (业务, 一部), ``acct1`` (会计, 一部), ``sales3`` (业务, 二部), ``outsider`` (会计, 一部,
serving no client) and clients ``acme``/``beta`` (一部, served by cs1/sales1/acct1) and
``gamma`` (二部, owned by sales3). Billing data is made only through the services.
"""

from __future__ import annotations

from types import SimpleNamespace

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory


def billing_firm() -> SimpleNamespace:
    d1 = DepartmentFactory(name="服务一部")
    d2 = DepartmentFactory(name="服务二部")
    staff = SimpleNamespace(
        admin=UserFactory(username="admin", name="管理员", department=None, roles=["admin"]),
        finance=UserFactory(username="finance", name="钱财务", department=None, roles=["finance"]),
        head1=UserFactory(username="head1", name="部长甲", department=d1, roles=["dept_head"]),
        head2=UserFactory(username="head2", name="部长乙", department=d2, roles=["dept_head"]),
        cs1=UserFactory(username="cs1", name="客服甲", department=d1, roles=["service"]),
        sales1=UserFactory(username="sales1", name="业务甲", department=d1, roles=["sales"]),
        acct1=UserFactory(username="acct1", name="会计甲", department=d1, roles=["accountant"]),
        sales3=UserFactory(username="sales3", name="业务丙", department=d2, roles=["sales"]),
        outsider=UserFactory(
            username="outsider", name="会计乙", department=d1, roles=["accountant"]
        ),
    )
    team = {"customer_service": staff.cs1, "sales_owner": staff.sales1, "accountant": staff.acct1}
    acme = ClientFactory(
        name="深圳市阿克米科技有限公司", short_name="阿克米", department=d1, **team
    )
    beta = ClientFactory(name="深圳市贝塔贸易有限公司", short_name="贝塔", department=d1, **team)
    gamma = ClientFactory(
        name="广州市伽马餐饮有限公司", short_name="伽马", department=d2, sales_owner=staff.sales3
    )
    return SimpleNamespace(d1=d1, d2=d2, staff=staff, acme=acme, beta=beta, gamma=gamma)
