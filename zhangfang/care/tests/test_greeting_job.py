"""The daily greeting job: one e-mail per contact however often it runs, placeholders and the
opt-out link in the text, opted-out contacts, no address, channels not configured, a mail server
that is down, a run racing another, no belated wishes, and the command."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse

from zhangfang.care.models import GreetingSend, GreetingStatus, GreetingTemplate
from zhangfang.care.services import greetings as services
from zhangfang.clients.models import Contact
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.tests.support import at

pytestmark = pytest.mark.django_db

#: 2027-05-28 is 农历四月廿三 (see test_greeting_occasions), a Friday with no holiday.
DAY = dt.date(2027, 5, 28)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2027, 5, 28, 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def acme():
    return ClientFactory(name="深圳市顶峰科技有限公司")


def born_today(acme, name: str, email: str = "", **kwargs) -> Contact:
    kwargs.setdefault("birthday", dt.date(1990, 5, 28))
    kwargs.setdefault("is_primary", False)
    return ContactFactory(client=acme, name=name, email=email, **kwargs)


def test_running_twice_sends_each_greeting_once(smtp_server, acme):
    born_today(acme, "王经理", "wang@acme.example")
    born_today(acme, "李芳", "li@acme.example", birthday=dt.date(1990, 5, 17), birthday_lunar=True)
    ContactFactory(client=acme, name="别的日子", email="x@acme.example", is_primary=False)

    first = services.send_greetings()
    second = services.send_greetings()

    assert first["sent"] == 2 and first["occasions"] == 2
    assert second["sent"] == 0 and second["already_sent"] == 2
    assert len(smtp_server.messages) == 2
    assert len(smtp_server.to("wang@acme.example")) == 1
    assert len(smtp_server.to("li@acme.example")) == 1
    rows = GreetingSend.objects.order_by("contact__name")
    assert [(r.contact.name, r.occasion_key, r.status, r.address) for r in rows] == [
        ("李芳", "birthday:2027", "sent", "li@acme.example"),
        ("王经理", "birthday:2027", "sent", "wang@acme.example"),
    ]
    # One audit event per run that sent something.
    assert AuditEvent.objects.filter(object_type="care.greetingsend").count() == 1


def test_the_message_fills_the_placeholders_and_ends_with_the_opt_out_link(
    smtp_server, acme, settings
):
    settings.FIRM_NAME = "账房代账"
    settings.SITE_URL = "https://crm.example.cn"
    GreetingTemplate.objects.filter(kind="birthday").update(
        subject="{联系人}，生日快乐",
        body="{联系人}您好：{公司}祝您生日快乐！也祝{客户}兴旺。{节日}",
    )
    contact = born_today(acme, "王经理", "wang@acme.example")
    services.send_greetings()

    (message,) = smtp_server.messages
    text = smtp_server.text(message).strip()
    assert message["Subject"] == "王经理，生日快乐"
    assert text.startswith("王经理您好：账房代账祝您生日快乐！也祝深圳市顶峰科技有限公司兴旺。生日")
    link = text.splitlines()[-1].split("：", 1)[1].strip()
    token = services.optout_token(contact.pk)
    assert link == f"https://crm.example.cn/care/optout/{token}/"
    assert GreetingSend.objects.get().body.endswith(link)


def test_opted_out_contacts_get_nothing_and_the_link_really_opts_out(smtp_server, acme, client):
    out = born_today(acme, "王经理", "wang@acme.example", greetings_opt_out=True)
    stays = born_today(acme, "李芳", "li@acme.example")
    counts = services.send_greetings()
    assert counts["opted_out"] == 1 and counts["sent"] == 1
    assert smtp_server.to("wang@acme.example") == []
    assert not GreetingSend.objects.filter(contact=out).exists()

    # 李芳 follows the link in her e-mail: a page to confirm, then she is opted out.
    link = re.search(r"/care/optout/\S+/", smtp_server.text(smtp_server.to("li@acme.example")[0]))
    page = client.get(link.group(0))
    assert page.status_code == 200
    assert "确认退订" in page.content.decode()
    stays.refresh_from_db()
    assert not stays.greetings_opt_out  # opening the link changes nothing
    done = client.post(link.group(0))
    assert done.status_code == 200 and "您已退订" in done.content.decode()
    stays.refresh_from_db()
    assert stays.greetings_opt_out

    # Next year she is not greeted.
    with time_machine.travel(at(2028, 5, 28, 9), tick=False):
        # (2028-05-28 is also 端午节: both contacts have opted out of everything.)
        assert services.send_greetings()["sent"] == 0
    assert len(smtp_server.to("li@acme.example")) == 1


def test_no_address_is_recorded_once_as_not_sent(smtp_server, acme):
    born_today(acme, "王经理")
    assert services.send_greetings()["skipped"] == 1
    assert services.send_greetings()["already_sent"] == 1
    row = GreetingSend.objects.get()
    assert row.status == GreetingStatus.SKIPPED
    assert row.error == "联系人没有电子邮箱。"
    assert smtp_server.messages == []


def test_sms_is_recorded_as_not_sent_until_a_gateway_is_configured(smtp_server, acme):
    GreetingTemplate.objects.filter(kind="birthday").update(channels=["email", "sms"])
    born_today(acme, "王经理", "wang@acme.example", mobile="13800138000")
    counts = services.send_greetings()
    assert counts["sent"] == 1 and counts["skipped"] == 1
    sms = GreetingSend.objects.get(channel="sms")
    assert sms.status == GreetingStatus.SKIPPED and "尚未配置" in sms.error
    assert len(smtp_server.messages) == 1


def test_a_mail_server_that_is_down_fails_each_greeting_with_the_reason(acme, settings):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    born_today(acme, "王经理", "wang@acme.example")
    born_today(acme, "李芳")
    counts = services.send_greetings()
    assert counts["failed"] == 1 and counts["skipped"] == 1
    failed = GreetingSend.objects.get(status=GreetingStatus.FAILED)
    assert failed.address == "wang@acme.example" and failed.error
    # Failed greetings are not retried by a later run: the policy wants the day, not twice.
    assert services.send_greetings()["already_sent"] == 2


def test_a_run_racing_another_skips_what_the_other_claimed(smtp_server, acme, monkeypatch):
    wang = born_today(acme, "王经理", "wang@acme.example")
    born_today(acme, "李芳", "li@acme.example")
    real_existing = services._existing

    def existing_then_the_other_run_inserts(occasions):
        found = real_existing(occasions)
        # The other run claims 王经理's greeting after this run looked.
        GreetingSend.objects.create(
            contact=wang,
            client=acme,
            kind="birthday",
            occasion_key="birthday:2027",
            occasion_date=DAY,
            channel="email",
            subject="生日快乐",
            body="…",
            status=GreetingStatus.SENT,
        )
        return found

    monkeypatch.setattr(services, "_existing", existing_then_the_other_run_inserts)
    counts = services.send_greetings()
    assert counts["sent"] == 1 and counts["already_sent"] == 1
    assert smtp_server.to("wang@acme.example") == []
    assert len(smtp_server.to("li@acme.example")) == 1
    assert GreetingSend.objects.count() == 2


def test_yesterdays_greetings_are_not_sent_late(smtp_server, acme):
    born_today(acme, "昨天生日", "y@acme.example", birthday=dt.date(1990, 5, 27))
    assert services.send_greetings()["occasions"] == 0
    with pytest.raises(DomainError):
        services.send_greetings(day=DAY - dt.timedelta(days=1))
    assert smtp_server.messages == []


def test_holidays_reach_the_primary_contact_of_each_client(smtp_server, acme, _clock):
    ContactFactory(client=acme, name="王经理", email="wang@acme.example", is_primary=True)
    ContactFactory(client=acme, name="出纳", email="cn@acme.example", is_primary=False)
    _clock.move_to(at(2027, 6, 9, 9))  # 端午节
    counts = services.send_greetings()
    assert counts["sent"] == 1
    (message,) = smtp_server.messages
    assert message["Subject"] == "端午安康"
    assert GreetingSend.objects.get().occasion_key == "dragon_boat:2027"


def test_an_inactive_template_sends_nothing(smtp_server, acme):
    GreetingTemplate.objects.filter(kind="birthday").update(active=False)
    born_today(acme, "王经理", "wang@acme.example")
    assert services.send_greetings()["no_template"] == 1
    assert smtp_server.messages == []


def test_the_command(smtp_server, acme):
    born_today(acme, "王经理", "wang@acme.example")
    out = StringIO()
    call_command("send_greetings", stdout=out)
    assert "2027-05-28: 1 occasion(s); sent 1" in out.getvalue()
    call_command("send_greetings", "--date", "2027-05-28", stdout=out)
    assert "already sent 1" in out.getvalue()
    with pytest.raises(CommandError, match="不补发"):
        call_command("send_greetings", "--date", "2027-05-01")
    assert len(smtp_server.messages) == 1


def test_the_opt_out_page(client, acme):
    contact = ContactFactory(client=acme, name="王经理")
    url = reverse("care:greeting_optout", args=[services.optout_token(contact.pk)])
    page = client.get(url)
    assert page.status_code == 200 and page["X-Robots-Tag"].startswith("noindex")
    assert "王经理" in page.content.decode()
    assert client.post(url).status_code == 200
    contact.refresh_from_db()
    assert contact.greetings_opt_out and contact.version == 2
    event = AuditEvent.objects.get(object_type="clients.contact")
    assert event.actor is None and event.actor_name == "王经理（联系人）"
    assert event.changes == {"greetings_opt_out": [False, True]}
    assert event.anchor_id == str(acme.pk)
    # Again: it says so, and nothing more is recorded.
    again = client.get(url)
    assert again.status_code == 410 and "您之前已经退订" in again.content.decode()
    assert client.post(url).status_code == 410
    assert AuditEvent.objects.filter(object_type="clients.contact").count() == 1


def test_a_tampered_opt_out_link_is_not_found(client, acme):
    contact = ContactFactory(client=acme)
    token = services.optout_token(contact.pk)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "1:abc"):
        page = client.get(reverse("care:greeting_optout", args=[bad]))
        assert page.status_code == 404 and "链接无效" in page.content.decode()
    # A genuine link of another kind of record does not open it either.
    from zhangfang.core.links import link_token

    other = link_token("delivery.survey", contact.pk)
    assert client.post(reverse("care:greeting_optout", args=[other])).status_code == 404
    contact.refresh_from_db()
    assert not contact.greetings_opt_out
