"""The inbox page and the unread badge of the top bar (loaded by htmx after the page)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from zhangfang.core.listing import ListState, wants_fragment
from zhangfang.notifications import selectors, services


def inbox(request):
    state = ListState.from_request(
        request, sorts={"created": ("created_at",)}, default_sort="-created"
    )
    unread_only = request.GET.get("unread") == "1"
    page = state.paginate(
        selectors.notification_list(user=request.user, unread_only=unread_only), per_page=30
    )
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "unread_only": unread_only,
    }
    template = (
        "notifications/inbox.html#list" if wants_fragment(request) else "notifications/inbox.html"
    )
    return render(request, template, context)


def badge(request):
    """The unread count in the top bar; a separate request keeps it out of every page's queries."""
    return render(
        request, "notifications/_badge.html", {"count": selectors.unread_count(user=request.user)}
    )


@require_POST
def mark_read(request, pk: int | None = None):
    services.notification_mark_read(user=request.user, pk=pk)
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("notifications:inbox")


def open_notification(request, pk: int):
    """Follow a message's link, marking it read on the way (what a reader expects of a click)."""
    message = selectors.notification_get(user=request.user, pk=pk)
    if message is None:
        raise Http404
    services.notification_mark_read(user=request.user, pk=pk)
    # Only a link into this site: a message's URL is written by our code, but never trust it.
    if message.url and url_has_allowed_host_and_scheme(
        message.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(message.url)
    return redirect("notifications:inbox")
