"""The tabs of the client detail page. Later chapters add theirs with :func:`register`.

A tab is a key, a label and a function ``(request, client) -> (template, context)``; the detail
page renders the selected one and htmx loads the others as fragments from ``clients:tab``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhangfang.clients import permissions, selectors
from zhangfang.clients.models import Client
from zhangfang.core.selectors import audit_history_for

TabRenderer = Callable[[Any, Client], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    render: TabRenderer


TABS: dict[str, Tab] = {}


def register(key: str, label: str | Promise, render: TabRenderer) -> None:
    TABS[key] = Tab(key, label, render)


def _overview(request, client: Client):
    from django.urls import reverse

    return "clients/_tab_overview.html", {
        "can_reveal_bank": permissions.can_reveal(request.user, "bank_account"),
        "bank_reveal_url": reverse("clients:reveal", args=[client.pk, "bank_account"]),
    }


def _contacts(request, client: Client):
    return "clients/_tab_contacts.html", {
        "contacts": selectors.client_contacts(client),
        "can_reveal_id": permissions.can_reveal(request.user, "id_number"),
    }


def _history(request, client: Client):
    return "clients/_tab_history.html", {"events": audit_history_for(client, limit=200)}


register("overview", _("概况"), _overview)
register("contacts", _("联系人"), _contacts)
register("history", _("变更记录"), _history)
