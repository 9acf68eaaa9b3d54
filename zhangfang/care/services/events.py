"""Client events (policy 四（二）3 "定期组织客户活动，如客户座谈会、行业研讨会、培训讲座").

Customer service, sales, department heads and administrators plan an event; its organiser's team
(the organiser, colleagues of the organiser's department, an administrator) runs it: invites a
target list, takes attendance, closes it with a summary or cancels it. Any of those roles may also
invite their own clients. Each invited client gets an e-mail with a link that works without a
login: the client answers 参加 (how many, who) or 不参加 until the event starts, and, after an
event they attended, gives feedback once.

The status moves through one service per transition::

    planned ──(first invitations sent)──▶ inviting ──(after it ended)──▶ finished
       └──────────────┴──(with a reason)──▶ cancelled

Accepted attendees never exceed the capacity: a reply is checked under a row lock on the event,
so two replies for the last seat cannot both win.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.care.models import ClientEvent, EventStatus, Invitation, RsvpStatus
from zhangfang.care.selectors.events import WRITE_ROLES
from zhangfang.care.selectors.targeting import Target, clients_matching
from zhangfang.care.wiring.events import MAX_ATTENDEES
from zhangfang.clients.models import Client, ClientStatus, Contact
from zhangfang.clients.selectors import client_visible_q
from zhangfang.core import audit, policy
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.links import absolute_url, link_pk, link_token
from zhangfang.core.roles import has_role, is_admin
from zhangfang.notifications import channels
from zhangfang.notifications.services import notify

logger = logging.getLogger(__name__)

TOKEN_SALT = "care.rsvp"


EVENT_FIELDS = [
    "title",
    "kind",
    "starts_at",
    "ends_at",
    "place",
    "capacity",
    "agenda",
    "speaker",
    "organizer",
]
STATUS_FIELDS = ["status", "summary", "cancel_reason"]
INVITE_FIELDS = ["event", "client", "contact"]
RSVP_FIELDS = ["rsvp", "attendees", "attendee_names"]
FEEDBACK_FIELDS = ["feedback_rating", "feedback"]

#: The states of a client's link, each a page of its own.
LINK_OPEN = "open"  # the RSVP form
LINK_CLOSED = "closed"  # the event started: 报名已截止
LINK_CANCELLED = "cancelled"  # 活动已取消
LINK_FEEDBACK = "feedback"  # after an event the client attended: the feedback form
LINK_FEEDBACK_GIVEN = "feedback_given"  # the feedback was given already

OPEN_STATUSES = (EventStatus.PLANNED, EventStatus.INVITING)

STALE_EVENT = gettext_lazy(
    "保存失败：在您编辑期间，其他人已修改了此活动。您填写的内容仍在下方，请核对后重新保存。"
)


class RsvpLinkInvalid(DomainError):
    """The link was altered or names no invitation."""


class RsvpClosed(TransitionNotAllowed):
    """The link can no longer take this answer; ``state`` says why (one of the ``LINK_*``)."""

    def __init__(self, message: str, *, state: str) -> None:
        super().__init__(message)
        self.state = state


class EventFull(DomainError):
    """Accepting would take more seats than are left."""


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def can_write(user) -> bool:
    """Plan events and invite one's own clients."""
    return has_role(user, *WRITE_ROLES)


def _organizer_department_id(event: ClientEvent) -> int | None:
    organizer = event.organizer if event.organizer_id else None
    return organizer.department_id if organizer is not None else None


def can_manage(user, event: ClientEvent) -> bool:
    """Edit, invite any client, take attendance, finish or cancel: the organiser, a colleague of
    the organiser's department holding a writing role (the team runs an event together: one
    plans it, another stands at the door), or an administrator."""
    if not can_write(user):
        return False
    if is_admin(user) or (event.organizer_id is not None and user.pk == event.organizer_id):
        return True
    department = _organizer_department_id(event)
    return department is not None and user.department_id == department


