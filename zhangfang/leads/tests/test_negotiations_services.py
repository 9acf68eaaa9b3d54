"""Negotiation services: validation, first round moves the prospect to 洽谈, edits audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import NegotiationRound, Stage
from zhangfang.leads.services import negotiations as services
from zhangfang.leads.tests.factories import NegotiationRoundFactory, ProspectFactory

pytestmark = pytest.mark.django_db


def data(**changes) -> dict:
    values = {
        "held_on": dt.date(2026, 11, 26),
        "services": ["bookkeeping", "filing"],
        "proposed_fee": Decimal("800.00"),
        "payment_method": "quarterly",
        "term_months": 12,
        "concerns": "价格偏高",
        "agreed_points": "按季付款",
    }
    values.update(changes)
    return values


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (Stage.LEAD, Stage.NEGOTIATION),
        (Stage.ASSESSMENT, Stage.NEGOTIATION),
        (Stage.VISIT, Stage.NEGOTIATION),
        (Stage.NEGOTIATION, Stage.NEGOTIATION),
    ],
)
def test_first_round_moves_an_earlier_prospect_to_negotiation(sales_firm, stage, expected):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=stage)
    round_ = services.negotiation_log(prospect=prospect, data=data(), by=sales_firm.staff.sales1)
    prospect.refresh_from_db()
    assert prospect.stage == expected
    assert (
        round_.proposed_fee == Decimal("800.00") and round_.recorded_by == sales_firm.staff.sales1
    )
    event = AuditEvent.objects.get(object_type="leads.negotiationround")
    assert event.anchor_type == "leads.prospect" and event.anchor_id == str(prospect.pk)
    assert event.changes["services"] == [None, "代理记账、纳税申报"]


def test_a_later_round_does_not_move_a_prospect_moved_back(sales_firm):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=Stage.VISIT)
    NegotiationRoundFactory(prospect=prospect)
    services.negotiation_log(prospect=prospect, data=data(), by=sales_firm.staff.sales1)
    prospect.refresh_from_db()
    assert prospect.stage == Stage.VISIT


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"proposed_fee": Decimal("-1.00")}, "报价（元/月）：不能为负数"),
        ({"proposed_fee": "abc"}, "报价（元/月）"),
        ({"term_months": 0}, "服务期限（月）"),
        ({"payment_method": "weekly"}, "付款方式"),
        ({"services": ["tea"]}, "洽谈服务"),
        ({"held_on": None}, "洽谈日期"),
    ],
)
def test_bad_values_are_refused_naming_the_field(sales_firm, changes, message):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1)
    with pytest.raises(DomainError, match=message):
        services.negotiation_log(
            prospect=prospect, data=data(**changes), by=sales_firm.staff.sales1
        )
    assert not NegotiationRound.objects.exists()
    prospect.refresh_from_db()
    assert prospect.stage == Stage.LEAD


def test_fee_is_read_with_money_semantics(sales_firm):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1)
    round_ = services.negotiation_log(
        prospect=prospect, data=data(proposed_fee="¥1,234.5"), by=sales_firm.staff.sales1
    )
    assert round_.proposed_fee == Decimal("1234.50")


def test_edit_is_audited_with_before_and_after(sales_firm):
    round_ = NegotiationRoundFactory(prospect=ProspectFactory(owner=sales_firm.staff.sales1))
    services.negotiation_update(
        negotiation=round_, data=data(proposed_fee=Decimal("450.00")), by=sales_firm.staff.sales1
    )
    round_.refresh_from_db()
    assert round_.proposed_fee == Decimal("450.00")
    event = AuditEvent.objects.get(action="update", object_type="leads.negotiationround")
    assert event.changes["proposed_fee"] == ["500.00", "450.00"]
    assert event.anchor_id == str(round_.prospect_id)
