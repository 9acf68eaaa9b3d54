"""The firm's price list: finance and administrators keep it, everyone reads it, edits audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from zhangfang.contracts.models import FeeItem
from zhangfang.core.models import AuditEvent
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("contracts:fee_item_list")
NEW = reverse("contracts:fee_item_create")


def item_data(**changes) -> dict:
    data = {
        "name": "小规模纳税人代理记账",
        "unit": "month",
        "amount": "300",
        "sort_order": 10,
        "is_active": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("role", "can_edit"),
    [("finance", True), ("admin", True), ("sales", False), ("accountant", False)],
)
def test_everyone_reads_only_finance_and_admins_edit(client, role, can_edit):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(LIST).status_code == 200
    response = client.post(NEW, item_data())
    if can_edit:
        assert response.status_code == 302
        item = FeeItem.objects.get()
        assert item.amount == Decimal("300.00")
        assert AuditEvent.objects.filter(action="create", object_type="contracts.feeitem").exists()
    else:
        assert response.status_code == 403 and not FeeItem.objects.exists()


def test_list_shows_money_and_units(client):
    FeeItem.objects.create(name="一般纳税人代理记账", unit="month", amount=Decimal("1200"))
    client.force_login(UserFactory(roles=["sales"]))
    text = client.get(LIST).text
    assert "¥1,200.00" in text and "元/月" in text


@pytest.mark.parametrize(("field", "value"), [("amount", "-1"), ("amount", "abc"), ("name", "")])
def test_bad_input_is_refused_naming_the_field(client, field, value):
    client.force_login(UserFactory(roles=["finance"]))
    response = client.post(NEW, item_data(**{field: value}))
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not FeeItem.objects.exists()


def test_stale_edit_is_refused_and_the_first_kept(client):
    item = FeeItem.objects.create(name="零申报", unit="month", amount=Decimal("200"))
    client.force_login(UserFactory(roles=["finance"]))
    url = reverse("contracts:fee_item_edit", args=[item.pk])
    assert client.post(url, item_data(name="零申报", amount="180", version=1)).status_code == 302
    response = client.post(url, item_data(name="零申报", amount="250", version=1))
    assert "其他人已修改" in response.text
    item.refresh_from_db()
    assert item.amount == Decimal("180.00") and item.version == 2
    event = AuditEvent.objects.get(action="update")
    assert event.changes["amount"] == ["200.00", "180.00"]


def test_demo_price_list_is_created_once():
    from zhangfang.contracts.demo import PRICE_LIST, build_demo_price_list

    assert build_demo_price_list() == len(PRICE_LIST)
    assert build_demo_price_list() == 0
    assert FeeItem.objects.get(name="零申报").amount == Decimal("200.00")
