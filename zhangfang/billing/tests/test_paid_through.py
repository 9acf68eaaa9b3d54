"""缴费滞后客户: who is on the list, months behind, filters, export, scope and query count."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from zhangfang.billing.models import BillKind
from zhangfang.billing.selectors import receivables as selectors
from zhangfang.billing.services.bills import bill_create
from zhangfang.billing.tests.factories import received_payment
from zhangfang.billing.tests.receivables_firm import billing_firm
from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.contracts.models import ContractStatus
from zhangfang.contracts.tests.factories import ContractFactory
from zhangfang.core.models import AuditEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 15)
LIST = "/billing/paid-through/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(dt.datetime(2026, 11, 15, 10, tzinfo=SHANGHAI), tick=False):
        yield


def _service_months(c, by, months, *, paid: bool):
    """Monthly service bills of 2026 for ``months``, paid in full if ``paid``."""
    for month in months:
        start = dt.date(2026, month, 1)
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        bill_create(
            client=c,
            kind=BillKind.SERVICE,
            description=f"2026年{month}月代理记账费",
            amount=Decimal("500.00"),
            issued_on=start,
            due_on=start + dt.timedelta(days=10),
            period_start=start,
            period_end=end,
            by=by,
        )
        if paid:
            received_payment(c, Decimal("500.00"), received_on=start, by=by)


def _scenario():
    firm = billing_firm()
    by = firm.staff.finance
    d1_team = {"department": firm.d1, "customer_service": firm.staff.cs1}
    # Paid through October (the end of last month): up to date.
    _service_months(firm.acme, by, [8, 9, 10], paid=True)
    # Paid through August, September and October unpaid: 2 months behind.
    _service_months(firm.beta, by, [8], paid=True)
    _service_months(firm.beta, by, [9, 10], paid=False)
    # Nothing paid, an active contract since September: 2 months behind.
    ContractFactory(client=firm.gamma, status=ContractStatus.ACTIVE, start_date=dt.date(2026, 9, 1))
    # Nothing paid, but the contract only began this month: not behind yet.
    fresh = ClientFactory(name="新签客户有限公司", **d1_team)
    ContractFactory(client=fresh, status=ContractStatus.ACTIVE, start_date=dt.date(2026, 11, 1))
    # A terminated client far behind, and a client with neither contract nor bills: not listed.
    gone = ClientFactory(name="已终止客户有限公司", status=ClientStatus.TERMINATED, **d1_team)
    _service_months(gone, by, [1], paid=True)
    _service_months(gone, by, [2], paid=False)
    ClientFactory(name="无合同客户有限公司", **d1_team)
    # A contract that is only a draft does not make a client behind.
    drafted = ClientFactory(name="草稿合同客户有限公司", **d1_team)
    ContractFactory(client=drafted, status=ContractStatus.DRAFT, start_date=dt.date(2026, 1, 1))
    return firm


def _listed(user, **filters):
    clients = selectors.paid_through_behind(
        user=user, on=TODAY, filters=selectors.PaidThroughFilters(**filters)
    )
    return {c.name: selectors.months_behind(c, on=TODAY) for c in clients}


def test_membership_and_months_behind():
    firm = _scenario()
    assert _listed(firm.staff.finance) == {
        "深圳市贝塔贸易有限公司": 2,
        "广州市伽马餐饮有限公司": 2,
    }
    beta = selectors.paid_through_behind(
        user=firm.staff.finance, on=TODAY, filters=selectors.PaidThroughFilters(q="贝塔")
    ).get()
    assert beta.paid_through == dt.date(2026, 8, 31)
    assert beta.balance == Decimal("1000.00")


def test_on_the_first_of_next_month_october_is_due_too():
    firm = _scenario()
    december = selectors.paid_through_behind(
        user=firm.staff.finance, on=dt.date(2026, 12, 1), filters=selectors.PaidThroughFilters()
    )
    behind = {c.name: selectors.months_behind(c, on=dt.date(2026, 12, 1)) for c in december}
    assert behind == {
        "深圳市阿克米科技有限公司": 1,
        "深圳市贝塔贸易有限公司": 3,
        "广州市伽马餐饮有限公司": 3,
        "新签客户有限公司": 1,
    }


def test_filters_and_scope():
    firm = _scenario()
    s = firm.staff
    assert set(_listed(s.finance, min_months=2)) == {
        "深圳市贝塔贸易有限公司",
        "广州市伽马餐饮有限公司",
    }
    assert set(_listed(s.finance, min_months=3)) == set()
    assert set(_listed(s.finance, department=firm.d2.pk)) == {"广州市伽马餐饮有限公司"}
    assert set(_listed(s.finance, staff=s.acct1.pk)) == {"深圳市贝塔贸易有限公司"}
    assert set(_listed(s.head1)) == {"深圳市贝塔贸易有限公司"}
    assert set(_listed(s.sales3)) == {"广州市伽马餐饮有限公司"}
    assert set(_listed(s.outsider)) == set()


def test_page_and_export(client):
    firm = _scenario()
    client.force_login(firm.staff.finance)
    html = client.get(LIST).content.decode()
    assert "2026-08" in html and "未缴费" in html and "2 个月" in html
    assert "¥1,000.00" in html
    response = client.get("/billing/paid-through/export.xlsx", {"sort": "name"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("客户", "已缴至", "滞后月数", "欠费余额")
    assert sorted(row[:3] for row in rows[1:]) == [
        ("广州市伽马餐饮有限公司", "未缴费", 2),
        ("深圳市贝塔贸易有限公司", "2026-08", 2),
    ]
    assert AuditEvent.objects.filter(action="export", object_type="billing.clientaccount").exists()


@pytest.mark.parametrize(
    ("who", "page", "export"),
    [("finance", 200, 200), ("admin", 200, 200), ("head1", 200, 200), ("cs1", 200, 403)],
)
def test_role_matrix(client, who, page, export):
    firm = billing_firm()
    client.force_login(getattr(firm.staff, who))
    assert client.get(LIST).status_code == page
    assert client.get("/billing/paid-through/export.xlsx").status_code == export


@pytest.mark.parametrize("clients", [1, 30])
def test_query_count_is_pinned(client, django_assert_num_queries, clients):
    firm = billing_firm()
    for i in range(clients):
        c = ClientFactory(department=firm.d1, accountant=firm.staff.acct1)
        ContractFactory(
            client=c, status=ContractStatus.ACTIVE, start_date=dt.date(2026, 1 + i % 9, 1)
        )
    client.force_login(firm.staff.head1)
    client.get(LIST)
    # session, user, roles, count, page ids, rows, department and staff options
    with django_assert_num_queries(8):
        response = client.get(LIST, {"sort": "-balance"})
    assert len(response.context["page"].object_list) == min(clients, 25)
