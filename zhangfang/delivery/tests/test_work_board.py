"""The monthly work board: default period, the grid's cells, each filter, the pinned query count,
the role matrix, bulk start/complete (all or none), generating now and the Excel export."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from zhangfang.clients.models import TaxpayerType
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import Filing, WorkItem, WorkStatus, WorkStep
from zhangfang.delivery.selectors.work_board import default_period, item_url
from zhangfang.delivery.services import work as services
from zhangfang.delivery.services.generation import period_deadline, work_generate
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BOARD = reverse("delivery:work_board")
BULK = reverse("delivery:work_bulk")
GENERATE = reverse("delivery:work_generate")
NOV = dt.date(2026, 11, 1)
# Tuesday 1 December 2026: November's work is under way; its returns are due on 15 December.
# 收票 is due on Friday 4 December (within 3 working days), 做账 on Tuesday 8 December.
NOW = at(2026, 12, 1, 10)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    """make_firm's acme (一般纳税人, 服务一部) plus beta (小规模, 服务一部, another accountant) and
    gamma (服务二部), with November's work generated."""
    firm = make_firm()
    firm.acme.taxpayer_type = TaxpayerType.GENERAL
    firm.acme.save()
    firm.staff.accountant2 = UserFactory(
        username="acc2", name="会计辛", department=firm.d1, roles=["accountant"]
    )
    firm.staff.accountant3 = UserFactory(
        username="acc3", name="会计壬", department=firm.d2, roles=["accountant"]
    )
    firm.beta = ClientFactory(
        name="北京贝塔商贸有限公司",
        short_name="贝塔",
        department=firm.d1,
        accountant=firm.staff.accountant2,
    )
    firm.gamma = ClientFactory(
        name="广州伽马餐饮有限公司",
        short_name="伽马",
        department=firm.d2,
        accountant=firm.staff.accountant3,
    )
    work_generate(period=NOV)
    return firm


def as_user(client, user):
    client.force_login(user)
    return client


def item(c, step, filing=""):
    return WorkItem.objects.get(client=c, period=NOV, step=step, filing=filing)


def page(client, **params) -> str:
    response = client.get(BOARD, params)
    assert response.status_code == 200
    return response.content.decode()


def shown(html: str, firm) -> set[str]:
    return {c.short_name for c in (firm.acme, firm.beta, firm.gamma) if c.name in html}


# --- Default period -----------------------------------------------------------------------------


def test_default_period_is_last_month_until_its_filing_deadline():
    deadline = period_deadline(NOV)  # 15 December 2026
    assert default_period(dt.date(2026, 12, 1)) == NOV
    assert default_period(deadline) == NOV
    assert default_period(deadline + dt.timedelta(days=1)) == dt.date(2026, 12, 1)
    # Early January: December's returns are filed in January.
    assert default_period(dt.date(2027, 1, 4)) == dt.date(2026, 12, 1)


def test_board_opens_on_the_default_period_and_moves_between_periods(client, firm, _clock):
    as_user(client, firm.staff.admin)
    html = page(client)
    assert "所属期 2026-11" in html
    assert "period=2026-10" in html and "period=2026-12" in html
    _clock.move_to(at(2026, 12, 16, 9), tick=False)
    as_user(client, firm.staff.admin)  # the idle session timed out
    html = page(client)
    assert "所属期 2026-12" in html
    assert "本所属期还没有服务工作" in html
    assert firm.acme.name in page(client, period="2026-11")
    # A malformed period falls back to the default rather than failing.
    assert "所属期 2026-12" in page(client, period="garbage")


# --- The grid -----------------------------------------------------------------------------------


