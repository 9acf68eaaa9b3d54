"""The complaint register (《客户投诉登记表》, policy 四（三）): registered by customer service,
handled by the responsible department's head within a number of working days, fed back to the
client and closed only with its root cause and corrective action."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.core.models import AppendOnlyModel


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    WECHAT = "wechat", _("微信")
    EMAIL = "email", _("邮件")
    VISIT = "visit", _("来访")
    RETURN_VISIT = "return_visit", _("回访中反映")
    OTHER = "other", _("其他")


class ComplaintCategory(models.TextChoices):
    ATTITUDE = "attitude", _("服务态度")
    ACCOUNTING_ERROR = "accounting_error", _("账务差错")
    LATE_FILING = "late_filing", _("申报延误")
    RESPONSE = "response", _("响应不及时")
    FEES = "fees", _("收费争议")
    CONFIDENTIALITY = "confidentiality", _("信息安全")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    MINOR = "minor", _("一般")
    SERIOUS = "serious", _("较重")
    CRITICAL = "critical", _("严重")


class ComplaintStatus(models.TextChoices):
    REGISTERED = "registered", _("登记")
    INVESTIGATING = "investigating", _("调查中")
    HANDLED = "handled", _("已处理")
    FED_BACK = "fed_back", _("已反馈客户")
    CLOSED = "closed", _("客户确认关闭")
    REOPENED = "reopened", _("重新打开")


#: States in which the department still owes the client a resolution.
OPEN_STATUSES = (
    ComplaintStatus.REGISTERED,
    ComplaintStatus.INVESTIGATING,
    ComplaintStatus.REOPENED,
)


class RootCause(models.TextChoices):
    SKILL = "skill", _("人员业务能力不足")
    ATTITUDE = "attitude", _("人员服务意识不足")
    PROCESS = "process", _("流程或制度缺陷")
    COMMUNICATION = "communication", _("沟通不到位")
    WORKLOAD = "workload", _("人手或工作量安排")
    SYSTEM = "system", _("系统或工具问题")
    CLIENT = "client", _("客户误解或自身原因")
    EXTERNAL = "external", _("外部原因（税务机关等）")


class Complaint(models.Model):
    number = models.CharField(_("投诉编号"), max_length=20, unique=True)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户名称"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("投诉人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    contact_name = models.CharField(_("投诉人姓名"), max_length=50)
    contact_phone = models.CharField(_("联系方式"), max_length=50)
    channel = models.CharField(_("投诉渠道"), max_length=20, choices=ComplaintChannel.choices)
    category = models.CharField(_("投诉类别"), max_length=20, choices=ComplaintCategory.choices)
    severity = models.CharField(
        _("严重程度"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    matter = models.TextField(_("投诉事项"))
    client_request = models.TextField(_("客户诉求"), blank=True)
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="registered_complaints",
    )
    # The member of staff the complaint is about, when there is one (for the analysis by person).
    staff_involved = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("涉及人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_about",
    )
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_complaints",
    )
    due_on = models.DateField(_("处理期限"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.REGISTERED,
    )
    investigation = models.TextField(_("调查情况"), blank=True)
    resolution = models.TextField(_("处理结果"), blank=True)
    handled_at = models.DateTimeField(_("处理完成时间"), null=True, blank=True)
    # Whether the first resolution came by the deadline; a reopened complaint keeps the first
    # answer, as the department's timeliness is judged on it.
    handled_in_time = models.BooleanField(_("按时处理"), null=True, blank=True)
    feedback = models.TextField(_("反馈客户情况"), blank=True)
    fed_back_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    root_cause = models.CharField(
        _("根本原因"), max_length=20, choices=RootCause.choices, blank=True
    )
    corrective_action = models.TextField(_("纠正措施"), blank=True)
    client_confirmation = models.CharField(_("客户确认情况"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # 0 = with the department head; 1 = escalated to the firm's management after the deadline
    # passed; 2 = escalated again when it stays unresolved past the second deadline.
    escalation_level = models.PositiveSmallIntegerField(_("升级层级"), default=0)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重新打开次数"), default=0)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("客户投诉")
        verbose_name_plural = _("客户投诉")
        indexes = [
            models.Index(fields=["status", "due_on"], name="complaint_status_due_idx"),
            models.Index(fields=["department", "received_at"], name="complaint_dept_received_idx"),
            models.Index(fields=["client", "received_at"], name="complaint_client_idx"),
            models.Index(fields=["received_at", "id"], name="complaint_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.client}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ComplaintStep(AppendOnlyModel):
    """One line of a complaint's timeline: registration, each state move, escalation, a note."""

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("投诉"), on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("动作"), max_length=20)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, blank=True)
    note = models.TextField(_("说明"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("投诉处理记录")
        verbose_name_plural = _("投诉处理记录")

    def __str__(self) -> str:
        return f"{self.complaint} · {self.action}"
