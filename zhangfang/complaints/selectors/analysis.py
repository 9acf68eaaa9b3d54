"""The periodic complaint analysis (policy 四（三）5: 定期对客户投诉案例进行分析总结，查找问题根源，
采取有效措施加以改进): headline figures, breakdowns by category, severity, department, person and
month, root causes, repeat complaints and the corrective actions taken, for a period.

What each figure counts (the page states the same in Chinese):

* the **received** side (受理) counts the complaints received in the period (``received_at`` in
  it): categories, severities, people, repeat clients, still open, reopened and timeliness
  (handled on time ÷ handled, of those received in the period and handled by now);
* the **closed** side (关闭) counts the complaints closed in the period (status 客户确认关闭 and
  ``closed_at`` in it, whenever they were received): time to resolve (received → closed, in
  working days by ``core.calendar`` and in calendar days), root causes and corrective actions.

So every department row is the headline restricted to that department, and the rows add up to
the headline.

Scope: administrators see the whole firm (and may pick one department); a department head sees
the complaints whose responsible department (责任部门) is theirs, always. Nobody else reads it.

Every breakdown is one grouped query (``COUNT`` in the database); only the complaints closed in
the period are loaded as narrow rows, because working days need the calendar in Python. The number
of queries is the same for 5 complaints or 50,000.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    RootCause,
    Severity,
)
from zhangfang.core.calendar import local_midnight, working_days_between
from zhangfang.core.roles import Role, has_role, is_admin
from zhangfang.staff.models import Department, User

#: The roles that open the analysis (a head for their department, an administrator for all).
ANALYSIS_ROLES = (Role.DEPARTMENT_HEAD, Role.ADMIN)

#: A complaint counts as "again" when the same client had one closed at most this many calendar
#: days before it was received.
REPEAT_WINDOW_DAYS = 90

#: Rows of the long lists shown on the page; the Excel export has them all.
PAGE_CAP = 50

#: The longest custom period accepted: five years, the history the firm keeps at hand.
MAX_CUSTOM_DAYS = 5 * 366

ONE_DECIMAL = Decimal("0.1")

PERIOD_KINDS = [
    ("month", gettext_lazy("月度")),
    ("quarter", gettext_lazy("季度")),
    ("half", gettext_lazy("半年度")),
    ("year", gettext_lazy("年度")),
    ("custom", gettext_lazy("自定义")),
]


# -- the period --------------------------------------------------------------------------------


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    """The first day of the month ``months_back`` months before the month of ``day``."""
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of the month of ``day``."""
    return month_start(day, -1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Whole days in the firm's time zone (Asia/Shanghai), ``end`` included; ``kind`` is one of
    :data:`PERIOD_KINDS` and ``anchor`` the month the URL named (for the picker)."""

    kind: str
    start: dt.date
    end: dt.date
    anchor: dt.date

    @property
    def start_at(self) -> dt.datetime:
        return local_midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """Midnight after ``end``: the period is ``start_at <= t < end_at``."""
        return local_midnight(self.end + dt.timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} ~ {self.end:%Y-%m-%d}"

    @property
    def title(self) -> str:
        """The period as people say it: 2026年11月, 2026年第4季度, 2026年下半年, 2026年."""
        year = self.start.year
        if self.kind == "month":
            return _("%(year)s年%(month)s月") % {"year": year, "month": self.start.month}
        if self.kind == "quarter":
            return _("%(year)s年第%(quarter)s季度") % {
                "year": year,
                "quarter": (self.start.month - 1) // 3 + 1,
            }
        if self.kind == "half":
            if self.start.month == 1:
                return _("%(year)s年上半年") % {"year": year}
            return _("%(year)s年下半年") % {"year": year}
        if self.kind == "year":
            return _("%(year)s年") % {"year": year}
        return self.label

    @property
    def months(self) -> list[dt.date]:
        """The first day of every month the period touches."""
        result, month = [], month_start(self.start)
        while month <= self.end:
            result.append(month)
            month = month_start(month, -1)
        return result


def _parse_month(value: str | None) -> dt.date | None:
    try:
        year, month = (value or "").strip().split("-")
        return dt.date(int(year), int(month), 1)
    except ValueError:
        return None


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def period_for(kind: str, anchor: dt.date) -> Period:
    """The month, quarter, half-year or year (``kind``) that contains the month ``anchor``."""
    first = month_start(anchor)
    if kind == "quarter":
        start = dt.date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
        return Period(kind, start, month_end(month_start(start, -2)), first)
    if kind == "half":
        start = dt.date(first.year, 1 if first.month <= 6 else 7, 1)
        return Period(kind, start, month_end(month_start(start, -5)), first)
    if kind == "year":
        return Period(kind, dt.date(first.year, 1, 1), dt.date(first.year, 12, 31), first)
    return Period("month", first, month_end(first), first)


def period_from_params(params: Mapping[str, str], *, today: dt.date) -> tuple[Period, str]:
    """The period the URL asks for (``period`` = kind, ``month`` = YYYY-MM of any month in it,
    or ``from``/``to`` for a custom range) and an error message when the request was invalid;
    then last month is shown. Without parameters: last month, whose complaints have had time to
    be handled. ``today`` is the firm's local date."""
    default = period_for("month", month_start(today, 1))
    kind = params.get("period") or "month"
    if kind not in dict(PERIOD_KINDS):
        return default, _("统计期间无效。")
    if kind == "custom":
        start, end = _parse_date(params.get("from")), _parse_date(params.get("to"))
        if start is None or end is None:
            return default, _("自定义期间：请填写有效的开始日期和结束日期。")
        if start > end:
            return default, _("自定义期间：开始日期不能晚于结束日期。")
        if (end - start).days >= MAX_CUSTOM_DAYS:
            return default, _("自定义期间：最长五年。")
        return Period(kind, start, end, month_start(end)), ""
    raw = params.get("month")
    if not raw:
        return period_for(kind, default.anchor), ""
    anchor = _parse_month(raw)
    if anchor is None:
        return default, _("月份无效，请按“年-月”选择。")
    return period_for(kind, anchor), ""


# -- scope -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose complaints the report counts: one department (``department_id``) or the whole firm
    (None). ``fixed`` when the user may not choose (a department head)."""

    department_id: int | None
    fixed: bool


def can_view_analysis(user: User) -> bool:
    return has_role(user, *ANALYSIS_ROLES)


def department_options(user: User) -> list[tuple[int, str]]:
    """The departments ``user`` may report on, as ``(id, name)``: all for administrators, their
    own for a department head."""
    departments = Department.objects.order_by("name", "id")
    if not is_admin(user):
        departments = departments.filter(pk=user.department_id)
    return list(departments.values_list("pk", "name"))


def analysis_scope(user: User, requested: int | None, options: Iterable[tuple[int, str]]) -> Scope:
    """The scope of the report for ``user``: an administrator's choice among ``options`` (an id
    not among them is ignored, like any malformed filter), a head's own department always.

    A department head without a department has nothing to report on: refused like any other
    role without the page (403).
    """
    if is_admin(user):
        known = {pk for pk, _name in options}
        return Scope(requested if requested in known else None, fixed=False)
    if has_role(user, Role.DEPARTMENT_HEAD) and user.department_id is not None:
        return Scope(user.department_id, fixed=True)
    raise PermissionDenied


def scoped_complaints(scope: Scope) -> QuerySet[Complaint]:
    """Every complaint in ``scope``, unordered (each section groups it its own way)."""
    complaints = Complaint.objects.order_by()
    if scope.department_id is not None:
        complaints = complaints.filter(department_id=scope.department_id)
    return complaints


# -- figures -----------------------------------------------------------------------------------


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal (half up); None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def one_decimal(value: float | int | None) -> Decimal | None:
    """A mean or median of whole days, with one decimal (half up); None for no value."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _mean(values: Sequence[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _median(values: Sequence[int]) -> Decimal | None:
    return one_decimal(statistics.median(values)) if values else None


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


