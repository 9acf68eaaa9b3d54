"""Policy bulletins (policy 四（二）1): news on tax and finance policy, targeted at clients by
industry, taxpayer type, region or tag, delivered on the client's record and by e-mail (SMS and
WeChat through adapters), with who received and who opened each one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BulletinCategory(models.TextChoices):
    TAX = "tax", _("税收政策")
    FINANCE = "finance", _("财务会计")
    SOCIAL = "social", _("社保公积金")
    INDUSTRY = "industry", _("行业动态")
    NOTICE = "notice", _("办事提醒")


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SENT = "sent", _("已发布")


class Bulletin(models.Model):
    title = models.CharField(_("标题"), max_length=200)
    category = models.CharField(_("类别"), max_length=10, choices=BulletinCategory.choices)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    body = models.TextField(_("正文"))
    source = models.CharField(_("政策来源"), max_length=200, blank=True)
    # Targeting: an empty list means "any". Lists of codes (industries, taxpayer types), of region
    # names and of ClientTag ids; a client must match every non-empty list.
    target_industries = models.JSONField(_("目标行业"), default=list, blank=True)
    target_taxpayer_types = models.JSONField(_("目标纳税人类型"), default=list, blank=True)
    target_regions = models.JSONField(_("目标区域"), default=list, blank=True)
    target_tags = models.JSONField(_("目标标签"), default=list, blank=True)
    # Channels besides the client's record (always): "email", "sms", "wechat".
    channels = models.JSONField(_("发送渠道"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撰写人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("政策资讯")
        verbose_name_plural = _("政策资讯")

    def __str__(self) -> str:
        return self.title


class DeliveryChannel(models.TextChoices):
    RECORD = "record", _("客户档案")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("发送失败")
    SKIPPED = "skipped", _("未发送")


class BulletinDelivery(models.Model):
    """One bulletin to one client over one channel (to its primary contact for outbound ones)."""

    bulletin = models.ForeignKey(
        Bulletin, verbose_name=_("政策资讯"), on_delete=models.CASCADE, related_name="deliveries"
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="bulletin_deliveries",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=DeliveryChannel.choices)
    address = models.CharField(_("发送地址"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    error = models.CharField(_("失败原因"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    opened_at = models.DateTimeField(_("打开时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id", "channel", "id"]
        verbose_name = _("资讯送达记录")
        verbose_name_plural = _("资讯送达记录")
        indexes = [
            models.Index(fields=["status", "id"], name="bulletindelivery_status_idx"),
            models.Index(fields=["client", "bulletin"], name="bulletindelivery_client_idx"),
        ]
        constraints = [
            # Publishing twice (or a retried job) never sends a client the same bulletin twice.
            models.UniqueConstraint(
                fields=["bulletin", "client", "channel"], name="bulletindelivery_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bulletin} → {self.client}"
