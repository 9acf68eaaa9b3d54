"""The client-development chapter's settings (policy 二): the weights of the prospect score.

The policy asks staff to "评估客户的潜在价值和合作可能性" (二（三）1) without saying how; the
firm decides the weights here, and an administrator changes them on the settings page.

Each factor has a maximum number of points; a prospect earns a share of it (a large company earns
all of the size points, a micro one a quarter). A score is the points earned out of the points
possible, so it stays 0–100 whatever maxima the administrator sets.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhangfang.core.policy import PolicyValue, register

CLAUSE = "二（三）1"
POINTS = _("分")


def _points(key: str, label, default: int, help_text) -> PolicyValue:
    return PolicyValue(
        key,
        label,
        "int",
        default,
        unit=POINTS,
        clause=CLAUSE,
        minimum=0,
        maximum=100,
        help_text=help_text,
    )


register(
    PolicyValue(
        "lead_score_value_weight",
        _("潜在客户综合评分中潜在价值的权重"),
        "int",
        50,
        unit="%",
        clause=CLAUSE,
        minimum=0,
        maximum=100,
        help_text=_("综合评分 = 潜在价值 × 此权重 + 合作可能性 × （100% − 此权重）。"),
    ),
    # Potential value.
    _points(
        "lead_score_size_points",
        _("潜在价值：企业规模分值"),
        25,
        _("200 人及以上得满分，50–199 人得 80%，10–49 人得 50%，10 人以下得 25%。"),
    ),
    _points(
        "lead_score_revenue_points",
        _("潜在价值：年营业收入分值"),
        25,
        _("3000 万元以上得满分，500–3000 万元得 80%，100–500 万元得 50%，100 万元以下得 25%。"),
    ),
    _points(
        "lead_score_taxpayer_points",
        _("潜在价值：纳税人类型分值"),
        15,
        _("一般纳税人得满分，小规模纳税人得 40%。"),
    ),
    _points(
        "lead_score_tax_needs_points",
        _("潜在价值：税务需求分值"),
        20,
        _("每项税务需求得满分的四分之一，四项及以上得满分。"),
    ),
    _points(
        "lead_score_fee_points",
        _("潜在价值：预计月服务费分值"),
        15,
        _("预计月服务费达到下面的“满分月服务费”得满分，低于它按比例得分。"),
    ),
    PolicyValue(
        "lead_score_fee_full",
        _("潜在价值：满分月服务费"),
        "int",
        2000,
        unit=_("元/月"),
        clause=CLAUSE,
        minimum=1,
        maximum=1_000_000,
    ),
    # Likelihood to sign.
    _points(
        "lead_score_stage_points",
        _("合作可能性：所处阶段分值"),
        40,
        _("洽谈得 90%，拜访得 60%，初步评估得 30%，线索得 10%。"),
    ),
    _points(
        "lead_score_channel_points",
        _("合作可能性：来源渠道分值"),
        20,
        _("老客户推荐、合作机构推荐得满分，官方网站、上门咨询得 60%，其他渠道得 40%。"),
    ),
    _points(
        "lead_score_activity_points",
        _("合作可能性：近期拜访与洽谈分值"),
        25,
        _("近期每次已完成的拜访或洽谈得满分的三分之一，三次及以上得满分。"),
    ),
    PolicyValue(
        "lead_score_activity_days",
        _("合作可能性：“近期”的天数"),
        "int",
        90,
        unit=_("天"),
        clause=CLAUSE,
        minimum=1,
        maximum=730,
    ),
    _points(
        "lead_score_contact_points",
        _("合作可能性：联系信息完整度分值"),
        15,
        _("联系人、职务、联系电话、电子邮箱、地址，每填一项得满分的五分之一。"),
    ),
)
