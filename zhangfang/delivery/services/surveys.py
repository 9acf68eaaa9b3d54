"""Satisfaction surveys (policy 三（二）4 "定期收集客户反馈意见", 三（三）4 满意度目标).

Customer service sends a client a link (one client, or every client in service that has none for
the period yet); the client answers once, without a login; an answer with a low rating opens a
follow-up for the client's customer-service member and department head, due in a few working
days. Every write is audited on the client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.clients.models import Client, ClientStatus, Contact
from zhangfang.clients.selectors import client_visible_q
from zhangfang.core import audit, policy
from zhangfang.core.calendar import add_working_days
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.links import link_pk, link_token
from zhangfang.core.roles import Role, has_role, is_admin_or_head_of
from zhangfang.delivery.models import FollowUp, FollowUpStatus, Survey
from zhangfang.delivery.wiring.surveys import FOLLOW_UP_DAYS, SURVEY_LINK_DAYS, SURVEY_LOW_SCORE
from zhangfang.notifications.services import notify
from zhangfang.staff.selectors import department_heads

TOKEN_SALT = "delivery.survey"

#: Who sends surveys and reads the answers.
SEND_ROLES = (Role.CUSTOMER_SERVICE, Role.DEPARTMENT_HEAD, Role.ADMIN)

#: The states of a client's link.
LINK_OPEN = "open"
LINK_EXPIRED = "expired"
LINK_ANSWERED = "answered"

SENT_FIELDS = ["client", "contact", "period", "expires_at"]
ANSWER_FIELDS = [*Survey.DIMENSIONS, "respondent_name", "comment", "answered_at"]
FOLLOW_UP_FIELDS = ["assignee", "head", "due_on", "status", "outcome"]


class SurveyLinkInvalid(DomainError):
    """The link was altered or names no survey."""


class SurveyLinkExpired(DomainError):
    """The link is genuine but ran out before the client answered."""


class SurveyAnswered(TransitionNotAllowed):
    """The survey has an answer already; a second one is never stored."""


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def can_send(user) -> bool:
    return has_role(user, *SEND_ROLES)


def can_close(user, follow_up: FollowUp) -> bool:
    """The assignee, the head it was given to, a head of the client's department, an admin."""
    if user.pk in (follow_up.assignee_id, follow_up.head_id):
        return True
    return is_admin_or_head_of(user, follow_up.survey.client.department_id)


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------


def survey_token(survey: Survey) -> str:
    return link_token(TOKEN_SALT, survey.pk)


def survey_path(survey: Survey) -> str:
    return reverse("delivery:survey_public", args=[survey_token(survey)])


def link_state(survey: Survey, *, now: dt.datetime | None = None) -> str:
    if survey.answered_at is not None:
        return LINK_ANSWERED
    if survey.expires_at <= (now or timezone.now()):
        return LINK_EXPIRED
    return LINK_OPEN


def survey_from_token(token: str) -> Survey:
    """The survey a client's link names, with its client; :class:`SurveyLinkInvalid` if none.

    An expired or answered survey is returned: the page says which (see :func:`link_state`).
    """
    pk = link_pk(TOKEN_SALT, token)
    survey = (
        Survey.objects.select_related("client", "client__customer_service", "contact")
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if survey is None:
        raise SurveyLinkInvalid(_("链接无效。"))
    return survey


def link_days() -> int:
    return int(policy.get(SURVEY_LINK_DAYS))


def low_score() -> int:
    return int(policy.get(SURVEY_LOW_SCORE))


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


def _month(period: dt.date) -> dt.date:
    return period.replace(day=1)


def _address(client: Client, contact: Contact | None, contacts: Iterable[Contact]) -> str:
    """Where the link is e-mailed: the contact's address, else the primary contact's (the first
    of ``contacts``, which are ordered primary first), else the client's own."""
    if contact is not None and contact.email:
        return contact.email
    for other in contacts:
        if other.is_primary and other.email:
            return other.email
    return client.email


def _message(survey: Survey, address: str, base_url: str) -> tuple[str, str, None, list[str]]:
    client = survey.client
    subject = _("%(firm)s 服务满意度调查") % {"firm": settings.FIRM_NAME}
    body = _(
        "尊敬的%(client)s：\n\n感谢您选择%(firm)s。为了不断改进服务，请您花一分钟对%(month)s"
        "的服务进行评价：\n%(link)s\n\n链接在 %(expires)s 前有效。"
    ) % {
        "client": client.name,
        "firm": settings.FIRM_NAME,
        "month": survey.period.strftime("%Y-%m"),
        "link": base_url.rstrip("/") + survey_path(survey),
        "expires": timezone.localtime(survey.expires_at).strftime("%Y-%m-%d %H:%M"),
    }
    return subject, body, None, [address]


def _mail_after_commit(messages: list[tuple[str, str, None, list[str]]]) -> None:
    if messages:
        # One connection for a whole batch; a mail server that is down must not undo the sends
        # (the staff page shows every link to pass on by WeChat instead).
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))


