"""Client event pages: the role matrix (the event's team, other writers, readers; 404 for a
client or invitation outside one's scope), the list with seats against capacity and its pinned
query count, the detail page's figures and invitation table (pinned too), planning and editing
(errors beside the field, a stale save refused with the input kept), inviting by target and by
the picker, attendance and finishing, cancelling, phone feedback, the home panel, the client's
section, and the client's RSVP page without a login (accept, decline, change, full, started,
cancelled, tampered, feedback once)."""

from __future__ import annotations

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client as HttpClient
from django.urls import reverse

from zhangfang.care.models import ClientEvent, EventStatus, Invitation, RsvpStatus
from zhangfang.care.selectors.events import client_events
from zhangfang.care.selectors.targeting import Target
from zhangfang.care.services import events as services
from zhangfang.care.tests.factories_events import (
    ENDED,
    NOW,
    STARTED,
    at,
    event_firm,
    new_event,
)
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db

LIST = reverse("care:event_list")
NEW = reverse("care:event_create")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return event_firm()


def as_user(client, firm, who: str):
    # A fresh session: after the clock moves on, the old one has been idle too long.
    client.logout()
    client.force_login(getattr(firm.staff, who))
    return client


def url(name: str, event: ClientEvent, *args) -> str:
    return reverse(f"care:{name}", args=[event.pk, *args])


def invite(firm, *clients) -> list[Invitation]:
    created = []
    for c in clients:
        created += services.event_invite(event=firm.event, client=c, by=firm.staff.admin).created
    return created


def public(invitation: Invitation) -> str:
    return services.rsvp_path(invitation)


def form_data(**overrides) -> dict:
    data = {
        "title": "小规模纳税人政策座谈会",
        "kind": "seminar",
        "starts_at": "2026-12-01T14:00",
        "ends_at": "2026-12-01T16:00",
        "place": "公司三楼会议室",
        "capacity": "20",
        "speaker": "",
        "organizer": "",
        "agenda": "",
    }
    data.update(overrides)
    return data


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "new", "manage", "invite_page", "sees_acme"),
    [
        ("service", 200, 200, 200, True),  # the organiser
        ("sales", 200, 200, 200, True),  # a colleague of the organiser's department
        ("head", 200, 200, 200, True),
        ("admin", 200, 200, 200, True),
        ("head2", 200, 403, 200, False),  # a writer of another department
        ("outsider", 200, 403, 200, False),
        ("accountant", 403, 403, 403, True),  # reads; acme is theirs
        ("tax", 403, 403, 403, True),
    ],
)
def test_role_matrix(client, firm, who, new, manage, invite_page, sees_acme):
    [acme] = invite(firm, firm.acme)
    as_user(client, firm, who)
    assert client.get(LIST).status_code == 200
    detail = client.get(url("event_detail", firm.event))
    assert detail.status_code == 200
    assert (firm.acme.name in detail.content.decode()) is sees_acme
    assert client.get(NEW).status_code == new
    assert client.get(url("event_edit", firm.event)).status_code == manage
    assert client.get(url("event_attendance", firm.event)).status_code == manage
    assert client.get(url("event_invite", firm.event)).status_code == invite_page
    if invite_page == 200 and manage == 403:
        # Outside one's scope, a client to invite and an invitation answer "not found".
        picked = client.get(url("event_invite", firm.event), {"client": firm.acme.pk})
        assert picked.status_code == 404
        assert client.get(url("event_feedback", firm.event, acme.pk)).status_code == 404
    cancelled = client.post(url("event_cancel", firm.event), {"reason": "场地维修"})
    assert cancelled.status_code == (302 if manage == 200 else 403)
    firm.event.refresh_from_db()
    expected = EventStatus.CANCELLED if manage == 200 else EventStatus.INVITING
    assert firm.event.status == expected


def test_anonymous_is_sent_to_login(client, firm):
    response = client.get(LIST)
    assert response.status_code == 302 and "login" in response["Location"]


def test_missing_event_is_not_found(client, firm):
    as_user(client, firm, "admin")
    assert client.get(reverse("care:event_detail", args=[99999])).status_code == 404


# --- List ---------------------------------------------------------------------------------------


