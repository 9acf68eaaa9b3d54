"""Login, logout, lockout after wrong passwords, idle timeout, Argon2 and password rules."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from zhangfang.core import policy
from zhangfang.core.models import AuditEvent
from zhangfang.staff.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("staff:login")


@pytest.fixture
def accountant():
    return UserFactory(username="acct", name="会计甲", roles=["accountant"])


def login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_and_logout_are_audited(client, accountant):
    response = login(client, "acct", TEST_PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    assert client.get(reverse("core:home")).status_code == 200
    response = client.post(reverse("staff:logout"))
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 302
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["login", "logout"]


def test_wrong_password_is_refused_and_audited(client, accountant):
    response = login(client, "acct", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.text
    event = AuditEvent.objects.get(action="login_failed")
    assert event.object_repr == "acct"


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(client, accountant):
    for _ in range(4):
        assert login(client, "acct", "wrong-password").status_code == 200
    locked = login(client, "acct", "wrong-password")
    assert locked.status_code == 429
    assert "已被锁定" in locked.text and "30 分钟" in locked.text
    # Even the right password is refused while the lock lasts.
    again = login(client, "acct", TEST_PASSWORD)
    assert again.status_code == 429
    assert client.get(reverse("core:home")).status_code == 302


def test_lock_lifts_after_the_configured_time(client, accountant, admin_user_with_role):
    policy.policy_value_set(key="login_lockout_minutes", raw="10", by=admin_user_with_role)
    with time_machine.travel("2026-11-27 09:00 +0800", tick=False) as traveller:
        for _ in range(5):
            login(client, "acct", "wrong-password")
        assert login(client, "acct", TEST_PASSWORD).status_code == 429
        traveller.shift(11 * 60)
        assert login(client, "acct", TEST_PASSWORD).status_code == 302


def test_lock_is_per_account(client, accountant):
    UserFactory(username="other", roles=["accountant"])
    for _ in range(5):
        login(client, "acct", "wrong-password")
    assert login(client, "other", TEST_PASSWORD).status_code == 302


def test_idle_session_expires(client, accountant):
    with time_machine.travel("2026-11-27 09:00 +0800", tick=False) as traveller:
        client.force_login(accountant)
        assert client.get(reverse("core:home")).status_code == 200
        traveller.shift(29 * 60)
        assert client.get(reverse("core:home")).status_code == 200
        traveller.shift(31 * 60)
        response = client.get(reverse("clients:list"))
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        # The session is gone, not just this request.
        assert client.get(reverse("core:home")).status_code == 302


def test_idle_timeout_on_an_htmx_request_redirects_the_whole_page(client, accountant):
    with time_machine.travel("2026-11-27 09:00 +0800", tick=False) as traveller:
        client.force_login(accountant)
        client.get(reverse("core:home"))
        traveller.shift(31 * 60)
        response = client.get(reverse("clients:list"), headers={"HX-Request": "true"})
        assert response.headers["HX-Redirect"] == LOGIN


def test_passwords_are_hashed_with_argon2(accountant):
    assert accountant.password.startswith("argon2$")


@pytest.mark.parametrize(
    "password", ["short1!A", "alllowercaseletters", "12345678901", "zhangfang2026", "password123"]
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_strong_password_passes():
    validate_password("Zhangfang#2026")


def test_login_page_is_chinese_and_switches_to_english(client):
    assert "登录" in client.get(LOGIN).text
    client.post(reverse("set_language"), {"language": "en", "next": LOGIN})
    assert "Log in" in client.get(LOGIN).text


@pytest.fixture
def admin_user_with_role():
    return UserFactory(username="boss", roles=["admin"])


def test_chinese_is_the_default_whatever_the_browser_asks(client):
    response = client.get(LOGIN, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "登录" in response.text and response["Content-Language"] == "zh-hans"
