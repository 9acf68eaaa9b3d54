"""Quality spot check services: reproducible sampling, scoring, findings becoming rectifications
due in working days, the rectification workflow and the checklist's version lock."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
import time_machine

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import (
    ChecklistItem,
    CheckStatus,
    QualityCheck,
    QualitySample,
    QualityScore,
    Rectification,
    RectificationStatus,
    SampleMethod,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services import quality as services
from zhangfang.delivery.services.quality import draw, sample_size
from zhangfang.delivery.tests.factories import ChecklistItemFactory, DoneWorkItemFactory
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.notifications.models import Notification
from zhangfang.staff.tests.factories import UserFactory

OCT = dt.date(2026, 10, 1)


@pytest.fixture
def firm():
    firm = make_firm()
    firm.staff.acc2 = UserFactory(
        username="acc2", name="会计辛", department=firm.d1, roles=["accountant"]
    )
    return firm


def done_work(firm, person, n: int, *, department=None, period=OCT) -> list[int]:
    """``n`` clients of ``department`` whose bookkeeping for ``period`` ``person`` finished."""
    ids = []
    for _ in range(n):
        c = ClientFactory(department=department or firm.d1, accountant=person)
        ids.append(DoneWorkItemFactory(client=c, period=period, step=WorkStep.BOOKKEEPING).pk)
    return ids


def two_items() -> list[ChecklistItem]:
    """A checklist of two lines (10 and 20 points) instead of the migration's defaults."""
    ChecklistItem.objects.update(active=False)
    return [
        ChecklistItemFactory(name="凭证", max_score=10),
        ChecklistItemFactory(name="科目", max_score=20),
    ]


def one_check(firm, person=None) -> QualityCheck:
    done_work(firm, person or firm.staff.accountant, 1)
    sample = services.quality_sample_draw(
        period=OCT,
        department=firm.d1,
        method=SampleMethod.COUNT,
        amount=1,
        seed=7,
        by=firm.staff.head,
    )
    return sample.checks.get()


# --- The pure draw ------------------------------------------------------------------------------


def test_draw_is_reproducible_and_ignores_the_order_of_candidates():
    candidates = {1: list(range(100, 150)), 2: list(range(200, 230))}
    first = draw(candidates, SampleMethod.COUNT, 5, 42)
    shuffled = {
        person: random.Random(9).sample(ids, len(ids)) for person, ids in candidates.items()
    }
    assert draw(shuffled, SampleMethod.COUNT, 5, 42) == first
    assert {person: len(ids) for person, ids in first.items()} == {1: 5, 2: 5}
    assert set(first[1]) <= set(candidates[1])


def test_a_different_seed_draws_differently():
    candidates = {1: list(range(100, 150))}
    assert draw(candidates, SampleMethod.COUNT, 5, 42) != draw(
        candidates, SampleMethod.COUNT, 5, 43
    )


def test_one_persons_draw_does_not_depend_on_anyone_else():
    alone = draw({1: list(range(50))}, SampleMethod.COUNT, 3, 8)
    together = draw({1: list(range(50)), 2: list(range(60, 90))}, SampleMethod.COUNT, 3, 8)
    assert together[1] == alone[1]


@pytest.mark.parametrize(
    ("n", "method", "amount", "expected"),
    [
        (7, SampleMethod.PERCENT, 10, 1),  # 0.7 rounds up: everyone with work is checked
        (11, SampleMethod.PERCENT, 10, 2),  # 1.1 rounds up
        (20, SampleMethod.PERCENT, 10, 2),
        (3, SampleMethod.PERCENT, 100, 3),
        (3, SampleMethod.COUNT, 5, 3),  # capped at what there is
        (10, SampleMethod.COUNT, 4, 4),
    ],
)
def test_sample_size(n, method, amount, expected):
    assert sample_size(n, method, amount) == expected
    drawn = draw({1: list(range(n))}, method, amount, 1)
    assert len(drawn[1]) == expected


