"""Field encryption: unreadable at rest, masked on screen, keys rotate without losing data."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from zhangfang.clients.models import Contact
from zhangfang.clients.tests.factories import ContactFactory
from zhangfang.core import crypto
from zhangfang.core.models import AuditEvent

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("440524188001010014", "4405**********0014"),
        ("6222021234567890123", "6222***********0123"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask(value, masked):
    assert crypto.mask(value) == masked


def test_round_trip_and_tokens_differ_each_time(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    first, second = crypto.encrypt("11010519491231002X"), crypto.encrypt("11010519491231002X")
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "11010519491231002X"


def test_a_value_from_an_unknown_key_fails_loudly(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    token = crypto.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(token)


def test_bad_key_configuration_is_reported(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="Fernet"):
        crypto.encrypt("x")


def raw_id_number(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM clients_contact WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_rotation_re_encrypts_under_the_new_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    contacts = [ContactFactory(id_number="11010519491231002X") for _ in range(3)]
    ContactFactory(id_number="")
    before = raw_id_number(contacts[0].pk)

    # Step 1: the new key goes first, the old one stays so existing values remain readable.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert Contact.objects.get(pk=contacts[0].pk).id_number == "11010519491231002X"
    call_command("rotate_field_keys", stdout=io.StringIO())
    assert raw_id_number(contacts[0].pk) != before

    # Step 2: with the old key removed, everything still reads.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert {c.id_number for c in Contact.objects.exclude(id_number="")} == {"11010519491231002X"}
    assert AuditEvent.objects.filter(object_type="core.encryption").exists()
