"""Greetings (policy 四（二）2 "在客户生日、节假日等特殊时期，向客户发送祝福短信或贺卡"):
the daily job that sends the day's birthday and holiday greetings, the contact's opt-out link,
and the upkeep of templates and days by administrators and department heads.

The job never sends the same greeting twice: each greeting is a :class:`GreetingSend` row whose
``(contact, occasion_key, channel)`` is unique, and the row is written (the greeting is
"claimed") before anything is sent. A second run, or one running at the same moment, finds the
row or fails to insert it and skips that greeting. A run that dies after claiming leaves the
claimed rows marked as failed ("interrupted"), never sent twice.

A run sends only the occasions of its own day. If the job did not run yesterday, today's run does
not send yesterday's birthdays: a belated wish is not what the policy means by greeting a client
on a special day, and a past day is refused.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.care.models import (
    DateRule,
    GreetingDay,
    GreetingKind,
    GreetingSend,
    GreetingStatus,
    GreetingTemplate,
)
from zhangfang.care.selectors import greetings as selectors
from zhangfang.care.selectors.greetings import Occasion
from zhangfang.clients.models import Contact
from zhangfang.core import audit
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError
from zhangfang.core.links import absolute_url, link_pk, link_token
from zhangfang.core.roles import Role, has_role
from zhangfang.notifications import channels

TOKEN_SALT = "care.optout"

#: Who sees the preview and the log (scoped to their clients).
VIEW_ROLES = (Role.CUSTOMER_SERVICE, Role.DEPARTMENT_HEAD, Role.ADMIN)
#: Who edits the templates and the days (firm-wide).
EDIT_ROLES = (Role.DEPARTMENT_HEAD, Role.ADMIN)

TEMPLATE_FIELDS = ["subject", "body", "channels", "active"]
DAY_FIELDS = ["name", "rule", "month", "day", "active"]

#: Firm-defined days follow the solar or the lunar calendar; 清明 is built in.
FIRM_DAY_RULES = (DateRule.SOLAR, DateRule.LUNAR)

#: What a claimed greeting says until its outcome is known: if the run dies in between, the log
#: shows the truth (it may or may not have gone out; it is never sent again).
INTERRUPTED = gettext_lazy("发送未完成：任务在发送过程中中断，不再重发。")

#: Existing greetings are looked up this many contacts at a time (the unique index's prefix).
_LOOKUP_CHUNK = 500

STALE_TEMPLATE = gettext_lazy(
    "保存失败：在您编辑期间，其他人已修改了此祝福模板。您填写的内容仍在下方，请核对后重新保存。"
)
STALE_DAY = gettext_lazy(
    "保存失败：在您编辑期间，其他人已修改了此节日。您填写的内容仍在下方，请核对后重新保存。"
)


class OptOutLinkInvalid(DomainError):
    """The opt-out link was altered or names no contact."""


def can_view(user) -> bool:
    return has_role(user, *VIEW_ROLES)


def can_edit(user) -> bool:
    return has_role(user, *EDIT_ROLES)


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def placeholder_values(*, contact: str, client: str, occasion: str) -> dict[str, str]:
    return {
        selectors.CONTACT: contact,
        selectors.CLIENT: client,
        selectors.FIRM: settings.FIRM_NAME,
        selectors.OCCASION: occasion,
    }


def optout_token(contact_id: int) -> str:
    return link_token(TOKEN_SALT, contact_id)


def optout_path(contact_id: int) -> str:
    return reverse("care:greeting_optout", args=[optout_token(contact_id)])


def compose(
    template: GreetingTemplate, occasion: Occasion, channel: str, *, base_url: str = ""
) -> tuple[str, str]:
    """The subject and text of ``occasion``'s greeting on ``channel``; an e-mail ends with the
    contact's opt-out link."""
    values = placeholder_values(
        contact=occasion.contact.name,
        client=occasion.contact.client_name,
        occasion=occasion.label,
    )
    subject = selectors.render_text(template.subject, values)
    body = selectors.render_text(template.body, values)
    if channel == channels.EMAIL:
        link = absolute_url(optout_path(occasion.contact.id), base_url)
        body += "\n\n" + _("如不希望再收到我们的祝福，请打开此链接退订：%(link)s") % {"link": link}
    return subject, body


