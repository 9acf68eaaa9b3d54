"""Satisfaction surveys (policy 三（二）4, 三（三）4): a link the client answers once, without a
login, and a follow-up task when the answer is low."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

RATING = [MinValueValidator(1), MaxValueValidator(5)]


class Survey(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    period = models.DateField(_("调查月份"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发送人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("链接有效期至"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    respondent_name = models.CharField(_("答复人"), max_length=50, blank=True)
    attitude = models.PositiveSmallIntegerField(
        _("服务态度"), null=True, blank=True, validators=RATING
    )
    expertise = models.PositiveSmallIntegerField(
        _("专业能力"), null=True, blank=True, validators=RATING
    )
    timeliness = models.PositiveSmallIntegerField(
        _("响应及时"), null=True, blank=True, validators=RATING
    )
    quality = models.PositiveSmallIntegerField(
        _("工作质量"), null=True, blank=True, validators=RATING
    )
    overall = models.PositiveSmallIntegerField(
        _("总体满意度"), null=True, blank=True, validators=RATING
    )
    comment = models.TextField(_("意见和建议"), blank=True)

    #: The rated dimensions, in the order the client's page asks them.
    DIMENSIONS = ("attitude", "expertise", "timeliness", "quality", "overall")

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        indexes = [
            models.Index(fields=["period", "client"], name="survey_period_client_idx"),
            models.Index(fields=["answered_at"], name="survey_answered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.period:%Y-%m}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("待回访")
    CLOSED = "closed", _("已处理")


class FollowUp(models.Model):
    """The task a low score opens for the client's customer-service member and department head."""

    survey = models.OneToOneField(
        Survey, verbose_name=_("满意度调查"), on_delete=models.CASCADE, related_name="follow_up"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客服专员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_follow_ups",
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("部门负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField(_("处理期限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    outcome = models.TextField(_("处理结果"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("满意度跟进")
        verbose_name_plural = _("满意度跟进")

    def __str__(self) -> str:
        return str(self.survey)
