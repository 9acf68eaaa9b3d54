"""The one place fees are computed (contracts.pricing): which lines a client's needs select, and
what each payment cycle charges. Quotes, plans, contracts and bills all rely on these figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhangfang.contracts.models import FeeKind, FeeUnit, PaymentCycle
from zhangfang.contracts.pricing import (
    bookkeeping_item,
    cycle_charge,
    price_list_on,
    quote,
)
from zhangfang.contracts.tests.factories import (
    FeeItemFactory,
    PaymentTermFactory,
    standard_payment_terms,
    standard_price_list,
)
from zhangfang.core.errors import DomainError

ON = dt.date(2026, 11, 27)


def small_tiers():
    """小规模 0–30 张 ¥200, 31–100 ¥300, 101+ ¥500 (the demo's tiers)."""
    return {
        "low": FeeItemFactory(
            name="小规模 30 张以内",
            taxpayer_type="small",
            voucher_min=0,
            voucher_max=30,
            amount=200,
        ),
        "mid": FeeItemFactory(
            name="小规模 31–100 张",
            taxpayer_type="small",
            voucher_min=31,
            voucher_max=100,
            amount=300,
        ),
        "high": FeeItemFactory(
            name="小规模 100 张以上", taxpayer_type="small", voucher_min=101, amount=500
        ),
    }


def monthly_term():
    return PaymentTermFactory(name="按月付", cycle=PaymentCycle.MONTHLY)


# -- which bookkeeping line ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("vouchers", "tier"),
    [(0, "low"), (30, "low"), (31, "mid"), (100, "mid"), (101, "high"), (5000, "high")],
)
def test_the_voucher_count_selects_its_tier_boundaries_included(vouchers, tier):
    tiers = small_tiers()
    item = bookkeeping_item(taxpayer_type="small", monthly_vouchers=vouchers, on=ON)
    assert item == tiers[tier]


@pytest.mark.django_db
def test_a_line_for_the_taxpayer_type_beats_a_line_for_everyone():
    FeeItemFactory(name="代理记账（通用）", taxpayer_type="", amount=250)
    small = FeeItemFactory(name="小规模代理记账", taxpayer_type="small", amount=300)
    assert bookkeeping_item(taxpayer_type="small", monthly_vouchers=10, on=ON) == small
    general = bookkeeping_item(taxpayer_type="general", monthly_vouchers=10, on=ON)
    assert general.name == "代理记账（通用）"


@pytest.mark.django_db
def test_the_narrowest_tier_beats_a_catch_all_line():
    FeeItemFactory(name="小规模（不分档）", taxpayer_type="small", amount=400)
    tier = FeeItemFactory(
        name="小规模（≤30）", taxpayer_type="small", voucher_max=30, amount=200, sort_order=999
    )
    assert bookkeeping_item(taxpayer_type="small", monthly_vouchers=30, on=ON) == tier


@pytest.mark.django_db
def test_a_price_change_applies_from_its_date_and_disabled_lines_never():
    FeeItemFactory(
        name="小规模",
        taxpayer_type="small",
        amount=280,
        effective_from=dt.date(2024, 1, 1),
        effective_to=dt.date(2025, 12, 31),
    )
    FeeItemFactory(
        name="小规模", taxpayer_type="small", amount=300, effective_from=dt.date(2026, 1, 1)
    )
    FeeItemFactory(name="停用的小规模", taxpayer_type="small", amount=1, is_active=False)

    def price(on):
        return bookkeeping_item(taxpayer_type="small", monthly_vouchers=10, on=on).amount

    assert price(dt.date(2025, 12, 31)) == D("280.00")
    assert price(dt.date(2026, 1, 1)) == D("300.00")
    assert (
        bookkeeping_item(taxpayer_type="small", monthly_vouchers=10, on=dt.date(2023, 12, 31))
        is None
    )
    assert [i.amount for i in price_list_on(dt.date(2025, 6, 1))] == [D("280.00")]


# -- what a quote charges -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("industry", "monthly_fee"), [("C", D("400.00")), ("I", D("300.00"))])
def test_industry_surcharges_join_the_monthly_fee(industry, monthly_fee):
    standard_price_list()
    q = quote(
        taxpayer_type="small",
        industry=industry,
        monthly_vouchers=50,
        payment_term=monthly_term(),
        term_months=12,
        on=ON,
    )
    assert q.monthly_fee == monthly_fee
    assert len(q.cycles) == 12 and all(c.amount == monthly_fee for c in q.cycles)


@pytest.mark.django_db
def test_a_surcharge_for_one_taxpayer_type_spares_the_other():
    standard_price_list()
    FeeItemFactory(
        name="一般纳税人建筑业加价",
        kind=FeeKind.SURCHARGE,
        industry="E",
        taxpayer_type="general",
        amount=200,
    )
    small = quote(
        taxpayer_type="small",
        industry="E",
        monthly_vouchers=10,
        payment_term=monthly_term(),
        term_months=1,
        on=ON,
    )
    general = quote(
        taxpayer_type="general",
        industry="E",
        monthly_vouchers=10,
        payment_term=monthly_term(),
        term_months=1,
        on=ON,
    )
    assert small.monthly_fee == D("300.00") and general.monthly_fee == D("1200.00")


