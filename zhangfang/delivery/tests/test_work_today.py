"""My work due today: overdue, due today and due within the warning's working days (holidays do
not count), annual work once its window opened, the heads' overdue table, the board's warning
colour and the home panel."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from zhangfang.core import policy
from zhangfang.core.models import PolicySetting
from zhangfang.delivery.models import Filing, WorkItem, WorkStatus, WorkStep
from zhangfang.delivery.selectors.work_board import (
    cell_state,
    due_soon_before,
    item_url,
    work_counts_for_home,
)
from zhangfang.delivery.tests.factories import DoneWorkItemFactory, WorkItemFactory
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.delivery.wiring.work import DEADLINE_WARNING_DAYS

pytestmark = pytest.mark.django_db

TODAY_URL = reverse("delivery:work_today")
HOME = reverse("core:home")
SEP = dt.date(2026, 9, 1)
# Tuesday 29 September 2026. The National Day holiday (with 中秋) runs 1–7 October; Thursday
# 8 October and Saturday 10 October (调休) are working days. Three working days from today end on
# Friday 9 October: 30 September, 8 and 9 October.
TUESDAY = dt.date(2026, 9, 29)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 9, 29, 10), tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    firm = make_firm()
    acme, accountant = firm.acme, firm.staff.accountant
    firm.overdue = WorkItemFactory(
        client=acme, period=SEP, step=WorkStep.RECEIPTS, due_on=dt.date(2026, 9, 28)
    )
    firm.today = WorkItemFactory(
        client=acme, period=SEP, step=WorkStep.BOOKKEEPING, due_on=TUESDAY, assignee=accountant
    )
    firm.after_holiday = WorkItemFactory(
        client=acme, period=SEP, step=WorkStep.STATEMENTS, due_on=dt.date(2026, 10, 9)
    )
    firm.later = WorkItemFactory(
        client=acme, period=SEP, step=WorkStep.ARCHIVE, due_on=dt.date(2026, 10, 12)
    )
    firm.done = DoneWorkItemFactory(
        client=acme, period=SEP, step=WorkStep.REVIEW, due_on=dt.date(2026, 9, 28)
    )
    WorkItem.objects.filter(pk=firm.overdue.pk).update(assignee=accountant)
    return firm


def test_due_soon_counts_working_days_across_the_national_day_holiday(firm):
    soon_before = due_soon_before(TUESDAY, 3)
    # Saturday 10 October is a make-up working day: the 4th working day after today.
    assert soon_before == dt.date(2026, 10, 10)
    states = {
        name: cell_state(getattr(firm, name), today=TUESDAY, soon_before=soon_before).key
        for name in ("overdue", "today", "after_holiday", "later", "done")
    }
    assert states == {
        "overdue": "overdue",
        "today": "warning",
        "after_holiday": "warning",  # ten calendar days away, three working days
        "later": "todo",
        "done": "done",
    }


def test_warning_days_is_a_policy_setting(firm):
    assert policy.REGISTRY[DEADLINE_WARNING_DAYS].clause == "三（二）3"
    PolicySetting.objects.create(key=DEADLINE_WARNING_DAYS, value=1)
    policy.invalidate()
    try:
        # One working day: 30 September only; 9 October is no longer due soon.
        assert due_soon_before(TUESDAY) == dt.date(2026, 10, 8)
    finally:
        PolicySetting.objects.all().delete()
        policy.invalidate()


def test_today_list_shows_my_overdue_and_due_soon_work(client, firm):
    client.force_login(firm.staff.accountant)
    html = client.get(TODAY_URL).content.decode()
    rows = html[html.index('id="work-today"') :]
    assert "逾期 1 天" in rows
    assert "今日到期" in rows
    assert "剩余 3 个工作日" in rows
    assert "2026-10-12" not in rows  # five working days away
    assert item_url(firm.overdue.pk) in rows and item_url(firm.later.pk) not in rows
    assert item_url(firm.done.pk) not in rows
    assert firm.acme.name in rows and "2026-09" in rows and "出报表" in rows
    # Sorted by deadline.
    assert rows.index("2026-09-28") < rows.index("2026-09-29") < rows.index("2026-10-09")
    # Only the assignee's own work: the accountant is not a head, so no second table.
    assert "逾期工作（按负责人）" not in html


def test_today_list_is_empty_for_someone_with_nothing_due(client, firm):
    client.force_login(firm.staff.sales)
    html = client.get(TODAY_URL).content.decode()
    assert "今天没有逾期或即将到期的工作" in html


def test_annual_work_counts_once_its_window_opened(client, firm, _clock):
    _clock.move_to(at(2027, 5, 27, 10), tick=False)  # Thursday; 31 May is the next Monday
    settlement = WorkItemFactory(
        client=firm.acme,
        period=dt.date(2027, 1, 1),
        step=WorkStep.ANNUAL,
        filing=Filing.ANNUAL_SETTLEMENT,
        opens_on=dt.date(2027, 1, 1),
        due_on=dt.date(2027, 5, 31),
        assignee=firm.staff.tax,
    )
    not_open = WorkItemFactory(
        client=firm.acme,
        period=dt.date(2027, 1, 1),
        step=WorkStep.ANNUAL,
        filing=Filing.ANNUAL_IIT,
        opens_on=dt.date(2027, 5, 28),
        due_on=dt.date(2027, 5, 31),
        assignee=firm.staff.tax,
    )
    report = WorkItemFactory(
        client=firm.acme,
        period=dt.date(2027, 1, 1),
        step=WorkStep.ANNUAL,
        filing=Filing.ANNUAL_REPORT,
        opens_on=dt.date(2027, 1, 1),
        due_on=dt.date(2027, 6, 30),
        assignee=firm.staff.tax,
    )
    client.force_login(firm.staff.tax)
    html = client.get(TODAY_URL).content.decode()
    assert item_url(settlement.pk) in html and "企业所得税汇算清缴" in html
    assert "剩余 2 个工作日" in html
    assert item_url(not_open.pk) not in html and item_url(report.pk) not in html


def test_heads_see_their_departments_overdue_work_by_assignee(client, firm):
    WorkItemFactory(
        client=firm.acme,
        period=SEP,
        step=WorkStep.NOTIFY,
        due_on=dt.date(2026, 9, 25),
        assignee=firm.staff.service,
    )
    client.force_login(firm.staff.head)
    html = client.get(TODAY_URL).content.decode()
    table = html[html.index('id="work-overdue-by-assignee"') :]
    assert "会计乙" in table and "客服甲" in table
    client.force_login(firm.staff.head2)
    html = client.get(TODAY_URL).content.decode()
    assert "逾期工作（按负责人）" in html and "没有逾期的工作" in html
    assert "会计乙" not in html


def test_home_panel_counts_and_hides_when_nothing_is_due(client, firm):
    assert work_counts_for_home(user=firm.staff.accountant, today=TUESDAY) == {
        "overdue": 1,
        "due_soon": 2,  # due today and after the holiday; 12 October is not soon
    }
    client.force_login(firm.staff.accountant)
    home = client.get(HOME).content.decode()
    assert "1 项工作已逾期" in home and "2 项工作即将到期" in home
    assert TODAY_URL in home
    WorkItem.objects.filter(assignee=firm.staff.accountant).update(status=WorkStatus.DONE)
    home = client.get(HOME).content.decode()
    assert "项工作已逾期" not in home and "项工作即将到期" not in home


def test_every_staff_role_may_open_the_today_list(client, firm):
    for who in ("service", "accountant", "tax", "head", "sales", "admin", "outsider"):
        client.force_login(getattr(firm.staff, who))
        assert client.get(TODAY_URL).status_code == 200
    client.logout()
    assert client.get(TODAY_URL).status_code == 302
