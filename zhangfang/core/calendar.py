"""The working-day calendar and the monthly tax filing deadlines (征期), DOMAIN.md §1 and §2.

One calendar serves every clock in Zhangfang: SLAs counted in working days (``[X]`` 个工作日),
SLAs counted in office hours (``[X]`` 小时) and the 征期 of monthly and quarterly filings.

Where an answer comes from, first source that knows wins:

1. the administrator's entries (:class:`~zhangfang.core.models.CalendarDay` for a single day,
   :class:`~zhangfang.core.models.FilingDeadline` for a month's official deadline);
2. what ships with the code: the ``chinesecalendar`` package (the State Council's holiday and
   make-up day schedules up to its release) and :data:`OFFICIAL_FILING_DEADLINES`;
3. a fallback: Monday–Friday for a year the package does not know, and the 征管法实施细则
   第一百零九条 rule (as the tax bureau applies it) for a month without an official deadline.

Performance: these functions run in loops over thousands of clients. The administrator's rows are
read once per year into a per-process table; a version token kept in Django's cache tells every
process (every gunicorn worker) when to drop that table. Code that writes ``CalendarDay`` or
``FilingDeadline`` rows must call :func:`invalidate_calendar_cache`. Each public call costs one
cache read (the version) and, the first time a year is touched, two queries.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import threading
import uuid
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal

import chinese_calendar
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from lunardate import LunarDate

from zhangfang.core import policy

__all__ = [
    "OFFICIAL_FILING_DEADLINES",
    "add_months",
    "add_office_hours",
    "add_working_days",
    "filing_deadline",
    "invalidate_calendar_cache",
    "is_statutory_holiday",
    "is_working_day",
    "local_midnight",
    "lunar_anniversaries",
    "lunar_date_label",
    "lunar_to_solar",
    "qingming",
    "solar_to_lunar",
    "working_days_between",
    "year_has_schedule",
    "years_missing_schedule",
]

#: The 国家税务总局办公厅's 申报纳税期限 tables shipped with the code: day of the month of the
#: deadline, January to December. The administrator's FilingDeadline rows take precedence.
OFFICIAL_FILING_DEADLINES: dict[int, tuple[int, ...]] = {
    2025: (15, 20, 17, 18, 22, 16, 15, 15, 15, 27, 17, 15),
}

#: Days 1..FILING_DAY of the filing month are the statutory filing period (申报期 15 日).
FILING_DAY = 15

#: A run of at least this many consecutive rest days that contains a statutory holiday extends
#: the filing period by its length (征管法实施细则 第一百零九条).
_EXTENDING_RUN = 3

_VERSION_KEY = "zhangfang:calendar-version"

#: No real calendar has this many rest days in a row; hitting it means the administrator marked
#: everything as a holiday, and looping on would never end.
_MAX_REST_RUN = 400

_ONE_DAY = dt.timedelta(days=1)

# ---------------------------------------------------------------------------------------------
# The per-process table and its invalidation
# ---------------------------------------------------------------------------------------------


class _Year:
    """Everything the calendar knows about one year: package schedule plus the admin's rows."""

    def __init__(self, year: int) -> None:
        from zhangfang.core.models import CalendarDay, FilingDeadline

        self.year = year
        try:
            chinese_calendar.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:
            self.package_knows = False
        else:
            self.package_knows = True
        self.overrides: dict[dt.date, str] = dict(
            CalendarDay.objects.filter(date__year=year).values_list("date", "kind")
        )
        self.deadlines: dict[int, dt.date] = dict(
            FilingDeadline.objects.filter(year=year).values_list("month", "deadline")
        )
        # (working day?, statutory holiday?) per date, filled on first use: building a whole
        # year up front costs ~25 ms in the package, most callers touch a few weeks.
        self._days: dict[dt.date, tuple[bool, bool]] = {}

    def day(self, day: dt.date) -> tuple[bool, bool]:
        answer = self._days.get(day)
        if answer is None:
            answer = self._compute(day)
            self._days[day] = answer
        return answer

    def _compute(self, day: dt.date) -> tuple[bool, bool]:
        from zhangfang.core.models import CalendarDayKind

        kind = self.overrides.get(day)
        if kind == CalendarDayKind.HOLIDAY:
            return False, True
        if kind == CalendarDayKind.WORKDAY:
            return True, False
        if not self.package_knows:
            # DOMAIN §1: without a published schedule only weekends are rest days.
            return day.weekday() < 5, False
        # is_workday, not the holiday list: weekend days inside a holiday run are not always
        # listed as holidays, and make-up Saturdays are working days.
        working = chinese_calendar.is_workday(day)
        # get_holiday_detail names both holidays and make-up days; only a rest day with a name
        # is a statutory holiday (a plain weekend has no name).
        resting, name = chinese_calendar.get_holiday_detail(day)
        return working, bool(resting and name is not None)


