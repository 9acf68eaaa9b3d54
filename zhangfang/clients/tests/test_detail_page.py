"""Client detail, create and edit pages: validation messages, duplicates, conflicts, reveals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhangfang.clients.models import Client, Contact
from zhangfang.clients.tests.factories import ContactFactory
from zhangfang.core.models import AuditEvent

pytestmark = pytest.mark.django_db

VALID_USCC = "91440300708461136T"


def form_data(acme: Client, **changes) -> dict:
    data = {
        "name": acme.name,
        "short_name": acme.short_name,
        "uscc": acme.uscc or "",
        "taxpayer_type": acme.taxpayer_type,
        "industry": acme.industry,
        "tier": acme.tier,
        "version": acme.version,
    }
    data.update(changes)
    return data


def test_detail_shows_master_data_team_and_tabs(client, firm):
    client.force_login(firm.staff.acct1)
    response = client.get(reverse("clients:detail", args=[firm.ours.pk]))
    text = response.text
    for expected in (
        "华为技术有限公司",
        firm.ours.uscc,
        "会计甲",
        "税务甲",
        "客服甲",
        "业务甲",
        "代账一部",
    ):
        assert expected in text
    for tab in ("概况", "联系人", "变更记录"):
        assert tab in text


@pytest.mark.parametrize("tab", ["overview", "contacts", "history"])
def test_tabs_load_as_fragments_and_as_pages(client, firm, tab):
    ContactFactory(client=firm.ours, name="李娜", mobile="+8613800138000")
    client.force_login(firm.staff.acct1)
    fragment = client.get(reverse("clients:tab", args=[firm.ours.pk, tab]))
    assert fragment.status_code == 200 and "<html" not in fragment.text
    page = client.get(reverse("clients:detail", args=[firm.ours.pk]), {"tab": tab})
    assert page.status_code == 200 and "<html" in page.text
    if tab == "contacts":
        assert "李娜" in fragment.text and "138 0013 8000" in fragment.text


def test_history_tab_shows_field_changes(client, firm):
    client.force_login(firm.staff.acct1)
    client.post(
        reverse("clients:edit", args=[firm.ours.pk]), form_data(firm.ours, short_name="华为公司")
    )
    fragment = client.get(reverse("clients:tab", args=[firm.ours.pk, "history"]))
    assert "简称" in fragment.text and "华为公司" in fragment.text and "会计甲" in fragment.text


def test_create_client_with_valid_data(client, firm):
    client.force_login(firm.staff.head1)
    response = client.post(
        reverse("clients:create"),
        {
            "name": "深圳市大疆创新科技有限公司",
            "uscc": VALID_USCC.lower(),
            "status": "active",
            "taxpayer_type": "general",
            "tier": "A",
            "industry": "C",
            "department": firm.d1.pk,
        },
    )
    acme = Client.objects.get(name="深圳市大疆创新科技有限公司")
    assert response.status_code == 302 and response["Location"] == reverse(
        "clients:detail", args=[acme.pk]
    )
    assert acme.uscc == VALID_USCC and acme.department == firm.d1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("uscc", "91350100M000100Y4Z", "统一社会信用代码"),
        ("uscc", "12345", "统一社会信用代码"),
        ("name", "", "客户名称"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(client, firm, field, value, message):
    client.force_login(firm.staff.head1)
    data = {
        "name": "新公司",
        "status": "active",
        "taxpayer_type": "small",
        "tier": "B",
        field: value,
    }
    response = client.post(reverse("clients:create"), data)
    assert response.status_code == 200
    assert message in response.text
    assert field in response.context["form"].errors
    assert not Client.objects.filter(name="新公司").exists()


def test_duplicate_credit_code_is_refused_with_a_link_to_the_existing_client(client, firm):
    client.force_login(firm.staff.head1)
    response = client.post(
        reverse("clients:create"),
        {
            "name": "重复公司",
            "uscc": firm.ours.uscc,
            "status": "active",
            "taxpayer_type": "small",
            "tier": "B",
        },
    )
    assert response.status_code == 200
    assert reverse("clients:detail", args=[firm.ours.pk]) in response.text
    assert "已登记为客户" in response.text
    assert not Client.objects.filter(name="重复公司").exists()


def test_roles_without_create_right_cannot_create(client, firm):
    client.force_login(firm.staff.acct1)
    assert client.get(reverse("clients:create")).status_code == 403


def test_salesperson_creates_a_prospect_they_own(client, firm):
    client.force_login(firm.staff.sales1)
    client.post(
        reverse("clients:create"),
        {"name": "潜在客户公司", "status": "prospect", "taxpayer_type": "small", "tier": "C"},
    )
    acme = Client.objects.get(name="潜在客户公司")
    assert acme.sales_owner == firm.staff.sales1 and acme.department == firm.d1


def test_team_fields_only_for_heads_and_admins(client, firm):
    client.force_login(firm.staff.acct1)
    assert (
        "accountant"
        not in client.get(reverse("clients:edit", args=[firm.ours.pk])).context["form"].fields
    )
    client.force_login(firm.staff.head1)
    assert (
        "accountant"
        in client.get(reverse("clients:edit", args=[firm.ours.pk])).context["form"].fields
    )


def test_concurrent_edit_refused_with_message_and_input_kept(client, firm):
    client.force_login(firm.staff.acct1)
    url = reverse("clients:edit", args=[firm.ours.pk])
    opened = form_data(firm.ours)  # both users opened version 1
    assert client.post(url, {**opened, "phone": "0755-1111"}).status_code == 302
    response = client.post(url, {**opened, "phone": "0755-2222", "address": "深圳市南山区"})
    assert response.status_code == 200
    assert "其他人已修改" in response.text
    form = response.context["form"]
    assert form["phone"].value() == "0755-2222" and form["address"].value() == "深圳市南山区"
    assert form["version"].value() == "2"
    firm.ours.refresh_from_db()
    assert firm.ours.phone == "0755-1111"
    # Having seen the other change, the user saves again on the new version.
    again = client.post(url, {**opened, "version": 2, "phone": "0755-2222"})
    assert again.status_code == 302
    firm.ours.refresh_from_db()
    assert firm.ours.phone == "0755-2222"


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("mobile", "12345", "手机号"),
        ("id_number", "110105194912310021", "身份证号"),
        ("name", "", "姓名"),
    ],
)
def test_contact_form_refuses_bad_values_naming_the_field(client, firm, field, value, label):
    client.force_login(firm.staff.acct1)
    data = {"name": "李娜", "role": "contact", field: value}
    response = client.post(reverse("clients:contact_create", args=[firm.ours.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors and label in response.text
    assert not Contact.objects.exists()


def test_contact_mobile_is_stored_in_e164(client, firm):
    client.force_login(firm.staff.acct1)
    client.post(
        reverse("clients:contact_create", args=[firm.ours.pk]),
        {
            "name": "李娜",
            "role": "finance",
            "mobile": "138 0013 8000",
            "id_number": "11010519491231002x",
        },
    )
    contact = Contact.objects.get()
    assert contact.mobile == "+8613800138000" and contact.id_number == "11010519491231002X"


def test_id_number_is_masked_and_revealed_only_to_permitted_roles(client, firm):
    contact = ContactFactory(client=firm.ours, id_number="11010519491231002X")
    url = reverse("clients:contact_reveal", args=[firm.ours.pk, contact.pk, "id_number"])
    client.force_login(firm.staff.service1)
    tab = client.get(reverse("clients:tab", args=[firm.ours.pk, "contacts"]))
    assert "1101**********002X" in tab.text and "11010519491231002X" not in tab.text
    assert client.post(url).status_code == 403
    client.force_login(firm.staff.acct1)
    response = client.post(url)
    assert response.status_code == 200 and "11010519491231002X" in response.text
    event = AuditEvent.objects.get(action="reveal")
    assert event.actor == firm.staff.acct1


def test_status_change_through_the_page(client, firm):
    client.force_login(firm.staff.head1)
    client.post(
        reverse("clients:status", args=[firm.ours.pk]), {"to": "suspended", "reason": "欠费"}
    )
    firm.ours.refresh_from_db()
    assert firm.ours.status == "suspended"
    response = client.post(
        reverse("clients:status", args=[firm.ours.pk]), {"to": "prospect"}, follow=True
    )
    assert "不能从" in response.text
