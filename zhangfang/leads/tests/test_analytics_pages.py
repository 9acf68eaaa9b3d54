"""The analytics page and its Excel export: roles, charts beside tables, period picker, scope,
audited export, and a query count that does not grow with the number of prospects."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import Prospect, Stage, VisitStatus
from zhangfang.leads.tests.factories import (
    MarketingActivityFactory,
    NegotiationRoundFactory,
    ProspectFactory,
    VisitFactory,
    channel,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE = reverse("leads:analytics")
EXPORT = reverse("leads:analytics_export")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def make_prospects(owner, count, *, code="website", stage=Stage.LEAD):
    made = ProspectFactory.create_batch(count, owner=owner, channel=channel(code), stage=stage)
    return made


@pytest.fixture
def data(sales_firm):
    s = sales_firm.staff
    won = make_prospects(s.sales1, 1, stage=Stage.WON)[0]
    Prospect.objects.filter(pk=won.pk).update(converted_at=NOW)
    VisitFactory(prospect=won, status=VisitStatus.DONE)
    NegotiationRoundFactory(prospect=won)
    make_prospects(s.sales1, 3)
    make_prospects(s.sales3, 2, code="referral", stage=Stage.WON)
    MarketingActivityFactory(
        channel=channel("website"),
        owner=s.sales1,
        starts_on=dt.date(2026, 11, 3),
        ends_on=dt.date(2026, 11, 3),
        cost=Decimal("1234.56"),
    )
    return sales_firm


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("sales1", 200),
        ("head1", 200),
        ("head2", 200),
        ("finance", 200),
        ("admin", 200),
        ("acct1", 403),
    ],
)
def test_role_matrix(client, data, who, status):
    login(client, getattr(data.staff, who))
    assert client.get(PAGE).status_code == status
    assert client.get(EXPORT).status_code == status


def test_anonymous_is_sent_to_login(client, data):
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_page_shows_charts_beside_tables(client, data):
    response = login(client, data.staff.admin).get(PAGE)
    text = response.text
    svgs = re.findall(r"<svg.*?</svg>", text, flags=re.S)
    assert len(svgs) == 4
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.get("aria-label")
    assert "style=" not in "".join(svgs)
    assert "转化漏斗" in text and "各渠道登记与签约" in text and "近 12 个月新增客户" in text
    assert "官方网站" in text and "老客户推荐" in text
    assert "¥1,234.56" in text  # the website channel's activity cost
    assert "¥1,234.56</td>" in text
    assert "25.0%" in text and "50.0%" in text
    total = response.context["report"].channel_total
    assert (total.prospects, total.signed, total.cost_per_signed) == (6, 3, Decimal("411.52"))
    assert "全部新增客户" in text  # administrators see all new clients too


def test_a_salesperson_sees_only_their_numbers(client, data):
    response = login(client, data.staff.sales1).get(PAGE)
    report = response.context["report"]
    assert [row.name for row in report.by_salesperson] == ["业务甲"]
    assert report.channel_total.prospects == 4
    assert "老客户推荐" not in response.text and "全部新增客户" not in response.text


def test_period_picker(client, data):
    login(client, data.staff.admin)
    last_month = client.get(PAGE, {"period": "last_month"})
    assert last_month.context["report"].channel_total.prospects == 0
    assert "2026-10-01 ~ 2026-10-31" in last_month.text
    custom = client.get(PAGE, {"period": "custom", "from": "2026-11-20", "to": "2026-11-20"})
    assert custom.context["report"].channel_total.prospects == 6
    bad = client.get(PAGE, {"period": "custom", "from": "2026-11-21", "to": "2026-11-01"})
    assert "开始日期不能晚于结束日期" in bad.text and "已显示本月的数据" in bad.text


def test_htmx_request_gets_only_the_body(client, data):
    response = login(client, data.staff.admin).get(
        PAGE, {"period": "this_year"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in response.text and 'id="analytics-body"' not in response.text
    assert "<svg" in response.text and "按业务人员" in response.text


def test_export_has_both_funnel_tables_and_is_audited(client, data):
    response = login(client, data.staff.admin).get(EXPORT, {"period": "this_month"})
    assert response.status_code == 200
    assert "20261101-20261130.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("分组", "名称", "登记潜在客户")
    by_name = {(r[0], r[1]): r for r in rows[1:]}
    website = by_name[("渠道", "官方网站")]
    assert website[2:7] == (4, 1, 1, 1, 0)
    assert website[7] == 25 and website[8] == 1234.56 and website[9] == 1234.56
    assert by_name[("渠道", "合计")][2] == 6
    assert by_name[("业务人员", "业务丙")][5] == 2
    assert by_name[("业务人员", "业务丙")][9] == 0
    event = AuditEvent.objects.get(action="export")
    assert event.actor == data.staff.admin and "2026-11-01 ~ 2026-11-30" in event.detail


def test_query_count_does_not_grow_with_prospects(client, sales_firm, django_assert_num_queries):
    s = sales_firm.staff
    login(client, s.admin)

    def build(count):
        for i, p in enumerate(
            ProspectFactory.create_batch(count, owner=s.sales1 if count % 2 else s.sales3)
        ):
            if i % 3 == 0:
                VisitFactory(prospect=p, status=VisitStatus.DONE)
            if i % 4 == 0:
                NegotiationRoundFactory(prospect=p)
        MarketingActivityFactory(
            owner=s.sales1, starts_on=dt.date(2026, 11, 2), ends_on=dt.date(2026, 11, 2)
        )

    build(5)
    client.get(PAGE)  # warm the session
    with django_assert_num_queries(7) as few:
        client.get(PAGE)
    build(35)
    assert Prospect.objects.count() == 40
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(PAGE)
