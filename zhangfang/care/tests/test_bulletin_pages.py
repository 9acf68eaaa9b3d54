"""Policy bulletin pages: the role matrix, the list (filters, reach and opens, pinned query
count), writing and editing (live preview, validation, version conflict), the detail (totals,
open rate, delivery table filters and scope, pinned query count), publishing and retrying from
the page, the Excel export, and the client page's section of bulletins received."""

from __future__ import annotations

from io import BytesIO

import pytest
import time_machine
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from openpyxl import load_workbook

from zhangfang.care.models import Bulletin, BulletinDelivery, BulletinStatus, DeliveryStatus
from zhangfang.care.selectors.bulletins import client_bulletins
from zhangfang.care.services import bulletins as services
from zhangfang.care.tests.factories import BulletinFactory
from zhangfang.clients.models import ClientTag
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.notifications import channels

pytestmark = pytest.mark.django_db

LIST = reverse("care:bulletin_list")
CREATE = reverse("care:bulletin_create")
PREVIEW = reverse("care:bulletin_preview")
NOW = at(2026, 11, 10, 10)

WRITERS = ("service", "tax", "head", "head2", "outsider", "admin")
READERS = ("accountant", "sales")


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


def as_user(client, firm, who: str):
    client.force_login(getattr(firm.staff, who))
    return client


def detail(bulletin: Bulletin) -> str:
    return reverse("care:bulletin_detail", args=[bulletin.pk])


def published(firm, **kwargs) -> Bulletin:
    bulletin = BulletinFactory(created_by=firm.staff.tax, **kwargs)
    services.bulletin_publish(bulletin=bulletin, by=firm.staff.tax)
    bulletin.refresh_from_db()
    return bulletin


def form_data(**overrides) -> dict:
    data = {
        "title": "关于延续小微企业所得税优惠政策的公告",
        "category": "tax",
        "summary": "小型微利企业减按25%计算应纳税所得额。",
        "body": "一、对小型微利企业减按25%计算应纳税所得额……",
        "source": "财政部 税务总局公告2026年第6号",
        "channels": ["email"],
    }
    data.update(overrides)
    return data


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "write", "draft", "rows"),
    [
        ("service", 200, 200, True),  # acme's customer-service member
        ("tax", 200, 200, True),
        ("head", 200, 200, True),  # head of acme's department
        ("head2", 200, 200, False),  # head of the other department
        ("outsider", 200, 200, False),  # customer service of the other department
        ("admin", 200, 200, True),
        ("accountant", 403, 404, True),  # reads, does not write; acme is theirs
        ("sales", 403, 404, True),
    ],
)
def test_role_matrix(client, firm, who, write, draft, rows):
    sent = published(firm)
    unpublished = BulletinFactory(title="尚未发布的草稿")
    as_user(client, firm, who)
    listing = client.get(LIST).content.decode()
    assert sent.title in listing
    assert ("尚未发布的草稿" in listing) == (write == 200)
    assert client.get(CREATE).status_code == write
    assert client.get(PREVIEW).status_code == write
    assert client.get(reverse("care:bulletin_edit", args=[sent.pk])).status_code == write
    page = client.get(detail(sent))
    assert page.status_code == 200
    # Everyone reads the bulletin; the delivery table lists only the clients one may see.
    assert (firm.acme.name in page.content.decode()) == rows
    assert client.get(detail(unpublished)).status_code == draft
    export = client.get(reverse("care:bulletin_export", args=[sent.pk]))
    assert export.status_code == 200
    names = [
        row[0] for row in load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True)
    ]
    assert (firm.acme.name in names) == rows
    publish = client.post(reverse("care:bulletin_publish", args=[unpublished.pk]))
    if write == 200:
        assert publish.status_code == 302
        assert Bulletin.objects.get(pk=unpublished.pk).status == BulletinStatus.SENT
    else:
        assert publish.status_code == 403
        assert client.post(reverse("care:bulletin_retry", args=[sent.pk])).status_code == 403
        assert Bulletin.objects.get(pk=unpublished.pk).status == BulletinStatus.DRAFT


