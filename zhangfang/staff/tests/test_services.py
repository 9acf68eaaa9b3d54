"""Staff and department services: audit, optimistic locking, passwords, lockouts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError

from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.core.selectors import audit_history_for
from zhangfang.staff import selectors, services
from zhangfang.staff.models import Department, User
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Qingshan#Lu2026"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(db):
    return UserFactory(username="boss", name="管理员", department=None, roles=["admin"])


def _data(**overrides) -> dict:
    data = {
        "username": "chen",
        "name": "陈七",
        "department": None,
        "mobile": "+8613800138000",
        "title": "会计",
        "roles": ["accountant"],
        "is_active": True,
        "password": PASSWORD,
    }
    data.update(overrides)
    return data


def test_user_create_audits_without_the_password(admin):
    user = services.user_create(data=_data(), by=admin)
    assert user.check_password(PASSWORD)
    assert selectors.user_roles(user) == ["accountant"]
    [event] = audit_history_for(user)
    assert (event.action, event.actor, event.object_type) == ("create", admin, "staff.user")
    assert event.changes["username"] == [None, "chen"]
    assert event.changes["roles"] == [None, "会计"]
    assert PASSWORD not in str(event.changes) and event.changes.keys().isdisjoint({"password"})


def test_user_create_validates_the_password(admin):
    with pytest.raises(ValidationError) as caught:
        services.user_create(data=_data(password="chenchen"), by=admin)
    assert "password" in caught.value.message_dict
    assert not User.objects.filter(username="chen").exists()
    assert not AuditEvent.objects.exists()


def test_user_create_refuses_a_duplicate_username_in_any_case(admin):
    with pytest.raises(ValidationError) as caught:
        services.user_create(data=_data(username="Boss"), by=admin)
    assert "username" in caught.value.message_dict


def test_user_update_bumps_the_version_and_records_before_and_after(admin):
    department = DepartmentFactory(name="代账一部")
    user = services.user_create(data=_data(), by=admin)
    services.user_update(
        user=user,
        data=_data(department=department, roles=["accountant", "dept_head"], title="主管"),
        expected_version=1,
        by=admin,
    )
    user.refresh_from_db()
    assert user.version == 2
    assert selectors.user_roles(user) == ["accountant", "dept_head"]
    event = audit_history_for(user)[0]
    assert event.action == "update"
    assert event.changes == {
        "department": [None, "代账一部"],
        "title": ["会计", "主管"],
        "roles": ["会计", "会计、部门负责人"],
    }


def test_user_update_refuses_a_stale_version_and_keeps_the_first_save(admin):
    user = services.user_create(data=_data(), by=admin)
    opened_by_a = opened_by_b = user.version
    services.user_update(user=user, data=_data(name="甲改"), expected_version=opened_by_a, by=admin)
    with pytest.raises(ConcurrentEditError) as caught:
        services.user_update(
            user=user, data=_data(name="乙改"), expected_version=opened_by_b, by=admin
        )
    assert "已被他人修改" in caught.value.message
    user.refresh_from_db()
    assert (user.name, user.version) == ("甲改", 2)


def test_user_update_keeps_non_role_groups(admin):
    from django.contrib.auth.models import Group

    user = services.user_create(data=_data(), by=admin)
    user.groups.add(Group.objects.create(name="newsletter"))
    services.user_update(user=user, data=_data(roles=["tax"]), expected_version=1, by=admin)
    assert sorted(user.groups.values_list("name", flat=True)) == ["newsletter", "tax"]


def test_admin_cannot_drop_their_own_admin_role(admin):
    with pytest.raises(DomainError):
        services.user_update(
            user=admin,
            data=_data(username="boss", name="管理员", roles=["accountant"]),
            expected_version=1,
            by=admin,
        )
    admin.refresh_from_db()
    assert admin.version == 1
    assert selectors.user_roles(admin) == ["admin"]


def test_user_set_password_never_logs_it(admin):
    user = services.user_create(data=_data(), by=admin)
    services.user_set_password(user=user, password="Another#Pass2026", by=admin)
    user.refresh_from_db()
    assert user.check_password("Another#Pass2026")
    assert user.version == 1  # an edit opened before the reset can still be saved
    for event in AuditEvent.objects.all():
        assert "Another#Pass2026" not in str(event.changes) + event.detail
        assert PASSWORD not in str(event.changes) + event.detail
    with pytest.raises(ValidationError):
        services.user_set_password(user=user, password="123", by=admin)


def _fail(username: str, failures: int, *, ip: str = "10.0.0.1") -> None:
    AccessAttempt.objects.create(
        username=username,
        ip_address=ip,
        user_agent="t",
        http_accept="*/*",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=failures,
    )


def test_locked_usernames_follow_the_policy_limit_and_cool_off(admin):
    _fail("a", 5)
    _fail("b", 3)
    _fail("b", 2, ip="10.0.0.2")  # failures from two addresses add up, as axes counts them
    _fail("c", 4)
    assert selectors.locked_usernames() == {"a", "b"}
    assert selectors.locked_usernames(["a", "c"]) == {"a"}
    assert selectors.locked_usernames([]) == set()
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31)):
        assert selectors.locked_usernames() == set()


def test_user_unlock_clears_the_attempts_and_is_audited(admin):
    user = UserFactory(username="zhao")
    _fail("zhao", 6)
    assert services.user_unlock(user=user, by=admin) == 1
    assert selectors.locked_usernames() == set()
    assert audit_history_for(user)[0].detail == "解除登录锁定"


def test_department_services(admin):
    department = services.department_create(data={"name": " 税务部 "}, by=admin)
    assert department.name == "税务部"
    with pytest.raises(ValidationError) as caught:
        services.department_create(data={"name": "税务部"}, by=admin)
    assert "name" in caught.value.message_dict

    services.department_update(
        department=department, data={"name": "税务一部"}, expected_version=1, by=admin
    )
    with pytest.raises(ConcurrentEditError):
        services.department_update(
            department=department, data={"name": "税务二部"}, expected_version=1, by=admin
        )
    services.department_set_active(department=department, active=False, by=admin)
    department = Department.objects.get(pk=department.pk)
    assert (department.name, department.is_active, department.version) == ("税务一部", False, 3)
    actions = [event.action for event in audit_history_for(department)]
    assert actions == ["status", "update", "create"]


def test_department_counts_do_not_multiply(admin):
    from zhangfang.clients.tests.factories import ClientFactory

    department = DepartmentFactory(name="一部")
    UserFactory.create_batch(3, department=department)
    ClientFactory.create_batch(4, department=department)
    row = selectors.department_get(pk=department.pk)
    assert (row.member_count, row.client_count) == (3, 4)
