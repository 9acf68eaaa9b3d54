"""Client events (policy 四（二）3): seminars, forums and trainings with a target list, RSVPs
through a link without login, attendance and feedback."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    SEMINAR = "seminar", _("客户座谈会")
    FORUM = "forum", _("行业研讨会")
    TRAINING = "training", _("培训讲座")


class EventStatus(models.TextChoices):
    PLANNED = "planned", _("筹备中")
    INVITING = "inviting", _("邀请中")
    FINISHED = "finished", _("已举办")
    CANCELLED = "cancelled", _("已取消")


class ClientEvent(models.Model):
    title = models.CharField(_("活动名称"), max_length=200)
    kind = models.CharField(_("活动类型"), max_length=10, choices=EventKind.choices)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200)
    capacity = models.PositiveIntegerField(_("名额"))
    agenda = models.TextField(_("议程"), blank=True)
    speaker = models.CharField(_("主讲人"), max_length=100, blank=True)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组织人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="organized_events",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=EventStatus.choices, default=EventStatus.PLANNED
    )
    summary = models.TextField(_("活动总结"), blank=True)
    cancel_reason = models.TextField(_("取消原因"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("客户活动")
        verbose_name_plural = _("客户活动")

    def __str__(self) -> str:
        return self.title


class RsvpStatus(models.TextChoices):
    PENDING = "pending", _("未回复")
    ACCEPTED = "accepted", _("参加")
    DECLINED = "declined", _("不参加")


class Invitation(models.Model):
    """One client (through one contact) invited to an event; the RSVP link names this row."""

    event = models.ForeignKey(
        ClientEvent, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="invitations"
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="event_invitations",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("邀请人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)
    rsvp = models.CharField(
        _("回复"), max_length=10, choices=RsvpStatus.choices, default=RsvpStatus.PENDING
    )
    attendees = models.PositiveSmallIntegerField(_("参加人数"), default=1)
    attendee_names = models.CharField(_("参加人"), max_length=200, blank=True)
    rsvp_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    attended = models.BooleanField(_("出席"), null=True, blank=True)
    feedback_rating = models.PositiveSmallIntegerField(
        _("活动评价"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    feedback = models.TextField(_("反馈意见"), blank=True)
    feedback_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["client__name", "id"]
        verbose_name = _("活动邀请")
        verbose_name_plural = _("活动邀请")
        constraints = [
            models.UniqueConstraint(fields=["event", "client"], name="invitation_once_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.event} · {self.client}"
