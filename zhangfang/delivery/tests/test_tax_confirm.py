"""The 税款测算 and the client's confirmation: the estimate on the work item page, sending the link
(and the e-mail), the client's page (valid, tampered, expired, answered, double submit, queried and
resent), a confirmation recorded by phone, and what it allows for the 申报 steps."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from zhangfang.clients.models import TaxpayerType
from zhangfang.clients.tests.factories import ContactFactory
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import (
    ConfirmationStatus,
    ConfirmedVia,
    Filing,
    TaxConfirmation,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services import confirmations as services
from zhangfang.delivery.services import work as work_services
from zhangfang.delivery.services.generation import work_generate
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)
NOW = at(2026, 12, 3, 10, 0)
S = ConfirmationStatus


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    firm = make_firm()
    firm.acme.taxpayer_type = TaxpayerType.GENERAL
    firm.acme.save()
    work_generate(period=NOV)
    return firm


def _item(firm, step, filing="") -> WorkItem:
    return WorkItem.objects.get(client=firm.acme, period=NOV, step=step, filing=filing)


@pytest.fixture
def estimate(firm) -> WorkItem:
    return _item(firm, WorkStep.TAX_ESTIMATE)


AMOUNTS = {Filing.VAT: Decimal("1200.50"), Filing.INDIVIDUAL_INCOME_TAX: Decimal("300")}


def save(firm, estimate, amounts=None, **kw):
    return services.tax_estimate_save(
        item=estimate, amounts=amounts or AMOUNTS, by=firm.staff.tax, **kw
    )


@pytest.fixture
def sent(firm, estimate) -> str:
    """A saved estimate sent to the client: the link's path."""
    save(firm, estimate, remarks="按 11 月开票测算")
    return services.tax_confirmation_send(item=estimate, by=firm.staff.tax)


def act(pk: int, action: str) -> str:
    return reverse("delivery:work_item_action", args=[pk, action])


def confirm(client, path, name="王总"):
    return client.post(path, {"answer": "confirm", "confirm-name": name})


def query(client, path, comment="个税金额偏高，请核对", name="王总"):
    return client.post(path, {"answer": "query", "query-name": name, "query-comment": comment})


# ---------------------------------------------------------------------------------------------
# The estimate
# ---------------------------------------------------------------------------------------------


def test_one_amount_per_tax_return_and_the_total(firm, estimate):
    assert services.tax_filings(estimate) == [Filing.VAT, Filing.INDIVIDUAL_INCOME_TAX]
    confirmation = save(firm, estimate)
    assert confirmation.status == S.DRAFT
    assert confirmation.total == Decimal("1500.50")
    assert {line.filing: line.amount for line in confirmation.lines.all()} == AMOUNTS
    with pytest.raises(DomainError) as refused:
        save(firm, estimate, amounts={Filing.VAT: Decimal("1")})
    assert refused.value.field == "amount_iit"
    with pytest.raises(DomainError, match="负数"):
        save(firm, estimate, amounts={**AMOUNTS, Filing.VAT: Decimal("-1")})


def test_editing_after_sending_goes_back_to_draft(firm, estimate, sent):
    assert TaxConfirmation.objects.get(item=estimate).status == S.SENT
    save(firm, estimate, remarks="按 11 月开票测算")  # the same: nothing changes
    assert TaxConfirmation.objects.get(item=estimate).status == S.SENT
    save(firm, estimate, amounts={**AMOUNTS, Filing.VAT: Decimal("1000")})
    confirmation = TaxConfirmation.objects.get(item=estimate)
    assert confirmation.status == S.DRAFT and confirmation.total == Decimal("1300.00")
    # The client's link waits for the new version.
    response = HttpClient().get(sent)
    assert response.status_code == 410 and "正在修改" in response.text


def test_a_stale_estimate_save_is_refused(firm, estimate):
    save(firm, estimate, expected_version=0)
    with pytest.raises(ConcurrentEditError):
        save(firm, estimate, amounts={**AMOUNTS, Filing.VAT: Decimal("1")}, expected_version=0)
    assert TaxConfirmation.objects.get(item=estimate).total == Decimal("1500.50")