def test_list_shows_seats_and_filters(client, firm, _clock):
    acme, beta = invite(firm, firm.acme, firm.beta)
    services.invitation_rsvp(invitation=acme, accept=True, attendees=2, names="甲、乙")
    services.invitation_rsvp(invitation=beta, accept=True, attendees=3, names="丙、丁、戊")
    new_event(firm, title="出口退税研讨会", kind="forum", capacity=40)
    past = new_event(
        firm, title="上半年客户座谈会", starts_at=at(2026, 6, 1, 14), ends_at=at(2026, 6, 1, 16)
    )
    ClientEvent.objects.filter(pk=past.pk).update(status=EventStatus.FINISHED)
    page = as_user(client, firm, "accountant").get(LIST).content.decode()
    assert "共 2 场活动" in page and "5 / 5" in page and "已满" in page and "0 / 40" in page
    assert "上半年客户座谈会" not in page
    past_page = client.get(LIST, {"when": "past"}).content.decode()
    assert "上半年客户座谈会" in past_page and "共 1 场活动" in past_page
    forum = client.get(LIST, {"kind": "forum"}, HTTP_HX_REQUEST="true").content.decode()
    assert "出口退税研讨会" in forum and "汇算清缴" not in forum and "<html" not in forum
    inviting = client.get(LIST, {"when": "all", "status": "inviting"}).content.decode()
    assert "共 1 场活动" in inviting
    assert "没有符合条件的活动" in client.get(LIST, {"status": "cancelled"}).content.decode()
    assert "新建活动" not in page  # the accountant plans no events


def test_list_query_count_is_pinned(client, firm, django_assert_num_queries):
    for n in range(6):
        event = new_event(firm, title=f"培训 {n}")
        services.event_invite(event=event, target=Target(industries=["I"]), by=firm.staff.admin)
    for invitation in Invitation.objects.all()[:4]:
        services.invitation_rsvp(invitation=invitation, accept=True, attendees=1, names="甲")
    as_user(client, firm, "service")
    client.get(LIST)
    # session, user, groups; count, ids, rows with organiser; seats of the page (one query).
    with django_assert_num_queries(7):
        client.get(LIST)
    with django_assert_num_queries(7):
        client.get(LIST, {"sort": "-title", "when": "all"}, HTTP_HX_REQUEST="true")


# --- Detail ---------------------------------------------------------------------------------------


