"""Analytics figures on a constructed dataset: exact counts, rates, costs per signed client with
Decimal, the cohort rules, data scope, period boundaries in Asia/Shanghai, new clients per month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zhangfang.clients.models import Client
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.leads.models import Prospect, Stage, VisitStatus
from zhangfang.leads.selectors import analytics
from zhangfang.leads.tests.factories import (
    MarketingActivityFactory,
    NegotiationRoundFactory,
    ProspectFactory,
    VisitFactory,
    channel,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
D = Decimal
TODAY = dt.date(2026, 12, 10)
NOVEMBER = analytics.Period("custom", dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def prospect(owner, code, stage, created, *, visit=None, rounds=0, converted=None):
    p = ProspectFactory(owner=owner, channel=channel(code), stage=stage)
    Prospect.objects.filter(pk=p.pk).update(created_at=created, converted_at=converted)
    if visit:
        VisitFactory(prospect=p, status=visit)
    for _ in range(rounds):
        NegotiationRoundFactory(prospect=p)
    return p


@pytest.fixture
def dataset(sales_firm):
    s = sales_firm.staff
    ps = SimpleNamespace(
        # sales1 (一部)
        p1=prospect(
            s.sales1,
            "website",
            Stage.WON,
            at(2026, 11, 1),
            visit=VisitStatus.DONE,
            rounds=2,
            converted=at(2026, 11, 10, 10),
        ),
        p2=prospect(s.sales1, "website", Stage.NEGOTIATION, at(2026, 11, 3), rounds=1),
        p3=prospect(s.sales1, "website", Stage.LOST, at(2026, 11, 5), visit=VisitStatus.DONE),
        p4=prospect(s.sales1, "referral", Stage.LEAD, at(2026, 11, 6), visit=VisitStatus.PLANNED),
        # Just outside November in Shanghai (though inside it in UTC, or the other way round).
        before=prospect(
            s.sales1, "website", Stage.WON, at(2026, 10, 31, 23, 59, 59), converted=at(2026, 10, 15)
        ),
        after=prospect(s.sales1, "website", Stage.LEAD, at(2026, 12, 1, 0, 0)),
        # sales2 (一部)
        p5=prospect(
            s.sales2,
            "referral",
            Stage.WON,
            at(2026, 11, 30, 23, 59, 59),
            converted=at(2026, 11, 30, 23, 30),
        ),
        p6=prospect(
            s.sales2, "website", Stage.ASSESSMENT, at(2026, 11, 10), visit=VisitStatus.CANCELLED
        ),
        # sales3 (二部)
        p7=prospect(
            s.sales3, "website", Stage.WON, at(2026, 11, 12), converted=at(2026, 12, 1, 0, 30)
        ),
    )
    MarketingActivityFactory(
        channel=channel("website"),
        owner=s.sales1,
        starts_on=dt.date(2026, 11, 2),
        ends_on=dt.date(2026, 11, 3),
        cost=D("1000.00"),
    )
    MarketingActivityFactory(
        channel=channel("website"),
        owner=s.sales3,
        starts_on=dt.date(2026, 11, 30),
        ends_on=dt.date(2026, 12, 5),
        cost=D("500.50"),
    )
    # Started before November: its cost belongs to October, though it runs into November.
    MarketingActivityFactory(
        channel=channel("referral"),
        owner=s.sales2,
        starts_on=dt.date(2026, 10, 31),
        ends_on=dt.date(2026, 11, 2),
        cost=D("999.00"),
    )
    MarketingActivityFactory(
        channel=channel("exhibition"),
        owner=None,
        starts_on=dt.date(2026, 11, 1),
        ends_on=dt.date(2026, 11, 1),
        cost=D("300.00"),
    )
    return SimpleNamespace(staff=s, prospects=ps)


def rows_by_name(rows):
    return {row.name: row for row in rows}


def figures(row):
    return (row.prospects, row.visited, row.negotiated, row.signed, row.lost, row.cost)


def test_funnel_per_channel_for_the_whole_firm(dataset):
    report = analytics.funnel_report(dataset.staff.admin, NOVEMBER, today=TODAY)
    rows = rows_by_name(report.by_channel)
    assert list(rows) == ["官方网站", "展会/研讨会", "老客户推荐"]  # the channels' sort order
    website = rows["官方网站"]
    assert figures(website) == (5, 4, 3, 2, 1, D("1500.50"))
    assert website.conversion_rate == D("40.0")
    assert website.cost_per_signed == D("750.25")
    referral = rows["老客户推荐"]
    assert figures(referral) == (2, 1, 1, 1, 0, D("0.00"))
    assert referral.conversion_rate == D("50.0") and referral.cost_per_signed == D("0.00")
    exhibition = rows["展会/研讨会"]
    assert figures(exhibition) == (0, 0, 0, 0, 0, D("300.00"))
    assert exhibition.conversion_rate is None and exhibition.cost_per_signed is None
    total = report.channel_total
    assert figures(total) == (7, 5, 4, 3, 1, D("1800.50"))
    assert total.conversion_rate == D("42.9")  # 3 / 7 = 42.857…, one decimal
    assert total.cost_per_signed == D("600.17")  # 1800.50 / 3 = 600.1666…, to the cent
    assert isinstance(total.cost_per_signed, Decimal)


def test_funnel_per_salesperson_for_the_whole_firm(dataset):
    report = analytics.funnel_report(dataset.staff.admin, NOVEMBER, today=TODAY)
    rows = rows_by_name(report.by_salesperson)
    # Most signed first, then most registered; the unassigned last.
    assert list(rows) == ["业务甲", "业务乙", "业务丙", "（未分配）"]
    assert figures(rows["业务甲"]) == (4, 3, 2, 1, 1, D("1000.00"))
    assert rows["业务甲"].conversion_rate == D("25.0")
    assert rows["业务甲"].cost_per_signed == D("1000.00")
    assert figures(rows["业务乙"]) == (2, 1, 1, 1, 0, D("0.00"))
    assert figures(rows["业务丙"]) == (1, 1, 1, 1, 0, D("500.50"))
    assert figures(rows["（未分配）"]) == (0, 0, 0, 0, 0, D("300.00"))
    assert figures(report.salesperson_total) == figures(report.channel_total)


def test_cohort_rules(dataset):
    """A planned or cancelled visit is not a visit; a lost prospect keeps the visit it had;
    a won prospect counts as visited and negotiated; conversion after the period still counts."""
    report = analytics.funnel_report(dataset.staff.sales2, NOVEMBER, today=TODAY)
    rows = rows_by_name(report.by_channel)
    assert figures(rows["官方网站"])[:3] == (1, 0, 0)  # p6: cancelled visit, assessment
    report = analytics.funnel_report(dataset.staff.sales3, NOVEMBER, today=TODAY)
    assert figures(report.channel_total)[:4] == (1, 1, 1, 1)  # p7: converted in December


def test_a_salesperson_sees_only_their_own_numbers(dataset):
    report = analytics.funnel_report(dataset.staff.sales1, NOVEMBER, today=TODAY)
    assert [row.name for row in report.by_salesperson] == ["业务甲"]
    rows = rows_by_name(report.by_channel)
    assert set(rows) == {"官方网站", "老客户推荐"}
    # Only their own activity's cost: not sales3's, not the unowned exhibition.
    assert figures(rows["官方网站"]) == (3, 3, 2, 1, 1, D("1000.00"))
    assert figures(rows["老客户推荐"]) == (1, 0, 0, 0, 0, D("0.00"))
    assert report.shows_all_clients is False


def test_a_department_head_sees_their_department(dataset):
    report = analytics.funnel_report(dataset.staff.head1, NOVEMBER, today=TODAY)
    assert {row.name for row in report.by_salesperson} == {"业务甲", "业务乙"}
    assert figures(report.channel_total) == (6, 4, 3, 2, 1, D("1000.00"))
    other = analytics.funnel_report(dataset.staff.head2, NOVEMBER, today=TODAY)
    assert figures(other.channel_total) == (1, 1, 1, 1, 0, D("500.50"))


def test_finance_sees_the_whole_firm(dataset):
    report = analytics.funnel_report(dataset.staff.finance, NOVEMBER, today=TODAY)
    assert report.channel_total.prospects == 7


def test_an_accountant_sees_nothing(dataset):
    report = analytics.funnel_report(dataset.staff.acct1, NOVEMBER, today=TODAY)
    assert report.by_channel == [] and report.channel_total.prospects == 0


def test_period_boundaries_are_midnight_in_shanghai(dataset):
    assert NOVEMBER.start_at == dt.datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert NOVEMBER.end_at == dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    one_day = analytics.Period("custom", dt.date(2026, 10, 31), dt.date(2026, 10, 31))
    report = analytics.funnel_report(dataset.staff.admin, one_day, today=TODAY)
    assert report.channel_total.prospects == 1  # "before", at 23:59:59 on the 31st
    december = analytics.Period("custom", dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    report = analytics.funnel_report(dataset.staff.admin, december, today=TODAY)
    assert report.channel_total.prospects == 1  # "after", at 00:00 on the 1st


@time_machine.travel(dt.datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_new_clients_per_month_with_growth(dataset):
    rows = analytics.new_clients_by_month(dataset.staff.sales1, today=TODAY)
    assert [r.label for r in rows] == [f"2026-{m:02d}" for m in range(1, 13)]
    by_month = {r.label: r for r in rows}
    # sales1: "before" converted in October, p1 in November.
    assert by_month["2026-10"].converted == 1 and by_month["2026-10"].converted_growth is None
    assert by_month["2026-11"].converted == 1 and by_month["2026-11"].converted_growth == D("0.0")
    assert by_month["2026-12"].converted == 0 and by_month["2026-12"].converted_growth == D(
        "-100.0"
    )
    assert by_month["2026-11"].created is None  # all clients: administrators only

    rows = analytics.new_clients_by_month(dataset.staff.admin, today=TODAY)
    by_month = {r.label: r for r in rows}
    # p5 at 23:30 on 30 Nov is November; p7 at 00:30 on 1 Dec is December (Shanghai time).
    assert [by_month[m].converted for m in ("2026-10", "2026-11", "2026-12")] == [1, 2, 1]
    assert by_month["2026-11"].converted_growth == D("100.0")
    assert by_month["2026-12"].converted_growth == D("-50.0")


@time_machine.travel(dt.datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_all_new_clients_per_month_for_administrators(sales_firm):
    ClientFactory.create_batch(3)
    old = ClientFactory()
    Client.objects.filter(pk=old.pk).update(created_at=at(2026, 11, 30, 23, 59))
    rows = {r.label: r for r in analytics.new_clients_by_month(sales_firm.staff.admin, today=TODAY)}
    assert (rows["2026-11"].created, rows["2026-12"].created) == (1, 3)
    assert rows["2026-12"].created_growth == D("200.0")
    assert rows["2026-11"].created_growth is None  # nothing in October


@pytest.mark.parametrize(
    ("today", "params", "expected"),
    [
        (dt.date(2026, 2, 15), {}, ("this_month", dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        (
            dt.date(2028, 2, 15),
            {"period": "this_month"},
            ("this_month", dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
        ),
        (
            dt.date(2026, 1, 10),
            {"period": "last_month"},
            ("last_month", dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
        ),
        (
            dt.date(2026, 11, 15),
            {"period": "this_quarter"},
            ("this_quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ),
        (
            dt.date(2026, 5, 31),
            {"period": "this_quarter"},
            ("this_quarter", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        ),
        (
            dt.date(2026, 5, 31),
            {"period": "this_year"},
            ("this_year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ),
        (
            dt.date(2026, 5, 31),
            {"period": "custom", "from": "2026-03-05", "to": "2026-04-01"},
            ("custom", dt.date(2026, 3, 5), dt.date(2026, 4, 1)),
        ),
        (
            dt.date(2026, 5, 31),
            {"period": "nonsense"},
            ("this_month", dt.date(2026, 5, 1), dt.date(2026, 5, 31)),
        ),
    ],
)
def test_period_presets(today, params, expected):
    period, error = analytics.period_from_params(params, today=today)
    assert (period.key, period.start, period.end) == expected and error == ""


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom", "from": "2026-03-05"}, "请填写有效的开始日期和结束日期"),
        ({"period": "custom", "from": "2026-13-01", "to": "2026-03-01"}, "请填写有效"),
        (
            {"period": "custom", "from": "2026-04-02", "to": "2026-04-01"},
            "开始日期不能晚于结束日期",
        ),
    ],
)
def test_invalid_custom_period_falls_back_to_this_month_with_a_message(params, message):
    period, error = analytics.period_from_params(params, today=dt.date(2026, 5, 31))
    assert period.key == "this_month" and message in error


def test_rates():
    assert analytics.percent(1, 3) == D("33.3")
    assert analytics.percent(2, 3) == D("66.7")
    assert analytics.percent(1, 8) == D("12.5")
    assert analytics.percent(0, 0) is None
    assert analytics.growth(3, 2) == D("50.0") and analytics.growth(1, 0) is None