def test_sending_sets_expiry_from_the_policy_and_emails_the_primary_contact(
    firm, estimate, settings, django_capture_on_commit_callbacks
):
    ContactFactory(client=firm.acme, name="王总", is_primary=True, email="wang@example.com")
    save(firm, estimate)
    with django_capture_on_commit_callbacks(execute=True):
        path = services.tax_confirmation_send(
            item=estimate, by=firm.staff.tax, base_url="https://zf.example.com"
        )
    confirmation = TaxConfirmation.objects.get(item=estimate)
    assert confirmation.status == S.SENT and confirmation.sent_at == NOW
    assert confirmation.expires_at == NOW + dt.timedelta(days=5)
    assert path == f"/delivery/t/{services.confirmation_token(confirmation)}/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@example.com"]
    assert f"https://zf.example.com{path}" in message.body
    assert "人民币壹仟伍佰元伍角" in message.body


def test_no_email_without_a_primary_contact_address(
    firm, estimate, django_capture_on_commit_callbacks
):
    save(firm, estimate)
    with django_capture_on_commit_callbacks(execute=True):
        services.tax_confirmation_send(item=estimate, by=firm.staff.tax)
    assert mail.outbox == []


def test_sending_needs_a_saved_estimate(firm, estimate):
    with pytest.raises(DomainError, match="先填写"):
        services.tax_confirmation_send(item=estimate, by=firm.staff.tax)


# ---------------------------------------------------------------------------------------------
# The client's page
# ---------------------------------------------------------------------------------------------


def test_the_page_shows_the_estimate_on_a_phone(client, firm, sent, settings):
    settings.FIRM_NAME = "鼎信代账"
    response = client.get(sent)
    assert response.status_code == 200
    html = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    for staff_only in ("zf-sidebar", "zf-topbar", "/clients/", "/delivery/work/"):
        assert staff_only not in html, staff_only
    assert "鼎信代账" in html and firm.acme.name in html and "2026-11" in html
    assert "增值税及附加" in html and "¥1,200.50" in html and "¥300.00" in html
    assert "¥1,500.50" in html and "人民币壹仟伍佰元伍角" in html
    assert "按 11 月开票测算" in html
    assert "请于 2026-12-08 10:00 前确认" in html
    assert "noindex" in response["X-Robots-Tag"]
    assert "<script" not in html


def test_confirming_through_the_link_completes_the_estimate(
    client, firm, estimate, sent, django_capture_on_commit_callbacks
):
    response = confirm(client, sent, name="")
    assert response.status_code == 400 and "这个字段是必填项" in response.text
    response = confirm(client, sent)
    assert response.status_code == 302
    # Straight after answering, the client's receipt is a success page, not an error.
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200 and "感谢您的确认" in receipt.text
    confirmation = TaxConfirmation.objects.get(item=estimate)
    assert confirmation.status == S.CONFIRMED and confirmation.confirmed_via == ConfirmedVia.LINK
    assert confirmation.confirmed_by_name == "王总" and confirmation.confirmed_at == NOW
    estimate.refresh_from_db()
    assert estimate.status == WorkStatus.DONE and estimate.completed_by is None
    assert estimate.completed_at == NOW
    # The answer shows on the link, which cannot be answered again.
    response = client.get(sent)
    assert response.status_code == 410 and "已答复" in response.text
    assert "王总 已于 2026-12-03 10:00 确认本期税款" in response.text
    # The tax specialist (assignee of the estimate and of the returns) is told.
    assert Notification.objects.filter(recipient=firm.staff.tax, title__contains="已确认").exists()
    event = AuditEvent.objects.get(
        object_type="delivery.taxconfirmation", action="status", detail="客户通过链接确认税款"
    )
    assert event.actor is None and event.actor_name == "王总（客户）"


def test_answering_twice_records_one_answer(client, firm, estimate, sent):
    assert confirm(client, sent).status_code == 302
    response = query(client, sent)
    assert response.status_code == 410
    confirmation = TaxConfirmation.objects.get(item=estimate)
    assert confirmation.status == S.CONFIRMED and confirmation.client_comment == ""
    assert (
        AuditEvent.objects.filter(
            object_type="delivery.taxconfirmation", detail__startswith="客户通过链接"
        ).count()
        == 1
    )


def test_a_double_submit_is_refused_inside_the_transaction(firm, estimate, sent):
    """Two submits that both loaded the open link: the second finds it answered once locked."""
    confirmation = TaxConfirmation.objects.get(item=estimate)
    stale = TaxConfirmation.objects.get(item=estimate)
    services.tax_confirmation_answer(confirmation=confirmation, confirmed=True, name="王总")
    with pytest.raises(DomainError, match="不能重复答复"):
        services.tax_confirmation_answer(
            confirmation=stale, confirmed=False, name="李会计", comment="?"
        )
    confirmation.refresh_from_db()
    assert confirmation.confirmed_by_name == "王总" and confirmation.status == S.CONFIRMED


