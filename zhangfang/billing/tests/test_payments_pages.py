"""Payment pages: list, 登记收款 with the open-bills table, detail, 核销预收余额, 冲销."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from zhangfang.billing.models import BillStatus, ClientAccount, Payment
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


@pytest.fixture
def bills(firm):
    by = firm.staff.finance
    return (
        issued_bill(
            firm.acme, 100, issued_on=dt.date(2027, 1, 1), due_on=dt.date(2027, 1, 10), by=by
        ),
        issued_bill(
            firm.acme, 200, issued_on=dt.date(2027, 2, 1), due_on=dt.date(2027, 2, 10), by=by
        ),
    )


def form_data(firm, **changes):
    return {
        "client": firm.acme.pk,
        "method": "bank",
        "amount": "250",
        "received_on": "2027-03-15",
        "payer": "张三",
        "reference": "TX20270315",
        "note": "",
        "auto": "on",
    } | changes


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("finance", 200),
        ("admin", 200),
        ("head1", 200),
        ("acct1", 200),
        ("sales1", 200),
        ("acct2", 404),
        ("head2", 404),
        ("service", 404),
    ],
)
def test_payment_detail_and_receipt_role_matrix(client, firm, bills, who, status):
    payment = received_payment(firm.acme, 100, by=firm.staff.finance)
    client.force_login(getattr(firm.staff, who))
    assert client.get(reverse("billing:payment_detail", args=[payment.pk])).status_code == status
    assert client.get(reverse("billing:payment_receipt", args=[payment.pk])).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("finance", 200), ("admin", 200), ("head1", 403), ("acct1", 403)]
)
def test_payment_create_role_matrix(client, firm, who, status):
    client.force_login(getattr(firm.staff, who))
    response = client.get(reverse("billing:payment_create"), {"client": firm.acme.pk})
    assert response.status_code == status


def test_readers_cannot_allocate_or_reverse(client, firm, bills):
    payment = received_payment(firm.acme, 500, allocations=[], by=firm.staff.finance)
    client.force_login(firm.staff.head1)
    assert client.post(reverse("billing:payment_allocate", args=[payment.pk])).status_code == 403
    response = client.post(reverse("billing:payment_reverse", args=[payment.pk]), {"reason": "x"})
    assert response.status_code == 403
    client.force_login(firm.staff.acct2)
    assert client.post(reverse("billing:payment_allocate", args=[payment.pk])).status_code == 404


def test_form_lists_open_bills_and_auto_allocates(client, firm, bills):
    client.force_login(firm.staff.finance)
    url = reverse("billing:payment_create") + f"?client={firm.acme.pk}"
    body = client.get(url).content.decode()
    assert bills[0].number in body and bills[1].number in body
    assert "全部按账龄自动核销" in body
    response = client.post(url, form_data(firm))
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:payment_detail", args=[payment.pk])
    first, second = bills
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == BillStatus.PAID
    assert second.paid_amount == D("150.00")


def test_explicit_amounts_per_bill(client, firm, bills):
    client.force_login(firm.staff.finance)
    url = reverse("billing:payment_create") + f"?client={firm.acme.pk}"
    response = client.post(url, form_data(firm, **{f"alloc_{bills[1].pk}": "200"}))
    assert response.status_code == 302
    first, second = bills
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (BillStatus.OPEN, BillStatus.PAID)
    assert ClientAccount.objects.get(client=firm.acme).unallocated == D("50.00")


def test_no_auto_and_blank_rows_keep_it_all_as_credit(client, firm, bills):
    client.force_login(firm.staff.finance)
    url = reverse("billing:payment_create") + f"?client={firm.acme.pk}"
    data = form_data(firm)
    del data["auto"]
    assert client.post(url, data).status_code == 302
    assert ClientAccount.objects.get(client=firm.acme).unallocated == D("250.00")


def test_row_errors_name_the_bill_and_keep_input(client, firm, bills):
    client.force_login(firm.staff.finance)
    url = reverse("billing:payment_create") + f"?client={firm.acme.pk}"
    response = client.post(
        url,
        form_data(firm, **{f"alloc_{bills[0].pk}": "150", f"alloc_{bills[1].pk}": "200"}),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f"账单 {bills[0].number} 核销金额" in body
    assert "不能超过该账单未收金额 100.00 元" in body
    assert 'value="TX20270315"' in body
    assert not Payment.objects.exists()
    response = client.post(url, form_data(firm, amount="100", **{f"alloc_{bills[1].pk}": "200"}))
    assert "超过可核销金额 100.00 元" in response.content.decode()
    response = client.post(url, form_data(firm, received_on="2027-03-16", amount=""))
    body = response.content.decode()
    assert "收款日期不能晚于今天" in body and "收款金额" in body
    assert not Payment.objects.exists()


def test_allocate_remainder_from_the_detail_page(client, firm):
    payment = received_payment(firm.acme, 500, by=firm.staff.finance)
    bill = issued_bill(firm.acme, 300, by=firm.staff.finance)
    client.force_login(firm.staff.finance)
    body = client.get(reverse("billing:payment_detail", args=[payment.pk])).content.decode()
    assert "核销预收余额" in body and bill.number in body
    response = client.post(reverse("billing:payment_allocate", args=[payment.pk]))
    assert response.status_code == 302
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert ClientAccount.objects.get(client=firm.acme).unallocated == D("200.00")


def test_reverse_from_the_detail_page(client, firm, bills):
    payment = received_payment(firm.acme, 300, by=firm.staff.finance)
    client.force_login(firm.staff.finance)
    url = reverse("billing:payment_reverse", args=[payment.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "银行退票"}).status_code == 302
    payment.refresh_from_db()
    assert payment.is_reversed
    body = client.get(reverse("billing:payment_detail", args=[payment.pk])).content.decode()
    assert "已冲销" in body and "银行退票" in body and "确认冲销" not in body


def test_list_scope_filters_and_query_count(client, firm, bills, django_assert_max_num_queries):
    mine = received_payment(firm.acme, 100, by=firm.staff.finance)
    theirs = received_payment(firm.globex, 50, by=firm.staff.finance)
    client.force_login(firm.staff.acct1)
    body = client.get(reverse("billing:payment_list")).content.decode()
    assert mine.number in body and theirs.number not in body
    client.force_login(firm.staff.finance)
    url = reverse("billing:payment_list")
    body = client.get(url, {"unallocated": "on"}).content.decode()
    assert theirs.number in body and mine.number not in body
    body = client.get(url, {"q": "环球"}).content.decode()
    assert theirs.number in body and mine.number not in body
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(30):
        received_payment(firm.globex, 10, by=firm.staff.finance)
    with django_assert_max_num_queries(12) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
