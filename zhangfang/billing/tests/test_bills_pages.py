"""Bill pages: list (filters, scope, query count), 开具账单, detail with 减免 and 作废."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from zhangfang.billing.models import Bill, BillKind, BillStatus, ClientAccount, LedgerEntry
from zhangfang.billing.tests.factories import billing_firm, issued_bill, received_payment
from zhangfang.contracts.tests.factories import standard_price_list

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
def acme_bill(firm):
    return issued_bill(
        firm.acme,
        300,
        issued_on=dt.date(2027, 2, 1),
        due_on=dt.date(2027, 2, 10),
        by=firm.staff.finance,
    )


@pytest.fixture
def globex_bill(firm):
    return issued_bill(firm.globex, 500, by=firm.staff.finance)


# -- role matrix ---------------------------------------------------------------------------------

VISIBLE = {"finance": 200, "admin": 200, "head1": 200, "acct1": 200, "sales1": 200}
HIDDEN = {"head2": 404, "acct2": 404, "service": 404}


@pytest.mark.parametrize(("who", "status"), list((VISIBLE | HIDDEN).items()))
def test_bill_detail_role_matrix(client, firm, acme_bill, who, status):
    client.force_login(getattr(firm.staff, who))
    response = client.get(reverse("billing:bill_detail", args=[acme_bill.pk]))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("finance", 200), ("admin", 200), ("head1", 403), ("acct1", 403), ("sales1", 403)],
)
def test_bill_create_role_matrix(client, firm, who, status):
    client.force_login(getattr(firm.staff, who))
    response = client.get(reverse("billing:bill_create") + f"?client={firm.acme.pk}")
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("head1", 403), ("acct1", 403), ("acct2", 404), ("head2", 404)]
)
def test_credit_and_void_refused_to_readers(client, firm, acme_bill, who, status):
    client.force_login(getattr(firm.staff, who))
    for name in ("billing:bill_credit", "billing:bill_void"):
        response = client.post(reverse(name, args=[acme_bill.pk]), {"amount": "10", "reason": "x"})
        assert response.status_code == status
    acme_bill.refresh_from_db()
    assert acme_bill.status == BillStatus.OPEN


def test_list_shows_only_bills_in_scope(client, firm, acme_bill, globex_bill):
    client.force_login(firm.staff.acct1)
    body = client.get(reverse("billing:bill_list")).content.decode()
    assert acme_bill.number in body
    assert globex_bill.number not in body
    client.force_login(firm.staff.finance)
    body = client.get(reverse("billing:bill_list")).content.decode()
    assert acme_bill.number in body and globex_bill.number in body
    assert "开具账单" in body


def test_list_filters(client, firm, acme_bill, globex_bill):
    client.force_login(firm.staff.finance)
    url = reverse("billing:bill_list")
    body = client.get(url, {"overdue": "on"}).content.decode()
    assert acme_bill.number in body and globex_bill.number not in body
    body = client.get(url, {"month": "2027-03"}).content.decode()
    assert globex_bill.number in body and acme_bill.number not in body
    body = client.get(url, {"q": "阿克米"}).content.decode()
    assert acme_bill.number in body and globex_bill.number not in body
    body = client.get(url, {"status": "paid"}).content.decode()
    assert "没有符合条件的账单" in body
    body = client.get(url, {"kind": "addon", "sort": "-amount"}).content.decode()
    assert body.index(globex_bill.number) < body.index(acme_bill.number)
    fragment = client.get(url, {"q": "环球"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and globex_bill.number in fragment


def test_list_query_count_does_not_grow(client, firm, django_assert_max_num_queries):
    client.force_login(firm.staff.finance)
    for _ in range(3):
        issued_bill(firm.acme, 100, by=firm.staff.finance)
    client.get(reverse("billing:bill_list"))  # the first request of a session does more
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("billing:bill_list")).status_code == 200
    for _ in range(30):
        issued_bill(firm.globex, 100, by=firm.staff.finance)
    with django_assert_max_num_queries(12) as many:
        assert client.get(reverse("billing:bill_list")).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# -- 开具账单 -------------------------------------------------------------------------------------


def test_create_without_client_shows_a_picker(client, firm):
    client.force_login(firm.staff.finance)
    response = client.get(reverse("billing:bill_create"), {"q": "阿克米"})
    body = response.content.decode()
    assert response.status_code == 200
    assert firm.acme.name in body and f"?client={firm.acme.pk}" in body


def test_addon_from_price_list_prefills_description_and_amount(client, firm):
    items = standard_price_list()
    client.force_login(firm.staff.finance)
    response = client.get(
        reverse("billing:bill_create"),
        {"client": firm.acme.pk, "fee_item": items["annual_report"].pk},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'value="工商年报"' in body
    assert 'value="300.00"' in body


def test_create_bill(client, firm):
    client.force_login(firm.staff.finance)
    response = client.post(
        reverse("billing:bill_create") + f"?client={firm.acme.pk}",
        {
            "client": firm.acme.pk,
            "kind": BillKind.ADDON,
            "description": "税务异常处理",
            "amount": "800",
            "issued_on": "2027-03-15",
            "due_on": "2027-03-25",
        },
    )
    bill = Bill.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:bill_detail", args=[bill.pk])
    assert (bill.amount, bill.status, bill.created_by) == (
        D("800.00"),
        BillStatus.OPEN,
        firm.staff.finance,
    )
    assert ClientAccount.objects.get(client=firm.acme).balance == D("800.00")


def test_create_bill_errors_name_the_field_and_keep_input(client, firm):
    client.force_login(firm.staff.finance)
    response = client.post(
        reverse("billing:bill_create") + f"?client={firm.acme.pk}",
        {
            "client": firm.acme.pk,
            "kind": BillKind.ADDON,
            "description": "税务异常处理",
            "amount": "-1",
            "issued_on": "2027-03-15",
            "due_on": "2027-03-01",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "应收金额" in body and "付款期限不能早于开单日期" in body
    assert 'value="税务异常处理"' in body
    assert not Bill.objects.exists()


def test_create_for_client_out_of_scope_is_404(client, firm):
    client.force_login(firm.staff.admin)
    assert client.get(reverse("billing:bill_create") + "?client=999999").status_code == 404


# -- detail, credit, void ------------------------------------------------------------------------


def test_detail_shows_allocations_and_entries(client, firm, acme_bill):
    payment = received_payment(firm.acme, 100, by=firm.staff.finance)
    client.force_login(firm.staff.finance)
    body = client.get(reverse("billing:bill_detail", args=[acme_bill.pk])).content.decode()
    assert payment.number in body
    assert "¥300.00" in body and "¥100.00" in body
    assert "已逾期" in body
    assert "确认减免" in body
    assert "确认作废" not in body  # money was paid: void is not offered


def test_credit_through_the_page(client, firm, acme_bill):
    client.force_login(firm.staff.finance)
    url = reverse("billing:bill_credit", args=[acme_bill.pk])
    response = client.post(url, {"amount": "400", "reason": "优惠"})
    assert response.status_code == 400
    assert "不能超过账单未收金额" in response.content.decode()
    response = client.post(url, {"amount": "100", "reason": "老客户优惠"})
    assert response.status_code == 302
    acme_bill.refresh_from_db()
    assert acme_bill.credited_amount == D("100.00")


def test_void_through_the_page(client, firm, acme_bill):
    client.force_login(firm.staff.finance)
    url = reverse("billing:bill_void", args=[acme_bill.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "重复开单"}).status_code == 302
    acme_bill.refresh_from_db()
    assert acme_bill.status == BillStatus.VOID
    assert LedgerEntry.objects.filter(bill=acme_bill).count() == 2


def test_templates_have_no_inline_script_or_style(client, firm, acme_bill):
    client.force_login(firm.staff.finance)
    for url in (
        reverse("billing:bill_list"),
        reverse("billing:bill_detail", args=[acme_bill.pk]),
        reverse("billing:bill_create") + f"?client={firm.acme.pk}",
    ):
        body = client.get(url).content.decode()
        assert "style=" not in body
        assert " onclick=" not in body and " onchange=" not in body
        assert "<script>" not in body