def test_a_tampered_token_is_404(client, sent):
    token = sent.split("/")[-2]
    tampered = reverse(
        "delivery:tax_confirm_public", args=[token[:-1] + ("A" if token[-1] != "A" else "B")]
    )
    response = client.get(tampered)
    assert response.status_code == 404 and "链接无效" in response.text
    # A token of another kind of link names nothing here either.
    from zhangfang.core.links import link_token

    other = link_token("contracts.plan", TaxConfirmation.objects.get().pk)
    assert client.get(reverse("delivery:tax_confirm_public", args=[other])).status_code == 404


def test_an_expired_link_is_410(client, sent, _clock):
    _clock.move_to(NOW + dt.timedelta(days=5, seconds=1))
    response = client.get(sent)
    assert response.status_code == 410 and "已过期" in response.text
    response = confirm(client, sent)
    assert response.status_code == 410
    assert TaxConfirmation.objects.get().status == S.SENT


def test_a_query_goes_back_to_staff_who_revise_and_resend(client, firm, estimate, sent, _clock):
    response = query(client, sent, comment="")
    assert response.status_code == 400 and TaxConfirmation.objects.get().status == S.SENT
    response = query(client, sent)
    assert response.status_code == 302
    confirmation = TaxConfirmation.objects.get()
    assert (
        confirmation.status == S.QUERIED and confirmation.client_comment == "个税金额偏高，请核对"
    )
    assert Notification.objects.filter(recipient=firm.staff.tax, title__contains="有疑问").exists()
    response = client.get(sent)
    assert response.status_code == 410 and "个税金额偏高，请核对" in response.text
    estimate.refresh_from_db()
    assert estimate.status == WorkStatus.TODO
    # Staff see the question, revise and send again: the same link, a new expiry.
    client.force_login(firm.staff.tax)
    page = client.get(reverse("delivery:work_item_detail", args=[estimate.pk])).text
    assert "个税金额偏高，请核对" in page
    _clock.move_to(NOW + dt.timedelta(days=1))
    save(firm, estimate, amounts={**AMOUNTS, Filing.INDIVIDUAL_INCOME_TAX: Decimal("200")})
    again = services.tax_confirmation_send(item=estimate, by=firm.staff.tax)
    assert again == sent
    confirmation.refresh_from_db()
    assert confirmation.status == S.SENT
    assert confirmation.expires_at == NOW + dt.timedelta(days=6)
    client.logout()
    response = client.get(sent)
    assert response.status_code == 200 and "¥1,400.50" in response.text
    assert confirm(client, sent).status_code == 302
    assert TaxConfirmation.objects.get().status == S.CONFIRMED


def test_csrf_protection_stays_on_for_anonymous_clients(sent):
    browser = HttpClient(enforce_csrf_checks=True)
    assert browser.post(sent, {"answer": "confirm", "confirm-name": "王总"}).status_code == 403
    page = browser.get(sent)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = browser.post(
        sent, {"csrfmiddlewaretoken": token, "answer": "confirm", "confirm-name": "王总"}
    )
    assert response.status_code == 302
    assert TaxConfirmation.objects.get().status == S.CONFIRMED


# ---------------------------------------------------------------------------------------------
# Recorded confirmation and what it allows
# ---------------------------------------------------------------------------------------------


def test_a_confirmation_by_phone_is_recorded_by_customer_service(firm, estimate):
    save(firm, estimate)
    with pytest.raises(DomainError) as refused:
        services.tax_confirmation_record(
            item=estimate, via=ConfirmedVia.LINK, name="王总", by=firm.staff.service
        )
    assert refused.value.field == "via"
    with pytest.raises(DomainError, match="不负责"):
        services.tax_confirmation_record(
            item=estimate, via=ConfirmedVia.PHONE, name="王总", by=firm.staff.outsider
        )
    services.tax_confirmation_record(
        item=estimate,
        via=ConfirmedVia.PHONE,
        name="王总",
        note="电话确认无异议",
        by=firm.staff.service,
    )
    confirmation = TaxConfirmation.objects.get()
    assert confirmation.status == S.CONFIRMED and confirmation.confirmed_via == ConfirmedVia.PHONE
    assert confirmation.recorded_by == firm.staff.service
    estimate.refresh_from_db()
    assert estimate.status == WorkStatus.DONE and estimate.completed_by == firm.staff.service
    assert AuditEvent.objects.filter(
        object_type="delivery.workitem", object_id=str(estimate.pk), action="status"
    ).exists()


