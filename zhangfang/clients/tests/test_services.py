"""Client services: audit trail, optimistic locking, duplicates, status moves, encryption."""

from __future__ import annotations

import pytest
from django.db import connection

from zhangfang.clients import services
from zhangfang.clients.models import Client, Contact
from zhangfang.clients.tests.factories import ContactFactory
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def events_for(obj):
    return AuditEvent.objects.filter(anchor_type=obj._meta.label_lower, anchor_id=str(obj.pk))


def test_create_fills_pinyin_and_writes_an_audit_event(firm):
    acme = services.client_create(
        data={"name": "深圳市腾讯计算机系统有限公司", "short_name": "腾讯"}, by=firm.staff.admin
    )
    assert "szstxjsjxtyxgs" in acme.search_pinyin and "tengxun" in acme.search_pinyin
    event = events_for(acme).get()
    assert event.action == "create" and event.actor == firm.staff.admin
    assert event.changes["name"] == [None, "深圳市腾讯计算机系统有限公司"]


def test_update_records_before_and_after_of_changed_fields_only(firm):
    acme = firm.ours
    services.client_update(
        client=acme,
        data={"short_name": "华为技术", "phone": "0755-28780808"},
        expected_version=acme.version,
        by=firm.staff.acct1,
    )
    event = events_for(acme).get(action="update")
    assert event.changes == {"short_name": ["华为", "华为技术"], "phone": ["", "0755-28780808"]}
    acme.refresh_from_db()
    assert acme.version == 2 and "hwjs" in acme.search_pinyin


def test_later_save_of_a_stale_version_is_refused_and_the_first_is_kept(firm):
    first_view = Client.objects.get(pk=firm.ours.pk)
    second_view = Client.objects.get(pk=firm.ours.pk)
    services.client_update(
        client=first_view, data={"phone": "111"}, expected_version=1, by=firm.staff.acct1
    )
    with pytest.raises(ConcurrentEditError):
        services.client_update(
            client=second_view, data={"phone": "222"}, expected_version=1, by=firm.staff.head1
        )
    firm.ours.refresh_from_db()
    assert firm.ours.phone == "111"
    assert events_for(firm.ours).filter(action="update").count() == 1


def test_duplicate_credit_code_is_refused_by_the_service_too(firm):
    with pytest.raises(DomainError, match="华为技术有限公司"):
        services.client_create(data={"name": "另一家", "uscc": firm.ours.uscc}, by=firm.staff.admin)
    assert not Client.objects.filter(name="另一家").exists()


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        ("prospect", "active", True),
        ("active", "suspended", True),
        ("suspended", "active", True),
        ("active", "terminated", True),
        ("terminated", "active", True),
        ("terminated", "suspended", False),
        ("prospect", "suspended", False),
        ("active", "prospect", False),
    ],
)
def test_status_moves(firm, start, to, allowed):
    Client.objects.filter(pk=firm.ours.pk).update(status=start)
    firm.ours.refresh_from_db()
    if allowed:
        services.client_change_status(client=firm.ours, to=to, by=firm.staff.head1, reason="续签")
        firm.ours.refresh_from_db()
        assert firm.ours.status == to
        event = events_for(firm.ours).get(action="status")
        assert event.detail == "续签"
    else:
        with pytest.raises(TransitionNotAllowed):
            services.client_change_status(client=firm.ours, to=to, by=firm.staff.head1)
        firm.ours.refresh_from_db()
        assert firm.ours.status == start


def test_sensitive_fields_are_encrypted_at_rest_and_masked_in_the_audit_log(firm):
    contact = services.contact_create(
        client=firm.ours,
        data={"name": "张伟", "id_number": "11010519491231002X", "mobile": "+8613800138000"},
        by=firm.staff.acct1,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM clients_contact WHERE id = %s", [contact.pk])
        stored = cursor.fetchone()[0]
    assert "11010519491231002X" not in stored and stored.startswith("gAAAA")
    assert Contact.objects.get(pk=contact.pk).id_number == "11010519491231002X"
    assert contact.birthday.isoformat() == "1949-12-31"
    event = events_for(firm.ours).get(action="create", object_type="clients.contact")
    assert event.changes["id_number"] == [None, "******"]


def test_reveal_returns_the_value_and_is_audited(firm):
    contact = ContactFactory(client=firm.ours, id_number="11010519491231002X")
    value = services.contact_reveal(contact=contact, field="id_number", by=firm.staff.acct1)
    assert value == "11010519491231002X"
    event = events_for(firm.ours).get(action="reveal")
    assert event.actor == firm.staff.acct1 and event.object_type == "clients.contact"


def test_empty_id_number_on_edit_keeps_the_stored_one(firm):
    contact = ContactFactory(client=firm.ours, id_number="11010519491231002X")
    services.contact_update(
        contact=contact,
        data={"title": "财务经理", "id_number": ""},
        expected_version=contact.version,
        by=firm.staff.acct1,
    )
    contact.refresh_from_db()
    assert contact.id_number == "11010519491231002X" and contact.title == "财务经理"


def test_only_one_primary_contact(firm):
    first = ContactFactory(client=firm.ours, is_primary=True)
    second = services.contact_create(
        client=firm.ours, data={"name": "李娜", "is_primary": True}, by=firm.staff.acct1
    )
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary


def test_contact_delete_is_audited_with_what_it_held(firm):
    contact = ContactFactory(client=firm.ours, name="王芳")
    services.contact_delete(contact=contact, by=firm.staff.acct1)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    event = events_for(firm.ours).get(action="delete")
    assert event.changes["name"] == ["王芳", None]