class WorkingDayCounter:
    """``working_days_between`` for many pairs of dates, asking the calendar once per distinct
    date rather than once per pair: the count is additive (``(a, c] = (a, b] + (b, c]``), so a
    running total over the sorted distinct dates gives every pair exactly."""

    def __init__(self, days: Iterable[dt.date]) -> None:
        self._running: dict[dt.date, int] = {}
        total, previous = 0, None
        for day in sorted(set(days)):
            if previous is not None:
                total += working_days_between(previous, day)
            self._running[day] = total
            previous = day

    def between(self, a: dt.date, b: dt.date) -> int:
        return self._running[b] - self._running[a]


@dataclass
class Headline:
    received: int = 0
    closed: int = 0
    still_open: int = 0
    overdue: int = 0
    reopened: int = 0
    handled: int = 0
    on_time: int = 0
    again: int = 0
    avg_working_days: Decimal | None = None
    median_working_days: Decimal | None = None
    avg_calendar_days: Decimal | None = None
    median_calendar_days: Decimal | None = None

    @property
    def timeliness_rate(self) -> Decimal | None:
        """Handled on time ÷ handled, in percent with one decimal."""
        return percent(self.on_time, self.handled)


@dataclass
class ShareRow:
    """One category, severity or root cause: how many, and their share of the whole."""

    key: str
    label: str
    count: int
    share: Decimal | None = None


