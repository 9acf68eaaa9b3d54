"""Channels and loss reasons admin: built-ins protected, add, rename, (de)activate, reorder."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import Channel, LossReason
from zhangfang.leads.services import marketing as services

pytestmark = pytest.mark.django_db

LIST = reverse("leads:channel_list")
REASONS = reverse("leads:loss_reason_list")


@pytest.fixture
def admin(client, sales_firm):
    client.force_login(sales_firm.staff.admin)
    return client


@pytest.mark.parametrize("code", ["website", "referral", "partner"])
def test_built_in_channels_cannot_be_deactivated(sales_firm, code):
    channel = Channel.objects.get(code=code)
    with pytest.raises(DomainError, match="内置渠道"):
        services.channel_set_active(channel=channel, active=False, by=sales_firm.staff.admin)
    channel.refresh_from_db()
    assert channel.is_active


@pytest.mark.parametrize("code", ["website", "referral", "partner"])
def test_built_in_channel_code_cannot_change_but_name_can(sales_firm, code):
    channel = Channel.objects.get(code=code)
    with pytest.raises(DomainError, match="代码不能修改"):
        services.channel_update(
            channel=channel, name="改名", code="other", by=sales_firm.staff.admin
        )
    services.channel_update(channel=channel, name="公司官网", code=None, by=sales_firm.staff.admin)
    channel.refresh_from_db()
    assert (channel.code, channel.name) == (code, "公司官网")


def test_built_in_channel_edit_page_ignores_a_posted_code(admin):
    channel = Channel.objects.get(code="website")
    response = admin.post(
        reverse("leads:channel_edit", args=[channel.pk]), {"code": "hacked", "name": "官网"}
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.code, channel.name) == ("website", "官网")


def test_deactivate_page_refuses_built_in_with_message(admin):
    channel = Channel.objects.get(code="referral")
    response = admin.post(reverse("leads:channel_toggle", args=[channel.pk]), follow=True)
    assert "不能停用" in response.content.decode()
    channel.refresh_from_db()
    assert channel.is_active


def test_other_channels_deactivate_and_reactivate_audited(admin, sales_firm):
    channel = Channel.objects.get(code="weibo")
    url = reverse("leads:channel_toggle", args=[channel.pk])
    admin.post(url)
    channel.refresh_from_db()
    assert not channel.is_active
    admin.post(url)
    channel.refresh_from_db()
    assert channel.is_active
    assert AuditEvent.objects.filter(object_type="leads.channel", action="status").count() == 2


def test_add_channel_at_end_and_duplicates_refused(admin):
    response = admin.post(
        reverse("leads:channel_create"), {"code": "xiaohongshu", "name": "小红书"}
    )
    assert response.status_code == 302
    last = Channel.objects.order_by("sort_order").last()
    assert (last.code, last.name) == ("xiaohongshu", "小红书")
    response = admin.post(reverse("leads:channel_create"), {"code": "xhs", "name": "小红书"})
    assert response.status_code == 200
    assert "渠道名称“小红书”已存在" in response.content.decode()
    response = admin.post(reverse("leads:channel_create"), {"code": "小红书", "name": "X"})
    assert "代码只能包含英文字母" in response.content.decode()


def test_non_built_in_code_can_change(sales_firm):
    channel = Channel.objects.get(code="weibo")
    services.channel_update(
        channel=channel, name="新浪微博", code="sina", by=sales_firm.staff.admin
    )
    channel.refresh_from_db()
    assert (channel.code, channel.name) == ("sina", "新浪微博")


def test_reorder_moves_one_place(admin):
    order = list(Channel.objects.order_by("sort_order").values_list("code", flat=True))
    second = Channel.objects.get(code=order[1])
    admin.post(reverse("leads:channel_move", args=[second.pk]), {"direction": "up"})
    new_order = list(Channel.objects.order_by("sort_order").values_list("code", flat=True))
    assert new_order[:2] == [order[1], order[0]]
    assert new_order[2:] == order[2:]
    first = Channel.objects.get(code=new_order[0])
    admin.post(reverse("leads:channel_move", args=[first.pk]), {"direction": "up"})  # no-op
    assert list(Channel.objects.order_by("sort_order").values_list("code", flat=True)) == new_order


def test_channel_list_page_marks_built_ins(admin):
    response = admin.get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert "内置" in body and "官方网站" in body


@pytest.mark.parametrize("who", ["sales1", "head1", "finance", "acct1"])
def test_channel_and_loss_reason_pages_are_admin_only(client, sales_firm, who):
    client.force_login(getattr(sales_firm.staff, who))
    assert client.get(LIST).status_code == 403
    assert client.get(REASONS).status_code == 403
    assert (
        client.post(reverse("leads:channel_create"), {"code": "x", "name": "x"}).status_code == 403
    )


def test_anonymous_goes_to_login(client, db):
    assert client.get(LIST).status_code == 302


def test_loss_reasons_add_rename_deactivate(admin):
    admin.post(reverse("leads:loss_reason_create"), {"name": "老板不同意"})
    reason = LossReason.objects.get(name="老板不同意")
    admin.post(reverse("leads:loss_reason_edit", args=[reason.pk]), {"name": "决策人不同意"})
    reason.refresh_from_db()
    assert reason.name == "决策人不同意"
    admin.post(reverse("leads:loss_reason_toggle", args=[reason.pk]))
    reason.refresh_from_db()
    assert not reason.is_active
    response = admin.post(reverse("leads:loss_reason_create"), {"name": "价格因素"})
    assert "已存在" in response.content.decode()
    assert admin.get(REASONS).status_code == 200
