"""Re-encrypt every encrypted field under the first key of FIELD_ENCRYPTION_KEYS.

Run after putting a new key first; once it has finished, the old keys can be removed. Safe to run
again: a value already under the first key is simply re-encrypted.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from zhangfang.core import audit, crypto
from zhangfang.core.crypto import EncryptedTextField

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt sensitive fields under the newest key."

    def handle(self, *args, **options) -> None:
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if fields:
                total += self._rotate_model(model, fields)
        audit.record(
            action="update",
            object_type="core.encryption",
            object_repr="FIELD_ENCRYPTION_KEYS",
            detail=f"rotated {total} values",
            actor_name="manage.py rotate_field_keys",
        )
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} values."))

    def _rotate_model(self, model, fields) -> int:
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        columns = [connection.ops.quote_name(f.column) for f in fields]
        count = 0
        last = None
        while True:
            # Raw SQL: the ORM would decrypt on read, and here the ciphertext itself is the data.
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {pk} > %s " if last is not None else ""
                selected = ", ".join(columns)
                cursor.execute(
                    f"SELECT {pk}, {selected} FROM {table} {where}ORDER BY {pk} LIMIT {BATCH}",
                    [last] if last is not None else [],
                )
                rows = cursor.fetchall()
                for row in rows:
                    updates = [
                        (col, crypto.rotate(value))
                        for col, value in zip(columns, row[1:], strict=True)
                        if value
                    ]
                    if updates:
                        assignments = ", ".join(f"{col} = %s" for col, _ in updates)
                        cursor.execute(
                            f"UPDATE {table} SET {assignments} WHERE {pk} = %s",
                            [value for _, value in updates] + [row[0]],
                        )
                        count += len(updates)
            if len(rows) < BATCH:
                return count
            last = rows[-1][0]
