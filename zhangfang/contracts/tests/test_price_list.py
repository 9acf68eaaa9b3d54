"""The firm's price list: finance and administrators keep it, everyone reads it, edits audited;
tiers never overlap; a price change keeps the old price as history; clients see it published."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from zhangfang.contracts.models import FeeItem, FeeKind
from zhangfang.contracts.pricing import bookkeeping_item
from zhangfang.contracts.tests.factories import (
    FeeItemFactory,
    standard_payment_terms,
    standard_price_list,
)
from zhangfang.core.models import AuditEvent
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("contracts:fee_item_list")
NEW = reverse("contracts:fee_item_create")
PUBLIC = reverse("contracts:price_list_public")
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def item_data(**changes) -> dict:
    data = {
        "name": "小规模纳税人代理记账",
        "kind": "bookkeeping",
        "unit": "month",
        "amount": "300",
        "taxpayer_type": "small",
        "effective_from": "2026-01-01",
        "sort_order": 10,
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def finance_login(client):
    client.force_login(UserFactory(roles=["finance"]))


# -- who may do what -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "can_edit"),
    [
        ("finance", True),
        ("admin", True),
        ("sales", False),
        ("accountant", False),
        ("service", False),
        ("dept_head", False),
    ],
)
def test_everyone_reads_only_finance_and_admins_edit(client, role, can_edit):
    item = FeeItemFactory(name="零申报", amount=Decimal(200))
    client.force_login(UserFactory(roles=[role]))
    page = client.get(LIST)
    change_url = reverse("contracts:fee_item_change_price", args=[item.pk])
    assert page.status_code == 200 and (change_url in page.text) == can_edit
    for url in (
        NEW,
        reverse("contracts:fee_item_edit", args=[item.pk]),
        reverse("contracts:fee_item_change_price", args=[item.pk]),
    ):
        assert client.get(url).status_code == (200 if can_edit else 403)
    response = client.post(NEW, item_data())
    if can_edit:
        assert response.status_code == 302
        created = FeeItem.objects.get(name="小规模纳税人代理记账")
        assert created.amount == Decimal("300.00")
        event = AuditEvent.objects.get(action="create", object_type="contracts.feeitem")
        assert event.changes["effective_from"] == [None, "2026-01-01"]
    else:
        assert response.status_code == 403
        assert not FeeItem.objects.filter(name="小规模纳税人代理记账").exists()


def test_a_missing_line_answers_404(client):
    finance_login(client)
    assert client.get(reverse("contracts:fee_item_edit", args=[999])).status_code == 404
    assert client.get(reverse("contracts:fee_item_change_price", args=[999])).status_code == 404


# -- the list page ---------------------------------------------------------------------


def test_list_groups_by_kind_with_money_units_and_periods(client):
    standard_price_list()
    client.force_login(UserFactory(roles=["sales"]))
    text = client.get(LIST).text
    headings = ["代理记账", "行业加价", "建账费", "增值服务", "账本费"]
    positions = [text.index(f'<h2 class="h5 mt-4 mb-2">{label}</h2>') for label in headings]
    assert positions == sorted(positions)
    assert "¥1,500.00" in text and "元/月" in text and "201 张以上" in text
    assert "2020-01-01 – 长期" in text and "制造业" in text
    assert reverse("contracts:price_list_public") in text


def history():
    FeeItemFactory(
        name="小规模",
        amount=280,
        effective_from=dt.date(2024, 1, 1),
        effective_to=dt.date(2025, 12, 31),
    )
    FeeItemFactory(name="小规模", amount=300, effective_from=dt.date(2026, 1, 1))
    FeeItemFactory(name="新价（明年起）", amount=320, effective_from=dt.date(2027, 1, 1))


def test_current_view_hides_history_all_shows_it_and_a_day_shows_that_days_list(client):
    history()
    client.force_login(UserFactory(roles=["accountant"]))
    current = client.get(LIST).text
    assert "¥300.00" in current and "¥280.00" not in current
    assert "¥320.00" in current and "即将执行" in current
    everything = client.get(LIST, {"view": "all"}).text
    assert "¥280.00" in everything and "已失效" in everything
    on_day = client.get(LIST, {"on": "2025-06-30"}).text
    assert "¥280.00" in on_day and "¥300.00" not in on_day and "¥320.00" not in on_day


def test_the_filter_answers_htmx_with_the_table_only(client):
    history()
    client.force_login(UserFactory(roles=["sales"]))
    response = client.get(LIST, {"view": "all"}, headers={"HX-Request": "true"})
    assert "<html" not in response.text and "¥280.00" in response.text


def test_a_malformed_day_in_the_url_shows_the_current_list(client):
    history()
    client.force_login(UserFactory(roles=["sales"]))
    response = client.get(LIST, {"on": "2025-13-45"})
    assert response.status_code == 200 and "¥300.00" in response.text


@pytest.mark.parametrize("copies", [1, 4])
def test_list_query_count_does_not_grow_with_lines(client, django_assert_num_queries, copies):
    for n in range(copies):
        FeeItemFactory(name=f"代理记账{n}", taxpayer_type="small", voucher_min=n * 10)
        FeeItemFactory(name=f"加价{n}", kind=FeeKind.SURCHARGE, industry="C")
    finance_login(client)
    client.get(LIST)  # the session and roles are read once per request like on any page
    with django_assert_num_queries(4):  # session, user, roles, the price list
        assert client.get(LIST).status_code == 200


# -- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"name": ""}, "name"),
        ({"kind": "surcharge", "industry": ""}, "industry"),
        ({"voucher_min": "50", "voucher_max": "10"}, "voucher_max"),
        ({"effective_to": "2025-12-31"}, "effective_to"),
    ],
)
def test_bad_input_is_refused_naming_the_field(client, changes, field):
    finance_login(client)
    response = client.post(NEW, item_data(**changes))
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not FeeItem.objects.exists()


def test_overlapping_tiers_of_one_taxpayer_type_in_force_together_are_refused(client):
    FeeItemFactory(name="小规模 30 张以内", taxpayer_type="small", voucher_min=0, voucher_max=30)
    finance_login(client)
    response = client.post(NEW, item_data(name="小规模 20–50 张", voucher_min=20, voucher_max=50))
    errors = response.context["form"].errors
    assert "小规模 30 张以内" in errors["voucher_min"][0] and "0–30 张" in errors["voucher_min"][0]
    assert response.context["form"]["name"].value() == "小规模 20–50 张"  # nothing typed lost


@pytest.mark.parametrize(
    "changes",
    [
        {"voucher_min": "31", "voucher_max": "100"},  # the next tier
        {"taxpayer_type": "general", "voucher_min": "0", "voucher_max": "30"},  # another type
        {"voucher_min": "0", "voucher_max": "30", "effective_from": "2027-01-01"},  # later
        {"kind": "addon", "voucher_min": "0", "voucher_max": "30"},  # not bookkeeping
    ],
)
def test_tiers_that_do_not_meet_are_accepted(client, changes):
    FeeItemFactory(
        name="小规模 30 张以内",
        taxpayer_type="small",
        voucher_min=0,
        voucher_max=30,
        effective_from=dt.date(2020, 1, 1),
        effective_to=dt.date(2026, 12, 31),
    )
    finance_login(client)
    assert client.post(NEW, item_data(name="新的一档", **changes)).status_code == 302


def test_the_same_name_may_start_again_on_another_day_but_not_the_same(client):
    FeeItemFactory(name="工商年报", kind=FeeKind.ADDON, effective_from=dt.date(2026, 1, 1))
    finance_login(client)
    same_day = client.post(NEW, item_data(name="工商年报", kind="addon"))
    assert "已有一条价格" in same_day.context["form"].errors["name"][0]
    other_day = client.post(
        NEW, item_data(name="工商年报", kind="addon", effective_from="2027-01-01")
    )
    assert other_day.status_code == 302
    assert FeeItem.objects.filter(name="工商年报").count() == 2


def test_stale_edit_is_refused_and_the_first_kept(client):
    item = FeeItemFactory(name="零申报", amount=Decimal("200"), effective_from=dt.date(2026, 1, 1))
    finance_login(client)
    url = reverse("contracts:fee_item_edit", args=[item.pk])
    assert client.post(url, item_data(name="零申报", amount="180", version=1)).status_code == 302
    response = client.post(url, item_data(name="零申报", amount="250", version=1))
    assert "其他人已修改" in response.text
    assert response.context["form"]["amount"].value() == "250"
    item.refresh_from_db()
    assert item.amount == Decimal("180.00") and item.version == 2
    event = AuditEvent.objects.get(action="update")
    assert event.changes["amount"] == ["200.00", "180.00"]


# -- 调价 --------------------------------------------------------------------------------


def change_price(client, item, **data):
    url = reverse("contracts:fee_item_change_price", args=[item.pk])
    return client.post(url, {"version": item.version, **data})


def test_a_price_change_ends_the_old_line_and_starts_a_new_one(client):
    old = FeeItemFactory(
        name="小规模 31–100 张",
        taxpayer_type="small",
        voucher_min=31,
        voucher_max=100,
        amount=280,
        description="含报税",
    )
    finance_login(client)
    response = change_price(client, old, amount="300", effective_from="2027-01-01")
    assert response.status_code == 302 and response.url.endswith("?view=all")
    old.refresh_from_db()
    new = FeeItem.objects.exclude(pk=old.pk).get()
    assert old.effective_to == dt.date(2026, 12, 31) and old.amount == Decimal("280.00")
    assert (new.name, new.amount, new.effective_from, new.effective_to) == (
        "小规模 31–100 张",
        Decimal("300.00"),
        dt.date(2027, 1, 1),
        None,
    )
    assert (new.voucher_min, new.voucher_max, new.description) == (31, 100, "含报税")
    event = AuditEvent.objects.get(action="price_change")
    assert event.action == "price_change" and event.object_id == str(old.pk)
    assert event.changes == {
        "amount": ["280.00", "300.00"],
        "effective_to": [None, "2026-12-31"],
    }

    def price(on):
        return bookkeeping_item(taxpayer_type="small", monthly_vouchers=50, on=on).amount

    assert price(dt.date(2026, 12, 31)) == Decimal("280.00")
    assert price(dt.date(2027, 1, 1)) == Decimal("300.00")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "300", "effective_from": "2020-01-01"}, "effective_from", "须晚于"),
        ({"amount": "280", "effective_from": "2027-01-01"}, "amount", "相同"),
        ({"amount": "-5", "effective_from": "2027-01-01"}, "amount", ""),
        ({"amount": "300", "effective_from": ""}, "effective_from", ""),
    ],
)
def test_a_price_change_that_makes_no_sense_is_refused(client, data, field, message):
    old = FeeItemFactory(name="小规模", amount=280)
    finance_login(client)
    response = change_price(client, old, **data)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert FeeItem.objects.count() == 1
    assert not AuditEvent.objects.filter(action="price_change").exists()


def test_a_price_change_after_the_line_ended_is_refused(client):
    old = FeeItemFactory(name="小规模", amount=280, effective_to=dt.date(2025, 12, 31))
    finance_login(client)
    response = change_price(client, old, amount="300", effective_from="2026-06-01")
    assert "已于 2025-12-31 失效" in response.context["form"].errors["effective_from"][0]


def test_a_stale_price_change_is_refused(client):
    old = FeeItemFactory(name="小规模", amount=280)
    finance_login(client)
    url = reverse("contracts:fee_item_change_price", args=[old.pk])
    first = client.post(url, {"version": 1, "amount": "300", "effective_from": "2027-01-01"})
    assert first.status_code == 302
    second = client.post(url, {"version": 1, "amount": "310", "effective_from": "2027-06-01"})
    assert "其他人已修改" in second.text
    assert FeeItem.objects.count() == 2


# -- published for clients (明码标价) ------------------------------------------------------


def test_the_public_page_needs_no_login_and_shows_todays_prices(client):
    standard_price_list()
    standard_payment_terms()
    history()
    FeeItemFactory(name="停用项目", amount=999, is_active=False)
    response = client.get(PUBLIC)
    assert response.status_code == 200
    text = response.text
    assert "价格自 2026-01-01 起执行" in text
    assert "¥300.00" in text and "¥1,500.00" in text and "201 张以上" in text
    assert "¥280.00" not in text and "¥320.00" not in text and "停用项目" not in text
    assert "年付九折" in text and "优惠 10.0%" in text and "每期赠送 1 个月" in text
    assert reverse("contracts:fee_item_list") not in text  # no staff navigation


def test_the_public_page_says_so_while_there_are_no_prices(client):
    assert "收费标准正在更新" in client.get(PUBLIC).text


def test_the_competitor_comparison_reads_only_todays_prices():
    from zhangfang.contracts.selectors.prices import fee_item_list

    history()
    assert [item.amount for item in fee_item_list(active_only=True)] == [Decimal("300.00")]


# -- demo ------------------------------------------------------------------------------


def test_demo_price_list_is_created_once_and_prices_each_tier():
    from zhangfang.contracts.demo import (
        PRICE_LIST,
        build_demo_payment_terms,
        build_demo_price_list,
    )

    assert build_demo_price_list() == len(PRICE_LIST)
    assert build_demo_price_list() == 0
    build_demo_payment_terms()  # the migration already made them: nothing new, no error
    assert build_demo_payment_terms() == 0

    def price(taxpayer_type, vouchers, on=TODAY):
        item = bookkeeping_item(taxpayer_type=taxpayer_type, monthly_vouchers=vouchers, on=on)
        return item.amount

    assert [price("small", n) for n in (0, 30, 31, 100, 101)] == [200, 200, 300, 300, 500]
    assert price("small", 50, on=dt.date(2025, 12, 31)) == Decimal("280.00")
    assert [price("general", n) for n in (100, 101, 300, 301)] == [800, 1200, 1200, 2000]


def test_a_price_change_that_clashes_with_a_later_tier_changes_nothing(client):
    # Lines written outside the services (an import, the admin) may already overlap; a price
    # change then refuses as a whole rather than half-done.
    old = FeeItemFactory(name="小规模", taxpayer_type="small", voucher_max=100, amount=280)
    FeeItemFactory(
        name="小规模（新）",
        taxpayer_type="small",
        voucher_max=100,
        amount=310,
        effective_from=dt.date(2027, 6, 1),
    )
    finance_login(client)
    response = change_price(client, old, amount="300", effective_from="2027-01-01")
    assert "重叠" in response.context["form"].non_field_errors()[0]
    old.refresh_from_db()
    assert old.effective_to is None and old.version == 1
    assert FeeItem.objects.count() == 2
