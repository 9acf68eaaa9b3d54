"""Quality spot checks (policy 三（二）4): a department head draws a reproducible random sample of a
period's completed bookkeeping, scores each against the checklist, and every finding becomes a
rectification task that is re-checked when done."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChecklistItem(models.Model):
    """One scored line of the checklist the administrator keeps."""

    name = models.CharField(_("检查项目"), max_length=100)
    description = models.CharField(_("检查要点"), max_length=300, blank=True)
    max_score = models.PositiveSmallIntegerField(_("分值"), default=10)
    position = models.PositiveSmallIntegerField(_("顺序"), default=100)
    active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("质检项目")
        verbose_name_plural = _("质检项目")

    def __str__(self) -> str:
        return self.name


class SampleMethod(models.TextChoices):
    PERCENT = "percent", _("按比例")
    COUNT = "count", _("按数量")


class QualitySample(models.Model):
    """One draw: the period, whose work, how much per person and the seed that reproduces it."""

    period = models.DateField(_("所属期"))
    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quality_samples",
    )
    method = models.CharField(_("抽样方式"), max_length=10, choices=SampleMethod.choices)
    amount = models.PositiveSmallIntegerField(_("每人抽取比例或数量"))
    seed = models.BigIntegerField(_("随机种子"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽样人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("抽样时间"), auto_now_add=True)

    class Meta:
        ordering = ["-drawn_at", "-id"]
        verbose_name = _("质检抽样")
        verbose_name_plural = _("质检抽样")

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} · {self.department or ''} #{self.pk}"


class CheckStatus(models.TextChoices):
    PENDING = "pending", _("待检查")
    PASSED = "passed", _("合格")
    RECTIFY = "rectify", _("待整改")
    CLOSED = "closed", _("整改完成")


class QualityCheck(models.Model):
    """The check of one sampled piece of work: its scores and findings."""

    sample = models.ForeignKey(
        QualitySample, verbose_name=_("抽样"), on_delete=models.CASCADE, related_name="checks"
    )
    item = models.ForeignKey(
        "delivery.WorkItem",
        verbose_name=_("被检工作"),
        on_delete=models.PROTECT,
        related_name="quality_checks",
    )
    reviewee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被检人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="quality_checks",
    )
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=CheckStatus.choices, default=CheckStatus.PENDING
    )
    score = models.DecimalField(
        _("得分率（%）"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    findings = models.TextField(_("检查发现"), blank=True)
    checked_at = models.DateTimeField(_("检查时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["sample", "reviewee_id", "id"]
        verbose_name = _("质量检查")
        verbose_name_plural = _("质量检查")
        constraints = [
            models.UniqueConstraint(fields=["sample", "item"], name="quality_check_unique_item"),
        ]

    def __str__(self) -> str:
        return str(self.item)


class QualityScore(models.Model):
    quality_check = models.ForeignKey(
        QualityCheck, verbose_name=_("质量检查"), on_delete=models.CASCADE, related_name="scores"
    )
    checklist_item = models.ForeignKey(
        ChecklistItem, verbose_name=_("检查项目"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("得分"))
    max_score = models.PositiveSmallIntegerField(_("分值"))

    class Meta:
        ordering = ["checklist_item__position", "id"]
        verbose_name = _("检查得分")
        verbose_name_plural = _("检查得分")
        constraints = [
            models.UniqueConstraint(
                fields=["quality_check", "checklist_item"], name="quality_score_unique_item"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.checklist_item}: {self.score}/{self.max_score}"


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    DONE = "done", _("待复查")
    VERIFIED = "verified", _("复查通过")


class Rectification(models.Model):
    """A finding to put right by a deadline; the checker re-checks it (passes or sends it back)."""

    quality_check = models.ForeignKey(
        QualityCheck,
        verbose_name=_("质量检查"),
        on_delete=models.CASCADE,
        related_name="rectifications",
    )
    description = models.TextField(_("整改事项"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("整改人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
    )
    due_on = models.DateField(_("整改期限"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    done_note = models.TextField(_("整改说明"), blank=True)
    done_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    review_note = models.TextField(_("复查意见"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("复查时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("整改任务")
        verbose_name_plural = _("整改任务")
        indexes = [
            models.Index(fields=["assignee", "status"], name="rectification_assignee_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:40]
