"""The monthly bookkeeping and filing work (policy 三（二）3): one row per client, period and step.

A period (所属期) is a month, stored as its first day. Its work is done during that month and the
next: documents are collected, the books closed and reviewed, the tax estimated and confirmed by
the client, and the returns filed by the 征期 deadline of the following month. Annual work
(汇算清缴, 工商年报, 个税汇算) is stored on the January period of the year it is done in, with its
window (``opens_on`` to ``due_on``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkStep(models.TextChoices):
    RECEIPTS = "receipts", _("收票")
    BOOKKEEPING = "bookkeeping", _("做账")
    REVIEW = "review", _("审核")
    STATEMENTS = "statements", _("出报表")
    TAX_ESTIMATE = "tax_estimate", _("税款测算")
    FILING = "filing", _("申报")
    PAYMENT = "payment", _("扣款")
    NOTIFY = "notify", _("告知客户")
    ARCHIVE = "archive", _("归档")
    ANNUAL = "annual", _("年度事项")


class Filing(models.TextChoices):
    """What a 申报 (or annual) step files; empty for the other steps."""

    NONE = "", _("—")
    VAT = "vat", _("增值税及附加")
    INDIVIDUAL_INCOME_TAX = "iit", _("个税扣缴")
    CORPORATE_INCOME_TAX = "cit", _("企业所得税预缴")
    STAMP_DUTY = "stamp", _("印花税")
    FINANCIAL_STATEMENTS = "statements", _("财务报表报送")
    ANNUAL_SETTLEMENT = "cit_annual", _("企业所得税汇算清缴")
    ANNUAL_REPORT = "annual_report", _("工商年报")
    ANNUAL_IIT = "iit_annual", _("个税汇算")


class WorkStatus(models.TextChoices):
    TODO = "todo", _("待办")
    IN_PROGRESS = "in_progress", _("进行中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


#: Work that still has to be done.
OPEN_WORK = (WorkStatus.TODO, WorkStatus.IN_PROGRESS)


class WorkItem(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    period = models.DateField(_("所属期"))
    step = models.CharField(_("工作环节"), max_length=20, choices=WorkStep.choices)
    filing = models.CharField(
        _("申报事项"), max_length=20, choices=Filing.choices, blank=True, default=""
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=WorkStatus.choices, default=WorkStatus.TODO
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_items",
    )
    opens_on = models.DateField(_("开始日期"), null=True, blank=True)
    due_on = models.DateField(_("截止日期"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    zero_filing = models.BooleanField(_("零申报"), default=False)
    tax_amount = models.DecimalField(
        _("税额"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("备注"), blank=True)
    # A department head may let a return be filed before the client confirmed the tax amount, with
    # a written reason (both the override and the filing are audited).
    override_reason = models.TextField(_("未经客户确认申报的理由"), blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    override_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    cancelled_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["period", "client_id", "id"]
        verbose_name = _("服务工作")
        verbose_name_plural = _("服务工作")
        constraints = [
            # Generation is idempotent because a client has one row per period, step and filing.
            models.UniqueConstraint(
                fields=["client", "period", "step", "filing"], name="work_item_unique_step"
            ),
        ]
        indexes = [
            # Status and deadline in the index let a client's "earliest overdue step" (the board's
            # overdue sort and filter) be answered from the index alone; without them SQLite,
            # lacking statistics, chose the status index and scanned it once per client.
            models.Index(
                fields=["period", "client", "status", "due_on"], name="work_period_client_idx"
            ),
            # Covers the board's per-period figures (grouped by step and filing) without reading
            # the table: 25 ms instead of 180 ms for a 10,000-client month on SQLite.
            models.Index(
                fields=["period", "step", "filing", "status", "due_on", "client"],
                name="work_period_summary_idx",
            ),
            models.Index(fields=["assignee", "status", "due_on"], name="work_assignee_due_idx"),
            models.Index(fields=["status", "due_on"], name="work_status_due_idx"),
        ]

    def __str__(self) -> str:
        label = self.get_filing_display() if self.filing else self.get_step_display()
        return f"{self.client} · {self.period:%Y-%m} · {label}"

    @property
    def label(self) -> str:
        """The step as the board shows it: a filing step is named by what it files."""
        return self.get_filing_display() if self.filing else self.get_step_display()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_WORK

    @property
    def on_time(self) -> bool | None:
        """Done by the deadline (None while open or cancelled)."""
        if self.status != WorkStatus.DONE or self.completed_at is None:
            return None
        from django.utils import timezone

        return timezone.localdate(self.completed_at) <= self.due_on


class DocumentType(models.TextChoices):
    SALES_INVOICES = "sales", _("销项发票")
    PURCHASE_INVOICES = "purchase", _("进项发票")
    EXPENSE_RECEIPTS = "expense", _("费用票据")
    BANK_STATEMENTS = "bank", _("银行回单及对账单")
    PAYROLL = "payroll", _("工资表")
    OTHER = "other", _("其他")


class Handover(models.Model):
    """The 交接清单 of a 收票 step: what the client handed over, signed off by both sides."""

    item = models.OneToOneField(
        WorkItem, verbose_name=_("收票工作"), on_delete=models.CASCADE, related_name="handover"
    )
    firm_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    firm_confirmed_at = models.DateTimeField(_("接收确认时间"), null=True, blank=True)
    client_confirmed_name = models.CharField(_("客户交接人"), max_length=50, blank=True)
    client_confirmed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("交接清单")
        verbose_name_plural = _("交接清单")

    def __str__(self) -> str:
        return str(self.item)

    @property
    def confirmed(self) -> bool:
        return self.firm_confirmed_at is not None and self.client_confirmed_at is not None


class HandoverLine(models.Model):
    handover = models.ForeignKey(
        Handover, verbose_name=_("交接清单"), on_delete=models.CASCADE, related_name="lines"
    )
    document_type = models.CharField(_("资料类型"), max_length=10, choices=DocumentType.choices)
    quantity = models.PositiveIntegerField(_("数量"))
    received_on = models.DateField(_("收到日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("交接明细")
        verbose_name_plural = _("交接明细")

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} × {self.quantity}"


class ConfirmationStatus(models.TextChoices):
    DRAFT = "draft", _("待发送")
    SENT = "sent", _("待客户确认")
    CONFIRMED = "confirmed", _("客户已确认")
    QUERIED = "queried", _("客户有疑问")


class ConfirmedVia(models.TextChoices):
    LINK = "link", _("确认链接")
    PHONE = "phone", _("电话")
    WECHAT = "wechat", _("微信")
    EMAIL = "email", _("邮件")
    IN_PERSON = "in_person", _("当面")


class TaxConfirmation(models.Model):
    """The 税款测算 of a client's period and the client's confirmation of it (a 申报 step cannot be
    completed before it, unless a department head overrides)."""

    item = models.OneToOneField(
        WorkItem,
        verbose_name=_("税款测算工作"),
        on_delete=models.CASCADE,
        related_name="confirmation",
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.DRAFT,
    )
    total = models.DecimalField(_("税款合计"), max_digits=14, decimal_places=2, default=0)
    remarks = models.TextField(_("测算说明"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("链接有效期至"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_via = models.CharField(
        _("确认方式"), max_length=10, choices=ConfirmedVia.choices, blank=True
    )
    confirmed_by_name = models.CharField(_("客户确认人"), max_length=50, blank=True)
    client_comment = models.TextField(_("客户意见"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("税款确认")
        verbose_name_plural = _("税款确认")

    def __str__(self) -> str:
        return str(self.item)


class TaxEstimateLine(models.Model):
    confirmation = models.ForeignKey(
        TaxConfirmation, verbose_name=_("税款确认"), on_delete=models.CASCADE, related_name="lines"
    )
    filing = models.CharField(_("税种"), max_length=20, choices=Filing.choices)
    amount = models.DecimalField(_("测算税额"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        verbose_name = _("测算明细")
        verbose_name_plural = _("测算明细")
        constraints = [
            models.UniqueConstraint(
                fields=["confirmation", "filing"], name="tax_estimate_line_unique_filing"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_filing_display()} {self.amount}"