def _create(*, client: Client, contact: Contact | None, period: dt.date, by, now) -> Survey:
    survey = Survey.objects.create(
        client=client,
        contact=contact,
        period=period,
        sent_by=by,
        sent_at=now,
        expires_at=now + dt.timedelta(days=link_days()),
    )
    audit.record(
        action="create",
        by=by,
        obj=survey,
        anchor=client,
        changes=audit.created(audit.snapshot(survey, SENT_FIELDS)),
        detail=_("发送满意度调查"),
    )
    return survey


def _ordered_contacts(client: Client) -> list[Contact]:
    return list(
        Contact.objects.filter(client=client)
        .only("id", "client_id", "name", "email", "is_primary")
        .order_by("-is_primary", "name", "id")
    )


@transaction.atomic
def survey_send(
    *,
    client: Client,
    contact: Contact | None = None,
    period: dt.date,
    by,
    base_url: str = "",
) -> Survey:
    """Send one client a satisfaction survey for ``period`` (a month); returns the survey.

    The link is valid for ``delivery.survey_link_days`` days and is e-mailed (after commit) to
    the contact, else the primary contact, else the client, when there is an address;
    ``base_url`` (``https://host``) makes it absolute. Without a contact the primary contact is
    recorded as the addressee. A second survey to the same addressee for the same month is
    refused while the first is answered or still open; an expired one may be sent again.
    """
    if not can_send(by):
        raise DomainError(_("只有客服、部门负责人和管理员可以发送满意度调查。"))
    # The row lock makes a double click send one survey, not two.
    locked = (
        Client.objects.select_for_update(of=("self",))
        .filter(client_visible_q(by), pk=client.pk)
        .first()
    )
    if locked is None:
        raise DomainError(_("您不能向此客户发送调查。"))
    if contact is not None and contact.client_id != client.pk:
        raise DomainError(_("联系人不属于此客户。"), field="contact")
    period = _month(period)
    contacts = _ordered_contacts(client)
    if contact is None:
        contact = next((c for c in contacts if c.is_primary), None)
    now = timezone.now()
    pending = Survey.objects.filter(client=client, period=period, contact=contact).filter(
        Q(answered_at__isnull=False) | Q(expires_at__gt=now)
    )
    if pending.exists():
        raise DomainError(_("此客户（联系人）本月已有满意度调查，链接仍有效或已答复。"))
    survey = _create(client=client, contact=contact, period=period, by=by, now=now)
    address = _address(client, contact, contacts)
    _mail_after_commit([_message(survey, address, base_url)] if address else [])
    return survey


@transaction.atomic
def surveys_send_batch(*, user, period: dt.date, by, base_url: str = "") -> list[Survey]:
    """Send a survey for ``period`` to every client in service that ``user`` may see and that
    has none for the period yet; returns the new surveys.

    Idempotent: the clients are locked first and the surveys read afterwards, so sending twice
    (even at the same moment) creates none the second time.
    """
    if not can_send(by):
        raise DomainError(_("只有客服、部门负责人和管理员可以发送满意度调查。"))
    period = _month(period)
    in_service = Client.objects.filter(client_visible_q(user), status=ClientStatus.ACTIVE)
    ids = list(
        in_service.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True)
    )
    done = set(
        Survey.objects.filter(period=period, client__in=in_service).values_list(
            "client_id", flat=True
        )
    )
    todo = [pk for pk in ids if pk not in done]
    if not todo:
        return []
    clients = (
        Client.objects.filter(pk__in=todo)
        .only("id", "name", "email", "department_id")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.only(
                    "id", "client_id", "name", "email", "is_primary"
                ).order_by("-is_primary", "name", "id"),
            )
        )
        .order_by("pk")
    )
    now = timezone.now()
    surveys, messages = [], []
    for client in clients:
        contacts = list(client.contacts.all())
        contact = next((c for c in contacts if c.is_primary), None)
        survey = _create(client=client, contact=contact, period=period, by=by, now=now)
        surveys.append(survey)
        address = _address(client, contact, contacts)
        if address:
            messages.append(_message(survey, address, base_url))
    _mail_after_commit(messages)
    return surveys


# ---------------------------------------------------------------------------------------------
# The client's answer
# ---------------------------------------------------------------------------------------------


def _dimension_label(name: str) -> str:
    return str(Survey._meta.get_field(name).verbose_name)


