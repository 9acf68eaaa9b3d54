"""Reads of satisfaction surveys and their follow-ups, always from the user's client scope (a
follow-up is also visible to the people it was given to)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from zhangfang.clients.selectors import client_visible_q
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import FollowUp, FollowUpStatus, Survey
from zhangfang.delivery.selectors.metrics import Tally, satisfaction

#: Sort keys of the survey list.
SURVEY_SORTS = {
    "sent": ("sent_at", "id"),
    "answered": ("answered_at", "id"),
    "client": ("client__name", "id"),
    "overall": ("overall", "id"),
}

FOLLOW_UP_SORTS = {
    "due": ("due_on", "id"),
    "client": ("survey__client__name", "id"),
}

#: The list's "state" filter.
ANSWERED = "answered"
UNANSWERED = "unanswered"
LOW = "low"

#: The follow-up list's views.
MINE = "mine"
ALL = "all"


def low_score_q(threshold: int) -> Q:
    """Surveys with a rating at or below ``threshold`` in any dimension."""
    condition = Q()
    for name in Survey.DIMENSIONS:
        condition |= Q(**{f"{name}__lte": threshold})
    return condition


@dataclass(frozen=True)
class SurveyFilters:
    period: dt.date
    state: str = ""


def survey_list(*, user, filters: SurveyFilters, low_score: int, ordering) -> QuerySet[Survey]:
    """The list page's surveys of one month, with what a row shows joined in."""
    queryset = (
        Survey.objects.filter(client_visible_q(user, prefix="client__"), period=filters.period)
        .select_related("client", "contact", "follow_up")
        .only(
            "id",
            "period",
            "sent_at",
            "expires_at",
            "answered_at",
            "respondent_name",
            *Survey.DIMENSIONS,
            "client__id",
            "client__name",
            "contact__id",
            "contact__name",
            "follow_up__id",
            "follow_up__status",
            "follow_up__due_on",
        )
    )
    if filters.state == ANSWERED:
        queryset = queryset.filter(answered_at__isnull=False)
    elif filters.state == UNANSWERED:
        queryset = queryset.filter(answered_at__isnull=True)
    elif filters.state == LOW:
        queryset = queryset.filter(low_score_q(low_score))
    return queryset.order_by(*ordering)


def period_satisfaction(*, user, period: dt.date) -> Tally:
    """The month's satisfaction over every client ``user`` may see: the departments' tallies of
    :func:`metrics.satisfaction` added up (each answer belongs to exactly one department)."""
    total = Tally(None, "")
    for department in satisfaction(user=user, period=period)["departments"]:
        total.total += department.total
        total.good += department.good
    return total


def meets_target(rate: Decimal | None, target: Decimal) -> bool | None:
    """Whether ``rate`` reaches the target; None when nothing was answered."""
    if rate is None:
        return None
    return rate >= Decimal(str(target))


def _or_mine(scope: Q, mine: Q) -> Q:
    # An empty Q is "everything" (finance, administrators); OR-ing it would narrow it to ``mine``.
    return scope | mine if scope else scope


def survey_get(*, user, pk: int) -> Survey | None:
    """The survey if ``user`` may see its client or its follow-up is theirs, else None."""
    return (
        Survey.objects.filter(
            _or_mine(
                client_visible_q(user, prefix="client__"),
                Q(follow_up__assignee=user.pk) | Q(follow_up__head=user.pk),
            )
        )
        .select_related(
            "client",
            "contact",
            "sent_by",
            "follow_up",
            "follow_up__assignee",
            "follow_up__head",
            "follow_up__closed_by",
        )
        .filter(pk=pk)
        .first()
    )


def survey_history(survey: Survey) -> list[AuditEvent]:
    """The survey's and its follow-up's audit events (anchored on the client), newest first."""
    condition = Q(object_type=survey._meta.label_lower, object_id=str(survey.pk))
    follow_up = getattr(survey, "follow_up", None) if _has_follow_up(survey) else None
    if follow_up is not None:
        condition |= Q(object_type=follow_up._meta.label_lower, object_id=str(follow_up.pk))
    return list(AuditEvent.objects.filter(condition).order_by("-at", "-id")[:100])


def _has_follow_up(survey: Survey) -> bool:
    try:
        survey.follow_up  # noqa: B018 - reading the reverse one-to-one is the test
    except FollowUp.DoesNotExist:
        return False
    return True


def follow_up_of(survey: Survey) -> FollowUp | None:
    return survey.follow_up if _has_follow_up(survey) else None


@dataclass(frozen=True)
class FollowUpFilters:
    view: str = MINE
    status: str = FollowUpStatus.OPEN
    overdue: bool = False


def _mine_q(user) -> Q:
    return Q(assignee=user.pk) | Q(head=user.pk)


def follow_up_list(
    *, user, filters: FollowUpFilters, today: dt.date, ordering
) -> QuerySet[FollowUp]:
    """Follow-ups given to ``user`` (as assignee or head), or all of their clients' ones."""
    if filters.view == ALL:
        queryset = FollowUp.objects.filter(
            _or_mine(client_visible_q(user, prefix="survey__client__"), _mine_q(user))
        )
    else:
        queryset = FollowUp.objects.filter(_mine_q(user))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.overdue:
        queryset = queryset.filter(status=FollowUpStatus.OPEN, due_on__lt=today)
    return queryset.select_related("survey", "survey__client", "assignee", "head").order_by(
        *ordering
    )


def follow_up_counts_for_home(*, user, today: dt.date) -> dict[str, int]:
    """My open follow-ups and how many of them are past their deadline."""
    counts = FollowUp.objects.filter(_mine_q(user), status=FollowUpStatus.OPEN).aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today))
    )
    return {"open": counts["open"] or 0, "overdue": counts["overdue"] or 0}
