"""The working-day calendar and the 征期 deadlines (DOMAIN.md §1–2)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import chinese_calendar
import pytest
from django.core.cache import cache
from hypothesis import given, settings
from hypothesis import strategies as st

from zhangfang.core import calendar, policy
from zhangfang.core.calendar import (
    add_office_hours,
    add_working_days,
    filing_deadline,
    invalidate_calendar_cache,
    is_statutory_holiday,
    is_working_day,
    working_days_between,
    year_has_schedule,
    years_missing_schedule,
)
from zhangfang.core.models import CalendarDay, CalendarDayKind, FilingDeadline, PolicySetting

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

OFFICIAL_2025 = (15, 20, 17, 18, 22, 16, 15, 15, 15, 27, 17, 15)
OFFICIAL_2024 = (15, 23, 18, 18, 22, 19, 15, 15, 18, 24, 15, 16)


def at(year, month, day, hour, minute=0, tz=SHANGHAI):
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


def override(day: dt.date, kind: str) -> None:
    CalendarDay.objects.create(date=day, kind=kind, note="test")
    invalidate_calendar_cache()


# --- Filing deadlines ----------------------------------------------------------------------------


@pytest.mark.parametrize("month", range(1, 13))
def test_rule_reproduces_official_2025_table(month):
    assert not FilingDeadline.objects.exists()
    assert calendar._deadline_by_rule(2025, month) == D(2025, month, OFFICIAL_2025[month - 1])


def test_shipped_2025_table_is_the_official_one():
    assert calendar.OFFICIAL_FILING_DEADLINES[2025] == OFFICIAL_2025


@pytest.mark.parametrize("month", range(1, 13))
def test_public_2025_deadlines_with_and_without_shipped_table(month, monkeypatch):
    expected = D(2025, month, OFFICIAL_2025[month - 1])
    assert filing_deadline(2025, month) == expected
    monkeypatch.setattr(calendar, "OFFICIAL_FILING_DEADLINES", {})
    assert filing_deadline(2025, month) == expected


@pytest.mark.parametrize("month", [m for m in range(1, 13) if m != 3])
def test_rule_reproduces_official_2024_table(month):
    assert calendar._deadline_by_rule(2024, month) == D(2024, month, OFFICIAL_2024[month - 1])


def test_march_2024_is_not_derivable_and_needs_an_entered_deadline():
    # 2024-03-01..15 hold no holiday and the 15th is a Friday, so the rule gives the 15th; the
    # official table says the 18th. Such a month is what FilingDeadline rows are for.
    assert calendar._deadline_by_rule(2024, 3) == D(2024, 3, 15)
    FilingDeadline.objects.create(year=2024, month=3, deadline=D(2024, 3, 18))
    invalidate_calendar_cache()
    assert filing_deadline(2024, 3) == D(2024, 3, 18)


def test_run_reaching_back_into_previous_month_counts_only_its_days_in_the_filing_month():
    # 春节 2025 runs Jan 28 – Feb 4: 4 of its days fall in Feb 1–15, so 4 working days after the
    # 15th (a Saturday) → Feb 20, not 8.
    assert calendar._deadline_by_rule(2025, 2) == D(2025, 2, 20)
    # 端午 2025 runs May 31 – Jun 2: only 2 days in June, no extension; the 15th is a Sunday.
    assert calendar._deadline_by_rule(2025, 6) == D(2025, 6, 16)


def test_long_holiday_extends_by_working_days_not_calendar_days():
    # 国庆 2025 is Oct 1–8 (8 days): the 8th working day after Oct 15 is Oct 27, not Oct 23.
    assert calendar._deadline_by_rule(2025, 10) == D(2025, 10, 27)


def test_rule_for_2026():
    # What the rule gives for 2026 (no official table shipped for it).
    # Jan: 元旦 Jan 1–3 (3 days) → 3 working days after Thu 15th: 16, 19, 20.
    assert calendar._deadline_by_rule(2026, 1) == D(2026, 1, 20)
    # Feb: 春节 starts on the 15th (a Sunday): one day inside the period, no extension; the rest
    # ends on the 23rd, so the deadline is Tue Feb 24.
    assert calendar._deadline_by_rule(2026, 2) == D(2026, 2, 24)
    # Apr: 清明 Apr 4–6 → 3 working days after Wed 15th: 16, 17, 20.
    assert calendar._deadline_by_rule(2026, 4) == D(2026, 4, 20)
    # May: 劳动节 May 1–5 (5 days) → 5 working days after Fri 15th: 18, 19, 20, 21, 22.
    assert calendar._deadline_by_rule(2026, 5) == D(2026, 5, 22)
    # Jun: 端午 Jun 19–21 is after the period → Monday the 15th.
    assert calendar._deadline_by_rule(2026, 6) == D(2026, 6, 15)
    # Oct: 国庆 Oct 1–7 (7 days) → 7 working days after Thu 15th: 16, 19, 20, 21, 22, 23, 26.
    assert calendar._deadline_by_rule(2026, 10) == D(2026, 10, 26)
    assert filing_deadline(2026, 10) == D(2026, 10, 26)


def test_entered_deadline_beats_shipped_table_and_rule():
    FilingDeadline.objects.create(year=2025, month=10, deadline=D(2025, 10, 31))
    FilingDeadline.objects.create(year=2026, month=5, deadline=D(2026, 5, 25))
    invalidate_calendar_cache()
    assert filing_deadline(2025, 10) == D(2025, 10, 31)  # shipped table says 27
    assert filing_deadline(2026, 5) == D(2026, 5, 25)  # rule says 22
    assert filing_deadline(2025, 11) == D(2025, 11, 17)  # other months unchanged


def test_holiday_entries_change_the_rule():
    # Without entries, 2026-03 has no holiday and the 15th is a Sunday → Monday 16th.
    assert filing_deadline(2026, 3) == D(2026, 3, 16)
    # An administrator's 3-day holiday Tue–Thu Mar 10–12 → 3 working days after the 15th.
    for day in (10, 11, 12):
        CalendarDay.objects.create(date=D(2026, 3, day), kind=CalendarDayKind.HOLIDAY)
    invalidate_calendar_cache()
    assert filing_deadline(2026, 3) == D(2026, 3, 18)


def test_weekend_joined_to_a_holiday_counts_in_the_run():
    # Holiday Wed–Fri Mar 4–6 plus the weekend: one 5-day run → 5 working days after the 15th.
    for day in (4, 5, 6):
        CalendarDay.objects.create(date=D(2026, 3, day), kind=CalendarDayKind.HOLIDAY)
    invalidate_calendar_cache()
    assert filing_deadline(2026, 3) == D(2026, 3, 20)


def test_filing_deadline_rejects_a_bad_month():
    with pytest.raises(ValueError):
        filing_deadline(2025, 13)
    with pytest.raises(ValueError):
        filing_deadline(2025, 0)


# --- Working days: the package ------------------------------------------------------------------

# (date, working day?, statutory holiday?) for the 2026 schedule (国办发明电〔2025〕7号).
SCHEDULE_2026 = [
    (D(2026, 1, 1), False, True),  # 元旦
    (D(2026, 1, 2), False, True),
    (D(2026, 1, 3), False, True),
    (D(2026, 1, 4), True, False),  # Sunday, make-up day
    (D(2026, 2, 14), True, False),  # Saturday, make-up day
    *[(D(2026, 2, day), False, True) for day in range(15, 24)],  # 春节 Feb 15–23
    (D(2026, 2, 24), True, False),
    (D(2026, 2, 28), True, False),  # Saturday, make-up day
    *[(D(2026, 4, day), False, True) for day in (4, 5, 6)],  # 清明
    (D(2026, 4, 7), True, False),
    *[(D(2026, 5, day), False, True) for day in range(1, 6)],  # 劳动节
    (D(2026, 5, 9), True, False),  # Saturday, make-up day
    *[(D(2026, 6, day), False, True) for day in (19, 20, 21)],  # 端午
    (D(2026, 9, 20), True, False),  # Sunday, make-up day
    *[(D(2026, 9, day), False, True) for day in (25, 26, 27)],  # 中秋
    *[(D(2026, 10, day), False, True) for day in range(1, 8)],  # 国庆
    (D(2026, 10, 8), True, False),
    (D(2026, 10, 10), True, False),  # Saturday, make-up day
    (D(2026, 10, 11), False, False),  # an ordinary Sunday: rest, but not a statutory holiday
    (D(2026, 3, 11), True, False),  # an ordinary Wednesday
]


@pytest.mark.parametrize(("day", "working", "statutory"), SCHEDULE_2026)
def test_2026_schedule(day, working, statutory):
    assert is_working_day(day) is working
    assert is_statutory_holiday(day) is statutory


def test_weekend_inside_a_holiday_run_is_a_rest_day():
    # 2025-02-01/02 (Sat/Sun inside 春节) and 2024-02-10..17.
    assert not is_working_day(D(2025, 2, 1))
    assert not is_working_day(D(2024, 2, 17))
    assert is_working_day(D(2024, 2, 18))  # Sunday, make-up day


def test_datetime_is_read_in_local_time():
    # 2026-10-08 00:30 in Shanghai is still Oct 7 in UTC (a holiday); the local day counts.
    moment = at(2026, 10, 8, 0, 30).astimezone(dt.UTC)
    assert is_working_day(moment)


# --- Working days: the administrator's entries ---------------------------------------------------


def test_holiday_entry_on_a_normal_wednesday():
    wednesday = D(2025, 3, 12)
    assert is_working_day(wednesday)
    assert not is_statutory_holiday(wednesday)
    override(wednesday, CalendarDayKind.HOLIDAY)
    assert not is_working_day(wednesday)
    assert is_statutory_holiday(wednesday)
    assert add_working_days(D(2025, 3, 11), 1) == D(2025, 3, 13)


def test_workday_entry_on_a_saturday():
    saturday = D(2025, 3, 15)
    assert not is_working_day(saturday)
    override(saturday, CalendarDayKind.WORKDAY)
    assert is_working_day(saturday)
    assert not is_statutory_holiday(saturday)
    assert add_working_days(D(2025, 3, 14), 1) == saturday


def test_workday_entry_beats_a_package_holiday():
    national_day = D(2026, 10, 2)
    override(national_day, CalendarDayKind.WORKDAY)
    assert is_working_day(national_day)
    assert not is_statutory_holiday(national_day)


def test_entries_are_cached_until_invalidated():
    wednesday = D(2025, 3, 12)
    assert is_working_day(wednesday)
    CalendarDay.objects.create(date=wednesday, kind=CalendarDayKind.HOLIDAY)
    assert is_working_day(wednesday), "read from the per-process table"
    invalidate_calendar_cache()
    assert not is_working_day(wednesday)


def test_version_change_by_another_process_or_cache_flush_reloads():
    wednesday = D(2025, 3, 12)
    assert is_working_day(wednesday)
    CalendarDay.objects.create(date=wednesday, kind=CalendarDayKind.HOLIDAY)
    # Another gunicorn worker's invalidate only changes the shared cache, not our memory.
    cache.set(calendar._VERSION_KEY, "set-by-another-worker", timeout=None)
    assert not is_working_day(wednesday)

    CalendarDay.objects.filter(date=wednesday).delete()
    cache.clear()
    assert is_working_day(wednesday)


def test_one_cache_load_serves_many_calls(django_assert_num_queries):
    days = [D(2025, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    with django_assert_num_queries(2):  # CalendarDay and FilingDeadline rows of 2025
        is_working_day(days[0])
    with django_assert_num_queries(0):
        for _ in range(30):
            for day in days:
                is_working_day(day)
                is_statutory_holiday(day)
            for month in range(1, 13):
                filing_deadline(2025, month)
                calendar._deadline_by_rule(2025, month)
        add_working_days(D(2025, 3, 1), 40)
        working_days_between(D(2025, 1, 1), D(2025, 12, 1))
        year_has_schedule(2025)


# --- A year the package does not know -----------------------------------------------------------


def test_unknown_year_falls_back_to_weekends():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2030, 1, 1))
    assert is_working_day(D(2030, 1, 1))  # a Tuesday; no schedule to say it is 元旦
    assert not is_statutory_holiday(D(2030, 1, 1))
    assert not is_working_day(D(2030, 1, 5))  # Saturday
    assert not is_statutory_holiday(D(2030, 1, 5))
    assert add_working_days(D(2030, 1, 4), 1) == D(2030, 1, 7)
    assert working_days_between(D(2030, 1, 1), D(2030, 1, 31)) == 22
    assert filing_deadline(2030, 6) == D(2030, 6, 17)  # the 15th is a Saturday
    assert not year_has_schedule(2030)


def test_year_has_schedule_and_missing_years():
    assert year_has_schedule(2004)
    assert year_has_schedule(2026)
    assert not year_has_schedule(2003)
    assert not year_has_schedule(2027)
    assert years_missing_schedule([2030, 2025, 2027, 2030, 2026]) == [2027, 2030]
    override(D(2027, 1, 1), CalendarDayKind.HOLIDAY)
    assert year_has_schedule(2027)
    assert not is_working_day(D(2027, 1, 1))
    assert is_statutory_holiday(D(2027, 1, 1))
    assert years_missing_schedule([2030, 2025, 2027, 2030, 2026]) == [2030]


# --- Counting working days ----------------------------------------------------------------------


def test_add_working_days_across_national_day_2026():
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 9)
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)  # make-up Saturday
    assert add_working_days(D(2026, 9, 30), 4) == D(2026, 10, 12)
    assert add_working_days(D(2026, 10, 3), 1) == D(2026, 10, 8)  # from inside the holiday
    assert add_working_days(D(2026, 10, 8), -1) == D(2026, 9, 30)
    assert add_working_days(D(2026, 9, 29), 0) == D(2026, 9, 29)
    assert add_working_days(D(2026, 10, 2), 0) == D(2026, 10, 2)


def test_add_working_days_across_the_year_end():
    # 2025-12-31 Wed + 1: Jan 1–3 are 元旦, Sunday Jan 4 is a make-up working day.
    assert add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 4)
    assert add_working_days(D(2026, 1, 4), -1) == D(2025, 12, 31)


def test_working_days_between():
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 10)) == 3  # Oct 8, 9, 10
    assert working_days_between(D(2026, 9, 30), D(2026, 9, 30)) == 0
    assert working_days_between(D(2026, 9, 29), D(2026, 9, 30)) == 1  # the end day counts
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    assert working_days_between(D(2026, 10, 10), D(2026, 9, 30)) == -3
    # A plain week: Monday → next Monday is 5 working days.
    assert working_days_between(D(2025, 3, 10), D(2025, 3, 17)) == 5


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=D(2000, 1, 1), max_value=D(2035, 12, 31)),
    n=st.integers(min_value=1, max_value=40),
)
def test_add_working_days_lands_on_a_working_day_n_days_on(day, n):
    result = add_working_days(day, n)
    assert result > day
    assert is_working_day(result)
    assert working_days_between(day, result) == n
    assert working_days_between(result, day) == -n


# --- Office hours -------------------------------------------------------------------------------


def test_office_hours_across_a_weekend():
    # Friday 2025-03-14 17:00 + 2 h: 1 h on Friday, 1 h on Monday.
    assert add_office_hours(at(2025, 3, 14, 17), 2) == at(2025, 3, 17, 10)


def test_office_hours_ending_at_closing_time_stay_on_that_day():
    assert add_office_hours(at(2025, 3, 14, 17), 1) == at(2025, 3, 14, 18)
    assert add_office_hours(at(2025, 3, 14, 9), 9) == at(2025, 3, 14, 18)


def test_office_hours_across_a_holiday_and_onto_a_make_up_saturday():
    # Wed 2026-09-30 16:00 + 4 h: 2 h that day, then 国庆 Oct 1–7, 2 h on Thu Oct 8.
    assert add_office_hours(at(2026, 9, 30, 16), 4) == at(2026, 10, 8, 11)
    # Fri 2026-10-09 17:00 + 2 h → Saturday Oct 10 (make-up day) 10:00.
    assert add_office_hours(at(2026, 10, 9, 17), 2) == at(2026, 10, 10, 10)
    # Several days: 20 office hours from Sep 30 09:00 = Sep 30 (9) + Oct 8 (9) + 2 h on Oct 9.
    assert add_office_hours(at(2026, 9, 30, 9), 20) == at(2026, 10, 9, 11)


def test_office_hours_start_before_opening_and_after_closing():
    assert add_office_hours(at(2025, 3, 12, 7, 30), 1) == at(2025, 3, 12, 10)
    assert add_office_hours(at(2025, 3, 12, 19), 1) == at(2025, 3, 13, 10)
    assert add_office_hours(at(2025, 3, 12, 18), 1) == at(2025, 3, 13, 10)
    # Start on a rest day: the clock starts at the next opening.
    assert add_office_hours(at(2025, 3, 15, 11), 1) == at(2025, 3, 17, 10)
    assert add_office_hours(at(2025, 3, 15, 11), 0) == at(2025, 3, 17, 9)
    assert add_office_hours(at(2025, 3, 12, 11), 0) == at(2025, 3, 12, 11)


def test_office_hours_accept_decimal_float_and_timedelta():
    start = at(2025, 3, 12, 17)
    expected = at(2025, 3, 13, 9, 30)
    assert add_office_hours(start, Decimal("1.5")) == expected
    assert add_office_hours(start, 1.5) == expected
    assert add_office_hours(start, dt.timedelta(minutes=90)) == expected


def test_office_hours_keep_the_start_time_zone():
    start = at(2025, 3, 14, 9, tz=dt.UTC)  # 17:00 in Shanghai
    result = add_office_hours(start, 2)
    assert result.tzinfo is dt.UTC
    assert result == at(2025, 3, 17, 10)
    assert result.hour == 2


def test_office_hours_follow_the_policy():
    PolicySetting.objects.create(key="office_hours_start", value="08:30")
    PolicySetting.objects.create(key="office_hours_end", value="17:30")
    policy.invalidate()
    assert add_office_hours(at(2025, 3, 14, 17), 2) == at(2025, 3, 17, 10)
    assert add_office_hours(at(2025, 3, 14, 17, 30), 1) == at(2025, 3, 17, 9, 30)
    assert add_office_hours(at(2025, 3, 12, 8), 1) == at(2025, 3, 12, 9, 30)


def test_office_hours_reject_bad_input():
    with pytest.raises(ValueError):
        add_office_hours(dt.datetime(2025, 3, 12, 10), 1)
    with pytest.raises(ValueError):
        add_office_hours(at(2025, 3, 12, 10), -1)
    PolicySetting.objects.create(key="office_hours_start", value="18:00")
    PolicySetting.objects.create(key="office_hours_end", value="09:00")
    policy.invalidate()
    with pytest.raises(ValueError):
        add_office_hours(at(2025, 3, 12, 10), 1)
