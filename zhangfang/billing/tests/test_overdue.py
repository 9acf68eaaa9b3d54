"""Overdue notices (notify_overdue_bills) and the finance home panel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from zhangfang.billing.tests.factories import issued_bill, received_payment
from zhangfang.billing.tests.receivables_firm import billing_firm
from zhangfang.core import policy
from zhangfang.notifications.models import Notification

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def _at(day: dt.date):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI), tick=False
    )


def _run(**options) -> str:
    out = StringIO()
    call_command("notify_overdue_bills", stdout=out, **options)
    return out.getvalue()


def test_notices_go_to_customer_service_and_sales_owner_once_per_bill():
    firm = billing_firm()
    by = firm.staff.finance
    with _at(dt.date(2026, 6, 1)):
        overdue = issued_bill(firm.acme, "1200", dt.date(2026, 6, 10), by=by)
        issued_bill(firm.beta, "300", dt.date(2026, 6, 20), by=by)  # not due by the 11th
        settled = issued_bill(firm.beta, "500", dt.date(2026, 6, 5), by=by)
        received_payment(firm.beta, "500", allocations=[(settled, Decimal("500"))], by=by)
    with _at(dt.date(2026, 6, 10)):
        assert "sent 0" in _run()  # due today: not overdue yet
    with _at(dt.date(2026, 6, 11)):
        assert "sent 2" in _run()
        assert "sent 0" in _run()  # idempotent
    notices = Notification.objects.order_by("recipient__username")
    assert [n.recipient for n in notices] == [firm.staff.cs1, firm.staff.sales1]
    notice = notices[0]
    assert "深圳市阿克米科技有限公司" in notice.title
    assert overdue.number in notice.title
    assert "¥1,200.00" in notice.title and "已逾期 1 天" in notice.title
    assert "2026-06-10" in notice.body
    assert notice.url == f"/billing/bills/{overdue.pk}/"
    # Weeks later only the bill that fell overdue since is notified, not the first one again.
    with _at(dt.date(2026, 7, 20)):
        assert "sent 2" in _run()
    assert Notification.objects.filter(dedupe_key=f"bill-overdue:{overdue.pk}").count() == 2
    assert Notification.objects.count() == 4


def test_outstanding_in_the_notice_is_what_is_still_owed_and_a_missing_person_is_skipped():
    firm = billing_firm()
    by = firm.staff.finance
    with _at(dt.date(2026, 6, 1)):
        bill = issued_bill(firm.gamma, "1000", dt.date(2026, 6, 5), by=by)
        received_payment(firm.gamma, "250", allocations=[(bill, Decimal("250"))], by=by)
    _run(date="2026-06-09")
    # gamma has a sales owner but no customer-service member.
    (notice,) = Notification.objects.all()
    assert notice.recipient == firm.staff.sales3
    assert "¥750.00" in notice.title and "已逾期 4 天" in notice.title


def test_grace_days_from_the_policy_setting(settings):
    firm = billing_firm()
    by = firm.staff.finance
    with _at(dt.date(2026, 6, 1)):
        issued_bill(firm.acme, "100", dt.date(2026, 6, 5), by=by)
    policy.policy_value_set(key="billing.overdue_grace_days", raw="5", by=firm.staff.admin)
    try:
        assert "sent 0" in _run(date="2026-06-09")  # 4 days overdue
        assert "sent 2" in _run(date="2026-06-10")  # 5 days overdue
    finally:
        policy.invalidate()


def test_the_setting_is_registered_with_its_clause():
    definition = policy.REGISTRY["billing.overdue_grace_days"]
    assert definition.default == 0
    assert definition.clause == "三（四）4"


def test_a_bad_date_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        _run(date="2026-13-01")


def test_home_panel_shows_overdue_amount_and_largest_clients(client):
    firm = billing_firm()
    by = firm.staff.finance
    with _at(dt.date(2026, 5, 1)):
        issued_bill(firm.acme, "100", dt.date(2026, 5, 10), by=by)
        issued_bill(firm.gamma, "900", dt.date(2026, 5, 10), by=by)
        issued_bill(firm.beta, "50", dt.date(2026, 7, 10), by=by)  # not yet due
    with _at(dt.date(2026, 6, 1)):
        client.force_login(by)
        html = client.get("/").content.decode()
        assert "逾期应收" in html and "¥1,000.00" in html
        assert html.index("广州市伽马餐饮有限公司") < html.index("深圳市阿克米科技有限公司")
        client.force_login(firm.staff.head1)
        html = client.get("/").content.decode()
        assert "¥100.00" in html and "广州市伽马餐饮有限公司" not in html
        client.force_login(firm.staff.acct1)
        assert "逾期应收" not in client.get("/").content.decode()
