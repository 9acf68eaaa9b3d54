"""The administrator's staff and department pages (policy 三（一）). Administrators only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.core.errors import DomainError
from zhangfang.core.forms import add_service_error
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role
from zhangfang.core.selectors import audit_history_for
from zhangfang.staff import selectors, services
from zhangfang.staff.forms import (
    DepartmentForm,
    PasswordResetForm,
    StaffUserCreateForm,
    StaffUserForm,
)

PAGE_SIZE = 25

USER_COLUMNS = [
    ("username", gettext_lazy("用户名")),
    ("name", gettext_lazy("姓名")),
    ("department", gettext_lazy("部门")),
    ("title", gettext_lazy("职务")),
    ("", gettext_lazy("角色")),
    ("", gettext_lazy("手机号")),
    ("active", gettext_lazy("状态")),
    ("last_login", gettext_lazy("最近登录")),
    ("", ""),
]

DEPARTMENT_COLUMNS = [
    ("name", gettext_lazy("部门名称")),
    ("", gettext_lazy("说明")),
    ("members", gettext_lazy("员工数")),
    ("clients", gettext_lazy("客户数")),
    ("active", gettext_lazy("状态")),
    ("", ""),
]

_ACTIVE_VALUES = {"1": True, "0": False}


def _get_user(pk: int):
    user = selectors.user_get(pk=pk)
    if user is None:
        raise Http404
    return user


# -- staff ---------------------------------------------------------------------------------------


@role_required(Role.ADMIN)
def user_list(request: HttpRequest) -> HttpResponse:
    """员工列表: search, filters, sort and pages in the URL; htmx swaps only the table."""
    state = ListState.from_request(request, sorts=selectors.USER_SORTS, default_sort="username")
    role = state.get("role") if state.get("role") in Role.values else ""
    active = _ACTIVE_VALUES.get(state.get("active"))
    department = state.get_int("department")
    queryset = selectors.user_list(
        q=state.q, department=department, role=role, active=active, ordering=state.ordering()
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    rows = list(page.object_list)
    locked = selectors.locked_usernames(user.username for user in rows)
    context = {
        "state": state,
        "page": page,
        "rows": [{"user": user, "locked": user.username in locked} for user in rows],
        "page_links": state.page_links(page),
        "columns": [state.column(key, label) for key, label in USER_COLUMNS],
        "filters_active": bool(state.q or role or department or active is not None),
    }
    if wants_fragment(request):
        return render(request, "staff/user_list.html#table", context)
    context["filter_bar"] = FilterBar(
        action=reverse("staff:user_list"),
        target="#user-table",
        fields=[
            FilterField.search(_("搜索"), state.q, placeholder=_("姓名、用户名、手机号")),
            FilterField(
                "department",
                _("部门"),
                value=department or "",
                options=selectors.department_options().values_list("pk", "name"),
            ),
            FilterField("role", _("角色"), value=role, options=Role.choices),
            FilterField(
                "active",
                _("状态"),
                value="" if active is None else str(int(active)),
                options=[("1", _("在职")), ("0", _("已停用"))],
            ),
        ],
        hidden={"sort": state.sort},
    )
    return render(request, "staff/user_list.html", context)


@role_required(Role.ADMIN)
def user_create(request: HttpRequest) -> HttpResponse:
    form = StaffUserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(data=form.cleaned_data, by=request.user)
        except (ValidationError, DomainError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已新建员工“%(name)s”。") % {"name": user})
            return redirect("staff:user_list")
    return render(request, "staff/user_form.html", {"form": form, "creating": True})


@role_required(Role.ADMIN)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _get_user(pk)
    if request.method == "POST":
        form = StaffUserForm(request.POST, instance=user)
        if form.is_valid():
            try:
                services.user_update(
                    user=user,
                    data=form.cleaned_data,
                    expected_version=form.cleaned_data.get("version"),
                    by=request.user,
                )
            except (ValidationError, DomainError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("已保存员工“%(name)s”的资料。") % {"name": user})
                return redirect("staff:user_list")
        # Re-read for the page's facts: the form may have changed the instance it was given.
        user = _get_user(pk)
    else:
        form = StaffUserForm(instance=user, roles=selectors.user_roles(user))
    return render(
        request,
        "staff/user_form.html",
        {
            "form": form,
            "creating": False,
            "subject": user,
            "locked": user.username in selectors.locked_usernames([user.username]),
            "events": audit_history_for(user, limit=20),
        },
    )


@role_required(Role.ADMIN)
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    """An administrator sets a new password for a member of staff (who forgot theirs)."""
    user = _get_user(pk)
    form = PasswordResetForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                user=user, password=form.cleaned_data["password"], by=request.user
            )
        except (ValidationError, DomainError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已为“%(name)s”设置新密码。") % {"name": user})
            return redirect("staff:user_edit", pk=user.pk)
    return render(request, "staff/user_password.html", {"form": form, "subject": user})


@require_POST
@role_required(Role.ADMIN)
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    user = _get_user(pk)
    services.user_unlock(user=user, by=request.user)
    messages.success(request, _("已解除“%(name)s”的登录锁定。") % {"name": user})
    return redirect("staff:user_edit", pk=user.pk)


# -- departments ---------------------------------------------------------------------------------


def _get_department(pk: int):
    department = selectors.department_get(pk=pk)
    if department is None:
        raise Http404
    return department


@role_required(Role.ADMIN)
def department_list(request: HttpRequest) -> HttpResponse:
    """部门列表 with how many staff and clients each has."""
    state = ListState.from_request(request, sorts=selectors.DEPARTMENT_SORTS, default_sort="name")
    active = _ACTIVE_VALUES.get(state.get("active"))
    queryset = selectors.department_list(q=state.q, active=active, ordering=state.ordering())
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    context = {
        "state": state,
        "page": page,
        "page_links": state.page_links(page),
        "columns": [state.column(key, label) for key, label in DEPARTMENT_COLUMNS],
        "filters_active": bool(state.q or active is not None),
    }
    fragment = wants_fragment(request)
    if not fragment:
        context["filter_bar"] = FilterBar(
            action=reverse("staff:department_list"),
            target="#department-table",
            fields=[
                FilterField.search(_("搜索"), state.q, placeholder=_("部门名称")),
                FilterField(
                    "active",
                    _("状态"),
                    value="" if active is None else str(int(active)),
                    options=[("1", _("启用")), ("0", _("已停用"))],
                ),
            ],
            hidden={"sort": state.sort},
        )
    template = "staff/department_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


@role_required(Role.ADMIN)
def department_create(request: HttpRequest) -> HttpResponse:
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(data=form.cleaned_data, by=request.user)
        except (ValidationError, DomainError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已新建部门“%(name)s”。") % {"name": department})
            return redirect("staff:department_list")
    return render(request, "staff/department_form.html", {"form": form, "creating": True})


@role_required(Role.ADMIN)
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    department = _get_department(pk)
    if request.method == "POST":
        form = DepartmentForm(request.POST, instance=department)
        if form.is_valid():
            try:
                services.department_update(
                    department=department,
                    data=form.cleaned_data,
                    expected_version=form.cleaned_data.get("version"),
                    by=request.user,
                )
            except (ValidationError, DomainError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("已保存部门“%(name)s”。") % {"name": department})
                return redirect("staff:department_list")
        department = _get_department(pk)
    else:
        form = DepartmentForm(instance=department)
    return render(
        request,
        "staff/department_form.html",
        {
            "form": form,
            "creating": False,
            "subject": department,
            "events": audit_history_for(department, limit=20),
        },
    )


@require_POST
@role_required(Role.ADMIN)
def department_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (``active=0``) or reactivate (``active=1``) a department."""
    department = _get_department(pk)
    active = request.POST.get("active") == "1"
    services.department_set_active(department=department, active=active, by=request.user)
    if active:
        messages.success(request, _("已启用部门“%(name)s”。") % {"name": department})
    else:
        messages.success(request, _("已停用部门“%(name)s”。") % {"name": department})
    return redirect("staff:department_list")