def test_grid_shows_each_step_with_status_assignee_due_date_and_colour(client, firm, _clock):
    bookkeeping = item(firm.acme, WorkStep.BOOKKEEPING)
    services.work_complete(item=bookkeeping, by=firm.staff.accountant)
    late = item(firm.acme, WorkStep.ARCHIVE)
    services.work_start(item=late, by=firm.staff.accountant)
    WorkItem.objects.filter(pk=late.pk).update(due_on=dt.date(2026, 11, 30))
    html = page(as_user(client, firm.staff.accountant))
    # 申报 opens into one column per return of the period; the steps keep board order.
    headers = ["收票", "做账", "审核", "出报表", "税款测算", "增值税及附加", "个税扣缴"]
    positions = [html.index(f'class="zf-nowrap">{label}</th>') for label in headers]
    assert positions == sorted(positions)
    assert "财务报表报送</th>" in html and "年度事项</th>" not in html
    assert "按时完成" in html  # 做账, done today before its deadline
    assert "已逾期" in html and "table-danger" in html  # 归档 moved to yesterday, still open
    assert "即将到期" in html  # 收票 due Friday: within 3 working days
    assert "待办" in html
    assert "会计乙" in html and "税务丙" in html and "主管丁" in html
    assert "2026-12-15" in html  # the returns' deadline
    assert item_url(bookkeeping.pk) in html
    # Open steps can be ticked for the bulk bar; finished ones cannot.
    receipts = item(firm.acme, WorkStep.RECEIPTS)
    assert f'name="items" value="{receipts.pk}"' in html
    assert f'name="items" value="{bookkeeping.pk}"' not in html
    summary = html[html.index('id="work-summary"') :]
    total = WorkItem.objects.filter(client=firm.acme, period=NOV).count()
    assert f"本期共 {total} 项工作，已完成 1 项，逾期 1 项，未申报 3 项" in summary


def test_done_after_the_deadline_shows_as_late(client, firm, _clock):
    receipts = item(firm.acme, WorkStep.RECEIPTS)
    WorkItem.objects.filter(pk=receipts.pk).update(
        status=WorkStatus.DONE, completed_at=at(2026, 12, 1, 9), due_on=dt.date(2026, 11, 30)
    )
    html = page(as_user(client, firm.staff.accountant))
    assert "逾期完成" in html and "table-secondary" in html


def test_january_has_a_column_for_the_annual_work(client, firm, _clock):
    _clock.move_to(at(2027, 1, 20, 9), tick=False)
    work_generate(period=dt.date(2027, 1, 1))
    html = page(as_user(client, firm.staff.admin), period="2027-01")
    assert "年度事项</th>" in html
    assert "企业所得税汇算清缴" in html and "工商年报" in html


def test_sorting_by_earliest_overdue(client, firm):
    WorkItem.objects.filter(client=firm.gamma, step=WorkStep.RECEIPTS).update(
        due_on=dt.date(2026, 11, 20)
    )
    WorkItem.objects.filter(client=firm.beta, step=WorkStep.RECEIPTS).update(
        due_on=dt.date(2026, 11, 27)
    )
    as_user(client, firm.staff.admin)
    by_name = page(client)
    # Pinyin order: 贝塔 (bei), 广州 (guang), 深圳 (shen).
    assert by_name.index(firm.beta.name) < by_name.index(firm.gamma.name)
    assert by_name.index(firm.gamma.name) < by_name.index(firm.acme.name)
    by_overdue = page(client, sort="overdue")
    assert by_overdue.index(firm.gamma.name) < by_overdue.index(firm.beta.name)
    assert by_overdue.index(firm.beta.name) < by_overdue.index(firm.acme.name)


# --- Filters ------------------------------------------------------------------------------------


def test_filter_mine(client, firm):
    WorkItem.objects.filter(client=firm.gamma, step=WorkStep.NOTIFY).update(
        assignee=firm.staff.admin
    )
    as_user(client, firm.staff.admin)
    assert shown(page(client), firm) == {firm.acme.short_name, "贝塔", "伽马"}
    assert shown(page(client, mine="1"), firm) == {"伽马"}


def test_filter_my_department(client, firm):
    finance = UserFactory(username="fin", name="财务癸", department=firm.d2, roles=["finance"])
    as_user(client, finance)
    assert shown(page(client, dept="1"), firm) == {"伽马"}
    as_user(client, firm.staff.head)
    assert shown(page(client, dept="1"), firm) == {firm.acme.short_name, "贝塔"}


def test_filter_overdue(client, firm):
    WorkItem.objects.filter(client=firm.acme, step=WorkStep.RECEIPTS).update(
        due_on=dt.date(2026, 11, 30)
    )
    # A done step past its deadline is not overdue.
    WorkItem.objects.filter(client=firm.beta, step=WorkStep.RECEIPTS).update(
        due_on=dt.date(2026, 11, 30), status=WorkStatus.DONE, completed_at=at(2026, 11, 30, 9)
    )
    as_user(client, firm.staff.admin)
    assert shown(page(client, overdue="1"), firm) == {firm.acme.short_name}


