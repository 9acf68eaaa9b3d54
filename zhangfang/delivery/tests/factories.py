"""Factories for client service's monthly work, quality checks and surveys."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.delivery.models import (
    ChecklistItem,
    FollowUp,
    QualitySample,
    SampleMethod,
    Survey,
    WorkItem,
    WorkStatus,
    WorkStep,
)


class WorkItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkItem

    client = factory.SubFactory(ClientFactory)
    period = dt.date(2026, 10, 1)
    step = WorkStep.BOOKKEEPING
    filing = ""
    status = WorkStatus.TODO
    assignee = factory.LazyAttribute(lambda o: o.client.accountant)
    due_on = dt.date(2026, 11, 9)


class DoneWorkItemFactory(WorkItemFactory):
    """A finished step: completed by its assignee on its deadline."""

    status = WorkStatus.DONE
    completed_by = factory.LazyAttribute(lambda o: o.assignee)
    completed_at = factory.LazyAttribute(
        lambda o: timezone.make_aware(dt.datetime.combine(o.due_on, dt.time(15, 0)))
    )


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistItem

    name = factory.Sequence(lambda n: f"检查项{n}")
    max_score = 10
    position = factory.Sequence(lambda n: n)


class QualitySampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualitySample

    period = dt.date(2026, 10, 1)
    method = SampleMethod.COUNT
    amount = 1
    seed = 12345


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    client = factory.SubFactory(ClientFactory)
    period = dt.date(2026, 11, 1)
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + dt.timedelta(days=14))


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    survey = factory.SubFactory(SurveyFactory)
    assignee = factory.LazyAttribute(lambda o: o.survey.client.customer_service)
    due_on = dt.date(2026, 12, 4)
