"""Referral rewards (二(二)3): proposed when a referred prospect signs, approved by the head of
the prospect's department, then paid by finance.

Allowed moves: 待审批 → 已批准 or 已驳回; 已批准 → 已发放. Every move is audited on the prospect, so
its history shows the reward.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import zhangfang.leads.policy_marketing  # noqa: F401  (registers the reward rule settings)
from zhangfang.core import audit, policy
from zhangfang.core.errors import TransitionNotAllowed
from zhangfang.core.roles import Role, has_role
from zhangfang.leads.models import Prospect, ReferralReward, RewardKind, RewardStatus
from zhangfang.leads.policy_marketing import (
    REWARD_KIND_CASH,
    REWARD_KIND_DISCOUNT,
    REWARD_KIND_FREE_MONTHS,
)

REWARD_KIND_BY_CODE = {
    REWARD_KIND_CASH: RewardKind.CASH,
    REWARD_KIND_DISCOUNT: RewardKind.DISCOUNT,
    REWARD_KIND_FREE_MONTHS: RewardKind.FREE_MONTHS,
}

REWARD_TRANSITIONS: dict[str, frozenset[str]] = {
    RewardStatus.PROPOSED: frozenset({RewardStatus.APPROVED, RewardStatus.REJECTED}),
    RewardStatus.APPROVED: frozenset({RewardStatus.PAID}),
    RewardStatus.PAID: frozenset(),
    RewardStatus.REJECTED: frozenset(),
}

REWARD_FIELDS = ["kind", "cash_amount", "discount_percent", "free_months", "status", "notes"]


def reward_terms() -> dict:
    """The reward the policy settings give now: its kind and the one amount that belongs to it."""
    kind = REWARD_KIND_BY_CODE.get(policy.get("referral_reward_kind"), RewardKind.CASH)
    terms: dict = {"kind": kind, "cash_amount": None, "discount_percent": None, "free_months": None}
    if kind == RewardKind.CASH:
        terms["cash_amount"] = Decimal(policy.get("referral_reward_cash_amount")).quantize(
            Decimal("0.01")
        )
    elif kind == RewardKind.DISCOUNT:
        terms["discount_percent"] = Decimal(
            policy.get("referral_reward_discount_percent")
        ).quantize(Decimal("0.01"))
    else:
        terms["free_months"] = int(policy.get("referral_reward_free_months"))
    return terms


def can_decide_reward(user, reward: ReferralReward) -> bool:
    """An administrator, or a department head of the referred prospect's department."""
    if has_role(user, Role.ADMIN):
        return True
    return (
        has_role(user, Role.DEPARTMENT_HEAD)
        and user.department_id is not None
        and user.department_id == reward.prospect.department_id
    )


def can_pay_reward(user) -> bool:
    return has_role(user, Role.FINANCE, Role.ADMIN)


def _deciders_of(prospect: Prospect) -> list:
    """Who is told of a new reward: the heads of the prospect's department, else the admins."""
    from zhangfang.staff.models import User

    heads = (
        list(
            User.objects.filter(
                is_active=True,
                groups__name=Role.DEPARTMENT_HEAD,
                department_id=prospect.department_id,
            ).distinct()
        )
        if prospect.department_id
        else []
    )
    if heads:
        return heads
    return list(User.objects.filter(is_active=True, groups__name=Role.ADMIN).distinct())


@transaction.atomic
def referral_reward_propose(*, prospect: Prospect, by) -> ReferralReward | None:
    """Propose the referrer's reward for a prospect that has signed; once per prospect.

    Called by the conversion service. A prospect without a referring client gets no reward
    (None). Calling it again returns the reward already proposed, whatever its status, so a
    repeated conversion or a retried request never doubles a reward.
    """
    current = Prospect.objects.select_for_update().get(pk=prospect.pk)
    existing = ReferralReward.objects.filter(prospect=current).first()
    if existing is not None:
        return existing
    if current.referrer_id is None:
        return None
    reward = ReferralReward.objects.create(
        referrer_id=current.referrer_id, prospect=current, **reward_terms()
    )
    audit.record(
        action="create",
        by=by,
        obj=reward,
        anchor=current,
        changes=audit.created(audit.snapshot(reward, REWARD_FIELDS)),
        detail=_("推荐奖励待审批"),
    )
    from zhangfang.notifications.services import notify

    notify(
        recipients=_deciders_of(current),
        title=_("推荐奖励待审批：%(referrer)s 推荐的 %(prospect)s 已签约")
        % {"referrer": reward.referrer, "prospect": current.company_name},
        body=_("奖励：%(terms)s。请审批。") % {"terms": reward_description(reward)},
        url=_ledger_url(),
        dedupe_key=f"leads-reward-proposed-{reward.pk}",
    )
    return reward


def _ledger_url() -> str:
    from django.urls import reverse

    return reverse("leads:reward_ledger") + "?status=proposed"


def reward_description(reward: ReferralReward) -> str:
    """The reward in words: ``现金奖励 ¥500.00``, ``服务费折扣 10%``, ``免费服务 1 个月``."""
    from zhangfang.core.money import format_rmb

    if reward.kind == RewardKind.CASH:
        return _("现金奖励 %(amount)s") % {"amount": format_rmb(reward.cash_amount or 0)}
    if reward.kind == RewardKind.DISCOUNT:
        percent = (reward.discount_percent or Decimal(0)).normalize()
        return _("服务费折扣 %(percent)s%%") % {"percent": f"{percent:f}"}
    return _("免费服务 %(months)s 个月") % {"months": reward.free_months or 0}


def _move(reward: ReferralReward, to: str, by, note: str = "", **fields) -> ReferralReward:
    current = (
        ReferralReward.objects.select_for_update().select_related("prospect").get(pk=reward.pk)
    )
    if to not in REWARD_TRANSITIONS.get(current.status, frozenset()):
        raise TransitionNotAllowed(
            _("推荐奖励当前为“%(from)s”，不能改为“%(to)s”。")
            % {"from": current.get_status_display(), "to": RewardStatus(to).label}
        )
    before = audit.snapshot(current, REWARD_FIELDS)
    current.status = to
    if note:
        current.notes = note[:200]
    for field, value in fields.items():
        setattr(current, field, value)
    current.version += 1
    current.save()
    audit.record(
        action="status",
        by=by,
        obj=current,
        anchor=current.prospect,
        changes=audit.diff(before, audit.snapshot(current, REWARD_FIELDS)),
        detail=note[:255],
    )
    return current


@transaction.atomic
def referral_reward_decide(
    *, reward: ReferralReward, approve: bool, by, note: str = ""
) -> ReferralReward:
    """Approve or reject a proposed reward: a head of the prospect's department, or an admin."""
    if not can_decide_reward(by, reward):
        raise PermissionDenied(_("只有被推荐客户所在部门的负责人可以审批推荐奖励。"))
    to = RewardStatus.APPROVED if approve else RewardStatus.REJECTED
    return _move(reward, to, by, note, decided_by=by, decided_at=timezone.now())


@transaction.atomic
def referral_reward_mark_paid(*, reward: ReferralReward, by, note: str = "") -> ReferralReward:
    """Record that an approved reward has been paid (or the discount/free months granted)."""
    if not can_pay_reward(by):
        raise PermissionDenied(_("只有财务人员可以登记推荐奖励已发放。"))
    return _move(reward, RewardStatus.PAID, by, note, paid_at=timezone.now())
