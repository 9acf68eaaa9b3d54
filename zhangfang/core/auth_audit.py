"""Write logins, failed logins and logouts to the audit log (等保 2.0 audit records).

Django's auth signals are the only place these events surface, so this is the one use of signals.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from zhangfang.core import audit


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs) -> None:
    audit.record(action="login", by=user, obj=user)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit.record(action="logout", by=user, obj=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        action="login_failed",
        object_type="staff.user",
        object_id=username,
        object_repr=username,
        actor_name=username,
    )