@dataclass
class DepartmentRow:
    key: int | None
    name: str
    received: int = 0
    closed: int = 0
    still_open: int = 0
    handled: int = 0
    on_time: int = 0
    avg_working_days: Decimal | None = None
    avg_calendar_days: Decimal | None = None

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(self.on_time, self.handled)


@dataclass
class PersonRow:
    """A member of staff complaints were about (``key`` None: no one in particular)."""

    key: int | None
    name: str
    count: int = 0
    categories: list[tuple[str, int]] = field(default_factory=list)

    @property
    def categories_text(self) -> str:
        return "、".join(f"{label} {n}" for label, n in self.categories)


@dataclass
class MonthRow:
    month: dt.date
    received: int = 0
    closed: int = 0

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"


@dataclass
class RepeatClient:
    """A client with two or more complaints received in the period."""

    client_id: int
    name: str
    count: int
    last_received: dt.date
    categories: list[tuple[str, int]] = field(default_factory=list)

    @property
    def categories_text(self) -> str:
        return "、".join(f"{label} {n}" for label, n in self.categories)


@dataclass
class Recomplaint:
    """A complaint received in the period within :data:`REPEAT_WINDOW_DAYS` of the client's
    previous complaint being closed."""

    number: str
    client_id: int
    client_name: str
    received: dt.date
    category: str
    previous_number: str
    previous_closed: dt.date

    @property
    def days_after(self) -> int:
        return (self.received - self.previous_closed).days


@dataclass
class ClosedCase:
    """A complaint closed in the period: its root cause and corrective action, and how long it
    took from receipt to closing."""

    number: str
    client_id: int
    client_name: str
    department: str
    category: str
    root_cause: str
    corrective_action: str
    received: dt.date
    closed: dt.date
    working_days: int
    calendar_days: int


@dataclass
class Report:
    period: Period
    scope: Scope
    department_name: str
    headline: Headline
    by_category: list[ShareRow]
    by_severity: list[ShareRow]
    by_department: list[DepartmentRow]
    by_person: list[PersonRow]
    months: list[MonthRow]
    root_causes: list[ShareRow]
    repeat_clients: list[RepeatClient]
    repeat_client_total: int
    recomplaints: list[Recomplaint]
    closed_cases: list[ClosedCase]
    cap: int | None

    @property
    def months_title(self) -> str:
        if len(self.period.months) < 12:
            return _("近 12 个月投诉趋势（截至 %(month)s）") % {"month": self.months[-1].label}
        return _("各月投诉趋势")

    @property
    def recomplaint_total(self) -> int:
        return self.headline.again

    @property
    def closed_total(self) -> int:
        return self.headline.closed


def _labels(choices: type[models.TextChoices]) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices.choices}


def _shares(counts: Mapping[str, int], labels: Mapping[str, str], blank: str) -> list[ShareRow]:
    """Rows by count, the largest first (a Pareto view: the few causes behind most complaints),
    ties in the order of the choices; an empty key (not filled in) last."""
    order = {key: i for i, key in enumerate(labels)}
    total = sum(counts.values())
    rows = [
        ShareRow(key, labels.get(key, key) if key else blank, n, percent(n, total))
        for key, n in counts.items()
        if n
    ]
    rows.sort(key=lambda r: (not r.key, -r.count, order.get(r.key, len(order)), r.key))
    return rows


# -- the sections ------------------------------------------------------------------------------


def _received_q(period: Period) -> Q:
    return Q(received_at__gte=period.start_at, received_at__lt=period.end_at)


def _closed_q(start_at: dt.datetime, end_at: dt.datetime) -> Q:
    return Q(status=ComplaintStatus.CLOSED, closed_at__gte=start_at, closed_at__lt=end_at)


