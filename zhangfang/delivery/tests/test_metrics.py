"""The service standards' measures: on-time filing, quality score and satisfaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.delivery.models import CheckStatus, Filing, QualityCheck, WorkStatus, WorkStep
from zhangfang.delivery.selectors import metrics
from zhangfang.delivery.tests.factories import (
    DoneWorkItemFactory,
    QualitySampleFactory,
    SurveyFactory,
    WorkItemFactory,
)
from zhangfang.delivery.tests.support import make_firm

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
DUE = dt.date(2026, 11, 16)


def _late(**kwargs):
    return DoneWorkItemFactory(
        completed_at=timezone.make_aware(dt.datetime(2026, 11, 17, 9)), **kwargs
    )


def _by_key(table):
    return {row.key: row for row in table}


def test_on_time_filing_counts_returns_done_by_the_deadline_and_those_past_it():
    firm = make_firm()
    tax = firm.staff.tax
    other = ClientFactory(department=firm.d1, tax_specialist=tax)
    common = {"step": WorkStep.FILING, "period": OCT, "due_on": DUE, "assignee": tax}
    DoneWorkItemFactory(client=firm.acme, filing=Filing.VAT, **common)
    DoneWorkItemFactory(client=firm.acme, filing=Filing.INDIVIDUAL_INCOME_TAX, **common)
    _late(client=other, filing=Filing.VAT, **common)
    WorkItemFactory(client=other, filing=Filing.INDIVIDUAL_INCOME_TAX, **common)  # open, late
    WorkItemFactory(client=other, filing=Filing.STAMP_DUTY, status=WorkStatus.CANCELLED, **common)
    # Not a return: not counted.
    DoneWorkItemFactory(client=firm.acme, step=WorkStep.BOOKKEEPING, period=OCT, due_on=DUE)

    before = metrics.filing_on_time(user=firm.staff.admin, period=OCT, today=DUE)
    after = metrics.filing_on_time(user=firm.staff.admin, period=OCT, today=DUE + dt.timedelta(1))

    # On the deadline the open return is not late yet: 2 of 3 on time.
    assert (_by_key(before["people"])[tax.pk].good, _by_key(before["people"])[tax.pk].total) == (
        2,
        3,
    )
    person = _by_key(after["people"])[tax.pk]
    assert (person.good, person.total, person.rate) == (2, 4, Decimal("50.0"))
    assert _by_key(after["departments"])[firm.d1.pk].rate == Decimal("50.0")


def test_an_accountant_sees_only_their_clients_figures():
    firm = make_firm()
    stranger = ClientFactory(department=firm.d2)
    DoneWorkItemFactory(client=stranger, step=WorkStep.FILING, filing=Filing.VAT, period=OCT)
    table = metrics.filing_on_time(user=firm.staff.accountant, period=OCT, today=DUE)
    assert table == {"people": [], "departments": []}


def test_quality_score_is_the_mean_of_the_checks():
    firm = make_firm()
    sample = QualitySampleFactory(period=OCT, department=firm.d1)
    for score in ("90.0", "75.0", "80.5"):
        item = DoneWorkItemFactory(
            client=ClientFactory(department=firm.d1, accountant=firm.staff.accountant),
            period=OCT,
        )
        QualityCheck.objects.create(
            sample=sample,
            item=item,
            reviewee=firm.staff.accountant,
            status=CheckStatus.PASSED,
            score=Decimal(score),
        )
    pending = DoneWorkItemFactory(client=firm.acme, period=OCT)
    QualityCheck.objects.create(sample=sample, item=pending, reviewee=firm.staff.accountant)
    table = metrics.quality_scores(user=firm.staff.head, period=OCT)
    person = _by_key(table["people"])[firm.staff.accountant.pk]
    assert (person.count, person.average) == (3, Decimal("81.8"))


def test_satisfaction_counts_answers_rated_four_or_five_overall():
    firm = make_firm()
    now = timezone.now()
    for overall in (5, 4, 3, 5):
        SurveyFactory(
            client=firm.acme, period=dt.date(2026, 11, 1), answered_at=now, overall=overall
        )
    SurveyFactory(client=firm.acme, period=dt.date(2026, 11, 1))  # not answered
    table = metrics.satisfaction(user=firm.staff.head, period=dt.date(2026, 11, 1))
    person = _by_key(table["people"])[firm.staff.service.pk]
    assert (person.good, person.total, person.rate) == (3, 4, Decimal("75.0"))
