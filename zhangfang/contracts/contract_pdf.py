"""The contract as a PDF (core.pdf): title, number, the parties with their identifiers, the body
as paragraphs, the fee table with the total in figures and in capitals, and signature blocks."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from zhangfang.contracts.models import Contract, ContractLine
from zhangfang.core.money import format_rmb, rmb_upper
from zhangfang.core.pdf import PdfDocument


def _quantity(line: ContractLine) -> str:
    return f"{line.quantity.normalize():f}"


def contract_pdf(contract: Contract, lines: list[ContractLine]) -> bytes:
    """Render ``contract`` (with its fee ``lines``) as an A4 PDF with real Chinese text."""
    client = contract.client
    title = contract.template.name if contract.template_id else _("代理记账服务合同")
    document = PdfDocument(title, author=settings.FIRM_NAME)
    document.paragraph(_("合同编号：%(number)s") % {"number": contract.number})
    document.spacer(2)
    document.table(
        [
            [_("甲方（委托方）"), client.name],
            [_("统一社会信用代码"), client.uscc or "—"],
            [_("地址"), client.address or "—"],
            [_("乙方（受托方）"), settings.FIRM_NAME],
            [
                _("服务期限"),
                _("%(start)s 至 %(end)s（%(months)s 个月）")
                % {
                    "start": contract.start_date.isoformat(),
                    "end": contract.end_date.isoformat(),
                    "months": contract.term_months,
                },
            ],
        ],
        widths_mm=[40, 130],
        header=False,
    )
    document.spacer()
    document.paragraph(contract.body)
    document.spacer()
    document.heading(_("附：收费明细"))
    rows = [[_("项目"), _("单价"), _("计价单位"), _("数量"), _("金额")]]
    for line in lines:
        rows.append(
            [
                line.name,
                format_rmb(line.unit_price),
                line.get_unit_display(),
                _quantity(line),
                format_rmb(line.amount),
            ]
        )
    rows.append([_("合同总额"), "", "", "", format_rmb(contract.total_amount)])
    document.table(rows, widths_mm=[62, 28, 22, 18, 40], align_right=(1, 3, 4))
    document.paragraph(
        _("合同总额（大写）：%(upper)s") % {"upper": rmb_upper(contract.total_amount)}
    )
    signed = contract.signed_on.isoformat() if contract.signed_on else "____年__月__日"
    document.signatures(
        _("甲方（盖章）：%(name)s　法定代表人或授权代表（签字）：__________　日期：%(date)s")
        % {"name": client.name, "date": signed},
        _("乙方（盖章）：%(name)s　法定代表人或授权代表（签字）：__________　日期：%(date)s")
        % {"name": settings.FIRM_NAME, "date": signed},
    )
    return document.render()
