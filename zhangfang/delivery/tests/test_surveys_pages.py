"""Satisfaction survey pages: the role matrix, the list with its filters, satisfaction rate
against the target and pinned query count, sending (one client, batch), the detail page and
closing a follow-up, and the client's page without a login (valid, tampered, expired, answered,
missing ratings)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.models import AuditEvent
from zhangfang.core.policy import policy_value_set
from zhangfang.delivery.models import FollowUp, FollowUpStatus, Survey
from zhangfang.delivery.services import surveys as services
from zhangfang.delivery.tests.factories import FollowUpFactory, SurveyFactory
from zhangfang.delivery.tests.support import at, make_firm

pytestmark = pytest.mark.django_db

LIST = reverse("delivery:survey_list")
SEND = reverse("delivery:survey_send")
BATCH = reverse("delivery:survey_send_batch")
FOLLOW_UPS = reverse("delivery:follow_up_list")
NOV = dt.date(2026, 11, 1)
NOW = at(2026, 11, 10, 10)
GOOD = {"attitude": "5", "expertise": "4", "timeliness": "5", "quality": "4", "overall": "5"}


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_firm()


def as_user(client, firm, who: str):
    client.force_login(getattr(firm.staff, who))
    return client


def send(firm, **kwargs) -> Survey:
    kwargs.setdefault("client", firm.acme)
    kwargs.setdefault("period", NOV)
    return services.survey_send(by=firm.staff.service, **kwargs)


def public(survey: Survey) -> str:
    return reverse("delivery:survey_public", args=[services.survey_token(survey)])


def detail(survey: Survey) -> str:
    return reverse("delivery:survey_detail", args=[survey.pk])


def answered(firm, overall: int, *, client=None, **ratings) -> Survey:
    values = {"attitude": 5, "expertise": 5, "timeliness": 5, "quality": 5, "overall": overall}
    values.update(ratings)
    return SurveyFactory(client=client or firm.acme, period=NOV, answered_at=NOW, **values)


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "list_", "see", "follow_ups"),
    [
        ("service", 200, 200, 200),
        ("accountant", 403, 403, 200),
        ("tax", 403, 403, 200),
        ("sales", 403, 403, 200),
        ("head", 200, 200, 200),
        ("head2", 200, 404, 200),
        ("outsider", 200, 404, 200),
        ("admin", 200, 200, 200),
    ],
)
def test_role_matrix(client, firm, who, list_, see, follow_ups):
    survey = send(firm)
    as_user(client, firm, who)
    assert client.get(LIST).status_code == list_
    assert client.get(SEND).status_code == list_
    assert client.get(SEND, {"client": firm.acme.pk}).status_code == (list_ if see != 404 else 404)
    assert client.get(detail(survey)).status_code == see
    assert client.get(FOLLOW_UPS).status_code == follow_ups
    if list_ == 200 and see == 404:
        assert firm.acme.name not in client.get(LIST).content.decode()


def test_anonymous_users_are_sent_to_log_in(client, firm):
    survey = send(firm)
    for url in (LIST, SEND, detail(survey), FOLLOW_UPS):
        assert client.get(url).status_code == 302


def test_a_follow_up_assignee_without_a_survey_role_sees_its_survey(client, firm):
    survey = answered(firm, 2)
    FollowUpFactory(survey=survey, assignee=firm.staff.accountant)
    as_user(client, firm, "accountant")
    assert client.get(detail(survey)).status_code == 200


# --- List -----------------------------------------------------------------------------------------


def test_list_shows_the_satisfaction_rate_against_the_target(client, firm):
    # 3 of 4 answers satisfied (overall 4 or 5): 75.0 %, below the default target of 90 %.
    for overall in (5, 4, 2, 5):
        answered(firm, overall)
    SurveyFactory(client=firm.acme, period=NOV)  # unanswered: not counted
    answered(firm, 1, client=ClientFactory(department=firm.d2))  # not the head's department
    as_user(client, firm, "head")
    page = client.get(LIST, {"period": "2026-11"}).content.decode()
    assert 'id="satisfaction-rate">75.0%<' in page
    assert "满意 3 / 答复 4" in page
    assert "未达标" in page
    policy_value_set(key="satisfaction_target_percent", raw="75", by=firm.staff.admin)
    page = client.get(LIST, {"period": "2026-11"}).content.decode()
    assert "达标" in page and "未达标" not in page


def test_list_filters(client, firm):
    low = answered(firm, 2)
    FollowUpFactory(survey=low)
    answered(firm, 5, quality=1)
    answered(firm, 5)
    SurveyFactory(client=firm.acme, period=NOV)
    SurveyFactory(client=firm.acme, period=dt.date(2026, 10, 1))
    as_user(client, firm, "service")
    assert "共 4 份调查" in client.get(LIST).content.decode()  # this month by default
    assert "共 3 份调查" in client.get(LIST, {"state": "answered"}).content.decode()
    assert "共 1 份调查" in client.get(LIST, {"state": "unanswered"}).content.decode()
    page = client.get(LIST, {"state": "low"}, HTTP_HX_REQUEST="true").content.decode()
    assert "共 2 份调查" in page and "<html" not in page
    assert "待回访" in page
    assert "共 1 份调查" in client.get(LIST, {"period": "2026-10"}).content.decode()
    assert "共 4 份调查" in client.get(LIST, {"period": "bad", "state": "x"}).content.decode()


def test_list_shows_open_links_to_copy(client, firm):
    survey = send(firm)
    as_user(client, firm, "service")
    page = client.get(LIST).content.decode()
    assert f"http://testserver{public(survey)}" in page


def test_list_query_count_is_pinned(client, firm, django_assert_num_queries):
    for overall in (5, 2, 4):
        FollowUpFactory(survey=answered(firm, overall))
    for _ in range(5):
        SurveyFactory(client=ClientFactory(department=firm.d2), period=NOV)
    as_user(client, firm, "admin")
    client.get(LIST)
    # session, user, groups; satisfaction; count, ids, rows with client, contact and follow-up.
    with django_assert_num_queries(7):
        client.get(LIST)
    with django_assert_num_queries(7):
        client.get(LIST, {"sort": "overall", "state": "answered"}, HTTP_HX_REQUEST="true")


# --- Sending --------------------------------------------------------------------------------------


def test_send_through_the_picker(client, firm):
    firm.contact.email = "wang@acme.example"
    firm.contact.save()
    as_user(client, firm, "service")
    page = client.get(SEND, {"q": "顶峰"}, HTTP_HX_REQUEST="true").content.decode()
    assert f"?client={firm.acme.pk}" in page
    url = f"{SEND}?client={firm.acme.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"contact": "", "period": "2026-11"})
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(survey)
    assert survey.sent_by == firm.staff.service
    page = client.get(detail(survey)).content.decode()
    assert f"http://testserver{public(survey)}" in page
    # Sending again while the link is open is refused beside the form.
    response = client.post(url, {"period": "2026-11"})
    assert response.status_code == 200 and "本月已有满意度调查" in response.content.decode()
    assert Survey.objects.count() == 1


def test_send_e_mails_an_absolute_link(client, firm, django_capture_on_commit_callbacks):
    firm.contact.email = "wang@acme.example"
    firm.contact.save()
    as_user(client, firm, "service")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{SEND}?client={firm.acme.pk}", {"period": "2026-11"})
    assert f"http://testserver{public(Survey.objects.get())}" in mail.outbox[0].body


def test_send_needs_a_month(client, firm):
    as_user(client, firm, "service")
    response = client.post(f"{SEND}?client={firm.acme.pk}", {"period": ""})
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    assert not Survey.objects.exists()


def test_batch_send_is_idempotent(client, firm):
    ClientFactory(department=firm.d1, customer_service=firm.staff.service)
    as_user(client, firm, "service")
    response = client.post(BATCH, {"period": "2026-11"}, follow=True)
    assert "已向 2 位服务中的客户发送" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"{LIST}?period=2026-11"
    response = client.post(BATCH, {"period": "2026-11"}, follow=True)
    assert "都已发送过" in response.content.decode()
    assert Survey.objects.count() == 2


def test_batch_send_is_refused_to_other_roles(client, firm):
    as_user(client, firm, "accountant")
    assert client.post(BATCH, {"period": "2026-11"}).status_code == 403
    assert not Survey.objects.exists()


# --- Detail and follow-ups ----------------------------------------------------------------------


def test_detail_shows_answers_and_closes_the_follow_up(client, firm):
    survey = send(firm)
    services.survey_answer(survey=survey, ratings={**GOOD, "overall": 2}, comment="报税太慢")
    follow_up = FollowUp.objects.get()
    as_user(client, firm, "service")
    page = client.get(detail(survey)).content.decode()
    assert "报税太慢" in page and "不满意" in page and "记录处理结果" in page
    close = reverse("delivery:follow_up_close", args=[follow_up.pk])
    response = client.post(close, {"outcome": ""})
    assert response.status_code == 422 and "这个字段是必填项" in response.content.decode()
    response = client.post(close, {"outcome": "已回访，承诺提前报税。"})
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.CLOSED and follow_up.closed_by == firm.staff.service
    assert "已回访，承诺提前报税。" in client.get(detail(survey)).content.decode()


@pytest.mark.parametrize(("who", "status"), [("head2", 404), ("outsider", 404), ("sales", 403)])
def test_others_cannot_close(client, firm, who, status):
    follow_up = FollowUpFactory(survey=answered(firm, 1))
    as_user(client, firm, who)
    close = reverse("delivery:follow_up_close", args=[follow_up.pk])
    assert client.post(close, {"outcome": "x"}).status_code == status
    assert FollowUp.objects.get().status == FollowUpStatus.OPEN


def test_follow_up_list_shows_mine_and_marks_overdue(client, firm):
    late = FollowUpFactory(survey=answered(firm, 1), due_on=dt.date(2026, 11, 5))
    FollowUpFactory(survey=answered(firm, 2), due_on=dt.date(2026, 11, 12))
    FollowUpFactory(
        survey=answered(firm, 2), due_on=dt.date(2026, 11, 12), status=FollowUpStatus.CLOSED
    )
    other = ClientFactory(department=firm.d1)
    FollowUpFactory(survey=answered(firm, 2, client=other), assignee=None, head=None)
    as_user(client, firm, "service")
    page = client.get(FOLLOW_UPS).content.decode()
    assert "共 2 项跟进" in page and "已逾期" in page
    assert "共 1 项跟进" in client.get(FOLLOW_UPS, {"overdue": "1"}).content.decode()
    assert "共 3 项跟进" in client.get(FOLLOW_UPS, {"status": ""}).content.decode()
    as_user(client, firm, "head")
    assert "共 0 项跟进" in client.get(FOLLOW_UPS).content.decode()
    page = client.get(FOLLOW_UPS, {"view": "all"}, HTTP_HX_REQUEST="true").content.decode()
    assert "共 3 项跟进" in page and "<html" not in page
    assert late.survey.client.name in page


def test_follow_up_list_query_count_is_pinned(client, firm, django_assert_num_queries):
    for _ in range(4):
        FollowUpFactory(survey=answered(firm, 1), head=firm.staff.head)
    as_user(client, firm, "head")
    client.get(FOLLOW_UPS)
    # session, user, groups; count, ids, rows with survey, client, assignee and head.
    with django_assert_num_queries(6):
        client.get(FOLLOW_UPS, {"view": "all"})


def test_home_panel_counts_my_follow_ups(client, firm):
    FollowUpFactory(survey=answered(firm, 1), due_on=dt.date(2026, 11, 5))
    as_user(client, firm, "service")
    page = client.get(reverse("core:home")).content.decode()
    assert "1 项回访待我处理" in page and "1 项回访已逾期" in page


# --- The client's page --------------------------------------------------------------------------


def test_public_page_answers_once(firm):
    anonymous = HttpClient(enforce_csrf_checks=True)
    survey = send(firm)
    page = anonymous.get(public(survey))
    assert page.status_code == 200
    text = page.content.decode()
    assert "非常不满意" in text and "非常满意" in text and firm.acme.name in text
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    token = page.cookies["csrftoken"].value
    data = {**GOOD, "overall": "2", "comment": "请更及时", "respondent_name": "王经理"}
    response = anonymous.post(public(survey), {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 200 and "感谢您的评价" in response.content.decode()
    survey.refresh_from_db()
    assert (survey.overall, survey.respondent_name) == (2, "王经理")
    assert FollowUp.objects.filter(survey=survey).exists()
    # A second submit, and a second visit, are refused: one answer is stored.
    again = anonymous.post(public(survey), {**data, "overall": "5", "csrfmiddlewaretoken": token})
    assert again.status_code == 410 and "您已提交过" in again.content.decode()
    assert anonymous.get(public(survey)).status_code == 410
    survey.refresh_from_db()
    assert survey.overall == 2
    assert AuditEvent.objects.filter(object_type="delivery.survey", action="update").count() == 1


def test_public_page_without_csrf_token_is_refused(firm):
    survey = send(firm)
    anonymous = HttpClient(enforce_csrf_checks=True)
    assert anonymous.post(public(survey), GOOD).status_code == 403
    assert Survey.objects.get().answered_at is None


def test_public_page_names_missing_ratings(client, firm):
    survey = send(firm)
    response = client.post(public(survey), {"attitude": "5", "quality": "9", "overall": "4"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "请为“专业能力”打分。" in text and "请为“响应及时”打分。" in text
    assert "请为“工作质量”选择 1–5 分。" in text
    # What was chosen is kept: 服务态度 5 and 总体满意度 4 stay checked.
    assert re.search(r'name="attitude" value="5"[^>]*checked', text)
    assert re.search(r'name="overall" value="4"[^>]*checked', text)
    assert Survey.objects.get().answered_at is None


def test_tampered_link_is_not_found(client, firm):
    survey = send(firm)
    token = services.survey_token(survey)
    bad = reverse("delivery:survey_public", args=[token[:-2] + "xx"])
    response = client.get(bad)
    assert response.status_code == 404 and "链接无效" in response.content.decode()
    assert client.post(bad, GOOD).status_code == 404


def test_expired_link_is_gone(client, firm, _clock):
    survey = send(firm)
    _clock.shift(dt.timedelta(days=14, seconds=1))
    response = client.get(public(survey))
    assert response.status_code == 410 and "链接已过期" in response.content.decode()
    assert client.post(public(survey), GOOD).status_code == 410
    assert Survey.objects.get().answered_at is None


def test_public_page_query_count(client, firm, django_assert_num_queries):
    survey = send(firm)
    client.get(public(survey))
    # The survey with its client and customer service (no session for an anonymous visitor).
    with django_assert_num_queries(1):
        client.get(public(survey))