def test_a_missing_bulletin_is_404_and_anonymous_users_log_in(client, firm):
    sent = published(firm)
    for url in (
        LIST,
        CREATE,
        PREVIEW,
        detail(sent),
        reverse("care:bulletin_export", args=[sent.pk]),
    ):
        assert client.get(url).status_code == 302
    as_user(client, firm, "admin")
    assert client.get(reverse("care:bulletin_detail", args=[sent.pk + 999])).status_code == 404


# --- List -----------------------------------------------------------------------------------------


def test_list_shows_reach_and_opens_and_filters(client, firm):
    second = ClientFactory(department=firm.d1)
    ContactFactory(client=second, email="b@second.cn")
    read = published(firm, title="社保缴费基数调整通知", category="social")
    published(firm, title="研发费用加计扣除政策解读", category="tax")
    BulletinFactory(title="草稿：出口退税新规")
    services.bulletin_open(
        delivery=BulletinDelivery.objects.get(bulletin=read, client=second, channel="email")
    )
    as_user(client, firm, "service")
    page = client.get(LIST).content.decode()
    assert "共 3 篇资讯" in page
    row = page[page.index("社保缴费基数调整通知") :].split("</tr>")[0]
    assert '<td class="text-end">2</td>' in row and '<td class="text-end">1</td>' in row
    assert "共 1 篇资讯" in client.get(LIST, {"status": "draft"}).content.decode()
    assert "共 1 篇资讯" in client.get(LIST, {"category": "social"}).content.decode()
    fragment = client.get(LIST, {"q": "加计扣除"}, HTTP_HX_REQUEST="true").content.decode()
    assert "共 1 篇资讯" in fragment and "<html" not in fragment
    assert "共 3 篇资讯" in client.get(LIST, {"status": "bad", "category": "x"}).content.decode()
    as_user(client, firm, "accountant")  # readers see published bulletins only
    assert "共 2 篇资讯" in client.get(LIST).content.decode()
    assert "共 0 篇资讯" in client.get(LIST, {"status": "draft"}).content.decode()


def test_list_query_count_does_not_grow_with_rows(client, firm, django_assert_num_queries):
    as_user(client, firm, "service")
    for _n in range(3):
        published(firm)
    client.get(LIST)  # warm caches shared by every page (policy, session)
    # Session, user, roles; count, ids and rows of the page; reach and opens in one grouped query.
    with django_assert_num_queries(7) as few:
        client.get(LIST)
    for _n in range(20):
        published(firm)
    BulletinFactory.create_batch(5)
    with django_assert_num_queries(len(few.captured_queries)):
        assert "共 28 篇资讯" in client.get(LIST).content.decode()


# --- Writing --------------------------------------------------------------------------------------


def test_writing_a_draft_then_publishing_it_from_the_page(
    client, firm, django_capture_on_commit_callbacks
):
    tag = ClientTag.objects.create(name="高新企业")
    firm.acme.tags.add(tag)
    firm.acme.region = "南山区"
    firm.acme.save()
    ClientFactory(department=firm.d1, region="福田区")
    as_user(client, firm, "tax")
    page = client.get(CREATE).content.decode()
    assert 'id="preview-count">2<' in page  # nothing chosen yet: every client in service
    assert "南山区" in page and "福田区" in page and "高新企业" in page
    response = client.post(
        CREATE,
        form_data(target_regions=["南山区"], target_tags=[tag.pk], target_industries=["I"]),
    )
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(bulletin)
    assert bulletin.status == BulletinStatus.DRAFT and bulletin.created_by == firm.staff.tax
    assert bulletin.target_regions == ["南山区"] and bulletin.target_tags == [tag.pk]
    page = client.get(detail(bulletin)).content.decode()
    assert 'id="preview-count">1<' in page and "南山区" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("care:bulletin_publish", args=[bulletin.pk]), follow=True)
    text = response.content.decode()
    assert "已存入 1 位客户的档案" in text and "1 条外发消息已发送" in text
    assert [m.to for m in mail.outbox] == [["wang@acme.cn"]]
    assert "http://testserver/care/b/" in mail.outbox[0].body
    again = client.post(reverse("care:bulletin_publish", args=[bulletin.pk]), follow=True)
    assert "没有新的符合条件的客户" in again.content.decode()