def test_filter_not_yet_filed(client, firm):
    WorkItem.objects.filter(client__in=[firm.beta, firm.gamma], step=WorkStep.FILING).update(
        status=WorkStatus.DONE, completed_at=at(2026, 11, 30, 9)
    )
    as_user(client, firm.staff.admin)
    assert shown(page(client, unfiled="1"), firm) == {firm.acme.short_name}


def test_filter_by_return(client, firm):
    as_user(client, firm.staff.admin)
    # Only the 一般纳税人 files VAT monthly; every client withholds individual income tax.
    assert shown(page(client, filing=Filing.VAT), firm) == {firm.acme.short_name}
    assert len(shown(page(client, filing=Filing.INDIVIDUAL_INCOME_TAX), firm)) == 3
    assert len(shown(page(client, filing="bogus"), firm)) == 3


def test_filter_by_assignee_is_for_heads_and_admins(client, firm):
    as_user(client, firm.staff.admin)
    assert shown(page(client, assignee=firm.staff.accountant2.pk), firm) == {"贝塔"}
    html = page(client)
    assert 'name="assignee"' in html and "会计辛" in html
    # An accountant has no such filter: the parameter is ignored.
    as_user(client, firm.staff.accountant2)
    html = page(client, assignee=firm.staff.accountant.pk)
    assert shown(html, firm) == {"贝塔"} and 'name="assignee"' not in html


