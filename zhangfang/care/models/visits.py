"""Return visits (policy 四（一）): planned per client by tier and service term, recorded with the
client's satisfaction and opinions; each problem raised is forwarded to a department as a task,
and closes only once its result has been reported back to the client (四（一）3)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitMethod(models.TextChoices):
    PHONE = "phone", _("电话回访")
    EMAIL = "email", _("邮件回访")
    ON_SITE = "on_site", _("上门回访")


class ReturnVisitStatus(models.TextChoices):
    PLANNED = "planned", _("待回访")
    DONE = "done", _("已回访")
    CANCELLED = "cancelled", _("已取消")


class ReturnVisit(models.Model):
    """One return visit of a client: planned with a due date, then recorded."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="return_visits",
    )
    due_on = models.DateField(_("计划回访日期"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="return_visits",
    )
    # Planned by the schedule (tier and service term) or added by hand.
    planned_automatically = models.BooleanField(_("按计划生成"), default=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ReturnVisitStatus.choices,
        default=ReturnVisitStatus.PLANNED,
    )
    method = models.CharField(_("回访方式"), max_length=10, choices=VisitMethod.choices, blank=True)
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("受访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="return_visits",
    )
    visited_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    opinions = models.TextField(_("意见和建议"), blank=True)
    summary = models.TextField(_("回访记录"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("客户回访")
        verbose_name_plural = _("客户回访")
        indexes = [
            models.Index(fields=["status", "due_on"], name="returnvisit_status_due_idx"),
            models.Index(fields=["staff", "status", "due_on"], name="returnvisit_staff_idx"),
            models.Index(fields=["client", "status"], name="returnvisit_client_idx"),
        ]
        constraints = [
            # Planning is idempotent: a client has at most one visit waiting to be made.
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status="planned"),
                name="returnvisit_one_planned_per_client",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.due_on:%Y-%m-%d}"


class ProblemStatus(models.TextChoices):
    FORWARDED = "forwarded", _("已转交")
    RESOLVED = "resolved", _("已处理待告知")
    CLOSED = "closed", _("已告知客户")


class VisitProblem(models.Model):
    """A problem the client raised on a return visit, forwarded to a department as a task."""

    visit = models.ForeignKey(
        ReturnVisit, verbose_name=_("回访"), on_delete=models.CASCADE, related_name="problems"
    )
    description = models.TextField(_("问题描述"))
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("转交部门"),
        on_delete=models.PROTECT,
        related_name="visit_problems",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visit_problems",
    )
    due_on = models.DateField(_("处理期限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.FORWARDED
    )
    result = models.TextField(_("处理结果"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    informed_how = models.CharField(_("告知方式"), max_length=100, blank=True)
    informed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("告知人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    informed_at = models.DateTimeField(_("告知客户时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("转交时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("回访问题")
        verbose_name_plural = _("回访问题")
        indexes = [
            models.Index(fields=["status", "due_on"], name="visitproblem_status_due_idx"),
            models.Index(fields=["department", "status"], name="visitproblem_dept_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:40]
