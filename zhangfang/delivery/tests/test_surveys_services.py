"""Satisfaction survey services: sending (one, batch, idempotent, e-mail), the client's answer
(once, before expiry, every rating) and the follow-up a low score opens, and closing it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.core.policy import policy_value_set
from zhangfang.delivery.models import FollowUp, FollowUpStatus, Survey
from zhangfang.delivery.services import surveys as services
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)
GOOD = {"attitude": 5, "expertise": 4, "timeliness": 5, "quality": 4, "overall": 5}


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 11, 10, 10), tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_firm()


def send(firm, **kwargs) -> Survey:
    kwargs.setdefault("client", firm.acme)
    kwargs.setdefault("period", NOV)
    kwargs.setdefault("by", firm.staff.service)
    return services.survey_send(**kwargs)


# --- Sending ----------------------------------------------------------------------------------


def test_send_creates_the_survey_with_its_expiry_and_audits_it(firm):
    survey = send(firm, period=dt.date(2026, 11, 17))
    assert survey.period == NOV
    assert survey.sent_at == at(2026, 11, 10, 10)
    assert survey.expires_at == at(2026, 11, 24, 10)  # 14 days by default
    assert survey.contact == firm.contact  # the primary contact when none is chosen
    event = AuditEvent.objects.get(object_type="delivery.survey", object_id=str(survey.pk))
    assert (event.anchor_type, event.anchor_id) == ("clients.client", str(firm.acme.pk))
    assert event.actor == firm.staff.service


def test_link_days_come_from_the_setting(firm):
    policy_value_set(key="delivery.survey_link_days", raw="3", by=firm.staff.admin)
    assert send(firm).expires_at == at(2026, 11, 13, 10)


def test_the_link_is_e_mailed_to_the_contact_after_commit(firm, django_capture_on_commit_callbacks):
    firm.contact.email = "wang@acme.example"
    firm.contact.save()
    with django_capture_on_commit_callbacks(execute=True):
        survey = send(firm, base_url="https://zf.example")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@acme.example"]
    assert f"https://zf.example/delivery/s/{services.survey_token(survey)}/" in message.body


def test_without_contact_address_the_clients_address_is_used(
    firm, django_capture_on_commit_callbacks
):
    firm.acme.email = "office@acme.example"
    firm.acme.save()
    other = ContactFactory(client=firm.acme, is_primary=False, email="")
    with django_capture_on_commit_callbacks(execute=True):
        send(firm, contact=other)
    assert [m.to for m in mail.outbox] == [["office@acme.example"]]


def test_no_address_sends_no_mail(firm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(firm)
    assert mail.outbox == []


def test_sending_again_while_the_link_is_open_is_refused_but_allowed_after_expiry(firm, _clock):
    send(firm)
    with pytest.raises(DomainError, match="本月已有满意度调查"):
        send(firm)
    _clock.shift(dt.timedelta(days=15))
    send(firm)
    assert Survey.objects.filter(client=firm.acme).count() == 2


@pytest.mark.parametrize("who", ["accountant", "sales"])
def test_only_service_heads_and_admins_send(firm, who):
    with pytest.raises(DomainError):
        send(firm, by=getattr(firm.staff, who))
    assert not Survey.objects.exists()


def test_a_client_outside_the_scope_is_refused(firm):
    with pytest.raises(DomainError, match="不能向此客户"):
        send(firm, by=firm.staff.outsider)


def test_a_contact_of_another_client_is_refused(firm):
    stranger = ContactFactory()
    with pytest.raises(DomainError) as caught:
        send(firm, contact=stranger)
    assert caught.value.field == "contact"


def test_batch_sends_to_clients_in_service_once(firm, django_capture_on_commit_callbacks):
    firm.contact.email = "wang@acme.example"
    firm.contact.save()
    second = ClientFactory(department=firm.d1, customer_service=firm.staff.service)
    ClientFactory(
        department=firm.d1, customer_service=firm.staff.service, status=ClientStatus.SUSPENDED
    )
    ClientFactory(department=firm.d2)  # not this user's
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.surveys_send_batch(
            user=firm.staff.service, period=NOV, by=firm.staff.service
        )
    assert {s.client_id for s in sent} == {firm.acme.pk, second.pk}
    assert len(mail.outbox) == 1  # only acme's contact has an address
    assert (
        services.surveys_send_batch(user=firm.staff.service, period=NOV, by=firm.staff.service)
        == []
    )
    assert Survey.objects.count() == 2
    # Another month is another round.
    assert (
        len(
            services.surveys_send_batch(
                user=firm.staff.head, period=dt.date(2026, 12, 1), by=firm.staff.head
            )
        )
        == 2
    )


# --- Answering --------------------------------------------------------------------------------


def test_tokens_name_their_survey_and_tampered_ones_nothing(firm):
    survey = send(firm)
    token = services.survey_token(survey)
    assert services.survey_from_token(token) == survey
    with pytest.raises(services.SurveyLinkInvalid):
        services.survey_from_token(token[:-1] + ("A" if token[-1] != "A" else "B"))
    from zhangfang.core.links import link_token

    with pytest.raises(services.SurveyLinkInvalid):
        services.survey_from_token(link_token("contracts.plan", survey.pk))


def test_answer_is_stored_once(firm):
    survey = send(firm)
    services.survey_answer(survey=survey, ratings=GOOD, comment=" 很好 ", respondent_name="王经理")
    survey.refresh_from_db()
    assert (survey.overall, survey.comment, survey.respondent_name) == (5, "很好", "王经理")
    assert survey.answered_at == at(2026, 11, 10, 10)
    with pytest.raises(services.SurveyAnswered):
        services.survey_answer(
            survey=Survey.objects.get(pk=survey.pk), ratings={**GOOD, "overall": 1}
        )
    survey.refresh_from_db()
    assert survey.overall == 5
    assert not FollowUp.objects.exists()
    event = AuditEvent.objects.filter(object_type="delivery.survey", action="update").get()
    assert event.actor is None and event.actor_name == "王经理（客户）"


def test_a_stale_copy_cannot_answer_twice(firm):
    """Two submits that both read the survey before either saved: the lock's re-check refuses
    the second."""
    survey = send(firm)
    first, second = Survey.objects.get(pk=survey.pk), Survey.objects.get(pk=survey.pk)
    services.survey_answer(survey=first, ratings=GOOD)
    with pytest.raises(services.SurveyAnswered):
        services.survey_answer(survey=second, ratings=GOOD)
    assert Survey.objects.filter(answered_at__isnull=False).count() == 1


def test_an_expired_link_cannot_be_answered(firm, _clock):
    survey = send(firm)
    _clock.shift(dt.timedelta(days=14))
    with pytest.raises(services.SurveyLinkExpired):
        services.survey_answer(survey=survey, ratings=GOOD)
    survey.refresh_from_db()
    assert survey.answered_at is None


@pytest.mark.parametrize(
    ("missing", "label"), [("expertise", "专业能力"), ("overall", "总体满意度")]
)
def test_every_rating_is_required(firm, missing, label):
    survey = send(firm)
    ratings = {**GOOD, missing: None}
    with pytest.raises(DomainError, match=label) as caught:
        services.survey_answer(survey=survey, ratings=ratings)
    assert caught.value.field == missing
    with pytest.raises(DomainError):
        services.survey_answer(survey=survey, ratings={**GOOD, missing: 6})
    assert Survey.objects.get(pk=survey.pk).answered_at is None


def test_good_answer_opens_no_follow_up(firm):
    services.survey_answer(survey=send(firm), ratings={**GOOD, "quality": 4})
    assert not FollowUp.objects.exists()


def test_low_score_opens_a_follow_up_due_in_working_days(firm, django_capture_on_commit_callbacks):
    # Sent a week before National Day, answered on its eve: the deadline skips the holiday.
    with time_machine.travel(at(2026, 9, 23, 9), tick=False):
        survey = send(firm, period=dt.date(2026, 9, 1))
    with (
        time_machine.travel(at(2026, 9, 30, 16), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.survey_answer(survey=survey, ratings={**GOOD, "timeliness": 3})
    follow_up = FollowUp.objects.get(survey=survey)
    assert follow_up.assignee == firm.staff.service
    assert follow_up.head == firm.staff.head
    assert follow_up.status == FollowUpStatus.OPEN
    # 2026: 10-01..10-07 off; 3 working days after 09-30 are 10-08 (Thu), 10-09 (Fri) and the
    # make-up Saturday 10-10.
    assert follow_up.due_on == dt.date(2026, 10, 10)
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"cs", "head1"}
    assert AuditEvent.objects.filter(object_type="delivery.followup", action="create").exists()


def test_low_score_threshold_comes_from_the_setting(firm):
    policy_value_set(key="delivery.survey_low_score", raw="2", by=firm.staff.admin)
    services.survey_answer(survey=send(firm), ratings={**GOOD, "attitude": 3})
    assert not FollowUp.objects.exists()
    other = send(firm, period=dt.date(2026, 12, 1))
    services.survey_answer(survey=other, ratings={**GOOD, "attitude": 2})
    assert FollowUp.objects.filter(survey=other).exists()


def test_without_a_head_the_follow_up_goes_to_an_admin(firm):
    firm.staff.head.groups.clear()
    services.survey_answer(survey=send(firm), ratings={**GOOD, "overall": 1})
    assert FollowUp.objects.get().head == firm.staff.admin


# --- Follow-ups ---------------------------------------------------------------------------------


def low(firm) -> FollowUp:
    survey = send(firm)
    services.survey_answer(survey=survey, ratings={**GOOD, "overall": 2})
    return FollowUp.objects.get(survey=survey)


@pytest.mark.parametrize("who", ["service", "head", "admin"])
def test_close_with_outcome(firm, who):
    follow_up = low(firm)
    closed = services.follow_up_close(
        follow_up=follow_up, outcome="已电话回访，客户接受改进方案。", by=getattr(firm.staff, who)
    )
    assert closed.status == FollowUpStatus.CLOSED
    assert closed.closed_by == getattr(firm.staff, who)
    assert closed.version == 2
    event = AuditEvent.objects.get(object_type="delivery.followup", action="update")
    assert event.changes["status"] == ["待回访", "已处理"]
    with pytest.raises(DomainError, match="已处理"):
        services.follow_up_close(follow_up=follow_up, outcome="again", by=firm.staff.admin)


def test_close_needs_an_outcome(firm):
    with pytest.raises(DomainError) as caught:
        services.follow_up_close(follow_up=low(firm), outcome="  ", by=firm.staff.service)
    assert caught.value.field == "outcome"
    assert FollowUp.objects.get().status == FollowUpStatus.OPEN


@pytest.mark.parametrize("who", ["accountant", "head2", "outsider"])
def test_others_cannot_close(firm, who):
    with pytest.raises(DomainError):
        services.follow_up_close(follow_up=low(firm), outcome="x", by=getattr(firm.staff, who))