# --- Drawing through the service ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_seed_draws_the_same_work_and_opens_a_pending_check_each(firm):
    acc_items = done_work(firm, firm.staff.accountant, 11)
    acc2_items = done_work(firm, firm.staff.acc2, 3)
    kwargs = dict(period=OCT, department=firm.d1, method=SampleMethod.PERCENT, amount=10, seed=99)
    first = services.quality_sample_draw(**kwargs, by=firm.staff.head)
    second = services.quality_sample_draw(**kwargs, by=firm.staff.admin)
    first_items = sorted(first.checks.values_list("item_id", flat=True))
    assert first_items == sorted(second.checks.values_list("item_id", flat=True))
    checks = list(first.checks.all())
    # 10% of 11 rounds up to 2, 10% of 3 to 1.
    assert sorted(c.reviewee_id for c in checks) == sorted(
        [firm.staff.accountant.pk] * 2 + [firm.staff.acc2.pk]
    )
    assert {c.status for c in checks} == {CheckStatus.PENDING}
    assert all(c.item_id in acc_items + acc2_items for c in checks)
    assert first.seed == 99 and first.drawn_by == firm.staff.head
    assert (
        AuditEvent.objects.filter(object_type="delivery.qualitysample", action="create").count()
        == 2
    )


@pytest.mark.django_db
def test_without_a_seed_a_random_one_is_stored_and_reproduces_the_draw(firm):
    done_work(firm, firm.staff.accountant, 20)
    kwargs = dict(period=OCT, department=firm.d1, method=SampleMethod.COUNT, amount=3)
    sample = services.quality_sample_draw(**kwargs, by=firm.staff.head)
    assert sample.seed > 0
    again = services.quality_sample_draw(**kwargs, seed=sample.seed, by=firm.staff.head)
    assert set(sample.checks.values_list("item_id", flat=True)) == set(
        again.checks.values_list("item_id", flat=True)
    )


@pytest.mark.django_db
def test_the_population_is_the_departments_done_bookkeeping_of_the_period(firm):
    mine = done_work(firm, firm.staff.accountant, 2)
    done_work(firm, firm.staff.accountant, 2, department=firm.d2)  # another department
    done_work(firm, firm.staff.accountant, 2, period=dt.date(2026, 9, 1))  # another period
    DoneWorkItemFactory(client=firm.acme, period=OCT, step=WorkStep.FILING, filing="iit")
    c = ClientFactory(department=firm.d1, accountant=firm.staff.accountant)
    DoneWorkItemFactory(client=c, period=OCT, status=WorkStatus.IN_PROGRESS, completed_by=None)
    sample = services.quality_sample_draw(
        period=OCT, department=firm.d1, method=SampleMethod.COUNT, amount=10, by=firm.staff.head
    )
    assert sorted(sample.checks.values_list("item_id", flat=True)) == sorted(mine)


@pytest.mark.django_db
def test_an_empty_population_is_refused_and_nothing_saved(firm):
    done_work(firm, firm.staff.accountant, 2, department=firm.d2)
    with pytest.raises(DomainError, match="没有已完成的做账工作"):
        services.quality_sample_draw(
            period=OCT, department=firm.d1, method=SampleMethod.COUNT, amount=1, by=firm.staff.head
        )
    assert not QualitySample.objects.exists()


@pytest.mark.django_db
def test_a_head_draws_only_for_their_own_department(firm):
    done_work(firm, firm.staff.accountant, 2)
    with pytest.raises(DomainError):
        services.quality_sample_draw(
            period=OCT, department=firm.d1, method=SampleMethod.COUNT, amount=1, by=firm.staff.head2
        )
    with pytest.raises(DomainError):
        services.quality_sample_draw(
            period=OCT,
            department=firm.d1,
            method=SampleMethod.COUNT,
            amount=1,
            by=firm.staff.accountant,
        )
    with pytest.raises(DomainError, match="1%"):
        services.quality_sample_draw(
            period=OCT,
            department=firm.d1,
            method=SampleMethod.PERCENT,
            amount=101,
            by=firm.staff.head,
        )
    assert not QualitySample.objects.exists()


# --- Recording a check --------------------------------------------------------------------------


