"""Client event services: planning and editing (version lock, times, capacity), inviting a target
list once per client (and only one's own clients for writers outside the event's team), the
invitation e-mail with a working link, RSVPs within the capacity (also under concurrent replies
on PostgreSQL), attendance, finishing, feedback once, and cancelling with e-mails to those who
accepted."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import close_old_connections, connection, transaction
from django.test import Client as HttpClient

from zhangfang.care.models import ClientEvent, EventStatus, Invitation, RsvpStatus
from zhangfang.care.selectors import events as selectors
from zhangfang.care.selectors.targeting import Target
from zhangfang.care.services import events as services
from zhangfang.care.tests.factories import InvitationFactory
from zhangfang.care.tests.factories_events import (
    ENDED,
    NOW,
    STARTED,
    at,
    event_firm,
    link_in,
    new_event,
)
from zhangfang.care.wiring.events import MAX_ATTENDEES
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.core.policy import policy_value_set
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return event_firm()


def event_data(firm, **overrides) -> dict:
    data = {
        "title": "小规模纳税人政策座谈会",
        "kind": "seminar",
        "starts_at": at(2026, 12, 1, 14),
        "ends_at": at(2026, 12, 1, 16),
        "place": "公司三楼会议室",
        "capacity": 20,
        "agenda": "一、政策解读\n二、答疑",
        "speaker": "税务丙",
        "organizer": None,
    }
    data.update(overrides)
    return data


def invite_all_it(firm, by=None) -> services.InviteResult:
    return services.event_invite(
        event=firm.event, target=Target(industries=["I"]), by=by or firm.staff.service
    )


def accept(invitation: Invitation, attendees: int = 1, names: str = "王经理") -> Invitation:
    return services.invitation_rsvp(
        invitation=invitation, accept=True, attendees=attendees, names=names
    )


# --- Planning and editing ---------------------------------------------------------------------


def test_create_sets_the_organiser_and_audits(firm):
    event = services.event_create(data=event_data(firm), by=firm.staff.sales)
    assert (event.status, event.organizer) == (EventStatus.PLANNED, firm.staff.sales)
    created = AuditEvent.objects.get(object_type="care.clientevent", object_id=str(event.pk))
    assert created.action == "create" and created.changes["capacity"] == [None, 20]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_at": at(2026, 12, 1, 14)}, "ends_at", "结束时间须晚于开始时间"),
        ({"capacity": 0}, "capacity", "名额至少为 1"),
        ({"starts_at": at(2026, 11, 19, 14)}, "starts_at", "开始时间须晚于现在"),
    ],
)
def test_create_checks_times_and_capacity(firm, overrides, field, message):
    with pytest.raises(DomainError, match=message) as refused:
        services.event_create(data=event_data(firm, **overrides), by=firm.staff.service)
    assert refused.value.field == field
    assert not ClientEvent.objects.filter(title="小规模纳税人政策座谈会").exists()


def test_only_writing_roles_create(firm):
    with pytest.raises(DomainError):
        services.event_create(data=event_data(firm), by=firm.staff.accountant)


def test_update_refuses_a_stale_version_and_a_capacity_below_the_seats_taken(firm):
    event = firm.event
    opened = event.version
    services.event_update(
        event=event, data=event_data(firm, capacity=8), expected_version=opened, by=firm.staff.head
    )
    with pytest.raises(ConcurrentEditError):
        services.event_update(
            event=event, data=event_data(firm), expected_version=opened, by=firm.staff.service
        )
    invitation = InvitationFactory(event=event, client=firm.acme)
    accept(invitation, attendees=3, names="甲、乙、丙")
    event.refresh_from_db()
    with pytest.raises(DomainError, match="已报名的 3 人") as refused:
        services.event_update(
            event=event,
            data=event_data(firm, capacity=2),
            expected_version=event.version,
            by=firm.staff.service,
        )
    assert refused.value.field == "capacity"
    assert ClientEvent.objects.get(pk=event.pk).capacity == 8


def test_update_is_for_the_events_team_and_open_events(firm):
    event = firm.event
    for stranger in (firm.staff.outsider, firm.staff.head2, firm.staff.accountant):
        with pytest.raises(DomainError, match="只有活动组织人"):
            services.event_update(
                event=event, data=event_data(firm), expected_version=None, by=stranger
            )
    ClientEvent.objects.filter(pk=event.pk).update(status=EventStatus.CANCELLED)
    with pytest.raises(TransitionNotAllowed):
        services.event_update(
            event=event, data=event_data(firm), expected_version=None, by=firm.staff.service
        )


# --- Inviting -----------------------------------------------------------------------------------


def test_invite_by_target_is_idempotent_and_moves_to_inviting(firm):
    first = invite_all_it(firm)
    assert {i.client for i in first.created} == {firm.acme, firm.beta}
    firm.event.refresh_from_db()
    assert firm.event.status == EventStatus.INVITING
    # Again: nobody new. A new IT client in service: only that one.
    again = invite_all_it(firm)
    assert (again.created, again.already) == ([], 2)
    newcomer = ClientFactory(name="新来的科技公司", department=firm.d2)
    third = invite_all_it(firm)
    assert [i.client for i in third.created] == [newcomer] and third.already == 2
    assert Invitation.objects.filter(event=firm.event).count() == 3
    # One audit event per invitation on its client, and one status change on the event.
    assert AuditEvent.objects.filter(object_type="care.invitation", action="create").count() == 3
    assert AuditEvent.objects.filter(anchor_type="clients.client", anchor_id=str(firm.acme.pk))
    assert AuditEvent.objects.filter(object_type="care.clientevent", action="status").count() == 1


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (Target(taxpayer_types=["general"]), {"beta"}),
        (Target(regions=["南山区"]), {"acme", "gamma"}),
        (Target(tag_ids=["tag"]), {"acme", "gamma"}),
        (Target(industries=["I"], regions=["南山区"]), {"acme"}),
    ],
)
def test_invite_by_each_criterion(firm, target, expected):
    if target.tag_ids:
        target = Target(tag_ids=[firm.hightech.pk])
    result = services.event_invite(event=firm.event, target=target, by=firm.staff.admin)
    assert {i.client.pk for i in result.created} == {getattr(firm, n).pk for n in expected}


def test_writers_outside_the_team_invite_only_their_own_clients(firm):
    # 客服己 (department 2) serves gamma only; the event is department 1's.
    result = services.event_invite(
        event=firm.event, target=Target(regions=["南山区"]), by=firm.staff.outsider
    )
    assert [i.client for i in result.created] == [firm.gamma]
    with pytest.raises(DomainError, match="不能邀请此客户"):
        services.event_invite(event=firm.event, client=firm.acme, by=firm.staff.outsider)
    with pytest.raises(DomainError):
        services.event_invite(event=firm.event, client=firm.acme, by=firm.staff.accountant)
    # The event's team may pick any client in service, but never one no longer served.
    picked = services.event_invite(event=firm.event, client=firm.acme, by=firm.staff.sales)
    assert [i.client for i in picked.created] == [firm.acme]
    with pytest.raises(DomainError):
        services.event_invite(event=firm.event, client=firm.dormant, by=firm.staff.admin)


def test_invitation_goes_to_the_primary_contact_else_the_first(firm):
    invite_all_it(firm)
    assert Invitation.objects.get(client=firm.acme).contact == firm.contact
    assert Invitation.objects.get(client=firm.beta).contact == firm.beta_first


def test_no_invitations_once_the_event_started_or_closed(firm, _clock):
    _clock.move_to(STARTED, tick=False)
    with pytest.raises(TransitionNotAllowed, match="活动已开始"):
        invite_all_it(firm)
    _clock.move_to(NOW, tick=False)
    ClientEvent.objects.filter(pk=firm.event.pk).update(status=EventStatus.CANCELLED)
    with pytest.raises(TransitionNotAllowed):
        invite_all_it(firm)
    assert not Invitation.objects.exists()


def test_invitation_email_arrives_with_a_link_that_works(
    firm, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.event_invite(
            event=firm.event,
            target=Target(industries=["I"]),
            by=firm.staff.service,
            base_url="https://zf.example.cn",
        )
    [received] = smtp_server.to("wang@acme.example")
    assert received["Subject"].strip() == "邀请函：2026 年度汇算清缴培训会"
    text = smtp_server.text(received)
    assert "尊敬的王经理" in text and "公司三楼会议室" in text
    assert "2026-12-10 14:00 – 16:00" in text and "主讲人：税务丙" in text
    assert "https://zf.example.cn/care/rsvp/" in text
    assert len(smtp_server.to("li@beta.example")) == 1 and not smtp_server.to("zhao@beta.example")
    page = HttpClient().get(link_in(text))
    assert page.status_code == 200 and "2026 年度汇算清缴培训会" in page.content.decode()
    # Everyone had an address: nothing to tell the inviter.
    assert not Notification.objects.exists()


def test_inviter_is_told_about_invitations_that_could_not_be_emailed(
    firm, smtp_server, django_capture_on_commit_callbacks
):
    firm.contact.email = ""
    firm.contact.save()
    with django_capture_on_commit_callbacks(execute=True):
        invite_all_it(firm)
    assert len(smtp_server.messages) == 1  # beta only
    note = Notification.objects.get(recipient=firm.staff.service)
    assert "1 份邀请未能发送邮件" in note.title


# --- RSVP -----------------------------------------------------------------------------------------


@pytest.fixture
def invited(firm):
    invite_all_it(firm)
    return Invitation.objects.select_related("event").get(client=firm.acme)


def test_accept_decline_and_change(firm, invited):
    accepted = accept(invited, attendees=2, names="王经理，刘会计")
    assert (accepted.rsvp, accepted.attendees, accepted.attendee_names) == (
        RsvpStatus.ACCEPTED,
        2,
        "王经理、刘会计",
    )
    assert accepted.rsvp_at == NOW
    declined = services.invitation_rsvp(invitation=invited, accept=False)
    assert (declined.rsvp, declined.attendee_names) == (RsvpStatus.DECLINED, "")
    again = accept(invited, attendees=1)
    assert again.rsvp == RsvpStatus.ACCEPTED
    answers = AuditEvent.objects.filter(object_type="care.invitation", action="update")
    assert answers.count() == 3 and answers.first().actor_name == "王经理（客户）"


def test_accept_needs_names_and_a_sensible_number(firm, invited):
    with pytest.raises(DomainError, match="请填写参加人姓名"):
        accept(invited, names=" ")
    with pytest.raises(DomainError, match="至少为 1"):
        accept(invited, attendees=0)
    policy_value_set(key=MAX_ATTENDEES, raw="2", by=firm.staff.admin)
    with pytest.raises(DomainError, match="最多报名 2 人") as refused:
        accept(invited, attendees=3, names="甲、乙、丙")
    assert refused.value.field == "attendees"
    assert Invitation.objects.get(pk=invited.pk).rsvp == RsvpStatus.PENDING


def test_capacity_is_never_exceeded(firm, invited):
    other = Invitation.objects.get(client=firm.beta)
    accept(other, attendees=4, names="甲、乙、丙、丁")
    with pytest.raises(services.EventFull, match="名额已满：目前仅剩 1 个名额"):
        accept(invited, attendees=2)
    accept(invited, attendees=1)  # the last seat
    # Changing one's own answer does not count one's own seats twice.
    accept(other, attendees=4, names="甲、乙、丙、丁")
    with pytest.raises(services.EventFull, match="名额已满"):
        accept(other, attendees=5, names="甲、乙、丙、丁、戊")
    assert selectors.accepted_seats([firm.event.pk]) == {firm.event.pk: 5}
    # A seat given back can be taken.
    services.invitation_rsvp(invitation=invited, accept=False)
    accept(other, attendees=5, names="甲、乙、丙、丁、戊")


def test_answers_close_when_the_event_starts_or_is_cancelled(firm, invited, _clock):
    _clock.move_to(STARTED, tick=False)
    with pytest.raises(services.RsvpClosed, match="报名已截止") as closed:
        accept(invited)
    assert closed.value.state == services.LINK_CLOSED
    _clock.move_to(NOW, tick=False)
    services.event_cancel(event=firm.event, reason="场地维修", by=firm.staff.service)
    with pytest.raises(services.RsvpClosed, match="活动已取消") as cancelled:
        services.invitation_rsvp(invitation=invited, accept=False)
    assert cancelled.value.state == services.LINK_CANCELLED


def test_tampered_or_foreign_tokens_name_nothing(firm, invited):
    token = services.rsvp_token(invited)
    assert services.invitation_from_token(token) == invited
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "1", ""):
        with pytest.raises(services.RsvpLinkInvalid):
            services.invitation_from_token(bad)
    from zhangfang.core.links import link_token

    with pytest.raises(services.RsvpLinkInvalid):
        services.invitation_from_token(link_token("delivery.survey", invited.pk))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_replies_for_the_last_seat_cannot_both_win():
    with time_machine.travel(NOW, tick=False):
        firm = event_firm()
        ClientEvent.objects.filter(pk=firm.event.pk).update(capacity=1)
        invite_all_it(firm)
        first = Invitation.objects.get(client=firm.acme)
        second = Invitation.objects.get(client=firm.beta)
        outcome: dict[str, object] = {}

        def reply() -> None:
            try:
                accept(second, names="李四")
                outcome["second"] = "accepted"
            except services.EventFull:
                outcome["second"] = "full"
            finally:
                close_old_connections()

        # Hold the event's row lock as another reply would, take the last seat, and let a
        # second reply start meanwhile: it must wait for the lock and then find no seat left.
        with transaction.atomic():
            ClientEvent.objects.select_for_update().get(pk=firm.event.pk)
            racer = threading.Thread(target=reply)
            racer.start()
            racer.join(timeout=0.5)
            assert racer.is_alive(), "the second reply did not wait for the event's row lock"
            Invitation.objects.filter(pk=first.pk).update(rsvp=RsvpStatus.ACCEPTED, attendees=1)
        racer.join(timeout=10)
        assert outcome == {"second": "full"}
        assert selectors.accepted_seats([firm.event.pk]) == {firm.event.pk: 1}


# --- Attendance, finishing and feedback ---------------------------------------------------------


def test_attendance_after_the_start_by_the_events_team(firm, invited, _clock):
    other = Invitation.objects.get(client=firm.beta)
    accept(invited)
    accept(other, names="李四")
    with pytest.raises(TransitionNotAllowed, match="活动开始后"):
        services.attendance_record(event=firm.event, attended_ids=[invited.pk], by=firm.staff.head)
    _clock.move_to(STARTED, tick=False)
    with pytest.raises(DomainError, match="只有活动组织人"):
        services.attendance_record(
            event=firm.event, attended_ids=[invited.pk], by=firm.staff.outsider
        )
    changed = services.attendance_record(
        event=firm.event, attended_ids=[invited.pk], by=firm.staff.head
    )
    assert changed == 2
    assert Invitation.objects.get(pk=invited.pk).attended is True
    assert Invitation.objects.get(pk=other.pk).attended is False
    # Saving the same sheet again changes nothing.
    assert (
        services.attendance_record(event=firm.event, attended_ids=[invited.pk], by=firm.staff.head)
        == 0
    )
    assert selectors.event_counts(firm.event).attended == 1


def test_finish_after_the_end_with_a_summary_then_feedback_once(firm, invited, _clock):
    accept(invited)
    _clock.move_to(STARTED, tick=False)
    services.attendance_record(event=firm.event, attended_ids=[invited.pk], by=firm.staff.service)
    with pytest.raises(TransitionNotAllowed, match="活动结束后"):
        services.event_finish(event=firm.event, summary="顺利", by=firm.staff.service)
    _clock.move_to(ENDED, tick=False)
    with pytest.raises(DomainError, match="请填写活动总结"):
        services.event_finish(event=firm.event, summary=" ", by=firm.staff.service)
    event = services.event_finish(
        event=firm.event, summary="到场 1 家，客户关心汇算清缴扣除项目。", by=firm.staff.service
    )
    assert event.status == EventStatus.FINISHED
    invited.refresh_from_db()
    assert services.link_state(invited) == services.LINK_FEEDBACK
    with pytest.raises(DomainError, match="1–5"):
        services.feedback_submit(invitation=invited, rating=6)
    services.feedback_submit(invitation=invited, rating=4, comment="讲得很清楚")
    with pytest.raises(services.RsvpClosed) as given:
        services.feedback_submit(invitation=invited, rating=1)
    assert given.value.state == services.LINK_FEEDBACK_GIVEN
    invited.refresh_from_db()
    assert (invited.feedback_rating, invited.feedback) == (4, "讲得很清楚")
    assert selectors.event_counts(event).average_rating == 4
    # No feedback from someone who did not come; finishing twice is refused.
    beta = Invitation.objects.get(client=firm.beta)
    with pytest.raises(TransitionNotAllowed):
        services.feedback_submit(invitation=beta, rating=5)
    with pytest.raises(TransitionNotAllowed):
        services.event_finish(event=event, summary="again", by=firm.staff.service)


def test_staff_record_phone_feedback_for_their_clients(firm, invited, _clock):
    accept(invited)
    _clock.move_to(ENDED, tick=False)
    services.attendance_record(event=firm.event, attended_ids=[invited.pk], by=firm.staff.service)
    services.event_finish(event=firm.event, summary="顺利", by=firm.staff.service)
    with pytest.raises(DomainError, match="不能为此客户记录"):
        services.feedback_submit(invitation=invited, rating=3, by=firm.staff.outsider)
    services.feedback_submit(invitation=invited, rating=3, comment="电话回访", by=firm.staff.sales)
    event = AuditEvent.objects.filter(object_type="care.invitation").first()
    assert event.actor == firm.staff.sales and event.detail == "记录客户电话反馈"


# --- Cancelling -----------------------------------------------------------------------------------


def test_cancel_emails_only_those_who_accepted(
    firm, invited, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        gamma = services.event_invite(
            event=firm.event, client=firm.gamma, by=firm.staff.service
        ).created[0]
    smtp_server.messages.clear()
    accept(invited)
    services.invitation_rsvp(invitation=gamma, accept=False)
    with pytest.raises(DomainError, match="请填写取消原因"):
        services.event_cancel(event=firm.event, reason="", by=firm.staff.service)
    with pytest.raises(DomainError):
        services.event_cancel(event=firm.event, reason="x", by=firm.staff.outsider)
    with django_capture_on_commit_callbacks(execute=True):
        event = services.event_cancel(event=firm.event, reason="讲师临时出差", by=firm.staff.head)
    assert (event.status, event.cancel_reason, event.summary) == (
        EventStatus.CANCELLED,
        "讲师临时出差",
        "",
    )
    [received] = smtp_server.messages
    assert "wang@acme.example" in received["X-Envelope-To"]
    assert received["Subject"].strip() == "活动取消通知：2026 年度汇算清缴培训会"
    assert "讲师临时出差" in smtp_server.text(received)
    with pytest.raises(TransitionNotAllowed):
        services.event_cancel(event=event, reason="again", by=firm.staff.head)


# --- Reads --------------------------------------------------------------------------------------


def test_client_events_lists_the_clients_invitations_newest_first(firm, invited):
    later = new_event(
        firm,
        title="出口退税研讨会",
        starts_at=at(2027, 1, 8, 9),
        ends_at=at(2027, 1, 8, 11),
    )
    services.event_invite(event=later, client=firm.acme, by=firm.staff.service)
    accept(invited, attendees=2, names="王经理、刘会计")
    rows = selectors.client_events(firm.acme)
    assert [r.event.title for r in rows] == ["出口退税研讨会", "2026 年度汇算清缴培训会"]
    assert rows[1].rsvp == RsvpStatus.ACCEPTED and rows[1].attendees == 2


def test_home_counts_for_the_events_team(firm, invited, _clock):
    new_event(firm, starts_at=at(2026, 11, 25, 9), ends_at=at(2026, 11, 25, 11))
    counts = selectors.event_counts_for_home(user=firm.staff.service, now=NOW)
    assert counts == {"to_close": 0, "upcoming": 1}
    later = at(2026, 12, 11, 9)
    assert selectors.event_counts_for_home(user=firm.staff.head, now=later) == {
        "to_close": 1,
        "upcoming": 0,
    }
    assert selectors.event_counts_for_home(user=firm.staff.outsider, now=later)["to_close"] == 0
    assert selectors.event_counts_for_home(user=firm.staff.accountant, now=later) is None


def test_new_contact_order_does_not_change_existing_invitations(firm, invited):
    ContactFactory(client=firm.acme, name="新主要联系人", email="new@acme.example", is_primary=True)
    invite_all_it(firm)
    assert Invitation.objects.get(client=firm.acme).contact == firm.contact
    assert dt.timedelta(0) == Invitation.objects.get(client=firm.acme).invited_at - NOW
