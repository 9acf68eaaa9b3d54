"""Quality spot check pages: the role matrix (404 outside the department), the checklist with its
version lock, drawing a sample, scoring a check, the rectification pages, the score table, the
home panel and pinned query counts of the lists."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import (
    ChecklistItem,
    CheckStatus,
    QualityCheck,
    QualitySample,
    Rectification,
    RectificationStatus,
    SampleMethod,
    WorkStep,
)
from zhangfang.delivery.services import quality as services
from zhangfang.delivery.tests.factories import ChecklistItemFactory, DoneWorkItemFactory
from zhangfang.delivery.tests.support import at, make_firm

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
NOW = at(2026, 11, 16, 10)

SAMPLES = reverse("delivery:quality_sample_list")
DRAW = reverse("delivery:quality_sample_create")
CHECKLIST = reverse("delivery:quality_checklist")
CHECKLIST_NEW = reverse("delivery:quality_checklist_create")
RECTIFICATIONS = reverse("delivery:rectification_list")
SCORES = reverse("delivery:quality_scores")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_firm()


def as_user(client, firm, who: str):
    client.force_login(getattr(firm.staff, who))
    return client


def done_work(firm, n: int, person=None) -> None:
    for _ in range(n):
        c = ClientFactory(department=firm.d1, accountant=person or firm.staff.accountant)
        DoneWorkItemFactory(client=c, period=OCT, step=WorkStep.BOOKKEEPING)


def items() -> list[ChecklistItem]:
    ChecklistItem.objects.update(active=False)
    return [
        ChecklistItemFactory(name="凭证", max_score=10),
        ChecklistItemFactory(name="科目", max_score=20),
    ]


def sample_of(firm, n: int = 1) -> QualitySample:
    done_work(firm, n)
    return services.quality_sample_draw(
        period=OCT,
        department=firm.d1,
        method=SampleMethod.COUNT,
        amount=n,
        seed=5,
        by=firm.staff.head,
    )


def rectified(firm, findings: str = "问题一") -> QualityCheck:
    v, s = items()
    check = sample_of(firm).checks.get()
    services.quality_check_record(
        check=check, scores={v.pk: 5, s.pk: 5}, findings=findings, by=firm.staff.head
    )
    return check


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def check_url(check) -> str:
    return reverse("delivery:quality_check", args=[check.pk])


def rect_url(r) -> str:
    return reverse("delivery:rectification_detail", args=[r.pk])


def action_url(r, action: str) -> str:
    return reverse("delivery:rectification_action", args=[r.pk, action])


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "samples", "draw", "sample", "check", "checklist", "scores", "rects", "rect"),
    [
        ("head", 200, 200, 200, 200, 200, 200, 200, 200),
        ("admin", 200, 200, 200, 200, 200, 200, 200, 200),
        ("head2", 200, 200, 404, 404, 200, 200, 200, 404),
        ("accountant", 403, 403, 403, 403, 403, 403, 200, 200),
        ("service", 403, 403, 403, 403, 403, 403, 200, 404),
        ("sales", 403, 403, 403, 403, 403, 403, 200, 404),
    ],
)
def test_role_matrix(
    client, firm, who, samples, draw, sample, check, checklist, scores, rects, rect
):
    qc = rectified(firm)
    r = qc.rectifications.get()
    as_user(client, firm, who)
    assert client.get(SAMPLES).status_code == samples
    assert client.get(DRAW).status_code == draw
    assert (
        client.get(reverse("delivery:quality_sample_detail", args=[qc.sample_id])).status_code
        == sample
    )
    assert client.get(check_url(qc)).status_code == check
    assert client.get(CHECKLIST).status_code == checklist
    assert client.get(SCORES + "?period=2026-10").status_code == scores
    assert client.get(RECTIFICATIONS).status_code == rects
    assert client.get(rect_url(r)).status_code == rect
    listing = client.get(RECTIFICATIONS).content.decode()
    assert ("问题一" in listing) == (rect == 200)
    if who == "head2":
        assert qc.item.client.name not in client.get(SAMPLES).content.decode()
        assert client.post(action_url(r, "verify"), {"verify-passed": "1"}).status_code == 404


def test_the_checklist_is_edited_only_by_administrators(client, firm):
    item = ChecklistItem.objects.filter(active=True).first()
    as_user(client, firm, "head")
    page = client.get(CHECKLIST).content.decode()
    assert item.name in page and CHECKLIST_NEW not in page
    assert client.get(CHECKLIST_NEW).status_code == 403
    edit = reverse("delivery:quality_checklist_edit", args=[item.pk])
    assert client.get(edit).status_code == 403


def test_an_administrator_adds_edits_and_deactivates_with_a_version_lock(client, firm):
    as_user(client, firm, "admin")
    data = {"name": "税表一致", "description": "申报表与账一致", "max_score": 12, "position": 1}
    response = client.post(CHECKLIST_NEW, {**data, "active": "on"})
    assert response.status_code == 302
    item = ChecklistItem.objects.get(name="税表一致")
    edit = reverse("delivery:quality_checklist_edit", args=[item.pk])
    # Unticking 启用 deactivates the line.
    assert client.post(edit, {**data, "version": 1}).status_code == 302
    item.refresh_from_db()
    assert not item.active and item.version == 2
    # A save based on version 1 is refused, and what was typed is kept.
    stale = client.post(edit, {**data, "max_score": 30, "version": 1})
    assert stale.status_code == 200
    assert "其他人已修改" in stale.content.decode() and 'value="30"' in stale.content.decode()
    item.refresh_from_db()
    assert item.max_score == 12
    assert client.post(CHECKLIST_NEW, {**data, "max_score": 0}).status_code == 200
    assert AuditEvent.objects.filter(object_type="delivery.checklistitem").count() == 2


# --- Drawing a sample ---------------------------------------------------------------------------


def test_a_head_draws_a_sample_and_sees_its_seed(client, firm):
    done_work(firm, 4)
    as_user(client, firm, "head")
    form = client.get(DRAW).content.decode()
    assert firm.d1.name in form and firm.d2.name not in form
    response = client.post(
        DRAW,
        {"period": "2026-10", "department": firm.d1.pk, "method": "percent", "amount": 50},
        follow=True,
    )
    sample = QualitySample.objects.get()
    assert sample.checks.count() == 2 and sample.period == OCT
    page = response.content.decode()
    assert str(sample.seed) in page and "0/2" in page


def test_drawing_for_another_department_or_an_empty_month_is_refused(client, firm):
    done_work(firm, 2)
    as_user(client, firm, "head")
    other = client.post(
        DRAW, {"period": "2026-10", "department": firm.d2.pk, "method": "count", "amount": 1}
    )
    assert other.status_code == 200 and not QualitySample.objects.exists()
    empty = client.post(
        DRAW, {"period": "2026-09", "department": firm.d1.pk, "method": "count", "amount": 1}
    )
    assert "没有已完成的做账工作" in empty.content.decode()
    too_much = client.post(
        DRAW, {"period": "2026-10", "department": firm.d1.pk, "method": "percent", "amount": 150}
    )
    assert too_much.status_code == 200
    assert not QualitySample.objects.exists()


def test_the_sample_list_pins_its_queries_and_shows_progress(
    client, firm, django_assert_max_num_queries
):
    sample_of(firm, 2)
    as_user(client, firm, "head")
    client.get(SAMPLES)  # warm per-session caches
    one_row = queries(client, SAMPLES)
    for _ in range(2):
        sample_of(firm, 2)
    with django_assert_max_num_queries(12):
        response = client.get(SAMPLES)
    assert queries(client, SAMPLES) == one_row  # does not grow with rows
    page = response.content.decode()
    assert page.count("0/2") == 3
    detail = client.get(
        reverse("delivery:quality_sample_detail", args=[QualitySample.objects.first().pk])
    )
    assert detail.content.decode().count("待检查") >= 2


# --- Scoring a check ----------------------------------------------------------------------------


def test_scoring_a_check_on_its_page(client, firm):
    v, s = items()
    check = sample_of(firm).checks.get()
    as_user(client, firm, "head")
    page = client.get(check_url(check)).content.decode()
    assert check.item.client.name in page and "凭证（0–10）" in page
    bad = client.post(check_url(check), {f"score_{v.pk}": 11, f"score_{s.pk}": 5})
    assert bad.status_code == 422
    check.refresh_from_db()
    assert check.status == CheckStatus.PENDING
    response = client.post(
        check_url(check),
        {f"score_{v.pk}": 9, f"score_{s.pk}": 18, "findings": "银行未对账\n缺发票"},
        follow=True,
    )
    check.refresh_from_db()
    assert check.status == CheckStatus.RECTIFY and str(check.score) == "90.0"
    page = response.content.decode()
    assert "90.0%" in page and "银行未对账" in page and "缺发票" in page
    # Recording again is refused.
    again = client.post(check_url(check), {f"score_{v.pk}": 1, f"score_{s.pk}": 1}, follow=True)
    assert "不能重复录入" in again.content.decode()
    assert Rectification.objects.count() == 2


def test_a_head_cannot_score_their_own_work_on_the_page(client, firm):
    v, s = items()
    done_work(firm, 1, person=firm.staff.head)
    sample = services.quality_sample_draw(
        period=OCT, department=firm.d1, method="count", amount=1, seed=1, by=firm.staff.admin
    )
    check = sample.checks.get()
    as_user(client, firm, "head")
    assert "须由其他负责人检查" in client.get(check_url(check)).content.decode()
    client.post(check_url(check), {f"score_{v.pk}": 1, f"score_{s.pk}": 1})
    check.refresh_from_db()
    assert check.status == CheckStatus.PENDING


# --- Rectifications -----------------------------------------------------------------------------


def test_the_assignee_marks_done_and_the_head_sends_back_then_passes(client, firm):
    check = rectified(firm)
    r = check.rectifications.get()
    as_user(client, firm, "accountant")
    assert "整改完成" in client.get(rect_url(r)).content.decode()
    assert client.post(action_url(r, "done"), {"done-note": ""}).status_code == 422
    assert client.post(action_url(r, "done"), {"done-note": "已补"}).status_code == 302
    # The assignee cannot re-check their own rectification.
    client.post(action_url(r, "verify"), {"verify-passed": "1"})
    r.refresh_from_db()
    assert r.status == RectificationStatus.DONE

    as_user(client, firm, "head")
    no_comment = client.post(action_url(r, "verify"), {"verify-passed": "0"})
    assert no_comment.status_code == 422 and "复查意见" in no_comment.content.decode()
    client.post(action_url(r, "verify"), {"verify-passed": "0", "verify-comment": "不完整"})
    r.refresh_from_db()
    assert r.status == RectificationStatus.OPEN

    as_user(client, firm, "accountant")
    # The person reworking it reads why it came back on the task itself.
    page = client.get(reverse("delivery:rectification_detail", args=[r.pk])).content.decode()
    assert "复查意见" in page and "不完整" in page
    client.post(action_url(r, "done"), {"done-note": "补全了"})
    as_user(client, firm, "head")
    client.post(action_url(r, "verify"), {"verify-passed": "1"})
    r.refresh_from_db()
    check.refresh_from_db()
    assert r.status == RectificationStatus.VERIFIED and check.status == CheckStatus.CLOSED


def test_the_rectification_list_filters_marks_overdue_and_pins_queries(
    client, firm, django_assert_max_num_queries, _clock
):
    _clock.move_to(at(2026, 11, 2, 10))
    check = rectified(firm, findings="甲问题\n乙问题\n丙问题")
    _clock.move_to(NOW)  # two weeks later: all three are past their deadline
    first = check.rectifications.order_by("id").first()
    services.rectification_done(rectification=first, note="已改", by=firm.staff.accountant)
    as_user(client, firm, "accountant")
    client.get(RECTIFICATIONS)
    with django_assert_max_num_queries(12):
        page = client.get(RECTIFICATIONS).content.decode()
    three_rows = queries(client, RECTIFICATIONS)
    more = services.quality_sample_draw(
        period=OCT, department=firm.d1, method="count", amount=5, seed=3, by=firm.staff.head
    )
    scores = {i.pk: 1 for i in ChecklistItem.objects.filter(active=True)}
    for qc in more.checks.filter(status=CheckStatus.PENDING):
        services.quality_check_record(
            check=qc, scores=scores, findings="丁\n戊", by=firm.staff.head
        )
    assert Rectification.objects.count() > 3
    assert queries(client, RECTIFICATIONS) == three_rows
    assert page.count("已逾期") == 2 + 1  # two rows, plus the filter's label
    only_open = client.get(RECTIFICATIONS + "?status=open").content.decode()
    assert "甲问题" not in only_open and "乙问题" in only_open
    overdue = client.get(RECTIFICATIONS + "?overdue=1", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in overdue and "丙问题" in overdue and "甲问题" not in overdue


# --- Scores and home ----------------------------------------------------------------------------


def test_the_score_table_uses_the_mean_per_person_and_counts_open_rectifications(client, firm):
    v, s = items()
    sample = sample_of(firm, 2)
    a, b = sample.checks.order_by("id")
    services.quality_check_record(
        check=a, scores={v.pk: 10, s.pk: 20}, findings="", by=firm.staff.head
    )
    services.quality_check_record(
        check=b, scores={v.pk: 5, s.pk: 10}, findings="x", by=firm.staff.head
    )
    as_user(client, firm, "head")
    page = client.get(SCORES + "?period=2026-10").content.decode()
    assert "75.0%" in page  # (100 + 50) / 2
    assert firm.staff.accountant.name in page and firm.d1.name in page
    assert '<td class="text-end text-danger">1</td>' in page
    empty = client.get(SCORES + "?period=2026-09").content.decode()
    assert "75.0%" not in empty


def test_the_home_panel_shows_my_open_rectifications(client, firm):
    rectified(firm, findings="甲\n乙")
    as_user(client, firm, "accountant")
    page = client.get(reverse("core:home")).content.decode()
    assert "2 项整改待完成" in page
    as_user(client, firm, "head2")
    assert "项整改待完成" not in client.get(reverse("core:home")).content.decode()