@pytest.mark.django_db
def test_add_ons_are_charged_per_their_unit_and_the_ledger_book_per_year():
    prices = standard_price_list()
    per_month = FeeItemFactory(name="社保代缴", kind=FeeKind.ADDON, unit=FeeUnit.MONTH, amount=100)
    per_time = FeeItemFactory(
        name="税务异常处理", kind=FeeKind.ADDON, unit=FeeUnit.ONCE, amount=1000
    )
    per_quarter = FeeItemFactory(
        name="季度报告", kind=FeeKind.ADDON, unit=FeeUnit.QUARTER, amount=50
    )
    q = quote(
        taxpayer_type="small",
        industry="",
        monthly_vouchers=10,
        payment_term=PaymentTermFactory(name="按季付", cycle=PaymentCycle.QUARTERLY),
        term_months=18,
        addons=[prices["annual_report"], per_month, per_time, per_quarter],
        include_setup=True,
        on=ON,
    )
    quantities = {line.name: line.quantity for line in q.lines}
    assert quantities == {
        "小规模纳税人代理记账": 1,
        "建账费": 1,
        "账本费": 2,  # 18 months touch two years
        "工商年报": 2,
        "社保代缴": 1,  # per month: part of the monthly fee
        "税务异常处理": 1,
        "季度报告": 6,
    }
    assert q.monthly_fee == D("400.00")
    assert q.one_off_total == D("500") + D("200") + D("600") + D("1000") + D("300")
    assert len(q.cycles) == 6 and q.cycles[0].amount == D("1200.00")


@pytest.mark.django_db
def test_setup_fee_only_when_asked():
    standard_price_list()
    kwargs = dict(
        taxpayer_type="small",
        industry="",
        monthly_vouchers=10,
        payment_term=monthly_term(),
        term_months=12,
        on=ON,
    )
    without = quote(**kwargs)
    with_setup = quote(**kwargs, include_setup=True)
    assert with_setup.one_off_total - without.one_off_total == D("500.00")


@pytest.mark.django_db
def test_an_annual_prepayment_with_ten_percent_off():
    standard_price_list()
    terms = standard_payment_terms()
    q = quote(
        taxpayer_type="small",
        industry="",
        monthly_vouchers=50,
        payment_term=terms["annual_discount"],
        term_months=24,
        include_setup=True,
        on=ON,
    )
    assert [(c.list_amount, c.discount_amount, c.amount) for c in q.cycles] == [
        (D("3600.00"), D("360.00"), D("3240.00"))
    ] * 2
    assert q.discount_total == D("720.00")
    assert q.one_off_total == D("700.00")  # 建账费 500 + 账本费 2 × 100
    assert q.total == D("7180.00")
    assert q.first_bill == D("3940.00")


@pytest.mark.django_db
def test_an_annual_prepayment_with_a_free_month():
    standard_price_list()
    q = quote(
        taxpayer_type="small",
        industry="",
        monthly_vouchers=50,
        payment_term=standard_payment_terms()["annual_free_month"],
        term_months=12,
        on=ON,
    )
    assert q.cycles[0].amount == D("3300.00") and q.discount_total == D("300.00")


@pytest.mark.django_db
def test_no_bookkeeping_line_for_the_volume_names_the_voucher_field():
    FeeItemFactory(name="小规模", taxpayer_type="small", voucher_max=100)
    with pytest.raises(DomainError) as caught:
        quote(
            taxpayer_type="small",
            industry="",
            monthly_vouchers=101,
            payment_term=monthly_term(),
            term_months=12,
            on=ON,
        )
    assert caught.value.field == "monthly_vouchers" and "101" in caught.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("months", [0, 6, 18])
def test_a_term_of_broken_cycles_names_the_term_field(months):
    standard_price_list()
    with pytest.raises(DomainError) as caught:
        quote(
            taxpayer_type="small",
            industry="",
            monthly_vouchers=10,
            payment_term=standard_payment_terms()["annual_discount"],
            term_months=months,
            on=ON,
        )
    assert caught.value.field == "term_months" and "12" in caught.value.message


# -- one cycle's charge ---------------------------------------------------------------------------


def test_cycle_charge_rounds_half_up_to_the_cent():
    # 1.25 × 10% = 0.125: half-up gives 0.13 (banker's rounding would give 0.12).
    charge = cycle_charge(monthly_fee=D("1.25"), months=1, discount_percent=D(90))
    assert charge.amount == D("0.13") and charge.discount_amount == D("1.12")


def test_cycle_charge_refuses_an_empty_cycle():
    with pytest.raises(ValueError):
        cycle_charge(monthly_fee=D(100), months=0)


MONEY = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False)
PERCENT = st.decimals(min_value=0, max_value=D("99.99"), places=2, allow_nan=False)


@given(
    monthly_fee=MONEY,
    months=st.sampled_from([1, 3, 6, 12]),
    free=st.integers(min_value=0, max_value=11),
    discount=PERCENT,
)
def test_cycle_charge_adds_up_in_cents(monthly_fee, months, free, discount):
    free_months = min(free, months - 1)
    charge = cycle_charge(
        monthly_fee=monthly_fee, months=months, free_months=free_months, discount_percent=discount
    )
    for value in (charge.list_amount, charge.discount_amount, charge.amount):
        assert isinstance(value, D) and value.as_tuple().exponent == -2
    assert charge.amount == charge.list_amount - charge.discount_amount
    assert D(0) <= charge.amount <= charge.list_amount
    assert charge.list_amount == monthly_fee * months
