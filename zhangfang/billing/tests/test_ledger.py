"""The client page's 收费台账 tab and the ledger selector: summary, running balance per page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from zhangfang.billing.selectors.ledger import account_of, client_ledger
from zhangfang.billing.services.bills import bill_credit
from zhangfang.billing.services.payments import payment_reverse
from zhangfang.billing.tests.factories import billing_firm, issued_bill, received_payment

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(dt.datetime(2027, 3, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def firm():
    return billing_firm()


def make_history(firm, count: int) -> None:
    """``count`` bills of ¥100 over January–March, each half paid."""
    by = firm.staff.finance
    for n in range(count):
        day = dt.date(2027, 1, 1) + dt.timedelta(days=n % 70)
        bill = issued_bill(firm.acme, 100, issued_on=day, due_on=day, by=by)
        received_payment(firm.acme, 50, received_on=day, allocations=[(bill, D(50))], by=by)


def test_running_balance_is_right_on_every_page(firm):
    make_history(firm, 23)  # 46 rows
    last = client_ledger(client=firm.acme, page=None, per_page=10)
    assert last.page.number == 5  # the newest page by default
    assert last.closing_balance == D("1150.00") == account_of(firm.acme).balance
    balances = []
    for number in range(1, 6):
        page = client_ledger(client=firm.acme, page=number, per_page=10)
        if balances:
            assert page.opening_balance == balances[-1]
        else:
            assert page.opening_balance == 0
        balance = page.opening_balance
        for row in page.rows:
            balance += (row.debit or 0) - (row.credit or 0)
            assert row.balance == balance
        balances.append(page.closing_balance)
    assert balances[-1] == D("1150.00")


def test_ledger_page_costs_a_fixed_number_of_queries(firm, django_assert_num_queries):
    make_history(firm, 15)
    with django_assert_num_queries(3):
        client_ledger(client=firm.acme, page=2, per_page=10)
    with django_assert_num_queries(2):
        client_ledger(client=firm.acme, page="x", per_page=100)  # one page: no opening query


def test_reversals_show_as_negative_rows(firm):
    by = firm.staff.finance
    bill = issued_bill(firm.acme, 300, by=by)
    bill_credit(bill=bill, amount=D(50), reason="优惠", by=by)
    payment = received_payment(firm.acme, 100, by=by)
    payment_reverse(payment=payment, reason="退票", by=by)
    ledger = client_ledger(client=firm.acme, page=1)
    assert [(r.debit, r.credit, r.balance) for r in ledger.rows] == [
        (D("300.00"), None, D("300.00")),
        (None, D("50.00"), D("250.00")),
        (None, D("100.00"), D("150.00")),
        (None, D("-100.00"), D("250.00")),
    ]


def test_tab_shows_summary_and_buttons_for_finance(client, firm):
    by = firm.staff.finance
    bill = issued_bill(
        firm.acme, 300, issued_on=dt.date(2027, 2, 1), due_on=dt.date(2027, 2, 10), by=by
    )
    received_payment(firm.acme, 500, allocations=[(bill, D(100))], by=by)
    client.force_login(firm.staff.finance)
    response = client.get(reverse("clients:detail", args=[firm.acme.pk]), {"tab": "billing"})
    body = response.content.decode()
    assert "收费台账" in body
    assert "¥-200.00" in body or "-¥200.00" in body  # owed 300, received 500
    assert "¥400.00" in body  # 预收余额
    assert "2027-02-10" in body  # oldest overdue
    assert "开具账单" in body and "登记收款" in body
    assert bill.number in body
    # The client's statements of account are one click away (the first one included).
    assert reverse("billing:client_statements", args=[firm.acme.pk]) in body


def test_tab_for_readers_has_no_buttons_and_outsiders_get_404(client, firm):
    issued_bill(firm.acme, 300, by=firm.staff.finance)
    client.force_login(firm.staff.acct1)
    url = reverse("clients:tab", args=[firm.acme.pk, "billing"])
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "¥300.00" in body
    assert "登记收款" not in body
    client.force_login(firm.staff.acct2)
    assert client.get(url).status_code == 404


def test_tab_pages_through_htmx(client, firm):
    make_history(firm, 15)
    client.force_login(firm.staff.finance)
    url = reverse("clients:tab", args=[firm.acme.pk, "billing"])
    last = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    first = client.get(url, {"page": 1}, HTTP_HX_REQUEST="true").content.decode()
    assert "承前余额" in first and "承前余额" in last
    assert "?page=1" in last
    assert first != last


def test_paid_through_shown_as_month(client, firm):
    from zhangfang.billing.models import ClientAccount

    ClientAccount.objects.update_or_create(
        client=firm.acme, defaults={"paid_through": dt.date(2027, 2, 28)}
    )
    client.force_login(firm.staff.finance)
    body = client.get(reverse("clients:tab", args=[firm.acme.pk, "billing"])).content.decode()
    assert "2027-02" in body and "2027-02-28" not in body
