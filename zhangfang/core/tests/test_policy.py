"""Policy settings: the registry, saving through the service and the settings page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from zhangfang.core import policy, services
from zhangfang.core.models import AuditEvent, PolicySetting
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("core:policy_settings")


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(db):
    return UserFactory(username="boss", name="管理员", department=None, roles=["admin"])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _current_form_data() -> dict[str, str]:
    return {key: str(d.dump(policy.get(key))) for key, d in policy.REGISTRY.items()}


# -- the definitions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("login_lockout_minutes", " 8 ", 8),
        ("satisfaction_target_percent", "95.5", Decimal("95.5")),
        ("office_hours_start", "08:30", dt.time(8, 30)),
    ],
)
def test_parse(key, raw, value):
    assert policy.REGISTRY[key].parse(raw) == value


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("login_lockout_minutes", "abc", "账户锁定时长"),
        ("login_lockout_minutes", "0", "不能小于 1"),
        ("satisfaction_target_percent", "101", "不能大于 100"),
        ("satisfaction_target_percent", "NaN", "不是有效的值"),
        ("office_hours_start", "25:00", "上班时间"),
    ],
)
def test_parse_errors_name_the_setting(key, raw, message):
    with pytest.raises(ValidationError) as caught:
        policy.REGISTRY[key].parse(raw)
    assert message in caught.value.messages[0]


# -- the service -----------------------------------------------------------------------------------


def test_save_stores_only_changed_values_and_audits_them(admin):
    raw = _current_form_data() | {
        "login_lockout_minutes": "8",
        "login_failure_limit": "6",
    }
    changed = services.policy_settings_save(raw_values=raw, by=admin)
    assert sorted(changed) == ["login_failure_limit", "login_lockout_minutes"]
    assert policy.get("login_lockout_minutes") == 8
    assert policy.get("login_failure_limit") == 6
    assert set(PolicySetting.objects.values_list("key", flat=True)) == set(changed)
    events = AuditEvent.objects.filter(object_type="core.policysetting")
    assert {e.object_id: e.changes for e in events} == {
        "login_lockout_minutes": {"login_lockout_minutes": [30, 8]},
        "login_failure_limit": {"login_failure_limit": [5, 6]},
    }
    assert services.policy_settings_save(raw_values=raw, by=admin) == []


def test_save_is_all_or_nothing(admin):
    raw = _current_form_data() | {
        "login_lockout_minutes": "8",
        "session_idle_minutes": "1",
    }
    with pytest.raises(ValidationError) as caught:
        services.policy_settings_save(raw_values=raw, by=admin)
    assert set(caught.value.message_dict) == {"session_idle_minutes"}
    assert policy.get("login_lockout_minutes") == 30
    assert not PolicySetting.objects.exists()
    assert not AuditEvent.objects.exists()


def test_office_hours_must_open_before_they_close(admin):
    raw = _current_form_data() | {"office_hours_start": "18:00", "office_hours_end": "09:00"}
    with pytest.raises(ValidationError) as caught:
        services.policy_settings_save(raw_values=raw, by=admin)
    assert "下班时间必须晚于上班时间" in caught.value.message_dict["office_hours_end"][0]


# -- the page --------------------------------------------------------------------------------------


def test_page_lists_every_setting_with_clause_unit_default_and_current(admin_client, admin):
    policy.policy_value_set(key="login_lockout_minutes", raw="5", by=admin)
    response = admin_client.get(PAGE)
    html = response.content.decode()
    rows = {row["field"].name: row for row in response.context["rows"]}
    assert set(rows) == set(policy.REGISTRY)
    for definition in policy.REGISTRY.values():
        assert str(definition.label) in html
        if definition.clause:
            assert definition.clause in html
    assert "个工作日" in html and "四（三）3" in html
    row = rows["login_lockout_minutes"]
    assert (row["default"], row["current"]) == (30, 5)
    assert row["field"].value() == 5


def test_page_saves(admin_client):
    data = _current_form_data() | {"satisfaction_target_percent": "92.5"}
    response = admin_client.post(PAGE, data)
    assert response.status_code == 302
    assert policy.get("satisfaction_target_percent") == Decimal("92.5")
    follow = admin_client.get(PAGE).content.decode()
    assert "92.5" in follow


def test_page_errors_name_the_field_and_save_nothing(admin_client):
    data = _current_form_data() | {
        "login_lockout_minutes": "8",
        "login_failure_limit": "abc",
    }
    response = admin_client.post(PAGE, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"login_failure_limit"}
    assert "登录失败锁定次数" in errors["login_failure_limit"][0]
    html = response.content.decode()
    assert "所有参数均未保存" in html
    assert 'value="abc"' in html  # what was typed is kept
    assert policy.get("login_lockout_minutes") == 30


def test_page_refuses_closing_before_opening(admin_client):
    data = _current_form_data() | {"office_hours_end": "08:00"}
    response = admin_client.post(PAGE, data)
    assert "office_hours_end" in response.context["form"].errors
    assert policy.get("office_hours_end") == dt.time(18, 0)
