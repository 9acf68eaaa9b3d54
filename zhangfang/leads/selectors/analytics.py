"""Client development analytics (policy 二(三); feeds staff assessment later): the conversion
funnel per channel and per salesperson for a period, and new clients per month.

Every figure comes from aggregate queries (``COUNT``/``SUM`` grouped in the database), so the
number of queries is the same for 5 prospects or 30,000: one for the funnel, one for the activity
costs, one for the monthly conversions and, for administrators, one for all new clients.

Scope: the prospects counted are those the user may see (``prospects_visible_to``: a salesperson
their own, a department head their department's, finance and administrators all). Activity
costs follow the same rule through the activity's owner (负责人): a salesperson's own activities,
a head's department's, all for finance and administrators; an activity without an owner counts
only in the firm-wide view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.clients.selectors import clients_visible_to
from zhangfang.core.calendar import local_midnight
from zhangfang.core.money_sql import MoneySum
from zhangfang.core.roles import Role, has_role, is_admin
from zhangfang.core.scope import ScopePaths, scope_q
from zhangfang.leads.models import (
    MarketingActivity,
    NegotiationRound,
    Stage,
    Visit,
    VisitStatus,
)
from zhangfang.leads.selectors.prospects import prospects_visible_to

#: The roles that see the analytics page (each with its own data scope).
ANALYTICS_ROLES = (Role.SALES, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN)

#: Who sees a marketing activity's cost: its owner, the owner's department head, firm-wide roles.
ACTIVITY_SCOPE = ScopePaths(department="owner__department", owner="owner", assignees=())

ZERO = Decimal("0.00")
ONE_DECIMAL = Decimal("0.1")
CENT = Decimal("0.01")

PERIOD_CHOICES = [
    ("this_month", gettext_lazy("本月")),
    ("last_month", gettext_lazy("上月")),
    ("this_quarter", gettext_lazy("本季度")),
    ("this_year", gettext_lazy("本年")),
    ("custom", gettext_lazy("自定义")),
]


def can_view_analytics(user) -> bool:
    return has_role(user, *ANALYTICS_ROLES)


# -- the period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A period of whole days in the firm's time zone (Asia/Shanghai), ``end`` included."""

    key: str
    start: dt.date
    end: dt.date

    @property
    def start_at(self) -> dt.datetime:
        """Midnight at the start of ``start`` in the firm's time zone."""
        return local_midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """Midnight after ``end``: the period is ``start_at <= t < end_at``."""
        return local_midnight(self.end + dt.timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} ~ {self.end:%Y-%m-%d}"


def _month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(first: dt.date) -> dt.date:
    return _month_start(first, -1) - dt.timedelta(days=1)


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


def period_from_params(params: Mapping[str, str], *, today: dt.date) -> tuple[Period, str]:
    """The period the page's URL asks for, and an error message if the request was invalid
    (then this month is used). ``today`` is the firm's local date."""
    key = params.get("period") or "this_month"
    if key == "last_month":
        start = _month_start(today, 1)
        return Period(key, start, _month_end(start)), ""
    if key == "this_quarter":
        start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        return Period(key, start, _month_end(_month_start(start, -2))), ""
    if key == "this_year":
        return Period(key, dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)), ""
    this_month = Period("this_month", _month_start(today), _month_end(_month_start(today)))
    if key == "custom":
        start, end = _parse_date(params.get("from")), _parse_date(params.get("to"))
        if start is None or end is None:
            return this_month, _("自定义期间：请填写有效的开始日期和结束日期。")
        if start > end:
            return this_month, _("自定义期间：开始日期不能晚于结束日期。")
        return Period(key, start, end), ""
    return this_month, ""


# -- figures -----------------------------------------------------------------------------------


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal (half up); None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def growth(current: int, previous: int) -> Decimal | None:
    """Month-on-month growth in percent with one decimal; None when the month before had none."""
    if not previous:
        return None
    return (Decimal(current - previous) * 100 / Decimal(previous)).quantize(
        ONE_DECIMAL, rounding=ROUND_HALF_UP
    )


