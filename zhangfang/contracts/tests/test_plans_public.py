"""The client's plan page (no login): what it shows on a phone, accepting, asking for changes,
and the pages of a link that cannot be answered (tampered, expired, answered, withdrawn,
superseded)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse

from zhangfang.contracts.models import PlanResponse, PlanStatus, ServicePlanVersion
from zhangfang.contracts.services import plans as services
from zhangfang.contracts.tests.plans_support import NOW, make_firm, plan_terms, sent_plan
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_firm()


@pytest.fixture
def sent(firm):
    return sent_plan(firm, include_setup=True)


def url(token: str) -> str:
    return reverse("contracts:public_plan", args=[token])


def accept(client, token, name="王总"):
    return client.post(url(token), {"response": "accepted", "accepted-responder_name": name})


def ask_changes(client, token, comment="请改为按季付", name="王总"):
    return client.post(
        url(token),
        {"response": "changes", "changes-responder_name": name, "changes-comment": comment},
    )


def test_the_page_shows_the_plan_standalone_on_a_phone(client, firm, sent, settings):
    settings.FIRM_NAME = "鼎信代账"
    _plan, token = sent
    response = client.get(url(token))
    assert response.status_code == 200
    html = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    # No staff layout: no navigation, no search, no logout, no staff link.
    for staff_only in ("zf-sidebar", "zf-topbar", "退出登录", "/clients/", "/contracts/plans/"):
        assert staff_only not in html, staff_only
    assert "鼎信代账" in html and firm.acme.name in html
    assert "艾克米代理记账服务方案" in html
    for fact in ("代理记账、纳税申报、财务报表", "每月 5 日前交票", "代理记账基础工作规范"):
        assert fact in html
    assert "自 2027-01-01 起 12 个月" in html and "按月付" in html
    # ¥300 a month, 建账费 ¥500, 账本费 ¥100: ¥4,200 for the year, ¥900 on the first bill.
    assert "¥4,200.00" in html and "人民币肆仟贰佰元整" in html
    assert "¥900.00" in html
    assert "请于 2026-12-15 10:00 前答复" in html
    assert "接受方案" in html and "提出修改意见" in html
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    assert "noindex" in response["X-Robots-Tag"]


def test_no_inline_script_or_style_on_the_page(client, sent):
    html = client.get(url(sent[1])).text
    assert "<script" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_the_client_accepts(client, firm, sent, django_capture_on_commit_callbacks):
    plan, token = sent
    with django_capture_on_commit_callbacks(execute=True):
        response = accept(client, token)
    assert response.status_code == 302 and response["Location"] == url(token)
    page = client.get(url(token))
    assert "感谢您的答复" in page.text
    assert "王总 已于 2026-12-01 10:00 接受此方案" in page.text
    assert "accepted-responder_name" not in page.text  # no form any more
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACCEPTED
    assert Notification.objects.get().recipient == firm.staff.sales1


def test_asking_for_changes_needs_a_comment_and_keeps_the_name(client, sent):
    plan, token = sent
    response = ask_changes(client, token, comment="", name="李会计")
    assert response.status_code == 400
    assert "请填写您的修改意见。" in response.text and 'value="李会计"' in response.text
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SENT
    response = ask_changes(client, token, comment="请改为按季付", name="李会计")
    assert response.status_code == 302
    page = client.get(url(token))
    assert "李会计 已于 2026-12-01 10:00 提出修改意见" in page.text and "请改为按季付" in page.text
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CHANGES_REQUESTED


def test_accepting_needs_a_name(client, sent):
    response = accept(client, sent[1], name="")
    assert response.status_code == 400 and "请填写您的姓名。" in response.text


def test_a_second_answer_is_refused(client, sent):
    _plan, token = sent
    accept(client, token)
    response = ask_changes(client, token, comment="还是算了")
    assert response.status_code == 302
    page = client.get(url(token))
    assert "不能重复答复" in page.text
    version = ServicePlanVersion.objects.get()
    assert version.response == PlanResponse.ACCEPTED and version.response_comment == ""


def test_a_double_submit_records_one_answer(client, sent):
    _plan, token = sent
    # Both requests passed the page's check before either saved: the service refuses the second.
    first = services.plan_from_token(token)
    accept(client, token)
    with pytest.raises(services.TransitionNotAllowed):
        services.plan_respond(
            version=first, response=PlanResponse.ACCEPTED, comment="", responder_name="王总"
        )


def test_a_tampered_link_gets_the_standalone_not_found_page(client, sent):
    token = sent[1]
    response = client.get(url(token[:-2] + "xy"))
    assert response.status_code == 404
    assert "链接无效" in response.text and "zf-sidebar" not in response.text
    assert "viewport" in response.text
    assert client.post(url("nonsense"), {"response": "accepted"}).status_code == 404


def test_an_expired_link_says_so(client, sent, _clock):
    _clock.shift(dt.timedelta(days=15))
    response = client.get(url(sent[1]))
    assert response.status_code == 410
    assert "链接已过期，请联系您的客户经理重新发送。" in response.text
    assert accept(client, sent[1]).status_code == 410


def test_an_answered_link_still_shows_the_answer_after_expiry(client, sent, _clock):
    accept(client, sent[1])
    _clock.shift(dt.timedelta(days=30))
    response = client.get(url(sent[1]))
    assert response.status_code == 200 and "接受此方案" in response.text


def test_a_withdrawn_plan_says_so(client, firm, sent):
    plan, token = sent
    services.plan_withdraw(plan=plan, by=firm.staff.sales1)
    response = client.get(url(token))
    assert response.status_code == 410 and "此服务方案已撤回" in response.text
    assert "业务甲" in response.text  # whom to ask
    assert accept(client, token).status_code == 410


def test_a_superseded_version_points_to_the_new_link(client, firm, sent):
    plan, token = sent
    services.plan_withdraw(plan=plan, by=firm.staff.sales1)
    services.plan_revise(plan=plan, terms=plan_terms(firm), by=firm.staff.sales1)
    new_token = services.plan_send(plan=plan, by=firm.staff.sales1)
    response = client.get(url(token))
    assert response.status_code == 410 and "已有新版本" in response.text
    assert client.get(url(new_token)).status_code == 200


def test_csrf_protection_stays_on(sent):
    browser = HttpClient(enforce_csrf_checks=True)
    response = browser.post(
        url(sent[1]), {"response": "accepted", "accepted-responder_name": "王总"}
    )
    assert response.status_code == 403
    page = browser.get(url(sent[1]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = browser.post(
        url(sent[1]),
        {"csrfmiddlewaretoken": token, "response": "accepted", "accepted-responder_name": "王总"},
    )
    assert response.status_code == 302
