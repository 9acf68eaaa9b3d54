"""Contracts and fees (policy 二(三)3–4, 三(二)2, 三(四)1–2): the published price list, payment
terms, service plans the client approves through a link, and contracts with their approval."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhangfang.clients.models import Industry, TaxpayerType


class FeeUnit(models.TextChoices):
    # The same codes as competitors' price units, so the two price lists compare item by item.
    MONTH = "month", _("元/月")
    QUARTER = "quarter", _("元/季")
    YEAR = "year", _("元/年")
    ONCE = "once", _("元/次")


class FeeKind(models.TextChoices):
    """What a price-list line prices; the quote calculator treats each kind its own way."""

    BOOKKEEPING = "bookkeeping", _("代理记账")  # monthly, by taxpayer type and voucher tier
    SURCHARGE = "surcharge", _("行业加价")  # monthly, for clients of one industry
    SETUP = "setup", _("建账费")  # once, when the books are opened
    ADDON = "addon", _("增值服务")  # 工商年报, 汇算清缴, 税务异常处理, 社保代缴 …
    LEDGER_BOOK = "ledger_book", _("账本费")  # a yearly charge for the printed books


class FeeItem(models.Model):
    """One line of the firm's price list (收费标准), e.g. 小规模纳税人代理记账 ¥300/月.

    A price change is a new line with a later ``effective_from``; the old line gets an
    ``effective_to`` so quotes and contracts of the past keep the price they were made with.
    """

    name = models.CharField(_("收费项目"), max_length=100)
    kind = models.CharField(
        _("类别"), max_length=12, choices=FeeKind.choices, default=FeeKind.BOOKKEEPING
    )
    unit = models.CharField(
        _("计价单位"), max_length=10, choices=FeeUnit.choices, default=FeeUnit.MONTH
    )
    amount = models.DecimalField(_("标准价格"), max_digits=12, decimal_places=2)
    taxpayer_type = models.CharField(
        _("适用纳税人"),
        max_length=10,
        choices=TaxpayerType.choices,
        blank=True,
        help_text=_("留空表示适用于所有客户。"),
    )
    industry = models.CharField(
        _("适用行业"),
        max_length=2,
        choices=Industry.choices,
        blank=True,
        help_text=_("行业加价必填；其他项目留空表示适用于所有行业。"),
    )
    voucher_min = models.PositiveIntegerField(_("凭证量下限（张/月）"), null=True, blank=True)
    voucher_max = models.PositiveIntegerField(
        _("凭证量上限（张/月）"), null=True, blank=True, help_text=_("留空表示不设上限。")
    )
    effective_from = models.DateField(_("生效日期"), default=dt.date(2020, 1, 1))
    effective_to = models.DateField(
        _("失效日期"), null=True, blank=True, help_text=_("留空表示长期有效。")
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["sort_order", "name", "effective_from"]
        verbose_name = _("收费标准")
        verbose_name_plural = _("收费标准")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="fee_item_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["name", "effective_from"], name="fee_item_unique_name_per_start"
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="fee_item_effective_range",
            ),
            models.CheckConstraint(
                condition=models.Q(voucher_max__isnull=True)
                | models.Q(voucher_min__isnull=True)
                | models.Q(voucher_max__gte=models.F("voucher_min")),
                name="fee_item_voucher_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PaymentCycle(models.TextChoices):
    MONTHLY = "monthly", _("按月付")
    QUARTERLY = "quarterly", _("按季付")
    SEMIANNUAL = "semiannual", _("按半年付")
    ANNUAL = "annual", _("按年预付")


#: How many months one bill of each cycle covers.
CYCLE_MONTHS = {
    PaymentCycle.MONTHLY: 1,
    PaymentCycle.QUARTERLY: 3,
    PaymentCycle.SEMIANNUAL: 6,
    PaymentCycle.ANNUAL: 12,
}


class PaymentTerm(models.Model):
    """A payment-cycle offer of the price list: e.g. 年付九折, or 年付送一个月.

    One bill of the cycle charges ``(months − free_months) × monthly fee × (1 − discount%)``.
    """

    name = models.CharField(_("名称"), max_length=50, unique=True)
    cycle = models.CharField(
        _("付款周期"), max_length=12, choices=PaymentCycle.choices, default=PaymentCycle.MONTHLY
    )
    discount_percent = models.DecimalField(
        _("折扣（%）"),
        max_digits=5,
        decimal_places=2,
        default=0,
        help_text=_("例如 10 表示九折。"),
    )
    free_months = models.PositiveSmallIntegerField(_("赠送月数"), default=0)
    due_days = models.PositiveSmallIntegerField(
        _("付款期限（天）"), default=10, help_text=_("账单开出后多少天内付款。")
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("付款方式")
        verbose_name_plural = _("付款方式")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lt=100),
                name="payment_term_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def months(self) -> int:
        return CYCLE_MONTHS[self.cycle]


class PricedLine(models.Model):
    """A priced line of a plan or a contract, copied from the price list when it was quoted."""

    fee_item = models.ForeignKey(
        FeeItem, verbose_name=_("收费项目"), on_delete=models.SET_NULL, null=True, blank=True
    )
    name = models.CharField(_("项目"), max_length=100)
    kind = models.CharField(_("类别"), max_length=12, choices=FeeKind.choices)
    unit = models.CharField(_("计价单位"), max_length=10, choices=FeeUnit.choices)
    unit_price = models.DecimalField(_("单价"), max_digits=12, decimal_places=2)
    quantity = models.DecimalField(_("数量"), max_digits=8, decimal_places=2, default=1)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_recurring(self) -> bool:
        """Monthly lines are billed every cycle; the others once."""
        return self.unit == FeeUnit.MONTH


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SENT = "sent", _("待客户确认")
    CHANGES_REQUESTED = "changes", _("客户要求修改")
    ACCEPTED = "accepted", _("客户已接受")
    WITHDRAWN = "withdrawn", _("已撤回")


class ServicePlan(models.Model):
    """A service plan (服务方案, 三(二)2) for one client; each revision is a new version."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="service_plans",
    )
    title = models.CharField(_("方案名称"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="service_plans",
    )
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_plans",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("服务方案")
        verbose_name_plural = _("服务方案")
        indexes = [models.Index(fields=["status", "-updated_at"], name="plan_status_updated")]

    def __str__(self) -> str:
        return self.title


class PlanResponse(models.TextChoices):
    ACCEPTED = "accepted", _("接受")
    CHANGES_REQUESTED = "changes", _("要求修改")


class ServicePlanVersion(models.Model):
    """One revision of a plan: content, process, standard, term and fees, as the client saw it.

    Versions are never edited after they are sent; a revision is a new row, so the history of
    what was offered and what the client said stays visible.
    """

    plan = models.ForeignKey(
        ServicePlan, verbose_name=_("服务方案"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("版本"))
    content = models.TextField(_("服务内容"))
    process = models.TextField(_("服务流程"))
    standard = models.TextField(_("服务标准"))
    start_date = models.DateField(_("服务开始日期"))
    term_months = models.PositiveSmallIntegerField(_("服务期限（月）"), default=12)
    taxpayer_type = models.CharField(_("纳税人类型"), max_length=10, choices=TaxpayerType.choices)
    industry = models.CharField(_("行业"), max_length=2, choices=Industry.choices, blank=True)
    monthly_vouchers = models.PositiveIntegerField(_("月凭证量（张）"), default=0)
    payment_term = models.ForeignKey(
        PaymentTerm, verbose_name=_("付款方式"), on_delete=models.PROTECT, related_name="+"
    )
    monthly_fee = models.DecimalField(_("月服务费"), max_digits=12, decimal_places=2, default=0)
    one_off_total = models.DecimalField(_("一次性费用"), max_digits=12, decimal_places=2, default=0)
    discount_total = models.DecimalField(_("优惠金额"), max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(_("服务期合计"), max_digits=14, decimal_places=2, default=0)
    note = models.TextField(_("给客户的说明"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("链接有效期至"), null=True, blank=True)
    response = models.CharField(
        _("客户答复"), max_length=10, choices=PlanResponse.choices, blank=True
    )
    response_comment = models.TextField(_("客户意见"), blank=True)
    responder_name = models.CharField(_("答复人"), max_length=50, blank=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编制人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["plan", "-number"]
        verbose_name = _("服务方案版本")
        verbose_name_plural = _("服务方案版本")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class PlanLine(PricedLine):
    plan_version = models.ForeignKey(
        ServicePlanVersion, on_delete=models.CASCADE, related_name="lines"
    )

    class Meta(PricedLine.Meta):
        verbose_name = _("方案收费明细")
        verbose_name_plural = _("方案收费明细")


class ContractTemplate(models.Model):
    """The wording of a contract, kept by administrators, with ``{{ 占位符 }}`` for the facts."""

    name = models.CharField(_("模板名称"), max_length=100, unique=True)
    body = models.TextField(_("合同正文"))
    is_default = models.BooleanField(_("默认模板"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("合同模板")
        verbose_name_plural = _("合同模板")

    def __str__(self) -> str:
        return self.name


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("待审核")
    RETURNED = "returned", _("退回")
    APPROVED = "approved", _("已批准")
    SIGNED = "signed", _("已签署")
    ACTIVE = "active", _("生效")
    EXPIRED = "expired", _("到期")
    TERMINATED = "terminated", _("终止")
    # A draft abandoned before approval (the client changed its mind, a renewal not wanted);
    # it keeps its number, so the series has no gap, and frees the plan for a new draft.
    CANCELLED = "cancelled", _("已作废")


class Contract(models.Model):
    """A service contract (合作协议, 二(三)4), drafted from an accepted plan on a template."""

    number = models.CharField(_("合同编号"), max_length=20, unique=True)
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="contracts"
    )
    plan_version = models.ForeignKey(
        ServicePlanVersion,
        verbose_name=_("服务方案"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    template = models.ForeignKey(
        ContractTemplate,
        verbose_name=_("合同模板"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    renewed_from = models.ForeignKey(
        "self",
        verbose_name=_("续签自"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    start_date = models.DateField(_("起始日期"))
    end_date = models.DateField(_("终止日期"))
    term_months = models.PositiveSmallIntegerField(_("服务期限（月）"))
    # The payment term is copied onto the contract, so a later change of the price list's terms
    # never changes what a signed contract bills.
    payment_term = models.ForeignKey(
        PaymentTerm, verbose_name=_("付款方式"), on_delete=models.PROTECT, related_name="+"
    )
    payment_cycle = models.CharField(_("付款周期"), max_length=12, choices=PaymentCycle.choices)
    discount_percent = models.DecimalField(
        _("折扣（%）"), max_digits=5, decimal_places=2, default=0
    )
    free_months = models.PositiveSmallIntegerField(_("每期赠送月数"), default=0)
    payment_due_days = models.PositiveSmallIntegerField(_("付款期限（天）"), default=10)
    payment_method = models.CharField(_("付款途径"), max_length=100, blank=True)
    monthly_fee = models.DecimalField(_("月服务费"), max_digits=12, decimal_places=2, default=0)
    one_off_total = models.DecimalField(_("一次性费用"), max_digits=12, decimal_places=2, default=0)
    total_amount = models.DecimalField(_("合同总额"), max_digits=14, decimal_places=2, default=0)
    body = models.TextField(_("合同正文"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_comment = models.TextField(_("审核意见"), blank=True)
    signed_on = models.DateField(_("签署日期"), null=True, blank=True)
    signed_scan = models.FileField(_("签署扫描件"), upload_to="contracts/signed/%Y/", blank=True)
    terminated_on = models.DateField(_("终止日期（提前）"), null=True, blank=True)
    termination_reason = models.TextField(_("终止原因"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        indexes = [
            models.Index(fields=["status", "end_date"], name="contract_status_end"),
            models.Index(fields=["client", "-start_date"], name="contract_client_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="contract_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ContractLine(PricedLine):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        verbose_name = _("合同收费明细")
        verbose_name_plural = _("合同收费明细")
