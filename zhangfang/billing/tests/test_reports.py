"""收费统计: monthly figures against hand-computed values, reversals netted, scope, largest
overdue, chart, Excel, roles and the query count."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from zhangfang.billing.selectors import reports as selectors
from zhangfang.billing.services.bills import bill_credit, bill_void
from zhangfang.billing.services.payments import payment_reverse
from zhangfang.billing.tests.factories import issued_bill, received_payment
from zhangfang.billing.tests.receivables_firm import billing_firm
from zhangfang.core.models import AuditEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date
M = Decimal
pytestmark = pytest.mark.django_db


@contextmanager
def on(day: dt.date):
    with time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI), tick=False
    ):
        yield


@pytest.fixture(autouse=True)
def _clock():
    with on(D(2026, 6, 15)):
        yield


def _bill(c, amount, day, by):
    with on(day):
        return issued_bill(c, M(amount), day + dt.timedelta(days=10), by=by)


def _pay(c, amount, day, by, **kwargs):
    with on(day):
        return received_payment(c, M(amount), received_on=day, by=by, **kwargs)


def _year():
    """Before 2026 acme owes 200. 2026 (hand-computed):

    month  billed  collected  credited  outstanding  rate
    01     1000    0          0         1200         0.0%
    02     0       600        0         600          —
    03     500     0          100       1000         0.0%
    04     0       150 (+400−400 reversed) 0  850     —
    05     300 (+80−80 voided) 100  0   1050         33.3%
    06–12  0       0          0         1050         —
    total  1800    850        100       1050         47.2%
    """
    firm = billing_firm()
    by = firm.staff.finance
    _bill(firm.acme, "200", D(2025, 12, 5), by)
    january = _bill(firm.acme, "1000", D(2026, 1, 5), by)
    _pay(firm.acme, "600", D(2026, 2, 10), by)
    _bill(firm.gamma, "500", D(2026, 3, 5), by)
    with on(D(2026, 3, 20)):
        bill_credit(bill=january, amount=M("100"), reason="服务延误", by=by)
    wrong = _pay(firm.gamma, "400", D(2026, 4, 3), by, allocations=[])
    with on(D(2026, 4, 4)):
        payment_reverse(payment=wrong, reason="重复登记", by=by)
    _pay(firm.gamma, "150", D(2026, 4, 20), by)
    mistake = _bill(firm.beta, "80", D(2026, 5, 2), by)
    with on(D(2026, 5, 3)):
        bill_void(bill=mistake, reason="重复开单", by=by)
    _bill(firm.beta, "300", D(2026, 5, 6), by)
    _pay(firm.beta, "100", D(2026, 5, 26), by)
    return firm


def test_monthly_figures_match_the_hand_computed_table():
    firm = _year()
    report = selectors.billing_report(user=firm.staff.finance, period=selectors.period_year(2026))
    table = [
        (m.label, m.billed, m.collected, m.credited, m.outstanding, m.collection_rate)
        for m in report.months[:6]
    ]
    assert table == [
        ("2026-01", M("1000"), M("0"), M("0"), M("1200"), M("0.0")),
        ("2026-02", M("0"), M("600"), M("0"), M("600"), None),
        ("2026-03", M("500"), M("0"), M("100"), M("1000"), M("0.0")),
        ("2026-04", M("0"), M("150"), M("0"), M("850"), None),
        ("2026-05", M("300"), M("100"), M("0"), M("1050"), M("33.3")),
        ("2026-06", M("0"), M("0"), M("0"), M("1050"), None),
    ]
    assert report.opening_balance == M("200")
    assert [m.outstanding for m in report.months[6:]] == [M("1050")] * 6
    assert (report.billed, report.collected, report.credited) == (M("1800"), M("850"), M("100"))
    assert report.closing_balance == M("1050")
    assert report.collection_rate == M("47.2")
    # The month-end outstanding of the last month is what the accounts say is owed.
    firm.acme.account.refresh_from_db()
    firm.beta.account.refresh_from_db()
    firm.gamma.account.refresh_from_db()
    assert report.closing_balance == sum(
        c.account.balance for c in (firm.acme, firm.beta, firm.gamma)
    )


def test_a_department_head_sees_the_department_and_last_12_months():
    firm = _year()
    report = selectors.billing_report(user=firm.staff.head2, period=selectors.period_year(2026))
    assert (report.opening_balance, report.billed, report.collected) == (M("0"), M("500"), M("150"))
    assert report.collection_rate == M("30.0")
    period = selectors.period_last_12(D(2026, 6, 15))
    assert (period.start, period.end) == (D(2025, 7, 1), D(2026, 6, 30))
    last12 = selectors.billing_report(user=firm.staff.finance, period=period)
    assert last12.opening_balance == M("0")
    assert last12.months[5].label == "2025-12" and last12.months[5].billed == M("200")
    assert last12.closing_balance == M("1050")


def test_page_shows_table_chart_and_largest_overdue(client):
    firm = _year()
    client.force_login(firm.staff.finance)
    response = client.get("/billing/reports/", {"period": "2026"})
    html = response.content.decode()
    assert "33.3%" in html and "47.2%" in html
    assert "<svg" in html and "每月应收与收款" in html
    clients = response.context["largest_clients"]
    assert [(row["client__name"], row["overdue"]) for row in clients] == [
        ("深圳市阿克米科技有限公司", M("500.00")),
        ("广州市伽马餐饮有限公司", M("350.00")),
        ("深圳市贝塔贸易有限公司", M("200.00")),
    ]
    bills = response.context["largest_bills"]
    assert [b.outstanding_amount for b in bills] == [M("500.00"), M("350.00"), M("200.00")]
    assert f"/billing/bills/{bills[0].pk}/" in html


def test_export_reads_back(client):
    firm = _year()
    client.force_login(firm.staff.finance)
    response = client.get("/billing/reports/export.xlsx", {"period": "2026"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("月份", "应收", "收款", "减免", "月末欠费余额", "收款率（%）")
    assert rows[5] == ("2026-05", 300, 100, 0, 1050, 33.3)
    assert rows[-1] == ("合计", 1800, 850, 100, 1050, 47.2)
    assert AuditEvent.objects.filter(action="export", object_type="billing.ledgerentry").exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("finance", 200),
        ("admin", 200),
        ("head1", 200),
        ("cs1", 403),
        ("sales1", 403),
        ("acct1", 403),
    ],
)
def test_role_matrix(client, who, status):
    firm = billing_firm()
    client.force_login(getattr(firm.staff, who))
    assert client.get("/billing/reports/").status_code == status
    assert client.get("/billing/reports/export.xlsx").status_code == status


def test_an_unknown_period_falls_back_to_this_year(client):
    firm = billing_firm()
    client.force_login(firm.staff.finance)
    response = client.get("/billing/reports/", {"period": "1999"})
    assert response.context["report"].period.key == "2026"


@pytest.mark.parametrize("bills", [1, 40])
def test_query_count_is_pinned(client, django_assert_num_queries, bills):
    firm = billing_firm()
    for i in range(bills):
        _bill(firm.acme, 100 + i, D(2026, 1 + i % 5, 3), firm.staff.finance)
    client.force_login(firm.staff.finance)
    client.get("/billing/reports/")
    # session, user, roles, opening balance, monthly sums, largest bills, largest clients
    with django_assert_num_queries(7):
        client.get("/billing/reports/", {"period": "last12"})
