"""Policy settings of the marketing and referral parts of client development (二(二)).

Registered here, apart from ``zhangfang/leads/policy.py``, because a separate engineer owns that
file; ``LeadsConfig.ready()`` should import this module next to it. The services that read these
values import it too, so the keys are registered whichever loads first.

The referral reward rule (二(二)3) is four values: ``referral_reward_kind`` chooses the kind of
reward — the policy registry stores numbers and times only, so the kind is a number:

* ``1`` — cash: ``referral_reward_cash_amount`` yuan paid to the referring client;
* ``2`` — discount: ``referral_reward_discount_percent`` % off the referring client's service fee;
* ``3`` — free months: ``referral_reward_free_months`` months of service without charge.

Only the amount that belongs to the chosen kind is used; the others keep their values so that an
administrator can switch back and forth.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from zhangfang.core.policy import PolicyValue, register

#: ``referral_reward_kind`` values and the :class:`~zhangfang.leads.models.RewardKind` they mean.
REWARD_KIND_CASH = 1
REWARD_KIND_DISCOUNT = 2
REWARD_KIND_FREE_MONTHS = 3

register(
    PolicyValue(
        "referral_reward_kind",
        _("老客户推荐奖励方式"),
        "int",
        REWARD_KIND_CASH,
        clause="二（二）3",
        minimum=1,
        maximum=3,
        help_text=_(
            "1＝现金奖励；2＝服务费折扣；3＝免费服务月数。被推荐客户签约时按此方式提出奖励。"
        ),
    ),
    PolicyValue(
        "referral_reward_cash_amount",
        _("推荐奖励金额（现金）"),
        "decimal",
        Decimal("500.00"),
        unit=_("元"),
        clause="二（二）3",
        minimum=Decimal("0"),
        maximum=Decimal("100000"),
        help_text=_("奖励方式为现金时，每成功推荐一个签约客户奖励的金额。"),
    ),
    PolicyValue(
        "referral_reward_discount_percent",
        _("推荐奖励折扣"),
        "decimal",
        Decimal("10"),
        unit="%",
        clause="二（二）3",
        minimum=Decimal("0"),
        maximum=Decimal("100"),
        help_text=_("奖励方式为服务费折扣时，给推荐客户的服务费优惠比例。"),
    ),
    PolicyValue(
        "referral_reward_free_months",
        _("推荐奖励免费服务月数"),
        "int",
        1,
        unit=_("个月"),
        clause="二（二）3",
        minimum=0,
        maximum=24,
        help_text=_("奖励方式为免费服务月数时，赠送推荐客户的服务月数。"),
    ),
    PolicyValue(
        "website_form_hourly_limit",
        _("官网登记表每小时提交上限"),
        "int",
        5,
        unit=_("次/小时"),
        clause="二（二）1",
        minimum=1,
        maximum=1000,
        help_text=_(
            "同一网络地址每小时最多可提交的官网客户登记次数，超过后暂时拒绝，以防垃圾提交。"
        ),
    ),
    PolicyValue(
        "website_form_min_seconds",
        _("官网登记表最短填写时间"),
        "int",
        3,
        unit=_("秒"),
        clause="二（二）1",
        minimum=0,
        maximum=120,
        help_text=_("打开表单后少于此秒数即提交的，视为机器自动提交而拒绝。"),
    ),
)