def invitable_clients(user, event: ClientEvent) -> QuerySet[Client]:
    """Clients in service ``user`` may invite to ``event``: any client for the event's team
    (an event is the firm's, not one accountant's), else the clients in the user's own scope."""
    clients = Client.objects.filter(status=ClientStatus.ACTIVE)
    if can_manage(user, event):
        return clients
    if not can_write(user):
        return clients.none()
    return clients.filter(client_visible_q(user))


def can_record_feedback(user, invitation: Invitation) -> bool:
    """Staff who may write down feedback a client gave by phone: the event's team, the writer
    who sent the invitation, or a writer who serves the client."""
    if can_manage(user, invitation.event):
        return True
    if not can_write(user):
        return False
    return (
        invitation.invited_by_id == user.pk
        or Client.objects.filter(client_visible_q(user), pk=invitation.client_id).exists()
    )


def seats_left(invitation: Invitation) -> int:
    """Seats this invitee could still take (their own accepted seats count as theirs)."""
    event = invitation.event
    return max(0, event.capacity - _accepted_seats(event, excluding=invitation.pk))


def max_attendees() -> int:
    return int(policy.get(MAX_ATTENDEES))


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------


def rsvp_token(invitation: Invitation) -> str:
    return link_token(TOKEN_SALT, invitation.pk)


def rsvp_path(invitation: Invitation) -> str:
    return reverse("care:rsvp_public", args=[rsvp_token(invitation)])


def rsvp_url(invitation: Invitation, base_url: str = "") -> str:
    """The link a client opens from outside (``base_url`` from the request, else ``SITE_URL``)."""
    return absolute_url(rsvp_path(invitation), base_url)


def link_state(invitation: Invitation, *, now: dt.datetime | None = None) -> str:
    """What the client's link shows now (one of the ``LINK_*`` states)."""
    event = invitation.event
    if event.status == EventStatus.CANCELLED:
        return LINK_CANCELLED
    if event.status == EventStatus.FINISHED:
        if invitation.attended:
            return LINK_FEEDBACK_GIVEN if invitation.feedback_at else LINK_FEEDBACK
        return LINK_CLOSED
    if (now or timezone.now()) >= event.starts_at:
        return LINK_CLOSED
    return LINK_OPEN


