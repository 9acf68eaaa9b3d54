"""Factories for the complaint register."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.complaints.models import Complaint, ComplaintCategory, ComplaintChannel


class ComplaintFactory(factory.django.DjangoModelFactory):
    """A complaint just registered, written directly (tests of the flow use the services)."""

    class Meta:
        model = Complaint

    number = factory.Sequence(lambda n: f"TS2026-{n + 1:04d}")
    client = factory.SubFactory(ClientFactory)
    contact_name = "王经理"
    contact_phone = "+8613800138000"
    channel = ComplaintChannel.PHONE
    category = ComplaintCategory.LATE_FILING
    matter = "十月增值税申报逾期，产生滞纳金"
    received_at = factory.LazyFunction(lambda: timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0)))
    department = factory.LazyAttribute(lambda o: o.client.department)
    due_on = dt.date(2026, 11, 9)
