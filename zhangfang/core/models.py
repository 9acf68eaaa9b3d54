"""Tables shared by every chapter: the audit log, the calendar data and the policy settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    STATUS = "status", _("状态变更")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    REVEAL = "reveal", _("查看敏感信息")
    EXPORT = "export", _("导出")
    GENERATE = "generate", _("批量生成")
    OVERRIDE = "override", _("特批")
    PRICE_CHANGE = "price_change", _("调价")


class AppendOnlyQuerySet(models.QuerySet):
    """For records that are never rewritten (audit events, ledger entries): bulk updates and
    deletes are refused."""

    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} rows cannot be changed.")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} rows cannot be deleted.")


class AppendOnlyModel(models.Model):
    """A row, once written, is never saved again nor deleted; corrections are new rows."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows cannot be deleted.")


class AuditEvent(AppendOnlyModel):
    """One thing that happened: who, when, what, and the fields before and after.

    ``object_*`` names the record acted on; ``anchor_*`` names the record in whose history the
    event is shown (a contact's change appears in its client's history).
    """

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    anchor_type = models.CharField(max_length=60, blank=True)
    anchor_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    detail = models.CharField(_("说明"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        indexes = [
            models.Index(fields=["anchor_type", "anchor_id", "-at"], name="audit_anchor_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor", "-at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        action = self.get_action_display()
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {action} {self.object_repr}"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日（休息）")
    WORKDAY = "workday", _("调休上班")


class CalendarDay(models.Model):
    """An administrator's entry for one day; it takes precedence over the shipped calendar."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=CalendarDayKind.choices)
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class FilingDeadline(models.Model):
    """The official 申报纳税期限 of one month, as published by 国家税务总局办公厅."""

    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    deadline = models.DateField(_("申报截止日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        ordering = ["year", "month"]
        verbose_name = _("申报纳税期限")
        verbose_name_plural = _("申报纳税期限")
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="filing_deadline_unique_month"),
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12), name="filing_deadline_month_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}: {self.deadline:%Y-%m-%d}"


class PolicySetting(models.Model):
    """A value an administrator set for one of the policy's open numbers (see ``core.policy``)."""

    key = models.CharField(_("键"), max_length=80, unique=True)
    value = models.JSONField(_("值"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("制度参数")
        verbose_name_plural = _("制度参数")

    def __str__(self) -> str:
        return self.key


class NumberSequence(models.Model):
    """The last number handed out for one series (contracts of 2026, receipts of 2026, …).

    Numbers come from :func:`zhangfang.core.numbering.next_number`, which locks this row for the
    rest of the caller's transaction, so concurrent drafts queue and a rolled-back draft leaves no
    gap.
    """

    key = models.CharField(max_length=40, primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")

    def __str__(self) -> str:
        return f"{self.key}: {self.last_value}"
