"""Client links that work without a login (plan approval, tax confirmation, surveys, RSVPs).

A token is the record's id signed with the server's key and a salt per kind of link. It carries no
timestamp: the record keeps its own expiry (so sending again can extend the same link) and whether
it was answered. A token altered by one character, or signed for another kind of link, names
nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing


def link_token(salt: str, pk: int) -> str:
    """The token for the record ``pk`` of the kind of link ``salt``."""
    return signing.Signer(salt=salt).sign_object(pk)


def link_pk(salt: str, token: str) -> int | None:
    """The id a token names, or None when it was altered or belongs to another kind of link."""
    try:
        pk = signing.Signer(salt=salt).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    return pk if isinstance(pk, int) and not isinstance(pk, bool) else None


def absolute_url(path: str, base_url: str = "") -> str:
    """``path`` as a link a client can open from outside: on ``base_url`` (``https://host``, from
    the request when there is one) or else on the ``SITE_URL`` setting (periodic jobs)."""
    return f"{(base_url or settings.SITE_URL).rstrip('/')}{path}"


def request_base_url(request) -> str:
    """``https://host`` of this site as the request reached it, so a link sent from a page
    opens from outside (a periodic job has no request: :func:`absolute_url` falls back to
    ``SITE_URL``)."""
    return request.build_absolute_uri("/").rstrip("/")


def no_index(response):
    """Keep a client's link page out of search engines (the link is the only key to it)."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