@dataclass
class FunnelRow:
    """The funnel of one channel or salesperson (or the total) for a period."""

    key: int | None
    name: str
    prospects: int = 0
    visited: int = 0
    negotiated: int = 0
    signed: int = 0
    lost: int = 0
    cost: Decimal = ZERO
    sort_key: tuple = ()

    @property
    def conversion_rate(self) -> Decimal | None:
        """Signed of registered, in percent with one decimal; None without prospects."""
        return percent(self.signed, self.prospects)

    @property
    def cost_per_signed(self) -> Decimal | None:
        """Activity cost per signed client, to the cent; None when none signed."""
        if not self.signed:
            return None
        return (self.cost / self.signed).quantize(CENT, rounding=ROUND_HALF_UP)

    def add(self, other: FunnelRow) -> None:
        self.prospects += other.prospects
        self.visited += other.visited
        self.negotiated += other.negotiated
        self.signed += other.signed
        self.lost += other.lost
        self.cost += other.cost


@dataclass
class MonthRow:
    month: dt.date
    converted: int = 0
    converted_growth: Decimal | None = None
    created: int | None = None
    created_growth: Decimal | None = None

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"


@dataclass
class FunnelReport:
    period: Period
    by_channel: list[FunnelRow]
    channel_total: FunnelRow
    by_salesperson: list[FunnelRow]
    salesperson_total: FunnelRow
    months: list[MonthRow] = field(default_factory=list)
    shows_all_clients: bool = False


#: Stages at or past 拜访 / 洽谈 (a lost prospect is counted by the records it has).
AT_OR_PAST_VISIT = [Stage.VISIT, Stage.NEGOTIATION, Stage.WON]
AT_OR_PAST_NEGOTIATION = [Stage.NEGOTIATION, Stage.WON]


def _funnel_groups(user, period: Period) -> list[dict]:
    """The cohort's figures grouped by (channel, owner), in one query.

    Cohort semantics: the prospects *registered* in the period (``created_at`` in it) and how
    far each has got by now, so a month's figures can still grow as its prospects progress:

    * 拜访 (visited): a visit recorded as done, or a negotiation round, or the stage is 拜访,
      洽谈 or 签约 now;
    * 洽谈 (negotiated): a negotiation round, or the stage is 洽谈 or 签约 now;
    * 签约 (signed): the stage is 签约 (converted; ``converted_at`` may be after the period);
    * 流失 (lost): the stage is 流失.

    So signed ⊆ negotiated ⊆ visited ⊆ registered, and a lost prospect still counts for the
    visits and rounds it had.
    """
    had_visit = Exists(Visit.objects.filter(prospect=OuterRef("pk"), status=VisitStatus.DONE))
    had_round = Exists(NegotiationRound.objects.filter(prospect=OuterRef("pk")))
    negotiated = Q(had_round) | Q(stage__in=AT_OR_PAST_NEGOTIATION)
    visited = Q(had_visit) | negotiated | Q(stage__in=AT_OR_PAST_VISIT)
    return list(
        prospects_visible_to(user)
        .filter(created_at__gte=period.start_at, created_at__lt=period.end_at)
        .order_by()
        .values("channel_id", "channel__name", "channel__sort_order", "owner_id", "owner__name")
        .annotate(
            prospects=Count("pk"),
            visited=Count("pk", filter=visited),
            negotiated=Count("pk", filter=negotiated),
            signed=Count("pk", filter=Q(stage=Stage.WON)),
            lost=Count("pk", filter=Q(stage=Stage.LOST)),
        )
    )


def _cost_groups(user, period: Period) -> list[dict]:
    """Marketing activity costs grouped by (channel, owner), in one query.

    An activity's cost belongs to the period in which it *starts* (``starts_on`` within the
    period's dates), whole, even if it runs on after the period ends: costs are not pro-rated.
    """
    return list(
        MarketingActivity.objects.filter(
            scope_q(user, ACTIVITY_SCOPE), starts_on__gte=period.start, starts_on__lte=period.end
        )
        .order_by()
        .values("channel_id", "channel__name", "channel__sort_order", "owner_id", "owner__name")
        .annotate(cost=MoneySum("cost"))
    )


