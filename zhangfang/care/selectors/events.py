"""Reads of client events and their invitations.

An event is the firm's: every member of staff reads its facts and counts. Its invitations name
clients, so a user sees those of the clients in their scope, those they sent, or all of them
when they run the event (:func:`~zhangfang.care.services.events.can_manage`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum

from zhangfang.care.models import ClientEvent, EventStatus, Invitation, RsvpStatus
from zhangfang.clients.models import Client
from zhangfang.clients.selectors import client_visible_q
from zhangfang.core.roles import Role, has_role, is_admin
from zhangfang.core.scope import NOTHING
from zhangfang.core.search import normalize_query
from zhangfang.core.validators import normalize_code

#: Who plans events and invites clients (policy 四（二）3 is the service team's and sales' work).
WRITE_ROLES = (Role.CUSTOMER_SERVICE, Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN)

#: Sort keys of the event list.
EVENT_SORTS = {
    "starts": ("starts_at", "id"),
    "title": ("title", "id"),
    "capacity": ("capacity", "id"),
}

#: Sort keys of an event's invitations.
INVITATION_SORTS = {
    "client": ("client__search_pinyin", "id"),
    "rsvp_at": ("rsvp_at", "id"),
    "invited": ("invited_at", "id"),
}

#: The list's "when" filter.
UPCOMING = "upcoming"
PAST = "past"
ALL = "all"

#: The invitations' "attended" filter.
ATTENDED = "yes"
ABSENT = "no"
UNRECORDED = "unknown"


@dataclass(frozen=True)
class EventFilters:
    when: str = UPCOMING
    kind: str = ""
    status: str = ""


def event_list(*, filters: EventFilters, now: dt.datetime, ordering) -> QuerySet[ClientEvent]:
    """Events for the list page, with the organiser's name joined in.

    "Upcoming" are those not over yet (still worth inviting to or attending), "past" those that
    have ended, whatever their status.
    """
    queryset = ClientEvent.objects.select_related("organizer").only(
        "id",
        "title",
        "kind",
        "starts_at",
        "ends_at",
        "place",
        "capacity",
        "status",
        "organizer__id",
        "organizer__name",
        "organizer__username",
    )
    if filters.when == UPCOMING:
        queryset = queryset.filter(ends_at__gt=now)
    elif filters.when == PAST:
        queryset = queryset.filter(ends_at__lte=now)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    return queryset.order_by(*ordering)


def accepted_seats(event_ids: list[int]) -> dict[int, int]:
    """Seats taken (attendees of accepted invitations) per event, in one grouped query."""
    if not event_ids:
        return {}
    rows = (
        Invitation.objects.filter(event_id__in=event_ids, rsvp=RsvpStatus.ACCEPTED)
        .values("event_id")
        .annotate(seats=Sum("attendees"))
        .order_by()
    )
    return {row["event_id"]: row["seats"] or 0 for row in rows}


def event_get(*, pk: int) -> ClientEvent | None:
    """One event with its organiser (every member of staff may read an event)."""
    return ClientEvent.objects.select_related("organizer").filter(pk=pk).first()


@dataclass(frozen=True)
class EventCounts:
    invited: int
    accepted: int
    declined: int
    pending: int
    attended: int
    seats: int
    feedbacks: int
    average_rating: Decimal | None


def event_counts(event: ClientEvent) -> EventCounts:
    """The whole event's figures (not limited to the reader's clients: they name no client), in
    one query: invitations by answer, seats taken, attendance and the average rating."""
    figures = Invitation.objects.filter(event=event).aggregate(
        invited=Count("id"),
        accepted=Count("id", filter=Q(rsvp=RsvpStatus.ACCEPTED)),
        declined=Count("id", filter=Q(rsvp=RsvpStatus.DECLINED)),
        pending=Count("id", filter=Q(rsvp=RsvpStatus.PENDING)),
        attended=Count("id", filter=Q(attended=True)),
        seats=Sum("attendees", filter=Q(rsvp=RsvpStatus.ACCEPTED)),
        feedbacks=Count("id", filter=Q(feedback_rating__isnull=False)),
        average=Avg("feedback_rating"),
    )
    average = figures.pop("average")
    return EventCounts(
        **{key: value or 0 for key, value in figures.items()},
        average_rating=(
            None
            if average is None
            else Decimal(str(average)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        ),
    )


def _invitations_visible_q(user, *, manage: bool) -> Q:
    if manage:
        return Q()
    scope = client_visible_q(user, prefix="client__")
    # An empty Q is "every client" (finance, administrators); OR-ing would narrow it.
    return scope if not scope else scope | Q(invited_by=user.pk)


@dataclass(frozen=True)
class InvitationFilters:
    rsvp: str = ""
    attended: str = ""
    q: str = ""


def invitation_list(
    *, user, event: ClientEvent, manage: bool, filters: InvitationFilters, ordering
) -> QuerySet[Invitation]:
    """The invitations of ``event`` that ``user`` may see, filtered, with client and contact."""
    queryset = (
        Invitation.objects.filter(_invitations_visible_q(user, manage=manage), event=event)
        .select_related("client", "contact")
        .only(
            "id",
            "event_id",
            "rsvp",
            "attendees",
            "attendee_names",
            "rsvp_at",
            "invited_at",
            "attended",
            "feedback_rating",
            "feedback_at",
            "client__id",
            "client__name",
            "contact__id",
            "contact__name",
        )
    )
    if filters.rsvp:
        queryset = queryset.filter(rsvp=filters.rsvp)
    if filters.attended == ATTENDED:
        queryset = queryset.filter(attended=True)
    elif filters.attended == ABSENT:
        queryset = queryset.filter(attended=False)
    elif filters.attended == UNRECORDED:
        queryset = queryset.filter(attended__isnull=True)
    if filters.q:
        queryset = queryset.filter(
            Q(client__name__icontains=filters.q) | Q(attendee_names__icontains=filters.q)
        )
    return queryset.order_by(*ordering)


def invitation_get(*, user, event: ClientEvent, pk: int, manage: bool) -> Invitation | None:
    """One invitation of ``event`` if ``user`` may see it (None for "missing" and "not yours")."""
    return (
        Invitation.objects.filter(_invitations_visible_q(user, manage=manage), event=event, pk=pk)
        .select_related("client", "contact", "event", "event__organizer")
        .first()
    )


def accepted_invitations(event: ClientEvent) -> list[Invitation]:
    """Everyone who accepted, for the attendance sheet (the event's team sees all of them)."""
    return list(
        Invitation.objects.filter(event=event, rsvp=RsvpStatus.ACCEPTED)
        .select_related("client", "contact")
        .only(
            "id",
            "event_id",
            "attendees",
            "attendee_names",
            "attended",
            "client__id",
            "client__name",
            "client__search_pinyin",
            "contact__id",
            "contact__name",
            "contact__mobile",
        )
        .order_by("client__search_pinyin", "id")
    )


def client_events(client: Client) -> list[Invitation]:
    """The events ``client`` was invited to, newest first, each with its RSVP, attendance and
    feedback (the client page's 关系维护 tab; the caller has checked the client is visible)."""
    return list(
        Invitation.objects.filter(client=client)
        .select_related("event", "contact")
        .order_by("-event__starts_at", "-id")
    )


def invite_client_search(*, clients: QuerySet[Client], q: str, limit: int = 10) -> list[Client]:
    """Clients among ``clients`` (those the user may invite) matching ``q`` by name, short name,
    pinyin or 统一社会信用代码, for the invite page's picker."""
    text = q.strip()
    if not text:
        return []
    condition = Q(name__icontains=text) | Q(short_name__icontains=text)
    code = normalize_code(text)
    if code:
        condition |= Q(uscc__contains=code)
    pinyin = normalize_query(text)
    if pinyin:
        condition |= Q(search_pinyin__contains=pinyin)
    return list(
        clients.filter(condition)
        .only("id", "name", "uscc", "status")
        .order_by("search_pinyin", "id")[:limit]
    )


def manageable_q(user) -> Q:
    """The events ``user`` runs: as organiser, as a writer in the organiser's department, or as
    an administrator (the rule of ``services.events.can_manage``, as a filter)."""
    if not has_role(user, *WRITE_ROLES):
        return NOTHING
    if is_admin(user):
        return Q()
    condition = Q(organizer=user.pk)
    if user.department_id is not None:
        condition |= Q(organizer__department=user.department_id)
    return condition


def event_counts_for_home(*, user, now: dt.datetime) -> dict[str, Any] | None:
    """For the event's team: events over but not closed yet (attendance and a summary to
    record), and events starting in the next 7 days. None for users who run no events."""
    if not has_role(user, *WRITE_ROLES):
        return None
    condition = manageable_q(user)
    counts = ClientEvent.objects.filter(condition).aggregate(
        to_close=Count("id", filter=Q(status=EventStatus.INVITING, ends_at__lte=now)),
        upcoming=Count(
            "id",
            filter=Q(
                status__in=(EventStatus.PLANNED, EventStatus.INVITING),
                starts_at__gt=now,
                starts_at__lte=now + dt.timedelta(days=7),
            ),
        ),
    )
    return {"to_close": counts["to_close"] or 0, "upcoming": counts["upcoming"] or 0}
