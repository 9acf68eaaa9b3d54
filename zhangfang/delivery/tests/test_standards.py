"""The service standards page (三（三）): the four measures merged per person and per department
with hand-computed figures, the satisfaction target, the role matrix, the pinned query count
and the audited Excel export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.models import AuditEvent
from zhangfang.core.policy import policy_value_set
from zhangfang.delivery.models import CheckStatus, Filing, QualityCheck, WorkStep
from zhangfang.delivery.selectors import metrics, standards
from zhangfang.delivery.selectors.requests import Timeliness
from zhangfang.delivery.services import requests as request_services
from zhangfang.delivery.tests.factories import (
    DoneWorkItemFactory,
    QualitySampleFactory,
    SurveyFactory,
)
from zhangfang.delivery.tests.support import at, make_firm, request_data
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("delivery:service_standards")
EXPORT = reverse("delivery:service_standards_export")
OCT = dt.date(2026, 10, 1)
DUE = dt.date(2026, 11, 16)


# --- merging (no database) ----------------------------------------------------------------------


def test_merge_lines_up_the_tables_by_key():
    tables = {
        "response": {
            "people": [Timeliness(1, "甲", responded=4, in_time=3)],
            "departments": [Timeliness(10, "一部", responded=4, in_time=3)],
        },
        "filing": {
            "people": [
                metrics.Tally(2, "乙", total=3, good=3),
                metrics.Tally(None, "未分派", 1, 0),
            ],
            "departments": [metrics.Tally(10, "一部", total=4, good=3)],
        },
        "quality": {"people": [metrics.Average(1, "甲", 2, Decimal("171"))], "departments": []},
        "satisfaction": {
            "people": [metrics.Tally(1, "甲", total=3, good=2)],
            "departments": [
                metrics.Tally(10, "一部", total=3, good=2),
                metrics.Tally(20, "二部", total=1, good=1),
            ],
        },
    }
    merged = standards.merge(target=Decimal("90"), **tables)
    people = {row.key: row for row in merged["people"]}
    # By name (乙 sorts before 甲, as in the measures), the unassigned last.
    assert [row.key for row in merged["people"]] == [2, 1, None]
    first = people[1]
    assert (first.response_rate, first.filing_rate, first.quality_score) == (
        Decimal("75.0"),
        None,
        Decimal("85.5"),
    )
    assert first.satisfaction_rate == Decimal("66.7") and first.below_target
    assert people[2].filing_rate == Decimal("100.0") and not people[2].below_target
    assert people[2].satisfaction_rate is None and people[2].response is None
    departments = {row.key: row for row in merged["departments"]}
    assert departments[10].filing_rate == Decimal("75.0")
    assert departments[20].satisfaction_rate == Decimal("100.0")
    assert not departments[20].below_target


# --- a firm with a month of work ----------------------------------------------------------------


@pytest.fixture
def firm():
    firm = make_firm()
    tax = firm.staff.tax
    tax2 = UserFactory(username="tax2", name="税务辛", department=firm.d2, roles=["tax"])
    firm.staff.tax2 = tax2
    other = ClientFactory(
        department=firm.d2, tax_specialist=tax2, customer_service=firm.staff.outsider
    )
    firm.other = other
    filing = {"step": WorkStep.FILING, "period": OCT, "due_on": DUE}
    # 税务丙 (服务一部): three returns on time, one late: 75.0 %.
    for kind in (Filing.VAT, Filing.CORPORATE_INCOME_TAX, Filing.STAMP_DUTY):
        DoneWorkItemFactory(client=firm.acme, filing=kind, assignee=tax, **filing)
    DoneWorkItemFactory(
        client=firm.acme,
        filing=Filing.INDIVIDUAL_INCOME_TAX,
        assignee=tax,
        completed_at=at(2026, 11, 17, 9),
        **filing,
    )
    # 税务辛 (服务二部): one on time: 100.0 %.
    DoneWorkItemFactory(client=other, filing=Filing.VAT, assignee=tax2, **filing)
    # 会计乙 checked twice: 90 and 80, mean 85.0.
    sample = QualitySampleFactory(period=OCT, department=firm.d1)
    for score in ("90.0", "80.0"):
        QualityCheck.objects.create(
            sample=sample,
            item=DoneWorkItemFactory(
                client=ClientFactory(department=firm.d1, accountant=firm.staff.accountant),
                period=OCT,
            ),
            reviewee=firm.staff.accountant,
            status=CheckStatus.PASSED,
            score=Decimal(score),
        )
    # Surveys of October: acme 5, 4, 3 (2 of 3 satisfied: 66.7 %), the other client 5 (100 %).
    answered = at(2026, 11, 3, 10)
    for overall in (5, 4, 3):
        SurveyFactory(client=firm.acme, period=OCT, answered_at=answered, overall=overall)
    SurveyFactory(client=firm.acme, period=OCT)  # not answered
    SurveyFactory(client=other, period=OCT, answered_at=answered, overall=5)
    SurveyFactory(client=firm.acme, period=dt.date(2026, 11, 1), answered_at=answered, overall=1)
    # Requests received in October, routed to 客服甲: one answered in time, one late (50.0 %).
    with time_machine.travel(at(2026, 10, 12, 10), tick=False) as clock:
        in_time = request_services.request_register(
            client=firm.acme, data=request_data(), by=firm.staff.service
        )
        late = request_services.request_register(
            client=firm.acme, data=request_data(), by=firm.staff.service
        )
        clock.move_to(at(2026, 10, 12, 11))
        request_services.request_respond(request=in_time, note="已回复", by=firm.staff.service)
        clock.move_to(at(2026, 10, 14, 11))
        request_services.request_respond(request=late, note="已回复", by=firm.staff.service)
    with time_machine.travel(at(2026, 11, 2, 10), tick=False):
        request_services.request_register(
            client=firm.acme, data=request_data(), by=firm.staff.service
        )
    return firm


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 11, 20, 10), tick=False) as traveller:
        yield traveller


def test_service_standards_merge_each_measure_per_person_and_department(firm):
    tables = standards.service_standards(
        user=firm.staff.admin,
        period=OCT,
        target=Decimal("90"),
        now=at(2026, 11, 20, 10),
        today=dt.date(2026, 11, 20),
    )
    people = {row.name: row for row in tables["people"]}
    assert people["税务丙"].filing_rate == Decimal("75.0")
    assert (people["税务丙"].filing.good, people["税务丙"].filing.total) == (3, 4)
    assert people["税务辛"].filing_rate == Decimal("100.0")
    assert people["会计乙"].quality_score == Decimal("85.0")
    service = people["客服甲"]
    assert service.response_rate == Decimal("50.0")
    assert (service.response.responded, service.response.in_time) == (2, 1)
    assert service.satisfaction_rate == Decimal("66.7") and service.below_target
    assert people["客服己"].satisfaction_rate == Decimal("100.0")
    assert not people["客服己"].below_target
    # 会计乙 has one row for all the measures: only a quality score.
    assert people["会计乙"].filing_rate is None and people["会计乙"].satisfaction_rate is None
    departments = {row.name: row for row in tables["departments"]}
    one = departments["服务一部"]
    assert (one.response_rate, one.filing_rate, one.quality_score, one.satisfaction_rate) == (
        Decimal("50.0"),
        Decimal("75.0"),
        Decimal("85.0"),
        Decimal("66.7"),
    )
    two = departments["服务二部"]
    assert (two.response_rate, two.filing_rate, two.quality_score, two.satisfaction_rate) == (
        None,
        Decimal("100.0"),
        None,
        Decimal("100.0"),
    )
    assert len(tables["departments"]) == 2


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("service", 403),
        ("accountant", 403),
        ("tax", 403),
        ("sales", 403),
        ("outsider", 403),
        ("head", 200),
        ("head2", 200),
        ("admin", 200),
    ],
)
def test_role_matrix(client, firm, who, status):
    client.force_login(getattr(firm.staff, who))
    assert client.get(PAGE, {"period": "2026-10"}).status_code == status
    assert client.get(EXPORT, {"period": "2026-10"}).status_code == status


def test_a_head_sees_their_department(client, firm):
    client.force_login(firm.staff.head)
    page = client.get(PAGE, {"period": "2026-10"}).content.decode()
    assert "服务一部" in page and "税务丙" in page
    assert "服务二部" not in page and "税务辛" not in page
    client.force_login(firm.staff.head2)
    page = client.get(PAGE, {"period": "2026-10"}).content.decode()
    assert "服务二部" in page and "服务一部" not in page


def test_page_shows_the_figures_and_flags_satisfaction_below_target(client, firm):
    client.force_login(firm.staff.admin)
    page = client.get(PAGE, {"period": "2026-10"}).content.decode()
    for figure in ("75.0%", "85.0", "66.7%", "50.0%", "100.0%", "—"):
        assert figure in page
    assert page.count("未达标") == 2  # 客服甲 and 服务一部
    assert "目标 90%" in page
    policy_value_set(key="satisfaction_target_percent", raw="60", by=firm.staff.admin)
    page = client.get(PAGE, {"period": "2026-10"}, HTTP_HX_REQUEST="true").content.decode()
    assert "未达标" not in page and "<html" not in page


def test_an_empty_month_says_so(client, firm):
    client.force_login(firm.staff.admin)
    page = client.get(PAGE, {"period": "2025-01"}).content.decode()
    assert "本月没有可统计的数据" in page
    # A malformed month falls back to the default.
    assert client.get(PAGE, {"period": "13-2026"}).status_code == 200


def test_the_page_opens_on_last_month_whose_figures_are_whole(client, firm):
    client.force_login(firm.staff.admin)
    with time_machine.travel(at(2026, 11, 27, 10), tick=False):
        client.force_login(firm.staff.admin)
        page = client.get(PAGE).content.decode()
    assert 'value="2026-10"' in page
    assert "75.0%" in page  # October's figures, as with ?period=2026-10


def test_query_count_is_pinned(client, firm, django_assert_num_queries):
    client.force_login(firm.staff.admin)
    client.get(PAGE, {"period": "2026-10"})
    # session, user, groups; one grouped query per measure.
    with django_assert_num_queries(7):
        client.get(PAGE, {"period": "2026-10"})


def test_export_is_audited_and_holds_both_tables(client, firm):
    client.force_login(firm.staff.admin)
    response = client.get(EXPORT, {"period": "2026-10"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == (
        "类别",
        "名称",
        "响应及时率（%）",
        "按期申报率（%）",
        "质量得分（%）",
        "满意度（%）",
    )
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["客服甲"][0] == "人员"
    assert by_name["客服甲"][2] == 50 and by_name["客服甲"][5] == 66.7
    assert by_name["客服甲"][6] == "未达标"
    assert by_name["服务一部"][0] == "部门" and by_name["服务一部"][3] == 75
    assert by_name["服务二部"][2] == "—"
    event = AuditEvent.objects.get(action="export")
    assert event.actor == firm.staff.admin and "2026-10" in event.object_repr
