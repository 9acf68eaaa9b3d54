"""Page-level permission helpers shared by every chapter."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied

from zhangfang.core.roles import has_role


def role_required(*roles: str):
    """Allow the view only to users holding one of ``roles`` (administrators' pages and the like).

    Record-level access is different: a record outside the user's data scope answers 404 through
    the chapter's ``access_<noun>`` function, so its existence is not revealed.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
