"""应收账款: ageing buckets at their boundaries, credit, the firm's totals, filters, scope, the
Excel export, the role matrix and the pinned query count."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from zhangfang.billing.selectors import receivables as selectors
from zhangfang.billing.services.bills import bill_credit
from zhangfang.billing.tests.factories import issued_bill, received_payment
from zhangfang.billing.tests.receivables_firm import billing_firm
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.models import AuditEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 6, 30, 10, 0, tzinfo=SHANGHAI)
LIST = "/billing/receivables/"
EXPORT = "/billing/receivables/export.xlsx"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _bill(client, amount, days_overdue: int, by):
    """A bill ``days_overdue`` days past its due date today (negative: due in the future)."""
    due_on = TODAY - dt.timedelta(days=days_overdue)
    return issued_bill(
        client, Decimal(amount), due_on, issued_on=min(due_on, TODAY) - dt.timedelta(days=10), by=by
    )


def _rows(user, **filters):
    queryset = selectors.receivables_by_client(
        user=user, on=TODAY, filters=selectors.ReceivableFilters(**filters)
    )
    return {row["client_id"]: row for row in queryset}


def test_ageing_buckets_at_their_boundaries():
    firm = billing_firm()
    by = firm.staff.finance
    # Each bucket gets amounts of distinct powers of two, so every sum says which bills are in it.
    for amount, days in [
        (1, -5),  # due in five days
        (2, 0),  # due today: the last day to pay, not overdue yet
        (4, 1),
        (8, 30),
        (16, 31),
        (32, 60),
        (64, 61),
        (128, 90),
        (256, 91),
    ]:
        _bill(firm.acme, amount, days, by)
    row = _rows(by)[firm.acme.pk]
    assert row["not_due"] == Decimal("3.00")
    assert row["d0_30"] == Decimal("12.00")
    assert row["d31_60"] == Decimal("48.00")
    assert row["d61_90"] == Decimal("192.00")
    assert row["over_90"] == Decimal("256.00")
    assert row["overdue"] == Decimal("508.00")
    assert row["total"] == Decimal("511.00")
    # The same rule for one bill, used where a single bill is shown.
    assert [
        selectors.bucket_of(TODAY - dt.timedelta(days=d), TODAY) for d in (0, 1, 31, 61, 91)
    ] == [
        "not_due",
        "d0_30",
        "d31_60",
        "d61_90",
        "over_90",
    ]


def test_a_chosen_date_ages_the_same_bills_differently():
    firm = billing_firm()
    _bill(firm.acme, 100, 10, firm.staff.finance)
    queryset = selectors.receivables_by_client(
        user=firm.staff.finance,
        on=TODAY + dt.timedelta(days=25),
        filters=selectors.ReceivableFilters(),
    )
    (row,) = list(queryset)
    assert row["d31_60"] == Decimal("100.00")
    assert row["d0_30"] == Decimal("0.00")


def test_outstanding_is_net_of_payments_and_credits_and_settled_bills_leave():
    firm = billing_firm()
    by = firm.staff.finance
    partly = _bill(firm.acme, 1000, 40, by)
    _bill(firm.acme, 500, -3, by)
    received_payment(firm.acme, Decimal("300"), allocations=[(partly, Decimal("300"))], by=by)
    bill_credit(bill=partly, amount=Decimal("100"), reason="服务延误减免", by=by)
    settled = _bill(firm.beta, 200, 5, by)
    received_payment(firm.beta, Decimal("200"), by=by)
    settled.refresh_from_db()
    assert settled.status == "paid"
    rows = _rows(by)
    assert firm.beta.pk not in rows
    row = rows[firm.acme.pk]
    assert row["d31_60"] == Decimal("600.00")
    assert row["not_due"] == Decimal("500.00")
    assert row["total"] == Decimal("1100.00")


def test_credit_is_shown_beside_what_is_owed():
    firm = billing_firm()
    by = firm.staff.finance
    _bill(firm.acme, 800, 15, by)
    # Money received and kept as the client's credit (not allocated).
    received_payment(firm.acme, Decimal("250"), allocations=[], by=by)
    row = _rows(by)[firm.acme.pk]
    assert row["total"] == Decimal("800.00")
    assert row["credit"] == Decimal("250.00")
    firm.acme.account.refresh_from_db()
    # The ledger's balance is what is owed less the credit.
    assert firm.acme.account.balance == row["total"] - row["credit"]


def test_firm_totals_are_the_sum_of_every_row_on_every_page(client):
    firm = billing_firm()
    by = firm.staff.finance
    for i, c in enumerate([firm.acme, firm.beta, firm.gamma]):
        _bill(c, 100 * (i + 1), 95, by)
        _bill(c, 10 * (i + 1), 45, by)
        _bill(c, i + 1, -1, by)
    received_payment(firm.gamma, Decimal("7"), allocations=[], by=by)
    queryset = selectors.receivables_by_client(
        user=by, on=TODAY, filters=selectors.ReceivableFilters()
    )
    rows = list(queryset)
    totals = selectors.receivables_totals(queryset)
    assert totals["clients"] == 3
    for key in selectors.AMOUNT_KEYS:
        assert totals[key] == sum((row[key] for row in rows), Decimal("0"))
    assert totals["over_90"] == Decimal("600.00")
    assert totals["credit"] == Decimal("7.00")
    client.force_login(by)
    response = client.get(LIST, {"page": 1})
    assert response.context["totals"] == totals
    # With one row per page the footer still totals the whole firm.
    from zhangfang.billing.views import receivables as views

    views.PAGE_SIZE, old = 1, views.PAGE_SIZE
    try:
        response = client.get(LIST, {"page": 2})
    finally:
        views.PAGE_SIZE = old
    assert len(response.context["page"].object_list) == 1
    assert response.context["totals"]["total"] == totals["total"]


def test_filters_and_sorts():
    firm = billing_firm()
    by = firm.staff.finance
    _bill(firm.acme, 100, 100, by)
    _bill(firm.beta, 300, -10, by)
    _bill(firm.gamma, 200, 20, by)
    assert set(_rows(by, only_overdue=True)) == {firm.acme.pk, firm.gamma.pk}
    assert set(_rows(by, bucket="over_90")) == {firm.acme.pk}
    assert set(_rows(by, bucket="not_due")) == {firm.beta.pk}
    assert set(_rows(by, department=firm.d2.pk)) == {firm.gamma.pk}
    assert set(_rows(by, staff=firm.staff.cs1.pk)) == {firm.acme.pk, firm.beta.pk}
    assert set(_rows(by, staff=firm.staff.sales3.pk)) == {firm.gamma.pk}
    assert set(_rows(by, q="贝塔")) == {firm.beta.pk}

    def order(sort):
        return [
            row["client_id"]
            for row in selectors.receivables_by_client(
                user=by, on=TODAY, filters=selectors.ReceivableFilters(), sort=sort
            )
        ]

    assert order("-total") == [firm.beta.pk, firm.gamma.pk, firm.acme.pk]
    assert order("-over_90")[0] == firm.acme.pk
    assert order("total") == [firm.acme.pk, firm.gamma.pk, firm.beta.pk]


def test_each_role_sees_its_scope():
    firm = billing_firm()
    by = firm.staff.finance
    for c in (firm.acme, firm.beta, firm.gamma):
        _bill(c, 100, 10, by)
    everyone = {firm.acme.pk, firm.beta.pk, firm.gamma.pk}
    s = firm.staff
    assert set(_rows(s.finance)) == everyone
    assert set(_rows(s.admin)) == everyone
    assert set(_rows(s.head1)) == {firm.acme.pk, firm.beta.pk}
    assert set(_rows(s.head2)) == {firm.gamma.pk}
    assert set(_rows(s.cs1)) == {firm.acme.pk, firm.beta.pk}
    assert set(_rows(s.sales3)) == {firm.gamma.pk}
    assert set(_rows(s.outsider)) == set()


@pytest.mark.parametrize(
    ("who", "page", "export"),
    [
        ("finance", 200, 200),
        ("admin", 200, 200),
        ("head1", 200, 200),
        ("cs1", 200, 403),
        ("sales1", 200, 403),
        ("acct1", 200, 403),
        ("outsider", 200, 403),
    ],
)
def test_role_matrix(client, who, page, export):
    firm = billing_firm()
    _bill(firm.acme, 100, 10, firm.staff.finance)
    client.force_login(getattr(firm.staff, who))
    assert client.get(LIST).status_code == page
    assert client.get(EXPORT).status_code == export


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_page_shows_rows_team_and_footer_and_answers_htmx_with_the_table(client):
    firm = billing_firm()
    _bill(firm.acme, Decimal("1409.50"), 35, firm.staff.finance)
    client.force_login(firm.staff.finance)
    response = client.get(LIST)
    html = response.content.decode()
    assert "深圳市阿克米科技有限公司" in html
    assert "客服甲" in html and "业务甲" in html
    assert "¥1,409.50" in html
    assert "全所合计" in html
    fragment = client.get(LIST, {"overdue": "1"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert "¥1,409.50" in fragment


def test_export_reads_back_with_totals_and_is_audited(client):
    firm = billing_firm()
    by = firm.staff.finance
    _bill(firm.acme, 100, 95, by)
    _bill(firm.gamma, 50, 5, by)
    client.force_login(by)
    response = client.get(EXPORT, {"sort": "-total"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("客户", "部门", "客服专员", "业务负责人", "未到期")
    assert rows[1][0] == "深圳市阿克米科技有限公司"
    assert rows[1][2:4] == ("客服甲", "业务甲")
    assert rows[1][8] == 100  # 90 天以上
    assert rows[2][0] == "广州市伽马餐饮有限公司"
    assert rows[3][0] == "合计"
    assert rows[3][9] == 150  # 应收合计
    assert AuditEvent.objects.filter(action="export", object_type="billing.bill").count() == 1


@pytest.mark.parametrize("clients", [1, 30])
def test_query_count_is_pinned(client, django_assert_num_queries, clients):
    firm = billing_firm()
    by = firm.staff.finance
    for i in range(clients):
        c = ClientFactory(department=firm.d1, customer_service=firm.staff.cs1)
        _bill(c, 100 + i, i * 7 - 20, by)
    client.force_login(firm.staff.head1)
    client.get(LIST)
    # session, user, roles, count, page rows, their clients, totals, department and staff options
    with django_assert_num_queries(9):
        response = client.get(LIST, {"sort": "-over_90"})
    assert len(response.context["page"].object_list) == min(clients, 25)
    with django_assert_num_queries(7):
        client.get(LIST, {"sort": "name"}, headers={"HX-Request": "true"})
