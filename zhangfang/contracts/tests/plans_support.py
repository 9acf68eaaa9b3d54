"""A small firm for the service plan tests (imported by ``test_plans_*.py``).

Staff: ``sales1``/``sales2`` (业务人员, 一部), ``sales3`` (业务人员, 二部), ``head1``/``head2``
(部门负责人 of 一部/二部), ``acct1`` (会计, 一部, acme's accountant), ``service1`` (客服, 一部, not
on acme's team), ``finance`` and ``admin``. ``acme`` is an active client of 一部 owned by sales1.
The price list is ``standard_price_list()``: acme (小规模, 50 张/月, IT) costs ¥300/月 plus the
¥100/年 账本费.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.contracts.models import ServicePlan
from zhangfang.contracts.services import plans as services
from zhangfang.contracts.tests.factories import standard_payment_terms, standard_price_list
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

#: The clock of the plan tests: 2026-12-01 10:00 in Shanghai.
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
START = dt.date(2027, 1, 1)


def make_firm() -> SimpleNamespace:
    d1 = DepartmentFactory(name="服务一部")
    d2 = DepartmentFactory(name="服务二部")
    staff = SimpleNamespace(
        admin=UserFactory(username="admin", name="管理员", department=None, roles=["admin"]),
        finance=UserFactory(username="finance", name="钱财务", department=None, roles=["finance"]),
        head1=UserFactory(username="head1", name="部长甲", department=d1, roles=["dept_head"]),
        head2=UserFactory(username="head2", name="部长乙", department=d2, roles=["dept_head"]),
        sales1=UserFactory(username="sales1", name="业务甲", department=d1, roles=["sales"]),
        sales2=UserFactory(username="sales2", name="业务乙", department=d1, roles=["sales"]),
        sales3=UserFactory(username="sales3", name="业务丙", department=d2, roles=["sales"]),
        acct1=UserFactory(username="acct1", name="会计甲", department=d1, roles=["accountant"]),
        service1=UserFactory(username="service1", name="客服甲", department=d1, roles=["service"]),
    )
    acme = ClientFactory(
        name="深圳市艾克米科技有限公司",
        short_name="艾克米",
        status=ClientStatus.ACTIVE,
        taxpayer_type="small",
        industry="I",
        department=d1,
        sales_owner=staff.sales1,
        accountant=staff.acct1,
    )
    return SimpleNamespace(
        d1=d1,
        d2=d2,
        staff=staff,
        acme=acme,
        prices=standard_price_list(),
        terms=standard_payment_terms(),
    )


def plan_terms(firm: SimpleNamespace, **changes) -> services.PlanTerms:
    values = {
        "content": "代理记账、纳税申报、财务报表",
        "process": "每月 5 日前交票，15 日前申报",
        "standard": "按《代理记账基础工作规范》执行",
        "start_date": START,
        "term_months": 12,
        "taxpayer_type": "small",
        "industry": "I",
        "monthly_vouchers": 50,
        "payment_term": firm.terms["monthly"],
        "addons": [],
        "include_setup": False,
        "note": "",
    }
    values.update(changes)
    return services.PlanTerms(**values)


def make_plan(firm: SimpleNamespace, *, client=None, by=None, **changes) -> ServicePlan:
    return services.plan_create(
        client=client or firm.acme,
        title="艾克米代理记账服务方案",
        terms=plan_terms(firm, **changes),
        by=by or firm.staff.sales1,
    )


def sent_plan(firm: SimpleNamespace, **changes) -> tuple[ServicePlan, str]:
    plan = make_plan(firm, **changes)
    token = services.plan_send(plan=plan, by=firm.staff.sales1)
    return plan, token


def form_data(firm: SimpleNamespace, **changes) -> dict:
    """What the plan form posts for acme's usual terms."""
    data = {
        "title": "艾克米代理记账服务方案",
        "content": "代理记账、纳税申报",
        "process": "每月 5 日前交票",
        "standard": "按规范执行",
        "start_date": START.isoformat(),
        "term_months": "12",
        "taxpayer_type": "small",
        "industry": "I",
        "monthly_vouchers": "50",
        "payment_term": str(firm.terms["monthly"].pk),
        "note": "",
    }
    data.update(changes)
    return data