def test_the_live_preview_counts_the_clients_the_criteria_reach(client, firm):
    tag = ClientTag.objects.create(name="出口退税")
    for n in range(7):
        c = ClientFactory(department=firm.d1, region="南山区", industry="F", name=f"南山贸易{n}号")
        c.tags.add(tag)
    ClientFactory(department=firm.d1, region="南山区", industry="F", status="terminated")
    as_user(client, firm, "service")
    page = client.get(
        PREVIEW,
        {"target_regions": "南山区", "target_industries": "F", "target_tags": str(tag.pk)},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "<html" not in page
    assert 'id="preview-count">7<' in page
    assert page.count("<li>") == 5 and "南山贸易" in page
    assert (
        'id="preview-count">0<' in client.get(PREVIEW, {"target_regions": "火星"}).content.decode()
    )
    assert 'id="preview-count">8<' in client.get(PREVIEW).content.decode()


def test_channels_not_configured_are_offered_but_labelled(client, firm, settings):
    settings.SMS_BACKEND = settings.WECHAT_BACKEND = ""
    channels.reset_adapters()
    as_user(client, firm, "service")
    page = client.get(CREATE).content.decode()
    assert "短信（未配置）" in page and "微信（未配置）" in page
    assert "电子邮件（未配置）" not in page


def test_invalid_input_keeps_what_was_typed(client, firm):
    as_user(client, firm, "service")
    response = client.post(CREATE, form_data(title="", body="正文保留"))
    page = response.content.decode()
    assert response.status_code == 200 and "请更正下列错误" in page and "正文保留" in page
    assert not Bulletin.objects.exists()


def test_editing_is_version_locked(client, firm):
    bulletin = BulletinFactory(title="原标题", created_by=firm.staff.tax)
    url = reverse("care:bulletin_edit", args=[bulletin.pk])
    as_user(client, firm, "tax")
    page = client.get(url).content.decode()
    assert 'name="version" value="1"' in page and "原标题" in page
    assert client.post(url, form_data(title="先保存的", version=1)).status_code == 302
    late = client.post(url, form_data(title="晚到的修改", version=1))
    text = late.content.decode()
    assert late.status_code == 200 and "已被他人修改" in text and "晚到的修改" in text
    assert 'name="version" value="2"' in text
    bulletin.refresh_from_db()
    assert bulletin.title == "先保存的"


# --- Detail --------------------------------------------------------------------------------------


def test_detail_shows_totals_open_rate_and_filters_deliveries(client, firm, settings):
    settings.SMS_BACKEND = ""
    channels.reset_adapters()
    quiet = ClientFactory(department=firm.d1, name="没有联系人的客户")
    bulletin = published(firm, channels=["email", "sms"])
    services.deliver_bulletins(bulletin_id=bulletin.pk)
    services.bulletin_open(
        delivery=BulletinDelivery.objects.get(bulletin=bulletin, client=firm.acme, channel="email")
    )
    as_user(client, firm, "admin")
    page = client.get(detail(bulletin)).content.decode()
    assert 'id="total-clients">2<' in page
    assert 'id="total-reached">1<' in page and 'id="total-opened">1<' in page
    assert 'id="open-rate">100.0%<' in page
    assert "共 6 条" in page
    table = lambda **q: client.get(detail(bulletin), q, HTTP_HX_REQUEST="true").content.decode()  # noqa: E731
    skipped = table(status="skipped")
    assert "共 3 条" in skipped and "<html" not in skipped and "尚未配置" in skipped
    assert "没有联系人" in skipped and quiet.name in skipped
    assert f"/care/bulletins/{bulletin.pk}/deliveries.xlsx?status=skipped" in skipped
    assert "共 2 条" in table(channel="record")
    assert "共 1 条" in table(opened="1")
    assert "共 1 条" in table(q="顶峰", channel="email")


def test_detail_query_count_does_not_grow_with_deliveries(client, firm, django_assert_num_queries):
    bulletin = published(firm)
    BulletinFactory(title="另一篇")
    as_user(client, firm, "service")
    client.get(detail(bulletin))
    # Session, user, roles, the bulletin; count, ids and rows of the deliveries; two for the
    # totals; the timeline.
    with django_assert_num_queries(10) as few:
        client.get(detail(bulletin))
    for n in range(40):
        c = ClientFactory(department=firm.d1, customer_service=firm.staff.service)
        ContactFactory(client=c, email=f"c{n}@example.cn")
    services.bulletin_publish(bulletin=bulletin, by=firm.staff.tax)
    with django_assert_num_queries(len(few.captured_queries)):
        assert "共 82 条" in client.get(detail(bulletin)).content.decode()


def test_retry_from_the_page(client, firm, django_capture_on_commit_callbacks):
    bulletin = published(firm)
    BulletinDelivery.objects.filter(bulletin=bulletin, channel="email").update(
        status=DeliveryStatus.FAILED, error="连接超时"
    )
    as_user(client, firm, "service")
    page = client.get(detail(bulletin)).content.decode()
    assert "重发失败的 1 条" in page and "连接超时" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("care:bulletin_retry", args=[bulletin.pk]), follow=True)
    assert "已重新发送 1 条失败的消息" in response.content.decode()
    assert BulletinDelivery.objects.get(bulletin=bulletin, channel="email").status == "sent"
    assert len(mail.outbox) == 1
    again = client.post(reverse("care:bulletin_retry", args=[bulletin.pk]), follow=True)
    assert "没有发送失败的记录" in again.content.decode()