@pytest.mark.django_db
def test_scores_are_validated_per_item_and_the_error_names_it(firm):
    v, s = two_items()
    check = one_check(firm)
    with pytest.raises(DomainError, match="“科目”的得分须在 0 到 20 之间") as missing:
        services.quality_check_record(
            check=check, scores={v.pk: 5, s.pk: 21}, findings="", by=firm.staff.head
        )
    assert missing.value.field == f"score_{s.pk}"
    with pytest.raises(DomainError, match="请填写“凭证”的得分"):
        services.quality_check_record(
            check=check, scores={s.pk: 5}, findings="", by=firm.staff.head
        )
    check.refresh_from_db()
    assert check.status == CheckStatus.PENDING and not QualityScore.objects.exists()


@pytest.mark.django_db
def test_no_findings_passes_with_the_percentage_of_points(firm):
    v, s = two_items()
    check = one_check(firm)
    check = services.quality_check_record(
        check=check, scores={v.pk: 7, s.pk: 15}, findings="  \n ", by=firm.staff.head
    )
    check.refresh_from_db()
    assert check.status == CheckStatus.PASSED
    assert check.score == Decimal("73.3")  # 22 of 30
    assert check.checker == firm.staff.head and check.checked_at is not None
    assert not check.rectifications.exists()
    assert sorted(check.scores.values_list("score", "max_score")) == [(7, 10), (15, 20)]
    # Deactivated lines are not scored.
    assert check.scores.count() == 2


