"""The client page's 收费台账 tab: the account summary and the ledger with its running balance.

Registered on the client detail page from ``billing/wiring/ledger.py``; the client page has
already checked that the user may see the client (404 otherwise), so the tab reads its rows.
Its page links go through ``clients:tab`` (htmx swaps the whole tab area).
"""

from __future__ import annotations

from django.utils import timezone

from zhangfang.billing.selectors.ledger import account_of, client_ledger
from zhangfang.billing.views.bills import can_write

urlpatterns: list = []


def client_billing_tab(request, client) -> tuple[str, dict]:
    """(template, context) of the tab; ``?page=`` picks a ledger page (default the newest)."""
    ledger = client_ledger(client=client, page=request.GET.get("page"))
    page = ledger.page
    return "billing/client_tab_billing.html", {
        "account": account_of(client),
        "ledger": ledger,
        "page_numbers": list(page.paginator.get_elided_page_range(page.number, on_each_side=2)),
        "can_write": can_write(request.user),
        "today": timezone.localdate(),
    }