# ---------------------------------------------------------------------------------------------
# The daily job
# ---------------------------------------------------------------------------------------------


def _existing(occasions: list[Occasion]) -> set[tuple[int, str, str]]:
    """``(contact id, key, channel)`` of the greetings already recorded for ``occasions``.

    Looked up a chunk of contacts at a time, so each query walks the unique index of
    ``(contact, occasion_key, channel)`` instead of the whole table.
    """
    by_contact: dict[int, set[str]] = {}
    for occasion in occasions:
        by_contact.setdefault(occasion.contact.id, set()).add(occasion.key)
    contact_ids = sorted(by_contact)
    keys = {occasion.key for occasion in occasions}
    found: set[tuple[int, str, str]] = set()
    for index in range(0, len(contact_ids), _LOOKUP_CHUNK):
        chunk = contact_ids[index : index + _LOOKUP_CHUNK]
        found.update(
            GreetingSend.objects.filter(contact_id__in=chunk, occasion_key__in=keys).values_list(
                "contact_id", "occasion_key", "channel"
            )
        )
    return found


def _claim(rows: list[GreetingSend]) -> list[GreetingSend]:
    """Insert ``rows``; those another run inserted meanwhile are skipped (the unique key).

    A whole batch goes in one statement; only when it clashes (a run at the same moment) is it
    retried row by row, each in its own savepoint, keeping the rows that are new.
    """
    try:
        with transaction.atomic():
            return GreetingSend.objects.bulk_create(rows)
    except IntegrityError:
        pass
    claimed = []
    for row in rows:
        row.pk = None
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue
        claimed.append(row)
    return claimed


def send_greetings(*, day: dt.date | None = None, by=None, base_url: str = "") -> dict[str, Any]:
    """Send the greetings of ``day`` (today by default); returns the counts of what happened.

    For each occasion of the day (:func:`selectors.occasions_between`) and each channel of its
    active template: a contact who opted out is skipped (nothing recorded); a greeting already
    recorded is skipped; every other one is recorded and then sent through
    :func:`channels.send`, e-mails over one SMTP connection, and its outcome stored (sent,
    failed with the error, or skipped, e.g. no e-mail address, recorded once like any other).

    Not one transaction: the greetings are claimed (inserted) in one, and sent after it commits,
    so a slow mail server holds no lock and a failure to send never undoes the record. A ``day``
    before today is refused (no belated wishes); one run is audited as one event.
    """
    today = timezone.localdate()
    day = day or today
    if day < today:
        raise DomainError(
            _("不补发过去日期（%(day)s）的祝福：祝福只在当天发送。") % {"day": day.isoformat()},
            field="day",
        )
    counts = {
        "date": day,
        "occasions": 0,
        "sent": 0,
        "failed": 0,
        "skipped": 0,
        "opted_out": 0,
        "already_sent": 0,
        "no_template": 0,
    }
    days = selectors.active_days()
    occasions = selectors.occasions_between(day, day, days=days)
    counts["occasions"] = len(occasions)
    templates = selectors.active_templates()

    with transaction.atomic():
        existing = _existing(occasions)
        rows: list[GreetingSend] = []
        for occasion in occasions:
            template = selectors.template_for(templates, occasion)
            if template is None or not template.channels:
                counts["no_template"] += 1
                continue
            if occasion.contact.opted_out:
                counts["opted_out"] += 1
                continue
            for channel in template.channels:
                if (occasion.contact.id, occasion.key, channel) in existing:
                    counts["already_sent"] += 1
                    continue
                subject, body = compose(template, occasion, channel, base_url=base_url)
                row = GreetingSend(
                    contact_id=occasion.contact.id,
                    client_id=occasion.contact.client_id,
                    kind=occasion.kind,
                    occasion_key=occasion.key,
                    occasion_date=occasion.date,
                    template=template,
                    channel=channel,
                    address=address_for(channel, occasion.contact)[:200],
                    subject=subject[:200],
                    body=body,
                    status=GreetingStatus.FAILED,
                    error=str(INTERRUPTED),
                )
                row.recipient = occasion.contact
                rows.append(row)
        claimed = _claim(rows)
        counts["already_sent"] += len(rows) - len(claimed)

    if claimed:
        _deliver(claimed, counts)
        _record_run(day, counts, by)
    return counts