def _previous_closed(scope: Scope) -> QuerySet[Complaint]:
    """For a complaint (the outer row): the same client's complaints in scope closed (and not
    reopened since) in the :data:`REPEAT_WINDOW_DAYS` days before it was received, the latest
    first."""
    received = OuterRef("received_at")
    return (
        scoped_complaints(scope)
        .filter(
            client_id=OuterRef("client_id"),
            status=ComplaintStatus.CLOSED,
            closed_at__lt=received,
            closed_at__gte=received - dt.timedelta(days=REPEAT_WINDOW_DAYS),
        )
        .exclude(pk=OuterRef("pk"))
        .order_by("-closed_at", "-id")
    )


def _department_groups(
    complaints: QuerySet[Complaint], period: Period, today: dt.date
) -> list[dict[str, Any]]:
    """The headline counts per department, in one query over both sides of the period."""
    received = _received_q(period)
    closed = _closed_q(period.start_at, period.end_at)
    return list(
        complaints.filter(received | closed)
        .values("department_id", "department__name")
        .annotate(
            received=Count("pk", filter=received),
            closed=Count("pk", filter=closed),
            still_open=Count("pk", filter=received & Q(status__in=OPEN_STATUSES)),
            # Past the deadline with no resolution yet (a reopened one was answered once).
            overdue=Count(
                "pk",
                filter=received
                & Q(status__in=OPEN_STATUSES, handled_at__isnull=True, due_on__lt=today),
            ),
            reopened=Count("pk", filter=received & Q(reopen_count__gt=0)),
            handled=Count("pk", filter=received & Q(handled_in_time__isnull=False)),
            on_time=Count("pk", filter=received & Q(handled_in_time=True)),
        )
    )


def _closed_rows(complaints: QuerySet[Complaint], period: Period) -> list[dict[str, Any]]:
    """The complaints closed in the period as narrow rows, the latest closed first."""
    return list(
        complaints.filter(_closed_q(period.start_at, period.end_at))
        .order_by("-closed_at", "-id")
        .values(
            "number",
            "client_id",
            "client__name",
            "department_id",
            "department__name",
            "category",
            "root_cause",
            "corrective_action",
            "received_at",
            "closed_at",
        )
    )


def _received_groups(
    complaints: QuerySet[Complaint], period: Period, scope: Scope
) -> list[dict[str, Any]]:
    """The complaints received in the period grouped by category, severity and person, with how
    many came within the repeat window of a closed one, in one query."""
    return list(
        complaints.filter(_received_q(period))
        .values("category", "severity", "staff_involved_id", "staff_involved__name")
        .annotate(n=Count("pk"), again=Count("pk", filter=Exists(_previous_closed(scope))))
    )


def month_window(period: Period) -> tuple[list[dt.date], dt.datetime, dt.datetime]:
    """The months of the trend chart and the moments they span: the period's own months when it
    covers a year or more (cut to its days), else the twelve whole months ending with its last
    month, so a month or a quarter is seen against the year before it."""
    months = period.months
    if len(months) >= 12:
        return months, period.start_at, period.end_at
    last = months[-1]
    months = [month_start(last, back) for back in range(11, -1, -1)]
    return months, local_midnight(months[0]), local_midnight(month_start(last, -1))


