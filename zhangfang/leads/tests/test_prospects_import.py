"""Excel import of prospects: template, row validation with row numbers, all-or-nothing, good rows
only, audit, and a large file."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from zhangfang.core import sample_data
from zhangfang.core.models import AuditEvent
from zhangfang.leads import importing
from zhangfang.leads.models import Prospect

IMPORT = reverse("leads:prospect_import")
TEMPLATE = reverse("leads:prospect_import_template")
HEADERS = [
    "客户名称",
    "联系人",
    "联系电话",
    "企业规模",
    "行业类型",
    "财务状况",
    "税务需求",
    "来源渠道",
    "业务负责人(用户名)",
    "统一社会信用代码",
    "预计月服务费",
]


def _xlsx(rows, headers=HEADERS, name="prospects.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _row(n, **changes):
    values = {
        "客户名称": f"深圳市导入{n}号科技有限公司",
        "联系人": "张三",
        "联系电话": f"1380013{n:04d}",
        "企业规模": "10–49 人",
        "行业类型": "信息传输、软件和信息技术服务业",
        "财务状况": "",
        "税务需求": "代理记账、纳税申报",
        "来源渠道": "上门咨询",
        "业务负责人(用户名)": "sales1",
        "统一社会信用代码": "",
        "预计月服务费": 800,
    }
    values.update(changes)
    return [values[h] for h in HEADERS]


def _valid_uscc():
    return sample_data.uscc(random.Random(1))


def test_template_download_has_the_headers(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    headers = [c.value for c in workbook.worksheets[0][1]]
    assert headers[0] == "客户名称*" and "联系电话" in headers and "业务负责人(用户名)" in headers
    assert len(workbook.worksheets) == 2  # and a sheet of the accepted values


def test_the_template_itself_imports(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    template = client.get(TEMPLATE).content
    response = client.post(IMPORT, {"file": SimpleUploadedFile("t.xlsx", template)})
    assert response.context["report"].created == 1
    prospect = Prospect.objects.get()
    assert prospect.tax_needs == ["bookkeeping", "filing"] and prospect.industry == "I"
    assert prospect.owner == sales_firm.staff.sales1  # left empty: the importing salesperson


def test_a_good_file_imports_every_row_with_audit(client, sales_firm):
    client.force_login(sales_firm.staff.head1)
    uscc = _valid_uscc()
    response = client.post(
        IMPORT, {"file": _xlsx([_row(1, 统一社会信用代码=uscc), _row(2, 业务负责人="")])}
    )
    report = response.context["report"]
    assert report.created == 2 and report.errors == []
    assert "已导入 2 个潜在客户" in response.content.decode()
    first = Prospect.objects.get(company_name="深圳市导入1号科技有限公司")
    assert first.uscc == uscc and first.contact_mobile == "+8613800130001"
    assert first.owner == sales_firm.staff.sales1 and first.department == sales_firm.d1
    assert first.size == "small" and first.channel.code == "walk_in" and first.score > 0
    assert str(first.expected_monthly_fee) == "800.00"
    assert "drk" in first.search_pinyin or "daoru" in first.search_pinyin
    creates = AuditEvent.objects.filter(object_type="leads.prospect", action="create")
    assert creates.count() == 2 and creates.first().actor == sales_firm.staff.head1
    summary = AuditEvent.objects.get(object_type="leads.prospectimport")
    assert summary.changes["count"] == [None, 2] and summary.detail == "prospects.xlsx"


def test_bad_rows_are_reported_with_row_numbers_and_nothing_is_imported(client, sales_firm):
    client.force_login(sales_firm.staff.head1)
    rows = [
        _row(1),
        _row(2, 联系电话="12345"),
        _row(3, 来源渠道="飞鸽传书"),
        _row(4, **{"业务负责人(用户名)": "nobody"}),
        _row(5, 统一社会信用代码="91440300MA5F8YJX2Z"),
        _row(6, 联系电话="13800130001"),  # same mobile as row 2's good twin (row 2 of the sheet)
        _row(7, 客户名称=""),
        _row(8, 企业规模="很大"),
    ]
    response = client.post(IMPORT, {"file": _xlsx(rows)})
    report = response.context["report"]
    assert report.created == 0 and not Prospect.objects.exists()
    errors = {e.row: " ".join(e.reasons) for e in report.errors}
    # Sheet row numbers: the header is row 1, so data row n is sheet row n + 1.
    assert set(errors) == {3, 4, 5, 6, 7, 8, 9}
    assert "联系电话" in errors[3]
    assert "来源渠道" in errors[4] and "飞鸽传书" in errors[4]
    assert "业务负责人" in errors[5] and "nobody" in errors[5]
    assert "统一社会信用代码" in errors[6]
    assert "与第 2 行重复" in errors[7]
    assert "客户名称：必填" in errors[8]
    assert "企业规模" in errors[9]
    page = response.content.decode()
    assert "第 3 行" in page and "未导入任何数据" in page
    assert not AuditEvent.objects.filter(object_type__startswith="leads.prospect").exists()


def test_good_rows_only_imports_the_rest(client, sales_firm):
    client.force_login(sales_firm.staff.head1)
    rows = [_row(1), _row(2, 联系电话="bad"), _row(3)]
    response = client.post(IMPORT, {"file": _xlsx(rows), "good_rows_only": "on"})
    report = response.context["report"]
    assert report.created == 2 and [e.row for e in report.errors] == [3]
    assert Prospect.objects.count() == 2
    assert "已跳过" in response.content.decode()


def test_sales_may_only_import_their_own(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(IMPORT, {"file": _xlsx([_row(1, **{"业务负责人(用户名)": "sales2"})])})
    assert "只能导入由自己负责" in " ".join(response.context["report"].errors[0].reasons)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("x.xlsx", b"not a workbook"), "无法读取"),
        (_xlsx([], headers=["名称", "电话"]), "缺少必需的列"),
        (_xlsx([]), "没有数据行"),
    ],
)
def test_unreadable_or_wrong_files(client, sales_firm, upload, message):
    client.force_login(sales_firm.staff.sales1)
    upload.seek(0)
    response = client.post(IMPORT, {"file": upload})
    assert message in response.context["report"].file_error
    assert not Prospect.objects.exists()


def test_not_an_xlsx_is_refused_by_the_form(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(IMPORT, {"file": SimpleUploadedFile("a.csv", b"a,b")})
    assert "xlsx" in " ".join(response.context["form"].errors["file"])


def test_headers_match_in_any_order_and_width(sales_firm):
    headers = ["来源渠道", "联系人", "客户名称*", "业务负责人（用户名）"]
    upload = _xlsx([["wechat", "李四", "某某公司", "SALES1"]], headers=headers)
    report = importing.read_workbook(upload, by=sales_firm.staff.head1)
    assert report.errors == [] and len(report.rows) == 1
    data = report.rows[0][1]
    assert data["channel"].code == "wechat" and data["owner"] == sales_firm.staff.sales1


def test_a_2000_row_file_imports_correctly(sales_firm, django_assert_max_num_queries):
    rng = random.Random(7)
    rows = []
    for n in range(2000):
        rows.append(
            _row(
                n,
                联系电话=sample_data.mobile(rng)[3:] if n % 3 else "",
                统一社会信用代码=sample_data.uscc(rng) if n % 2 else "",
                **{"业务负责人(用户名)": ["sales1", "sales2", "sales3"][n % 3]},
            )
        )
    # Random mobiles and codes may collide: keep the row count but drop the repeats.
    seen: set = set()
    for row in rows:
        for index in (2, 9):
            if row[index] and row[index] in seen:
                row[index] = ""
            seen.add(row[index])
    upload = _xlsx(rows)
    # Lookups, batched inserts of prospects and events (SQLite caps the parameters of one INSERT,
    # so ~30 rows a batch there), summary: far fewer than one query per row.
    with django_assert_max_num_queries(250):
        report = importing.import_prospects(upload, by=sales_firm.staff.admin)
    assert report.errors == [] and report.created == 2000
    assert Prospect.objects.count() == 2000
    assert (
        Prospect.objects.filter(owner=sales_firm.staff.sales3, department=sales_firm.d2).count()
        == 666
    )
    assert AuditEvent.objects.filter(object_type="leads.prospect", action="create").count() == 2000


@pytest.mark.parametrize(
    "text",
    [
        "深圳市华为技术有限公司",
        "ABC科技（深圳）有限公司",
        "长沙银行",
        "张三",
        "3M中国",
        "重庆 Foo 公司",
        "",
    ],
)
def test_fast_pinyin_keys_match_the_search_keys(text):
    from zhangfang.core.search import pinyin_keys
    from zhangfang.leads.services.prospects import fast_pinyin_keys

    assert fast_pinyin_keys(text, "李四") == pinyin_keys(text, "李四")


def test_import_audit_snapshot_matches_the_audit_service(sales_firm):
    from zhangfang.core import audit
    from zhangfang.leads.services.prospects import PROSPECT_AUDIT_FIELDS, _BatchSnapshot
    from zhangfang.leads.tests.factories import ProspectFactory

    p = ProspectFactory(
        owner=sales_firm.staff.sales1, size="small", industry="I", tax_needs=["filing"]
    )
    assert _BatchSnapshot()(p) == audit.snapshot(p, PROSPECT_AUDIT_FIELDS)


def test_rows_already_on_file_are_reported_without_naming_the_record(sales_firm):
    from zhangfang.clients.tests.factories import ClientFactory, ContactFactory

    code = _valid_uscc()
    someone_elses = ClientFactory(name="别人的客户有限公司", uscc=code, department=sales_firm.d2)
    ContactFactory(client=someone_elses, mobile="+8613800130002")
    upload = _xlsx([_row(1, 统一社会信用代码=code), _row(2), _row(3)])
    report = importing.read_workbook(upload, by=sales_firm.staff.sales1)
    reasons = {error.row: " ".join(error.reasons) for error in report.errors}
    assert set(reasons) == {2, 3}
    assert "统一社会信用代码已登记" in reasons[2] and "联系电话已登记" in reasons[3]
    assert "别人的客户" not in " ".join(reasons.values())
    assert [row for row, _data in report.rows] == [4]