def address_for(channel: str, recipient) -> str:
    """Where a greeting on ``channel`` goes: the contact's e-mail, mobile or WeChat."""
    return {
        channels.EMAIL: recipient.email,
        channels.SMS: recipient.mobile,
        channels.WECHAT: recipient.wechat,
    }.get(channel, "")


def _deliver(claimed: list[GreetingSend], counts: dict[str, Any]) -> None:
    """Send the claimed greetings and store each outcome.

    The outcomes are written grouped (a handful of distinct status and error pairs), a few
    hundred rows per statement: one UPDATE per greeting, or Django's ``bulk_update``, would cost
    more than the sending on a day like 春节 with 10,000 greetings.
    """
    connection = None
    # When the mail server cannot be reached, every e-mail of the batch fails with that reason
    # at once, instead of waiting for a connection timeout per greeting.
    unreachable = ""
    if any(row.channel == channels.EMAIL for row in claimed):
        connection = channels.email_connection()
        try:
            connection.open()
        except Exception as exc:
            unreachable = str(exc)[:300] or type(exc).__name__
    outcomes: dict[tuple[str, str, bool], list[int]] = {}
    try:
        for row in claimed:
            recipient = row.recipient
            if row.channel == channels.EMAIL and unreachable and recipient.email:
                outcome = channels.Outcome("failed", recipient.email, unreachable)
            else:
                outcome = channels.send(
                    row.channel,
                    channels.Message(
                        row.subject,
                        row.body,
                        name=recipient.name,
                        email=recipient.email,
                        mobile=recipient.mobile,
                        wechat=recipient.wechat,
                    ),
                    connection=connection,
                )
            # The row holds the address it was meant for; it is kept only if the message went
            # (or was tried) there.
            key = (outcome.status, (outcome.error or "")[:300], bool(outcome.address))
            outcomes.setdefault(key, []).append(row.pk)
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
    finally:
        if connection is not None:
            connection.close()
        # Whatever was sent is stored, even if a later send raised something unexpected.
        for (status, error, addressed), pks in outcomes.items():
            changes: dict[str, Any] = {"status": status, "error": error}
            if not addressed:
                changes["address"] = ""
            for index in range(0, len(pks), _LOOKUP_CHUNK):
                GreetingSend.objects.filter(pk__in=pks[index : index + _LOOKUP_CHUNK]).update(
                    **changes
                )


def _record_run(day: dt.date, counts: dict[str, Any], by) -> None:
    audit.record(
        action="generate",
        by=by,
        object_type=GreetingSend._meta.label_lower,
        object_id=day.isoformat(),
        object_repr=_("%(day)s 客户祝福") % {"day": day.isoformat()},
        actor_name="" if getattr(by, "is_authenticated", False) else _("系统"),
        changes={},
        detail=_("发送成功 %(sent)s，失败 %(failed)s，未发送 %(skipped)s")
        % {"sent": counts["sent"], "failed": counts["failed"], "skipped": counts["skipped"]},
    )


# ---------------------------------------------------------------------------------------------
# Opting out (the contact's link, no login)
# ---------------------------------------------------------------------------------------------


