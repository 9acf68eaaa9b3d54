"""Billing, payments and the fee ledger (服务费用台账, policy 三(四)3–4).

The ledger is append-only: every receivable, receipt and credit is a :class:`LedgerEntry` that is
never edited or deleted; a correction is a reversing entry. So for every client and for the firm

    balance = Σ receivables − Σ receipts − Σ credits

always holds, and :class:`ClientAccount` keeps those running totals for fast lists.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhangfang.core.models import AppendOnlyModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class BillKind(models.TextChoices):
    SERVICE = "service", _("服务费")
    SETUP = "setup", _("建账费")
    ADDON = "addon", _("增值服务")
    OTHER = "other", _("其他")


class BillStatus(models.TextChoices):
    # A bill of a contract's schedule waits until its issue date; only then is it a receivable.
    SCHEDULED = "scheduled", _("待开单")
    OPEN = "open", _("未收款")
    PARTIAL = "partial", _("部分收款")
    PAID = "paid", _("已结清")
    VOID = "void", _("已作废")


class Bill(models.Model):
    """A receivable (应收账单): one cycle of a contract's service fee, or a one-off charge.

    ``paid_amount`` and ``credited_amount`` are kept by the services from the allocations and
    credit entries, so outstanding amounts and ageing need no aggregation per row.
    """

    number = models.CharField(_("账单编号"), max_length=20, unique=True)
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="bills"
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("合同"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
    )
    kind = models.CharField(
        _("类别"), max_length=10, choices=BillKind.choices, default=BillKind.SERVICE
    )
    description = models.CharField(_("摘要"), max_length=200)
    period_start = models.DateField(_("服务期起"), null=True, blank=True)
    period_end = models.DateField(_("服务期止"), null=True, blank=True)
    issued_on = models.DateField(_("开单日期"))
    due_on = models.DateField(_("付款期限"))
    list_amount = models.DecimalField(_("标准金额"), **MONEY)
    discount_amount = models.DecimalField(_("优惠"), default=0, **MONEY)
    amount = models.DecimalField(_("应收金额"), **MONEY)
    paid_amount = models.DecimalField(_("已收金额"), default=0, **MONEY)
    credited_amount = models.DecimalField(_("减免金额"), default=0, **MONEY)
    status = models.CharField(
        _("状态"), max_length=10, choices=BillStatus.choices, default=BillStatus.OPEN
    )
    # Empty when the periodic job issued the bill from a contract's schedule.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("开单人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("账单")
        verbose_name_plural = _("账单")
        indexes = [
            models.Index(fields=["status", "due_on"], name="bill_status_due"),
            models.Index(fields=["client", "period_start"], name="bill_client_period"),
            models.Index(fields=["issued_on"], name="bill_issued"),
            # Receivables and ageing read only what is still owed: a small part of the bills.
            models.Index(
                fields=["client", "due_on"],
                condition=models.Q(status__in=["open", "partial"]),
                name="bill_owing_client_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bill_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(paid_amount__gte=0, credited_amount__gte=0),
                name="bill_settled_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    amount__gte=models.F("paid_amount") + models.F("credited_amount")
                ),
                name="bill_not_oversettled",
            ),
            # A contract bills each service period once, whoever runs the schedule and when.
            models.UniqueConstraint(
                fields=["contract", "period_start"],
                condition=models.Q(kind="service") & ~models.Q(status="void"),
                name="bill_one_per_contract_period",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding(self):
        return self.amount - self.paid_amount - self.credited_amount


class PaymentMethod(models.TextChoices):
    BANK = "bank", _("银行转账")
    WECHAT = "wechat", _("微信支付")
    ALIPAY = "alipay", _("支付宝")
    CASH = "cash", _("现金")


class Payment(models.Model):
    """Money received from a client (收款), with its receipt number (收据编号).

    What is not allocated to bills stays as the client's credit (预收余额) and can be allocated to
    later bills.
    """

    number = models.CharField(_("收据编号"), max_length=20, unique=True)
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(_("收款方式"), max_length=10, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("收款金额"), **MONEY)
    allocated_amount = models.DecimalField(_("已核销金额"), default=0, **MONEY)
    received_on = models.DateField(_("收款日期"))
    payer = models.CharField(_("付款人"), max_length=100, blank=True)
    reference = models.CharField(_("交易流水号"), max_length=64, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    is_reversed = models.BooleanField(_("已冲销"), default=False)
    reversal_reason = models.CharField(_("冲销原因"), max_length=200, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("收款")
        verbose_name_plural = _("收款")
        indexes = [models.Index(fields=["client", "received_on"], name="payment_client_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(allocated_amount__gte=0)
                & models.Q(allocated_amount__lte=models.F("amount")),
                name="payment_not_overallocated",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def unallocated(self):
        return self.amount - self.allocated_amount


class Allocation(AppendOnlyModel):
    """Part of a payment applied to a bill; undoing it is a row with the negative amount."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("收款"), on_delete=models.PROTECT, related_name="allocations"
    )
    bill = models.ForeignKey(
        Bill, verbose_name=_("账单"), on_delete=models.PROTECT, related_name="allocations"
    )
    amount = models.DecimalField(_("核销金额"), **MONEY)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("核销时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("核销")
        verbose_name_plural = _("核销")

    def __str__(self) -> str:
        return f"{self.payment} → {self.bill}: {self.amount}"


class EntryKind(models.TextChoices):
    RECEIVABLE = "receivable", _("应收")
    RECEIPT = "receipt", _("收款")
    CREDIT = "credit", _("减免")


class LedgerEntry(AppendOnlyModel):
    """One line of the fee ledger. A reversal has the opposite sign and points at what it undoes."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    kind = models.CharField(_("类型"), max_length=12, choices=EntryKind.choices)
    amount = models.DecimalField(_("金额"), **MONEY)
    posted_on = models.DateField(_("记账日期"))
    description = models.CharField(_("摘要"), max_length=200)
    bill = models.ForeignKey(
        Bill,
        verbose_name=_("账单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("收款"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("冲销分录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        ordering = ["posted_on", "id"]
        verbose_name = _("台账分录")
        verbose_name_plural = _("台账分录")
        indexes = [
            models.Index(fields=["client", "posted_on", "id"], name="ledger_client_date"),
            # The monthly report sums amounts by day and kind from the index alone.
            models.Index(fields=["posted_on", "kind", "amount"], name="ledger_date_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="ledger_entry_amount_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.posted_on} {self.get_kind_display()} {self.amount}"

    @property
    def balance_effect(self):
        """How the entry moves what the client owes: receivables up, receipts and credits down."""
        return self.amount if self.kind == EntryKind.RECEIVABLE else -self.amount


class ClientAccount(models.Model):
    """Running totals of one client's ledger, kept by every posting in the same transaction."""

    client = models.OneToOneField(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="account",
    )
    receivable_total = models.DecimalField(_("应收合计"), default=0, **MONEY)
    receipt_total = models.DecimalField(_("收款合计"), default=0, **MONEY)
    credit_total = models.DecimalField(_("减免合计"), default=0, **MONEY)
    balance = models.DecimalField(_("欠费余额"), default=0, **MONEY)
    unallocated = models.DecimalField(_("预收余额"), default=0, **MONEY)
    paid_through = models.DateField(_("已缴至"), null=True, blank=True)
    oldest_overdue_on = models.DateField(_("最早逾期日"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户收费账户")
        verbose_name_plural = _("客户收费账户")
        indexes = [
            models.Index(fields=["paid_through"], name="account_paid_through"),
            models.Index(fields=["-balance"], name="account_balance"),
        ]

    def __str__(self) -> str:
        return str(self.client)


class StatementStatus(models.TextChoices):
    ISSUED = "issued", _("待客户确认")
    CONFIRMED = "confirmed", _("客户已确认")
    DISPUTED = "disputed", _("客户有异议")


class ConfirmationMethod(models.TextChoices):
    SIGNED = "signed", _("签字回执")
    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信")
    PHONE = "phone", _("电话")


class Statement(models.Model):
    """A statement of account (对账单) for a period, and what the client said about it."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="statements",
    )
    period_start = models.DateField(_("对账期起"))
    period_end = models.DateField(_("对账期止"))
    opening_balance = models.DecimalField(_("期初余额"), **MONEY)
    billed = models.DecimalField(_("本期应收"), **MONEY)
    received = models.DecimalField(_("本期收款"), **MONEY)
    credited = models.DecimalField(_("本期减免"), **MONEY)
    closing_balance = models.DecimalField(_("期末余额"), **MONEY)
    status = models.CharField(
        _("状态"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.ISSUED
    )
    confirmed_by_name = models.CharField(_("客户确认人"), max_length=50, blank=True)
    confirmation_method = models.CharField(
        _("确认方式"), max_length=10, choices=ConfirmationMethod.choices, blank=True
    )
    responded_on = models.DateField(_("回复日期"), null=True, blank=True)
    disputed_items = models.TextField(_("异议事项"), blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("出具人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("出具时间"), auto_now_add=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("对账单")
        verbose_name_plural = _("对账单")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="statement_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.period_start}–{self.period_end}"
