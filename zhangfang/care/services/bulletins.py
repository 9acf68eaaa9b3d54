"""Policy bulletins (policy 四（二）1 "及时为客户提供相关的财务、税务等方面的政策法规信息").

Tax specialists, customer service, department heads and administrators write a bulletin, choose
which clients in service it concerns (industry, taxpayer type, region, tag) and on which channels
it goes out. Publishing files it on every matching client's record and queues one message per
outbound channel to the client's primary contact; the messages are sent after commit when there
are few, else by the ``deliver_bulletins`` job. Each message links to a reading page without a
login, which records when the client first opened it. Every write is audited.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.care.models import (
    Bulletin,
    BulletinCategory,
    BulletinDelivery,
    BulletinStatus,
    DeliveryChannel,
    DeliveryStatus,
)
from zhangfang.care.selectors.targeting import Target, clients_matching
from zhangfang.care.wiring.bulletins import SEND_NOW_LIMIT
from zhangfang.clients.models import ClientTag, Contact, Industry, TaxpayerType
from zhangfang.core import audit, policy
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError
from zhangfang.core.links import absolute_url, link_pk, link_token
from zhangfang.core.roles import Role, has_role
from zhangfang.notifications import channels

logger = logging.getLogger(__name__)

TOKEN_SALT = "care.bulletin"

#: Who writes and publishes bulletins; everyone logged in reads them.
WRITE_ROLES = (Role.TAX_SPECIALIST, Role.CUSTOMER_SERVICE, Role.DEPARTMENT_HEAD, Role.ADMIN)

#: The channels besides the client's record, in the order forms offer them.
OUTBOUND = (channels.EMAIL, channels.SMS, channels.WECHAT)

#: The contact field holding each outbound channel's address.
ADDRESS_FIELDS = {channels.EMAIL: "email", channels.SMS: "mobile", channels.WECHAT: "wechat"}

#: The contact columns :func:`_first_contacts` reads; each channel's address is one of them.
CONTACT_COLUMNS = ("client_id", "id", "name", "email", "mobile", "wechat")

#: Rows per INSERT when publishing: 7,000 clients and three channels are 28 statements.
INSERT_BATCH = 1000

#: Messages sent per transaction by :func:`deliver_bulletins`. Small, because on SQLite the batch
#: holds the database's write lock while its messages go out.
SEND_BATCH = 50

CONTENT_FIELDS = ["title", "category", "summary", "body", "source"]
TARGET_FIELDS = [
    "target_industries",
    "target_taxpayer_types",
    "target_regions",
    "target_tags",
    "channels",
]
AUDIT_FIELDS = [*CONTENT_FIELDS, *TARGET_FIELDS]

STALE_BULLETIN = gettext_lazy("此资讯已被他人修改，请核对后再保存。")


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def can_write(user) -> bool:
    return has_role(user, *WRITE_ROLES)


def _require_writer(user) -> None:
    if not can_write(user):
        raise DomainError(_("只有税务专员、客服、部门负责人和管理员可以撰写和发布政策资讯。"))


def send_now_limit() -> int:
    return int(policy.get(SEND_NOW_LIMIT))


def target_of(bulletin: Bulletin) -> Target:
    """The clients ``bulletin`` is aimed at, as the targeting selector reads them."""
    return Target(
        industries=tuple(bulletin.target_industries or ()),
        taxpayer_types=tuple(bulletin.target_taxpayer_types or ()),
        regions=tuple(bulletin.target_regions or ()),
        tag_ids=tuple(int(pk) for pk in bulletin.target_tags or ()),
    )


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------


def delivery_token(delivery: BulletinDelivery) -> str:
    return link_token(TOKEN_SALT, delivery.pk)


def delivery_path(delivery: BulletinDelivery) -> str:
    """The reading page of one outbound message (each message has its own, to know who read)."""
    return reverse("care:bulletin_public", args=[delivery_token(delivery)])


def delivery_from_token(token: str) -> BulletinDelivery | None:
    """The outbound delivery a client's link names, with its bulletin and client; None if the
    link was altered. A record delivery has no link, so no token can name one."""
    pk = link_pk(TOKEN_SALT, token)
    if pk is None:
        return None
    return (
        BulletinDelivery.objects.select_related("bulletin", "client", "contact")
        .exclude(channel=DeliveryChannel.RECORD)
        .filter(pk=pk, bulletin__status=BulletinStatus.SENT)
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _texts(values: Any) -> list[str]:
    """A list of distinct non-empty texts, in the order given."""
    seen: list[str] = []
    for value in values or ():
        text = str(value).strip()
        if text and text not in seen:
            seen.append(text)
    return seen


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name in CONTENT_FIELDS:
        cleaned[name] = str(data.get(name) or "").strip()
    if not cleaned["title"]:
        raise DomainError(_("请填写标题。"), field="title")
    if not cleaned["body"]:
        raise DomainError(_("请填写正文。"), field="body")
    if cleaned["category"] not in BulletinCategory.values:
        raise DomainError(_("请选择类别。"), field="category")
    industries = _texts(data.get("target_industries"))
    if set(industries) - set(Industry.values):
        raise DomainError(_("目标行业无效。"), field="target_industries")
    taxpayer_types = _texts(data.get("target_taxpayer_types"))
    if set(taxpayer_types) - set(TaxpayerType.values):
        raise DomainError(_("目标纳税人类型无效。"), field="target_taxpayer_types")
    try:
        tag_ids = sorted({int(pk) for pk in data.get("target_tags") or ()})
    except (TypeError, ValueError) as exc:
        raise DomainError(_("目标标签无效。"), field="target_tags") from exc
    if len(tag_ids) != ClientTag.objects.filter(pk__in=tag_ids).count():
        raise DomainError(_("目标标签无效或已删除。"), field="target_tags")
    chosen = _texts(data.get("channels"))
    if set(chosen) - set(OUTBOUND):
        raise DomainError(_("发送渠道无效。"), field="channels")
    cleaned.update(
        target_industries=industries,
        target_taxpayer_types=taxpayer_types,
        target_regions=_texts(data.get("target_regions")),
        target_tags=tag_ids,
        channels=[code for code in OUTBOUND if code in chosen],
    )
    return cleaned


@transaction.atomic
def bulletin_create(*, data: Mapping[str, Any], by) -> Bulletin:
    """Write a new bulletin as a draft: its content, targets and outbound channels."""
    _require_writer(by)
    bulletin = Bulletin.objects.create(**_clean(data), created_by=by)
    audit.record(
        action="create",
        by=by,
        obj=bulletin,
        changes=audit.created(audit.snapshot(bulletin, AUDIT_FIELDS)),
        detail=_("撰写政策资讯"),
    )
    return bulletin


@transaction.atomic
def bulletin_update(
    *, bulletin: Bulletin, data: Mapping[str, Any], expected_version: int | None, by
) -> Bulletin:
    """Change a bulletin's content, targets or channels, refusing a save based on an older
    version. A published one may be corrected too: its reading page shows the new text, and
    publishing again (补发) reaches the clients that the new targets add."""
    _require_writer(by)
    cleaned = _clean(data)
    current = lock_version(
        Bulletin,
        pk=bulletin.pk,
        version=bulletin.version if expected_version is None else expected_version,
        message=str(STALE_BULLETIN),
    )
    before = audit.snapshot(current, AUDIT_FIELDS)
    apply_edit(current, cleaned)
    current.save()
    changes = audit.diff(before, audit.snapshot(current, AUDIT_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


# ---------------------------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------------------------


@dataclass
class PublishResult:
    """What publishing did: clients newly reached, messages waiting, and whether they are sent
    right after commit (else the ``deliver_bulletins`` job sends them)."""

    bulletin: Bulletin
    clients_added: int = 0
    messages_added: int = 0
    queued: int = 0
    send_now: bool = False
    first: bool = False


def _first_contacts(target: Target) -> dict[int, tuple]:
    """Each matching client's primary contact (else the one entered first), as
    ``(client_id, id, name, email, mobile, wechat)``, in one query."""
    contacts: dict[int, tuple] = {}
    rows = (
        Contact.objects.filter(client_id__in=clients_matching(target).values("pk"))
        .order_by("client_id", "-is_primary", "id")
        .values_list(*CONTACT_COLUMNS)
    )
    for row in rows:
        contacts.setdefault(row[0], row)
    return contacts


def _outbound(bulletin: Bulletin, client_id: int, channel: str, contact: tuple | None):
    if contact is None:
        return BulletinDelivery(
            bulletin_id=bulletin.pk,
            client_id=client_id,
            channel=channel,
            status=DeliveryStatus.SKIPPED,
            error=_("客户没有联系人。"),
        )
    address = contact[CONTACT_COLUMNS.index(ADDRESS_FIELDS[channel])]
    if not address:
        return BulletinDelivery(
            bulletin_id=bulletin.pk,
            client_id=client_id,
            contact_id=contact[1],
            channel=channel,
            status=DeliveryStatus.SKIPPED,
            error=_("联系人没有%(channel)s地址。") % {"channel": channels.CHANNELS[channel]},
        )
    return BulletinDelivery(
        bulletin_id=bulletin.pk,
        client_id=client_id,
        contact_id=contact[1],
        channel=channel,
        address=address,
        status=DeliveryStatus.QUEUED,
    )


def _queue_for_sending(result: PublishResult, base_url: str) -> PublishResult:
    """Count the bulletin's queued messages and, when there are few enough, send them after
    commit (in this request, over one SMTP connection); else the job sends them."""
    pk = result.bulletin.pk
    result.queued = BulletinDelivery.objects.filter(
        bulletin_id=pk, status=DeliveryStatus.QUEUED
    ).count()
    result.send_now = 0 < result.queued <= send_now_limit()
    if result.send_now:
        transaction.on_commit(lambda: deliver_bulletins(bulletin_id=pk, base_url=base_url))
    return result


@transaction.atomic
def bulletin_publish(*, bulletin: Bulletin, by, base_url: str = "") -> PublishResult:
    """Publish ``bulletin`` to every client in service it targets; publishing again (补发)
    adds only the clients (and channels) not reached yet.

    Each client gets one ``record`` delivery (the bulletin on its record, sent at once) and one
    delivery per outbound channel to its primary contact, else the contact entered first: queued, or
    skipped with the reason when there is no contact or no address for the channel. Rows are
    inserted in batches; the bulletin row is locked, so two clicks publish once, and the unique
    constraint on (bulletin, client, channel) is the backstop. After commit the queued messages
    are sent at once when there are at most ``care.bulletin_send_now_limit`` of them (one SMTP
    connection), else they wait for ``deliver_bulletins``. ``base_url`` (``https://host``)
    makes the links absolute; without it the ``SITE_URL`` setting is used.
    """
    _require_writer(by)
    current = Bulletin.objects.select_for_update(of=("self",)).get(pk=bulletin.pk)
    target = target_of(current)
    client_ids = list(clients_matching(target).values_list("pk", flat=True))
    first = current.status == BulletinStatus.DRAFT
    if first and not client_ids:
        raise DomainError(_("没有符合目标条件的服务中客户，请调整目标范围后再发布。"))
    outbound = [code for code in OUTBOUND if code in (current.channels or ())]
    reached = set(
        BulletinDelivery.objects.filter(bulletin=current).values_list("client_id", "channel")
    )
    contacts = _first_contacts(target) if outbound else {}
    now = timezone.now()
    rows: list[BulletinDelivery] = []
    clients_added = 0
    for client_id in client_ids:
        if (client_id, DeliveryChannel.RECORD) not in reached:
            clients_added += 1
            rows.append(
                BulletinDelivery(
                    bulletin_id=current.pk,
                    client_id=client_id,
                    channel=DeliveryChannel.RECORD,
                    status=DeliveryStatus.SENT,
                    sent_at=now,
                )
            )
        for channel in outbound:
            if (client_id, channel) not in reached:
                rows.append(_outbound(current, client_id, channel, contacts.get(client_id)))
    BulletinDelivery.objects.bulk_create(rows, batch_size=INSERT_BATCH)
    before = audit.snapshot(current, ["status"])
    if first:
        current.status = BulletinStatus.SENT
        current.sent_by = by
        current.sent_at = now
    # Publishing moves the version on, so an edit opened before it is checked again (the row
    # is locked, so the increment cannot race).
    current.version += 1
    current.save(update_fields=["status", "sent_by", "sent_at", "version", "updated_at"])
    audit.record(
        action="status" if first else "update",
        by=by,
        obj=current,
        changes=audit.diff(before, audit.snapshot(current, ["status"])),
        detail=(
            _("发布政策资讯：%(clients)s 位客户，%(messages)s 条记录")
            if first
            else _("补发政策资讯：新增 %(clients)s 位客户，%(messages)s 条记录")
        )
        % {"clients": clients_added, "messages": len(rows)},
    )
    result = PublishResult(
        bulletin=current, clients_added=clients_added, messages_added=len(rows), first=first
    )
    return _queue_for_sending(result, base_url)


@transaction.atomic
def bulletin_retry_failed(*, bulletin: Bulletin, by, base_url: str = "") -> PublishResult:
    """Queue the bulletin's failed messages again (a mail server that was down, a number that
    was wrong and has been corrected); they are sent as after publishing."""
    _require_writer(by)
    current = Bulletin.objects.select_for_update(of=("self",)).get(pk=bulletin.pk)
    count = BulletinDelivery.objects.filter(bulletin=current, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.QUEUED, error=""
    )
    if not count:
        raise DomainError(_("没有发送失败的记录。"))
    audit.record(
        action="update",
        by=by,
        obj=current,
        detail=_("重新发送失败的政策资讯：%(count)s 条") % {"count": count},
    )
    return _queue_for_sending(PublishResult(bulletin=current, messages_added=count), base_url)


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


@dataclass
class SendTally:
    """How many messages one run sent, failed and skipped."""

    counts: Counter = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return self.counts[DeliveryStatus.SENT]

    @property
    def failed(self) -> int:
        return self.counts[DeliveryStatus.FAILED]

    @property
    def skipped(self) -> int:
        return self.counts[DeliveryStatus.SKIPPED]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _address(delivery: BulletinDelivery) -> str:
    """The contact's current address for the channel (it may have been corrected since
    publishing), else the one recorded when publishing."""
    contact = delivery.contact
    current = getattr(contact, ADDRESS_FIELDS[delivery.channel], "") if contact else ""
    return current or delivery.address


def _message(delivery: BulletinDelivery, base_url: str) -> channels.Message:
    bulletin = delivery.bulletin
    link = absolute_url(delivery_path(delivery), base_url)
    name = (delivery.contact.name if delivery.contact else "") or delivery.client.name
    address = _address(delivery)
    if delivery.channel == channels.EMAIL:
        body = _("尊敬的%(name)s：\n\n%(title)s\n\n%(summary)s阅读全文：%(link)s\n\n%(firm)s") % {
            "name": name,
            "title": bulletin.title,
            "summary": f"{bulletin.summary}\n\n" if bulletin.summary else "",
            "link": link,
            "firm": settings.FIRM_NAME,
        }
        html = render_to_string(
            "care/bulletin_email.html",
            {"b": bulletin, "name": name, "link": link, "firm_name": settings.FIRM_NAME},
        )
    else:
        # SMS and WeChat messages are short: the title and the link.
        body = _("【%(firm)s】%(title)s 阅读全文：%(link)s") % {
            "firm": settings.FIRM_NAME,
            "title": bulletin.title,
            "link": link,
        }
        html = ""
    return channels.Message(
        subject=bulletin.title,
        body=body,
        name=name,
        email=address if delivery.channel == channels.EMAIL else "",
        mobile=address if delivery.channel == channels.SMS else "",
        wechat=address if delivery.channel == channels.WECHAT else "",
        html=html,
    )


def _open_connection():
    """One SMTP session for the whole run; None when the server cannot be reached, so that each
    message then fails with the reason instead of the run stopping."""
    connection = channels.email_connection()
    try:
        connection.open()
    except Exception:
        logger.warning("Mail server unreachable; bulletin e-mails will be marked failed.")
        return None
    return connection


def deliver_bulletins(
    *,
    retry: bool = False,
    bulletin_id: int | None = None,
    base_url: str = "",
    batch_size: int = SEND_BATCH,
) -> SendTally:
    """Send the queued outbound messages (with ``retry`` also the failed ones), oldest first,
    batch by batch; each is recorded as sent, failed (with the error) or skipped (with why).

    Idempotent: a message leaves the queue when it is sent, and each batch is claimed with
    ``SELECT … FOR UPDATE SKIP LOCKED`` (on PostgreSQL; SQLite runs one writer at a time), so
    the job and a publish's immediate send never send the same message twice. ``bulletin_id``
    limits the run to one bulletin. Links use ``base_url``, else the ``SITE_URL`` setting.
    """
    statuses = [DeliveryStatus.QUEUED] + ([DeliveryStatus.FAILED] if retry else [])
    pending = BulletinDelivery.objects.filter(status__in=statuses).exclude(
        channel=DeliveryChannel.RECORD
    )
    if bulletin_id is not None:
        pending = pending.filter(bulletin_id=bulletin_id)
    tally = SendTally()
    connection = _open_connection()
    last_id = 0
    try:
        while True:
            with transaction.atomic():
                # An id cursor, not "while any are pending": a retried message that fails again
                # stays failed and must not be picked up a second time in this run.
                batch = list(
                    pending.select_for_update(of=("self",), skip_locked=True)
                    .select_related("bulletin", "client", "contact")
                    .filter(id__gt=last_id)
                    .order_by("id")[:batch_size]
                )
                if not batch:
                    break
                last_id = batch[-1].pk
                for delivery in batch:
                    # Clients read the firm's language, whatever the language of the member of
                    # staff whose publish sends the message.
                    with translation.override(settings.LANGUAGE_CODE):
                        message = _message(delivery, base_url)
                    outcome = channels.send(delivery.channel, message, connection=connection)
                    delivery.status = outcome.status
                    delivery.error = (outcome.error or "")[:300]
                    delivery.address = (outcome.address or delivery.address)[:200]
                    if outcome.sent:
                        delivery.sent_at = timezone.now()
                    tally.counts[outcome.status] += 1
                BulletinDelivery.objects.bulk_update(
                    batch, ["status", "error", "address", "sent_at"]
                )
    finally:
        if connection is not None:
            connection.close()
    return tally


# ---------------------------------------------------------------------------------------------
# The client opens the link
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def bulletin_open(*, delivery: BulletinDelivery) -> bool:
    """Record that the client opened the message's reading page; only the first time counts
    (True then). Audited on the client, so its history shows that it read the bulletin."""
    now = timezone.now()
    if not BulletinDelivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(
        opened_at=now
    ):
        return False
    delivery.opened_at = now
    who = (delivery.contact.name if delivery.contact else "") or delivery.client.name
    audit.record(
        action="update",
        by=None,
        obj=delivery,
        anchor=delivery.client,
        actor_name=_("%(name)s（客户）") % {"name": who},
        changes={"opened_at": [None, audit.jsonable(now)]},
        detail=_("客户阅读了政策资讯"),
    )
    return True
