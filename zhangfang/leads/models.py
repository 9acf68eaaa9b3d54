"""Client development (policy 二): market research, channels, prospects and their pipeline,
visits, negotiation rounds, partners, marketing activities and referral rewards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhangfang.clients.models import Industry, TaxpayerType

# ---------------------------------------------------------------------------------------------
# Market research (二(一))
# ---------------------------------------------------------------------------------------------


class Competitor(models.Model):
    name = models.CharField(_("竞争对手"), max_length=100, unique=True)
    services = models.TextField(_("服务内容"), blank=True)
    strengths = models.TextField(_("优势"), blank=True)
    weaknesses = models.TextField(_("劣势"), blank=True)
    source = models.CharField(_("信息来源"), max_length=200, blank=True)
    observed_on = models.DateField(_("调研日期"))
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("竞争对手")
        verbose_name_plural = _("竞争对手")

    def __str__(self) -> str:
        return self.name


class PriceUnit(models.TextChoices):
    MONTH = "month", _("元/月")
    QUARTER = "quarter", _("元/季")
    YEAR = "year", _("元/年")
    ONCE = "once", _("元/次")


class CompetitorPrice(models.Model):
    competitor = models.ForeignKey(
        Competitor, verbose_name=_("竞争对手"), on_delete=models.CASCADE, related_name="prices"
    )
    item = models.CharField(_("收费项目"), max_length=100)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    unit = models.CharField(
        _("计价单位"), max_length=10, choices=PriceUnit.choices, default=PriceUnit.MONTH
    )
    notes = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["competitor", "item"]
        verbose_name = _("竞争对手价格")
        verbose_name_plural = _("竞争对手价格")

    def __str__(self) -> str:
        return f"{self.competitor} {self.item}"


class MarketNote(models.Model):
    """A dated research note on market trends and changes in client needs."""

    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    observed_on = models.DateField(_("日期"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-observed_on", "-id"]
        verbose_name = _("市场调研记录")
        verbose_name_plural = _("市场调研记录")

    def __str__(self) -> str:
        return self.title


# ---------------------------------------------------------------------------------------------
# Channels, activities, partners (二(二))
# ---------------------------------------------------------------------------------------------


class Channel(models.Model):
    """Where prospects come from; the administrator keeps the list (codes of the built-ins are
    fixed because the website form and referrals look them up)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("渠道名称"), max_length=50, unique=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    WEBSITE = "website"
    REFERRAL = "referral"
    PARTNER = "partner"

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("获客渠道")
        verbose_name_plural = _("获客渠道")

    def __str__(self) -> str:
        return self.name


class ActivityKind(models.TextChoices):
    EXHIBITION = "exhibition", _("展会")
    SEMINAR = "seminar", _("研讨会/交流会")
    ONLINE = "online", _("网络推广")
    FLYER = "flyer", _("宣传资料派发")
    OTHER = "other", _("其他")


