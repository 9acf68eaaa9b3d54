"""The client chapter's home panels: my clients by status, and records that need completing."""

from __future__ import annotations

from zhangfang.clients import selectors
from zhangfang.core.dashboard import Panel, register


def _my_clients(request):
    return {"counts": selectors.client_status_counts(user=request.user)}


def _incomplete(request):
    clients = selectors.clients_missing_information(user=request.user, limit=8)
    return {"clients": clients} if clients else None


register(Panel("my_clients", "clients/panels/my_clients.html", _my_clients, order=20))
register(Panel("incomplete_clients", "clients/panels/incomplete.html", _incomplete, order=30))