def test_a_tax_return_waits_for_the_confirmation_unless_a_head_overrides(firm, estimate):
    vat = _item(firm, WorkStep.FILING, Filing.VAT)
    iit = _item(firm, WorkStep.FILING, Filing.INDIVIDUAL_INCOME_TAX)
    save(firm, estimate)
    services.tax_confirmation_send(item=estimate, by=firm.staff.tax)
    with pytest.raises(DomainError, match="客户尚未确认"):
        work_services.work_complete(item=vat, by=firm.staff.tax)
    # A head's override, with its reason, lets one return be filed first (audited).
    work_services.filing_override(item=iit, reason="截止日临近，客户联系不上", by=firm.staff.head)
    work_services.work_complete(item=iit, by=firm.staff.tax)
    assert AuditEvent.objects.filter(
        object_type="delivery.workitem", object_id=str(iit.pk), action="override"
    ).exists()
    services.tax_confirmation_answer(
        confirmation=TaxConfirmation.objects.get(), confirmed=True, name="王总"
    )
    work_services.work_complete(item=vat, by=firm.staff.tax, tax_amount=Decimal("1200.50"))
    vat.refresh_from_db()
    assert vat.status == WorkStatus.DONE


# ---------------------------------------------------------------------------------------------
# The estimate on the work item page
# ---------------------------------------------------------------------------------------------


def test_the_estimate_on_the_page(client, firm, estimate, django_capture_on_commit_callbacks):
    ContactFactory(client=firm.acme, name="王总", is_primary=True, email="wang@example.com")
    client.force_login(firm.staff.tax)
    page = reverse("delivery:work_item_detail", args=[estimate.pk])
    html = client.get(page).text
    assert "尚未测算" in html and 'name="estimate-save-amount_vat"' in html
    assert "税款测算须经客户确认后才算完成" in html
    response = client.post(
        act(estimate.pk, "estimate-save"),
        {
            "estimate-save-amount_vat": "-3",
            "estimate-save-amount_iit": "",
            "estimate-save-version": "0",
        },
    )
    assert response.status_code == 422 and not TaxConfirmation.objects.exists()
    response = client.post(
        act(estimate.pk, "estimate-save"),
        {
            "estimate-save-amount_vat": "1200.50",
            "estimate-save-amount_iit": "300",
            "estimate-save-remarks": "按 11 月开票测算",
            "estimate-save-version": "0",
        },
    )
    assert response.status_code == 302
    html = client.get(page).text
    assert "¥1,500.50" in html and "人民币壹仟伍佰元伍角" in html and "待发送" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(act(estimate.pk, "estimate-send"), {})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "http://testserver/delivery/t/" in mail.outbox[0].body
    html = client.get(page).text
    confirmation = TaxConfirmation.objects.get()
    assert f"http://testserver/delivery/t/{services.confirmation_token(confirmation)}/" in html
    assert "复制链接" in html and "待客户确认" in html
    # A save over a newer version is refused and keeps what was typed.
    response = client.post(
        act(estimate.pk, "estimate-save"),
        {
            "estimate-save-amount_vat": "999",
            "estimate-save-amount_iit": "1",
            "estimate-save-version": "1",
        },
    )
    assert response.status_code == 422 and "其他人已修改" in response.text
    assert 'value="999"' in response.text
    assert TaxConfirmation.objects.get().total == Decimal("1500.50")
    # Customer service records the client's confirmation by phone.
    client.force_login(firm.staff.service)
    response = client.post(
        act(estimate.pk, "estimate-record"),
        {"estimate-record-via": "phone", "estimate-record-name": "王总"},
    )
    assert response.status_code == 302
    estimate.refresh_from_db()
    assert estimate.status == WorkStatus.DONE
    html = client.get(page).text
    assert "客户已确认" in html and act(estimate.pk, "estimate-save") not in html


def test_the_setting_is_registered():
    from zhangfang.core import policy

    definition = policy.REGISTRY[services.TAX_LINK_DAYS]
    assert definition.default == 5 and definition.clause == "三（二）3"
