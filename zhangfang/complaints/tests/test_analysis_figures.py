"""The complaint analysis figures, hand-computed for a small firm; the period picker; the
working-day counter. Pages, roles and the export are in ``test_analysis_pages.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhangfang.complaints.selectors import analysis as selectors
from zhangfang.complaints.tests.factories_analysis import NOW, TODAY, build_firm
from zhangfang.core.calendar import working_days_between

pytestmark = pytest.mark.django_db

Q4 = selectors.period_for("quarter", dt.date(2026, 10, 1))


@pytest.fixture
def firm():
    return build_firm()


def report_for(firm, department=None, period=Q4, cap=selectors.PAGE_CAP):
    scope = selectors.Scope(department.pk if department else None, fixed=False)
    return selectors.complaint_analysis(scope=scope, period=period, today=TODAY, cap=cap)


def test_headline_figures(firm):
    h = report_for(firm).headline
    # Received in Q4: C2, C3, C4, C5, C6, C9 (C9 at 00:30 on 1 October, Beijing time; C1 on
    # 30 September and C7, C8 before are out). Closed in Q4: C1, C2, C5 (C9 was reopened).
    assert (h.received, h.closed, h.still_open, h.overdue, h.reopened) == (6, 3, 3, 1, 2)
    assert (h.handled, h.on_time, h.timeliness_rate) == (4, 3, Decimal("75.0"))
    # Received → closed: C1 30 Sep → 9 Oct spans the National Day holiday: 2 working days
    # (8 and 9 October), 9 calendar days; C2 Tue 20 → Fri 23 Oct: 3 and 3; C5 1 → 3 Dec: 2 and 2.
    assert (h.avg_working_days, h.median_working_days) == (Decimal("2.3"), Decimal("2.0"))
    assert (h.avg_calendar_days, h.median_calendar_days) == (Decimal("4.7"), Decimal("3.0"))
    assert h.again == 3  # C2 after C1, C3 after C2, C6 after C5


def test_time_to_resolve_across_the_holiday(firm):
    cases = {case.number: case for case in report_for(firm).closed_cases}
    assert (cases["TS-C1"].working_days, cases["TS-C1"].calendar_days) == (2, 9)
    assert (cases["TS-C2"].working_days, cases["TS-C2"].calendar_days) == (3, 3)
    assert (cases["TS-C5"].working_days, cases["TS-C5"].calendar_days) == (2, 2)


def test_by_category_and_severity(firm):
    report = report_for(firm)
    assert [(r.label, r.count, r.share) for r in report.by_category] == [
        ("收费争议", 2, Decimal("33.3")),
        ("服务态度", 1, Decimal("16.7")),
        ("账务差错", 1, Decimal("16.7")),
        ("申报延误", 1, Decimal("16.7")),
        ("响应不及时", 1, Decimal("16.7")),
    ]
    assert [(r.label, r.count, r.share) for r in report.by_severity] == [
        ("一般", 4, Decimal("66.7")),
        ("较重", 1, Decimal("16.7")),
        ("严重", 1, Decimal("16.7")),
    ]


def test_by_department_adds_up_to_the_headline(firm):
    rows = report_for(firm).by_department
    assert [
        (
            r.name,
            r.received,
            r.closed,
            r.still_open,
            r.on_time_rate,
            r.avg_working_days,
            r.avg_calendar_days,
        )
        for r in rows
    ] == [
        ("服务一部", 3, 2, 1, Decimal("50.0"), Decimal("2.5"), Decimal("6.0")),
        ("服务二部", 3, 1, 2, Decimal("100.0"), Decimal("2.0"), Decimal("2.0")),
    ]


def test_by_person(firm):
    rows = report_for(firm).by_person
    assert [(r.name, r.count, r.categories_text) for r in rows] == [
        ("张会计", 3, "服务态度 1、账务差错 1、申报延误 1"),
        ("李会计", 2, "响应不及时 1、收费争议 1"),
        ("（未指明人员）", 1, "收费争议 1"),
    ]


def test_by_month_shows_the_last_twelve_months_for_a_quarter(firm):
    months = report_for(firm).months
    assert months[0].label == "2026-01" and months[-1].label == "2026-12"
    figures = {m.label: (m.received, m.closed) for m in months}
    assert figures["2026-08"] == (1, 1)  # C7
    assert figures["2026-09"] == (2, 0)  # C1 and C8 received
    assert figures["2026-10"] == (2, 2)  # C2 and C9 received; C1 and C2 closed
    assert figures["2026-11"] == (2, 0)
    assert figures["2026-12"] == (2, 1)
    assert sum(m.received for m in months) == 9


def test_a_year_shows_its_own_months(firm):
    report = report_for(firm, period=selectors.period_for("year", dt.date(2026, 5, 1)))
    assert len(report.months) == 12 and report.months_title == "各月投诉趋势"
    long = selectors.Period("custom", dt.date(2025, 11, 15), dt.date(2026, 12, 31), NOW.date())
    months = report_for(firm, period=long).months
    assert months[0].label == "2025-11" and len(months) == 14


def test_root_causes_of_the_closed(firm):
    causes = report_for(firm).root_causes
    assert [(r.label, r.count, r.share) for r in causes] == [
        ("人员业务能力不足", 1, Decimal("33.3")),
        ("流程或制度缺陷", 1, Decimal("33.3")),
        ("沟通不到位", 1, Decimal("33.3")),
    ]


def test_repeat_clients_and_complaints_again(firm):
    report = report_for(firm)
    assert [
        (r.name, r.count, r.categories_text, r.last_received) for r in report.repeat_clients
    ] == [
        ("丙公司", 3, "收费争议 2、响应不及时 1", dt.date(2026, 12, 8)),
        ("甲公司", 2, "服务态度 1、账务差错 1", dt.date(2026, 11, 5)),
    ]
    assert report.repeat_client_total == 2
    # C4 (乙公司) came 98 days after C7 closed: outside the 90 days. C5 followed C9, which
    # was reopened: not a closed one.
    assert [
        (r.number, r.previous_number, r.previous_closed, r.days_after) for r in report.recomplaints
    ] == [
        ("TS-C6", "TS-C5", dt.date(2026, 12, 3), 5),
        ("TS-C3", "TS-C2", dt.date(2026, 10, 23), 13),
        ("TS-C2", "TS-C1", dt.date(2026, 10, 9), 11),
    ]


def test_corrective_actions_latest_first_and_capped(firm):
    report = report_for(firm)
    assert [(c.number, c.root_cause, c.corrective_action) for c in report.closed_cases] == [
        ("TS-C5", "沟通不到位", "收费前书面确认服务范围"),
        ("TS-C2", "人员业务能力不足", "组织账务培训"),
        ("TS-C1", "流程或制度缺陷", "申报前增加复核"),
    ]
    capped = report_for(firm, cap=1)
    assert len(capped.closed_cases) == 1 and capped.closed_total == 3
    assert len(capped.recomplaints) == 1 and capped.recomplaint_total == 3
    assert len(capped.repeat_clients) == 1 and capped.repeat_client_total == 2


def test_one_department(firm):
    report = report_for(firm, department=firm.d1)
    h = report.headline
    assert (h.received, h.closed, h.still_open, h.handled, h.on_time, h.again) == (3, 2, 1, 2, 1, 2)
    assert (h.avg_working_days, h.avg_calendar_days) == (Decimal("2.5"), Decimal("6.0"))
    assert [r.name for r in report.by_department] == ["服务一部"]
    assert [r.name for r in report.repeat_clients] == ["甲公司"]
    assert {c.number for c in report.closed_cases} == {"TS-C1", "TS-C2"}


def test_empty_period():
    report = report_for(None, period=selectors.period_for("month", dt.date(2020, 1, 1)))
    h = report.headline
    assert h.received == 0 and h.timeliness_rate is None and h.avg_working_days is None
    assert report.by_category == [] and report.closed_cases == []
    assert [r.count for r in report.by_severity] == [0, 0, 0]


# -- the period ---------------------------------------------------------------------------


D = dt.date
LAST_MONTH = ("month", D(2026, 11, 1), D(2026, 11, 30))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, LAST_MONTH),
        ({"period": "month", "month": "2026-02"}, ("month", D(2026, 2, 1), D(2026, 2, 28))),
        ({"period": "quarter", "month": "2026-08"}, ("quarter", D(2026, 7, 1), D(2026, 9, 30))),
        ({"period": "quarter"}, ("quarter", D(2026, 10, 1), D(2026, 12, 31))),
        ({"period": "half", "month": "2026-06"}, ("half", D(2026, 1, 1), D(2026, 6, 30))),
        ({"period": "half", "month": "2026-07"}, ("half", D(2026, 7, 1), D(2026, 12, 31))),
        ({"period": "year", "month": "2025-03"}, ("year", D(2025, 1, 1), D(2025, 12, 31))),
        (
            {"period": "custom", "from": "2026-10-15", "to": "2026-11-14"},
            ("custom", D(2026, 10, 15), D(2026, 11, 14)),
        ),
    ],
)
def test_period_from_params(params, expected):
    period, error = selectors.period_from_params(params, today=TODAY)
    assert error == ""
    assert (period.kind, period.start, period.end) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom", "from": "2026-11-14", "to": "2026-10-15"}, "开始日期不能晚于"),
        ({"period": "custom", "from": "", "to": "2026-10-15"}, "请填写有效的开始日期"),
        ({"period": "custom", "from": "2015-01-01", "to": "2026-10-15"}, "最长五年"),
        ({"period": "month", "month": "2026-13"}, "月份无效"),
        ({"period": "decade"}, "统计期间无效"),
    ],
)
def test_invalid_periods_fall_back_to_last_month(params, message):
    period, error = selectors.period_from_params(params, today=TODAY)
    assert message in error
    assert (period.kind, period.start, period.end) == LAST_MONTH


def test_period_titles():
    assert selectors.period_for("quarter", dt.date(2026, 11, 1)).title == "2026年第4季度"
    assert selectors.period_for("half", dt.date(2026, 3, 1)).title == "2026年上半年"
    assert selectors.period_for("month", dt.date(2026, 3, 1)).title == "2026年3月"
    assert selectors.period_for("year", dt.date(2026, 3, 1)).title == "2026年"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.dates(min_value=dt.date(2025, 9, 1), max_value=dt.date(2027, 3, 1)),
        min_size=2,
        max_size=8,
    )
)
def test_working_day_counter_matches_the_calendar(days):
    counter = selectors.WorkingDayCounter(days)
    for a in days:
        for b in days:
            assert counter.between(a, b) == working_days_between(a, b)
