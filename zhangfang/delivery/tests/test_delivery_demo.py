"""The demo's year of client service is written in bulk; it must obey the services' rules."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models import F

from zhangfang.billing.demo import build_demo_billing
from zhangfang.clients.demo import build_demo_firm
from zhangfang.contracts.demo import build_demo_price_list
from zhangfang.delivery.demo import build_demo_work
from zhangfang.delivery.models import (
    ConfirmationStatus,
    QualityCheck,
    Survey,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services.generation import TAXES, work_generate

TODAY = dt.date(2026, 11, 27)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False):
        build_demo_firm(clients=30)
        build_demo_price_list()
        build_demo_billing(history_months=12, today=TODAY)
        counts = build_demo_work(history_months=12, today=TODAY)
        yield counts


def test_the_demo_year_is_realistic_and_keeps_the_services_rules(demo):
    """One test on one build (building the demo firm takes seconds): the shape of the year, the
    completion rules, idempotent generation afterwards, quality checks and surveys."""
    # Contracts started a year ago: the twelve periods since, the running one included.
    assert WorkItem.objects.order_by().values("period").distinct().count() == 12
    done = WorkItem.objects.filter(status=WorkStatus.DONE)
    late = [i for i in done if not i.on_time]
    assert done.count() > 1000
    assert 0.01 < len(late) / done.count() < 0.2
    overdue = WorkItem.objects.filter(
        status__in=(WorkStatus.TODO, WorkStatus.IN_PROGRESS), due_on__lt=TODAY
    )
    assert overdue.exists()
    # Nothing was completed in the future.
    assert not done.filter(completed_at__date__gt=TODAY).exists()

    reviews = WorkItem.objects.filter(step=WorkStep.REVIEW, status=WorkStatus.DONE)
    for review in reviews:
        bookkeeping = WorkItem.objects.get(
            client=review.client, period=review.period, step=WorkStep.BOOKKEEPING
        )
        assert review.completed_by_id != bookkeeping.completed_by_id
    for receipts in WorkItem.objects.filter(step=WorkStep.RECEIPTS, status=WorkStatus.DONE):
        assert receipts.handover.confirmed and receipts.handover.lines.exists()
    for filing in WorkItem.objects.filter(
        step=WorkStep.FILING, status=WorkStatus.DONE, filing__in=TAXES
    ):
        estimate = WorkItem.objects.get(
            client=filing.client, period=filing.period, step=WorkStep.TAX_ESTIMATE
        )
        assert estimate.confirmation.status == ConfirmationStatus.CONFIRMED
        assert estimate.confirmation.confirmed_at <= filing.completed_at
    assert not WorkItem.objects.filter(zero_filing=True, tax_amount__gt=0).exists()

    with time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False):
        assert work_generate(period=dt.date(2026, 11, 1)).created == 0

    assert QualityCheck.objects.count() == demo["quality_checks"] > 0
    assert not QualityCheck.objects.filter(reviewee=F("checker")).exists()
    answered = Survey.objects.filter(answered_at__isnull=False)
    assert 0.5 < answered.count() / Survey.objects.count() < 0.95
    low = [s for s in answered if min(getattr(s, d) for d in Survey.DIMENSIONS) <= 3]
    assert all(hasattr(s, "follow_up") for s in low)
    assert demo["requests"] > 0
