"""Contract templates: the ``{{ 占位符 }}`` an administrator may use, and plain substitution.

Rendering is deliberately *not* the Django template engine: a template is text an administrator
types, and text typed into a web page must never become code the server runs (no tags, no filters,
no attribute lookups). Each ``{{ 名称 }}`` is replaced by the fact of that name, and nothing else
happens. A template that names a placeholder we do not know is refused when it is saved, so a
typing mistake is caught by the person who made it rather than printed in a client's contract.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.contracts import pricing
from zhangfang.contracts.models import CYCLE_MONTHS, Contract, PaymentCycle
from zhangfang.core.money import format_rmb, rmb_upper
from zhangfang.core.validators import format_mobile

#: ``{{ 名称 }}``, with or without spaces inside the braces. The name is anything but braces and
#: white space, so a mistyped name is still found (and refused) rather than left in the text.
PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")

#: Every placeholder a template may use, with what it stands for (shown beside the editor).
PLACEHOLDERS: dict[str, object] = {
    "甲方名称": gettext_lazy("客户名称"),
    "甲方统一社会信用代码": gettext_lazy("客户的统一社会信用代码"),
    "甲方地址": gettext_lazy("客户的经营地址"),
    "甲方法定代表人": gettext_lazy("客户的法定代表人"),
    "甲方联系人": gettext_lazy("客户的主要联系人"),
    "甲方联系电话": gettext_lazy("主要联系人的手机号"),
    "乙方名称": gettext_lazy("本公司名称（系统设置）"),
    "合同编号": gettext_lazy("例如 HT2026-0001"),
    "服务内容": gettext_lazy("服务方案中的服务内容"),
    "服务流程": gettext_lazy("服务方案中的服务流程"),
    "服务标准": gettext_lazy("服务方案中的服务标准"),
    "服务期限": gettext_lazy("例如 12 个月"),
    "起始日期": gettext_lazy("服务起始日期"),
    "终止日期": gettext_lazy("服务终止日期"),
    "收费明细": gettext_lazy("收费项目、单价、数量、金额，每项一行"),
    "月服务费": gettext_lazy("每月服务费，例如 ¥300.00"),
    "一次性费用": gettext_lazy("建账费、增值服务等一次性费用合计"),
    "付款方式": gettext_lazy("付款方式名称，例如 年付九折"),
    "付款周期": gettext_lazy("按月付、按季付、按半年付或按年预付"),
    "每期金额": gettext_lazy("每个付款周期应付的服务费"),
    "付款期限": gettext_lazy("账单开出后付款的天数"),
    "付款途径": gettext_lazy("银行转账、微信、支付宝等"),
    "合同总额": gettext_lazy("服务期内全部费用，例如 ¥3,600.00"),
    "合同总额大写": gettext_lazy("例如 人民币叁仟陆佰元整"),
    "签订日期": gettext_lazy("合同签署日期（签署前留空）"),
}


def placeholders_in(body: str) -> list[str]:
    """The placeholder names ``body`` uses, each once, in the order they first appear."""
    return list(dict.fromkeys(PLACEHOLDER_RE.findall(body)))


def unknown_placeholders(body: str) -> list[str]:
    """The names in ``body`` that are not in :data:`PLACEHOLDERS`."""
    return [name for name in placeholders_in(body) if name not in PLACEHOLDERS]


def render(body: str, values: Mapping[str, str]) -> str:
    """``body`` with every known placeholder replaced by its value; unknown ones stay visible.

    A single pass of ``re.sub``: a value that itself contains ``{{ … }}`` (a client named so)
    is inserted as it is and never substituted again.
    """

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return PLACEHOLDER_RE.sub(substitute, body)


def _date(day: dt.date | None) -> str:
    if day is None:
        return "____年__月__日"
    return f"{day.year}年{day.month}月{day.day}日"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def fee_lines_text(lines: Iterable) -> str:
    """The fee lines as text, one per line: ``1. 代理记账：¥300.00元/月 × 12 = ¥3,600.00``."""
    rows = []
    for index, line in enumerate(lines, start=1):
        rows.append(
            f"{index}. {line.name}：{format_rmb(line.unit_price)}{line.get_unit_display()}"
            f" × {_quantity(line.quantity)} = {format_rmb(line.amount)}"
        )
    return "\n".join(rows)


def cycle_amount(
    *,
    monthly_fee: Decimal,
    payment_cycle: str,
    term_months: int,
    free_months: int,
    discount_percent: Decimal,
) -> Decimal:
    """What one full payment cycle of the contract charges (the price list's own arithmetic)."""
    months = min(CYCLE_MONTHS[payment_cycle], term_months) if term_months else 1
    return pricing.cycle_charge(
        monthly_fee=monthly_fee,
        months=months,
        free_months=free_months,
        discount_percent=discount_percent,
    ).amount


def contract_values(contract: Contract, *, lines: Iterable | None = None) -> dict[str, str]:
    """The facts of ``contract`` by placeholder name, formatted as a contract writes them."""
    client = contract.client
    contact = client.contacts.order_by("-is_primary", "id").first()
    plan = contract.plan_version
    lines = list(contract.lines.all()) if lines is None else list(lines)
    return {
        "甲方名称": client.name,
        "甲方统一社会信用代码": client.uscc or "",
        "甲方地址": client.address,
        "甲方法定代表人": client.legal_representative,
        "甲方联系人": contact.name if contact else "",
        "甲方联系电话": format_mobile(contact.mobile) if contact and contact.mobile else "",
        "乙方名称": settings.FIRM_NAME,
        "合同编号": contract.number,
        "服务内容": plan.content if plan else "",
        "服务流程": plan.process if plan else "",
        "服务标准": plan.standard if plan else "",
        "服务期限": _("%(months)s个月") % {"months": contract.term_months},
        "起始日期": _date(contract.start_date),
        "终止日期": _date(contract.end_date),
        "收费明细": fee_lines_text(lines),
        "月服务费": format_rmb(contract.monthly_fee),
        "一次性费用": format_rmb(contract.one_off_total),
        "付款方式": contract.payment_term.name if contract.payment_term_id else "",
        "付款周期": str(PaymentCycle(contract.payment_cycle).label),
        "每期金额": format_rmb(
            cycle_amount(
                monthly_fee=contract.monthly_fee,
                payment_cycle=contract.payment_cycle,
                term_months=contract.term_months,
                free_months=contract.free_months,
                discount_percent=contract.discount_percent,
            )
        ),
        "付款期限": _("%(days)s日") % {"days": contract.payment_due_days},
        "付款途径": contract.payment_method or _("银行转账"),
        "合同总额": format_rmb(contract.total_amount),
        "合同总额大写": rmb_upper(contract.total_amount),
        "签订日期": _date(contract.signed_on),
    }


def sample_values() -> dict[str, str]:
    """Made-up facts for the template preview, so an administrator sees a filled contract."""
    total = Decimal("4100.00")
    return {
        "甲方名称": _("深圳市示例科技有限公司"),
        "甲方统一社会信用代码": "91440300MA5FXXXX0X",
        "甲方地址": _("深圳市南山区科技园示例路 1 号"),
        "甲方法定代表人": _("张三"),
        "甲方联系人": _("李四"),
        "甲方联系电话": "138 0013 8000",
        "乙方名称": settings.FIRM_NAME,
        "合同编号": "HT2026-0001",
        "服务内容": _("代理记账、纳税申报、财务报表编制"),
        "服务流程": _("每月 5 日前收取票据，15 日前完成纳税申报"),
        "服务标准": _("按《代理记账基础工作规范》执行"),
        "服务期限": _("%(months)s个月") % {"months": 12},
        "起始日期": _date(dt.date(2027, 1, 1)),
        "终止日期": _date(dt.date(2027, 12, 31)),
        "收费明细": "1. "
        + _("小规模纳税人代理记账")
        + "：¥300.00元/月 × 12 = ¥3,600.00\n2. "
        + _("建账费")
        + "：¥500.00元/次 × 1 = ¥500.00",
        "月服务费": format_rmb(Decimal("300.00")),
        "一次性费用": format_rmb(Decimal("500.00")),
        "付款方式": _("按季付"),
        "付款周期": str(PaymentCycle.QUARTERLY.label),
        "每期金额": format_rmb(Decimal("900.00")),
        "付款期限": _("%(days)s日") % {"days": 10},
        "付款途径": _("银行转账"),
        "合同总额": format_rmb(total),
        "合同总额大写": rmb_upper(total),
        "签订日期": _date(dt.date(2026, 12, 20)),
    }