def _rollup(groups: list[dict], costs: list[dict], *, by: str) -> list[FunnelRow]:
    """Sum the (channel, owner) groups into rows per channel (``by="channel"``) or per owner."""
    rows: dict[int | None, FunnelRow] = {}

    def row_for(group: dict) -> FunnelRow:
        key = group[f"{by}_id"]
        if key not in rows:
            if by == "channel":
                name = group["channel__name"] or _("（未指定渠道）")
                sort_key = (key is None, group["channel__sort_order"] or 0, name)
            else:
                name = group["owner__name"] or _("（未分配）")
                sort_key = (key is None, name)
            rows[key] = FunnelRow(key=key, name=name, sort_key=sort_key)
        return rows[key]

    for group in groups:
        row_for(group).add(
            FunnelRow(
                key=None,
                name="",
                prospects=group["prospects"],
                visited=group["visited"],
                negotiated=group["negotiated"],
                signed=group["signed"],
                lost=group["lost"],
            )
        )
    for group in costs:
        row_for(group).cost += group["cost"] or ZERO
    result = list(rows.values())
    if by == "channel":
        result.sort(key=lambda r: r.sort_key)
    else:
        # The best first: most signed, then most registered, then by name.
        result.sort(key=lambda r: (r.key is None, -r.signed, -r.prospects, r.name))
    return result


def _total(rows: list[FunnelRow]) -> FunnelRow:
    total = FunnelRow(key=None, name=_("合计"))
    for row in rows:
        total.add(row)
    return total


def _by_month(queryset, field_name: str, first: dt.date) -> dict[dt.date, int]:
    tz = timezone.get_default_timezone()
    counts: dict[dt.date, int] = {}
    rows = (
        queryset.filter(**{f"{field_name}__gte": local_midnight(first)})
        .order_by()
        .annotate(month=TruncMonth(field_name, tzinfo=tz))
        .values("month")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = (timezone.localtime(month, tz) if timezone.is_aware(month) else month).date()
        counts[month.replace(day=1)] = counts.get(month.replace(day=1), 0) + row["n"]
    return counts


def new_clients_by_month(user, *, today: dt.date, months: int = 12) -> list[MonthRow]:
    """New clients in each of the last ``months`` months (the current one last), in the firm's
    time zone, with the growth on the month before.

    ``converted``: the user's visible prospects converted into clients in that month (by
    ``converted_at``; an event count, unlike the funnel's cohort). ``created``: for
    administrators only, every client registered that month (``Client.created_at``), whatever
    its origin; None for others. The growth of the first month shown uses the month before it,
    which is read but not shown.
    """
    first = _month_start(today, months)  # one more month, for the first growth figure
    converted = _by_month(
        prospects_visible_to(user).filter(converted_at__isnull=False), "converted_at", first
    )
    created = _by_month(clients_visible_to(user), "created_at", first) if is_admin(user) else None
    result: list[MonthRow] = []
    previous: MonthRow | None = None
    for back in range(months, -1, -1):
        month = _month_start(today, back)
        row = MonthRow(month=month, converted=converted.get(month, 0))
        if created is not None:
            row.created = created.get(month, 0)
        if previous is not None:
            row.converted_growth = growth(row.converted, previous.converted)
            if created is not None:
                row.created_growth = growth(row.created, previous.created)
            result.append(row)
        previous = row
    return result


def funnel_report(
    user, period: Period, *, today: dt.date, with_months: bool = True
) -> FunnelReport:
    """The whole analytics page for ``user`` and ``period``: funnels per channel and per
    salesperson with their totals, and (``with_months``) new clients per month. See
    :func:`_funnel_groups` for what each column counts and :func:`_cost_groups` for costs."""
    groups = _funnel_groups(user, period)
    costs = _cost_groups(user, period)
    by_channel = _rollup(groups, costs, by="channel")
    by_salesperson = _rollup(groups, costs, by="owner")
    return FunnelReport(
        period=period,
        by_channel=by_channel,
        channel_total=_total(by_channel),
        by_salesperson=by_salesperson,
        salesperson_total=_total(by_salesperson),
        months=new_clients_by_month(user, today=today) if with_months else [],
        shows_all_clients=is_admin(user),
    )
