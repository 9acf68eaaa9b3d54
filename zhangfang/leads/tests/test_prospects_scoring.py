"""Scoring: pure functions, weights from the policy settings, stored on save and on rescore."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from zhangfang.core import policy
from zhangfang.leads import scoring
from zhangfang.leads.models import Stage, TaxNeed
from zhangfang.leads.services.prospects import prospect_rescore
from zhangfang.leads.tests.factories import ProspectFactory, channel


def _prospect(**changes):
    values = {
        "size": "",
        "revenue": "",
        "taxpayer_type": "",
        "tax_needs": [],
        "expected_monthly_fee": None,
        "stage": Stage.LEAD,
        "contact_name": "张三",
        "contact_title": "",
        "contact_mobile": "",
        "email": "",
        "address": "",
    }
    values.update(changes)
    return SimpleNamespace(**values)


RICH = {
    "size": "large",
    "revenue": "gte30m",
    "taxpayer_type": "general",
    "tax_needs": ["bookkeeping", "filing", "planning", "settlement"],
    "expected_monthly_fee": Decimal("3000"),
}


def test_value_score_is_full_for_a_large_rich_general_taxpayer():
    assert scoring.value_score(_prospect(**RICH), scoring.Weights()) == 100
    assert scoring.value_score(_prospect(), scoring.Weights()) == 0


def test_value_score_grows_with_each_factor():
    weights = scoring.Weights()
    small = scoring.value_score(_prospect(size="micro"), weights)
    large = scoring.value_score(_prospect(size="large"), weights)
    assert 0 < small < large
    one_need = scoring.value_score(_prospect(tax_needs=["filing"]), weights)
    two_needs = scoring.value_score(_prospect(tax_needs=["filing", "planning"]), weights)
    assert 0 < one_need < two_needs
    half_fee = scoring.value_score(_prospect(expected_monthly_fee=Decimal("1000")), weights)
    full_fee = scoring.value_score(_prospect(expected_monthly_fee=Decimal("2000")), weights)
    assert (half_fee, full_fee) == (8, 15)  # 7.5 rounds to 8


def test_referral_and_partner_channels_score_higher_than_others():
    weights = scoring.Weights()
    p = _prospect()
    referral = scoring.likelihood_score(p, weights, channel_code="referral", recent_activities=0)
    partner = scoring.likelihood_score(p, weights, channel_code="partner", recent_activities=0)
    weibo = scoring.likelihood_score(p, weights, channel_code="weibo", recent_activities=0)
    assert referral == partner > weibo


def test_likelihood_rises_with_stage_activity_and_contact_details():
    weights = scoring.Weights()
    base = scoring.likelihood_score(_prospect(), weights, channel_code="weibo", recent_activities=0)
    later = scoring.likelihood_score(
        _prospect(stage=Stage.NEGOTIATION), weights, channel_code="weibo", recent_activities=0
    )
    active = scoring.likelihood_score(
        _prospect(), weights, channel_code="weibo", recent_activities=2
    )
    complete = scoring.likelihood_score(
        _prospect(contact_mobile="+8613800138000", email="a@b.cn", address="深圳"),
        weights,
        channel_code="weibo",
        recent_activities=0,
    )
    assert base < later and base < active and base < complete


def test_won_is_certain_and_lost_is_zero():
    weights = scoring.Weights()
    assert (
        scoring.likelihood_score(
            _prospect(stage=Stage.WON), weights, channel_code="weibo", recent_activities=0
        )
        == 100
    )
    assert (
        scoring.likelihood_score(
            _prospect(stage=Stage.LOST), weights, channel_code="referral", recent_activities=3
        )
        == 0
    )


def test_overall_is_the_weighted_mix():
    assert scoring.overall_score(80, 40, scoring.Weights(value_weight=50)) == 60
    assert scoring.overall_score(80, 40, scoring.Weights(value_weight=100)) == 80
    assert scoring.overall_score(80, 40, scoring.Weights(value_weight=25)) == 50


@pytest.mark.django_db
def test_every_weight_is_a_registered_policy_setting_with_help():
    keys = [key for key in policy.REGISTRY if key.startswith("lead_score_")]
    assert len(keys) == 12
    assert all(policy.REGISTRY[key].clause == "二（三）1" for key in keys)
    assert scoring.Weights.current() == scoring.Weights()


@pytest.mark.django_db
def test_weights_from_settings_change_the_stored_score(sales_firm):
    admin = sales_firm.staff.admin
    p = ProspectFactory(owner=sales_firm.staff.sales1, **RICH)
    prospect_rescore(p)
    p.refresh_from_db()
    before = (p.value_score, p.likelihood_score, p.score)
    assert p.value_score == 100 and p.score == round((100 + p.likelihood_score) / 2)

    policy.policy_value_set(key="lead_score_value_weight", raw="100", by=admin)
    prospect_rescore(p)
    p.refresh_from_db()
    assert p.score == 100

    # Only the size counts for value now: a large company still scores 100, a micro one 25.
    for key in ("revenue", "taxpayer", "tax_needs", "fee"):
        policy.policy_value_set(key=f"lead_score_{key}_points", raw="0", by=admin)
    p.size = "micro"
    p.save()
    prospect_rescore(p)
    p.refresh_from_db()
    assert (p.value_score, p.score) == (25, 25)
    assert before != (p.value_score, p.likelihood_score, p.score)


@pytest.mark.django_db
def test_rescore_counts_recent_visits_and_negotiations(sales_firm):
    import datetime as dt

    from django.utils import timezone

    from zhangfang.leads.models import NegotiationRound, Visit, VisitStatus

    p = ProspectFactory(owner=sales_firm.staff.sales1, channel=channel("weibo"))
    prospect_rescore(p)
    base = p.likelihood_score
    Visit.objects.create(
        prospect=p,
        purpose="初访",
        starts_at=timezone.now() - dt.timedelta(days=3),
        place="客户处",
        status=VisitStatus.DONE,
    )
    NegotiationRound.objects.create(
        prospect=p,
        held_on=timezone.localdate(),
        proposed_fee=Decimal("500"),
        payment_method="monthly",
        term_months=12,
    )
    # An old visit does not count.
    Visit.objects.create(
        prospect=p,
        purpose="很久以前",
        starts_at=timezone.now() - dt.timedelta(days=400),
        place="客户处",
        status=VisitStatus.DONE,
    )
    prospect_rescore(p)
    p.refresh_from_db()
    assert p.likelihood_score == base + round(25 * 2 / 3 * 100 / 100)


def test_tax_need_choices_are_the_form_checkboxes():
    assert len(TaxNeed.choices) == 8
