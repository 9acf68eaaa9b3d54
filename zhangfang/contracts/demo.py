"""The demo firm's price list, with typical market figures (DOMAIN.md §4)."""

from __future__ import annotations

from decimal import Decimal

from zhangfang.contracts.models import FeeItem

PRICE_LIST = [
    ("小规模纳税人代理记账", "month", "300", "small", "含记账、报税、报表"),
    ("零申报", "month", "200", "small", "无业务发生的月份"),
    ("一般纳税人代理记账", "month", "1000", "general", "凭证 100 张以内"),
    ("凭证超量加收", "month", "100", "", "每增加 50 张凭证"),
    ("建账费", "once", "500", "", "新客户首次建账"),
    ("工商年报", "year", "300", "", "企业信用信息公示"),
    ("企业所得税汇算清缴", "year", "800", "", ""),
    ("账本费", "year", "100", "", "打印装订"),
]


def build_demo_price_list() -> int:
    """Create the demo price list (once); returns how many lines were created."""
    created = 0
    for order, (name, unit, amount, taxpayer_type, description) in enumerate(PRICE_LIST, start=1):
        _item, was_created = FeeItem.objects.get_or_create(
            name=name,
            defaults={
                "unit": unit,
                "amount": Decimal(amount),
                "taxpayer_type": taxpayer_type,
                "description": description,
                "sort_order": order * 10,
            },
        )
        created += was_created
    return created