class _Calendar:
    """One consistent view of the calendar, valid for one cache version."""

    def __init__(self, version: str) -> None:
        self.version = version
        self._years: dict[int, _Year] = {}

    def year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            # Two threads may both build the same year; both results are equal, one is kept.
            table = self._years.setdefault(year, _Year(year))
        return table

    def is_working(self, day: dt.date) -> bool:
        return self.year(day.year).day(day)[0]

    def is_statutory(self, day: dt.date) -> bool:
        return self.year(day.year).day(day)[1]

    def step_to_working(self, day: dt.date, step: dt.timedelta) -> dt.date:
        """The first working day reached from ``day`` (exclusive) going ``step`` at a time."""
        for _ in range(_MAX_REST_RUN):
            day += step
            if self.is_working(day):
                return day
        raise RuntimeError(
            f"No working day within {_MAX_REST_RUN} days of {day}: check the holiday entries."
        )


_lock = threading.Lock()
_state: _Calendar | None = None


def _current_version() -> str:
    version = cache.get(_VERSION_KEY)
    if version is None:
        # The key is missing after a cache flush or eviction (or on first start): a fresh random
        # token makes every process reload, which is the safe direction. add() lets the first
        # process win when several start at once.
        cache.add(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(_VERSION_KEY) or uuid.uuid4().hex
    return version


def _calendar() -> _Calendar:
    global _state
    version = _current_version()
    current = _state
    if current is None or current.version != version:
        with _lock:
            current = _state
            if current is None or current.version != version:
                current = _Calendar(version)
                _state = current
    return current


def _bump_version() -> None:
    global _state
    cache.set(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    with _lock:
        _state = None


def invalidate_calendar_cache() -> None:
    """Make every process re-read CalendarDay and FilingDeadline rows.

    Call it after writing either. It bumps the version now (this request sees the change) and
    again when the surrounding transaction commits, so that a process that re-read the rows in
    between, still seeing the old ones, does not keep them.
    """
    _bump_version()
    transaction.on_commit(_bump_version)


# ---------------------------------------------------------------------------------------------
# Working days
# ---------------------------------------------------------------------------------------------


def _as_date(day: dt.date) -> dt.date:
    # A datetime is a date too; take its calendar day in the local time zone, not in UTC.
    if isinstance(day, dt.datetime):
        return timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return day


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in the firm's time zone (Asia/Shanghai), as an aware datetime.

    Date filters (from/to days) compare timestamps against this, so a day means a Shanghai day.
    """
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day.

    The administrator's CalendarDay entry if there is one; else the ``chinesecalendar`` package
    (Monday–Friday minus statutory holidays plus make-up days); for a year the package does not
    know, Monday–Friday.
    """
    return _calendar().is_working(_as_date(day))


def is_statutory_holiday(day: dt.date) -> bool:
    """Whether ``day`` is a statutory holiday (法定节假日 or a rest day of its holiday run).

    An ordinary weekend is not. The administrator's entry wins (HOLIDAY → True, WORKDAY →
    False); for a year the package does not know, and the administrator has not entered, False.
    """
    return _calendar().is_statutory(_as_date(day))


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself does not count).

    ``n == 0`` returns ``start`` unchanged, even if it is not a working day; a negative ``n``
    gives the ``|n|``-th working day before ``start``. For ``n >= 0``,
    ``working_days_between(start, add_working_days(start, n)) == n``.
    """
    cal = _calendar()
    day = _as_date(start)
    step = _ONE_DAY if n > 0 else -_ONE_DAY
    for _ in range(abs(n)):
        day = cal.step_to_working(day, step)
    return day


def working_days_between(a: dt.date, b: dt.date) -> int:
    """The number of working days ``d`` with ``a < d <= b``; negative when ``b < a``.

    The convention matches "due ``n`` working days after ``a``": the day ``a`` itself is not
    counted and the day ``b`` is. It is antisymmetric:
    ``working_days_between(a, b) == -working_days_between(b, a)``, so for a deadline ``b`` and
    today ``a`` the result is the working days left, negative (days overdue) once it passed.
    """
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -working_days_between(b, a)
    cal = _calendar()
    count = 0
    day = a
    while day < b:
        day += _ONE_DAY
        if cal.is_working(day):
            count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Office hours
# ---------------------------------------------------------------------------------------------


def _as_timedelta(hours: int | Decimal | float | dt.timedelta) -> dt.timedelta:
    if isinstance(hours, dt.timedelta):
        return hours
    if isinstance(hours, Decimal):
        # timedelta does not take a Decimal; go through whole microseconds to keep it exact.
        return dt.timedelta(microseconds=int((hours * 3_600_000_000).to_integral_value()))
    return dt.timedelta(hours=hours)


def _office_hours() -> tuple[dt.time, dt.time]:
    opening = policy.get("office_hours_start")
    closing = policy.get("office_hours_end")
    if opening >= closing:
        # The settings page validates each value alone, not the pair; a night shift across
        # midnight is not something the policy describes.
        raise ValueError(
            f"Office hours start ({opening:%H:%M}) must be before they end ({closing:%H:%M})."
        )
    return opening, closing


def add_office_hours(
    start: dt.datetime, hours: int | Decimal | float | dt.timedelta
) -> dt.datetime:
    """The moment when ``hours`` of office time have passed since ``start``.

    Only time within office hours (the ``office_hours_start``/``office_hours_end`` policy,
    default 09:00–18:00) of working days, in the local time zone (``settings.TIME_ZONE``),
    counts. A ``start`` outside office hours starts the clock at the next opening; a deadline that
    falls exactly at closing time stays on that day (Friday 17:00 + 1 h → Friday 18:00), and
    Friday 17:00 + 2 h → next working day 10:00. The result is in ``start``'s time zone.

    ``start`` must be aware; ``hours`` must not be negative.
    """
    if timezone.is_naive(start):
        raise ValueError("add_office_hours() needs an aware datetime.")
    remaining = _as_timedelta(hours)
    if remaining < dt.timedelta(0):
        raise ValueError("add_office_hours() counts forward only; hours must not be negative.")
    opening, closing = _office_hours()
    local = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    cal = _calendar()

    cursor = start.astimezone(local)
    day = cursor.date()
    if not cal.is_working(day) or cursor >= dt.datetime.combine(day, closing, tzinfo=local):
        day = cal.step_to_working(day, _ONE_DAY)
        cursor = dt.datetime.combine(day, opening, tzinfo=local)
    while True:
        cursor = max(cursor, dt.datetime.combine(day, opening, tzinfo=local))
        available = dt.datetime.combine(day, closing, tzinfo=local) - cursor
        if remaining <= available:
            return (cursor + remaining).astimezone(start.tzinfo)
        remaining -= available
        day = cal.step_to_working(day, _ONE_DAY)
        cursor = dt.datetime.combine(day, opening, tzinfo=local)


# ---------------------------------------------------------------------------------------------
# Filing deadlines (征期)
# ---------------------------------------------------------------------------------------------


def _check_month(year: int, month: int) -> None:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, not {month}")
    dt.date(year, month, 1)  # raises for a year out of range


def _deadline_by_rule(year: int, month: int, cal: _Calendar | None = None) -> dt.date:
    """The 征期 deadline of ``month`` computed by the rule (DOMAIN.md §2), ignoring any table.

    Within days 1–15 of the month, each run of non-working days counts with the part of it that
    falls on those days: if that part is 3 or more days long and contains a statutory holiday,
    its length adds to N. (Counting only the part inside days 1–15 is what reproduces the
    official tables: 2025-02, where 春节 runs Jan 28–Feb 4, extends by 4 days, not 8; 2024-01
    and 2025-06, where a holiday run ends on day 1 or 2, do not extend at all; 2024-09, where
    中秋 starts on the 15th, only moves the deadline past the rest days.)

    N = 0: the 15th, or the next working day if the 15th is not one. N > 0: the N-th working
    day after the 15th.
    """
    _check_month(year, month)
    cal = cal or _calendar()
    extension = 0
    run: list[dt.date] = []
    for day_of_month in range(1, FILING_DAY + 2):
        day = dt.date(year, month, day_of_month) if day_of_month <= FILING_DAY else None
        if day is not None and not cal.is_working(day):
            run.append(day)
            continue
        # A run ended (at a working day or at the end of day 15).
        if len(run) >= _EXTENDING_RUN and any(cal.is_statutory(d) for d in run):
            extension += len(run)
        run = []

    fifteenth = dt.date(year, month, FILING_DAY)
    if extension == 0:
        if cal.is_working(fifteenth):
            return fifteenth
        return cal.step_to_working(fifteenth, _ONE_DAY)
    day = fifteenth
    for _ in range(extension):
        day = cal.step_to_working(day, _ONE_DAY)
    return day


def filing_deadline(year: int, month: int) -> dt.date:
    """The last day to file monthly and quarterly returns due in ``month`` of ``year``.

    The administrator's FilingDeadline row for that month; else the shipped official table
    (:data:`OFFICIAL_FILING_DEADLINES`); else the rule of 征管法实施细则 第一百零九条 as the
    tax bureau applies it (see :func:`_deadline_by_rule`).
    """
    _check_month(year, month)
    cal = _calendar()
    entered = cal.year(year).deadlines.get(month)
    if entered is not None:
        return entered
    shipped = OFFICIAL_FILING_DEADLINES.get(year)
    if shipped is not None:
        return dt.date(year, month, shipped[month - 1])
    return _deadline_by_rule(year, month, cal)


# ---------------------------------------------------------------------------------------------
# Whether a year has a schedule (for the administrator's warning)
# ---------------------------------------------------------------------------------------------


def year_has_schedule(year: int) -> bool:
    """Whether the holiday schedule of ``year`` is known.

    True when the ``chinesecalendar`` package covers the year or the administrator entered at
    least one CalendarDay in it; otherwise the calendar falls back to weekends only and the UI
    should warn.
    """
    table = _calendar().year(year)
    return table.package_knows or bool(table.overrides)


def years_missing_schedule(years: Iterable[int]) -> list[int]:
    """The years among ``years`` without a holiday schedule, sorted, each once."""
    return [year for year in sorted(set(years)) if not year_has_schedule(year)]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier); the 31st becomes the month's last day when it
    has none (contract terms, billing schedules, return-visit intervals)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, pycalendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------------------------
# The lunar calendar (农历) and solar terms, for greetings (policy 四（二）2)
# ---------------------------------------------------------------------------------------------


def lunar_to_solar(year: int, month: int, day: int) -> dt.date:
    """The solar date of day ``day`` of the (ordinary, not leap) lunar month ``month`` of lunar
    year ``year``.

    A lunar month has 29 or 30 days; a 30th that the month lacks that year is kept on its 29th,
    as people do with a birthday on 腊月三十 in a year whose 腊月 is short.
    """
    for candidate in range(day, 28, -1) if day > 29 else (day,):
        try:
            return LunarDate(year, month, candidate).to_solar_date()
        except ValueError:
            continue
    raise ValueError(f"no lunar date {year}-{month}-{day}")


def solar_to_lunar(day: dt.date) -> tuple[int, int, int, bool]:
    """``(lunar year, month, day, is leap month)`` of a solar date."""
    lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    return lunar.year, lunar.month, lunar.day, bool(lunar.is_leap_month)


def lunar_anniversaries(month: int, day: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """Solar dates in ``start``–``end`` (inclusive) on which lunar ``month``/``day`` falls.

    The lunar year begins in late January or February, so a window may meet the date of two lunar
    years (腊月 dates fall in the next solar year); both lunar years are tried.
    """
    found = []
    for lunar_year in range(start.year - 1, end.year + 1):
        try:
            solar = lunar_to_solar(lunar_year, month, day)
        except ValueError:
            continue
        if start <= solar <= end:
            found.append(solar)
    return sorted(found)


_LUNAR_MONTHS = ("正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊")
_LUNAR_DAY_TENS = ("初", "十", "廿", "三")
_DIGITS = "一二三四五六七八九十"


def lunar_date_label(day: dt.date) -> str:
    """The 农历 month and day of a solar date in Chinese, as a calendar prints it: 四月廿三,
    闰二月初十, 腊月三十 (the year is left out: a birthday recurs)."""
    _year, month, lunar_day, leap = solar_to_lunar(day)
    if lunar_day == 10:
        day_name = "初十"
    elif lunar_day == 20:
        day_name = "二十"
    elif lunar_day == 30:
        day_name = "三十"
    else:
        day_name = _LUNAR_DAY_TENS[lunar_day // 10] + _DIGITS[lunar_day % 10 - 1]
    return f"{'闰' if leap else ''}{_LUNAR_MONTHS[month - 1]}月{day_name}"


def qingming(year: int) -> dt.date:
    """The day of the 清明 solar term in ``year`` (4 or 5 April)."""
    for day, name in chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10)):
        if name == "清明":
            return day
    raise ValueError(f"清明 of {year} not known")  # pragma: no cover - the package covers 1900–2100
