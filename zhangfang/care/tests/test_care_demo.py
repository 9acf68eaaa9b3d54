"""The demo's year of relationship maintenance and complaints is written in bulk; it must obey the
services' rules, and the periodic jobs must find nothing left to do."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models import Count, Q, Sum

from zhangfang.care.demo import build_demo_care
from zhangfang.care.models import (
    GreetingSend,
    Invitation,
    ProblemStatus,
    ReturnVisit,
    ReturnVisitStatus,
    RsvpStatus,
    VisitProblem,
)
from zhangfang.care.services.visits import plan_return_visits
from zhangfang.clients.demo import build_demo_firm
from zhangfang.complaints.demo import build_demo_complaints
from zhangfang.complaints.models import Complaint, ComplaintStatus
from zhangfang.complaints.services.complaints import escalate_overdue_complaints
from zhangfang.core.calendar import add_working_days

TODAY = dt.date(2026, 11, 27)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False):
        build_demo_firm(clients=40)
        care = build_demo_care(today=TODAY)
        complaints = build_demo_complaints(today=TODAY)
        yield care, complaints


def test_the_demo_year_keeps_the_rules_of_visits_greetings_and_events(demo):
    care, _complaints = demo
    assert care["visits"] > 40 and care["bulletins"] == 12 and care["events"] == 5
    # Every visit done has a record; every client in service has exactly one visit planned.
    done = ReturnVisit.objects.filter(status=ReturnVisitStatus.DONE)
    assert not done.filter(Q(visited_at=None) | Q(satisfaction=None) | Q(method="")).exists()
    planned = ReturnVisit.objects.filter(status=ReturnVisitStatus.PLANNED)
    assert planned.values("client").distinct().count() == planned.count() > 0
    # A closed problem was resolved and then reported back to the client.
    closed = VisitProblem.objects.filter(status=ProblemStatus.CLOSED)
    assert closed.exists()
    assert not closed.filter(Q(result="") | Q(informed_at=None) | Q(informed_how="")).exists()
    assert VisitProblem.objects.count() < done.count() / 3
    # Greetings: once per contact and occasion; opted-out contacts got none.
    assert GreetingSend.objects.filter(contact__greetings_opt_out=True).count() == 0
    assert GreetingSend.objects.filter(occasion_date__gte=TODAY).count() == 0
    # Accepted seats fit each event.
    for event_id, seats, capacity in (
        Invitation.objects.filter(rsvp=RsvpStatus.ACCEPTED)
        .values_list("event")
        .annotate(seats=Sum("attendees"))
        .values_list("event", "seats", "event__capacity")
    ):
        assert seats <= capacity, event_id
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False):
        assert plan_return_visits(today=TODAY)["created"] == 0


def test_the_demo_complaints_keep_the_register_rules(demo):
    _care, counts = demo
    assert counts["complaints"] == Complaint.objects.count() >= 5
    closed = Complaint.objects.filter(status=ComplaintStatus.CLOSED)
    assert closed.exists()
    assert not closed.filter(Q(root_cause="") | Q(corrective_action="")).exists()
    for c in Complaint.objects.all():
        received = c.received_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        assert c.due_on == add_working_days(received, 5), c.number
        if c.handled_at is not None:
            handled = c.handled_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
            assert c.handled_in_time == (handled <= c.due_on), c.number
        # Every state reached has its step on the timeline.
        assert c.steps.filter(to_status=c.status).exists() or c.status == "registered"
    # Numbers are unique per year and one client complained twice (the repeat analysis).
    assert Complaint.objects.values("client").annotate(n=Count("id")).filter(n__gte=2).exists()
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False):
        # The demo's overdue complaints are already escalated: the job has nothing to add at
        # level 1 (it may raise one to level 2 if it has waited long enough).
        escalated_before = Complaint.objects.filter(escalation_level__gte=1).count()
        escalate_overdue_complaints()
        overdue_open = Complaint.objects.filter(
            status__in=("registered", "investigating", "reopened"), due_on__lt=TODAY
        )
        assert not overdue_open.filter(escalation_level=0).exists()
        assert Complaint.objects.filter(escalation_level__gte=1).count() >= escalated_before
