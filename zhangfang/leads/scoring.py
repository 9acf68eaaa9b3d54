"""How a prospect is rated (policy 二（三）1): potential value, likelihood to sign, overall score.

Pure functions: they read the prospect's fields and a :class:`Weights` (the policy settings read
once), and touch no database, so an import of 10,000 rows scores them without a query each. The
service ``prospect_rescore`` counts the recent visits and negotiations and stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from zhangfang.clients.models import TaxpayerType
from zhangfang.core import policy
from zhangfang.leads.models import Channel, CompanySize, RevenueBand, Stage

#: Share of the size points each company size earns.
SIZE_SHARE = {
    CompanySize.MICRO: 0.25,
    CompanySize.SMALL: 0.5,
    CompanySize.MEDIUM: 0.8,
    CompanySize.LARGE: 1.0,
}
REVENUE_SHARE = {
    RevenueBand.NONE: 0.0,
    RevenueBand.UNDER_1M: 0.25,
    RevenueBand.UNDER_5M: 0.5,
    RevenueBand.UNDER_30M: 0.8,
    RevenueBand.OVER_30M: 1.0,
}
TAXPAYER_SHARE = {TaxpayerType.GENERAL: 1.0, TaxpayerType.SMALL: 0.4}
STAGE_SHARE = {
    Stage.LEAD: 0.1,
    Stage.ASSESSMENT: 0.3,
    Stage.VISIT: 0.6,
    Stage.NEGOTIATION: 0.9,
}
#: Referred prospects sign far more often than cold ones; website and walk-in show intent.
CHANNEL_SHARE = {Channel.REFERRAL: 1.0, Channel.PARTNER: 1.0, Channel.WEBSITE: 0.6, "walk_in": 0.6}
OTHER_CHANNEL_SHARE = 0.4
TAX_NEEDS_FOR_FULL = 4
ACTIVITIES_FOR_FULL = 3
CONTACT_FIELDS = ("contact_name", "contact_title", "contact_mobile", "email", "address")


@dataclass(frozen=True)
class Weights:
    """The policy settings of the score (see ``zhangfang/leads/policy.py``)."""

    value_weight: int = 50
    size: int = 25
    revenue: int = 25
    taxpayer: int = 15
    tax_needs: int = 20
    fee: int = 15
    fee_full: int = 2000
    stage: int = 40
    channel: int = 20
    activity: int = 25
    activity_days: int = 90
    contact: int = 15

    @classmethod
    def current(cls) -> Weights:
        """The administrator's values (read once; pass the result to every score of a batch)."""
        return cls(
            value_weight=policy.get("lead_score_value_weight"),
            size=policy.get("lead_score_size_points"),
            revenue=policy.get("lead_score_revenue_points"),
            taxpayer=policy.get("lead_score_taxpayer_points"),
            tax_needs=policy.get("lead_score_tax_needs_points"),
            fee=policy.get("lead_score_fee_points"),
            fee_full=policy.get("lead_score_fee_full"),
            stage=policy.get("lead_score_stage_points"),
            channel=policy.get("lead_score_channel_points"),
            activity=policy.get("lead_score_activity_points"),
            activity_days=policy.get("lead_score_activity_days"),
            contact=policy.get("lead_score_contact_points"),
        )


@dataclass(frozen=True)
class Scores:
    value: int
    likelihood: int
    overall: int


def _percent(parts: list[tuple[int, float]]) -> int:
    """Points earned out of points possible, 0–100; no possible points gives 0."""
    possible = sum(points for points, _share in parts)
    if possible <= 0:
        return 0
    earned = sum(points * max(0.0, min(1.0, share)) for points, share in parts)
    return round(100 * earned / possible)


def value_score(prospect: Any, weights: Weights) -> int:
    """Potential value 0–100 from size, revenue, taxpayer type, tax needs and expected fee."""
    fee = prospect.expected_monthly_fee
    fee_share = float(Decimal(fee) / weights.fee_full) if fee and weights.fee_full > 0 else 0.0
    return _percent(
        [
            (weights.size, SIZE_SHARE.get(prospect.size, 0.0)),
            (weights.revenue, REVENUE_SHARE.get(prospect.revenue, 0.0)),
            (weights.taxpayer, TAXPAYER_SHARE.get(prospect.taxpayer_type, 0.0)),
            (weights.tax_needs, len(prospect.tax_needs or []) / TAX_NEEDS_FOR_FULL),
            (weights.fee, fee_share),
        ]
    )


def likelihood_score(
    prospect: Any, weights: Weights, *, channel_code: str, recent_activities: int
) -> int:
    """Likelihood to sign 0–100 from stage, channel, recent visits/negotiations and contact data.

    A signed prospect is certain (100) and a lost one is not going to sign (0), whatever else.
    """
    if prospect.stage == Stage.WON:
        return 100
    if prospect.stage == Stage.LOST:
        return 0
    filled = sum(1 for name in CONTACT_FIELDS if getattr(prospect, name, ""))
    return _percent(
        [
            (weights.stage, STAGE_SHARE.get(prospect.stage, 0.0)),
            (weights.channel, CHANNEL_SHARE.get(channel_code, OTHER_CHANNEL_SHARE)),
            (weights.activity, recent_activities / ACTIVITIES_FOR_FULL),
            (weights.contact, filled / len(CONTACT_FIELDS)),
        ]
    )


def overall_score(value: int, likelihood: int, weights: Weights) -> int:
    share = max(0, min(100, weights.value_weight))
    return round((value * share + likelihood * (100 - share)) / 100)


def score(
    prospect: Any, weights: Weights, *, channel_code: str, recent_activities: int = 0
) -> Scores:
    """All three scores of a prospect."""
    value = value_score(prospect, weights)
    likelihood = likelihood_score(
        prospect, weights, channel_code=channel_code, recent_activities=recent_activities
    )
    return Scores(value, likelihood, overall_score(value, likelihood, weights))
