"""The tabs of the prospect detail page. Other parts of the leads app add theirs with
:func:`register` from their views module (拜访, 洽谈, ...).

A tab is a key, a label and a function ``(request, prospect) -> (template, context)``; the detail
page renders the selected one and htmx loads the others from ``leads:prospect_tab``. ``order``
places it (概况 10, 变更记录 90; the default 50 puts a new tab between them).

This module also provides the client page's "来源" tab (registered from ``LeadsConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhangfang.core.selectors import audit_history_for

TabRenderer = Callable[[Any, Any], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    render: TabRenderer
    order: int = 50


TABS: dict[str, Tab] = {}


def register(key: str, label: str | Promise, render: TabRenderer, order: int = 50) -> None:
    TABS[key] = Tab(key, label, render, order)


def ordered() -> list[Tab]:
    return sorted(TABS.values(), key=lambda tab: tab.order)


def _overview(request, prospect):
    return "leads/prospect_tab_overview.html", {}


def _history(request, prospect):
    return "leads/prospect_tab_history.html", {"events": audit_history_for(prospect, limit=200)}


register("overview", _("概况"), _overview, order=10)
register("history", _("变更记录"), _history, order=90)


def client_origin_tab(request, client):
    """The client page's "来源" tab: the prospect it was converted from, if any."""
    from zhangfang.leads.selectors.prospects import prospect_for_client, prospects_visible_to

    prospect = prospect_for_client(client)
    can_open = bool(prospect and prospects_visible_to(request.user).filter(pk=prospect.pk).exists())
    return "leads/prospect_client_origin.html", {"origin": prospect, "can_open_origin": can_open}


def register_client_tab() -> None:
    from zhangfang.clients import tabs as client_tabs

    client_tabs.register("origin", _("来源"), client_origin_tab)
