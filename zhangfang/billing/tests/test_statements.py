"""Statements of account (对账单): figures from the ledger, issuing, the client's answer, the Excel
and PDF documents, the pages and who may use them."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from zhangfang.billing.models import Statement, StatementStatus
from zhangfang.billing.selectors.statements import statement_compute
from zhangfang.billing.services.bills import bill_credit
from zhangfang.billing.services.payments import payment_reverse
from zhangfang.billing.services.statements import (
    statement_issue,
    statement_record_response,
    statement_reissue,
)
from zhangfang.billing.statement_documents import statement_pdf, statement_xlsx
from zhangfang.billing.tests.factories import issued_bill, received_payment
from zhangfang.billing.tests.receivables_firm import billing_firm
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.core.tests.pdf_text import pdf_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date
pytestmark = pytest.mark.django_db


@contextmanager
def on(day: dt.date):
    """Do what follows on ``day`` (credits and reversals are posted on the day they are made)."""
    with time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI), tick=False
    ):
        yield


@pytest.fixture(autouse=True)
def _clock():
    with on(D(2026, 6, 15)):
        yield


def _history(firm):
    """March: billed 1000, received 400. April: billed 600, credited 100, received 700, and a
    receipt of 50 entered and reversed. May: billed 300. Balance now: 1600 + 300 − 1100 − 100."""
    acme, by = firm.acme, firm.staff.finance
    with on(D(2026, 3, 5)):
        march = issued_bill(acme, "1000", D(2026, 3, 15), description="2026年3月代理记账费", by=by)
    with on(D(2026, 3, 20)):
        received_payment(acme, "400", by=by)
    with on(D(2026, 4, 5)):
        april = issued_bill(acme, "600", D(2026, 4, 15), description="工商年报", by=by)
    with on(D(2026, 4, 10)):
        bill_credit(bill=april, amount=Decimal("100"), reason="服务延误", by=by)
    with on(D(2026, 4, 25)):
        received_payment(acme, "700", by=by)
        wrong = received_payment(acme, "50", allocations=[], by=by)
        payment_reverse(payment=wrong, reason="重复登记", by=by)
    with on(D(2026, 5, 6)):
        issued_bill(acme, "300", D(2026, 5, 16), description="2026年5月代理记账费", by=by)
    return march, april


def test_figures_of_a_period_add_up_from_the_opening_balance():
    firm = billing_firm()
    _history(firm)
    figures = statement_compute(client=firm.acme, start=D(2026, 4, 1), end=D(2026, 4, 30))
    assert figures.opening_balance == Decimal("600.00")
    assert figures.billed == Decimal("600.00")
    assert figures.credited == Decimal("100.00")
    # The reversed receipt nets out: 700 + 50 − 50.
    assert figures.received == Decimal("700.00")
    assert figures.closing_balance == Decimal("400.00")
    assert (
        figures.opening_balance + figures.billed - figures.received - figures.credited
        == figures.closing_balance
    )
    assert [line.kind for line in figures.lines] == [
        "receivable",
        "credit",
        "receipt",
        "receipt",
        "receipt",
    ]
    assert [line.balance for line in figures.lines] == [
        Decimal("1200.00"),
        Decimal("1100.00"),
        Decimal("400.00"),
        Decimal("350.00"),
        Decimal("400.00"),
    ]
    assert figures.lines[-1].received == Decimal("-50.00")
    assert figures.lines[0].billed == Decimal("600.00") and figures.lines[0].settled is None
    assert figures.lines[-1].balance == figures.closing_balance


def test_a_period_covering_everything_ends_at_the_account_balance():
    firm = billing_firm()
    _history(firm)
    figures = statement_compute(client=firm.acme, start=D(2020, 1, 1), end=D(2026, 6, 15))
    firm.acme.account.refresh_from_db()
    assert figures.opening_balance == 0
    assert figures.closing_balance == firm.acme.account.balance == Decimal("700.00")
    # Periods chain: one month's closing is the next month's opening.
    april = statement_compute(client=firm.acme, start=D(2026, 4, 1), end=D(2026, 4, 30))
    may = statement_compute(client=firm.acme, start=D(2026, 5, 1), end=D(2026, 5, 31))
    assert may.opening_balance == april.closing_balance


def test_issue_stores_the_figures_and_is_audited():
    firm = billing_firm()
    _history(firm)
    statement = statement_issue(
        client=firm.acme, start=D(2026, 4, 1), end=D(2026, 4, 30), by=firm.staff.finance
    )
    statement.refresh_from_db()
    assert statement.status == StatementStatus.ISSUED
    assert (statement.opening_balance, statement.billed, statement.received) == (
        Decimal("600.00"),
        Decimal("600.00"),
        Decimal("700.00"),
    )
    assert (statement.credited, statement.closing_balance) == (Decimal("100.00"), Decimal("400.00"))
    assert statement.issued_by == firm.staff.finance
    event = AuditEvent.objects.get(object_type="billing.statement", object_id=str(statement.pk))
    assert event.action == "create"
    assert event.anchor_id == str(firm.acme.pk)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [(D(2026, 5, 2), D(2026, 5, 1), "对账期起"), (D(2026, 6, 1), D(2026, 6, 16), "今天")],
)
def test_issue_refuses_a_bad_period(start, end, message):
    firm = billing_firm()
    with pytest.raises(DomainError, match=message):
        statement_issue(client=firm.acme, start=start, end=end, by=firm.staff.finance)
    assert not Statement.objects.exists()


def _issued(firm) -> Statement:
    return statement_issue(
        client=firm.acme, start=D(2026, 5, 1), end=D(2026, 5, 31), by=firm.staff.finance
    )


def _answer(statement, by, **changes):
    values = {
        "status": StatementStatus.CONFIRMED,
        "confirmed_by_name": "王会计",
        "method": "signed",
        "responded_on": D(2026, 6, 15),
        "disputed_items": "",
    }
    values.update(changes)
    return statement_record_response(statement=statement, by=by, **values)


def test_confirmation_is_recorded_once():
    firm = billing_firm()
    statement = _answer(_issued(firm), firm.staff.finance, disputed_items="忽略")
    assert statement.status == StatementStatus.CONFIRMED
    assert statement.confirmed_by_name == "王会计"
    assert statement.disputed_items == ""
    assert statement.recorded_by == firm.staff.finance
    with pytest.raises(TransitionNotAllowed, match="重新出具"):
        _answer(statement, firm.staff.finance, status=StatementStatus.DISPUTED, disputed_items="x")
    assert AuditEvent.objects.filter(object_type="billing.statement", action="status").count() == 1


def test_a_dispute_needs_its_items_and_a_reissued_statement_is_answered_again():
    firm = billing_firm()
    statement = _issued(firm)
    with pytest.raises(DomainError, match="异议事项"):
        _answer(statement, firm.staff.finance, status=StatementStatus.DISPUTED, disputed_items=" ")
    statement.refresh_from_db()
    assert statement.status == StatementStatus.ISSUED
    disputed = _answer(
        statement,
        firm.staff.finance,
        status=StatementStatus.DISPUTED,
        disputed_items="5月账单已于4月预付",
        method="wechat",
    )
    assert disputed.status == StatementStatus.DISPUTED
    assert disputed.disputed_items == "5月账单已于4月预付"
    again = statement_reissue(statement=disputed, by=firm.staff.finance)
    assert again.pk != disputed.pk
    assert (again.period_start, again.period_end) == (disputed.period_start, disputed.period_end)
    confirmed = _answer(again, firm.staff.finance)
    assert confirmed.status == StatementStatus.CONFIRMED
    disputed.refresh_from_db()
    assert disputed.status == StatementStatus.DISPUTED  # the old answer stays on record


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"confirmed_by_name": "  "}, "确认人"),
        ({"method": "fax"}, "确认方式"),
        ({"status": "issued"}, "客户回复"),
        ({"responded_on": D(2026, 6, 16)}, "晚于今天"),
        ({"responded_on": D(2026, 6, 14)}, "早于对账单出具"),
    ],
)
def test_response_rules(changes, message):
    firm = billing_firm()
    with pytest.raises(DomainError, match=message):
        _answer(_issued(firm), firm.staff.finance, **changes)


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


def test_excel_reads_back_with_the_closing_balance_in_figures_and_capitals():
    firm = billing_firm()
    _history(firm)
    statement = statement_issue(
        client=firm.acme, start=D(2026, 4, 1), end=D(2026, 4, 30), by=firm.staff.finance
    )
    figures = statement_compute(client=firm.acme, start=D(2026, 4, 1), end=D(2026, 4, 30))
    content = statement_xlsx(statement=statement, figures=figures, firm_name="账房代账")
    rows = [
        [value for value in row if value is not None]
        for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
    ]
    assert rows[0] == ["账房代账 客户对账单"]
    assert rows[1] == ["客户名称", "深圳市阿克米科技有限公司"]
    header = rows.index(["日期", "类型", "摘要", "应收", "收款/减免", "余额"])
    assert rows[header + 1][1:] == ["期初余额", 600]
    assert rows[header + 2][1:] == ["应收", rows[header + 2][2], 600, 1200]
    assert "工商年报" in rows[header + 2][2]
    assert rows[header + 3][1] == "减免" and rows[header + 3][-2:] == [100, 1100]
    assert ["本期合计", 600, 800, 400] in rows
    assert ["期末余额（欠费）", 400] in rows
    assert ["金额大写", "人民币肆佰元整"] in rows


def test_pdf_text_has_the_entries_and_the_capitals():
    firm = billing_firm()
    _history(firm)
    statement = statement_issue(
        client=firm.acme, start=D(2026, 4, 1), end=D(2026, 4, 30), by=firm.staff.finance
    )
    figures = statement_compute(client=firm.acme, start=D(2026, 4, 1), end=D(2026, 4, 30))
    text = pdf_text(statement_pdf(statement=statement, figures=figures, firm_name="账房代账"))
    for expected in [
        "账房代账 客户对账单",
        "深圳市阿克米科技有限公司",
        "2026-04-01 至 2026-04-30",
        "期初余额",
        "¥600.00",
        "工商年报",
        "¥1,200.00",
        "期末余额（欠费）",
        "¥400.00",
        "人民币肆佰元整",
        "核对无误",
    ]:
        assert expected in text, expected


def test_a_credit_balance_is_shown_as_advance_payment():
    firm = billing_firm()
    by = firm.staff.finance
    with on(D(2026, 5, 3)):
        received_payment(firm.acme, "1409.50", allocations=[], by=by)
    statement = statement_issue(client=firm.acme, start=D(2026, 5, 1), end=D(2026, 5, 31), by=by)
    assert statement.closing_balance == Decimal("-1409.50")
    figures = statement_compute(client=firm.acme, start=D(2026, 5, 1), end=D(2026, 5, 31))
    text = pdf_text(statement_pdf(statement=statement, figures=figures, firm_name="账房"))
    assert "预收 ¥1,409.50" in text
    assert "预收人民币壹仟肆佰零玖元伍角" in text
    rows = list(
        load_workbook(
            io.BytesIO(statement_xlsx(statement=statement, figures=figures, firm_name="账房"))
        ).active.iter_rows(values_only=True)
    )
    assert ("期末余额（预收）", 1409.5) in [row[:2] for row in rows]
    assert ("金额大写", "预收人民币壹仟肆佰零玖元伍角") in [row[:2] for row in rows]


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------


def _url(kind: str, pk: int) -> str:
    return {
        "client": f"/billing/clients/{pk}/statements/",
        "issue": f"/billing/clients/{pk}/statements/new/",
        "detail": f"/billing/statements/{pk}/",
        "pdf": f"/billing/statements/{pk}/statement.pdf",
        "xlsx": f"/billing/statements/{pk}/statement.xlsx",
    }[kind]


@pytest.mark.parametrize(
    ("who", "read", "issue"),
    [
        ("finance", 200, 200),
        ("admin", 200, 200),
        ("head1", 200, 403),  # department head of acme's department: reads
        ("head2", 404, 403),  # another department
        ("cs1", 200, 403),  # on acme's team
        ("sales3", 404, 403),  # not on acme's team
        ("outsider", 404, 403),
    ],
)
def test_role_matrix(client, who, read, issue):
    firm = billing_firm()
    statement = _issued(firm)
    client.force_login(getattr(firm.staff, who))
    assert client.get(_url("client", firm.acme.pk)).status_code == read
    assert client.get(_url("detail", statement.pk)).status_code == read
    assert client.get(_url("pdf", statement.pk)).status_code == read
    assert client.get(_url("issue", firm.acme.pk)).status_code == (issue if issue == 403 else read)
    respond = client.post(f"/billing/statements/{statement.pk}/respond/", {})
    assert respond.status_code == (400 if issue == 200 else 403 if read == 200 else 404)


def test_issue_page_defaults_to_last_month_and_issues(client):
    firm = billing_firm()
    _history(firm)
    client.force_login(firm.staff.finance)
    page = client.get(_url("issue", firm.acme.pk))
    form = page.context["form"]
    assert (form["start"].value(), form["end"].value()) == (D(2026, 5, 1), D(2026, 5, 31))
    assert "上季度" in page.content.decode()
    response = client.post(
        _url("issue", firm.acme.pk), {"start": "2026-04-01", "end": "2026-04-30"}
    )
    statement = Statement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("detail", statement.pk)
    html = client.get(response["Location"]).content.decode()
    assert "¥400.00" in html and "人民币肆佰元整" in html
    assert "工商年报" in html


def test_issue_form_errors_name_the_field_and_keep_the_input(client):
    firm = billing_firm()
    client.force_login(firm.staff.finance)
    response = client.post(
        _url("issue", firm.acme.pk), {"start": "2026-05-20", "end": "2026-05-01"}
    )
    assert response.status_code == 200
    assert "对账期起不能晚于对账期止" in response.content.decode()
    assert 'value="2026-05-20"' in response.content.decode()
    assert not Statement.objects.exists()


def test_a_settled_client_shows_zero_balance(client):
    firm = billing_firm()
    by = firm.staff.finance
    with on(D(2026, 6, 1)):
        issued_bill(firm.acme, "900", D(2026, 6, 10), by=by)
    with on(D(2026, 6, 8)):
        received_payment(firm.acme, "900", by=by)
    client.force_login(by)
    response = client.post(
        _url("issue", firm.acme.pk), {"start": "2026-06-01", "end": "2026-06-15"}
    )
    html = client.get(response["Location"]).content.decode()
    assert "已结清，余额为零" in html
    assert "人民币零元整" in html


def test_recording_the_answer_on_the_page(client):
    firm = billing_firm()
    statement = _issued(firm)
    client.force_login(firm.staff.finance)
    url = f"/billing/statements/{statement.pk}/respond/"
    bad = client.post(
        url,
        {
            "status": "disputed",
            "confirmed_by_name": "王会计",
            "method": "email",
            "responded_on": "2026-06-15",
            "disputed_items": "",
        },
    )
    assert bad.status_code == 400
    assert "客户有异议时，须写明异议事项" in bad.content.decode()
    assert 'value="王会计"' in bad.content.decode()
    good = client.post(
        url,
        {
            "status": "disputed",
            "confirmed_by_name": "王会计",
            "method": "email",
            "responded_on": "2026-06-15",
            "disputed_items": "4月收款少记 100 元",
        },
    )
    assert good.status_code == 302
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DISPUTED
    html = client.get(_url("detail", statement.pk)).content.decode()
    assert "4月收款少记 100 元" in html
    assert "按当前台账重新出具" in html
    reissued = client.post(f"/billing/statements/{statement.pk}/reissue/")
    assert reissued.status_code == 302
    assert Statement.objects.count() == 2


def test_downloads_are_files_and_audited(client):
    firm = billing_firm()
    statement = _issued(firm)
    client.force_login(firm.staff.cs1)
    pdf = client.get(_url("pdf", statement.pk))
    assert pdf["Content-Type"] == "application/pdf"
    assert "人民币零元整" in pdf_text(pdf.content)
    xlsx = client.get(_url("xlsx", statement.pk))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    load_workbook(io.BytesIO(xlsx.content))
    assert client.get(f"/billing/statements/{statement.pk}/statement.doc").status_code == 404
    assert AuditEvent.objects.filter(object_type="billing.statement", action="export").count() == 2


def test_a_statement_made_stale_by_a_back_dated_entry_says_so(client):
    firm = billing_firm()
    statement = _issued(firm)
    # A payment received in May but entered afterwards changes May's figures.
    received_payment(firm.acme, "10", received_on=D(2026, 5, 20), by=firm.staff.finance)
    client.force_login(firm.staff.finance)
    assert (
        "重新出具对账单后再与客户核对" in client.get(_url("detail", statement.pk)).content.decode()
    )


@pytest.mark.parametrize("count", [1, 20])
def test_statement_lists_have_a_fixed_query_count(client, django_assert_num_queries, count):
    firm = billing_firm()
    for _ in range(count):
        _issued(firm)
    client.force_login(firm.staff.head1)
    client.get("/billing/statements/")
    # session, user, roles, client, statements with people
    with django_assert_num_queries(5):
        client.get(_url("client", firm.acme.pk))
    # session, user, roles, count, page ids, rows
    with django_assert_num_queries(6):
        response = client.get("/billing/statements/", {"status": "issued"})
    assert len(response.context["page"].object_list) == count
