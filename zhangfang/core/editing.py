"""Optimistic locking for edits: one way for every service to refuse a stale save.

A record carries a ``version``; the form sends back the version the user opened. The service
locks the row only if it still has that version (:func:`lock_version`), applies the edits and
bumps the version (:func:`apply_edit`). Two people who opened the same version: the first save
wins, the second gets :class:`~zhangfang.core.errors.ConcurrentEditError` and nothing is lost.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from zhangfang.core.errors import ConcurrentEditError


def lock_version(model: type[models.Model], *, pk: int, version: int, message: str):
    """The row ``pk``, locked for update, if it is still at ``version``; else raise ``message``."""
    current = model.objects.select_for_update(of=("self",)).filter(pk=pk, version=version).first()
    if current is None:
        raise ConcurrentEditError(message)
    return current


def apply_edit(current: models.Model, data: dict[str, Any], *, skip: frozenset[str] = frozenset()):
    """Set ``data`` on the locked row and move it to the next version (the caller saves)."""
    for field, value in data.items():
        if field not in skip:
            setattr(current, field, value)
    current.version += 1
    return current
