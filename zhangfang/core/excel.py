"""Excel export shared by every list page and report: bold headers, written in streaming mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write the firm's local time without one.
        return timezone.localtime(value).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, Decimal | int | float | dt.date) or value is None:
        return value
    return str(value)


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def xlsx_workbook_response(*, filename: str, sheets: Iterable[Sheet]) -> HttpResponse:
    """An ``.xlsx`` download with one sheet per ``(title, headers, rows)``, headers in bold; the
    file name may be Chinese (reports export each section as a sheet)."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        worksheet = workbook.create_sheet(title=str(title)[:31])
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(worksheet, value=str(header))
            cell.font = bold
            header_cells.append(cell)
        worksheet.append(header_cells)
        for row in rows:
            worksheet.append([_cell_value(value) for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_response(
    *, filename: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """An ``.xlsx`` download of ``rows`` under ``headers``; the file name may be Chinese."""
    return xlsx_workbook_response(filename=filename, sheets=[(sheet, headers, rows)])
