"""Account lockout after repeated wrong passwords, with the limits from the policy settings."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.utils.translation import gettext as _

from zhangfang.core import policy


def failure_limit(request, credentials) -> int:
    return policy.get("login_failure_limit")


def cooloff_time(request=None) -> dt.timedelta:
    return dt.timedelta(minutes=policy.get("login_lockout_minutes"))


def locked_out_message() -> str:
    return _(
        "该账户因连续 %(limit)s 次密码错误已被锁定，请 %(minutes)s 分钟后再试，或联系管理员解锁。"
    ) % {"limit": policy.get("login_failure_limit"), "minutes": policy.get("login_lockout_minutes")}


def locked_out_response(request, original_response=None, credentials=None):
    """Show the login page again with a clear message instead of axes' bare 429 page."""
    from zhangfang.staff.forms import LoginForm

    username = (credentials or {}).get("username", "")
    form = LoginForm(request, initial={"username": username})
    return render(
        request,
        "staff/login.html",
        {"form": form, "locked_message": locked_out_message()},
        status=429,
    )
