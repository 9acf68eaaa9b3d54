"""Outbound channels: e-mail reaches a real SMTP server; SMS and WeChat are skipped until an
adapter is configured, and use it once it is."""

from __future__ import annotations

import pytest

from zhangfang.notifications import channels


class RecordingSms:
    sent: list = []

    def send(self, message) -> None:
        if message.mobile == "+8613800000000":
            raise channels.ChannelError("号码停机")
        RecordingSms.sent.append(message)


@pytest.fixture
def sms_adapter(settings):
    RecordingSms.sent = []
    settings.SMS_BACKEND = f"{__name__}.RecordingSms"
    channels.reset_adapters()
    yield
    channels.reset_adapters()


def test_email_arrives_at_the_smtp_server(smtp_server):
    outcome = channels.send(
        channels.EMAIL,
        channels.Message(subject="中秋快乐", body="祝您中秋快乐！", email="li@example.com"),
    )
    assert outcome.sent and outcome.address == "li@example.com"
    [received] = smtp_server.to("li@example.com")
    assert received["Subject"] == "中秋快乐"
    assert "祝您中秋快乐" in smtp_server.text(received)


def test_email_without_address_is_skipped_with_a_reason(smtp_server):
    outcome = channels.send(channels.EMAIL, channels.Message(subject="s", body="b"))
    assert outcome.status == "skipped" and "电子邮箱" in outcome.error
    assert smtp_server.messages == []


def test_unreachable_mail_server_is_a_failure_not_an_exception(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    outcome = channels.send(channels.EMAIL, channels.Message(subject="s", body="b", email="a@b.cn"))
    assert outcome.status == "failed" and outcome.error


def test_sms_is_skipped_until_an_adapter_is_configured(settings):
    settings.SMS_BACKEND = ""
    channels.reset_adapters()
    assert not channels.is_configured(channels.SMS)
    outcome = channels.send(channels.SMS, channels.Message(subject="s", body="b", mobile="+86138"))
    assert outcome.status == "skipped" and "尚未配置" in outcome.error


def test_sms_goes_through_the_configured_adapter(sms_adapter):
    assert channels.is_configured(channels.SMS)
    ok = channels.send(
        channels.SMS, channels.Message(subject="s", body="b", mobile="+8613912345678")
    )
    refused = channels.send(
        channels.SMS, channels.Message(subject="s", body="b", mobile="+8613800000000")
    )
    assert ok.sent and [m.mobile for m in RecordingSms.sent] == ["+8613912345678"]
    assert refused.status == "failed" and refused.error == "号码停机"
