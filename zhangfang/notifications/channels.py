"""Outbound messages to clients' contacts: e-mail through Django's e-mail framework, and SMS and
WeChat through adapters a firm plugs in later.

A chapter that writes to clients (bulletins, greetings, event invitations) calls :func:`send`
with a channel code and a :class:`Message`; the answer says whether it went, and if not, why, in
words the staff can read on the delivery record. Nothing here raises for a message that cannot be
sent: a missing address or an unconfigured channel is an answer, not an error.

An SMS or WeChat adapter is a class with ``send(message) -> None`` (raising
:class:`ChannelError` on failure), named by its dotted path in the ``SMS_BACKEND`` or
``WECHAT_BACKEND`` setting; without one the channel is "not configured" and messages are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

EMAIL = "email"
SMS = "sms"
WECHAT = "wechat"

#: The outbound channels, in the order forms offer them.
CHANNELS = {
    EMAIL: gettext_lazy("电子邮件"),
    SMS: gettext_lazy("短信"),
    WECHAT: gettext_lazy("微信"),
}


class ChannelError(Exception):
    """Raised by an adapter when the provider refused or could not be reached."""


@dataclass(frozen=True)
class Message:
    """One message to one person. ``email``/``mobile``/``wechat`` are the person's addresses;
    the channel uses the one it needs."""

    subject: str
    body: str
    name: str = ""
    email: str = ""
    mobile: str = ""
    wechat: str = ""
    html: str = ""


@dataclass(frozen=True)
class Outcome:
    """``status`` is "sent", "failed" or "skipped"; ``address`` is where it went."""

    status: str
    address: str = ""
    error: str = ""

    @property
    def sent(self) -> bool:
        return self.status == "sent"


@cache
def _adapter(setting: str):
    path = getattr(settings, setting, "") or ""
    return import_string(path)() if path else None


def is_configured(channel: str) -> bool:
    """Whether messages on ``channel`` can go out (e-mail always can: Django sends it)."""
    if channel == EMAIL:
        return True
    if channel == SMS:
        return _adapter("SMS_BACKEND") is not None
    if channel == WECHAT:
        return _adapter("WECHAT_BACKEND") is not None
    return False


def send(channel: str, message: Message, *, connection=None) -> Outcome:
    """Send ``message`` on ``channel`` now; ``connection`` reuses one SMTP session for a batch."""
    if channel == EMAIL:
        if not message.email:
            return Outcome("skipped", error=_("联系人没有电子邮箱。"))
        email = EmailMultiAlternatives(
            message.subject, message.body, None, [message.email], connection=connection
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            email.send()
        except Exception as exc:
            return Outcome("failed", message.email, str(exc)[:300] or type(exc).__name__)
        return Outcome("sent", message.email)
    address = message.mobile if channel == SMS else message.wechat
    setting = "SMS_BACKEND" if channel == SMS else "WECHAT_BACKEND"
    if channel not in (SMS, WECHAT):
        return Outcome("skipped", error=_("未知的发送渠道。"))
    adapter = _adapter(setting)
    label = {"channel": CHANNELS[channel]}
    if adapter is None:
        return Outcome("skipped", error=_("%(channel)s通道尚未配置。") % label)
    if not address:
        return Outcome("skipped", error=_("联系人没有%(channel)s地址。") % label)
    try:
        adapter.send(message)
    except ChannelError as exc:
        return Outcome("failed", address, str(exc)[:300])
    return Outcome("sent", address)


def email_connection():
    """One SMTP connection for a batch of messages; use as a context manager."""
    return get_connection()


def reset_adapters() -> None:
    """Forget the loaded adapters (tests that change ``SMS_BACKEND``/``WECHAT_BACKEND``)."""
    _adapter.cache_clear()
