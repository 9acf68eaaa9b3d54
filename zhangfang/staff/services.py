"""Writes of staff users and departments: every one atomic and audited (passwords never logged)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from zhangfang.core import audit
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.roles import Role
from zhangfang.staff.models import Department, User

#: The user fields an administrator edits, in the order the audit log shows them.
USER_FIELDS = ["username", "name", "department", "mobile", "title", "is_active"]

#: The department fields an administrator edits.
DEPARTMENT_FIELDS = ["name", "description", "is_active"]


def _role_codes(roles: Iterable[str]) -> list[str]:
    """Valid role codes in the order of :class:`Role`; unknown codes are a programming error."""
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise ValueError(f"Unknown roles: {sorted(unknown)}")
    return [code for code in Role.values if code in wanted]


def _roles_text(codes: Iterable[str]) -> str:
    """Roles as the audit log shows them: their Chinese names, in a fixed order."""
    return "、".join(str(Role(code).label) for code in _role_codes(codes))


def _user_snapshot(user: User, roles: Iterable[str]) -> dict[str, Any]:
    values = audit.snapshot(user, USER_FIELDS)
    # Roles are group memberships, not a column; they are part of what an administrator
    # changes on the staff form, so the audit log records them beside the fields.
    values["roles"] = _roles_text(roles)
    return values


def _current_roles(user: User) -> list[str]:
    return _role_codes(user.groups.filter(name__in=Role.values).values_list("name", flat=True))


def _set_roles(user: User, roles: Iterable[str]) -> None:
    codes = _role_codes(roles)
    role_groups = list(Group.objects.filter(name__in=codes))
    if len(role_groups) != len(codes):
        raise ValueError("A role group is missing; run the migrations.")
    # Keep any non-role groups the user has; replace only the role memberships.
    other = list(user.groups.exclude(name__in=Role.values))
    user.groups.set([*other, *role_groups])
    if hasattr(user, "_zhangfang_roles"):
        del user._zhangfang_roles


def _apply_user_data(user: User, data: dict[str, Any]) -> None:
    user.username = data["username"].strip()
    user.name = data["name"].strip()
    user.department = data.get("department")
    user.mobile = data.get("mobile") or ""
    user.title = (data.get("title") or "").strip()
    user.is_active = bool(data.get("is_active", True))


def _username_error() -> ValidationError:
    return ValidationError({"username": _("该用户名已被使用，请换一个。")})


@transaction.atomic
def user_create(*, data: dict[str, Any], by) -> User:
    """Create a member of staff with roles and an initial password; audited without the password.

    ``data``: ``username``, ``name``, ``department`` (a Department or None), ``mobile`` (E.164
    or ""), ``title``, ``roles`` (role codes), ``is_active``, ``password``. The password must
    pass ``AUTH_PASSWORD_VALIDATORS`` (``ValidationError`` on the ``password`` field otherwise).
    """
    user = User()
    _apply_user_data(user, data)
    try:
        validate_password(data["password"], user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(data["password"])
    if User.objects.filter(username__iexact=user.username).exists():
        raise _username_error()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent create of the same username
        raise _username_error() from exc
    roles = _role_codes(data.get("roles") or [])
    _set_roles(user, roles)
    audit.record(
        action="create", by=by, obj=user, changes=audit.created(_user_snapshot(user, roles))
    )
    return user


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any], expected_version: int | None, by) -> User:
    """Save an administrator's edit of ``user`` if nobody saved it since it was opened.

    ``expected_version`` is the version the form was opened at; the row's version is bumped by a
    conditional UPDATE, so of two editors who opened the same version only the first one's save
    goes through and the second gets :class:`ConcurrentEditError`. The fields are read again
    from the database (not from ``user``, which a form may have changed) for the audit's before.
    Administrators cannot deactivate themselves or take away their own administrator role, so
    the firm cannot lock itself out by a slip.
    """
    bumped = User.objects.filter(pk=user.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not bumped:
        raise ConcurrentEditError(
            _("该员工资料已被他人修改（您打开后又有人保存过）。请刷新页面查看最新内容后再修改。")
        )
    current = User.objects.select_related("department").get(pk=user.pk)
    roles_before = _current_roles(current)
    before = _user_snapshot(current, roles_before)
    roles_after = _role_codes(data.get("roles") or [])

    if by is not None and current.pk == by.pk:
        if not data.get("is_active", True):
            raise DomainError(_("不能停用自己的账户。"))
        if Role.ADMIN in roles_before and Role.ADMIN not in roles_after:
            raise DomainError(_("不能取消自己的管理员角色，请由其他管理员操作。"))

    _apply_user_data(current, data)
    if User.objects.filter(username__iexact=current.username).exclude(pk=current.pk).exists():
        raise _username_error()
    try:
        with transaction.atomic():
            current.save(update_fields=USER_FIELDS)
    except IntegrityError as exc:
        raise _username_error() from exc
    if set(roles_after) != set(roles_before):
        _set_roles(current, roles_after)
    after = _user_snapshot(current, roles_after)
    changes = audit.diff(before, after)
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    user.version = current.version
    return current


@transaction.atomic
def user_set_password(*, user: User, password: str, by) -> User:
    """Set a new password for ``user`` (an administrator's reset); audited, the password never.

    The password must pass ``AUTH_PASSWORD_VALIDATORS``. The version is not bumped: a reset does
    not touch what the edit form shows, so an edit opened before it can still be saved.
    """
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(
        action="update",
        by=by,
        obj=user,
        changes={"password": [audit.MASKED, audit.MASKED]},
        detail=_("管理员重置了登录密码"),
    )
    return user


@transaction.atomic
def user_unlock(*, user: User, by) -> int:
    """Lift the lockout of ``user`` after repeated failed logins; returns the attempts cleared."""
    from axes.utils import reset

    cleared = reset(username=user.username)
    audit.record(action="update", by=by, obj=user, detail=_("解除登录锁定"))
    return cleared


# -- departments -------------------------------------------------------------------------------


def _name_error() -> ValidationError:
    return ValidationError({"name": _("已有同名的部门，请换一个名称。")})


def _apply_department_data(department: Department, data: dict[str, Any]) -> None:
    department.name = data["name"].strip()
    department.description = (data.get("description") or "").strip()
    if "is_active" in data:
        department.is_active = bool(data["is_active"])


def _save_department(department: Department, **kwargs: Any) -> None:
    duplicate = Department.objects.filter(name__iexact=department.name)
    if department.pk:
        duplicate = duplicate.exclude(pk=department.pk)
    if duplicate.exists():
        raise _name_error()
    try:
        with transaction.atomic():
            department.save(**kwargs)
    except IntegrityError as exc:
        raise _name_error() from exc


@transaction.atomic
def department_create(*, data: dict[str, Any], by) -> Department:
    """Create a department (name unique, case-insensitively); audited."""
    department = Department()
    _apply_department_data(department, data)
    _save_department(department)
    audit.record(
        action="create",
        by=by,
        obj=department,
        changes=audit.created(audit.snapshot(department, DEPARTMENT_FIELDS)),
    )
    return department


@transaction.atomic
def department_update(
    *, department: Department, data: dict[str, Any], expected_version: int | None, by
) -> Department:
    """Save an edit of ``department`` if nobody saved it since it was opened; audited."""
    bumped = Department.objects.filter(pk=department.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not bumped:
        raise ConcurrentEditError(
            _("该部门已被他人修改（您打开后又有人保存过）。请刷新页面查看最新内容后再修改。")
        )
    current = Department.objects.get(pk=department.pk)
    before = audit.snapshot(current, DEPARTMENT_FIELDS)
    _apply_department_data(current, data)
    _save_department(current, update_fields=DEPARTMENT_FIELDS)
    changes = audit.diff(before, audit.snapshot(current, DEPARTMENT_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    department.version = current.version
    return current


@transaction.atomic
def department_set_active(*, department: Department, active: bool, by) -> Department:
    """Deactivate (or reactivate) a department; an inactive one is no longer offered in forms.

    Its members and clients keep it until someone moves them: deactivating does not reassign.
    """
    current = Department.objects.select_for_update().get(pk=department.pk)
    if current.is_active == active:
        return current
    before = audit.snapshot(current, DEPARTMENT_FIELDS)
    current.is_active = active
    current.version = F("version") + 1
    current.save(update_fields=["is_active", "version"])
    current.refresh_from_db()
    audit.record(
        action="status",
        by=by,
        obj=current,
        changes=audit.diff(before, audit.snapshot(current, DEPARTMENT_FIELDS)),
    )
    return current