def test_detail_shows_counts_links_and_filters(client, firm):
    acme, beta, _gamma = invite(firm, firm.acme, firm.beta, firm.gamma)
    services.invitation_rsvp(invitation=acme, accept=True, attendees=2, names="王经理、刘会计")
    services.invitation_rsvp(invitation=beta, accept=False)
    page = as_user(client, firm, "service").get(url("event_detail", firm.event)).content.decode()
    assert 'id="count-invited">3<' in page and 'id="count-accepted">1<' in page
    assert 'id="count-declined">1<' in page and 'id="count-pending">1<' in page
    assert "2 / 5 人" in page and "王经理、刘会计" in page
    assert f"http://testserver{public(acme)}" in page and "zf-copy" in page
    assert "邀请客户" in page and "取消活动" in page
    accepted = client.get(
        url("event_detail", firm.event), {"rsvp": "accepted"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert firm.acme.name in accepted and firm.beta.name not in accepted
    assert "<html" not in accepted and "共 1 家客户" in accepted
    found = client.get(url("event_detail", firm.event), {"q": "伽马"}).content.decode()
    assert "共 1 家客户" in found


def test_detail_query_count_is_pinned(client, firm, django_assert_num_queries):
    for n in range(8):
        ContactFactory(client=ClientFactory(name=f"客户{n}", department=firm.d1))
    services.event_invite(event=firm.event, target=Target(industries=["I"]), by=firm.staff.admin)
    as_user(client, firm, "head")
    client.get(url("event_detail", firm.event))
    # session, user, groups; event; count, ids, rows of invitations; figures; audit timeline.
    with django_assert_num_queries(9):
        client.get(url("event_detail", firm.event))
    # The table alone: session, user, groups; event; count, ids, rows.
    with django_assert_num_queries(7):
        client.get(url("event_detail", firm.event), {"sort": "-rsvp_at"}, HTTP_HX_REQUEST="true")


# --- Planning and editing -------------------------------------------------------------------------


def test_create_through_the_page(client, firm):
    as_user(client, firm, "sales")
    response = client.post(NEW, form_data())
    event = ClientEvent.objects.get(title="小规模纳税人政策座谈会")
    assert response.status_code == 302 and response["Location"] == url("event_detail", event)
    assert event.organizer == firm.staff.sales and event.starts_at == at(2026, 12, 1, 14)


def test_create_errors_stand_beside_the_field_and_input_is_kept(client, firm):
    as_user(client, firm, "service")
    response = client.post(NEW, form_data(ends_at="2026-12-01T13:00", capacity="0"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "名额至少为 1" in text
    response = client.post(NEW, form_data(ends_at="2026-12-01T13:00"))
    text = response.content.decode()
    assert "结束时间须晚于开始时间" in text and 'value="小规模纳税人政策座谈会"' in text
    assert not ClientEvent.objects.filter(title="小规模纳税人政策座谈会").exists()


def test_edit_refuses_a_stale_save_and_keeps_the_input(client, firm):
    as_user(client, firm, "service")
    opened = firm.event.version
    services.event_update(
        event=firm.event,
        data={
            "title": "改名",
            "kind": "training",
            "starts_at": firm.event.starts_at,
            "ends_at": firm.event.ends_at,
            "place": "新地点",
            "capacity": 9,
        },
        expected_version=opened,
        by=firm.staff.head,
    )
    response = client.post(
        url("event_edit", firm.event),
        form_data(title="我的名称", version=str(opened), organizer=str(firm.staff.service.pk)),
    )
    text = response.content.decode()
    assert response.status_code == 200 and "其他人已修改了此活动" in text and "我的名称" in text
    saved = client.post(
        url("event_edit", firm.event),
        form_data(
            title="我的名称",
            version=str(opened + 1),
            capacity="12",
            organizer=str(firm.staff.service.pk),
        ),
    )
    assert saved.status_code == 302
    firm.event.refresh_from_db()
    assert (firm.event.title, firm.event.capacity) == ("我的名称", 12)


# --- Inviting -------------------------------------------------------------------------------------


def test_invite_by_target_through_the_page(client, firm):
    as_user(client, firm, "service")
    page = client.get(url("event_invite", firm.event)).content.decode()
    assert "高新企业" in page and "南山区" in page and "按条件邀请" in page
    empty = client.post(url("event_invite", firm.event), {"mode": "target"})
    assert empty.status_code == 400 and "请至少选择一个条件" in empty.content.decode()
    response = client.post(
        url("event_invite", firm.event), {"mode": "target", "tags": [firm.hightech.pk]}
    )
    assert response.status_code == 302
    assert set(Invitation.objects.values_list("client__name", flat=True)) == {
        firm.acme.name,
        firm.gamma.name,
    }
    follow = client.get(url("event_detail", firm.event)).content.decode()
    assert "已邀请 2 家客户" in follow
    again = client.post(
        url("event_invite", firm.event), {"mode": "target", "everyone": "on"}, follow=True
    )
    assert "已邀请 1 家客户" in again.content.decode()
    assert "另有 2 家此前已邀请" in again.content.decode()


def test_invite_one_client_through_the_picker(client, firm):
    as_user(client, firm, "outsider")
    invite_url = url("event_invite", firm.event)
    results = client.get(invite_url, {"q": "伽马"}, HTTP_HX_REQUEST="true").content.decode()
    assert f"?client={firm.gamma.pk}" in results
    # acme is not theirs to invite: not offered.
    assert firm.acme.name not in client.get(invite_url, {"q": "顶峰"}).content.decode()
    confirm = client.get(invite_url, {"client": firm.gamma.pk})
    assert confirm.status_code == 200 and "发送邀请" in confirm.content.decode()
    response = client.post(invite_url, {"mode": "client", "client": firm.gamma.pk})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.client, invitation.invited_by) == (firm.gamma, firm.staff.outsider)
    # The writer who sent it sees it on the event page, though the event is not theirs.
    page = client.get(url("event_detail", firm.event)).content.decode()
    assert firm.gamma.name in page


def test_invite_page_after_the_start_says_so(client, firm, _clock):
    _clock.move_to(STARTED, tick=False)
    page = as_user(client, firm, "service").get(url("event_invite", firm.event)).content.decode()
    assert "活动已开始，不能再邀请客户" in page and "按条件邀请" not in page
    client.post(url("event_invite", firm.event), {"mode": "target", "everyone": "on"})
    assert not Invitation.objects.exists()


# --- Attendance, finishing, cancelling, phone feedback --------------------------------------------


def test_attendance_and_finish_through_the_pages(client, firm, _clock):
    acme, beta = invite(firm, firm.acme, firm.beta)
    services.invitation_rsvp(invitation=acme, accept=True, attendees=2, names="王经理、刘会计")
    services.invitation_rsvp(invitation=beta, accept=True, attendees=1, names="李四")
    as_user(client, firm, "sales")
    sheet = url("event_attendance", firm.event)
    assert "活动开始后才能记录出席" in client.get(sheet).content.decode()
    _clock.move_to(STARTED, tick=False)
    as_user(client, firm, "sales")  # days later: a new session
    page = client.get(sheet).content.decode()
    finish = url("event_finish", firm.event)
    assert "王经理、刘会计" in page and "zf-row-check" in page and finish not in page
    assert client.post(sheet, {"attended": ["99999"]}).status_code == 400
    response = client.post(sheet, {"attended": [str(acme.pk)]})
    assert response.status_code == 302
    assert Invitation.objects.get(pk=acme.pk).attended is True
    assert Invitation.objects.get(pk=beta.pk).attended is False
    assert "出席情况已保存（2 家有变动）" in client.get(sheet).content.decode()
    _clock.move_to(ENDED, tick=False)
    as_user(client, firm, "sales")
    assert finish in client.get(sheet).content.decode()
    refused = client.post(url("event_finish", firm.event), {"summary": ""})
    assert refused.status_code == 422 and "这个字段是必填项" in refused.content.decode()
    done = client.post(url("event_finish", firm.event), {"summary": "到场 1 家，交流热烈。"})
    assert done.status_code == 302
    firm.event.refresh_from_db()
    assert (firm.event.status, firm.event.summary) == (
        EventStatus.FINISHED,
        "到场 1 家，交流热烈。",
    )
    detail = client.get(url("event_detail", firm.event)).content.decode()
    assert "到场 1 家，交流热烈。" in detail and 'id="count-attended">1<' in detail
    assert "记录电话反馈" in detail


def test_cancel_through_the_detail_page(client, firm):
    as_user(client, firm, "service")
    refused = client.post(url("event_cancel", firm.event), {"reason": ""})
    assert refused.status_code == 422 and "取消原因" in refused.content.decode()
    response = client.post(url("event_cancel", firm.event), {"reason": "场地维修"})
    assert response.status_code == 302
    page = client.get(url("event_detail", firm.event)).content.decode()
    assert "已取消" in page and "场地维修" in page and "取消原因" in page
    assert client.get(url("event_edit", firm.event)).status_code == 302


def test_phone_feedback_page_records_once(client, firm, _clock):
    [acme] = invite(firm, firm.acme)
    services.invitation_rsvp(invitation=acme, accept=True, attendees=1, names="王经理")
    as_user(client, firm, "service")
    feedback = url("event_feedback", firm.event, acme.pk)
    assert "活动举办并记录出席后" in client.get(feedback).content.decode()
    _clock.move_to(ENDED, tick=False)
    services.attendance_record(event=firm.event, attended_ids=[acme.pk], by=firm.staff.service)
    services.event_finish(event=firm.event, summary="顺利", by=firm.staff.service)
    as_user(client, firm, "service")
    response = client.post(feedback, {"rating": "5", "comment": "电话里说很有收获"})
    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.feedback_rating, acme.feedback) == (5, "电话里说很有收获")
    again = client.get(feedback).content.decode()
    assert "不能重复记录" in again
    assert client.post(feedback, {"rating": "1"}).status_code == 400
    assert Invitation.objects.get(pk=acme.pk).feedback_rating == 5


# --- Home and the client page ---------------------------------------------------------------------


def test_home_panel_for_the_events_team(client, firm, _clock):
    new_event(firm, title="下周培训", starts_at=at(2026, 11, 24, 9), ends_at=at(2026, 11, 24, 11))
    page = as_user(client, firm, "service").get(reverse("core:home")).content.decode()
    assert "1 场活动将在 7 天内举办" in page
    assert (
        "场活动将在"
        not in as_user(client, firm, "accountant").get(reverse("core:home")).content.decode()
    )


def test_client_section_lists_the_clients_events(firm):
    [acme] = invite(firm, firm.acme)
    services.invitation_rsvp(invitation=acme, accept=True, attendees=2, names="王经理、刘会计")
    html = render_to_string(
        "care/_client_events.html", {"event_invitations": client_events(firm.acme)}
    )
    assert "2026 年度汇算清缴培训会" in html and "王经理、刘会计" in html and "2 人" in html
    empty = render_to_string("care/_client_events.html", {"event_invitations": []})
    assert "还没有邀请此客户参加活动" in empty


# --- The client's page ----------------------------------------------------------------------------


@pytest.fixture
def anonymous():
    return HttpClient(enforce_csrf_checks=True)


def csrf(browser: HttpClient, path: str) -> str:
    response = browser.get(path)
    return response.cookies["csrftoken"].value


def test_rsvp_accept_then_change_then_decline(firm, anonymous):
    [acme] = invite(firm, firm.acme)
    page = anonymous.get(public(acme))
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex, nofollow"
    text = page.content.decode()
    assert "2026 年度汇算清缴培训会" in text and "公司三楼会议室" in text and firm.acme.name in text
    assert "目前剩余 5 个名额" in text
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    token = page.cookies["csrftoken"].value
    assert anonymous.post(public(acme), {"answer": "accept"}).status_code == 403  # no token
    response = anonymous.post(
        public(acme),
        {
            "answer": "accept",
            "attendees": "2",
            "attendee_names": "王经理 刘会计",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 200 and "报名成功" in response.content.decode()
    acme.refresh_from_db()
    assert (acme.rsvp, acme.attendees) == (RsvpStatus.ACCEPTED, 2)
    again = anonymous.get(public(acme)).content.decode()
    assert "您已报名参加：2 人" in again and "修改回复" in again
    anonymous.post(
        public(acme),
        {
            "answer": "accept",
            "attendees": "1",
            "attendee_names": "王经理",
            "csrfmiddlewaretoken": token,
        },
    )
    declined = anonymous.post(public(acme), {"answer": "decline", "csrfmiddlewaretoken": token})
    assert "已收到您的回复" in declined.content.decode()
    acme.refresh_from_db()
    assert acme.rsvp == RsvpStatus.DECLINED


def test_rsvp_form_names_what_is_missing(client, firm):
    [acme] = invite(firm, firm.acme)
    response = client.post(
        public(acme), {"answer": "accept", "attendees": "", "attendee_names": ""}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "请填写参加人数" in text and "请填写参加人姓名" in text
    assert client.post(public(acme), {}).status_code == 400
    assert Invitation.objects.get(pk=acme.pk).rsvp == RsvpStatus.PENDING


def test_rsvp_refused_when_full(client, firm):
    acme, beta = invite(firm, firm.acme, firm.beta)
    services.invitation_rsvp(invitation=beta, accept=True, attendees=5, names="甲、乙、丙、丁、戊")
    response = client.post(
        public(acme), {"answer": "accept", "attendees": "1", "attendee_names": "王经理"}
    )
    assert response.status_code == 400 and "名额已满" in response.content.decode()
    assert "名额已满，仍可回复不参加" in client.get(public(acme)).content.decode()
    assert Invitation.objects.get(pk=acme.pk).rsvp == RsvpStatus.PENDING
    # Declining is always possible.
    assert client.post(public(acme), {"answer": "decline"}).status_code == 200


def test_rsvp_closes_at_the_start_and_on_cancellation(client, firm, _clock):
    [acme] = invite(firm, firm.acme)
    _clock.move_to(STARTED, tick=False)
    closed = client.get(public(acme))
    assert closed.status_code == 410 and "报名已截止" in closed.content.decode()
    assert client.post(public(acme), {"answer": "decline"}).status_code == 410
    _clock.move_to(NOW, tick=False)
    services.event_cancel(event=firm.event, reason="场地维修", by=firm.staff.service)
    cancelled = client.get(public(acme))
    assert cancelled.status_code == 410 and "活动已取消" in cancelled.content.decode()


def test_tampered_link_is_not_found(client, firm):
    [acme] = invite(firm, firm.acme)
    path = public(acme)
    token = path.rstrip("/").rsplit("/", 1)[1]
    broken = path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    response = client.get(broken)
    assert response.status_code == 404 and "链接无效" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_feedback_through_the_link_once(firm, anonymous, _clock):
    acme, beta = invite(firm, firm.acme, firm.beta)
    services.invitation_rsvp(invitation=acme, accept=True, attendees=1, names="王经理")
    services.invitation_rsvp(invitation=beta, accept=True, attendees=1, names="李四")
    _clock.move_to(ENDED, tick=False)
    services.attendance_record(event=firm.event, attended_ids=[acme.pk], by=firm.staff.service)
    services.event_finish(event=firm.event, summary="顺利", by=firm.staff.service)
    page = anonymous.get(public(acme))
    assert page.status_code == 200 and "感谢您参加本次活动" in page.content.decode()
    token = page.cookies["csrftoken"].value
    assert anonymous.post(public(acme), {"csrfmiddlewaretoken": token}).status_code == 400
    done = anonymous.post(
        public(acme), {"rating": "4", "comment": "希望多讲案例", "csrfmiddlewaretoken": token}
    )
    assert done.status_code == 200 and "感谢您的反馈" in done.content.decode()
    second = anonymous.post(public(acme), {"rating": "1", "csrfmiddlewaretoken": token})
    assert second.status_code == 410 and "您已提交过反馈" in second.content.decode()
    assert Invitation.objects.get(pk=acme.pk).feedback_rating == 4
    # Who did not come gets no feedback form.
    absent = anonymous.get(public(beta))
    assert absent.status_code == 410 and "报名已截止" in absent.content.decode()
