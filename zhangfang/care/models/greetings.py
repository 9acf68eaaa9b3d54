"""Greetings (policy 四（二）2): contacts' birthdays (solar or 农历) and holidays, each with a
message template, sent by a daily job that never sends the same greeting twice."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DateRule(models.TextChoices):
    SOLAR = "solar", _("公历")
    LUNAR = "lunar", _("农历")
    # 清明 is a solar term (about 4–5 April), taken from the calendar package each year.
    QINGMING = "qingming", _("清明节气")


class GreetingDay(models.Model):
    """A holiday on which clients are greeted: the built-in ones (元旦, 春节, 元宵, 清明, 端午,
    中秋, 国庆, shipped by a data migration) and firm-defined days (e.g. the firm's anniversary)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("节日名称"), max_length=30)
    rule = models.CharField(_("日期规则"), max_length=10, choices=DateRule.choices)
    month = models.PositiveSmallIntegerField(_("月"), null=True, blank=True)
    day = models.PositiveSmallIntegerField(_("日"), null=True, blank=True)
    builtin = models.BooleanField(_("内置"), default=False, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["month", "day", "id"]
        verbose_name = _("节日")
        verbose_name_plural = _("节日")

    def __str__(self) -> str:
        return self.name


class GreetingKind(models.TextChoices):
    BIRTHDAY = "birthday", _("生日祝福")
    HOLIDAY = "holiday", _("节日祝福")


class GreetingTemplate(models.Model):
    """The message for an occasion. ``{联系人}``, ``{客户}``, ``{公司}`` and ``{节日}`` in the
    subject and body are replaced when it is sent."""

    kind = models.CharField(_("类型"), max_length=10, choices=GreetingKind.choices)
    day = models.ForeignKey(
        GreetingDay,
        verbose_name=_("节日"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="templates",
    )
    subject = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("祝福语"))
    # Outbound channels: "email", "sms", "wechat".
    channels = models.JSONField(_("发送渠道"), default=list)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["kind", "day_id", "id"]
        verbose_name = _("祝福模板")
        verbose_name_plural = _("祝福模板")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "day"],
                condition=models.Q(active=True),
                name="greetingtemplate_one_active",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(active=True, day__isnull=True),
                name="greetingtemplate_one_active_birthday",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class GreetingStatus(models.TextChoices):
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("未发送")


class GreetingSend(models.Model):
    """One greeting to one contact on one channel for one occasion, e.g. ``birthday:2026`` or
    ``spring_festival:2026``; the unique key makes the daily job idempotent."""

    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("联系人"),
        on_delete=models.CASCADE,
        related_name="greetings",
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="greetings",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=GreetingKind.choices)
    occasion_key = models.CharField(_("场合"), max_length=60)
    occasion_date = models.DateField(_("日期"))
    template = models.ForeignKey(
        GreetingTemplate,
        verbose_name=_("模板"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("渠道"), max_length=10)
    address = models.CharField(_("发送地址"), max_length=200, blank=True)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    status = models.CharField(_("状态"), max_length=10, choices=GreetingStatus.choices)
    error = models.CharField(_("失败原因"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        ordering = ["-occasion_date", "-id"]
        verbose_name = _("祝福发送记录")
        verbose_name_plural = _("祝福发送记录")
        indexes = [
            models.Index(fields=["occasion_date", "id"], name="greetingsend_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "occasion_key", "channel"], name="greetingsend_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact} · {self.occasion_key}"
