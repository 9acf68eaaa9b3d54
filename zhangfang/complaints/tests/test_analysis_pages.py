"""The complaint analysis page and its Excel export: role matrix, a head's fixed department,
the period in the URL, offline SVG charts, the audited multi-sheet export and pinned query
counts. The figures themselves are checked in ``test_analysis_figures.py``."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.complaints.models import ComplaintCategory, RootCause, Severity
from zhangfang.complaints.selectors import analysis as selectors
from zhangfang.complaints.tests.factories import ComplaintFactory
from zhangfang.complaints.tests.factories_analysis import NOW, at, build_firm, closed_complaint
from zhangfang.core.models import AuditEvent
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("complaints:analysis")
EXPORT = reverse("complaints:analysis_export")
Q4 = {"period": "quarter", "month": "2026-10"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def firm():
    return build_firm()


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("head1", 200),
        ("head2", 200),
        ("acc1", 403),
        ("service", 403),
        ("finance", 403),
        ("sales", 403),
    ],
)
def test_role_matrix(client, firm, who, status):
    login(client, getattr(firm.staff, who))
    assert client.get(PAGE, Q4).status_code == status
    assert client.get(EXPORT, Q4).status_code == status


def test_anonymous_is_sent_to_login(client, firm):
    for url in (PAGE, EXPORT):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_head_without_a_department_is_refused(client, firm):
    headless = UserFactory(username="head0", department=None, roles=["dept_head"])
    login(client, headless)
    assert client.get(PAGE).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_admin_page_shows_figures_and_offline_charts(client, firm):
    response = login(client, firm.staff.admin).get(PAGE, Q4)
    assert response.status_code == 200
    text = response.text
    assert "2026年第4季度" in text and "2026-10-01 ~ 2026-12-31" in text
    assert re.search(r'id="figure-received">6<', text)
    assert re.search(r'id="figure-closed">3<', text)
    assert re.search(r'id="figure-open">3<', text) and "其中逾期 1 件" in text
    assert re.search(r'id="figure-timeliness">75.0%<', text)
    assert "平均 2.3 · 中位 2.0" in text and "自然日：平均 4.7 · 中位 3.0" in text
    svgs = re.findall(r"<svg.*?</svg>", text, flags=re.S)
    # Categories, departments, months and root causes.
    assert len(svgs) == 4
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.get("aria-label")
    assert "style=" not in "".join(svgs)
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", text)
    assert "投诉类别分布" in text and "根本原因分布" in text and "近 12 个月投诉趋势" in text
    # The repeat clients link to the client's page; corrective actions are listed.
    assert f'href="{reverse("clients:detail", args=[firm.gamma.pk])}"' in text
    assert "收费前书面确认服务范围" in text and "申报前增加复核" in text
    assert "本期间投诉两次及以上的客户：2 家" in text
    assert "上一件投诉关闭后 90 天内再次投诉：3 件" in text


def test_a_head_sees_only_their_department(client, firm):
    login(client, firm.staff.head1)
    # The department in the URL is ignored: a head's filter is fixed to their own.
    response = client.get(PAGE, {**Q4, "department": firm.d2.pk})
    report = response.context["report"]
    assert report.scope.department_id == firm.d1.pk and report.scope.fixed
    assert report.headline.received == 3 and report.headline.closed == 2
    assert [row.name for row in report.by_department] == ["服务一部"]
    text = response.text
    assert "丙公司" not in text and "李会计" not in text and "服务二部" not in text
    assert "甲公司" in text and "张会计" in text
    assert 'name="department"' not in text  # no department picker for a head


def test_an_admin_may_pick_a_department(client, firm):
    login(client, firm.staff.admin)
    report = client.get(PAGE, {**Q4, "department": firm.d2.pk}).context["report"]
    assert report.department_name == "服务二部"
    assert (report.headline.received, report.headline.closed) == (3, 1)
    assert [r.name for r in report.repeat_clients] == ["丙公司"]
    # An unknown department is ignored like any malformed filter: the whole firm.
    whole = client.get(PAGE, {**Q4, "department": 999999}).context["report"]
    assert whole.scope.department_id is None and whole.headline.received == 6


def test_the_period_stays_in_the_url(client, firm):
    login(client, firm.staff.admin)
    default = client.get(PAGE)
    assert default.context["report"].period.label == "2026-11-01 ~ 2026-11-30"
    custom = client.get(PAGE, {"period": "custom", "from": "2026-10-01", "to": "2026-10-31"})
    report = custom.context["report"]
    assert report.headline.received == 2 and report.headline.closed == 2
    assert "period=custom" in custom.context["query"]
    assert "period=custom&amp;from=2026-10-01&amp;to=2026-10-31" in custom.text  # export link
    bad = client.get(PAGE, {"period": "custom", "from": "2026-11-21", "to": "2026-11-01"})
    assert "开始日期不能晚于结束日期" in bad.text and "已显示上月的数据" in bad.text


def test_htmx_request_gets_only_the_body(client, firm):
    response = login(client, firm.staff.admin).get(PAGE, Q4, headers={"HX-Request": "true"})
    assert "<html" not in response.text and 'id="analysis-body"' not in response.text
    assert "<svg" in response.text and "按涉及人员" in response.text
    # The custom dates outside the swapped body follow the new period (out-of-band swap); they
    # kept showing the previous period's dates before.
    assert 'id="id_from" name="from" value="2026-10-01" hx-swap-oob="true"' in response.text
    assert 'id="id_to" name="to" value="2026-12-31" hx-swap-oob="true"' in response.text


def sheet_rows(workbook, title):
    return list(workbook[title].iter_rows(values_only=True))


def test_export_has_a_sheet_per_section_and_is_audited(client, firm):
    response = login(client, firm.staff.admin).get(EXPORT, Q4)
    assert response.status_code == 200
    assert "20261001-20261231.xlsx" in response["Content-Disposition"]
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == [
        "概况",
        "按类别",
        "按严重程度",
        "按部门",
        "按人员",
        "按月份",
        "根本原因",
        "重复投诉客户",
        "关闭后再次投诉",
        "纠正措施",
    ]
    summary = dict(sheet_rows(book, "概况")[1:])
    assert summary["统计期间"] == "2026-10-01 ~ 2026-12-31" and summary["范围"] == "全公司"
    assert (summary["受理投诉"], summary["本期关闭"], summary["尚未处理完毕"]) == (6, 3, 3)
    assert summary["处理及时率（%）"] == 75
    assert summary["平均解决时长（工作日）"] == pytest.approx(2.3)
    assert summary["解决时长中位数（自然日）"] == 3
    assert sheet_rows(book, "按类别")[:2] == [
        ("投诉类别", "投诉数", "占比（%）"),
        ("收费争议", 2, 33.3),
    ]
    departments = sheet_rows(book, "按部门")
    assert departments[1] == ("服务一部", 3, 2, 1, 2, 1, 50, 2.5, 6)
    assert departments[2] == ("服务二部", 3, 1, 2, 2, 2, 100, 2, 2)
    assert sheet_rows(book, "按人员")[1] == ("张会计", 3, "服务态度 1、账务差错 1、申报延误 1")
    months = dict((row[0], row[1:]) for row in sheet_rows(book, "按月份")[1:])
    assert months["2026-10"] == (2, 2) and len(months) == 12
    assert sheet_rows(book, "根本原因")[1] == ("人员业务能力不足", 1, 33.3)
    repeat = sheet_rows(book, "重复投诉客户")
    assert repeat[1][:3] == ("丙公司", 3, "收费争议 2、响应不及时 1")
    assert repeat[1][3] == dt.datetime(2026, 12, 8)
    again = sheet_rows(book, "关闭后再次投诉")
    assert [row[0] for row in again[1:]] == ["TS-C6", "TS-C3", "TS-C2"]
    assert again[1][4:] == ("TS-C5", dt.datetime(2026, 12, 3), 5)
    actions = sheet_rows(book, "纠正措施")
    assert actions[0][:6] == (
        "投诉编号",
        "客户名称",
        "责任部门",
        "投诉类别",
        "根本原因",
        "纠正措施",
    )
    assert actions[3] == (
        "TS-C1",
        "甲公司",
        "服务一部",
        "申报延误",
        "流程或制度缺陷",
        "申报前增加复核",
        dt.datetime(2026, 9, 30),
        dt.datetime(2026, 10, 9),
        2,
        9,
    )
    event = AuditEvent.objects.get(action="export", object_type="complaints.complaint")
    assert event.actor == firm.staff.admin
    assert "2026-10-01 ~ 2026-12-31" in event.detail and "全公司" in event.detail


def test_a_heads_export_has_only_their_department(client, firm):
    response = login(client, firm.staff.head2).get(EXPORT, {**Q4, "department": firm.d1.pk})
    book = load_workbook(BytesIO(response.content))
    summary = dict(sheet_rows(book, "概况")[1:])
    assert summary["范围"] == "服务二部" and summary["受理投诉"] == 3
    assert [row[0] for row in sheet_rows(book, "按部门")[1:]] == ["服务二部"]
    assert [row[0] for row in sheet_rows(book, "纠正措施")[1:]] == ["TS-C5"]
    assert "服务二部" in AuditEvent.objects.get(action="export").detail


def test_the_page_caps_long_lists_and_the_export_has_them_all(client, firm, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_CAP", 2)
    login(client, firm.staff.admin)
    response = client.get(PAGE, Q4)
    report = response.context["report"]
    assert [c.number for c in report.closed_cases] == ["TS-C5", "TS-C2"]
    assert report.closed_total == 3
    assert "页面显示最近关闭的 2 件（共 3 件）" in response.text
    assert "页面显示最近的 2 件，全部请导出 Excel。" in response.text  # 3 complaints again
    assert "页面显示投诉次数最多的 2 家" not in response.text  # only 2 repeat clients
    book = load_workbook(BytesIO(client.get(EXPORT, Q4).content))
    assert len(sheet_rows(book, "纠正措施")) == 4
    assert len(sheet_rows(book, "关闭后再次投诉")) == 4


def add_complaints(firm, count):
    """``count`` more complaints over both departments, clients, people and months."""
    departments = [firm.d1, firm.d2]
    people = [firm.staff.acc1, firm.staff.acc2, None]
    categories = list(ComplaintCategory.values)
    for i in range(count):
        department = departments[i % 2]
        acme = ClientFactory(department=department)
        received = at(2026, 10 + i % 3, 1 + i % 27, 9, 0)
        fields = {
            "client": acme,
            "department": department,
            "category": categories[i % len(categories)],
            "severity": list(Severity.values)[i % 3],
            "staff_involved": people[i % 3],
        }
        if i % 2:
            closed_complaint(
                received=received,
                closed=received + dt.timedelta(days=3),
                root_cause=list(RootCause.values)[i % 8],
                **fields,
            )
        else:
            ComplaintFactory(received_at=received, due_on=received.date(), **fields)
        # A second complaint of the same client: a repeat client, sometimes "again".
        ComplaintFactory(received_at=received + dt.timedelta(days=20), **fields)


@pytest.mark.parametrize("who", ["admin", "head1"])
def test_query_count_does_not_grow_with_complaints(client, firm, who, django_assert_num_queries):
    login(client, getattr(firm.staff, who))
    client.get(PAGE, Q4)  # warm the session and the calendar
    # Session, user, roles; departments; then one query per section: departments and
    # headline, closed rows, received breakdown, months, repeat clients, again.
    with django_assert_num_queries(10):
        client.get(PAGE, Q4)
    # The export adds the audit event.
    with django_assert_num_queries(11):
        client.get(EXPORT, Q4)
    add_complaints(firm, 15)
    client.get(PAGE, Q4)  # the calendar of any new dates
    with django_assert_num_queries(10):
        response = client.get(PAGE, Q4)
    assert response.context["report"].headline.received > 6
    with django_assert_num_queries(11):
        client.get(EXPORT, Q4)


def test_a_month_of_a_department_reads_like_the_quarter_cut(client, firm):
    # November alone for 服务一部: C3 and C4 received, nothing closed.
    login(client, firm.staff.admin)
    report = client.get(
        PAGE, {"period": "month", "month": "2026-11", "department": firm.d1.pk}
    ).context["report"]
    h = report.headline
    assert (h.received, h.closed, h.still_open, h.overdue, h.handled, h.on_time) == (
        2,
        0,
        1,
        1,
        1,
        0,
    )
    assert h.timeliness_rate == Decimal("0.0") and h.avg_working_days is None


def test_an_empty_period_says_so(client, firm):
    response = login(client, firm.staff.admin).get(PAGE, {"period": "year", "month": "2020-01"})
    assert response.status_code == 200
    assert "2020年" in response.text and "本期间没有受理投诉。" in response.text
    assert "本期间没有关闭的投诉。" in response.text and "暂无数据" in response.text
    book = load_workbook(
        BytesIO(client.get(EXPORT, {"period": "year", "month": "2020-01"}).content)
    )
    assert dict(sheet_rows(book, "概况")[1:])["受理投诉"] == 0
