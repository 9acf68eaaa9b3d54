"""A contact's birthday (entered, or from the 身份证号), 按农历过生日 and 不接收祝福
(policy 四（二）2): the form, the service rules, the contacts tab and the audit trail."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.urls import reverse

from zhangfang.clients import services
from zhangfang.clients.models import Contact
from zhangfang.clients.tests.factories import ContactFactory
from zhangfang.core import sample_data
from zhangfang.core.calendar import lunar_date_label
from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BORN = dt.date(1990, 5, 17)  # 农历 庚午年四月廿三
ID_1990 = sample_data.resident_id(random.Random(1), "440305", BORN)
ID_1949 = "11010519491231002X"


def create_url(acme) -> str:
    return reverse("clients:contact_create", args=[acme.pk])


def edit_url(contact) -> str:
    return reverse("clients:contact_edit", args=[contact.client_id, contact.pk])


def contacts_tab(client, acme) -> str:
    return client.get(reverse("clients:tab", args=[acme.pk, "contacts"])).text


@pytest.fixture
def acct(client, firm):
    client.force_login(firm.staff.acct1)
    return client


# -- the birthday: entered or from the 身份证号 --------------------------------------------------


def test_empty_birthday_is_taken_from_the_id_number(acct, firm):
    acct.post(create_url(firm.ours), {"name": "李娜", "role": "finance", "id_number": ID_1990})
    assert Contact.objects.get().birthday == BORN


def test_entered_birthday_without_id_number_is_saved(acct, firm):
    acct.post(create_url(firm.ours), {"name": "李娜", "role": "finance", "birthday": "1988-02-29"})
    assert Contact.objects.get().birthday == dt.date(1988, 2, 29)


def test_entered_birthday_differing_from_the_id_wins_and_the_form_says_so(acct, firm):
    acct.post(
        create_url(firm.ours),
        {"name": "李娜", "role": "finance", "id_number": ID_1990, "birthday": "1990-06-01"},
    )
    contact = Contact.objects.get()
    assert contact.birthday == dt.date(1990, 6, 1)
    help_text = acct.get(edit_url(contact)).context["form"].fields["birthday"].help_text
    assert "1990-05-17" in help_text and "以填写的为准" in help_text


def test_form_explains_the_birthday_rule(acct, firm):
    text = acct.get(create_url(firm.ours)).text
    assert "留空则取身份证号中的出生日期" in text
    assert 'type="date" name="birthday"' in text


def test_clearing_the_birthday_on_edit_goes_back_to_the_id_date(acct, firm):
    contact = ContactFactory(client=firm.ours, id_number=ID_1990, birthday=dt.date(1990, 6, 1))
    response = acct.post(
        edit_url(contact),
        {"name": contact.name, "role": "contact", "birthday": "", "version": contact.version},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.birthday == BORN and contact.id_number == ID_1990


def test_birthday_that_followed_the_old_id_follows_a_new_one(firm):
    contact = services.contact_create(
        client=firm.ours, data={"name": "张伟", "id_number": ID_1949}, by=firm.staff.acct1
    )
    # The edit form shows the stored date; sent back unchanged with a new ID, it follows the ID.
    services.contact_update(
        contact=contact,
        data={"id_number": ID_1990, "birthday": dt.date(1949, 12, 31)},
        expected_version=contact.version,
        by=firm.staff.acct1,
    )
    contact.refresh_from_db()
    assert contact.birthday == BORN


def test_entered_birthday_is_kept_when_the_id_changes(firm):
    contact = services.contact_create(
        client=firm.ours,
        data={"name": "张伟", "id_number": ID_1949, "birthday": dt.date(1950, 1, 28)},
        by=firm.staff.acct1,
    )
    services.contact_update(
        contact=contact,
        data={"id_number": ID_1990},
        expected_version=contact.version,
        by=firm.staff.acct1,
    )
    contact.refresh_from_db()
    assert contact.birthday == dt.date(1950, 1, 28)


# -- 按农历过生日 --------------------------------------------------------------------------------


def test_lunar_flag_without_a_birthday_is_refused_naming_the_field(acct, firm):
    response = acct.post(
        create_url(firm.ours), {"name": "李娜", "role": "finance", "birthday_lunar": "on"}
    )
    assert response.status_code == 200
    assert "birthday_lunar" in response.context["form"].errors
    assert "按农历过生日" in response.text
    assert not Contact.objects.exists()


def test_service_refuses_a_lunar_flag_without_a_birthday(firm):
    with pytest.raises(DomainError) as refused:
        services.contact_create(
            client=firm.ours, data={"name": "李娜", "birthday_lunar": True}, by=firm.staff.acct1
        )
    assert refused.value.field == "birthday_lunar"
    assert not Contact.objects.exists()


def test_lunar_flag_with_only_an_id_number_is_accepted(acct, firm):
    response = acct.post(
        create_url(firm.ours),
        {"name": "李娜", "role": "finance", "id_number": ID_1990, "birthday_lunar": "on"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.birthday_lunar and contact.birthday == BORN


def test_lunar_flag_on_edit_uses_the_stored_id_number(acct, firm):
    contact = ContactFactory(client=firm.ours, id_number=ID_1990, birthday=BORN)
    response = acct.post(
        edit_url(contact),
        {
            "name": contact.name,
            "role": "contact",
            "birthday": "",
            "birthday_lunar": "on",
            "version": contact.version,
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.birthday_lunar and contact.birthday == BORN


def test_contacts_tab_shows_the_birthday_and_its_lunar_date(acct, firm):
    ContactFactory(client=firm.ours, name="李娜", birthday=BORN, birthday_lunar=True)
    ContactFactory(client=firm.ours, name="王芳", birthday=dt.date(1985, 3, 3), is_primary=False)
    text = contacts_tab(acct, firm.ours)
    assert "1990-05-17" in text and "农历 四月廿三" in text
    assert "1985-03-03" in text
    assert text.count("农历") == 1  # only the contact who celebrates the lunar date


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (dt.date(1990, 5, 17), "四月廿三"),
        (dt.date(1990, 5, 4), "四月初十"),
        (dt.date(1990, 5, 8), "四月十四"),
        (dt.date(1990, 5, 14), "四月二十"),
        (dt.date(1990, 5, 15), "四月廿一"),
        (dt.date(1985, 2, 20), "正月初一"),
        (dt.date(1949, 12, 31), "冬月十二"),
        (dt.date(1986, 2, 8), "腊月三十"),
        (dt.date(2023, 3, 22), "闰二月初一"),
    ],
)
def test_lunar_date_label(day, label):
    assert lunar_date_label(day) == label


# -- 不接收祝福 ----------------------------------------------------------------------------------


def test_opt_out_is_saved_shown_and_audited(acct, firm):
    contact = ContactFactory(client=firm.ours, name="李娜")
    assert "不接收祝福" not in contacts_tab(acct, firm.ours)
    response = acct.post(
        edit_url(contact),
        {
            "name": "李娜",
            "role": "contact",
            "mobile": contact.mobile,
            "is_primary": "on",
            "greetings_opt_out": "on",
            "version": contact.version,
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.greetings_opt_out
    assert "不接收祝福" in contacts_tab(acct, firm.ours)
    event = AuditEvent.objects.get(action="update", object_type="clients.contact")
    assert event.changes == {"greetings_opt_out": [False, True]}


def test_greeting_preferences_are_audited_on_creation(firm):
    contact = services.contact_create(
        client=firm.ours,
        data={"name": "李娜", "birthday": BORN, "birthday_lunar": True, "greetings_opt_out": True},
        by=firm.staff.acct1,
    )
    event = AuditEvent.objects.get(action="create", object_id=str(contact.pk))
    assert event.changes["birthday"] == [None, "1990-05-17"]
    assert event.changes["birthday_lunar"] == [None, True]
    assert event.changes["greetings_opt_out"] == [None, True]


# -- who may change a contact ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("acct1", 200), ("head1", 200), ("service1", 200), ("acct2", 404), ("head2", 404)],
)
def test_contact_form_role_matrix(client, firm, who, status):
    contact = ContactFactory(client=firm.ours)
    client.force_login(getattr(firm.staff, who))
    assert client.get(create_url(firm.ours)).status_code == status
    assert client.get(edit_url(contact)).status_code == status
    response = client.post(
        edit_url(contact),
        {"name": "改名", "role": "contact", "greetings_opt_out": "on", "version": 1},
    )
    assert response.status_code == (302 if status == 200 else 404)
    contact.refresh_from_db()
    assert contact.greetings_opt_out == (status == 200)


def test_outsider_without_a_role_gets_404(client, firm):
    contact = ContactFactory(client=firm.ours)
    client.force_login(UserFactory(username="nobody", department=firm.d1, roles=[]))
    assert client.get(edit_url(contact)).status_code == 404


# -- the demo firm -------------------------------------------------------------------------------


def test_demo_contacts_have_lunar_birthdays_and_opt_outs():
    from zhangfang.clients.demo import plan_demo_firm

    contacts = [c for entry in plan_demo_firm(clients=300)["clients"] for c in entry["contacts"]]
    lunar = [c for c in contacts if c["birthday_lunar"]]
    assert lunar and all(c["birthday"] is not None for c in lunar)
    assert 0 < sum(c["greetings_opt_out"] for c in contacts) < len(contacts) * 0.15


def test_demo_build_stores_the_greeting_preferences(db):
    from zhangfang.clients.demo import build_demo_firm

    build_demo_firm(clients=30)
    assert Contact.objects.filter(birthday_lunar=True).exists()
    assert not Contact.objects.filter(birthday_lunar=True, birthday__isnull=True).exists()