def test_export_follows_the_filters_and_is_audited(client, firm):
    other = ClientFactory(department=firm.d1, name="深圳市第二客户有限公司")
    ContactFactory(client=other, email="")
    bulletin = published(firm)
    as_user(client, firm, "head")
    response = client.get(reverse("care:bulletin_export", args=[bulletin.pk]), {"channel": "email"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("客户", "渠道", "联系人", "发送地址", "状态")
    assert sorted((r[0], r[4]) for r in rows[1:]) == sorted(
        [(firm.acme.name, "待发送"), (other.name, "未发送")]
    )
    event = AuditEvent.objects.get(action="export")
    assert event.actor == firm.staff.head and event.object_id == str(bulletin.pk)
    assert "2 条" in event.detail


def test_public_page_is_phone_first_and_not_indexed(client, firm):
    bulletin = published(firm, title="个人所得税汇算清缴提醒", body="第一段\n\n第二段")
    email = BulletinDelivery.objects.get(bulletin=bulletin, channel="email")
    response = client.get(services.delivery_path(email))
    page = response.content.decode()
    assert response.status_code == 200 and response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert 'name="viewport"' in page and "个人所得税汇算清缴提醒" in page
    assert "<p>第一段</p>" in page and firm.acme.name in page
    assert "zf-sidebar" not in page


# --- The client's section -------------------------------------------------------------------------


def test_client_section_renders_received_bulletins(firm):
    bulletin = published(firm, title="季度申报期提醒")
    services.deliver_bulletins(bulletin_id=bulletin.pk)
    services.bulletin_open(
        delivery=BulletinDelivery.objects.get(bulletin=bulletin, channel="email")
    )
    html = render_to_string(
        "care/_client_bulletins.html", {"bulletins": client_bulletins(firm.acme)}
    )
    assert "季度申报期提醒" in html and detail(bulletin) in html
    assert "电子邮件 · 已送达" in html and "2026-11-10 10:00" in html
    empty = render_to_string("care/_client_bulletins.html", {"bulletins": []})
    assert "还没有收到政策资讯" in empty
