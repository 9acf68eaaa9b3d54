"""The client list: search (incl. pinyin), filters, sort, paging, htmx fragments, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhangfang.clients.tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db

LIST = reverse("clients:list")


def names(response) -> list[str]:
    return [c.name for c in response.context["page"].object_list]


@pytest.fixture
def admin_client(client, firm):
    client.force_login(firm.staff.admin)
    return client


@pytest.mark.parametrize(
    "query", ["hwjs", "HWJS", "huawei", "huaweijishu", "华为", "华为技术", "hw"]
)
def test_search_finds_a_client_by_name_short_name_and_pinyin(admin_client, firm, query):
    assert names(admin_client.get(LIST, {"q": query})) == ["华为技术有限公司"]


def test_search_by_credit_code_in_any_case_or_width(admin_client, firm):
    code = firm.ours.uscc
    for query in (code, code.lower(), code[:10]):
        assert names(admin_client.get(LIST, {"q": query})) == ["华为技术有限公司"]


def test_search_by_contact_name_and_mobile(admin_client, firm):
    ContactFactory(client=firm.theirs, name="欧阳娜娜", mobile="+8613912345678")
    assert names(admin_client.get(LIST, {"q": "欧阳"})) == [firm.theirs.name]
    assert names(admin_client.get(LIST, {"q": "139 1234 5678"})) == [firm.theirs.name]
    assert names(admin_client.get(LIST, {"q": "12345678"})) == [firm.theirs.name]


def test_a_client_with_two_matching_contacts_is_listed_once(admin_client, firm):
    ContactFactory(client=firm.theirs, name="王强")
    ContactFactory(client=firm.theirs, name="王芳")
    assert names(admin_client.get(LIST, {"q": "王"})) == [firm.theirs.name]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "suspended"}, ["暂停公司"]),
        ({"taxpayer_type": "general"}, ["一般纳税人公司"]),
        ({"industry": "H"}, ["餐饮公司"]),
        ({"tier": "A"}, ["重点公司"]),
    ],
)
def test_filters(admin_client, firm, params, expected):
    ClientFactory(name="暂停公司", status="suspended")
    ClientFactory(name="一般纳税人公司", taxpayer_type="general")
    ClientFactory(name="餐饮公司", industry="H")
    ClientFactory(name="重点公司", tier="A")
    assert names(admin_client.get(LIST, params)) == expected


def test_filter_by_assigned_staff_and_department(admin_client, firm):
    assert names(admin_client.get(LIST, {"staff": firm.staff.tax1.pk})) == [firm.ours.name]
    assert names(admin_client.get(LIST, {"department": firm.d2.pk})) == [firm.theirs.name]


def test_invalid_filter_values_are_ignored_not_errors(admin_client, firm):
    response = admin_client.get(LIST, {"status": "bogus", "staff": "x", "sort": "password"})
    assert response.status_code == 200
    assert len(names(response)) == 2


def test_sort_by_pinyin_name_both_ways(admin_client, firm):
    ClientFactory(name="阿里巴巴网络技术有限公司", short_name="阿里")
    ascending = names(admin_client.get(LIST, {"sort": "name"}))
    assert ascending[0] == "阿里巴巴网络技术有限公司"
    descending = names(admin_client.get(LIST, {"sort": "-name"}))
    assert descending == list(reversed(ascending))


def test_pagination_keeps_the_filters_in_its_links(admin_client, firm):
    for n in range(30):
        ClientFactory(name=f"分页测试{n:02d}有限公司", taxpayer_type="general")
    response = admin_client.get(LIST, {"taxpayer_type": "general", "page": 2})
    page = response.context["page"]
    assert page.number == 2 and page.paginator.count == 30
    assert len(page.object_list) == 5
    assert "taxpayer_type=general&amp;page=1" in response.text


def test_htmx_request_gets_only_the_table(admin_client, firm):
    full = admin_client.get(LIST)
    partial = admin_client.get(LIST, {"q": "hwjs"}, headers={"HX-Request": "true"})
    assert "<nav" in full.text and 'id="client-table"' in full.text
    assert 'id="client-table"' not in partial.text and "<html" not in partial.text
    assert "华为技术有限公司" in partial.text


def test_history_restore_gets_the_whole_page(admin_client, firm):
    response = admin_client.get(
        LIST, {"q": "hwjs"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.text


def test_shared_link_shows_the_same_list(admin_client, firm):
    url = LIST + "?q=hwjs&sort=-name"
    response = admin_client.get(url)
    assert names(response) == ["华为技术有限公司"]
    assert 'value="hwjs"' in response.text


def test_empty_state_says_what_to_do(admin_client, firm):
    response = admin_client.get(LIST, {"q": "没有这样的客户"})
    assert "没有符合条件的客户" in response.text


@pytest.mark.parametrize("rows", [5, 40])
def test_query_count_does_not_grow_with_rows(client, firm, rows, django_assert_num_queries):
    # A head of department (who has a department shown in the menu and a scoped list).
    client.force_login(firm.staff.head1)
    for n in range(rows):
        acme = ClientFactory(
            name=f"查询计数{n}有限公司",
            department=firm.d1,
            accountant=firm.staff.acct1,
            sales_owner=firm.staff.sales1,
        )
        ContactFactory(client=acme)
    client.get(LIST)  # the first request of a session records its activity time
    # session, user with department, roles, count, page ids, rows, staff and department options,
    # and region and tag options (one UNION query)
    with django_assert_num_queries(9):
        response = client.get(LIST, {"sort": "updated"})
    assert len(response.context["page"].object_list) == min(rows + 1, 25)
    # The table alone needs no filter options.
    with django_assert_num_queries(6):
        response = client.get(
            LIST, {"q": "cxjs", "status": "active"}, headers={"HX-Request": "true"}
        )
    assert len(response.context["page"].object_list) == min(rows, 25)


def test_export_gives_the_filtered_list_as_excel_and_is_audited(admin_client, firm):
    import io

    from openpyxl import load_workbook

    from zhangfang.core.models import AuditEvent

    ContactFactory(client=firm.ours, name="李娜", mobile="+8613800138000", is_primary=True)
    response = admin_client.get(reverse("clients:export"), {"q": "hwjs"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "客户名称" and len(rows) == 2
    assert rows[1][0] == "华为技术有限公司" and "李娜" in rows[1] and "138 0013 8000" in rows[1]
    event = AuditEvent.objects.get(action="export")
    assert event.actor == firm.staff.admin and "1" in event.detail


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("head1", 200), ("finance", 200), ("acct1", 403), ("sales1", 403)],
)
def test_only_some_roles_may_export(client, firm, who, status):
    client.force_login(getattr(firm.staff, who))
    assert client.get(reverse("clients:export")).status_code == status


def test_export_of_a_head_holds_only_their_department(client, firm):
    import io

    from openpyxl import load_workbook

    client.force_login(firm.staff.head2)
    sheet = load_workbook(io.BytesIO(client.get(reverse("clients:export")).content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [firm.theirs.name]


def test_list_shows_choice_labels_in_the_users_language(admin_client, firm):
    ClientFactory(name="餐饮公司", industry="H", status="suspended", taxpayer_type="general")
    text = admin_client.get(LIST, {"q": "餐饮"}).text
    assert "住宿和餐饮业" in text and "暂停" in text and "一般纳税人" in text


def test_head_reassigns_ticked_clients_to_another_accountant(client, firm):
    from zhangfang.core.models import AuditEvent
    from zhangfang.staff.tests.factories import UserFactory

    newcomer = UserFactory(
        username="acct3", name="会计丙", department=firm.d1, roles=["accountant"]
    )
    second = ClientFactory(name="第二家公司", department=firm.d1, accountant=firm.staff.acct1)
    client.force_login(firm.staff.head1)
    response = client.post(
        reverse("clients:bulk_reassign"),
        {
            "field": "accountant",
            "to": newcomer.pk,
            "ids": [firm.ours.pk, second.pk],
            "query": "q=x",
        },
    )
    assert response["Location"] == LIST + "?q=x"
    firm.ours.refresh_from_db()
    second.refresh_from_db()
    assert firm.ours.accountant == second.accountant == newcomer
    events = AuditEvent.objects.filter(action="update", detail="批量调整服务团队")
    assert events.count() == 2
    assert events.first().changes["accountant"] == ["会计甲", "会计丙"]


def test_reassign_refuses_a_person_without_the_role_and_changes_nothing(client, firm):
    client.force_login(firm.staff.head1)
    client.post(
        reverse("clients:bulk_reassign"),
        {"field": "accountant", "to": firm.staff.sales1.pk, "ids": [firm.ours.pk]},
    )
    firm.ours.refresh_from_db()
    assert firm.ours.accountant == firm.staff.acct1


def test_reassign_cannot_reach_clients_outside_the_scope(client, firm):
    client.force_login(firm.staff.head1)
    client.post(
        reverse("clients:bulk_reassign"),
        {"field": "accountant", "to": firm.staff.acct1.pk, "ids": [firm.theirs.pk]},
    )
    firm.theirs.refresh_from_db()
    assert firm.theirs.accountant == firm.staff.acct2


def test_only_heads_and_admins_see_and_use_bulk_reassign(client, firm):
    client.force_login(firm.staff.acct1)
    assert 'id="bulk-form"' not in client.get(LIST).text
    response = client.post(
        reverse("clients:bulk_reassign"),
        {"field": "accountant", "to": firm.staff.acct1.pk, "ids": [firm.ours.pk]},
    )
    assert response.status_code == 403


def test_filter_options_escape_names(admin_client, firm):
    from zhangfang.staff.tests.factories import UserFactory

    UserFactory(username="evil", name="<script>x</script>", roles=["accountant"])
    text = admin_client.get(LIST).text
    assert "<script>x</script>" not in text and "&lt;script&gt;x&lt;/script&gt;" in text
