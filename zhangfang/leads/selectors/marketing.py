"""Reads of channels, loss reasons, marketing activities and partner institutions (二(二)).

Activities and partners are firm-wide: everyone in sales, the department heads and the
administrators see all of them. The prospects listed under one of them are still only those the
reader may see (the prospect data scope), while the counts and costs are the firm's totals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from zhangfang.core.roles import Role, has_role
from zhangfang.core.scope import ScopePaths, scope_q
from zhangfang.leads.models import (
    Channel,
    LossReason,
    MarketingActivity,
    Partner,
    PartnerReferralOut,
    Prospect,
    Stage,
)

#: Who works with activities and partners; accountants and others get 403.
MARKETING_ROLES = (Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN)

#: The prospect scope as the shared brief defines it; used only until the prospects part's
#: selectors module exists (it owns the definition).
_FALLBACK_PROSPECT_SCOPE = ScopePaths(department="department", owner="owner", assignees=())

ACTIVITY_SORTS = {
    "starts_on": ("starts_on", "id"),
    "name": ("name", "id"),
    "cost": ("cost", "id"),
    "prospects": ("prospect_count", "id"),
    "signed": ("signed_count", "id"),
}
PARTNER_SORTS = {
    "name": ("name", "id"),
    "kind": ("kind", "name", "id"),
    "sent": ("prospects_sent", "id"),
    "received": ("clients_received", "id"),
}

CENT = Decimal("0.01")


def can_use_marketing(user) -> bool:
    return has_role(user, *MARKETING_ROLES)


def prospects_visible_to(user) -> QuerySet[Prospect]:
    """The prospects ``user`` may see, from the prospects part when it is there."""
    try:
        from zhangfang.leads.selectors.prospects import prospects_visible_to as visible
    except ImportError:
        return Prospect.objects.filter(scope_q(user, _FALLBACK_PROSPECT_SCOPE))
    return visible(user)


# ---------------------------------------------------------------------------------------------
# Channels and loss reasons
# ---------------------------------------------------------------------------------------------


def channel_list() -> QuerySet[Channel]:
    """Every channel in list order, with how many prospects came through it."""
    return Channel.objects.annotate(prospect_count=Count("prospects")).order_by(
        "sort_order", "name", "pk"
    )


def active_channels() -> QuerySet[Channel]:
    return Channel.objects.filter(is_active=True).order_by("sort_order", "name")


def loss_reason_list() -> QuerySet[LossReason]:
    return LossReason.objects.annotate(prospect_count=Count("prospect")).order_by(
        "sort_order", "name", "pk"
    )


# ---------------------------------------------------------------------------------------------
# Marketing activities
# ---------------------------------------------------------------------------------------------


def _count_of(model, field: str, **conditions) -> Coalesce:
    """A correlated ``COUNT(*)`` subquery: counting in a subquery, not through joins, keeps two
    counts of different relations from multiplying each other."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")}, **conditions)
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def activity_list(
    *,
    kind: str = "",
    channel: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    ordering: list | None = None,
) -> QuerySet[MarketingActivity]:
    """Activities with the number of prospects each brought and how many of them signed.

    ``date_from``/``date_to`` keep activities that overlap the period (an exhibition that started
    before it and ended inside it is in).
    """
    queryset = MarketingActivity.objects.select_related("channel", "owner").annotate(
        prospect_count=_count_of(Prospect, "activity"),
        signed_count=_count_of(Prospect, "activity", stage=Stage.WON),
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if channel:
        queryset = queryset.filter(channel_id=channel)
    if date_from:
        queryset = queryset.filter(ends_on__gte=date_from)
    if date_to:
        queryset = queryset.filter(starts_on__lte=date_to)
    return queryset.order_by(*(ordering or ["-starts_on", "id"]))


@dataclass(frozen=True)
class ActivityStats:
    prospects: int
    signed: int
    cost: Decimal
    cost_per_prospect: Decimal | None
    cost_per_signed: Decimal | None

    @property
    def conversion_percent(self) -> Decimal | None:
        if not self.prospects:
            return None
        return (Decimal(self.signed) * 100 / self.prospects).quantize(Decimal("0.1"), ROUND_HALF_UP)


def cost_per(cost: Decimal, count: int) -> Decimal | None:
    """Cost divided by a count, to the fen, or None when there is nothing to divide by."""
    if not count:
        return None
    return (Decimal(cost) / count).quantize(CENT, rounding=ROUND_HALF_UP)


def activity_stats(activity: MarketingActivity) -> ActivityStats:
    """Counts and costs of an activity, over all its prospects (firm-wide figures)."""
    counts = Prospect.objects.filter(activity=activity).aggregate(
        total=Count("pk"), signed=Count("pk", filter=Q(stage=Stage.WON))
    )
    return ActivityStats(
        prospects=counts["total"],
        signed=counts["signed"],
        cost=activity.cost,
        cost_per_prospect=cost_per(activity.cost, counts["total"]),
        cost_per_signed=cost_per(activity.cost, counts["signed"]),
    )


def activity_prospects(*, activity: MarketingActivity, user) -> QuerySet[Prospect]:
    """The activity's prospects that ``user`` may see, newest first."""
    return (
        prospects_visible_to(user)
        .filter(activity=activity)
        .select_related("owner", "channel")
        .order_by("-created_at", "-id")
    )


def activity_options() -> list[tuple[int, str]]:
    return list(MarketingActivity.objects.order_by("-starts_on", "name").values_list("pk", "name"))


# ---------------------------------------------------------------------------------------------
# Partner institutions
# ---------------------------------------------------------------------------------------------


def partner_list(
    *, q: str = "", kind: str = "", active: str = "", ordering: list | None = None
) -> QuerySet[Partner]:
    """Partners with both directions of 互相推荐 counted in the same query: prospects they sent
    us (``prospects_sent``) and clients we sent them (``clients_received``)."""
    queryset = Partner.objects.annotate(
        prospects_sent=_count_of(Prospect, "partner"),
        clients_received=_count_of(PartnerReferralOut, "partner"),
    )
    if q:
        queryset = queryset.filter(
            Q(name__icontains=q) | Q(contact_name__icontains=q) | Q(contact_mobile__contains=q)
        )
    if kind:
        queryset = queryset.filter(kind=kind)
    if active == "1":
        queryset = queryset.filter(is_active=True)
    elif active == "0":
        queryset = queryset.filter(is_active=False)
    return queryset.order_by(*(ordering or ["name", "id"]))


def partner_get(pk: int) -> Partner | None:
    return partner_list().filter(pk=pk).first()


def partner_prospects(*, partner: Partner, user) -> QuerySet[Prospect]:
    """Prospects this partner sent us that ``user`` may see."""
    return (
        prospects_visible_to(user)
        .filter(partner=partner)
        .select_related("owner")
        .order_by("-created_at", "-id")
    )


def partner_referrals_out(*, partner: Partner, user) -> QuerySet[PartnerReferralOut]:
    """Clients we recommended to this partner, limited to the clients ``user`` may see."""
    from zhangfang.clients.selectors import client_visible_q

    return (
        PartnerReferralOut.objects.filter(partner=partner)
        .filter(client_visible_q(user, prefix="client__"))
        .select_related("client", "recorded_by")
        .order_by("-referred_on", "-id")
    )


def partner_options() -> list[tuple[int, str]]:
    return list(Partner.objects.filter(is_active=True).values_list("pk", "name"))
