"""A small firm for the contract tests (imported by ``test_contracts_*.py``).

Staff: ``sales1``/``sales2`` (业务人员, 一部), ``sales3`` (业务人员, 二部), ``head1``/``head2``
(部门负责人 of 一部/二部), ``acct1`` (会计, acme's accountant), ``acct2`` (会计, not on acme's
team), ``tax1`` (税务专员, acme's), ``cs1`` (客服, acme's), ``service2`` (客服, not on acme's team),
``finance``/``finance2`` and ``admin``. ``acme`` is a client of 一部 owned by sales1; its accepted
plan (quarterly payment, ¥300/月 for 12 months, 建账费 ¥500 and 账本费 ¥100) totals ¥4,200.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile

from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.contracts.models import (
    Contract,
    ContractStatus,
    ContractTemplate,
    FeeKind,
    FeeUnit,
    PlanLine,
    PlanResponse,
    PlanStatus,
    ServicePlanVersion,
)
from zhangfang.contracts.services import contracts as services
from zhangfang.contracts.tests.factories import (
    ContractTemplateFactory,
    ServicePlanFactory,
    ServicePlanVersionFactory,
    standard_payment_terms,
)
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

#: The clock of the contract tests: 2026-12-01 10:00 in Shanghai.
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = dt.date(2026, 12, 1)
START = dt.date(2027, 1, 1)
END = dt.date(2027, 12, 31)
TOTAL = Decimal("4200.00")
TEMPLATE_NAME = "代理记账服务合同（标准版）"

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def scan(name: str = "signed.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def standard_template() -> ContractTemplate:
    """The template the data migration installs (created here too, for tests run after a
    transactional test has emptied the tables)."""
    from importlib import import_module

    migration = import_module("zhangfang.contracts.migrations.0004_add_default_contract_template")
    return ContractTemplateFactory(name=TEMPLATE_NAME, body=migration.BODY, is_default=True)


def make_firm() -> SimpleNamespace:
    d1 = DepartmentFactory(name="服务一部")
    d2 = DepartmentFactory(name="服务二部")
    staff = SimpleNamespace(
        admin=UserFactory(username="admin", name="管理员", department=None, roles=["admin"]),
        finance=UserFactory(username="finance", name="钱财务", department=None, roles=["finance"]),
        finance2=UserFactory(
            username="finance2", name="孙财务", department=None, roles=["finance"]
        ),
        head1=UserFactory(username="head1", name="部长甲", department=d1, roles=["dept_head"]),
        head2=UserFactory(username="head2", name="部长乙", department=d2, roles=["dept_head"]),
        sales1=UserFactory(username="sales1", name="业务甲", department=d1, roles=["sales"]),
        sales2=UserFactory(username="sales2", name="业务乙", department=d1, roles=["sales"]),
        sales3=UserFactory(username="sales3", name="业务丙", department=d2, roles=["sales"]),
        acct1=UserFactory(username="acct1", name="会计甲", department=d1, roles=["accountant"]),
        acct2=UserFactory(username="acct2", name="会计乙", department=d1, roles=["accountant"]),
        tax1=UserFactory(username="tax1", name="税务甲", department=d1, roles=["tax"]),
        cs1=UserFactory(username="cs1", name="客服甲", department=d1, roles=["service"]),
        service2=UserFactory(username="service2", name="客服乙", department=d1, roles=["service"]),
    )
    acme = ClientFactory(
        name="深圳市艾克米科技有限公司",
        short_name="艾克米",
        uscc="91440300MA5G6XRQ3R",
        status=ClientStatus.ACTIVE,
        taxpayer_type="small",
        industry="I",
        address="深圳市南山区科技园一路 1 号",
        legal_representative="王大明",
        department=d1,
        sales_owner=staff.sales1,
        accountant=staff.acct1,
        tax_specialist=staff.tax1,
        customer_service=staff.cs1,
    )
    ContactFactory(client=acme, name="李会计", mobile="+8613800138000", is_primary=True)
    terms = standard_payment_terms()
    firm = SimpleNamespace(d1=d1, d2=d2, staff=staff, acme=acme, terms=terms)
    firm.template = standard_template()
    firm.version = accepted_version(firm)
    return firm


def accepted_version(firm: SimpleNamespace, *, client=None, owner=None) -> ServicePlanVersion:
    """An accepted plan version: quarterly, ¥300/月 × 12, 建账费 ¥500, 账本费 ¥100 → ¥4,200."""
    client = client or firm.acme
    plan = ServicePlanFactory(
        client=client,
        owner=owner or firm.staff.sales1,
        department=client.department,
        status=PlanStatus.ACCEPTED,
    )
    version = ServicePlanVersionFactory(
        plan=plan,
        start_date=START,
        term_months=12,
        payment_term=firm.terms["quarterly"],
        monthly_fee=Decimal("300.00"),
        one_off_total=Decimal("600.00"),
        total=TOTAL,
        response=PlanResponse.ACCEPTED,
        responder_name="李会计",
        created_by=plan.owner,
    )
    PlanLine.objects.create(
        plan_version=version,
        name="小规模纳税人代理记账",
        kind=FeeKind.BOOKKEEPING,
        unit=FeeUnit.MONTH,
        unit_price=Decimal("300.00"),
        quantity=Decimal("12"),
        amount=Decimal("3600.00"),
        sort_order=1,
    )
    PlanLine.objects.create(
        plan_version=version,
        name="建账费",
        kind=FeeKind.SETUP,
        unit=FeeUnit.ONCE,
        unit_price=Decimal("500.00"),
        quantity=Decimal("1"),
        amount=Decimal("500.00"),
        sort_order=2,
    )
    PlanLine.objects.create(
        plan_version=version,
        name="账本费",
        kind=FeeKind.LEDGER_BOOK,
        unit=FeeUnit.YEAR,
        unit_price=Decimal("100.00"),
        quantity=Decimal("1"),
        amount=Decimal("100.00"),
        sort_order=3,
    )
    return version


#: The path of services from a fresh draft to each status (each step: function, by-whom).
def contract_in(firm: SimpleNamespace, status: str, *, version=None) -> Contract:
    """A contract of acme brought to ``status`` through the services, as people would."""
    s = firm.staff
    contract = services.contract_draft(
        plan_version=version or firm.version, template=firm.template, by=s.sales1
    )
    if status == ContractStatus.DRAFT:
        return contract
    if status == ContractStatus.CANCELLED:
        return services.contract_cancel(contract=contract, reason="客户暂不签约", by=s.sales1)
    contract = services.contract_submit(contract=contract, by=s.sales1)
    if status == ContractStatus.PENDING:
        return contract
    if status == ContractStatus.RETURNED:
        return services.contract_return(contract=contract, comment="请补充付款途径", by=s.head1)
    contract = services.contract_approve(contract=contract, by=s.head1)
    if status == ContractStatus.APPROVED:
        return contract
    contract = services.contract_sign(contract=contract, signed_on=TODAY, scan=scan(), by=s.sales1)
    if status == ContractStatus.SIGNED:
        return contract
    if status == ContractStatus.TERMINATED:
        return services.contract_terminate(
            contract=contract, terminated_on=TODAY, reason="客户公司注销", by=s.head1
        )
    contract = services.contract_activate(contract=contract, by=None, today=START)
    if status == ContractStatus.ACTIVE:
        return contract
    if status == ContractStatus.EXPIRED:
        return services.contract_expire(
            contract=contract, by=None, today=END + dt.timedelta(days=1)
        )
    raise ValueError(status)