def _as_month(value: dt.date | dt.datetime | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value.replace(day=1)


def _month_rows(complaints: QuerySet[Complaint], period: Period) -> list[MonthRow]:
    """Received and closed per month of :func:`month_window`, in one query: grouped by the pair
    (month received, month closed), each group counting what falls in the window."""
    months, start_at, end_at = month_window(period)
    tz = timezone.get_default_timezone()
    received = Q(received_at__gte=start_at, received_at__lt=end_at)
    closed = _closed_q(start_at, end_at)
    groups = (
        complaints.filter(received | closed)
        .annotate(
            received_month=TruncMonth("received_at", tzinfo=tz),
            closed_month=TruncMonth("closed_at", tzinfo=tz),
        )
        .values("received_month", "closed_month")
        .annotate(received=Count("pk", filter=received), closed=Count("pk", filter=closed))
    )
    rows = {month: MonthRow(month) for month in months}
    for group in groups:
        received_row = rows.get(_as_month(group["received_month"]))
        if received_row is not None:
            received_row.received += group["received"]
        closed_row = rows.get(_as_month(group["closed_month"]))
        if closed_row is not None:
            closed_row.closed += group["closed"]
    return list(rows.values())


def _repeat_groups(complaints: QuerySet[Complaint], period: Period) -> list[dict[str, Any]]:
    """Clients with two or more complaints received in the period, per category, in one query
    (the clients are picked by a grouped subquery)."""
    received = _received_q(period)
    repeaters = (
        complaints.filter(received)
        .values("client_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=2)
        .values("client_id")
    )
    return list(
        complaints.filter(received, client_id__in=repeaters)
        .values("client_id", "client__name", "category")
        .annotate(n=Count("pk"), last=Max("received_at"))
    )


def _recomplaint_rows(
    complaints: QuerySet[Complaint], period: Period, scope: Scope, cap: int | None
) -> list[dict[str, Any]]:
    previous = _previous_closed(scope)
    rows = (
        complaints.filter(_received_q(period))
        .annotate(
            previous_number=Subquery(previous.values("number")[:1]),
            previous_closed=Subquery(previous.values("closed_at")[:1]),
        )
        .filter(previous_closed__isnull=False)
        .order_by("-received_at", "-id")
        .values(
            "number",
            "client_id",
            "client__name",
            "received_at",
            "category",
            "previous_number",
            "previous_closed",
        )
    )
    return list(rows if cap is None else rows[:cap])


def _tally(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def _headline_and_departments(
    complaints: QuerySet[Complaint], period: Period, today: dt.date
) -> tuple[Headline, dict[int | None, DepartmentRow]]:
    headline = Headline()
    departments: dict[int | None, DepartmentRow] = {}
    for group in _department_groups(complaints, period, today):
        row = DepartmentRow(group["department_id"], group["department__name"])
        for name in ("received", "closed", "still_open", "handled", "on_time"):
            setattr(row, name, group[name])
        departments[row.key] = row
        for name in ("received", "closed", "still_open", "overdue", "reopened", "handled"):
            setattr(headline, name, getattr(headline, name) + group[name])
        headline.on_time += group["on_time"]
    return headline, departments


def _closed_cases(
    complaints: QuerySet[Complaint],
    period: Period,
    headline: Headline,
    departments: dict[int | None, DepartmentRow],
) -> tuple[list[ClosedCase], dict[str, int]]:
    """The complaints closed in the period with their time to resolve; fills in the headline's
    and the departments' means and medians; returns the cases and the root-cause counts."""
    rows = _closed_rows(complaints, period)
    categories, causes = _labels(ComplaintCategory), _labels(RootCause)
    counter = WorkingDayCounter(
        day
        for row in rows
        for day in (_local_date(row["received_at"]), _local_date(row["closed_at"]))
    )
    cases: list[ClosedCase] = []
    per_department: dict[int | None, list[ClosedCase]] = {}
    root_counts: dict[str, int] = {}
    for row in rows:
        received_on, closed_on = _local_date(row["received_at"]), _local_date(row["closed_at"])
        case = ClosedCase(
            number=row["number"],
            client_id=row["client_id"],
            client_name=row["client__name"],
            department=row["department__name"],
            category=categories.get(row["category"], row["category"]),
            root_cause=causes.get(row["root_cause"], row["root_cause"]),
            corrective_action=row["corrective_action"],
            received=received_on,
            closed=closed_on,
            working_days=counter.between(received_on, closed_on),
            calendar_days=(closed_on - received_on).days,
        )
        cases.append(case)
        per_department.setdefault(row["department_id"], []).append(case)
        _tally(root_counts, row["root_cause"], 1)
    working = [case.working_days for case in cases]
    calendar_days = [case.calendar_days for case in cases]
    headline.avg_working_days, headline.median_working_days = _mean(working), _median(working)
    headline.avg_calendar_days = _mean(calendar_days)
    headline.median_calendar_days = _median(calendar_days)
    for key, dept_cases in per_department.items():
        departments[key].avg_working_days = _mean([c.working_days for c in dept_cases])
        departments[key].avg_calendar_days = _mean([c.calendar_days for c in dept_cases])
    return cases, root_counts


def _received_breakdown(
    complaints: QuerySet[Complaint], period: Period, scope: Scope, headline: Headline
) -> tuple[list[ShareRow], list[ShareRow], list[PersonRow]]:
    """By category, by severity and by person, from one grouped query; adds the "again" count
    to the headline."""
    categories, severities = _labels(ComplaintCategory), _labels(Severity)
    category_counts: dict[str, int] = {}
    severity_counts: dict[str, int] = {}
    people: dict[int | None, PersonRow] = {}
    person_categories: dict[int | None, dict[str, int]] = {}
    for group in _received_groups(complaints, period, scope):
        n, key = group["n"], group["staff_involved_id"]
        headline.again += group["again"]
        _tally(category_counts, group["category"], n)
        _tally(severity_counts, group["severity"], n)
        name = group["staff_involved__name"] or _("（未指明人员）")
        people.setdefault(key, PersonRow(key, name)).count += n
        _tally(person_categories.setdefault(key, {}), group["category"], n)
    for key, person in people.items():
        shares = _shares(person_categories[key], categories, "")
        person.categories = [(row.label, row.count) for row in shares]
    by_person = sorted(people.values(), key=lambda p: (p.key is None, -p.count, p.name))
    # Every severity is listed, in its own order (minor → critical), even at zero.
    by_severity = [
        ShareRow(key, label, severity_counts.get(key, 0)) for key, label in severities.items()
    ]
    for row in by_severity:
        row.share = percent(row.count, headline.received)
    return _shares(category_counts, categories, _("（未分类）")), by_severity, by_person


def _repeat_clients(complaints: QuerySet[Complaint], period: Period) -> list[RepeatClient]:
    """Clients with two or more complaints in the period: the most complaints first."""
    categories = _labels(ComplaintCategory)
    repeat: dict[int, RepeatClient] = {}
    repeat_categories: dict[int, dict[str, int]] = {}
    for group in _repeat_groups(complaints, period):
        key, last = group["client_id"], _local_date(group["last"])
        entry = repeat.setdefault(key, RepeatClient(key, group["client__name"], 0, last))
        entry.count += group["n"]
        entry.last_received = max(entry.last_received, last)
        _tally(repeat_categories.setdefault(key, {}), group["category"], group["n"])
    for key, entry in repeat.items():
        shares = _shares(repeat_categories[key], categories, "")
        entry.categories = [(row.label, row.count) for row in shares]
    return sorted(repeat.values(), key=lambda c: (-c.count, -c.last_received.toordinal(), c.name))


def _recomplaints(
    complaints: QuerySet[Complaint], period: Period, scope: Scope, cap: int | None
) -> list[Recomplaint]:
    categories = _labels(ComplaintCategory)
    return [
        Recomplaint(
            number=row["number"],
            client_id=row["client_id"],
            client_name=row["client__name"],
            received=_local_date(row["received_at"]),
            category=categories.get(row["category"], row["category"]),
            previous_number=row["previous_number"],
            previous_closed=_local_date(row["previous_closed"]),
        )
        for row in _recomplaint_rows(complaints, period, scope, cap)
    ]


def complaint_analysis(
    *,
    scope: Scope,
    period: Period,
    today: dt.date,
    department_name: str = "",
    cap: int | None = PAGE_CAP,
) -> Report:
    """The whole analysis of ``period`` in ``scope`` (see the module's docstring for what each
    figure counts). Lists are cut to ``cap`` rows (None: all, for the export); their totals are
    always whole. Six queries whatever the number of complaints."""
    complaints = scoped_complaints(scope)
    headline, departments = _headline_and_departments(complaints, period, today)
    cases, root_counts = _closed_cases(complaints, period, headline, departments)
    by_category, by_severity, by_person = _received_breakdown(complaints, period, scope, headline)
    repeat_clients = _repeat_clients(complaints, period)
    return Report(
        period=period,
        scope=scope,
        department_name=department_name,
        headline=headline,
        by_category=by_category,
        by_severity=by_severity,
        by_department=sorted(
            departments.values(), key=lambda d: (-d.received, -d.closed, d.name or "")
        ),
        by_person=by_person,
        months=_month_rows(complaints, period),
        root_causes=_shares(root_counts, _labels(RootCause), _("（未填写）")),
        repeat_clients=repeat_clients if cap is None else repeat_clients[:cap],
        repeat_client_total=len(repeat_clients),
        recomplaints=_recomplaints(complaints, period, scope, cap),
        closed_cases=cases if cap is None else cases[:cap],
        cap=cap,
    )
