"""The public website lead form: prospect with the duty owner, spam defences, rate limit, page."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.core import signing
from django.core.cache import cache
from django.urls import reverse

from zhangfang.core import policy
from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import DutyRoster, Prospect, Stage
from zhangfang.leads.services import public_form as services
from zhangfang.leads.tests.factories import ProspectFactory
from zhangfang.notifications.models import Notification
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

APPLY = reverse("leads:public_apply")
THANKS = reverse("leads:public_apply_thanks")
# Thursday 2026-11-26 20:00 UTC is already Friday 04:00 in Shanghai (weekday 4).
FRIDAY_IN_SHANGHAI = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def token(seconds_ago: float = 10) -> str:
    return signing.dumps(time.time() - seconds_ago, salt=services._SIGNING_SALT)


def data(**changes) -> dict:
    values = {
        "company_name": "深圳市新客户科技有限公司",
        "contact_name": "李雷",
        "mobile": "138 0013 8000",
        "email": "lilei@example.com",
        "city": "深圳",
        "tax_needs": ["bookkeeping", "filing"],
        "message": "刚注册，需要记账报税",
        "started": token(),
        "homepage": "",
    }
    values.update(changes)
    return values


@pytest.fixture
def on_duty(sales_firm):
    DutyRoster.objects.create(weekday=4, user=sales_firm.staff.sales3)
    return sales_firm.staff.sales3


def test_no_login_needed_and_page_has_no_staff_navigation(client, sales_firm):
    response = client.get(APPLY)
    assert response.status_code == 200
    body = response.content.decode()
    assert "账房代账" in body  # the firm's name from settings
    assert "zf-sidebar" not in body and "退出登录" not in body and "搜索客户" not in body
    # No CSRF cookie is needed: the form works inside the firm's website (a cross-site iframe).
    assert 'name="csrfmiddlewaretoken"' not in body
    assert 'class="zf-hp"' in body and "style=" not in body


def test_firm_name_comes_from_settings(client, settings, db):
    settings.FIRM_NAME = "好帮手财税"
    assert "好帮手财税" in client.get(APPLY).content.decode()


def test_a_logged_in_user_also_gets_the_public_layout(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    assert "zf-sidebar" not in client.get(APPLY).content.decode()


def test_embeddable_in_a_frame_unlike_other_pages(client, sales_firm):
    response = client.get(APPLY)
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors 'self' https:" in response.headers["Content-Security-Policy"]
    client.force_login(sales_firm.staff.admin)
    other = client.get(reverse("leads:duty_roster"))
    assert other.headers["X-Frame-Options"] == "DENY"


@time_machine.travel(FRIDAY_IN_SHANGHAI, tick=False)
def test_submission_creates_website_prospect_for_the_salesperson_on_duty(client, on_duty):
    response = client.post(APPLY, data())
    assert response.status_code == 302 and response["Location"] == THANKS
    prospect = Prospect.objects.get()
    assert prospect.channel.code == "website"
    assert prospect.owner == on_duty and prospect.department == on_duty.department
    assert prospect.stage == Stage.LEAD
    assert prospect.contact_mobile == "+8613800138000"
    assert prospect.tax_needs == ["bookkeeping", "filing"]
    assert prospect.address == "深圳" and "刚注册" in prospect.notes
    event = AuditEvent.objects.get(object_type="leads.prospect", action="create")
    assert event.actor_name == "官网表单" and event.actor is None


@time_machine.travel(FRIDAY_IN_SHANGHAI, tick=False)
def test_owner_is_notified_with_a_link(client, on_duty):
    client.post(APPLY, data())
    prospect = Prospect.objects.get()
    note = Notification.objects.get(recipient=on_duty)
    assert "深圳市新客户科技有限公司" in note.title
    assert note.url == f"/leads/prospects/{prospect.pk}/"


def test_thank_you_page_in_chinese(client, db):
    response = client.get(THANKS)
    assert "我们已收到您的信息，工作人员将在 1 个工作日内与您联系。" in response.content.decode()


def test_submission_is_scored(client, on_duty):
    from zhangfang.leads.services.prospects import prospect_rescore

    client.post(APPLY, data())
    prospect = Prospect.objects.get()
    stored = (prospect.value_score, prospect.likelihood_score, prospect.score)
    recomputed = prospect_rescore(prospect)
    assert stored == (recomputed.value_score, recomputed.likelihood_score, recomputed.score)
    assert prospect.score > 0


@time_machine.travel(FRIDAY_IN_SHANGHAI, tick=False)
def test_fallback_owner_is_salesperson_with_fewest_open_prospects(client, sales_firm):
    DutyRoster.objects.create(weekday=3, user=sales_firm.staff.sales1)  # Thursday: not today
    ProspectFactory(owner=sales_firm.staff.sales1)
    ProspectFactory(owner=sales_firm.staff.sales2)
    ProspectFactory(owner=sales_firm.staff.sales2, stage=Stage.WON)  # closed: not counted
    ProspectFactory(owner=sales_firm.staff.sales3)
    ProspectFactory(owner=sales_firm.staff.sales3)
    # sales1 and sales2 have one open prospect each; sales1 is the older account.
    client.post(APPLY, data())
    assert Prospect.objects.get(channel__code="website").owner == sales_firm.staff.sales1


def test_inactive_salesperson_on_roster_is_skipped(sales_firm):
    sleeper = UserFactory(username="sleeper", roles=["sales"], is_active=False)
    with time_machine.travel(FRIDAY_IN_SHANGHAI, tick=False):
        DutyRoster.objects.create(weekday=4, user=sleeper)
        assert services.salesperson_on_duty() != sleeper


def test_honeypot_filled_creates_nothing_but_looks_fine(client, on_duty):
    response = client.post(APPLY, data(homepage="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == THANKS
    assert not Prospect.objects.exists()
    assert not Notification.objects.exists()


def test_too_fast_submission_is_rejected(client, on_duty):
    response = client.post(APPLY, data(started=token(seconds_ago=1)))
    assert response.status_code == 400
    assert "提交过快" in response.content.decode()
    assert not Prospect.objects.exists()
    # The page gives a fresh stamp, so a person's second press (after 3 s) goes through.
    fresh = response.context["form"].data["started"]
    assert fresh != data()["started"]


def test_forged_or_missing_stamp_is_rejected(client, on_duty):
    response = client.post(APPLY, data(started="forged"))
    assert response.status_code == 400 and not Prospect.objects.exists()
    assert "表单已过期" in response.content.decode()


def test_minimum_fill_time_is_a_setting(client, sales_firm, on_duty):
    policy.policy_value_set(key="website_form_min_seconds", raw="20", by=sales_firm.staff.admin)
    assert client.post(APPLY, data(started=token(10))).status_code == 400
    assert client.post(APPLY, data(started=token(25))).status_code == 302


def test_validation_messages_name_the_fields(client, on_duty):
    response = client.post(
        APPLY, data(company_name="", contact_name="", mobile="12345", email="not-an-email")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["company_name"] == ["请填写公司名称。"]
    assert errors["contact_name"] == ["请填写联系人姓名。"]
    assert "手机号格式不正确" in errors["mobile"][0]
    assert errors["email"] == ["电子邮箱格式不正确。"]
    body = response.content.decode()
    assert "公司名称</a>：请填写公司名称。" in body
    assert "深圳" in body  # nothing typed is lost
    assert not Prospect.objects.exists()


def test_rate_limit_per_address(client, sales_firm, on_duty):
    policy.policy_value_set(key="website_form_hourly_limit", raw="3", by=sales_firm.staff.admin)
    for n in range(3):
        response = client.post(APPLY, data(company_name=f"公司{n}号"), REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 302
    response = client.post(APPLY, data(company_name="第四家"), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert "您提交的次数过多，请一小时后再试" in response.content.decode()
    assert response["Retry-After"] == "3600"
    assert Prospect.objects.count() == 3
    response = client.post(APPLY, data(company_name="另一个地址"), REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 302
    assert Prospect.objects.count() == 4


def test_rate_limit_window_expires_after_an_hour(client, sales_firm, on_duty):
    policy.policy_value_set(key="website_form_hourly_limit", raw="1", by=sales_firm.staff.admin)
    assert client.post(APPLY, data()).status_code == 302
    assert client.post(APPLY, data()).status_code == 429
    cache.delete("zhangfang:leads:apply:127.0.0.1")  # what the cache does after the hour
    assert client.post(APPLY, data()).status_code == 302


def test_validation_errors_do_not_use_up_the_limit(client, sales_firm, on_duty):
    policy.policy_value_set(key="website_form_hourly_limit", raw="1", by=sales_firm.staff.admin)
    for _ in range(3):
        assert client.post(APPLY, data(mobile="1")).status_code == 400
    assert client.post(APPLY, data()).status_code == 302


# -- duty roster page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("admin", 200), ("head1", 200), ("sales1", 403), ("acct1", 403)]
)
def test_duty_roster_roles(client, sales_firm, who, status):
    client.force_login(getattr(sales_firm.staff, who))
    assert client.get(reverse("leads:duty_roster")).status_code == status


def test_duty_roster_save_sets_and_clears_days(client, sales_firm):
    DutyRoster.objects.create(weekday=6, user=sales_firm.staff.sales2)
    client.force_login(sales_firm.staff.head1)
    response = client.post(
        reverse("leads:duty_roster"),
        {"day_0": sales_firm.staff.sales1.pk, "day_4": sales_firm.staff.sales3.pk, "day_6": ""},
    )
    assert response.status_code == 302
    assert dict(DutyRoster.objects.values_list("weekday", "user__username")) == {
        0: "sales1",
        4: "sales3",
    }
    assert AuditEvent.objects.filter(object_type="leads.dutyroster").count() == 3


def test_duty_roster_refuses_non_salespeople(client, sales_firm):
    client.force_login(sales_firm.staff.admin)
    response = client.post(reverse("leads:duty_roster"), {"day_0": sales_firm.staff.acct1.pk})
    assert response.status_code == 200
    assert "请选择在职的业务人员" in response.content.decode()
    assert not DutyRoster.objects.exists()


def test_embedded_form_works_without_a_csrf_cookie(on_duty):
    from django.test import Client

    from zhangfang.leads.models import Prospect

    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.7")
    response = browser.post(APPLY, data())
    assert response.status_code == 302
    assert Prospect.objects.filter(company_name="深圳市新客户科技有限公司").exists()
