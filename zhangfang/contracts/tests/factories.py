"""Factories for contracts and fees. A price list that prices typical clients:
``standard_price_list()`` builds the lines most tests need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.contracts.models import (
    Contract,
    ContractStatus,
    ContractTemplate,
    FeeItem,
    FeeKind,
    FeeUnit,
    PaymentCycle,
    PaymentTerm,
    PlanStatus,
    ServicePlan,
    ServicePlanVersion,
)
from zhangfang.staff.tests.factories import UserFactory


class FeeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeItem

    name = factory.Sequence(lambda n: f"收费项目{n}")
    kind = FeeKind.BOOKKEEPING
    unit = FeeUnit.MONTH
    amount = Decimal("300.00")
    effective_from = dt.date(2020, 1, 1)


class PaymentTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentTerm
        django_get_or_create = ("name",)

    name = "按月付"
    cycle = PaymentCycle.MONTHLY


def standard_price_list() -> dict[str, FeeItem]:
    """小规模 ¥300/月 (≤100 张), 一般纳税人 ¥1,000/月 (≤200 张) and ¥1,500/月 (more),
    制造业加价 ¥100/月, 建账费 ¥500, 工商年报 ¥300/年, 汇算清缴 ¥800/年, 账本费 ¥100/年."""
    items = {
        "small": FeeItemFactory(
            name="小规模纳税人代理记账",
            taxpayer_type="small",
            amount=Decimal(300),
            voucher_max=100,
            sort_order=10,
        ),
        "general": FeeItemFactory(
            name="一般纳税人代理记账",
            taxpayer_type="general",
            amount=Decimal(1000),
            voucher_max=200,
            sort_order=20,
        ),
        "general_large": FeeItemFactory(
            name="一般纳税人代理记账（200 张以上）",
            taxpayer_type="general",
            amount=Decimal(1500),
            voucher_min=201,
            sort_order=30,
        ),
        "surcharge": FeeItemFactory(
            name="制造业加价",
            kind=FeeKind.SURCHARGE,
            industry="C",
            amount=Decimal(100),
            sort_order=40,
        ),
        "setup": FeeItemFactory(
            name="建账费",
            kind=FeeKind.SETUP,
            unit=FeeUnit.ONCE,
            amount=Decimal(500),
            sort_order=50,
        ),
        "annual_report": FeeItemFactory(
            name="工商年报",
            kind=FeeKind.ADDON,
            unit=FeeUnit.YEAR,
            amount=Decimal(300),
            sort_order=60,
        ),
        "settlement": FeeItemFactory(
            name="企业所得税汇算清缴",
            kind=FeeKind.ADDON,
            unit=FeeUnit.YEAR,
            amount=Decimal(800),
            sort_order=70,
        ),
        "ledger_book": FeeItemFactory(
            name="账本费",
            kind=FeeKind.LEDGER_BOOK,
            unit=FeeUnit.YEAR,
            amount=Decimal(100),
            sort_order=80,
        ),
    }
    return items


def standard_payment_terms() -> dict[str, PaymentTerm]:
    return {
        "monthly": PaymentTermFactory(name="按月付", cycle=PaymentCycle.MONTHLY),
        "quarterly": PaymentTermFactory(name="按季付", cycle=PaymentCycle.QUARTERLY),
        "annual_discount": PaymentTermFactory(
            name="年付九折", cycle=PaymentCycle.ANNUAL, discount_percent=Decimal(10)
        ),
        "annual_free_month": PaymentTermFactory(
            name="年付送一个月", cycle=PaymentCycle.ANNUAL, free_months=1
        ),
    }


class ServicePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServicePlan

    client = factory.SubFactory(ClientFactory)
    title = factory.Sequence(lambda n: f"代理记账服务方案{n}")
    status = PlanStatus.DRAFT
    owner = factory.SubFactory(UserFactory, roles=["sales"])
    department = factory.SelfAttribute("client.department")


class ServicePlanVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServicePlanVersion

    plan = factory.SubFactory(ServicePlanFactory)
    number = 1
    content = "代理记账、纳税申报、财务报表"
    process = "每月 5 日前收票，15 日前完成申报"
    standard = "按《代理记账基础工作规范》执行"
    start_date = dt.date(2027, 1, 1)
    term_months = 12
    taxpayer_type = "small"
    industry = "I"
    monthly_vouchers = 50
    payment_term = factory.SubFactory(PaymentTermFactory)
    monthly_fee = Decimal("300.00")
    total = Decimal("3600.00")
    created_by = factory.SelfAttribute("plan.owner")


class ContractTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractTemplate
        django_get_or_create = ("name",)

    name = "代理记账服务合同（标准版）"
    body = "甲方：{{ 甲方名称 }}\n乙方：{{ 乙方名称 }}"
    is_default = True


class ContractFactory(factory.django.DjangoModelFactory):
    """A contract row as drafting would leave it; status moves go through the services."""

    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"HT2026-{n + 1:04d}")
    client = factory.SubFactory(ClientFactory)
    status = ContractStatus.DRAFT
    start_date = dt.date(2027, 1, 1)
    end_date = dt.date(2027, 12, 31)
    term_months = 12
    payment_term = factory.SubFactory(PaymentTermFactory)
    payment_cycle = PaymentCycle.MONTHLY
    monthly_fee = Decimal("300.00")
    total_amount = Decimal("3600.00")
    owner = factory.SubFactory(UserFactory, roles=["sales"])
    department = factory.SelfAttribute("client.department")
    created_by = factory.SelfAttribute("owner")
