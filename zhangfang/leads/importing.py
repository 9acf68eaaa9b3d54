"""The Excel import of prospects (policy 二（一）2): read, check every row, then register.

The file has the 登记表's Chinese column headers (the template from :func:`template_workbook`).
Every bad row is reported with its row number and each reason; a file with errors imports nothing
unless the user asks for the good rows only. Lookups (channels, owners, choice labels) are read
once before the rows, so 10,000 rows cost a handful of queries plus the inserts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any
from zipfile import BadZipFile

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from zhangfang.clients.models import Industry, TaxpayerType
from zhangfang.core.roles import Role, has_role
from zhangfang.core.validators import normalize_code, normalize_mobile, validate_uscc
from zhangfang.leads.models import Channel, CompanySize, Prospect, RevenueBand, TaxNeed
from zhangfang.staff.models import User

#: (header, field, required). The order is the template's.
COLUMNS: list[tuple[str, str, bool]] = [
    ("客户名称", "company_name", True),
    ("统一社会信用代码", "uscc", False),
    ("联系人", "contact_name", True),
    ("职务", "contact_title", False),
    ("联系电话", "contact_mobile", False),
    ("电子邮箱", "email", False),
    ("地址", "address", False),
    ("行业类型", "industry", False),
    ("企业规模", "size", False),
    ("年营业收入", "revenue", False),
    ("纳税人类型", "taxpayer_type", False),
    ("财务状况", "financial_notes", False),
    ("税务需求", "tax_needs", False),
    ("预计月服务费", "expected_monthly_fee", False),
    ("来源渠道", "channel", True),
    ("业务负责人(用户名)", "owner", False),
    ("备注", "notes", False),
]
HEADERS = [header for header, _field, _required in COLUMNS]
CHOICE_FIELDS = {
    "industry": Industry,
    "size": CompanySize,
    "revenue": RevenueBand,
    "taxpayer_type": TaxpayerType,
}
MAX_ROWS = 20_000
_LIST_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def _header_key(text: Any) -> str:
    """Headers compare without width, spaces or the required mark: 业务负责人（用户名）* works."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s*]+", "", folded)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a mobile typed into a number cell comes back as 13800138000.0
    return str(value).strip()


@dataclass
class RowError:
    row: int
    reasons: list[str]


@dataclass
class ImportReport:
    """What reading the file found: the good rows (with their row number) and the bad ones."""

    total: int = 0
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    created: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.errors


class _Lookups:
    """Everything a row is checked against, read once."""

    def __init__(self, by) -> None:
        self.channels: dict[str, Channel] = {}
        for channel in Channel.objects.filter(is_active=True):
            self.channels[channel.name] = channel
            self.channels[channel.code.lower()] = channel
        self.users = {
            user.username.lower(): user
            for user in User.objects.filter(is_active=True, groups__name=Role.SALES)
            .select_related("department")
            .distinct()
        }
        self.choices: dict[str, dict[str, str]] = {}
        for name, choices in CHOICE_FIELDS.items():
            lookup: dict[str, str] = {}
            for value, label in choices.choices:
                lookup[_header_key(label).lower()] = value
                lookup[str(value).lower()] = value
            self.choices[name] = lookup
        self.tax_needs = {}
        for value, label in TaxNeed.choices:
            self.tax_needs[_header_key(label)] = value
            self.tax_needs[value] = value
        self.by = by
        self.can_assign = has_role(by, Role.ADMIN, Role.DEPARTMENT_HEAD)
        self.by_is_sales = has_role(by, Role.SALES)


_MAX_LENGTHS = {
    name: Prospect._meta.get_field(name).max_length
    for _header, name, _required in COLUMNS
    if name not in ("channel", "owner", "tax_needs", "expected_monthly_fee", *CHOICE_FIELDS)
    and Prospect._meta.get_field(name).max_length
}


