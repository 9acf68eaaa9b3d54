"""Reads of referral rewards: the ledger per referring client (二(二)3).

A department head sees the rewards of their department's prospects, finance and administrators
all of them (the prospect data scope, reached through the reward's prospect).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from zhangfang.clients.models import Client
from zhangfang.core.calendar import local_midnight
from zhangfang.core.money_sql import MoneySum
from zhangfang.core.roles import Role, has_role
from zhangfang.core.scope import ScopePaths, scope_q
from zhangfang.leads.models import ReferralReward, RewardStatus

#: Who may open the ledger; a salesperson follows their referral on the prospect itself.
LEDGER_ROLES = (Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN)

REWARD_SCOPE = ScopePaths(department="prospect__department", owner="prospect__owner", assignees=())

LEDGER_SORTS = {
    "name": ("name", "id"),
    "pending": ("pending_cash", "id"),
    "approved": ("approved_cash", "id"),
    "paid": ("paid_cash", "id"),
    "count": ("reward_count", "id"),
}


def can_view_ledger(user) -> bool:
    return has_role(user, *LEDGER_ROLES)


@dataclass(frozen=True)
class RewardFilters:
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str = ""


def _reward_q(user, filters: RewardFilters, prefix: str = "") -> Q:
    condition = scope_q(user, REWARD_SCOPE, prefix=prefix)
    if filters.status:
        condition &= Q(**{f"{prefix}status": filters.status})
    if filters.date_from:
        condition &= Q(**{f"{prefix}proposed_at__gte": local_midnight(filters.date_from)})
    if filters.date_to:
        condition &= Q(
            **{f"{prefix}proposed_at__lt": local_midnight(filters.date_to + dt.timedelta(days=1))}
        )
    return condition


def rewards_visible_to(user) -> QuerySet[ReferralReward]:
    return ReferralReward.objects.filter(scope_q(user, REWARD_SCOPE))


def reward_get(*, user, pk: int) -> ReferralReward | None:
    return (
        rewards_visible_to(user)
        .select_related("prospect", "referrer", "decided_by")
        .filter(pk=pk)
        .first()
    )


def reward_list(*, user, filters: RewardFilters) -> QuerySet[ReferralReward]:
    return (
        ReferralReward.objects.filter(_reward_q(user, filters))
        .select_related("prospect", "prospect__department", "referrer", "decided_by")
        .order_by("-proposed_at", "-id")
    )


def _cash(status: str) -> MoneySum:
    return MoneySum("referral_rewards__cash_amount", filter=Q(referral_rewards__status=status))


def _count(status: str) -> Count:
    return Count("referral_rewards", filter=Q(referral_rewards__status=status))


def ledger_referrers(*, user, filters: RewardFilters, ordering: list | None = None):
    """Referring clients with the totals of their rewards that match the filters.

    The filter on the rewards comes before the sums, so the sums run over the same joined rows:
    only the rewards in scope and within the filters are added up. Cash sums are in yuan; a
    discount or free months is counted (it has no cash figure).
    """
    queryset = Client.objects.filter(_reward_q(user, filters, prefix="referral_rewards__"))
    if filters.q:
        queryset = queryset.filter(name__icontains=filters.q)
    queryset = queryset.annotate(
        reward_count=Count("referral_rewards"),
        pending_cash=_cash(RewardStatus.PROPOSED),
        approved_cash=_cash(RewardStatus.APPROVED),
        paid_cash=_cash(RewardStatus.PAID),
        pending_count=_count(RewardStatus.PROPOSED),
        approved_count=_count(RewardStatus.APPROVED),
        paid_count=_count(RewardStatus.PAID),
        rejected_count=_count(RewardStatus.REJECTED),
    )
    return queryset.order_by(*(ordering or ["name", "id"]))


def rewards_of_referrers(*, user, filters: RewardFilters, referrer_ids: list[int]) -> dict:
    """``{referrer id: [rewards]}`` for the referrers on one page of the ledger (one query)."""
    grouped: dict[int, list[ReferralReward]] = {pk: [] for pk in referrer_ids}
    if not referrer_ids:
        return grouped
    rows = (
        reward_list(user=user, filters=filters)
        .filter(referrer_id__in=referrer_ids)
        .order_by("referrer_id", "-proposed_at", "-id")
    )
    for reward in rows:
        grouped[reward.referrer_id].append(reward)
    return grouped


def ledger_totals(*, user, filters: RewardFilters) -> dict:
    """Totals over every matching reward in scope, for the head of the ledger."""
    return ReferralReward.objects.filter(_reward_q(user, filters)).aggregate(
        pending_cash=MoneySum("cash_amount", filter=Q(status=RewardStatus.PROPOSED)),
        approved_cash=MoneySum("cash_amount", filter=Q(status=RewardStatus.APPROVED)),
        paid_cash=MoneySum("cash_amount", filter=Q(status=RewardStatus.PAID)),
        pending_count=Count("pk", filter=Q(status=RewardStatus.PROPOSED)),
        approved_count=Count("pk", filter=Q(status=RewardStatus.APPROVED)),
        paid_count=Count("pk", filter=Q(status=RewardStatus.PAID)),
    )
