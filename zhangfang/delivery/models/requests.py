"""Request intake with a response SLA (三（二）1, 三（三）1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    EMAIL = "email", _("邮件")
    ONLINE = "online", _("在线")
    WECHAT = "wechat", _("微信")
    VISIT = "visit", _("来访")


class RequestCategory(models.TextChoices):
    BOOKKEEPING = "bookkeeping", _("记账报税")
    TAX_ADVICE = "tax_advice", _("税务咨询")
    REGISTRATION = "registration", _("工商变更")
    INVOICE = "invoice", _("发票")
    SOCIAL_SECURITY = "social_security", _("社保")
    OTHER = "other", _("其他")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    CRITICAL = "critical", _("特急")


class RequestStatus(models.TextChoices):
    # The same words are a button elsewhere (新建 = "Create"); the context gives the status its own
    # translation.
    NEW = "new", pgettext_lazy("request status", "新建")
    RESPONDED = "responded", _("已响应")
    IN_PROGRESS = "in_progress", _("处理中")
    RESOLVED = "resolved", _("已解决")
    CONFIRMED = "confirmed", pgettext_lazy("request status", "客户确认")
    REOPENED = "reopened", _("重新打开")


#: States in which the request still needs work (a reopened request behaves like in progress).
OPEN_STATUSES = (
    RequestStatus.NEW,
    RequestStatus.RESPONDED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.REOPENED,
)


class ServiceRequest(models.Model):
    """One line of the 《客户需求登记表》 and its life until the client confirms it is solved."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
    )
    channel = models.CharField(_("受理渠道"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("需求类别"), max_length=20, choices=RequestCategory.choices)
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    content = models.TextField(_("需求内容"))
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="registered_service_requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_service_requests",
    )
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("负责部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    respond_by = models.DateTimeField(_("响应时限"))
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    first_response = models.TextField(_("响应内容"), blank=True)
    responded_in_time = models.BooleanField(_("按时响应"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    resolution = models.TextField(_("处理结果"), blank=True)
    confirmed_at = models.DateTimeField(_("客户确认时间"), null=True, blank=True)
    confirmed_how = models.CharField(_("确认方式"), max_length=200, blank=True)
    escalated_at = models.DateTimeField(_("超时上报时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("客户需求")
        verbose_name_plural = _("客户需求")
        indexes = [
            models.Index(fields=["status", "respond_by"], name="request_status_respond_idx"),
            models.Index(fields=["assignee", "status"], name="request_assignee_status_idx"),
            models.Index(fields=["received_at", "id"], name="request_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.get_category_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RouteTarget(models.TextChoices):
    ACCOUNTANT = "accountant", _("客户的会计")
    TAX_SPECIALIST = "tax_specialist", _("客户的税务专员")
    CUSTOMER_SERVICE = "customer_service", _("客户的客服专员")
    USER = "user", _("指定员工")
    DEPARTMENT = "department", _("指定部门")


class RoutingRule(models.Model):
    """Where a new request of a category goes; the first active rule by ``priority`` wins."""

    category = models.CharField(_("需求类别"), max_length=20, choices=RequestCategory.choices)
    target = models.CharField(_("分派给"), max_length=20, choices=RouteTarget.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定员工"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("指定部门"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    priority = models.PositiveIntegerField(_("优先顺序"), default=100)
    active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("分派规则")
        verbose_name_plural = _("分派规则")

    def __str__(self) -> str:
        return f"{self.get_category_display()} → {self.get_target_display()}"