@pytest.mark.django_db
def test_findings_become_rectifications_due_in_working_days_across_national_day(
    firm, django_capture_on_commit_callbacks
):
    v, s = two_items()
    check = one_check(firm)
    with (
        time_machine.travel(at(2026, 9, 30, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.quality_check_record(
            check=check,
            scores={v.pk: 10, s.pk: 10},
            findings="银行余额未核对\n\n  3月凭证缺发票  \n",
            by=firm.staff.head,
        )
    check.refresh_from_db()
    assert check.status == CheckStatus.RECTIFY
    assert check.score == Decimal("66.7")
    rectifications = list(check.rectifications.order_by("id"))
    assert [r.description for r in rectifications] == ["银行余额未核对", "3月凭证缺发票"]
    assert {r.assignee for r in rectifications} == {firm.staff.accountant}
    # Five working days after Wednesday 30 September: 1–7 October is the National Day holiday,
    # Saturday 10 October is a 调休 working day: 8, 9, 10, 12, 13 October.
    assert {r.due_on for r in rectifications} == {dt.date(2026, 10, 13)}
    note = Notification.objects.get(recipient=firm.staff.accountant)
    assert "2 个问题" in note.title and note.url.endswith("/quality/rectifications/")


@pytest.mark.django_db
def test_the_checker_may_not_check_their_own_work(firm):
    two_items()
    firm.staff.head.groups.add(*firm.staff.accountant.groups.all())
    check = one_check(firm, person=firm.staff.head)
    scores = {i.pk: 1 for i in ChecklistItem.objects.filter(active=True)}
    with pytest.raises(DomainError, match="不能检查自己"):
        services.quality_check_record(check=check, scores=scores, findings="", by=firm.staff.head)
    services.quality_check_record(check=check, scores=scores, findings="", by=firm.staff.admin)
    check.refresh_from_db()
    assert check.checker == firm.staff.admin


@pytest.mark.django_db
def test_a_check_is_recorded_once_and_only_by_its_heads(firm):
    v, s = two_items()
    check = one_check(firm)
    scores = {v.pk: 1, s.pk: 1}
    with pytest.raises(DomainError):
        services.quality_check_record(check=check, scores=scores, findings="", by=firm.staff.head2)
    services.quality_check_record(check=check, scores=scores, findings="", by=firm.staff.head)
    with pytest.raises(DomainError, match="不能重复录入"):
        services.quality_check_record(check=check, scores=scores, findings="x", by=firm.staff.admin)
    assert QualityScore.objects.count() == 2


# --- Rectifications -----------------------------------------------------------------------------


@pytest.fixture
def rectifying(firm):
    v, s = two_items()
    check = one_check(firm)
    with time_machine.travel(at(2026, 11, 2, 10), tick=False):
        services.quality_check_record(
            check=check, scores={v.pk: 5, s.pk: 5}, findings="问题一\n问题二", by=firm.staff.head
        )
    return check


@pytest.mark.django_db
def test_done_then_sent_back_then_passed_closes_the_check(firm, rectifying):
    first, second = rectifying.rectifications.order_by("id")
    with pytest.raises(DomainError, match="只有整改人"):
        services.rectification_done(rectification=first, note="改好了", by=firm.staff.head)
    with pytest.raises(DomainError, match="整改说明"):
        services.rectification_done(rectification=first, note=" ", by=firm.staff.accountant)
    with pytest.raises(TransitionNotAllowed):
        services.rectification_verify(rectification=first, passed=True, by=firm.staff.head)

    services.rectification_done(rectification=first, note="已补发票", by=firm.staff.accountant)
    first.refresh_from_db()
    assert first.status == RectificationStatus.DONE and first.done_note == "已补发票"

    with pytest.raises(DomainError, match="复查意见"):
        services.rectification_verify(rectification=first, passed=False, by=firm.staff.head)
    with pytest.raises(DomainError):
        services.rectification_verify(rectification=first, passed=True, by=firm.staff.accountant)
    with time_machine.travel(at(2026, 11, 6, 10), tick=False):  # a Friday
        services.rectification_verify(
            rectification=first, passed=False, comment="发票抬头不对", by=firm.staff.head
        )
    first.refresh_from_db()
    assert first.status == RectificationStatus.OPEN
    assert first.due_on == dt.date(2026, 11, 13)  # five working days from Friday 6 November

    services.rectification_done(rectification=first, note="已换票", by=firm.staff.accountant)
    services.rectification_verify(rectification=first, passed=True, by=firm.staff.head)
    first.refresh_from_db()
    rectifying.refresh_from_db()
    assert first.status == RectificationStatus.VERIFIED and first.verified_by == firm.staff.head
    assert rectifying.status == CheckStatus.RECTIFY  # the second is still open

    services.rectification_done(rectification=second, note="已改", by=firm.staff.accountant)
    # A head of the department re-checks too (here the administrator).
    services.rectification_verify(rectification=second, passed=True, by=firm.staff.admin)
    rectifying.refresh_from_db()
    assert rectifying.status == CheckStatus.CLOSED
    events = AuditEvent.objects.filter(anchor_id=str(rectifying.item.client_id))
    assert events.filter(object_type="delivery.rectification", action="status").count() == 6
    assert events.filter(object_type="delivery.qualitycheck", detail="整改全部复查通过").exists()


@pytest.mark.django_db
def test_a_head_of_another_department_may_not_re_check(firm, rectifying):
    r = rectifying.rectifications.first()
    services.rectification_done(rectification=r, note="已改", by=firm.staff.accountant)
    with pytest.raises(DomainError):
        services.rectification_verify(rectification=r, passed=True, by=firm.staff.head2)
    assert Rectification.objects.get(pk=r.pk).status == RectificationStatus.DONE


# --- Checklist ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_checklist_is_kept_by_administrators_with_a_version_lock(firm):
    data = {"name": "税表一致", "description": "", "max_score": 10, "position": 5, "active": True}
    with pytest.raises(DomainError):
        services.checklist_item_create(data=data, by=firm.staff.head)
    item = services.checklist_item_create(data=data, by=firm.staff.admin)
    services.checklist_item_update(
        item=item, data={**data, "active": False}, expected_version=1, by=firm.staff.admin
    )
    with pytest.raises(ConcurrentEditError):
        services.checklist_item_update(
            item=item, data={**data, "max_score": 5}, expected_version=1, by=firm.staff.admin
        )
    item.refresh_from_db()
    assert not item.active and item.max_score == 10 and item.version == 2
    assert AuditEvent.objects.filter(object_type="delivery.checklistitem").count() == 2


@pytest.mark.django_db
def test_the_migration_ships_a_default_checklist():
    assert ChecklistItem.objects.filter(active=True).count() >= 5
