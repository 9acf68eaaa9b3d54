"""A statement of account (对账单) as an Excel workbook and as a PDF, for sending to the client.

Both show the same things: the firm and the client, the period, every ledger entry of the period
with its running balance, the period's totals, and the closing balance in ¥ figures and in
capitals (DOMAIN.md §6: a reconciliation statement shows both, and they agree). A negative closing
balance is money the client paid in advance: it is shown as 预收 and the absolute amount, because
capitals have no negative form.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from zhangfang.billing.models import Statement
from zhangfang.billing.selectors.statements import StatementFigures
from zhangfang.core.money import format_rmb, rmb_upper
from zhangfang.core.pdf import PdfDocument

MONEY_FORMAT = '"¥"#,##0.00;-"¥"#,##0.00'


@dataclass(frozen=True)
class ClosingBalance:
    """How the closing balance reads: 欠费 (owed) or 预收 (paid in advance), figure, capitals."""

    label: str
    figure: str
    capitals: str
    advance: bool

    @property
    def text(self) -> str:
        return f"{self.label} {self.figure}（{self.capitals}）"


def closing_balance_text(amount: Decimal) -> ClosingBalance:
    """``amount`` as the statement states it: a debt as owed, a credit as 预收 + |amount|."""
    if amount < 0:
        return ClosingBalance(
            label=_("期末余额（预收）"),
            figure=_("预收 %(amount)s") % {"amount": format_rmb(-amount)},
            capitals=_("预收%(capitals)s") % {"capitals": rmb_upper(-amount)},
            advance=True,
        )
    return ClosingBalance(
        label=_("期末余额（欠费）") if amount > 0 else _("期末余额"),
        figure=format_rmb(amount),
        capitals=rmb_upper(amount),
        advance=False,
    )


def document_title(firm_name: str) -> str:
    return _("%(firm)s 客户对账单") % {"firm": firm_name}


def filename(statement: Statement, extension: str) -> str:
    return _("对账单-%(client)s-%(start)s至%(end)s.%(ext)s") % {
        "client": statement.client.name,
        "start": f"{statement.period_start:%Y%m%d}",
        "end": f"{statement.period_end:%Y%m%d}",
        "ext": extension,
    }


def _period(statement: Statement) -> str:
    return _("%(start)s 至 %(end)s") % {
        "start": statement.period_start.isoformat(),
        "end": statement.period_end.isoformat(),
    }


def _headers() -> list[str]:
    return [_("日期"), _("类型"), _("摘要"), _("应收"), _("收款/减免"), _("余额")]


def _summary(statement: Statement) -> list[tuple[str, Decimal]]:
    return [
        (_("期初余额"), statement.opening_balance),
        (_("本期应收"), statement.billed),
        (_("本期收款"), statement.received),
        (_("本期减免"), statement.credited),
    ]


def _confirmation_text() -> str:
    return _(
        "请贵单位核对上述账目。如核对无误，请在“核对无误”处签章；如有不符，"
        "请在“有异议”处写明不符事项后签章，并于收到本对账单后及时回复。"
    )


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------


def statement_xlsx(*, statement: Statement, figures: StatementFigures, firm_name: str) -> bytes:
    """The statement as an ``.xlsx`` workbook (one sheet, printable on A4)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("对账单")
    bold = Font(bold=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    sheet.append([document_title(firm_name)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([_("客户名称"), statement.client.name])
    sheet.append([_("对账期间"), _period(statement)])
    sheet.append([_("出具日期"), statement.created_at.date()])
    sheet["B4"].number_format = "yyyy-mm-dd"
    sheet.append([])

    sheet.append(_headers())
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
        cell.border = box
    sheet.append([statement.period_start, "", _("期初余额"), None, None, statement.opening_balance])
    for line in figures.lines:
        sheet.append(
            [
                line.posted_on,
                line.kind_label,
                line.description,
                line.billed,
                line.settled,
                line.balance,
            ]
        )
    sheet.append(
        [
            "",
            "",
            _("本期合计"),
            statement.billed,
            statement.received + statement.credited,
            statement.closing_balance,
        ]
    )
    last_row = sheet.max_row
    for row in sheet.iter_rows(min_row=header_row + 1, max_row=last_row):
        row[0].number_format = "yyyy-mm-dd"
        for cell in row:
            cell.border = box
        for cell in row[3:6]:
            cell.number_format = MONEY_FORMAT
    for cell in sheet[last_row]:
        cell.font = bold

    sheet.append([])
    for label, amount in _summary(statement):
        sheet.append([label, amount])
        sheet.cell(sheet.max_row, 2).number_format = MONEY_FORMAT
    closing = closing_balance_text(statement.closing_balance)
    sheet.append([closing.label, abs(statement.closing_balance)])
    sheet.cell(sheet.max_row, 2).number_format = MONEY_FORMAT
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.append([_("金额大写"), closing.capitals])
    sheet.cell(sheet.max_row, 2).font = bold

    sheet.append([])
    sheet.append([_confirmation_text()])
    sheet.append([_("客户确认：□ 核对无误　□ 有异议，不符事项：")])
    sheet.append([_("客户签章："), "", "", firm_name])
    sheet.append([_("日期："), "", "", _("日期：")])

    for index, width in enumerate((14, 10, 40, 14, 14, 14), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------


def _money(value: Decimal | None) -> str:
    return format_rmb(value) if value is not None else ""


def statement_pdf(*, statement: Statement, figures: StatementFigures, firm_name: str) -> bytes:
    """The statement as an A4 PDF with real (searchable) Chinese text."""
    document = PdfDocument(document_title(firm_name), author=firm_name)
    document.paragraph(
        "\n".join(
            [
                _("客户名称：%(name)s") % {"name": statement.client.name},
                _("对账期间：%(period)s") % {"period": _period(statement)},
                _("出具日期：%(day)s") % {"day": statement.created_at.date().isoformat()},
            ]
        )
    )
    document.spacer()
    rows = [_headers()]
    rows.append(
        [
            statement.period_start.isoformat(),
            "",
            _("期初余额"),
            "",
            "",
            _money(statement.opening_balance),
        ]
    )
    for line in figures.lines:
        rows.append(
            [
                line.posted_on.isoformat(),
                line.kind_label,
                line.description,
                _money(line.billed),
                _money(line.settled),
                _money(line.balance),
            ]
        )
    rows.append(
        [
            "",
            "",
            _("本期合计"),
            _money(statement.billed),
            _money(statement.received + statement.credited),
            _money(statement.closing_balance),
        ]
    )
    document.table(rows, widths_mm=(22, 14, 58, 25, 25, 26), align_right=(3, 4, 5))
    document.spacer()
    document.heading(_("对账结果"))
    summary = [[label, _money(amount)] for label, amount in _summary(statement)]
    closing = closing_balance_text(statement.closing_balance)
    summary.append([closing.label, closing.figure])
    summary.append([_("金额大写"), closing.capitals])
    document.table(summary, widths_mm=(40, 130), header=False)
    document.spacer()
    document.paragraph(_confirmation_text())
    document.paragraph(_("客户确认：□ 核对无误　□ 有异议，不符事项："))
    document.spacer(10)
    document.signatures(
        _("客户（签章）：　　　　　　日期："),
        _("%(firm)s（签章）：　　　　日期：") % {"firm": firm_name},
    )
    return document.render()