def contact_from_token(token: str) -> Contact:
    """The contact an opt-out link names, with its client; :class:`OptOutLinkInvalid` if none."""
    pk = link_pk(TOKEN_SALT, token)
    contact = (
        Contact.objects.select_related("client")
        .only("id", "name", "greetings_opt_out", "version", "client__id", "client__name")
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if contact is None:
        raise OptOutLinkInvalid(_("链接无效。"))
    return contact


@transaction.atomic
def greetings_opt_out(*, contact: Contact) -> bool:
    """Stop greetings to ``contact``, as the contact asked through the link; False when they
    had opted out already (nothing changes). Audited on the client, by the contact."""
    current = (
        Contact.objects.select_for_update(of=("self",)).select_related("client").get(pk=contact.pk)
    )
    if current.greetings_opt_out:
        contact.greetings_opt_out = True
        return False
    # The version moves on, so a colleague's edit form opened before refuses to undo this.
    Contact.objects.filter(pk=current.pk).update(
        greetings_opt_out=True, version=F("version") + 1, updated_at=timezone.now()
    )
    audit.record(
        action="update",
        by=None,
        obj=current,
        anchor=current.client,
        actor_name=_("%(name)s（联系人）") % {"name": current.name},
        changes={"greetings_opt_out": [False, True]},
        detail=_("联系人通过链接退订节日和生日祝福"),
    )
    contact.greetings_opt_out = True
    return True


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


def check_placeholders(text: str, field: str) -> None:
    unknown = selectors.unknown_placeholders(text)
    if unknown:
        raise DomainError(
            _("未知的占位符：%(names)s。可用的占位符：%(known)s。")
            % {
                "names": "、".join(f"{{{name}}}" for name in unknown),
                "known": "、".join(f"{{{name}}}" for name in selectors.PLACEHOLDERS),
            },
            field=field,
        )


def _check_channels(values: Iterable[str]) -> list[str]:
    chosen = [code for code in channels.CHANNELS if code in set(values)]
    if not chosen:
        raise DomainError(_("请至少选择一个发送渠道。"), field="channels")
    return chosen


def _check_template(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["subject"] = (data.get("subject") or "").strip()
    data["body"] = (data.get("body") or "").strip()
    if not data["subject"]:
        raise DomainError(_("请填写标题。"), field="subject")
    if not data["body"]:
        raise DomainError(_("请填写祝福语。"), field="body")
    check_placeholders(data["subject"], "subject")
    check_placeholders(data["body"], "body")
    data["channels"] = _check_channels(data.get("channels") or [])
    data["active"] = bool(data.get("active"))
    return data


@transaction.atomic
def greeting_template_update(
    *, template: GreetingTemplate, data: dict[str, Any], expected_version: int | None, by
) -> GreetingTemplate:
    """Change a template's subject, text, channels or whether it is used; a save based on an
    older version is refused. Placeholders other than {联系人} {客户} {公司} {节日} are refused,
    naming them."""
    if not can_edit(by):
        raise DomainError(_("只有管理员和部门负责人可以修改祝福模板。"))
    data = _check_template(data)
    current = lock_version(
        GreetingTemplate,
        pk=template.pk,
        version=template.version if expected_version is None else expected_version,
        message=str(STALE_TEMPLATE),
    )
    if data["active"] and not current.active:
        other = GreetingTemplate.objects.filter(
            kind=current.kind, day_id=current.day_id, active=True
        ).exclude(pk=current.pk)
        if other.exists():
            raise DomainError(_("此场合已有启用的模板，请先停用它。"), field="active")
    before = audit.snapshot(current, TEMPLATE_FIELDS)
    apply_edit(current, {key: data[key] for key in TEMPLATE_FIELDS})
    current.save()
    changes = audit.diff(before, audit.snapshot(current, TEMPLATE_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


def sample_values(template: GreetingTemplate) -> dict[str, str]:
    """The values a template's preview is shown with."""
    occasion = template.day.name if template.day_id else _("生日")
    return placeholder_values(
        contact=_("王经理"), client=_("深圳市示例科技有限公司"), occasion=occasion
    )


# ---------------------------------------------------------------------------------------------
# Days
# ---------------------------------------------------------------------------------------------


def check_day_date(rule: str, month: int | None, day: int | None) -> None:
    """A firm-defined day's date: a lunar month 1–12 and day 1–30, or a real solar date (29
    February is kept on the 28th in a common year)."""
    if rule not in FIRM_DAY_RULES:
        raise DomainError(_("请选择公历或农历。"), field="rule")
    if month is None or not 1 <= month <= 12:
        raise DomainError(_("月份应在 1 到 12 之间。"), field="month")
    if day is None:
        raise DomainError(_("请填写日期。"), field="day")
    if rule == DateRule.LUNAR:
        if not 1 <= day <= 30:
            raise DomainError(_("农历日期应在初一到三十之间（1–30）。"), field="day")
        return
    try:
        dt.date(2000, month, day)  # a leap year, so 29 February is a real date
    except ValueError:
        raise DomainError(
            _("%(month)s 月没有 %(day)s 日。") % {"month": month, "day": day}, field="day"
        ) from None


def _check_day(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        raise DomainError(_("请填写节日名称。"), field="name")
    check_day_date(data.get("rule") or "", data.get("month"), data.get("day"))
    data["active"] = bool(data.get("active", True))
    return data


def _default_template(day: GreetingDay) -> GreetingTemplate:
    return GreetingTemplate.objects.create(
        kind=GreetingKind.HOLIDAY,
        day=day,
        subject=_("{节日}快乐"),
        body=_("{联系人}您好：值此{节日}之际，{公司}祝您和{客户}万事顺意！"),
        channels=[channels.EMAIL],
    )


@transaction.atomic
def greeting_day_create(*, data: dict[str, Any], by) -> GreetingDay:
    """Add a firm-defined day (the firm's anniversary, a local festival) with a default e-mail
    template to edit; ``data`` holds name, rule (solar or lunar), month, day and active."""
    if not can_edit(by):
        raise DomainError(_("只有管理员和部门负责人可以设置节日。"))
    data = _check_day(data)
    # The code is part of every occasion key; it never changes, even when the name does.
    day = GreetingDay.objects.create(
        code=f"firm-{uuid.uuid4().hex[:12]}",
        builtin=False,
        **{key: data[key] for key in DAY_FIELDS},
    )
    template = _default_template(day)
    audit.record(
        action="create", by=by, obj=day, changes=audit.created(audit.snapshot(day, DAY_FIELDS))
    )
    audit.record(
        action="create",
        by=by,
        obj=template,
        changes=audit.created(audit.snapshot(template, TEMPLATE_FIELDS)),
    )
    return day


@transaction.atomic
def greeting_day_update(
    *, day: GreetingDay, data: dict[str, Any], expected_version: int | None, by
) -> GreetingDay:
    """Change a firm-defined day; built-in days are only switched on or off
    (:func:`greeting_day_set_active`). A save based on an older version is refused."""
    if not can_edit(by):
        raise DomainError(_("只有管理员和部门负责人可以设置节日。"))
    if day.builtin:
        raise DomainError(_("内置节日的日期不能修改，只能启用或停用。"))
    data = _check_day(data)
    current = lock_version(
        GreetingDay,
        pk=day.pk,
        version=day.version if expected_version is None else expected_version,
        message=str(STALE_DAY),
    )
    before = audit.snapshot(current, DAY_FIELDS)
    apply_edit(current, {key: data[key] for key in DAY_FIELDS})
    current.save()
    changes = audit.diff(before, audit.snapshot(current, DAY_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


@transaction.atomic
def greeting_day_set_active(*, day: GreetingDay, active: bool, by) -> GreetingDay:
    """Switch a day's greetings on or off (built-in days are never deleted, only switched off).
    Switching to the state it has already changes nothing."""
    if not can_edit(by):
        raise DomainError(_("只有管理员和部门负责人可以设置节日。"))
    current = GreetingDay.objects.select_for_update(of=("self",)).get(pk=day.pk)
    if current.active == active:
        return current
    before = audit.snapshot(current, ["active"])
    current.active = active
    current.version += 1
    current.save(update_fields=["active", "version"])
    audit.record(
        action="status",
        by=by,
        obj=current,
        changes=audit.diff(before, audit.snapshot(current, ["active"])),
        detail=_("启用节日祝福") if active else _("停用节日祝福"),
    )
    return current
