"""The administrator's staff and department pages: access, list, forms, locks, query counts."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.models import AuditEvent
from zhangfang.staff.models import Department, User
from zhangfang.staff.tests.factories import TEST_PASSWORD, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qingshan#Lu2026"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is deliberately slow; these tests create many users and check rules, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(db):
    return UserFactory(username="boss", name="管理员", department=None, roles=["admin"])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _user_pages(user: User, department: Department) -> list[str]:
    return [
        reverse("staff:user_list"),
        reverse("staff:user_create"),
        reverse("staff:user_edit", args=[user.pk]),
        reverse("staff:user_password", args=[user.pk]),
        reverse("staff:department_list"),
        reverse("staff:department_create"),
        reverse("staff:department_edit", args=[department.pk]),
    ]


# -- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "status"),
    [(["admin"], 200), (["accountant"], 403), (["sales"], 403), (["dept_head"], 403), ([], 403)],
)
def test_role_matrix(client, roles, status):
    subject = UserFactory(roles=["accountant"])
    client.force_login(UserFactory(username="visitor", roles=roles))
    for url in _user_pages(subject, subject.department):
        assert client.get(url).status_code == status, url


def test_anonymous_is_sent_to_login(client):
    subject = UserFactory()
    login = reverse("staff:login")
    for url in _user_pages(subject, subject.department):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login)


@pytest.mark.parametrize("roles", [["accountant"], ["dept_head"]])
def test_non_admins_cannot_post_writes(client, roles):
    subject = UserFactory(username="target", roles=["accountant"])
    client.force_login(UserFactory(username="visitor", roles=roles))
    posts = [
        (reverse("staff:user_create"), {"username": "x", "name": "x"}),
        (reverse("staff:user_edit", args=[subject.pk]), {"username": "hacked", "name": "x"}),
        (reverse("staff:user_unlock", args=[subject.pk]), {}),
        (reverse("staff:department_set_active", args=[subject.department.pk]), {"active": "0"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    subject.refresh_from_db()
    assert subject.username == "target"
    assert subject.department.is_active


# -- the list --------------------------------------------------------------------------------------


def _usernames(response) -> list[str]:
    return [row["user"].username for row in response.context["rows"]]


@pytest.fixture
def staff(admin):
    d1 = DepartmentFactory(name="代账一部")
    d2 = DepartmentFactory(name="代账二部")
    UserFactory(
        username="zhang", name="张三", department=d1, mobile="+8613800138000", roles=["accountant"]
    )
    UserFactory(username="li", name="李四", department=d2, roles=["sales", "dept_head"])
    UserFactory(username="wang", name="王五", department=d1, roles=["service"], is_active=False)
    return {"d1": d1, "d2": d2}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "张"}, ["zhang"]),
        ({"q": "LI"}, ["li"]),
        ({"q": "138 0013"}, ["zhang"]),
        ({"role": "dept_head"}, ["li"]),
        ({"active": "0"}, ["wang"]),
        ({"role": "no-such-role"}, ["boss", "li", "wang", "zhang"]),
        ({"department": "abc"}, ["boss", "li", "wang", "zhang"]),
    ],
)
def test_list_search_and_filters(admin_client, staff, params, expected):
    assert _usernames(admin_client.get(reverse("staff:user_list"), params)) == expected


def test_list_filters_by_department(admin_client, staff):
    response = admin_client.get(reverse("staff:user_list"), {"department": staff["d1"].pk})
    assert _usernames(response) == ["wang", "zhang"]


def test_list_sorts_and_ignores_unknown_sort_keys(admin_client, staff):
    url = reverse("staff:user_list")
    assert _usernames(admin_client.get(url, {"sort": "-username"})) == [
        "zhang",
        "wang",
        "li",
        "boss",
    ]
    assert _usernames(admin_client.get(url, {"sort": "password"})) == [
        "boss",
        "li",
        "wang",
        "zhang",
    ]


def test_list_shows_roles_mobile_and_status(admin_client, staff):
    html = admin_client.get(reverse("staff:user_list")).content.decode()
    assert "138 0013 8000" in html
    assert "部门负责人" in html
    assert "已停用" in html


def test_htmx_request_gets_only_the_table_and_links_keep_the_filters(admin_client, staff):
    for n in range(30):
        UserFactory(username=f"extra{n:02d}", department=staff["d1"], roles=["accountant"])
    response = admin_client.get(
        reverse("staff:user_list"), {"role": "accountant", "sort": "name"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="user-table"' not in html  # the partial is the inside of the swapped element
    assert "hx-push-url" in html
    assert "role=accountant" in html and "page=2" in html  # the pager keeps the filter
    full = admin_client.get(reverse("staff:user_list"), {"role": "accountant"}).content.decode()
    assert "<html" in full and 'id="user-table"' in full and 'hx-get="/staff/"' in full


def test_history_restore_gets_the_whole_page(admin_client, staff):
    response = admin_client.get(
        reverse("staff:user_list"),
        {"role": "sales"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in response.content.decode()


def test_pagination_is_25_a_page(admin_client, admin):
    for n in range(30):
        UserFactory(username=f"u{n:02d}")
    url = reverse("staff:user_list")
    assert len(admin_client.get(url).context["rows"]) == 25
    assert len(admin_client.get(url, {"page": "2"}).context["rows"]) == 6
    assert len(admin_client.get(url, {"page": "99"}).context["rows"]) == 6


def _make_staff(n: int, department: Department) -> None:
    for i in range(n):
        UserFactory(department=department, roles=["accountant", "tax"])
        AccessAttempt.objects.create(
            username=f"nobody{i}",
            ip_address="10.0.0.1",
            user_agent="t",
            http_accept="*/*",
            path_info="/",
            get_data="",
            post_data="",
            failures_since_start=1,
        )


# session, user, roles, department options, count, page ids, rows, groups, locked accounts
USER_LIST_QUERIES = 9


@pytest.mark.parametrize("rows", [5, 30])
def test_user_list_query_count_is_constant(admin_client, django_assert_num_queries, rows):
    _make_staff(rows, DepartmentFactory(name="一部"))
    url = reverse("staff:user_list")
    admin_client.get(url)  # the first request after login writes the session
    with django_assert_num_queries(USER_LIST_QUERIES):
        admin_client.get(url)


def test_locked_accounts_are_shown_and_can_be_unlocked(admin_client, staff):
    AccessAttempt.objects.create(
        username="zhang",
        ip_address="10.0.0.1",
        user_agent="t",
        http_accept="*/*",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )
    AccessAttempt.objects.create(  # below the limit: not locked
        username="li",
        ip_address="10.0.0.1",
        user_agent="t",
        http_accept="*/*",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=2,
    )
    rows = admin_client.get(reverse("staff:user_list")).context["rows"]
    assert {row["user"].username for row in rows if row["locked"]} == {"zhang"}

    zhang = User.objects.get(username="zhang")
    assert admin_client.get(reverse("staff:user_edit", args=[zhang.pk])).context["locked"]
    response = admin_client.post(reverse("staff:user_unlock", args=[zhang.pk]))
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="zhang").exists()
    assert AuditEvent.objects.filter(object_id=str(zhang.pk), detail="解除登录锁定").exists()
    assert admin_client.get(reverse("staff:user_unlock", args=[zhang.pk])).status_code == 405


# -- create and edit -------------------------------------------------------------------------------


def _form_data(**overrides) -> dict:
    data = {
        "username": "chen",
        "name": "陈七",
        "department": "",
        "mobile": "138-0013-8000",
        "title": "主办会计",
        "roles": ["accountant", "tax"],
        "is_active": "on",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_create_staff(admin_client):
    department = DepartmentFactory(name="代账一部")
    response = admin_client.post(reverse("staff:user_create"), _form_data(department=department.pk))
    assert response.status_code == 302
    user = User.objects.get(username="chen")
    assert user.mobile == "+8613800138000"
    assert user.department == department
    assert sorted(user.groups.values_list("name", flat=True)) == ["accountant", "tax"]
    assert user.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="create", object_type="staff.user")
    assert event.changes["roles"] == [None, "会计、税务专员"]
    assert NEW_PASSWORD not in str(event.changes) and "password" not in event.changes


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": ""}, "username", "这个字段是必填项"),
        ({"name": ""}, "name", "这个字段是必填项"),
        ({"mobile": "12345"}, "mobile", "11 位手机号码"),
        ({"password": "short", "password_confirm": "short"}, "password", "密码"),
        ({"password": "chen2026chen", "password_confirm": "chen2026chen"}, "password", "密码"),
        ({"password_confirm": "Other#Pass2026"}, "password_confirm", "两次输入的密码不一致"),
        ({"roles": ["superhero"]}, "roles", "superhero"),
    ],
)
def test_create_validation_names_the_field(admin_client, overrides, field, message):
    response = admin_client.post(reverse("staff:user_create"), _form_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not User.objects.filter(username="chen").exists()
    html = response.content.decode()
    assert "请更正下列错误" in html
    assert "陈七" in html or overrides.get("name") == ""  # what was typed is kept


def test_create_refuses_a_taken_username_in_any_case(admin_client, admin):
    response = admin_client.post(reverse("staff:user_create"), _form_data(username="BOSS"))
    assert "该用户名已被使用" in " ".join(response.context["form"].errors["username"])


def test_edit_staff_records_role_changes(admin_client, admin):
    user = UserFactory(username="zhao", name="赵六", roles=["accountant"])
    url = reverse("staff:user_edit", args=[user.pk])
    page = admin_client.get(url)
    assert page.context["form"]["roles"].value() == ["accountant"]
    response = admin_client.post(
        url,
        {
            "username": "zhao",
            "name": "赵六",
            "department": user.department.pk,
            "mobile": "",
            "title": "",
            "roles": ["accountant", "dept_head"],
            "is_active": "on",
            "version": "1",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.version == 2
    event = AuditEvent.objects.get(action="update", object_id=str(user.pk))
    assert event.changes == {"roles": ["会计", "会计、部门负责人"]}
    log = admin_client.get(reverse("core:audit_log")).content.decode()
    assert "角色" in log and "会计、部门负责人" in log
    history = admin_client.get(url).content.decode()  # the edit page shows the record's history
    assert '<span class="zf-diff-after">会计、部门负责人</span>' in history
    assert ">roles<" not in history


def test_concurrent_edit_is_refused_and_the_first_save_kept(admin_client, admin):
    user = UserFactory(username="zhao", name="赵六", roles=["accountant"])
    url = reverse("staff:user_edit", args=[user.pk])
    first = admin_client.get(url).context["form"]
    second = admin_client.get(url).context["form"]
    assert first.initial["version"] == second.initial["version"] == 1

    def post(name):
        return admin_client.post(
            url,
            {
                "username": "zhao",
                "name": name,
                "department": user.department.pk,
                "roles": ["accountant"],
                "is_active": "on",
                "version": "1",
            },
        )

    assert post("赵六一").status_code == 302
    refused = post("赵六二")
    assert refused.status_code == 200
    assert "已被他人修改" in refused.content.decode()
    assert "赵六二" in refused.content.decode()  # the second editor's typing is not lost
    user.refresh_from_db()
    assert (user.name, user.version) == ("赵六一", 2)
    assert AuditEvent.objects.filter(action="update", object_id=str(user.pk)).count() == 1


def test_admin_cannot_deactivate_themselves(admin_client, admin):
    response = admin_client.post(
        reverse("staff:user_edit", args=[admin.pk]),
        {"username": "boss", "name": "管理员", "roles": ["admin"], "version": "1"},
    )
    assert "不能停用自己的账户" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active and admin.version == 1


def test_password_reset(admin_client, admin):
    user = UserFactory(username="zhao")
    url = reverse("staff:user_password", args=[user.pk])
    weak = admin_client.post(url, {"password": "12345678", "password_confirm": "12345678"})
    assert "password" in weak.context["form"].errors
    response = admin_client.post(url, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(TEST_PASSWORD)
    event = AuditEvent.objects.get(object_id=str(user.pk), detail="管理员重置了登录密码")
    assert NEW_PASSWORD not in str(event.changes)


# -- departments -----------------------------------------------------------------------------------


def test_department_list_counts_members_and_clients(admin_client, admin):
    d1 = DepartmentFactory(name="代账一部")
    DepartmentFactory(name="代账二部")
    UserFactory.create_batch(3, department=d1)
    ClientFactory.create_batch(2, department=d1)
    page = admin_client.get(reverse("staff:department_list"), {"sort": "-members"})
    rows = {d.name: (d.member_count, d.client_count) for d in page.context["page"].object_list}
    assert rows["代账一部"] == (3, 2)
    assert rows["代账二部"] == (0, 0)
    assert page.context["page"].object_list[0].name == "代账一部"


@pytest.mark.parametrize("rows", [5, 30])
def test_department_list_query_count_is_constant(admin_client, django_assert_num_queries, rows):
    for n in range(rows):
        department = DepartmentFactory(name=f"部门{n}")
        UserFactory(department=department)
    url = reverse("staff:department_list")
    admin_client.get(url)
    # session, user, roles, count, page ids, rows (with both counts as subqueries)
    with django_assert_num_queries(6):
        admin_client.get(url)


def test_department_create_edit_and_unique_name(admin_client, admin):
    url = reverse("staff:department_create")
    assert admin_client.post(url, {"name": "税务部", "description": "报税"}).status_code == 302
    department = Department.objects.get(name="税务部")
    duplicate = admin_client.post(url, {"name": "税务部"})
    assert "已有同名的部门" in " ".join(duplicate.context["form"].errors["name"])

    edit = reverse("staff:department_edit", args=[department.pk])
    DepartmentFactory(name="客服部")
    clash = admin_client.post(edit, {"name": "客服部", "version": "1"})
    assert "已有同名的部门" in " ".join(clash.context["form"].errors["name"])
    renamed = admin_client.post(edit, {"name": "税务一部", "description": "报税", "version": "1"})
    assert renamed.status_code == 302
    department.refresh_from_db()
    assert (department.name, department.version) == ("税务一部", 2)
    stale = admin_client.post(edit, {"name": "税务二部", "version": "1"})
    assert "已被他人修改" in stale.content.decode()
    changes = [e.changes for e in AuditEvent.objects.filter(object_type="staff.department")]
    assert {"name": ["税务部", "税务一部"]} in changes


def test_department_deactivate_hides_it_from_the_staff_form(admin_client, admin):
    department = DepartmentFactory(name="旧部门")
    response = admin_client.post(
        reverse("staff:department_set_active", args=[department.pk]), {"active": "0"}
    )
    assert response.status_code == 302
    department.refresh_from_db()
    assert not department.is_active
    form = admin_client.get(reverse("staff:user_create")).context["form"]
    assert department not in form.fields["department"].queryset
    event = AuditEvent.objects.get(action="status", object_type="staff.department")
    assert event.changes == {"is_active": [True, False]}
