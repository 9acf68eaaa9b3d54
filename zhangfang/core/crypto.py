"""Encryption at rest for sensitive personal data (个人信息保护法: 身份证号, bank accounts).

Values are encrypted with Fernet under the keys in ``settings.FIELD_ENCRYPTION_KEYS``: the first
key encrypts, all of them decrypt (``MultiFernet``), so a key is rotated by putting a new key first
and running ``manage.py rotate_field_keys``, with no downtime. Screens show :func:`mask` of a value;
the plain value is revealed only through an audited service.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=1)
def _cipher_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)."
        ) from exc


def cipher() -> MultiFernet:
    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        if not (settings.DEBUG or getattr(settings, "TESTING", False)):
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is required outside DEBUG.")
        # Development and tests only: a key derived from SECRET_KEY so nothing needs set-up.
        digest = hashlib.sha256(("field-encryption:" + settings.SECRET_KEY).encode()).digest()
        keys = (base64.urlsafe_b64encode(digest).decode(),)
    return _cipher_for(keys)


def encrypt(value: str) -> str:
    return cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted field could not be decrypted: the key that wrote it is not in "
            "FIELD_ENCRYPTION_KEYS."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the current first key."""
    return cipher().rotate(token.encode("ascii")).decode("ascii")


def mask(value: str, *, keep_start: int = 4, keep_end: int = 4) -> str:
    """``440524188001010014`` → ``4405**********0014``; short values are hidden entirely."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; Python code sees the plain text.

    It cannot be searched or ordered in SQL, which is the point: the database and its backups
    never hold the plain value.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
