"""Negotiation pages: role matrix, form messages, the 洽谈 tab with fees and their changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from zhangfang.leads.models import NegotiationRound, Stage
from zhangfang.leads.tests.factories import NegotiationRoundFactory, ProspectFactory

pytestmark = pytest.mark.django_db

MATRIX = [
    ("sales1", 200),
    ("sales2", 404),
    ("head1", 200),
    ("head2", 404),
    ("acct1", 404),
    ("admin", 200),
]


@pytest.fixture
def prospect(sales_firm):
    return ProspectFactory(owner=sales_firm.staff.sales1, company_name="深圳市洽谈页面有限公司")


def form_data(**changes) -> dict:
    data = {
        "held_on": "2026-11-26",
        "services": ["bookkeeping", "settlement"],
        "proposed_fee": "1,200",
        "payment_method": "yearly",
        "term_months": "12",
        "concerns": "担心账务衔接",
        "agreed_points": "先试用三个月",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_role_matrix(client, sales_firm, prospect, who, status):
    round_ = NegotiationRoundFactory(prospect=prospect)
    client.force_login(getattr(sales_firm.staff, who))
    assert client.get(reverse("leads:negotiation_create", args=[prospect.pk])).status_code == status
    assert client.get(reverse("leads:negotiation_edit", args=[round_.pk])).status_code == status


def test_anonymous_is_sent_to_login(client, prospect):
    response = client.get(reverse("leads:negotiation_create", args=[prospect.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_log_the_first_round_moves_the_prospect(client, sales_firm, prospect):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(reverse("leads:negotiation_create", args=[prospect.pk]), form_data())
    assert response.status_code == 302
    round_ = NegotiationRound.objects.get()
    assert round_.proposed_fee == Decimal("1200.00") and round_.services == [
        "bookkeeping",
        "settlement",
    ]
    prospect.refresh_from_db()
    assert prospect.stage == Stage.NEGOTIATION


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"proposed_fee": "-100"}, "proposed_fee", "报价不能为负数。"),
        ({"proposed_fee": "1.234"}, "proposed_fee", "金额最多保留两位小数"),
        ({"term_months": "0"}, "term_months", "服务期限至少为 1 个月。"),
        ({"payment_method": ""}, "payment_method", "请选择付款方式。"),
        ({"held_on": ""}, "held_on", "请填写洽谈日期。"),
    ],
)
def test_form_messages_name_the_field(client, sales_firm, prospect, changes, field, message):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(
        reverse("leads:negotiation_create", args=[prospect.pk]), form_data(**changes)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert f"{form.fields[field].label}</a>：" in response.text
    assert not NegotiationRound.objects.exists()
    assert "担心账务衔接" in response.text  # nothing typed is lost


def test_edit_a_round(client, sales_firm, prospect):
    round_ = NegotiationRoundFactory(prospect=prospect)
    client.force_login(sales_firm.staff.head1)
    page = client.get(reverse("leads:negotiation_edit", args=[round_.pk]))
    assert page.context["form"].initial["proposed_fee"] == "500.00"
    response = client.post(
        reverse("leads:negotiation_edit", args=[round_.pk]), form_data(proposed_fee="480")
    )
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.proposed_fee == Decimal("480.00") and round_.term_months == 12


def test_tab_lists_rounds_in_order_with_fee_changes(client, sales_firm, prospect):
    from zhangfang.leads import prospect_tabs

    NegotiationRoundFactory(
        prospect=prospect, held_on=dt.date(2026, 11, 20), proposed_fee=Decimal("1500.00")
    )
    NegotiationRoundFactory(
        prospect=prospect, held_on=dt.date(2026, 11, 10), proposed_fee=Decimal("1234.56")
    )
    NegotiationRoundFactory(
        prospect=prospect, held_on=dt.date(2026, 11, 25), proposed_fee=Decimal("1300.00")
    )
    NegotiationRoundFactory(
        prospect=prospect, held_on=dt.date(2026, 11, 26), proposed_fee=Decimal("1300.00")
    )
    assert str(prospect_tabs.TABS["negotiations"].label) == "洽谈"
    client.force_login(sales_firm.staff.sales1)
    request = client.get(reverse("leads:visit_list")).wsgi_request
    template, context = prospect_tabs.TABS["negotiations"].render(request, prospect)
    html = render_to_string(template, context, request=request)
    positions = [html.index(day) for day in ("2026-11-10", "2026-11-20", "2026-11-25")]
    assert positions == sorted(positions)
    for text in ("¥1,234.56", "¥1,500.00", "+¥265.44", "-¥200.00", "与上轮持平", "按季付"):
        assert text in html
    assert reverse("leads:negotiation_create", args=[prospect.pk]) in html


def test_finance_reads_the_tab_but_cannot_log(client, sales_firm, prospect):
    round_ = NegotiationRoundFactory(prospect=prospect, proposed_fee=Decimal("999.00"))
    client.force_login(sales_firm.staff.finance)
    fragment = client.get(reverse("leads:prospect_tab", args=[prospect.pk, "negotiations"]))
    assert fragment.status_code == 200 and "¥999.00" in fragment.text
    assert reverse("leads:negotiation_create", args=[prospect.pk]) not in fragment.text
    assert client.get(reverse("leads:negotiation_create", args=[prospect.pk])).status_code == 403
    assert client.get(reverse("leads:negotiation_edit", args=[round_.pk])).status_code == 403


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_negotiations_tab_on_the_prospect_page(client, sales_firm, prospect, who, status):
    NegotiationRoundFactory(prospect=prospect, proposed_fee=Decimal("1234.56"))
    client.force_login(getattr(sales_firm.staff, who))
    fragment = client.get(reverse("leads:prospect_tab", args=[prospect.pk, "negotiations"]))
    # The prospect page (its owner's code) may close itself to a role outright (403) or answer
    # 404 as for a record out of scope; either way nothing of the prospect is shown.
    assert fragment.status_code in ((status,) if status == 200 else (403, 404))
    if status == 200:
        assert "¥1,234.56" in fragment.text