def _check_row(values: dict[str, str], lookups: _Lookups) -> tuple[dict[str, Any], list[str]]:
    """One row's field values, or the reasons it cannot be imported (each naming its column)."""
    reasons: list[str] = []
    data: dict[str, Any] = {}
    labels = {name: header for header, name, _required in COLUMNS}

    def fail(name: str, message: str) -> None:
        reasons.append(f"{labels[name]}：{message}")

    for header, name, required in COLUMNS:
        if required and not values.get(name):
            reasons.append(_("%(column)s：必填。") % {"column": header})
    for name, limit in _MAX_LENGTHS.items():
        text = values.get(name, "")
        if len(text) > limit:
            fail(name, _("不能超过 %(limit)s 个字符。") % {"limit": limit})
        data[name] = text

    if values.get("contact_mobile"):
        try:
            data["contact_mobile"] = normalize_mobile(values["contact_mobile"])
        except ValidationError as error:
            fail("contact_mobile", error.messages[0])
    if values.get("uscc"):
        try:
            data["uscc"] = validate_uscc(values["uscc"])
        except ValidationError as error:
            fail("uscc", error.messages[0])
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            fail("email", _("“%(value)s”不是有效的电子邮箱。") % {"value": values["email"]})
    for name in CHOICE_FIELDS:
        text = values.get(name, "")
        if text:
            code = lookups.choices[name].get(_header_key(text).lower())
            if code is None:
                fail(name, _("无法识别“%(value)s”。") % {"value": text})
            else:
                data[name] = code
    needs: list[str] = []
    for item in _LIST_SEPARATORS.split(values.get("tax_needs", "")):
        if not item:
            continue
        code = lookups.tax_needs.get(_header_key(item))
        if code is None:
            fail("tax_needs", _("无法识别“%(value)s”。") % {"value": item})
        elif code not in needs:
            needs.append(code)
    data["tax_needs"] = needs
    fee_text = values.get("expected_monthly_fee", "").replace(",", "").lstrip("¥￥")
    data["expected_monthly_fee"] = None
    if fee_text:
        try:
            fee = Decimal(fee_text).quantize(Decimal("0.01"))
            if fee < 0 or fee >= Decimal("1e8"):
                raise InvalidOperation
            data["expected_monthly_fee"] = fee
        except InvalidOperation:
            fail("expected_monthly_fee", _("“%(value)s”不是有效的金额。") % {"value": fee_text})
    channel_text = values.get("channel", "")
    if channel_text:
        channel = lookups.channels.get(channel_text) or lookups.channels.get(channel_text.lower())
        if channel is None:
            fail("channel", _("未知的来源渠道“%(value)s”。") % {"value": channel_text})
        data["channel"] = channel
    owner_text = values.get("owner", "")
    owner = None
    if owner_text:
        owner = lookups.users.get(owner_text.lower())
        if owner is None:
            fail("owner", _("未知的业务人员用户名“%(value)s”。") % {"value": owner_text})
        elif not lookups.can_assign and owner.pk != lookups.by.pk:
            fail("owner", _("只能导入由自己负责的潜在客户。"))
    elif lookups.by_is_sales:
        owner = lookups.by
    data["owner"] = owner
    data["department"] = owner.department if owner else lookups.by.department
    return data, reasons


def read_workbook(upload, *, by) -> ImportReport:
    """Check every row of an uploaded .xlsx; nothing is written."""
    report = ImportReport()
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError):
        report.file_error = _("无法读取该文件，请上传用模板填写的 .xlsx 文件。")
        return report
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            report.file_error = _("文件是空的。")
            return report
        positions = {_header_key(text): index for index, text in enumerate(header_row) if text}
        columns: list[tuple[str, int]] = []
        missing = []
        for header, name, required in COLUMNS:
            index = positions.get(_header_key(header))
            if index is None:
                if required:
                    missing.append(header)
                continue
            columns.append((name, index))
        if missing:
            report.file_error = _("缺少必需的列：%(columns)s。请使用下载的模板。") % {
                "columns": "、".join(missing)
            }
            return report
        lookups = _Lookups(by)
        existing_uscc, existing_mobiles = _existing_keys()
        seen_uscc: dict[str, int] = {}
        seen_mobile: dict[str, int] = {}
        seen_name: dict[str, int] = {}
        for row_number, row in enumerate(rows, start=2):
            values = {
                name: _text(row[index]) if index < len(row) else "" for name, index in columns
            }
            if not any(values.values()):
                continue
            report.total += 1
            if report.total > MAX_ROWS:
                report.file_error = _("一次最多导入 %(max)s 行，请拆分文件。") % {"max": MAX_ROWS}
                return report
            data, reasons = _check_row(values, lookups)
            # Already registered (as a client or a prospect, whoever's): the same warning the
            # form gives, without naming a record the importer may not be allowed to see.
            if data.get("uscc") and data["uscc"] in existing_uscc:
                reasons.append(_("统一社会信用代码已登记为客户或潜在客户。"))
            if data.get("contact_mobile") and data["contact_mobile"] in existing_mobiles:
                reasons.append(_("联系电话已登记在客户或潜在客户中。"))
            for key, seen, label in (
                (data.get("uscc"), seen_uscc, _("统一社会信用代码")),
                (data.get("contact_mobile"), seen_mobile, _("联系电话")),
                (normalize_code(data.get("company_name", "")), seen_name, _("客户名称")),
            ):
                if not key:
                    continue
                if key in seen:
                    reasons.append(
                        _("%(column)s与第 %(row)s 行重复。") % {"column": label, "row": seen[key]}
                    )
                else:
                    seen[key] = row_number
            if reasons:
                report.errors.append(RowError(row_number, reasons))
            else:
                report.rows.append((row_number, data))
        if report.total == 0:
            report.file_error = _("文件中没有数据行。")
    finally:
        workbook.close()
    return report


