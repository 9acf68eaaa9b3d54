"""Referral rewards: the rule from settings, one reward per prospect, approvals, payment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core import policy
from zhangfang.core.errors import TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import ReferralReward, RewardStatus, Stage
from zhangfang.leads.services import referrals as services
from zhangfang.leads.tests.factories import ProspectFactory
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def referred(sales_firm):
    """A prospect of 一部 referred by an existing client, now signed."""
    referrer = ClientFactory(name="老客户有限公司", department=sales_firm.d1)
    return ProspectFactory(owner=sales_firm.staff.sales1, referrer=referrer, stage=Stage.WON)


def set_policy(sales_firm, **values):
    for key, raw in values.items():
        policy.policy_value_set(key=key, raw=raw, by=sales_firm.staff.admin)


def test_cash_reward_by_default(sales_firm, referred):
    reward = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    assert (reward.kind, reward.cash_amount, reward.status) == (
        "cash",
        Decimal("500.00"),
        "proposed",
    )
    assert reward.referrer == referred.referrer
    assert reward.discount_percent is None and reward.free_months is None


@pytest.mark.parametrize(
    ("kind", "field", "expected"),
    [
        ("1", "cash_amount", Decimal("888.80")),
        ("2", "discount_percent", Decimal("15.50")),
        ("3", "free_months", 2),
    ],
)
def test_reward_rule_for_each_kind_from_settings(sales_firm, referred, kind, field, expected):
    set_policy(
        sales_firm,
        referral_reward_kind=kind,
        referral_reward_cash_amount="888.8",
        referral_reward_discount_percent="15.5",
        referral_reward_free_months="2",
    )
    reward = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    assert reward.kind == {"1": "cash", "2": "discount", "3": "free_months"}[kind]
    assert getattr(reward, field) == expected
    others = {"cash_amount", "discount_percent", "free_months"} - {field}
    assert all(getattr(reward, name) is None for name in others)


def test_proposal_is_idempotent(sales_firm, referred):
    first = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    set_policy(sales_firm, referral_reward_cash_amount="9999")
    second = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    assert first.pk == second.pk
    assert ReferralReward.objects.count() == 1
    assert second.cash_amount == Decimal("500.00")
    assert Notification.objects.filter(recipient=sales_firm.staff.head1).count() == 1


def test_no_referrer_no_reward(sales_firm):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=Stage.WON)
    assert services.referral_reward_propose(prospect=prospect, by=sales_firm.staff.sales1) is None
    assert not ReferralReward.objects.exists()


def test_proposal_notifies_head_of_department_and_is_audited_on_prospect(sales_firm, referred):
    reward = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    note = Notification.objects.get(recipient=sales_firm.staff.head1)
    assert "推荐奖励待审批" in note.title and "/leads/rewards/" in note.url
    assert not Notification.objects.filter(recipient=sales_firm.staff.head2).exists()
    event = AuditEvent.objects.get(object_type="leads.referralreward")
    assert (event.anchor_type, event.anchor_id) == ("leads.prospect", str(referred.pk))
    assert event.object_id == str(reward.pk)


def test_head_of_the_department_approves(sales_firm, referred):
    reward = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    reward = services.referral_reward_decide(
        reward=reward, approve=True, by=sales_firm.staff.head1, note="同意"
    )
    assert reward.status == RewardStatus.APPROVED
    assert reward.decided_by == sales_firm.staff.head1 and reward.decided_at is not None
    assert AuditEvent.objects.filter(
        object_type="leads.referralreward", action="status", anchor_id=str(referred.pk)
    ).exists()


@pytest.mark.parametrize("who", ["head2", "sales1", "finance", "acct1"])
def test_others_cannot_decide(sales_firm, referred, who):
    reward = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    with pytest.raises(PermissionDenied):
        services.referral_reward_decide(
            reward=reward, approve=True, by=getattr(sales_firm.staff, who)
        )
    reward.refresh_from_db()
    assert reward.status == RewardStatus.PROPOSED


def test_admin_may_decide_and_reject(sales_firm, referred):
    reward = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    reward = services.referral_reward_decide(
        reward=reward, approve=False, by=sales_firm.staff.admin, note="推荐关系不成立"
    )
    assert reward.status == RewardStatus.REJECTED and reward.notes == "推荐关系不成立"
    with pytest.raises(TransitionNotAllowed):
        services.referral_reward_mark_paid(reward=reward, by=sales_firm.staff.finance)


def test_paid_only_after_approved_and_only_by_finance_or_admin(sales_firm, referred):
    reward = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    with pytest.raises(TransitionNotAllowed, match="不能改为"):
        services.referral_reward_mark_paid(reward=reward, by=sales_firm.staff.finance)
    services.referral_reward_decide(reward=reward, approve=True, by=sales_firm.staff.head1)
    with pytest.raises(PermissionDenied):
        services.referral_reward_mark_paid(reward=reward, by=sales_firm.staff.head1)
    reward = services.referral_reward_mark_paid(reward=reward, by=sales_firm.staff.finance)
    assert reward.status == RewardStatus.PAID and reward.paid_at is not None
    with pytest.raises(TransitionNotAllowed):
        services.referral_reward_decide(reward=reward, approve=False, by=sales_firm.staff.admin)
    with pytest.raises(TransitionNotAllowed):
        services.referral_reward_mark_paid(reward=reward, by=sales_firm.staff.admin)


def test_decision_twice_is_refused(sales_firm, referred):
    reward = services.referral_reward_propose(prospect=referred, by=sales_firm.staff.sales1)
    services.referral_reward_decide(reward=reward, approve=True, by=sales_firm.staff.head1)
    with pytest.raises(TransitionNotAllowed):
        services.referral_reward_decide(reward=reward, approve=False, by=sales_firm.staff.head1)


def test_description_in_words(sales_firm, referred):
    reward = ReferralReward(kind="discount", discount_percent=Decimal("10.00"))
    assert services.reward_description(reward) == "服务费折扣 10%"
    reward = ReferralReward(kind="free_months", free_months=2)
    assert services.reward_description(reward) == "免费服务 2 个月"
    reward = ReferralReward(kind="cash", cash_amount=Decimal("1234.5"))
    assert services.reward_description(reward) == "现金奖励 ¥1,234.50"
