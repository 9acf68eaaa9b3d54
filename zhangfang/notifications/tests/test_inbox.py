"""The inbox: messages arrive once per dedupe key, the badge counts unread, marking read works."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhangfang.notifications.models import Notification
from zhangfang.notifications.services import notify
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_notify_puts_one_message_per_recipient_and_key():
    sales = UserFactory(roles=["sales"])
    head = UserFactory(roles=["dept_head"])
    notify(recipients=[sales, head, sales], title="新线索", url="/leads/1/", dedupe_key="lead:1")
    notify(recipients=[sales], title="新线索", dedupe_key="lead:1")
    assert Notification.objects.filter(recipient=sales).count() == 1
    assert Notification.objects.filter(recipient=head).count() == 1


def test_inbox_badge_and_mark_read(client):
    user = UserFactory(roles=["sales"])
    other = UserFactory(roles=["sales"])
    notify(recipients=[user], title="明天拜访华为")
    notify(recipients=[other], title="别人的通知")
    client.force_login(user)
    assert "1" in client.get(reverse("notifications:badge")).text
    page = client.get(reverse("notifications:inbox"))
    assert "明天拜访华为" in page.text and "别人的通知" not in page.text
    client.post(reverse("notifications:mark_all_read"))
    assert client.get(reverse("notifications:badge")).text.strip() == ""


def test_cannot_mark_someone_elses_message_read(client):
    user, other = UserFactory(roles=["sales"]), UserFactory(roles=["sales"])
    (message,) = notify(recipients=[other], title="别人的通知")
    client.force_login(user)
    client.post(reverse("notifications:mark_read", args=[message.pk]))
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_read_does_not_redirect_off_site(client):
    user = UserFactory(roles=["sales"])
    client.force_login(user)
    response = client.post(reverse("notifications:mark_all_read"), {"next": "//evil.example.com/"})
    assert response["Location"] == reverse("notifications:inbox")


def test_email_copy_is_sent_after_commit_when_mail_is_configured(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_EMAIL = True
    user = UserFactory(roles=["sales"], email="sales@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[user], title="新线索", body="华为技术有限公司")
    assert [m.to for m in mailoutbox] == [["sales@example.com"]]


def test_following_a_message_marks_it_read_and_goes_to_its_page(client):
    user, other = UserFactory(roles=["sales"]), UserFactory(roles=["sales"])
    (message,) = notify(recipients=[user], title="合同已批准", url="/contracts/7/")
    (outside,) = notify(recipients=[user], title="外链", url="https://evil.example/")
    (theirs,) = notify(recipients=[other], title="别人的通知", url="/contracts/8/")
    client.force_login(user)
    inbox = client.get(reverse("notifications:inbox")).text
    assert reverse("notifications:open", args=[message.pk]) in inbox
    response = client.get(reverse("notifications:open", args=[message.pk]))
    assert response.status_code == 302 and response["Location"] == "/contracts/7/"
    message.refresh_from_db()
    assert message.read_at is not None
    # A link off the site is not followed; someone else's message is not there at all.
    assert client.get(reverse("notifications:open", args=[outside.pk]))["Location"] == reverse(
        "notifications:inbox"
    )
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
