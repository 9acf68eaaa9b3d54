"""``send_visit_reminders``: tomorrow's visits only, once per visit, to everyone going."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from zhangfang.leads.models import Visit
from zhangfang.leads.tests.factories import ProspectFactory, VisitFactory
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI)


def run() -> str:
    out = StringIO()
    call_command("send_visit_reminders", stdout=out)
    return out.getvalue()


@pytest.fixture
def visits(sales_firm):
    staff = sales_firm.staff
    prospect = ProspectFactory(owner=staff.sales1, company_name="深圳市明日拜访有限公司")
    return {
        # Tomorrow (2026-12-01) early and late, in Shanghai time: both are tomorrow's.
        "early": VisitFactory(
            prospect=prospect,
            starts_at=at("2026-12-01", 0, 30),
            purpose="早间拜访",
            place="南山区科技园",
            staff=[staff.sales1, staff.head1],
            materials=[{"item": "公司介绍", "done": True}, {"item": "报价单", "done": False}],
        ),
        "late": VisitFactory(
            prospect=prospect, starts_at=at("2026-12-01", 23, 30), purpose="晚间拜访"
        ),
        "today": VisitFactory(prospect=prospect, starts_at=at("2026-11-30", 18), purpose="今天"),
        "later": VisitFactory(prospect=prospect, starts_at=at("2026-12-02", 0, 0), purpose="后天"),
        "cancelled": VisitFactory(
            prospect=prospect,
            starts_at=at("2026-12-01", 15),
            purpose="取消了",
            status="cancelled",
        ),
    }


# 17:00 in Shanghai is 09:00 UTC: "tomorrow" must be Shanghai's tomorrow.
@time_machine.travel(dt.datetime(2026, 11, 30, 17, 0, tzinfo=SHANGHAI), tick=False)
def test_reminds_everyone_going_on_tomorrows_visits_once(sales_firm, visits):
    staff = sales_firm.staff
    assert "reminded 2 visit(s)" in run()
    notes = Notification.objects.order_by("recipient__username", "dedupe_key")
    assert sorted((n.recipient.username, n.dedupe_key) for n in notes) == sorted(
        [
            ("head1", f"visit-reminder:{visits['early'].pk}"),
            ("sales1", f"visit-reminder:{visits['early'].pk}"),
            ("sales1", f"visit-reminder:{visits['late'].pk}"),
        ]
    )
    early = Notification.objects.get(recipient=staff.head1)
    assert "深圳市明日拜访有限公司" in early.title and "00:30" in early.title
    for text in ("2026-12-01 00:30", "南山区科技园", "早间拜访", "报价单"):
        assert text in early.body
    assert "未准备的资料：报价单" in early.body
    assert early.url == f"/leads/visits/{visits['early'].pk}/"
    assert set(
        Visit.objects.filter(reminded_at__isnull=False).values_list("purpose", flat=True)
    ) == {"早间拜访", "晚间拜访"}

    # A second run (the scheduler retried) sends nothing new.
    assert "reminded 0 visit(s)" in run()
    assert Notification.objects.count() == 3


def test_a_run_the_next_day_reminds_the_next_days_visits(sales_firm, visits):
    with time_machine.travel(dt.datetime(2026, 11, 30, 17, 0, tzinfo=SHANGHAI), tick=False):
        run()
    with time_machine.travel(dt.datetime(2026, 12, 1, 17, 0, tzinfo=SHANGHAI), tick=False):
        run()
        run()
    keys = Notification.objects.values_list("dedupe_key", flat=True)
    assert sorted(set(keys)) == sorted(
        f"visit-reminder:{visits[k].pk}" for k in ("early", "late", "later")
    )
    assert Notification.objects.count() == 4
    assert not Notification.objects.filter(dedupe_key=f"visit-reminder:{visits['today'].pk}")
    assert not Notification.objects.filter(dedupe_key=f"visit-reminder:{visits['cancelled'].pk}")


def test_the_help_says_a_scheduler_runs_it_daily():
    from zhangfang.leads.management.commands.send_visit_reminders import Command

    assert "daily" in Command.help and "17:00" in Command.help
