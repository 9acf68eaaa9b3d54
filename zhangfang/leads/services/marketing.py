"""Writes of the channel lists, marketing activities and partner institutions (二(二)1–2).

Channels and loss reasons are lists the administrator keeps; the built-in channels (official
website, client referral, partner institution) are looked up by their code by the website form,
the referral rewards and the partner counts, so their codes never change and they stay active.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

import zhangfang.leads.policy_marketing  # noqa: F401  (registers the settings this part reads)
from zhangfang.core import audit
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError
from zhangfang.leads.models import (
    Channel,
    LossReason,
    MarketingActivity,
    Partner,
    PartnerReferralOut,
)

#: Codes the code looks up; they cannot be renamed (code) or switched off.
BUILT_IN_CHANNEL_CODES = frozenset({Channel.WEBSITE, Channel.REFERRAL, Channel.PARTNER})

CHANNEL_FIELDS = ["code", "name", "is_active", "sort_order"]
LOSS_REASON_FIELDS = ["name", "is_active", "sort_order"]
ACTIVITY_FIELDS = ["name", "kind", "channel", "starts_on", "ends_on", "cost", "owner", "notes"]
PARTNER_FIELDS = [
    "name",
    "kind",
    "contact_name",
    "contact_mobile",
    "email",
    "address",
    "notes",
    "is_active",
]


def is_built_in(channel: Channel) -> bool:
    return channel.code in BUILT_IN_CHANNEL_CODES


# ---------------------------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------------------------


def _next_sort_order(model) -> int:
    top = model.objects.aggregate(top=Max("sort_order"))["top"] or 0
    return top + 10


def _duplicate_name(model, name: str, exclude_pk: int | None = None) -> bool:
    queryset = model.objects.filter(name=name)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.exists()


@transaction.atomic
def channel_create(*, code: str, name: str, by) -> Channel:
    """Add a channel at the end of the list; code and name must be new."""
    if Channel.objects.filter(code=code).exists():
        raise DomainError(_("渠道代码“%(code)s”已存在。") % {"code": code})
    if _duplicate_name(Channel, name):
        raise DomainError(_("渠道名称“%(name)s”已存在。") % {"name": name})
    channel = Channel.objects.create(code=code, name=name, sort_order=_next_sort_order(Channel))
    audit.record(
        action="create",
        by=by,
        obj=channel,
        changes=audit.created(audit.snapshot(channel, CHANNEL_FIELDS)),
    )
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, name: str, code: str | None = None, by) -> Channel:
    """Rename a channel; the code of a built-in channel stays as it is."""
    current = Channel.objects.select_for_update().get(pk=channel.pk)
    before = audit.snapshot(current, CHANNEL_FIELDS)
    if code is not None and code != current.code:
        if current.code in BUILT_IN_CHANNEL_CODES:
            raise DomainError(
                _("“%(name)s”是系统内置渠道，代码不能修改。") % {"name": current.name}
            )
        if Channel.objects.filter(code=code).exclude(pk=current.pk).exists():
            raise DomainError(_("渠道代码“%(code)s”已存在。") % {"code": code})
        current.code = code
    if _duplicate_name(Channel, name, current.pk):
        raise DomainError(_("渠道名称“%(name)s”已存在。") % {"name": name})
    current.name = name
    current.save(update_fields=["code", "name"])
    changes = audit.diff(before, audit.snapshot(current, CHANNEL_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


@transaction.atomic
def channel_set_active(*, channel: Channel, active: bool, by) -> Channel:
    """Switch a channel off (it stays on old prospects) or on again; built-ins stay on."""
    current = Channel.objects.select_for_update().get(pk=channel.pk)
    if not active and current.code in BUILT_IN_CHANNEL_CODES:
        raise DomainError(
            _("“%(name)s”是系统内置渠道（官网表单、客户推荐和合作机构使用），不能停用。")
            % {"name": current.name}
        )
    return _set_active(current, active, CHANNEL_FIELDS, by)


def _set_active(current, active: bool, fields: list[str], by):
    """Switch a locked list entry (channel, loss reason) on or off; audited when it changes."""
    if current.is_active != active:
        before = audit.snapshot(current, fields)
        current.is_active = active
        current.save(update_fields=["is_active"])
        audit.record(
            action="status",
            by=by,
            obj=current,
            changes=audit.diff(before, audit.snapshot(current, fields)),
        )
    return current


def _move(model, obj, direction: str, by):
    """Swap ``obj`` with its neighbour in the list order; the list is renumbered 10, 20, …"""
    rows = list(model.objects.select_for_update().order_by("sort_order", "name", "pk"))
    index = next(i for i, row in enumerate(rows) if row.pk == obj.pk)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(rows):
        return rows[index]
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        if row.sort_order != position * 10:
            row.sort_order = position * 10
            row.save(update_fields=["sort_order"])
    moved = rows[other]
    audit.record(
        action="update",
        by=by,
        obj=moved,
        detail=_("上移") if direction == "up" else _("下移"),
    )
    return moved


@transaction.atomic
def channel_move(*, channel: Channel, direction: str, by) -> Channel:
    """Move a channel one place ``"up"`` or ``"down"`` in the list that forms show."""
    if direction not in ("up", "down"):
        raise DomainError(_("无效的排序方向。"))
    return _move(Channel, channel, direction, by)


# ---------------------------------------------------------------------------------------------
# Loss reasons
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def loss_reason_create(*, name: str, by) -> LossReason:
    """Add a loss reason at the end of the list."""
    if _duplicate_name(LossReason, name):
        raise DomainError(_("流失原因“%(name)s”已存在。") % {"name": name})
    reason = LossReason.objects.create(name=name, sort_order=_next_sort_order(LossReason))
    audit.record(
        action="create",
        by=by,
        obj=reason,
        changes=audit.created(audit.snapshot(reason, LOSS_REASON_FIELDS)),
    )
    return reason


@transaction.atomic
def loss_reason_update(*, reason: LossReason, name: str, by) -> LossReason:
    """Rename a loss reason; prospects already lost for it show the new name."""
    current = LossReason.objects.select_for_update().get(pk=reason.pk)
    if _duplicate_name(LossReason, name, current.pk):
        raise DomainError(_("流失原因“%(name)s”已存在。") % {"name": name})
    before = audit.snapshot(current, LOSS_REASON_FIELDS)
    current.name = name
    current.save(update_fields=["name"])
    changes = audit.diff(before, audit.snapshot(current, LOSS_REASON_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


@transaction.atomic
def loss_reason_set_active(*, reason: LossReason, active: bool, by) -> LossReason:
    """Switch a loss reason off (no longer offered) or on again."""
    current = LossReason.objects.select_for_update().get(pk=reason.pk)
    return _set_active(current, active, LOSS_REASON_FIELDS, by)


@transaction.atomic
def loss_reason_move(*, reason: LossReason, direction: str, by) -> LossReason:
    """Move a loss reason one place ``"up"`` or ``"down"``."""
    if direction not in ("up", "down"):
        raise DomainError(_("无效的排序方向。"))
    return _move(LossReason, reason, direction, by)


# ---------------------------------------------------------------------------------------------
# Marketing activities
# ---------------------------------------------------------------------------------------------


def _check_activity(data: dict[str, Any]) -> None:
    starts_on: dt.date = data["starts_on"]
    ends_on: dt.date = data["ends_on"]
    if ends_on < starts_on:
        raise DomainError(_("结束日期不能早于开始日期。"))
    cost = data.get("cost")
    if cost is None or not isinstance(cost, Decimal | int) or cost < 0:
        raise DomainError(_("费用不能为负数。"))


@transaction.atomic
def activity_create(*, data: dict[str, Any], by) -> MarketingActivity:
    """Record a marketing activity (an exhibition, a campaign) with its dates and cost."""
    _check_activity(data)
    activity = MarketingActivity.objects.create(**data)
    audit.record(
        action="create",
        by=by,
        obj=activity,
        changes=audit.created(audit.snapshot(activity, ACTIVITY_FIELDS)),
    )
    return activity


@transaction.atomic
def activity_update(
    *, activity: MarketingActivity, data: dict[str, Any], expected_version: int | None, by
) -> MarketingActivity:
    """Save edits made on the version the user opened; refuse if someone saved in between."""
    current = lock_version(
        MarketingActivity,
        pk=activity.pk,
        version=activity.version if expected_version is None else expected_version,
        message=_(
            "保存失败：在您编辑期间，其他人已修改了此活动。您填写的内容仍在下方，请核对后重新保存。"
        ),
    )
    _check_activity(data)
    before = audit.snapshot(current, ACTIVITY_FIELDS)
    apply_edit(current, data)
    current.save()
    changes = audit.diff(before, audit.snapshot(current, ACTIVITY_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


# ---------------------------------------------------------------------------------------------
# Partner institutions
# ---------------------------------------------------------------------------------------------


def _duplicate_partner_error(name: str) -> DomainError:
    return DomainError(_("合作机构“%(name)s”已存在。") % {"name": name})


@transaction.atomic
def partner_create(*, data: dict[str, Any], by) -> Partner:
    """Register a partner institution (工商注册代理、税务师事务所、律师事务所…)."""
    if _duplicate_name(Partner, data["name"]):
        raise _duplicate_partner_error(data["name"])
    partner = Partner.objects.create(**data)
    audit.record(
        action="create",
        by=by,
        obj=partner,
        changes=audit.created(audit.snapshot(partner, PARTNER_FIELDS)),
    )
    return partner


@transaction.atomic
def partner_update(
    *, partner: Partner, data: dict[str, Any], expected_version: int | None, by
) -> Partner:
    """Save edits of a partner's details; refuse if someone saved in between."""
    current = lock_version(
        Partner,
        pk=partner.pk,
        version=partner.version if expected_version is None else expected_version,
        message=_(
            "保存失败：在您编辑期间，其他人已修改了此合作机构。您填写的内容仍在下方，请核对后重新保存。"
        ),
    )
    if _duplicate_name(Partner, data.get("name", current.name), current.pk):
        raise _duplicate_partner_error(data["name"])
    before = audit.snapshot(current, PARTNER_FIELDS)
    apply_edit(current, data)
    try:
        with transaction.atomic():
            current.save()
    except IntegrityError as exc:  # a concurrent insert of the same name
        raise _duplicate_partner_error(current.name) from exc
    changes = audit.diff(before, audit.snapshot(current, PARTNER_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


@transaction.atomic
def partner_referral_out_create(
    *, partner: Partner, client, referred_on: dt.date, notes: str = "", by
) -> PartnerReferralOut:
    """Record that we recommended our client to this partner (the other half of 互相推荐)."""
    referral = PartnerReferralOut.objects.create(
        partner=partner, client=client, referred_on=referred_on, notes=notes, recorded_by=by
    )
    audit.record(
        action="create",
        by=by,
        obj=referral,
        anchor=partner,
        changes=audit.created(
            audit.snapshot(referral, ["partner", "client", "referred_on", "notes"])
        ),
    )
    return referral