def invitation_from_token(token: str) -> Invitation:
    """The invitation a client's link names, with its event and client; :class:`RsvpLinkInvalid`
    for an altered link. A closed link is returned too: the page says why (:func:`link_state`)."""
    pk = link_pk(TOKEN_SALT, token)
    invitation = (
        Invitation.objects.select_related("event", "client", "contact", "client__customer_service")
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if invitation is None:
        raise RsvpLinkInvalid(_("链接无效。"))
    return invitation


# ---------------------------------------------------------------------------------------------
# Creating and editing
# ---------------------------------------------------------------------------------------------


def _check(data: dict[str, Any], *, previous_start: dt.datetime | None = None) -> dict[str, Any]:
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    # A new start must lie ahead (clients are invited to it); an unchanged one may have passed.
    if starts_at and starts_at != previous_start and starts_at <= timezone.now():
        raise DomainError(_("开始时间须晚于现在。"), field="starts_at")
    if starts_at and ends_at and ends_at <= starts_at:
        raise DomainError(_("结束时间须晚于开始时间。"), field="ends_at")
    capacity = data.get("capacity")
    if capacity is None or capacity < 1:
        raise DomainError(_("名额至少为 1。"), field="capacity")
    if not (data.get("title") or "").strip():
        raise DomainError(_("请填写活动名称。"), field="title")
    return data


@transaction.atomic
def event_create(*, data: dict[str, Any], by) -> ClientEvent:
    """Plan an event; ``data`` holds the fields of ``EVENT_FIELDS`` (the organiser defaults to
    ``by``). The event starts as 筹备中 until its first invitations go out."""
    if not can_write(by):
        raise DomainError(_("只有客服、业务人员、部门负责人和管理员可以组织客户活动。"))
    data = _check({**data})
    data["organizer"] = data.get("organizer") or by
    event = ClientEvent.objects.create(**{key: data[key] for key in EVENT_FIELDS if key in data})
    audit.record(
        action="create",
        by=by,
        obj=event,
        changes=audit.created(audit.snapshot(event, [*EVENT_FIELDS, "status"])),
    )
    return event


def _lock(event: ClientEvent) -> ClientEvent:
    return (
        ClientEvent.objects.select_for_update(of=("self",))
        .select_related("organizer")
        .get(pk=event.pk)
    )


def _accepted_seats(event: ClientEvent, *, excluding: int | None = None) -> int:
    accepted = Invitation.objects.filter(event=event, rsvp=RsvpStatus.ACCEPTED)
    if excluding is not None:
        accepted = accepted.exclude(pk=excluding)
    return accepted.aggregate(seats=Sum("attendees"))["seats"] or 0


@transaction.atomic
def event_update(
    *, event: ClientEvent, data: dict[str, Any], expected_version: int | None, by
) -> ClientEvent:
    """Change an event that is still being planned or invited to, refusing a save based on an
    older version; the capacity cannot drop below the seats already accepted."""
    # Checked on the stored row: a page's form may already have put its input on ``event``.
    stored = ClientEvent.objects.select_related("organizer").get(pk=event.pk)
    if not can_manage(by, stored):
        raise DomainError(_("只有活动组织人、其部门同事和管理员可以修改此活动。"))
    current = lock_version(
        ClientEvent,
        pk=event.pk,
        version=event.version if expected_version is None else expected_version,
        message=str(STALE_EVENT),
    )
    if current.status not in OPEN_STATUSES:
        raise TransitionNotAllowed(_("已举办或已取消的活动不能再修改。"))
    data = _check({**data}, previous_start=current.starts_at)
    taken = _accepted_seats(current)
    if data["capacity"] < taken:
        raise DomainError(
            _("名额不能少于已报名的 %(taken)s 人。") % {"taken": taken}, field="capacity"
        )
    data["organizer"] = data.get("organizer") or current.organizer
    before = audit.snapshot(current, EVENT_FIELDS)
    apply_edit(current, {key: data[key] for key in EVENT_FIELDS if key in data})
    current.save()
    changes = audit.diff(before, audit.snapshot(current, EVENT_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


def _move(event: ClientEvent, status: str, *, by, detail: str, **texts: str):
    """Move ``event`` to ``status``, setting the ``texts`` (its summary or cancel reason)."""
    before = audit.snapshot(event, STATUS_FIELDS)
    event.status = status
    for name, value in texts.items():
        setattr(event, name, value)
    event.version += 1
    event.save(update_fields=["status", *texts, "version", "updated_at"])
    audit.record(
        action="status",
        by=by,
        obj=event,
        changes=audit.diff(before, audit.snapshot(event, STATUS_FIELDS)),
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------
# Inviting
# ---------------------------------------------------------------------------------------------


@dataclass
class InviteResult:
    """The invitations a call created, and how many of the chosen clients had one already."""

    created: list[Invitation] = field(default_factory=list)
    already: int = 0


@dataclass(frozen=True)
class _Outgoing:
    invitation_pk: int
    message: channels.Message


def _when(event: ClientEvent) -> str:
    starts = timezone.localtime(event.starts_at)
    ends = timezone.localtime(event.ends_at)
    end_format = "%H:%M" if starts.date() == ends.date() else "%Y-%m-%d %H:%M"
    return f"{starts:%Y-%m-%d %H:%M} – {ends.strftime(end_format)}"


def _invitation_message(
    event: ClientEvent, invitation: Invitation, client: Client, contact: Contact | None, link: str
) -> channels.Message:
    lines = [
        _("尊敬的%(name)s：") % {"name": contact.name if contact else client.name},
        "",
        _("%(firm)s诚邀%(client)s参加%(kind)s“%(title)s”。")
        % {
            "firm": settings.FIRM_NAME,
            "client": client.name,
            "kind": event.get_kind_display(),
            "title": event.title,
        },
        "",
        _("时间：%(when)s") % {"when": _when(event)},
        _("地点：%(place)s") % {"place": event.place},
    ]
    if event.speaker:
        lines.append(_("主讲人：%(speaker)s") % {"speaker": event.speaker})
    if event.agenda:
        lines += ["", _("议程："), event.agenda]
    lines += [
        "",
        _("名额有限，请点击下面的链接回复是否参加（活动开始前可随时修改）："),
        link,
    ]
    return channels.Message(
        subject=_("邀请函：%(title)s") % {"title": event.title},
        body="\n".join(lines),
        name=contact.name if contact else client.name,
        email=(contact.email if contact and contact.email else client.email),
        mobile=contact.mobile if contact else "",
        wechat=contact.wechat if contact else "",
    )


def _send_after_commit(
    outgoing: list[_Outgoing], *, failed_title: Callable[[int], str], by, url: str, key: str
) -> None:
    """E-mail ``outgoing`` after the commit over one SMTP connection; tell ``by`` (in the inbox)
    how many could not be e-mailed, so those links are passed on by WeChat or phone instead."""
    if not outgoing:
        return

    def send() -> None:
        not_sent = 0
        try:
            with channels.email_connection() as connection:
                for item in outgoing:
                    outcome = channels.send(channels.EMAIL, item.message, connection=connection)
                    not_sent += 0 if outcome.sent else 1
        except OSError:
            # The mail server could not be reached at all: nothing went out. The invitations
            # stand; the staff page shows every link to copy.
            logger.warning("Event e-mails not sent: mail server unreachable", exc_info=True)
            not_sent = len(outgoing)
        if not_sent and by is not None:
            notify(
                recipients=[by],
                title=failed_title(not_sent),
                body=_(
                    "这些客户没有电子邮箱或邮件发送失败，请在活动页面复制链接，通过微信或电话转告。"
                ),
                url=url,
                dedupe_key=key,
            )

    transaction.on_commit(send)


def _candidates(*, event: ClientEvent, target: Target | None, client: Client | None, by):
    allowed = invitable_clients(by, event)
    if client is not None:
        if not allowed.filter(pk=client.pk).exists():
            raise DomainError(_("您不能邀请此客户（客户不在服务中或不在您的服务范围内）。"))
        return allowed.filter(pk=client.pk)
    if target is None:
        raise DomainError(_("请选择邀请对象。"))
    return clients_matching(target).filter(pk__in=allowed.values("pk"))


@transaction.atomic
def event_invite(
    *,
    event: ClientEvent,
    by,
    target: Target | None = None,
    client: Client | None = None,
    base_url: str = "",
) -> InviteResult:
    """Invite the clients ``target`` selects (or the one ``client``), each once, to the contact
    to write to: the primary contact, else the first. The event's team may invite any client in
    service; other writers only clients they serve.

    Idempotent: the event row is locked first, so inviting again (even at the same moment) adds
    only clients not invited yet. The first invitations move a planned event to 邀请中. Each new
    invitation is e-mailed after the commit, all over one SMTP connection, with the event's facts
    and the client's RSVP link (absolute on ``base_url``).
    """
    if not can_write(by):
        raise DomainError(_("只有客服、业务人员、部门负责人和管理员可以邀请客户。"))
    current = _lock(event)
    if current.status not in OPEN_STATUSES:
        raise TransitionNotAllowed(_("已举办或已取消的活动不能再邀请客户。"))
    now = timezone.now()
    if now >= current.starts_at:
        raise TransitionNotAllowed(_("活动已开始，不能再邀请客户。"))
    chosen = _candidates(event=current, target=target, client=client, by=by)
    # A subquery, not a list of ids: a firm-wide target may be thousands of clients.
    invited = Invitation.objects.filter(event=current).values("client_id")
    clients = list(
        chosen.exclude(pk__in=invited)
        .only("id", "name", "email")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.only(
                    "id", "client_id", "name", "email", "mobile", "wechat", "is_primary"
                ).order_by("-is_primary", "name", "id"),
            )
        )
    )
    result = InviteResult(already=chosen.filter(pk__in=invited).count())
    outgoing: list[_Outgoing] = []
    for each in clients:
        contacts = list(each.contacts.all())
        contact = contacts[0] if contacts else None
        invitation = Invitation.objects.create(
            event=current, client=each, contact=contact, invited_by=by
        )
        audit.record(
            action="create",
            by=by,
            obj=invitation,
            anchor=each,
            changes=audit.created(audit.snapshot(invitation, INVITE_FIELDS)),
            detail=_("邀请参加客户活动"),
        )
        result.created.append(invitation)
        message = _invitation_message(
            current, invitation, each, contact, rsvp_url(invitation, base_url)
        )
        outgoing.append(_Outgoing(invitation.pk, message))
    if not result.created:
        return result
    audit.record(
        action="update",
        by=by,
        obj=current,
        detail=_("邀请 %(count)s 家客户") % {"count": len(result.created)},
    )
    if current.status == EventStatus.PLANNED:
        _move(current, EventStatus.INVITING, by=by, detail=_("发出首批邀请"))
    event.status, event.version = current.status, current.version
    _send_after_commit(
        outgoing,
        failed_title=lambda count: (
            _("“%(title)s”有 %(count)s 份邀请未能发送邮件")
            % {"title": current.title, "count": count}
        ),
        by=by,
        url=reverse("care:event_detail", args=[current.pk]),
        key=f"care-event-invite-{current.pk}-{result.created[0].pk}",
    )
    return result


# ---------------------------------------------------------------------------------------------
# The client's answer
# ---------------------------------------------------------------------------------------------


def _closed(state: str) -> RsvpClosed:
    messages = {
        LINK_CANCELLED: _("活动已取消。"),
        LINK_CLOSED: _("报名已截止。"),
        LINK_FEEDBACK: _("报名已截止。"),
        LINK_FEEDBACK_GIVEN: _("报名已截止。"),
    }
    return RsvpClosed(messages[state], state=state)


def _client_actor(invitation: Invitation, names: str = "") -> str:
    who = names.split("、")[0].split(",")[0].strip() if names else ""
    who = who or (invitation.contact.name if invitation.contact_id else "") or _("客户")
    return _("%(name)s（客户）") % {"name": who}


def _normalise_names(names: str) -> str:
    # People type names separated by commas, spaces or 、; they are kept as one readable list.
    parts = [p.strip() for p in names.replace("，", ",").replace("、", ",").split(",")]
    return "、".join(p for p in parts if p)


@transaction.atomic
def invitation_rsvp(
    *, invitation: Invitation, accept: bool, attendees: int = 1, names: str = ""
) -> Invitation:
    """Store the client's answer given through the link: 参加 with the number of attendees (at
    least 1, at most ``care.event_max_attendees``) and their names, or 不参加. The answer may be
    changed until the event starts.

    The event row is locked before the seats are counted, so two replies for the last seats are
    decided one after the other: the second gets :class:`EventFull` ("名额已满").
    """
    event = _lock(invitation.event)
    current = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("client", "contact")
        .get(pk=invitation.pk)
    )
    current.event = event
    state = link_state(current)
    if state != LINK_OPEN:
        raise _closed(state)
    before = audit.snapshot(current, RSVP_FIELDS)
    if accept:
        if attendees is None or attendees < 1:
            raise DomainError(_("参加人数至少为 1 人。"), field="attendees")
        limit = max_attendees()
        if attendees > limit:
            raise DomainError(
                _("每家客户最多报名 %(limit)s 人。") % {"limit": limit}, field="attendees"
            )
        names = _normalise_names(names or "")
        if not names:
            raise DomainError(_("请填写参加人姓名。"), field="attendee_names")
        left = event.capacity - _accepted_seats(event, excluding=current.pk)
        if attendees > left:
            if left > 0:
                message = _("名额已满：目前仅剩 %(left)s 个名额，请减少参加人数。") % {"left": left}
            else:
                message = _("名额已满，感谢您的关注。")
            raise EventFull(message, field="attendees")
        current.rsvp = RsvpStatus.ACCEPTED
        current.attendees = attendees
        current.attendee_names = names[:200]
    else:
        current.rsvp = RsvpStatus.DECLINED
        current.attendee_names = ""
    current.rsvp_at = timezone.now()
    current.version += 1
    current.save(update_fields=[*RSVP_FIELDS, "rsvp_at", "version"])
    audit.record(
        action="update",
        obj=current,
        anchor=current.client,
        actor_name=_client_actor(current, current.attendee_names),
        changes=audit.diff(before, audit.snapshot(current, RSVP_FIELDS)),
        detail=_("客户通过链接回复活动邀请"),
    )
    return current


# ---------------------------------------------------------------------------------------------
# Attendance, finishing, cancelling
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def attendance_record(*, event: ClientEvent, attended_ids: Iterable[int], by) -> int:
    """Tick who came: of the accepted invitations, those in ``attended_ids`` attended and the
    others did not. Once the event has started (and still after it is finished, to correct a
    tick). Returns how many invitations changed."""
    current = _lock(event)
    if not can_manage(by, current):
        raise DomainError(_("只有活动组织人、其部门同事和管理员可以记录出席。"))
    if current.status not in (EventStatus.INVITING, EventStatus.FINISHED):
        raise TransitionNotAllowed(_("只有已发出邀请的活动可以记录出席。"))
    if timezone.now() < current.starts_at:
        raise TransitionNotAllowed(_("活动开始后才能记录出席。"))
    ticked = set(attended_ids)
    changed = 0
    accepted = (
        Invitation.objects.select_for_update(of=("self",))
        .filter(event=current, rsvp=RsvpStatus.ACCEPTED)
        .select_related("client")
        .order_by("pk")
    )
    for invitation in accepted:
        attended = invitation.pk in ticked
        if invitation.attended is attended:
            continue
        before = audit.snapshot(invitation, ["attended"])
        invitation.attended = attended
        invitation.version += 1
        invitation.save(update_fields=["attended", "version"])
        audit.record(
            action="update",
            by=by,
            obj=invitation,
            anchor=invitation.client,
            changes=audit.diff(before, audit.snapshot(invitation, ["attended"])),
            detail=_("记录活动出席"),
        )
        changed += 1
    if changed:
        audit.record(
            action="update",
            by=by,
            obj=current,
            detail=_("记录出席：%(count)s 家客户有变动") % {"count": changed},
        )
    return changed


@transaction.atomic
def event_finish(*, event: ClientEvent, summary: str, by) -> ClientEvent:
    """Close an event that has ended (邀请中 → 已举办) with its summary; the attendees' links
    then ask for feedback."""
    current = _lock(event)
    if not can_manage(by, current):
        raise DomainError(_("只有活动组织人、其部门同事和管理员可以结束活动。"))
    if current.status != EventStatus.INVITING:
        raise TransitionNotAllowed(_("只有邀请中的活动可以标记为已举办。"))
    if timezone.now() < current.ends_at:
        raise TransitionNotAllowed(_("活动结束后才能标记为已举办。"))
    summary = (summary or "").strip()
    if not summary:
        raise DomainError(_("请填写活动总结。"), field="summary")
    _move(current, EventStatus.FINISHED, by=by, detail=_("活动已举办"), summary=summary)
    return current


def _cancel_message(event: ClientEvent, invitation: Invitation, reason: str) -> channels.Message:
    contact, client = invitation.contact, invitation.client
    body = "\n".join(
        [
            _("尊敬的%(name)s：") % {"name": contact.name if contact else client.name},
            "",
            _("很抱歉地通知您，原定于 %(when)s 在%(place)s举办的“%(title)s”已取消。")
            % {"when": _when(event), "place": event.place, "title": event.title},
            _("取消原因：%(reason)s") % {"reason": reason},
            "",
            _("给您带来不便，敬请谅解。如有疑问，请联系%(firm)s。") % {"firm": settings.FIRM_NAME},
        ]
    )
    return channels.Message(
        subject=_("活动取消通知：%(title)s") % {"title": event.title},
        body=body,
        name=contact.name if contact else client.name,
        email=(contact.email if contact and contact.email else client.email),
    )


@transaction.atomic
def event_cancel(*, event: ClientEvent, reason: str, by) -> ClientEvent:
    """Cancel a planned or inviting event with a reason; every
    invitee who accepted is e-mailed after the commit, and their links say 活动已取消."""
    current = _lock(event)
    if not can_manage(by, current):
        raise DomainError(_("只有活动组织人、其部门同事和管理员可以取消活动。"))
    if current.status not in OPEN_STATUSES:
        raise TransitionNotAllowed(_("已举办或已取消的活动不能取消。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写取消原因。"), field="reason")
    _move(current, EventStatus.CANCELLED, by=by, detail=_("活动已取消"), cancel_reason=reason)
    accepted = (
        Invitation.objects.filter(event=current, rsvp=RsvpStatus.ACCEPTED)
        .select_related("client", "contact")
        .order_by("pk")
    )
    outgoing = [_Outgoing(i.pk, _cancel_message(current, i, reason)) for i in accepted]
    _send_after_commit(
        outgoing,
        failed_title=lambda count: (
            _("“%(title)s”的取消通知有 %(count)s 份未能发送邮件")
            % {"title": current.title, "count": count}
        ),
        by=by,
        url=reverse("care:event_detail", args=[current.pk]),
        key=f"care-event-cancel-{current.pk}",
    )
    return current


# ---------------------------------------------------------------------------------------------
# Feedback
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def feedback_submit(
    *, invitation: Invitation, rating: int, comment: str = "", by=None
) -> Invitation:
    """Store an attendee's feedback on a finished event: a rating of 1–5 and a comment, once.

    ``by`` None is the client through the link; a member of staff records feedback given by
    phone. The row is locked and checked again, so a double submit stores one answer
    (:class:`RsvpClosed` with ``LINK_FEEDBACK_GIVEN`` for the other).
    """
    current = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("event", "event__organizer", "client", "contact")
        .get(pk=invitation.pk)
    )
    if by is not None and not can_record_feedback(by, current):
        raise DomainError(_("您不能为此客户记录活动反馈。"))
    state = link_state(current)
    if state == LINK_FEEDBACK_GIVEN:
        raise RsvpClosed(_("已收到此客户的活动反馈，不能重复提交。"), state=state)
    if state != LINK_FEEDBACK:
        if current.event.status == EventStatus.CANCELLED:
            raise _closed(LINK_CANCELLED)
        raise TransitionNotAllowed(_("活动举办并记录出席后，出席的客户才能反馈。"))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise DomainError(_("请为活动打分（1–5 分）。"), field="rating")
    current.feedback_rating = rating
    current.feedback = (comment or "").strip()[:4000]
    current.feedback_at = timezone.now()
    current.version += 1
    current.save(update_fields=[*FEEDBACK_FIELDS, "feedback_at", "version"])
    audit.record(
        action="update",
        by=by,
        obj=current,
        anchor=current.client,
        actor_name="" if by is not None else _client_actor(current),
        changes=audit.created(audit.snapshot(current, FEEDBACK_FIELDS)),
        detail=_("记录客户电话反馈") if by is not None else _("客户通过链接提交活动反馈"),
    )
    invitation.feedback_rating = current.feedback_rating
    invitation.feedback = current.feedback
    invitation.feedback_at = current.feedback_at
    return current
