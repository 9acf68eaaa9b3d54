"""A small sales firm for the leads tests.

``sales_firm.staff``: ``sales1`` and ``sales2`` (业务人员, 一部), ``sales3`` (业务人员, 二部),
``head1`` / ``head2`` (部门负责人 of 一部 / 二部), ``acct1`` (会计, 一部), ``finance`` (财务),
``admin`` (管理员). ``sales_firm.d1`` / ``sales_firm.d2`` are the departments.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory


@pytest.fixture
def sales_firm(db):
    d1 = DepartmentFactory(name="业务一部")
    d2 = DepartmentFactory(name="业务二部")
    staff = SimpleNamespace(
        admin=UserFactory(username="admin", name="管理员", department=None, roles=["admin"]),
        finance=UserFactory(username="finance", name="钱财务", department=None, roles=["finance"]),
        head1=UserFactory(username="head1", name="部长甲", department=d1, roles=["dept_head"]),
        head2=UserFactory(username="head2", name="部长乙", department=d2, roles=["dept_head"]),
        sales1=UserFactory(username="sales1", name="业务甲", department=d1, roles=["sales"]),
        sales2=UserFactory(username="sales2", name="业务乙", department=d1, roles=["sales"]),
        sales3=UserFactory(username="sales3", name="业务丙", department=d2, roles=["sales"]),
        acct1=UserFactory(username="acct1", name="会计甲", department=d1, roles=["accountant"]),
    )
    return SimpleNamespace(d1=d1, d2=d2, staff=staff)
