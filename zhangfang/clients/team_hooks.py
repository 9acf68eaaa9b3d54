"""Who else must act when a client's service team changes.

A client's team (主办会计, 税务专员, 客服专员, 业务负责人) decides who does its work; when a
member is replaced, other chapters move what the old member still had open (client service
moves the open monthly work and requests). Those chapters depend on ``clients``, never the other
way round, so they register a callback here at start-up and the client services call
:func:`run` inside their own transaction: a failing callback undoes the team change too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: The team fields whose change is announced, in the order the client form shows them.
TEAM_FIELDS = ("accountant", "tax_specialist", "customer_service", "sales_owner")

TeamChangeCallback = Callable[..., Any]

_callbacks: list[TeamChangeCallback] = []


def register(callback: TeamChangeCallback) -> None:
    """Call ``callback(client=, field=, old_user_id=, new_user=, by=)`` on every team change.

    Registering the same callback twice keeps one (wiring modules may be imported again).
    """
    if callback not in _callbacks:
        _callbacks.append(callback)


def unregister(callback: TeamChangeCallback) -> None:
    """Stop calling ``callback`` (for tests that register their own)."""
    if callback in _callbacks:
        _callbacks.remove(callback)


def run(*, client, field: str, old_user_id: int | None, new_user, by) -> None:
    """Tell every registered callback that ``client.<field>`` went from ``old_user_id`` to
    ``new_user`` (a user or None); called by the client services inside their transaction."""
    for callback in list(_callbacks):
        callback(client=client, field=field, old_user_id=old_user_id, new_user=new_user, by=by)


def team_ids(client) -> dict[str, int | None]:
    """The team member ids of ``client`` as they are now, to compare after an edit."""
    return {field: getattr(client, f"{field}_id") for field in TEAM_FIELDS}


def run_changes(*, client, before: Mapping[str, int | None], by) -> None:
    """:func:`run` for each team field of ``client`` that differs from ``before``."""
    for field in TEAM_FIELDS:
        old_user_id = before.get(field)
        if getattr(client, f"{field}_id") != old_user_id:
            run(
                client=client,
                field=field,
                old_user_id=old_user_id,
                new_user=getattr(client, field),
                by=by,
            )