class MarketingActivity(models.Model):
    name = models.CharField(_("活动名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=ActivityKind.choices)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("渠道"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    cost = models.DecimalField(_("费用"), max_digits=12, decimal_places=2, default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("备注"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("市场活动")
        verbose_name_plural = _("市场活动")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="activity_dates_order"
            ),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="activity_cost_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerKind(models.TextChoices):
    REGISTRATION_AGENT = "registration", _("工商注册代理")
    TAX_FIRM = "tax_firm", _("税务师事务所")
    LAW_FIRM = "law_firm", _("律师事务所")
    OTHER = "other", _("其他机构")


class Partner(models.Model):
    name = models.CharField(_("合作机构"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=PartnerKind.choices)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_mobile = models.CharField(_("手机号"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    is_active = models.BooleanField(_("合作中"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("合作机构")
        verbose_name_plural = _("合作机构")

    def __str__(self) -> str:
        return self.name


class PartnerReferralOut(models.Model):
    """A client of ours that we recommended to a partner (the other direction of 互相推荐)."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("合作机构"), on_delete=models.CASCADE, related_name="referrals_out"
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="+"
    )
    referred_on = models.DateField(_("推荐日期"))
    notes = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-referred_on", "-id"]
        verbose_name = _("推荐给合作机构的客户")
        verbose_name_plural = _("推荐给合作机构的客户")

    def __str__(self) -> str:
        return f"{self.client} → {self.partner}"


# ---------------------------------------------------------------------------------------------
# Prospects and their pipeline (二(一)2, 二(三))
# ---------------------------------------------------------------------------------------------


class Stage(models.TextChoices):
    LEAD = "lead", _("线索")
    ASSESSMENT = "assessment", _("初步评估")
    VISIT = "visit", _("拜访")
    NEGOTIATION = "negotiation", _("洽谈")
    WON = "won", _("签约")
    LOST = "lost", _("流失")


class CompanySize(models.TextChoices):
    MICRO = "micro", _("10 人以下")
    SMALL = "small", _("10–49 人")
    MEDIUM = "medium", _("50–199 人")
    LARGE = "large", _("200 人及以上")


class RevenueBand(models.TextChoices):
    """Annual revenue, the main figure of 财务状况 on the 客户信息登记表."""

    NONE = "none", _("尚无收入")
    UNDER_1M = "lt1m", _("100 万元以下")
    UNDER_5M = "lt5m", _("100–500 万元")
    UNDER_30M = "lt30m", _("500–3000 万元")
    OVER_30M = "gte30m", _("3000 万元以上")


class TaxNeed(models.TextChoices):
    BOOKKEEPING = "bookkeeping", _("代理记账")
    FILING = "filing", _("纳税申报")
    PLANNING = "planning", _("税务筹划")
    ANNUAL_REPORT = "annual_report", _("工商年报")
    SETTLEMENT = "settlement", _("汇算清缴")
    SOCIAL_SECURITY = "social_security", _("社保公积金代缴")
    REGISTRATION = "registration", _("工商注册变更")
    ABNORMAL = "abnormal", _("税务异常处理")


class LossReason(models.Model):
    name = models.CharField(_("流失原因"), max_length=50, unique=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("流失原因")
        verbose_name_plural = _("流失原因")

    def __str__(self) -> str:
        return self.name


class Prospect(models.Model):
    """A prospective client as the 《客户信息登记表》 records it, and its pipeline stage."""

    company_name = models.CharField(_("客户名称"), max_length=100)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_title = models.CharField(_("职务"), max_length=50, blank=True)
    contact_mobile = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    industry = models.CharField(_("行业类型"), max_length=2, choices=Industry.choices, blank=True)
    size = models.CharField(_("企业规模"), max_length=10, choices=CompanySize.choices, blank=True)
    revenue = models.CharField(
        _("年营业收入"), max_length=10, choices=RevenueBand.choices, blank=True
    )
    taxpayer_type = models.CharField(
        _("纳税人类型"), max_length=10, choices=TaxpayerType.choices, blank=True
    )
    financial_notes = models.TextField(_("财务状况"), blank=True)
    tax_needs = models.JSONField(_("税务需求"), default=list, blank=True)
    expected_monthly_fee = models.DecimalField(
        _("预计月服务费"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("备注"), blank=True)

    channel = models.ForeignKey(
        Channel, verbose_name=_("来源渠道"), on_delete=models.PROTECT, related_name="prospects"
    )
    activity = models.ForeignKey(
        MarketingActivity,
        verbose_name=_("市场活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="prospects",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("推荐机构"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="prospects",
    )
    referrer = models.ForeignKey(
        "clients.Client",
        verbose_name=_("推荐客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_prospects",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("业务负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prospects",
    )
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prospects",
    )

    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices, default=Stage.LEAD)
    stage_changed_at = models.DateTimeField(_("进入本阶段时间"), auto_now_add=True)
    loss_reason = models.ForeignKey(
        LossReason, verbose_name=_("流失原因"), null=True, blank=True, on_delete=models.PROTECT
    )
    loss_note = models.CharField(_("流失说明"), max_length=200, blank=True)

    # Computed by the service from the fields above and the weights in the policy settings.
    value_score = models.PositiveSmallIntegerField(_("潜在价值"), default=0)
    likelihood_score = models.PositiveSmallIntegerField(_("合作可能性"), default=0)
    score = models.PositiveSmallIntegerField(_("综合评分"), default=0, db_index=True)

    client = models.OneToOneField(
        "clients.Client",
        verbose_name=_("转化后的客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="prospect",
    )
    converted_at = models.DateTimeField(_("转化时间"), null=True, blank=True)

    search_pinyin = models.CharField(max_length=600, blank=True, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-score", "-id"]
        verbose_name = _("潜在客户")
        verbose_name_plural = _("潜在客户")
        indexes = [
            models.Index(fields=["stage", "-score", "-id"], name="prospect_stage_score_idx"),
            models.Index(fields=["owner", "stage"], name="prospect_owner_stage_idx"),
            models.Index(fields=["department", "stage"], name="prospect_department_stage_idx"),
            models.Index(fields=["channel", "created_at"], name="prospect_channel_created_idx"),
        ]

    def __str__(self) -> str:
        return self.company_name


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    DONE = "done", _("已拜访")
    CANCELLED = "cancelled", _("已取消")


class Visit(models.Model):
    """A planned visit (拜访计划) and, afterwards, its record (拜访记录)."""

    prospect = models.ForeignKey(
        Prospect, verbose_name=_("潜在客户"), on_delete=models.CASCADE, related_name="visits"
    )
    purpose = models.CharField(_("拜访目的"), max_length=200)
    starts_at = models.DateTimeField(_("拜访时间"), db_index=True)
    place = models.CharField(_("地点"), max_length=200)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("拜访人员"), related_name="visits"
    )
    # [{"item": "公司介绍", "done": false}, ...]: the materials to prepare, ticked when ready.
    materials = models.JSONField(_("准备资料"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    outcome = models.TextField(_("拜访结果"), blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    next_step_on = models.DateField(_("下一步日期"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("拜访")
        verbose_name_plural = _("拜访")

    def __str__(self) -> str:
        return f"{self.prospect} {self.starts_at:%Y-%m-%d %H:%M}"


class PaymentMethod(models.TextChoices):
    MONTHLY = "monthly", _("按月付")
    QUARTERLY = "quarterly", _("按季付")
    YEARLY = "yearly", _("按年预付")
    ONCE = "once", _("一次性")


class NegotiationRound(models.Model):
    """One round of 合作洽谈: what was discussed, offered, worried about and agreed."""

    prospect = models.ForeignKey(
        Prospect, verbose_name=_("潜在客户"), on_delete=models.CASCADE, related_name="negotiations"
    )
    held_on = models.DateField(_("洽谈日期"))
    services = models.JSONField(_("洽谈服务"), default=list, blank=True)
    proposed_fee = models.DecimalField(_("报价(元/月)"), max_digits=10, decimal_places=2)
    payment_method = models.CharField(_("付款方式"), max_length=10, choices=PaymentMethod.choices)
    term_months = models.PositiveSmallIntegerField(_("服务期限(月)"))
    concerns = models.TextField(_("客户关注的问题"), blank=True)
    agreed_points = models.TextField(_("已达成一致"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["held_on", "id"]
        verbose_name = _("洽谈记录")
        verbose_name_plural = _("洽谈记录")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(proposed_fee__gte=0), name="negotiation_fee_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(term_months__gte=1), name="negotiation_term_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prospect} {self.held_on:%Y-%m-%d}"


# ---------------------------------------------------------------------------------------------
# Referral rewards (二(二)3)
# ---------------------------------------------------------------------------------------------


class RewardKind(models.TextChoices):
    CASH = "cash", _("现金奖励")
    DISCOUNT = "discount", _("服务费折扣")
    FREE_MONTHS = "free_months", _("免费服务月数")


class RewardStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已批准")
    PAID = "paid", _("已发放")
    REJECTED = "rejected", _("已驳回")


class ReferralReward(models.Model):
    """The reward proposed for a client whose referral signed; a department head approves it."""

    referrer = models.ForeignKey(
        "clients.Client",
        verbose_name=_("推荐客户"),
        on_delete=models.PROTECT,
        related_name="referral_rewards",
    )
    prospect = models.OneToOneField(
        Prospect, verbose_name=_("被推荐客户"), on_delete=models.PROTECT, related_name="reward"
    )
    kind = models.CharField(_("奖励方式"), max_length=12, choices=RewardKind.choices)
    cash_amount = models.DecimalField(
        _("奖励金额"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    discount_percent = models.DecimalField(
        _("折扣(%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    free_months = models.PositiveSmallIntegerField(_("免费月数"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RewardStatus.choices, default=RewardStatus.PROPOSED
    )
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    notes = models.CharField(_("说明"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("推荐奖励")
        verbose_name_plural = _("推荐奖励")

    def __str__(self) -> str:
        return f"{self.referrer} → {self.prospect}"


class DutyRoster(models.Model):
    """Who is the sales owner on duty on a weekday; new website leads go to them."""

    weekday = models.PositiveSmallIntegerField(
        _("星期"),
        unique=True,
        choices=[
            (i, d)
            for i, d in enumerate(
                [
                    _("星期一"),
                    _("星期二"),
                    _("星期三"),
                    _("星期四"),
                    _("星期五"),
                    _("星期六"),
                    _("星期日"),
                ]
            )
        ],
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("值班业务人员"),
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        ordering = ["weekday"]
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.user}"
