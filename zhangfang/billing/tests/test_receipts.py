"""The printable receipt (收据): figures and capitals agree, what it paid, no staff navigation."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from zhangfang.billing.services.payments import payment_reverse
from zhangfang.billing.tests.factories import billing_firm, issued_bill, received_payment
from zhangfang.core.money import rmb_upper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(dt.datetime(2027, 3, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def firm():
    return billing_firm()


def test_receipt_shows_figures_capitals_and_bills(client, firm, settings):
    settings.FIRM_NAME = "深圳市账房财务咨询有限公司"
    bill = issued_bill(firm.acme, "1409.50", description="工商年报", by=firm.staff.finance)
    payment = received_payment(
        firm.acme, "1500.00", payer="李四", reference="TX1", by=firm.staff.finance
    )
    client.force_login(firm.staff.finance)
    body = client.get(reverse("billing:payment_receipt", args=[payment.pk])).content.decode()
    assert "深圳市账房财务咨询有限公司" in body
    assert payment.number in body
    assert firm.acme.name in body
    assert "2027-03-15" in body
    assert "银行转账" in body
    assert "¥1,500.00" in body
    assert rmb_upper(Decimal("1500.00")) in body
    assert "人民币壹仟伍佰元整" in body
    assert f"{bill.number} 工商年报：¥1,409.50" in body
    assert "预收服务费：¥90.50" in body
    assert str(firm.staff.finance) in body
    # A print page: its own stylesheet, no staff navigation, no inline script or style.
    assert "billing/receipt.css" in body
    assert "zf-sidebar" not in body
    assert "style=" not in body
    assert not re.search(r"<script>(?!</script>)", body)


def test_capitals_agree_with_figures_for_odd_amounts(client, firm):
    for amount, upper in [("10.30", "人民币壹拾元叁角"), ("108000.00", "人民币壹拾万捌仟元整")]:
        payment = received_payment(firm.acme, amount, by=firm.staff.finance)
        client.force_login(firm.staff.finance)
        body = client.get(reverse("billing:payment_receipt", args=[payment.pk])).content.decode()
        assert upper in body


def test_reversed_payment_receipt_says_so(client, firm):
    payment = received_payment(firm.acme, 100, by=firm.staff.finance)
    payment_reverse(payment=payment, reason="退票", by=firm.staff.finance)
    client.force_login(firm.staff.finance)
    body = client.get(reverse("billing:payment_receipt", args=[payment.pk])).content.decode()
    assert "收据作废" in body
