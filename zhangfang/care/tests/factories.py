"""Factories for relationship maintenance: return visits, bulletins, greetings and events."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from zhangfang.care.models import (
    Bulletin,
    BulletinCategory,
    ClientEvent,
    EventKind,
    Invitation,
    ReturnVisit,
    VisitProblem,
)
from zhangfang.clients.tests.factories import ClientFactory


class ReturnVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnVisit

    client = factory.SubFactory(ClientFactory)
    due_on = dt.date(2026, 12, 15)
    staff = factory.LazyAttribute(lambda o: o.client.customer_service)


class VisitProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitProblem

    visit = factory.SubFactory(ReturnVisitFactory)
    description = "希望每月提前告知税款"
    department = factory.LazyAttribute(lambda o: o.visit.client.department)
    due_on = dt.date(2026, 12, 18)


class BulletinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bulletin

    title = factory.Sequence(lambda n: f"关于小规模纳税人增值税政策的解读（{n}）")
    category = BulletinCategory.TAX
    body = "自2027年1月1日起……"
    channels = factory.LazyFunction(lambda: ["email"])


class ClientEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientEvent

    title = factory.Sequence(lambda n: f"年度汇算清缴培训会（第{n}期）")
    kind = EventKind.TRAINING
    starts_at = factory.LazyFunction(lambda: timezone.make_aware(dt.datetime(2026, 12, 10, 14, 0)))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    place = "公司三楼会议室"
    capacity = 30


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    event = factory.SubFactory(ClientEventFactory)
    client = factory.SubFactory(ClientFactory)