def _existing_keys() -> tuple[set[str], set[str]]:
    """Credit codes and mobiles already on file, read once per import (four queries)."""
    from zhangfang.clients.models import Client, Contact
    from zhangfang.leads.models import Prospect

    uscc = set(Prospect.objects.exclude(uscc="").values_list("uscc", flat=True))
    uscc |= set(Client.objects.exclude(uscc=None).values_list("uscc", flat=True))
    mobiles = set(
        Prospect.objects.exclude(contact_mobile="").values_list("contact_mobile", flat=True)
    )
    mobiles |= set(Contact.objects.exclude(mobile="").values_list("mobile", flat=True))
    return uscc, mobiles


def import_prospects(upload, *, by, good_rows_only: bool = False) -> ImportReport:
    """Read the file and, if it is clean (or only good rows are wanted), register its rows."""
    from zhangfang.leads.services.prospects import prospects_import

    report = read_workbook(upload, by=by)
    if report.file_error or (report.errors and not good_rows_only) or not report.rows:
        return report
    created = prospects_import(
        rows=[data for _row, data in report.rows],
        by=by,
        filename=getattr(upload, "name", "") or "",
    )
    report.created = len(created)
    return report


def template_workbook() -> bytes:
    """The import template: the headers (required ones marked), an example row, and a sheet
    listing the values the choice columns accept."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("潜在客户")
    sheet.append([f"{header}*" if required else header for header, _n, required in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(
        [
            "深圳市示例科技有限公司",
            "",
            "张三",
            "财务经理",
            "138 0013 8000",
            "",
            "深圳市南山区科技园",
            str(Industry.IT.label),
            str(CompanySize.SMALL.label),
            str(RevenueBand.UNDER_5M.label),
            str(TaxpayerType.SMALL.label),
            "",
            f"{TaxNeed.BOOKKEEPING.label}、{TaxNeed.FILING.label}",
            800,
            "上门咨询",
            "",
            _("示例行，导入前请删除"),
        ]
    )
    for index, (header, _n, _r) in enumerate(COLUMNS):
        sheet.column_dimensions[sheet.cell(row=1, column=index + 1).column_letter].width = max(
            12, len(header) * 2 + 4
        )
    notes = workbook.create_sheet(_("填写说明"))
    notes.append([_("列"), _("可填写的值")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    notes.append(
        [
            "来源渠道",
            "、".join(Channel.objects.filter(is_active=True).values_list("name", flat=True)),
        ]
    )
    for header, name, _r in COLUMNS:
        if name in CHOICE_FIELDS:
            notes.append(
                [header, "、".join(str(label) for _v, label in CHOICE_FIELDS[name].choices)]
            )
    notes.append(
        [
            "税务需求",
            "、".join(str(label) for _v, label in TaxNeed.choices) + _("（多项用顿号分隔）"),
        ]
    )
    notes.append(["业务负责人(用户名)", _("业务人员的登录用户名；业务人员导入时留空即为本人。")])
    notes.append(["联系电话", _("11 位手机号码。")])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 120
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
