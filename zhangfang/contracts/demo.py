"""The demo firm's price list and payment terms, with typical market figures (DOMAIN.md §4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

from zhangfang.contracts.models import FeeItem, FeeKind, FeeUnit, PaymentCycle, PaymentTerm

#: When the demo firm published its price list, and when it last changed a price.
LIST_START = dt.date(2024, 1, 1)
PRICE_CHANGE = dt.date(2026, 1, 1)


class DemoLine(NamedTuple):
    name: str
    kind: str
    unit: str
    amount: str
    taxpayer_type: str = ""
    industry: str = ""
    voucher_min: int | None = None
    voucher_max: int | None = None
    effective_from: dt.date = LIST_START
    effective_to: dt.date | None = None
    description: str = ""


B, S, ADDON = FeeKind.BOOKKEEPING, FeeKind.SURCHARGE, FeeKind.ADDON
MONTH, YEAR, ONCE = FeeUnit.MONTH, FeeUnit.YEAR, FeeUnit.ONCE

PRICE_LIST = [
    DemoLine(
        "小规模纳税人代理记账（30 张以内）",
        B,
        MONTH,
        "200",
        "small",
        voucher_min=0,
        voucher_max=30,
        description="含零申报、记账、报税、报表",
    ),
    # The one price change of the demo: 31–100 张 went from ¥280 to ¥300 on 2026-01-01, so the
    # history filter and the 按某日查看 picker have something to show.
    DemoLine(
        "小规模纳税人代理记账（31–100 张）",
        B,
        MONTH,
        "280",
        "small",
        voucher_min=31,
        voucher_max=100,
        effective_to=PRICE_CHANGE - dt.timedelta(days=1),
    ),
    DemoLine(
        "小规模纳税人代理记账（31–100 张）",
        B,
        MONTH,
        "300",
        "small",
        voucher_min=31,
        voucher_max=100,
        effective_from=PRICE_CHANGE,
    ),
    DemoLine("小规模纳税人代理记账（100 张以上）", B, MONTH, "500", "small", voucher_min=101),
    DemoLine(
        "一般纳税人代理记账（100 张以内）",
        B,
        MONTH,
        "800",
        "general",
        voucher_min=0,
        voucher_max=100,
        description="含记账、增值税及附加税申报、报表",
    ),
    DemoLine(
        "一般纳税人代理记账（101–300 张）",
        B,
        MONTH,
        "1200",
        "general",
        voucher_min=101,
        voucher_max=300,
    ),
    DemoLine("一般纳税人代理记账（300 张以上）", B, MONTH, "2000", "general", voucher_min=301),
    DemoLine("制造业加价", S, MONTH, "100", industry="C", description="成本核算、存货管理"),
    DemoLine("建筑业加价", S, MONTH, "150", industry="E", description="项目核算、跨区域涉税事项"),
    DemoLine("批发零售业加价", S, MONTH, "50", industry="F", description="进销存核对"),
    DemoLine("建账费", FeeKind.SETUP, ONCE, "500", description="新客户首次建账"),
    DemoLine("工商年报", ADDON, YEAR, "300", description="企业信用信息公示"),
    DemoLine("企业所得税汇算清缴", ADDON, YEAR, "800"),
    DemoLine("税务异常处理", ADDON, ONCE, "1000", description="非正常户解除、逾期申报处理"),
    DemoLine("社保代缴", ADDON, MONTH, "100", description="社保、公积金增减员与申报"),
    DemoLine("个税汇算", ADDON, YEAR, "200", description="个人所得税综合所得年度汇算"),
    DemoLine("账本费", FeeKind.LEDGER_BOOK, YEAR, "100", description="账簿打印装订"),
]

PAYMENT_TERMS = [
    # name, cycle, discount %, free months, sort order: the same as the data migration's.
    ("按月付", PaymentCycle.MONTHLY, Decimal(0), 0, 10),
    ("按季付", PaymentCycle.QUARTERLY, Decimal(0), 0, 20),
    ("按半年付", PaymentCycle.SEMIANNUAL, Decimal(0), 0, 30),
    ("年付九折", PaymentCycle.ANNUAL, Decimal(10), 0, 40),
    ("年付送一个月", PaymentCycle.ANNUAL, Decimal(0), 1, 50),
]


def build_demo_price_list() -> int:
    """Create the demo price list (once); returns how many lines were created."""
    created = 0
    for order, line in enumerate(PRICE_LIST, start=1):
        _item, was_created = FeeItem.objects.get_or_create(
            name=line.name,
            effective_from=line.effective_from,
            defaults={
                "kind": line.kind,
                "unit": line.unit,
                "amount": Decimal(line.amount),
                "taxpayer_type": line.taxpayer_type,
                "industry": line.industry,
                "voucher_min": line.voucher_min,
                "voucher_max": line.voucher_max,
                "effective_to": line.effective_to,
                "description": line.description,
                "sort_order": order * 10,
            },
        )
        created += was_created
    return created


def build_demo_payment_terms() -> int:
    """Create the usual payment terms if absent (the data migration normally has); returns how
    many were created."""
    created = 0
    for name, cycle, discount, free_months, order in PAYMENT_TERMS:
        _term, was_created = PaymentTerm.objects.get_or_create(
            name=name,
            defaults={
                "cycle": cycle,
                "discount_percent": discount,
                "free_months": free_months,
                "sort_order": order,
            },
        )
        created += was_created
    return created