def _check_ratings(ratings: Mapping[str, object]) -> dict[str, int]:
    checked = {}
    for name in Survey.DIMENSIONS:
        value = ratings.get(name)
        try:
            number = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= 5:
            raise DomainError(
                _("请为“%(dimension)s”打分（1–5 分）。") % {"dimension": _dimension_label(name)},
                field=name,
            )
        checked[name] = number
    return checked


@transaction.atomic
def survey_answer(
    *, survey: Survey, ratings: Mapping[str, object], comment: str = "", respondent_name: str = ""
) -> Survey:
    """Store the client's answer given through the link: a rating of 1–5 for every dimension,
    an optional comment and name.

    Only once and only before the link expires: the row is locked and checked again, so a
    double submit stores one answer (:class:`SurveyAnswered` for the other). A rating at or below
    ``delivery.survey_low_score`` in any dimension opens a follow-up for the client's
    customer-service member and the department's head, due in ``delivery.follow_up_days``
    working days; both are notified after commit.
    """
    checked = _check_ratings(ratings)
    current = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("client", "client__customer_service", "client__department")
        .get(pk=survey.pk)
    )
    state = link_state(current)
    if state == LINK_ANSWERED:
        raise SurveyAnswered(_("您已提交过此调查，感谢您的反馈。"))
    if state == LINK_EXPIRED:
        raise SurveyLinkExpired(_("链接已过期，请联系您的客服专员重新发送。"))
    for name, value in checked.items():
        setattr(current, name, value)
    current.comment = (comment or "").strip()[:4000]
    current.respondent_name = (respondent_name or "").strip()[:50]
    current.answered_at = timezone.now()
    current.save(update_fields=ANSWER_FIELDS)
    who = current.respondent_name or _("客户")
    audit.record(
        action="update",
        by=None,
        obj=current,
        anchor=current.client,
        actor_name=_("%(name)s（客户）") % {"name": who},
        changes=audit.created(audit.snapshot(current, ANSWER_FIELDS)),
        detail=_("客户通过链接答复满意度调查"),
    )
    if min(checked.values()) <= low_score():
        _open_follow_up(current)
    for name in ANSWER_FIELDS:
        setattr(survey, name, getattr(current, name))
    return current


def _open_follow_up(survey: Survey) -> FollowUp:
    client = survey.client
    heads = department_heads(client.department)
    follow_up = FollowUp.objects.create(
        survey=survey,
        assignee=client.customer_service,
        head=heads[0] if heads else None,
        due_on=add_working_days(timezone.localdate(), int(policy.get(FOLLOW_UP_DAYS))),
    )
    audit.record(
        action="create",
        by=None,
        obj=follow_up,
        anchor=client,
        actor_name=_("系统"),
        changes=audit.created(audit.snapshot(follow_up, FOLLOW_UP_FIELDS)),
        detail=_("满意度低分，生成回访跟进"),
    )
    recipients = [follow_up.assignee, follow_up.head]
    title = _("满意度低分待回访：%(client)s") % {"client": client.name}
    body = _("请在 %(due)s 前回访客户并记录处理结果。") % {"due": follow_up.due_on.isoformat()}
    url = reverse("delivery:survey_detail", args=[survey.pk])
    key = f"survey-follow-up-{follow_up.pk}"
    transaction.on_commit(
        lambda: notify(recipients=recipients, title=title, body=body, url=url, dedupe_key=key)
    )
    return follow_up


# ---------------------------------------------------------------------------------------------
# Follow-ups
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def follow_up_close(*, follow_up: FollowUp, outcome: str, by) -> FollowUp:
    """Record how a low score was followed up (who called the client, what was agreed) and close
    the task; the assignee, its head, a head of the client's department or an admin."""
    current = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("survey__client", "assignee", "head")
        .get(pk=follow_up.pk)
    )
    if not can_close(by, current):
        raise DomainError(_("只有跟进人、部门负责人或管理员可以处理此跟进。"))
    if current.status != FollowUpStatus.OPEN:
        raise TransitionNotAllowed(_("此跟进已处理。"))
    outcome = (outcome or "").strip()
    if not outcome:
        raise DomainError(_("请填写处理结果。"), field="outcome")
    before = audit.snapshot(current, FOLLOW_UP_FIELDS)
    current.status = FollowUpStatus.CLOSED
    current.outcome = outcome
    current.closed_by = by
    current.closed_at = timezone.now()
    current.version = F("version") + 1
    current.save(update_fields=["status", "outcome", "closed_by", "closed_at", "version"])
    current.refresh_from_db(fields=["version"])
    audit.record(
        action="update",
        by=by,
        obj=current,
        anchor=current.survey.client,
        changes=audit.diff(before, audit.snapshot(current, FOLLOW_UP_FIELDS)),
        detail=_("满意度回访已处理"),
    )
    return current