def test_search_by_name_and_pinyin_and_htmx_fragment(client, firm):
    as_user(client, firm.staff.admin)
    assert shown(page(client, q="贝塔"), firm) == {"贝塔"}
    assert shown(page(client, q="beita"), firm) == {"贝塔"}
    fragment = client.get(BOARD, {"q": "伽马"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and shown(fragment, firm) == {"伽马"}
    assert "没有符合条件的客户" in page(client, q="不存在的客户")


def test_query_count_is_pinned_and_does_not_grow_with_rows(client, firm):
    as_user(client, firm.staff.admin)
    client.get(BOARD)  # warm the per-process calendar and policy caches
    with CaptureQueriesContext(connection) as few:
        client.get(BOARD)
    for _n in range(17):
        ClientFactory(department=firm.d1, accountant=firm.staff.accountant)
    work_generate(period=NOV)
    client.get(BOARD)
    with CaptureQueriesContext(connection) as many:
        response = client.get(BOARD)
    assert response.content.decode().count('<th scope="row"') == 20
    assert len(few) == len(many) <= 12
    with CaptureQueriesContext(connection) as filtered:
        client.get(BOARD, {"overdue": "1", "mine": "1", "q": "测试"}, HTTP_HX_REQUEST="true")
    assert len(filtered) <= 12


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected", "generate"),
    [
        ("accountant", {"顶峰科技"}, 403),
        ("accountant2", {"贝塔"}, 403),
        ("tax", {"顶峰科技"}, 403),
        ("service", {"顶峰科技"}, 403),
        ("sales", {"顶峰科技"}, 403),
        ("head", {"顶峰科技", "贝塔"}, 302),
        ("head2", {"伽马"}, 302),
        ("outsider", set(), 403),
        ("admin", {"顶峰科技", "贝塔", "伽马"}, 302),
    ],
)
def test_role_matrix(client, firm, who, expected, generate):
    expected = {firm.acme.short_name if name == "顶峰科技" else name for name in expected}
    as_user(client, getattr(firm.staff, who))
    assert shown(page(client), firm) == expected
    assert client.post(GENERATE, {"period": "2026-11"}).status_code == generate
    acme_item = item(firm.acme, WorkStep.BOOKKEEPING)
    response = client.post(BULK, {"items": [acme_item.pk], "action": "start"})
    assert response.status_code == (302 if firm.acme.short_name in expected else 404)


def test_anonymous_is_sent_to_login(client, firm):
    response = client.get(BOARD)
    assert response.status_code == 302 and "login" in response["Location"]


# --- Bulk -----------------------------------------------------------------------------------------


def test_bulk_start_and_complete(client, firm):
    as_user(client, firm.staff.accountant)
    ids = [item(firm.acme, WorkStep.BOOKKEEPING).pk, item(firm.acme, WorkStep.STATEMENTS).pk]
    next_url = f"{BOARD}?period=2026-11&overdue=1"
    response = client.post(BULK, {"items": ids, "action": "start", "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url
    assert set(WorkItem.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        WorkStatus.IN_PROGRESS
    }
    response = client.post(BULK, {"items": ids, "action": "complete"}, follow=True)
    assert "已标记完成 2 项工作" in response.content.decode()
    assert WorkItem.objects.filter(pk__in=ids, status=WorkStatus.DONE).count() == 2


def test_bulk_is_all_or_none(client, firm):
    """The bookkeeper may not complete the review: the whole batch is refused, nothing changes."""
    services.work_complete(item=item(firm.acme, WorkStep.BOOKKEEPING), by=firm.staff.accountant)
    statements = item(firm.acme, WorkStep.STATEMENTS)
    review = item(firm.acme, WorkStep.REVIEW)
    as_user(client, firm.staff.accountant)
    response = client.post(
        BULK, {"items": [statements.pk, review.pk], "action": "complete"}, follow=True
    )
    html = response.content.decode()
    assert "未做任何更改" in html and "录入与审核分离" in html
    assert firm.acme.name in html and "审核" in html
    statements.refresh_from_db()
    review.refresh_from_db()
    assert statements.status == review.status == WorkStatus.TODO
    # The head reviews: the same batch goes through.
    as_user(client, firm.staff.head)
    client.post(BULK, {"items": [statements.pk, review.pk], "action": "complete"})
    assert (
        WorkItem.objects.filter(pk__in=[statements.pk, review.pk])
        .filter(status=WorkStatus.DONE)
        .count()
        == 2
    )


def test_bulk_with_an_item_outside_the_scope_is_404_and_changes_nothing(client, firm):
    mine = item(firm.acme, WorkStep.BOOKKEEPING)
    theirs = item(firm.gamma, WorkStep.BOOKKEEPING)
    as_user(client, firm.staff.accountant)
    response = client.post(BULK, {"items": [mine.pk, theirs.pk], "action": "start"})
    assert response.status_code == 404
    assert client.post(BULK, {"items": [99999999], "action": "start"}).status_code == 404
    mine.refresh_from_db()
    assert mine.status == WorkStatus.TODO


def test_bulk_bad_input_and_unsafe_next(client, firm):
    as_user(client, firm.staff.accountant)
    response = client.post(BULK, {"action": "start", "next": f"{BOARD}?q=x"}, follow=True)
    assert "请先勾选要批量处理的工作" in response.content.decode()
    response = client.post(
        BULK,
        {
            "items": [item(firm.acme, WorkStep.BOOKKEEPING).pk],
            "action": "start",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == BOARD
    response = client.post(BULK, {"items": ["x"], "action": "start"}, follow=True)
    assert "所选工作无效" in response.content.decode()
    response = client.post(BULK, {"items": [1], "action": "delete"})
    assert response.status_code == 302
    assert client.get(BULK).status_code == 405


# --- Generate now ---------------------------------------------------------------------------------


def test_generate_now_reports_the_figures(client, firm):
    as_user(client, firm.staff.head)
    response = client.post(
        GENERATE, {"period": "2026-12", "next": f"{BOARD}?period=2026-12"}, follow=True
    )
    html = response.content.decode()
    created = WorkItem.objects.filter(period=dt.date(2026, 12, 1)).count()
    assert created > 0
    assert f"2026-12：新增 {created} 项工作，取消 0 项（3 户客户）" in html
    assert firm.acme.name in html  # back on December's board
    response = client.post(GENERATE, {"period": "2026-12"}, follow=True)
    assert "新增 0 项工作" in response.content.decode()
    response = client.post(GENERATE, {"period": "nonsense"}, follow=True)
    assert "请选择有效的所属期" in response.content.decode()


def test_generate_button_is_for_heads_only(client, firm):
    assert "立即生成本期工作" in page(as_user(client, firm.staff.head))
    assert "立即生成本期工作" not in page(as_user(client, firm.staff.accountant))


# --- Export -------------------------------------------------------------------------------------


def test_export_is_the_filtered_board_and_is_audited(client, firm):
    as_user(client, firm.staff.head)
    response = client.get(BOARD, {"export": "xlsx", "filing": Filing.VAT})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("客户", "部门", "收票")
    assert "增值税及附加" in rows[0]
    assert [row[0] for row in rows[1:]] == [firm.acme.name]
    assert "会计乙" in rows[1][rows[0].index("做账")]
    event = AuditEvent.objects.get(action="export", object_type="delivery.workitem")
    assert event.actor == firm.staff.head and "2026-11" in event.detail
