"""Policy bulletin services: targeting by each criterion and together, publishing (record and
outbound deliveries, contacts, idempotence, 补发, scale), sending (e-mail through a real SMTP
server with a working link, SMS skipped or through an adapter, failures and retry), the
``deliver_bulletins`` command, the client's link (opened once, tampered), editing under a
version lock, and the client's bulletins."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhangfang.care.models import (
    Bulletin,
    BulletinDelivery,
    BulletinStatus,
    DeliveryChannel,
    DeliveryStatus,
)
from zhangfang.care.selectors.bulletins import client_bulletins, delivery_totals, target_preview
from zhangfang.care.selectors.targeting import Target, clients_matching
from zhangfang.care.services import bulletins as services
from zhangfang.care.tests.factories import BulletinFactory
from zhangfang.clients.models import Client, ClientStatus, ClientTag, Contact, TaxpayerType
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.core.policy import policy_value_set
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.notifications import channels

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
NOW = at(2026, 11, 10, 10)
LINK = re.compile(r"http://testserver(/care/b/[^\s\"<]+/)")


class RecordingSms:
    """A dummy SMS provider: records what it is given, refuses one number."""

    sent: list = []

    def send(self, message) -> None:
        if message.mobile == "13800000000":
            raise channels.ChannelError("号码停机")
        RecordingSms.sent.append(message)


@pytest.fixture
def sms_adapter(settings):
    RecordingSms.sent = []
    settings.SMS_BACKEND = f"{__name__}.RecordingSms"
    channels.reset_adapters()
    yield RecordingSms
    channels.reset_adapters()


@pytest.fixture
def no_sms(settings):
    settings.SMS_BACKEND = ""
    channels.reset_adapters()
    yield
    channels.reset_adapters()


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    firm = make_firm()
    firm.contact.email = "wang@acme.cn"
    firm.contact.save()
    return firm


def publish(firm, bulletin, **kwargs):
    return services.bulletin_publish(bulletin=bulletin, by=firm.staff.tax, base_url=BASE, **kwargs)


def deliveries(bulletin, **filters):
    return BulletinDelivery.objects.filter(bulletin=bulletin, **filters)


# --- Targeting ------------------------------------------------------------------------------------


@pytest.fixture
def spread():
    """Clients spread over the criteria; one of each kind not in service."""
    high_tech = ClientTag.objects.create(name="高新企业")
    export = ClientTag.objects.create(name="出口退税")
    other = ClientTag.objects.create(name="小微企业")
    clients = {
        "it_small_ns": ClientFactory(
            industry="I", taxpayer_type=TaxpayerType.SMALL, region="南山区"
        ),
        "it_general_ft": ClientFactory(
            industry="I", taxpayer_type=TaxpayerType.GENERAL, region="福田区"
        ),
        "trade_general_ns": ClientFactory(
            industry="F", taxpayer_type=TaxpayerType.GENERAL, region="南山区"
        ),
        "mfg_small_ba": ClientFactory(
            industry="C", taxpayer_type=TaxpayerType.SMALL, region="宝安区"
        ),
        "it_suspended": ClientFactory(industry="I", region="南山区", status=ClientStatus.SUSPENDED),
        "it_prospect": ClientFactory(industry="I", region="南山区", status=ClientStatus.PROSPECT),
    }
    clients["it_small_ns"].tags.add(high_tech, export)
    clients["trade_general_ns"].tags.add(export)
    clients["mfg_small_ba"].tags.add(other)
    clients["it_suspended"].tags.add(high_tech)
    return clients, {"high_tech": high_tech.pk, "export": export.pk, "other": other.pk}


def names(target: Target, clients: dict) -> set[str]:
    ids = set(clients_matching(target).values_list("pk", flat=True))
    return {key for key, c in clients.items() if c.pk in ids}


def test_targeting_by_each_criterion_and_together(spread):
    clients, tags = spread
    everyone = {"it_small_ns", "it_general_ft", "trade_general_ns", "mfg_small_ba"}
    assert names(Target(), clients) == everyone  # only clients in service
    assert names(Target(industries=["I"]), clients) == {"it_small_ns", "it_general_ft"}
    assert names(Target(industries=["I", "C"]), clients) == {
        "it_small_ns",
        "it_general_ft",
        "mfg_small_ba",
    }
    assert names(Target(taxpayer_types=["general"]), clients) == {
        "it_general_ft",
        "trade_general_ns",
    }
    assert names(Target(regions=["南山区"]), clients) == {"it_small_ns", "trade_general_ns"}
    assert names(Target(tag_ids=[tags["export"]]), clients) == {"it_small_ns", "trade_general_ns"}
    assert names(
        Target(industries=["I"], regions=["南山区"], tag_ids=[tags["high_tech"]]), clients
    ) == {"it_small_ns"}
    assert (
        names(Target(industries=["I"], taxpayer_types=["general"], regions=["南山区"]), clients)
        == set()
    )


def test_a_client_with_two_matching_tags_is_counted_once(spread):
    clients, tags = spread
    target = Target(tag_ids=[tags["high_tech"], tags["export"]])
    assert clients_matching(target).count() == 2
    assert target_preview(target).count == 2
    assert sorted(target_preview(target).names) == sorted(
        [clients["it_small_ns"].name, clients["trade_general_ns"].name]
    )


def test_publishing_reaches_the_targeted_clients_only(firm, spread):
    clients, tags = spread
    bulletin = BulletinFactory(
        target_regions=["南山区"], target_tags=[tags["high_tech"], tags["export"]]
    )
    result = publish(firm, bulletin)
    reached = set(deliveries(bulletin, channel="record").values_list("client_id", flat=True))
    assert reached == {clients["it_small_ns"].pk, clients["trade_general_ns"].pk}
    assert result.clients_added == 2


# --- Publishing ----------------------------------------------------------------------------------


def test_publish_creates_a_record_and_an_email_delivery_per_client(firm):
    other = ClientFactory(department=firm.d2)
    ContactFactory(client=other, is_primary=False, name="李会计", email="li@other.cn")
    ContactFactory(client=other, is_primary=True, name="赵总", email="zhao@other.cn")
    no_contact = ClientFactory(department=firm.d2)
    no_email = ClientFactory(department=firm.d2)
    ContactFactory(client=no_email, email="")
    bulletin = BulletinFactory(channels=["email"], created_by=firm.staff.tax)
    result = publish(firm, bulletin)
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.SENT and bulletin.sent_by == firm.staff.tax
    assert bulletin.sent_at == NOW
    assert result.first and result.clients_added == 4 and result.messages_added == 8
    records = deliveries(bulletin, channel=DeliveryChannel.RECORD)
    assert records.count() == 4
    assert set(records.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    email = {d.client_id: d for d in deliveries(bulletin, channel=DeliveryChannel.EMAIL)}
    assert email[firm.acme.pk].status == DeliveryStatus.QUEUED
    assert email[firm.acme.pk].address == "wang@acme.cn"
    # The primary contact, not the first by name.
    assert email[other.pk].contact.name == "赵总" and email[other.pk].address == "zhao@other.cn"
    assert email[no_contact.pk].status == DeliveryStatus.SKIPPED
    assert "没有联系人" in email[no_contact.pk].error
    assert email[no_email.pk].status == DeliveryStatus.SKIPPED
    assert "电子邮件" in email[no_email.pk].error
    event = AuditEvent.objects.get(object_type="care.bulletin", action="status")
    assert event.actor == firm.staff.tax and "4 位客户" in event.detail


def test_the_contact_entered_first_when_there_is_no_primary_one(firm):
    Contact.objects.filter(client=firm.acme).update(is_primary=False)
    ContactFactory(client=firm.acme, is_primary=False, name="艾经理", email="ai@acme.cn")
    bulletin = BulletinFactory(channels=["email"])
    publish(firm, bulletin)
    [email] = deliveries(bulletin, channel="email")
    assert email.contact.name == "王经理" and email.address == "wang@acme.cn"


def test_nothing_to_publish_to_is_refused(firm):
    bulletin = BulletinFactory(target_regions=["火星"])
    with pytest.raises(DomainError, match="没有符合目标条件"):
        publish(firm, bulletin)
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DRAFT and not deliveries(bulletin).exists()


def test_only_writers_publish(firm):
    bulletin = BulletinFactory()
    for who in ("accountant", "sales"):
        with pytest.raises(DomainError):
            services.bulletin_publish(bulletin=bulletin, by=getattr(firm.staff, who))
    assert not deliveries(bulletin).exists()


def test_publishing_twice_adds_no_duplicates_and_补发_reaches_new_clients_only(
    firm, django_capture_on_commit_callbacks
):
    bulletin = BulletinFactory(channels=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        publish(firm, bulletin)
    assert len(mail.outbox) == 1
    again = publish(firm, bulletin)
    assert again.clients_added == 0 and again.messages_added == 0 and not again.first
    assert deliveries(bulletin).count() == 2
    newcomer = ClientFactory(department=firm.d1)
    ContactFactory(client=newcomer, email="new@client.cn")
    with django_capture_on_commit_callbacks(execute=True):
        third = publish(firm, bulletin)
    assert third.clients_added == 1 and third.messages_added == 2
    assert deliveries(bulletin).count() == 4
    # Only the newcomer's message went out the second time.
    assert [m.to for m in mail.outbox] == [["wang@acme.cn"], ["new@client.cn"]]
    assert (
        AuditEvent.objects.filter(object_type="care.bulletin", detail__startswith="补发").count()
        == 2
    )


def test_a_channel_added_later_is_sent_to_clients_already_reached(firm, sms_adapter):
    bulletin = BulletinFactory(channels=["email"])
    publish(firm, bulletin)
    services.bulletin_update(
        bulletin=Bulletin.objects.get(pk=bulletin.pk),
        data={**_data(bulletin), "channels": ["email", "sms"]},
        expected_version=None,
        by=firm.staff.tax,
    )
    result = publish(firm, bulletin)
    assert result.clients_added == 0 and result.messages_added == 1
    assert deliveries(bulletin, channel="sms").get().address == firm.contact.mobile


def test_publishing_many_clients_takes_batched_statements_not_one_per_client(firm):
    # The benchmark publishes to 7,000 clients; here enough clients to show the statements grow
    # with the batches, never with the clients.
    Client.objects.bulk_create(
        Client(
            name=f"批量测试{n}号有限公司",
            status=ClientStatus.ACTIVE,
            industry="F",
            department=firm.d2,
            search_pinyin=f"pl{n:05d}",
        )
        for n in range(600)
    )
    ids = list(Client.objects.filter(industry="F").values_list("pk", flat=True))
    Contact.objects.bulk_create(
        Contact(client_id=pk, name="联系人", email=f"c{pk}@example.cn", is_primary=True)
        for pk in ids
    )
    bulletin = BulletinFactory(channels=["email"], target_industries=["F"])
    with CaptureQueriesContext(connection) as queries:
        result = publish(firm, bulletin)
    assert result.clients_added == 600 and result.messages_added == 1200
    assert result.queued == 600 and not result.send_now  # more than 200: left to the job
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "care_bulletindelivery"')]
    assert len(queries) - len(inserts) <= 12
    assert len(inserts) <= 1200 / 50  # SQLite's parameter limit allows ~90 rows a statement
    assert deliveries(bulletin, channel="email", status="queued").count() == 600


# --- Sending -------------------------------------------------------------------------------------


def test_email_arrives_with_a_working_link_and_an_html_part(
    client, firm, smtp_server, django_capture_on_commit_callbacks
):
    bulletin = BulletinFactory(
        title="关于小规模纳税人减免增值税的公告", summary="月销售额10万元以下免征增值税。"
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = publish(firm, bulletin)
    assert result.send_now
    [received] = smtp_server.to("wang@acme.cn")
    # A long non-ASCII subject is folded onto a continuation line; unfolded it is the title.
    assert received["Subject"].strip() == "关于小规模纳税人减免增值税的公告"
    text = smtp_server.text(received)
    assert "王经理" in text and "月销售额10万元以下免征增值税" in text
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "阅读全文" in html
    path = LINK.search(text).group(1)
    assert path in html
    email = deliveries(bulletin, channel="email").get()
    assert email.status == DeliveryStatus.SENT and email.sent_at == NOW and email.opened_at is None
    page = client.get(path)
    assert page.status_code == 200
    assert "关于小规模纳税人减免增值税的公告" in page.content.decode()
    email.refresh_from_db()
    assert email.opened_at == NOW


def test_opening_the_link_marks_opened_once(client, firm, _clock):
    bulletin = BulletinFactory()
    publish(firm, bulletin)
    email = deliveries(bulletin, channel="email").get()
    path = services.delivery_path(email)
    assert client.head(path).status_code == 200  # a mail server's link checker
    email.refresh_from_db()
    assert email.opened_at is None
    client.get(path)
    _clock.move_to(at(2026, 11, 12, 9))
    page = client.get(path)
    assert page.status_code == 200 and page["X-Robots-Tag"].startswith("noindex")
    email.refresh_from_db()
    assert email.opened_at == NOW
    opened = AuditEvent.objects.filter(
        object_type="care.bulletindelivery", detail="客户阅读了政策资讯"
    )
    assert opened.count() == 1 and opened.get().anchor_id == str(firm.acme.pk)
    assert delivery_totals(bulletin).opened == 1


def test_a_tampered_or_foreign_token_is_404(client, firm):
    bulletin = BulletinFactory()
    publish(firm, bulletin)
    email = deliveries(bulletin, channel="email").get()
    record = deliveries(bulletin, channel="record").get()
    token = services.delivery_token(email)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", str(email.pk)):
        page = client.get(f"/care/b/{bad}/")
        assert page.status_code == 404 and "链接无效" in page.content.decode()
    # The record delivery has no public page, even with a genuine signature.
    assert client.get(services.delivery_path(record)).status_code == 404
    email.refresh_from_db()
    assert email.opened_at is None


def test_staff_reading_does_not_count_as_the_client_opening(client, firm):
    bulletin = BulletinFactory()
    publish(firm, bulletin)
    email = deliveries(bulletin, channel="email").get()
    client.force_login(firm.staff.service)
    assert client.get(f"/care/bulletins/{bulletin.pk}/").status_code == 200
    assert client.get(services.delivery_path(email)).status_code == 200
    assert not deliveries(bulletin, opened_at__isnull=False).exists()


def test_sms_is_skipped_when_not_configured(firm, no_sms, django_capture_on_commit_callbacks):
    bulletin = BulletinFactory(channels=["sms"])
    with django_capture_on_commit_callbacks(execute=True):
        publish(firm, bulletin)
    sms = deliveries(bulletin, channel="sms").get()
    assert sms.status == DeliveryStatus.SKIPPED and "尚未配置" in sms.error
    assert sms.address == firm.contact.mobile


def test_sms_goes_through_a_configured_adapter(
    firm, sms_adapter, django_capture_on_commit_callbacks
):
    refused = ClientFactory(department=firm.d1)
    ContactFactory(client=refused, mobile="13800000000")
    bulletin = BulletinFactory(channels=["sms"], title="个税专项附加扣除确认提醒")
    with django_capture_on_commit_callbacks(execute=True):
        publish(firm, bulletin)
    ok = deliveries(bulletin, channel="sms", client=firm.acme).get()
    failed = deliveries(bulletin, channel="sms", client=refused).get()
    assert ok.status == DeliveryStatus.SENT
    assert failed.status == DeliveryStatus.FAILED and failed.error == "号码停机"
    [message] = sms_adapter.sent
    assert message.mobile == firm.contact.mobile
    assert "个税专项附加扣除确认提醒" in message.body and "/care/b/" in message.body


def test_failed_mail_is_retried(firm, settings, smtp_server, django_capture_on_commit_callbacks):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = 1, 2  # nothing listens there
    bulletin = BulletinFactory()
    with django_capture_on_commit_callbacks(execute=True):
        publish(firm, bulletin)
    email = deliveries(bulletin, channel="email").get()
    assert email.status == DeliveryStatus.FAILED and email.error
    assert delivery_totals(bulletin).failed == 1
    settings.EMAIL_PORT = port
    with django_capture_on_commit_callbacks(execute=True):
        result = services.bulletin_retry_failed(
            bulletin=bulletin, by=firm.staff.service, base_url=BASE
        )
    assert result.messages_added == 1 and result.send_now
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.error == ""
    assert len(smtp_server.to("wang@acme.cn")) == 1
    with pytest.raises(DomainError, match="没有发送失败"):
        services.bulletin_retry_failed(bulletin=bulletin, by=firm.staff.service)


# --- The job -------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("deliver_bulletins", *args, stdout=out)
    return out.getvalue()


def test_more_messages_than_the_limit_wait_for_the_job_which_is_idempotent(
    firm, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://zhangfang.example.cn"
    policy_value_set(key="care.bulletin_send_now_limit", raw="2", by=firm.staff.admin)
    for n in range(2):
        ContactFactory(client=ClientFactory(department=firm.d1), email=f"c{n}@example.cn")
    bulletin = BulletinFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = publish(firm, bulletin)
    assert result.queued == 3 and not result.send_now and callbacks == []
    assert mail.outbox == []
    assert "3 sent, 0 failed, 0 skipped" in run("--batch-size", "2")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "c0@example.cn",
        "c1@example.cn",
        "wang@acme.cn",
    ]
    assert "0 sent, 0 failed, 0 skipped" in run()
    assert len(mail.outbox) == 3
    assert not deliveries(bulletin, status="queued").exists()
    # The links in the job's messages are on SITE_URL.
    assert "https://zhangfang.example.cn/care/b/" in mail.outbox[0].body


def test_the_job_retries_failed_messages_only_when_asked(firm, settings):
    bulletin = BulletinFactory()
    publish(firm, bulletin)
    deliveries(bulletin, channel="email").update(status=DeliveryStatus.FAILED, error="超时")
    assert "0 sent" in run()
    assert mail.outbox == []
    assert "1 sent, 0 failed" in run("--retry")
    assert "0 sent, 0 failed" in run("--retry")
    assert len(mail.outbox) == 1
    email = deliveries(bulletin, channel="email").get()
    assert email.status == DeliveryStatus.SENT and email.error == ""


def test_a_message_that_fails_again_is_tried_once_per_run(firm, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    bulletin = BulletinFactory()
    publish(firm, bulletin)
    assert "0 sent, 1 failed" in run("--retry", "--batch-size", "1")
    assert "0 sent, 1 failed" in run("--retry", "--batch-size", "1")


# --- Editing -------------------------------------------------------------------------------------


def _data(bulletin: Bulletin, **changes) -> dict:
    data = {name: getattr(bulletin, name) for name in services.AUDIT_FIELDS}
    data.update(changes)
    return data


def test_create_and_edit_are_validated_audited_and_version_locked(firm):
    tag = ClientTag.objects.create(name="高新企业")
    bulletin = services.bulletin_create(
        data={
            "title": " 研发费用加计扣除新政 ",
            "category": "tax",
            "body": "正文",
            "target_industries": ["I", "C", "I"],
            "target_tags": [str(tag.pk)],
            "channels": ["sms", "email"],
        },
        by=firm.staff.tax,
    )
    assert bulletin.title == "研发费用加计扣除新政" and bulletin.status == BulletinStatus.DRAFT
    assert bulletin.target_industries == ["I", "C"] and bulletin.target_tags == [tag.pk]
    assert bulletin.channels == ["email", "sms"] and bulletin.created_by == firm.staff.tax
    opened = Bulletin.objects.get(pk=bulletin.pk)
    services.bulletin_update(
        bulletin=opened, data=_data(opened, title="新标题"), expected_version=1, by=firm.staff.head
    )
    with pytest.raises(ConcurrentEditError):
        services.bulletin_update(
            bulletin=opened,
            data=_data(opened, title="晚到的修改"),
            expected_version=1,
            by=firm.staff.tax,
        )
    bulletin.refresh_from_db()
    assert bulletin.title == "新标题" and bulletin.version == 2
    assert AuditEvent.objects.filter(object_type="care.bulletin", action="update").count() == 1
    for bad, field in (
        ({"title": ""}, "title"),
        ({"body": " "}, "body"),
        ({"category": "x"}, "category"),
        ({"target_industries": ["Z"]}, "target_industries"),
        ({"target_taxpayer_types": ["big"]}, "target_taxpayer_types"),
        ({"target_tags": [999999]}, "target_tags"),
        ({"channels": ["fax"]}, "channels"),
    ):
        with pytest.raises(DomainError) as error:
            services.bulletin_create(data=_data(bulletin, **bad), by=firm.staff.tax)
        assert error.value.field == field
    with pytest.raises(DomainError):
        services.bulletin_create(data=_data(bulletin), by=firm.staff.accountant)


def test_publishing_moves_the_version_so_an_older_edit_is_refused(firm):
    bulletin = BulletinFactory()
    publish(firm, bulletin)
    with pytest.raises(ConcurrentEditError):
        services.bulletin_update(
            bulletin=bulletin, data=_data(bulletin), expected_version=1, by=firm.staff.tax
        )


# --- A client's bulletins ------------------------------------------------------------------------


def test_client_bulletins_lists_channels_and_opened_time(
    firm, no_sms, django_capture_on_commit_callbacks
):
    first = BulletinFactory(title="第一篇", channels=["email", "sms"])
    second = BulletinFactory(title="第二篇", channels=[])
    BulletinFactory(title="未发布的草稿")
    with django_capture_on_commit_callbacks(execute=True):
        publish(firm, first)
    publish(firm, second)
    services.bulletin_open(delivery=deliveries(first, channel="email").get())
    entries = client_bulletins(firm.acme)
    assert [e.bulletin.title for e in entries] == ["第二篇", "第一篇"]
    assert entries[0].channels == [] and entries[0].opened_at is None
    assert entries[1].received_at == NOW and entries[1].opened_at == NOW
    assert {(d.channel, d.status) for d in entries[1].channels} == {
        ("email", DeliveryStatus.SENT),
        ("sms", DeliveryStatus.SKIPPED),
    }
    assert client_bulletins(ClientFactory()) == []
