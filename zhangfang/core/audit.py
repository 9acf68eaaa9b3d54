"""The one audit service every business action calls.

``record`` appends an :class:`~zhangfang.core.models.AuditEvent`; ``snapshot`` and ``diff`` turn
model instances into the before/after field values it stores. The request's address reaches the
service through a context variable that the middleware sets, so services need no request argument.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from zhangfang.core.models import AuditEvent

MASKED = "******"

current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)


def label_of(obj: models.Model) -> str:
    """``app_label.modelname`` of a model instance, as stored in ``object_type``."""
    return obj._meta.label_lower


def jsonable(value: Any) -> Any:
    """A value as the audit trail stores it: text for a record, a date or an amount."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def snapshot(
    obj: models.Model, fields: list[str], *, masked: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Field values of ``obj`` in JSON form; foreign keys by their text, masked fields hidden."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if name in masked:
            values[name] = MASKED if getattr(obj, name) else ""
        elif field.is_relation:
            values[name] = jsonable(getattr(obj, name))
        elif field.choices:
            values[name] = str(getattr(obj, f"get_{name}_display")())
        elif isinstance(field, models.DecimalField) and isinstance(getattr(obj, name), Decimal):
            # "180" typed in a form and "180.00" read back are the same amount: store it one way.
            places = Decimal(1).scaleb(-field.decimal_places)
            values[name] = str(getattr(obj, name).quantize(places))
        else:
            values[name] = jsonable(getattr(obj, name))
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Only the fields whose value changed, as ``{field: [before, after]}``."""
    return {
        key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)
    }


def created(values: dict[str, Any]) -> dict[str, list[Any]]:
    """The changes of a new record: every field that holds a value, from nothing."""
    return {key: [None, value] for key, value in values.items() if value not in ("", None)}


def deleted(values: dict[str, Any]) -> dict[str, list[Any]]:
    """The changes of a removed record: every field that held a value, to nothing."""
    return {key: [value, None] for key, value in values.items() if value not in ("", None)}


def record(
    *,
    action: str,
    by=None,
    obj: models.Model | None = None,
    anchor: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    detail: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    actor_name: str = "",
) -> AuditEvent:
    """Append one audit event; ``anchor`` is the record whose history shows it (default ``obj``)."""
    if obj is not None:
        object_type = object_type or label_of(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    anchor = anchor if anchor is not None else obj
    actor = by if getattr(by, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor_name or (actor.get_full_name() or actor.get_username() if actor else ""),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:255],
        anchor_type=label_of(anchor) if anchor is not None else object_type,
        anchor_id=str(anchor.pk) if anchor is not None else object_id,
        changes=changes or {},
        detail=detail[:255],
        ip_address=current_ip.get(),
    )


def field_label(object_type: str, field: str) -> str:
    """The verbose name of ``field`` on the model ``object_type`` (``app.model``), else the name."""
    try:
        model = apps.get_model(object_type)
        return str(model._meta.get_field(field).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return field
