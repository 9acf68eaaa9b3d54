"""The complaint SLA is counted in working days on the Chinese calendar: holidays are skipped and
调休 make-up Saturdays count. The expected dates are pinned from the schedules the installed
``chinesecalendar`` package ships (2026) or, for a year it does not know yet (2027), from what an
administrator enters."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from zhangfang.complaints.selectors.complaints import time_left
from zhangfang.complaints.services import complaints as services
from zhangfang.complaints.tests.factories_complaints import at, make_complaint_firm, register
from zhangfang.core import policy
from zhangfang.core.calendar import is_working_day
from zhangfang.core.models import CalendarDayKind
from zhangfang.core.services import calendar_days_bulk_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    return make_complaint_firm()


def test_the_package_knows_the_2026_days_the_tests_rely_on():
    # 国庆+中秋 2026: Oct 1–7 off, Saturday Oct 10 is a make-up working day.
    assert not any(is_working_day(dt.date(2026, 10, d)) for d in range(1, 8))
    assert is_working_day(dt.date(2026, 10, 10))
    # 春节 2026: Saturday Feb 14 and Saturday Feb 28 are make-up days, Feb 15–23 off.
    assert is_working_day(dt.date(2026, 2, 14)) and is_working_day(dt.date(2026, 2, 28))
    assert not any(is_working_day(dt.date(2026, 2, d)) for d in range(15, 24))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Wednesday before 国庆: Oct 8 (Thu), 9 (Fri), 10 (make-up Sat), 12 (Mon), 13 (Tue).
        (at(2026, 9, 30, 16, 30), dt.date(2026, 10, 13)),
        # Thursday before 中秋 (Sep 25–27 off): Sep 28, 29, 30, then Oct 8, 9.
        (at(2026, 9, 24, 10), dt.date(2026, 10, 9)),
        # Friday before 春节 2026: Feb 14 (make-up Sat), then Feb 24, 25, 26, 27.
        (at(2026, 2, 13, 9), dt.date(2026, 2, 27)),
        # An ordinary week: Monday + 5 working days is the next Monday.
        (at(2026, 11, 2, 10), dt.date(2026, 11, 9)),
        # Received early on Oct 8 (still Oct 7 in UTC): the local day counts, so Oct 9, 10,
        # 12, 13, 14 — not the Oct 13 a UTC date would give.
        (at(2026, 10, 8, 7, 30), dt.date(2026, 10, 14)),
    ],
)
def test_due_date_skips_holidays_and_counts_make_up_days(firm, received, due):
    with time_machine.travel(received, tick=False):
        complaint = register(firm)
    assert complaint.due_on == due
    assert complaint.number == f"TS{received.year}-0001"


def test_the_handling_days_are_a_policy_setting(firm):
    policy.policy_value_set(key=services.HANDLING_DAYS, raw="6", by=firm.staff.admin)
    with time_machine.travel(at(2026, 2, 13, 9), tick=False):
        complaint = register(firm)
    # The sixth working day after Friday Feb 13 is the make-up Saturday Feb 28.
    assert complaint.due_on == dt.date(2026, 2, 28)


SPRING_FESTIVAL_2027 = [
    # What an administrator enters once the State Council publishes the 2027 schedule (the
    # installed package stops at 2026): 除夕 to 初七 off, Saturday Feb 13 a make-up day.
    *[(dt.date(2027, 2, d), CalendarDayKind.HOLIDAY, "春节") for d in range(5, 13)],
    (dt.date(2027, 2, 13), CalendarDayKind.WORKDAY, "春节调休"),
]


def test_spring_festival_2027_follows_the_administrators_entries(firm):
    received = at(2027, 2, 4, 15)
    with time_machine.travel(received, tick=False):
        # Without a published schedule only weekends rest: Feb 5, 8, 9, 10, 11.
        assert register(firm).due_on == dt.date(2027, 2, 11)
        calendar_days_bulk_set(entries=SPRING_FESTIVAL_2027, by=firm.staff.admin)
        # With it: Feb 13 (make-up Sat), then Feb 15, 16, 17, 18.
        complaint = register(firm)
    assert complaint.due_on == dt.date(2027, 2, 18)
    assert complaint.number == "TS2027-0002"


def test_badge_counts_working_days_left_and_overdue(firm):
    with time_machine.travel(at(2026, 9, 30, 16, 30), tick=False):
        complaint = register(firm)  # due Oct 13
    # During 国庆 the clock stands still: five working days are left all week.
    assert time_left(complaint, dt.date(2026, 10, 2))["label"] == "剩余 5 个工作日"
    assert time_left(complaint, dt.date(2026, 10, 10))["label"] == "剩余 2 个工作日"
    assert time_left(complaint, dt.date(2026, 10, 13)) == {"label": "今日到期", "colour": "warning"}
    assert time_left(complaint, dt.date(2026, 10, 15)) == {
        "label": "已超期 2 个工作日",
        "colour": "danger",
    }


def test_reopening_counts_a_new_deadline_from_the_day_it_reopens(firm):
    from zhangfang.complaints.tests.factories_complaints import fed_back

    with time_machine.travel(at(2026, 9, 21, 10), tick=False):
        complaint = fed_back(firm, register(firm))
    with time_machine.travel(at(2026, 9, 30, 11), tick=False):
        complaint = services.complaint_reopen(
            complaint=complaint, reason="客户仍不认可", by=firm.staff.service
        )
    assert complaint.due_on == dt.date(2026, 10, 13)
