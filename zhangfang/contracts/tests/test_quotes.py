"""The quote calculator: a salesperson prices a client's needs from the price list; the result
updates in place (htmx) or on submit without JavaScript, and mistakes name the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from zhangfang.contracts.models import FeeKind, FeeUnit
from zhangfang.contracts.tests.factories import FeeItemFactory, standard_price_list
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("contracts:quote_calculator")
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def prices():
    return standard_price_list()


@pytest.fixture
def sales(client):
    client.force_login(UserFactory(roles=["sales"]))
    return client


def needs(prices, **changes) -> dict:
    from zhangfang.contracts.models import PaymentTerm

    data = {
        "taxpayer_type": "small",
        "industry": "C",
        "monthly_vouchers": "50",
        "payment_term": str(PaymentTerm.objects.get(name="年付九折").pk),
        "term_months": "12",
        "include_setup": "on",
        "on": "2026-11-27",
        "addons": [str(prices["annual_report"].pk)],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("sales", True),
        ("dept_head", True),
        ("finance", True),
        ("admin", True),
        ("accountant", False),
        ("service", False),
        ("tax", False),
    ],
)
def test_who_may_quote(client, prices, role, allowed):
    client.force_login(UserFactory(roles=[role]))
    assert client.get(URL).status_code == (200 if allowed else 403)


def test_the_page_opens_priced_with_typical_needs(sales, prices):
    response = sales.get(URL)
    summary = response.context["summary"]
    # 小规模 ¥300 × 12 months paid monthly, 建账费 ¥500, 账本费 ¥100.
    assert summary.quote.total == Decimal("4200.00")
    assert summary.cycle_count == 12 and summary.saving == 0
    assert 'type="submit"' in response.text  # works without JavaScript too
    assert response.context["form"]["term_months"].value() == 12


def test_a_full_quote_shows_every_figure(sales, prices):
    response = sales.get(URL, needs(prices))
    text = response.text
    summary = response.context["summary"]
    assert [line.name for line in summary.lines] == [
        "小规模纳税人代理记账",
        "制造业加价",
        "建账费",
        "账本费",
        "工商年报",
    ]
    assert summary.quote.monthly_fee == Decimal("400.00")
    assert (summary.cycle.list_amount, summary.cycle.discount_amount, summary.cycle.amount) == (
        Decimal("4800.00"),
        Decimal("480.00"),
        Decimal("4320.00"),
    )
    assert summary.quote.first_bill == summary.quote.total == Decimal("5220.00")
    assert summary.saving == Decimal("480.00")
    for figure in ("¥400.00", "¥4,800.00", "¥480.00", "¥4,320.00", "¥900.00", "¥5,220.00"):
        assert figure in text
    assert "人民币伍仟贰佰贰拾元整" in text and "1 期" in text and "元/年" in text


def test_htmx_gets_only_the_result_and_the_page_gets_everything(sales, prices):
    fragment = sales.get(URL, needs(prices), headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "<form" not in fragment.text
    assert "¥5,220.00" in fragment.text
    page = sales.get(URL, needs(prices))
    assert "<html" in page.text and 'hx-get="' + URL + '"' in page.text
    assert 'hx-target="#quote-result"' in page.text


def test_the_plan_link_carries_the_needs(sales, prices):
    extra = FeeItemFactory(name="个税汇算", kind=FeeKind.ADDON, unit=FeeUnit.YEAR, amount=200)
    data = needs(prices, addons=[str(prices["annual_report"].pk), str(extra.pk)])
    summary = sales.get(URL, data).context["summary"]
    assert parse_qs(summary.plan_query) == {
        "taxpayer_type": ["small"],
        "industry": ["C"],
        "monthly_vouchers": ["50"],
        "payment_term": [data["payment_term"]],
        "term_months": ["12"],
        "addons": sorted(data["addons"], key=int),
        "include_setup": ["1"],
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"monthly_vouchers": "500"}, "monthly_vouchers", "500 张"),
        ({"term_months": "18"}, "term_months", "12 个月"),
        ({"monthly_vouchers": "-1"}, "monthly_vouchers", ""),
        ({"on": "2026-02-30"}, "on", ""),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_what_cannot_be_priced_is_shown_naming_the_field(
    sales, prices, changes, field, message, htmx
):
    headers = {"HX-Request": "true"} if htmx else {}
    response = sales.get(URL, needs(prices, **changes), headers=headers)
    assert response.status_code == 200 and "人民币" not in response.text  # no figures
    assert "无法计算报价" in response.text and message in response.text
    assert f'href="#id_{field}"' in response.text  # the summary names and links to the field
    if not htmx:
        assert message in response.context["form"].errors[field][0]


def test_add_ons_offered_are_those_in_force_on_the_quote_date(sales, prices):
    FeeItemFactory(
        name="数电发票代开",
        kind=FeeKind.ADDON,
        unit=FeeUnit.ONCE,
        amount=50,
        effective_from=dt.date(2027, 1, 1),
    )
    assert "数电发票代开" not in sales.get(URL).text
    later = sales.get(URL, needs(prices, on="2027-01-01", term_months="12"))
    assert "数电发票代开" in later.text
