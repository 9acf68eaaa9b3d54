"""The 收票 交接清单: lines, both sign-offs, the reset when the list changes, and the rule that
the step completes only with a signed list (services and the page, end to end)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import DocumentType, Handover, WorkItem, WorkStatus, WorkStep
from zhangfang.delivery.services import handover as services
from zhangfang.delivery.services import work as work_services
from zhangfang.delivery.services.generation import work_generate
from zhangfang.delivery.tests.support import at, make_firm

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 12, 3)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 12, 3, 10, 0), tick=False):
        yield


@pytest.fixture
def firm():
    firm = make_firm()
    work_generate(period=NOV)
    return firm


@pytest.fixture
def receipts(firm) -> WorkItem:
    return WorkItem.objects.get(client=firm.acme, period=NOV, step=WorkStep.RECEIPTS)


def add(item, by, **kw):
    values = {
        "document_type": DocumentType.SALES_INVOICES,
        "quantity": 12,
        "received_on": TODAY,
    }
    values.update(kw)
    return services.handover_add_line(item=item, by=by, **values)


def act(pk: int, action: str) -> str:
    return reverse("delivery:work_item_action", args=[pk, action])


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


def test_first_line_creates_the_list_and_is_audited_on_the_client(firm, receipts):
    line = add(receipts, firm.staff.service, note="12 张")
    handover = Handover.objects.get(item=receipts)
    assert line.handover == handover and handover.lines.count() == 1
    event = AuditEvent.objects.get(object_type="delivery.handover", action="create")
    assert event.anchor_type == "clients.client" and event.anchor_id == str(firm.acme.pk)
    assert event.changes["quantity"] == [None, 12]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"received_on": TODAY + dt.timedelta(days=1)}, "received_on"),
        ({"document_type": "nonsense"}, "document_type"),
    ],
)
def test_bad_lines_are_refused(firm, receipts, values, field):
    with pytest.raises(DomainError) as refused:
        add(receipts, firm.staff.service, **values)
    assert refused.value.field == field
    assert not Handover.objects.filter(item=receipts, lines__isnull=False).exists()


def test_only_the_team_of_an_open_receipts_step_keeps_the_list(firm, receipts):
    with pytest.raises(DomainError, match="不负责"):
        add(receipts, firm.staff.outsider)
    bookkeeping = WorkItem.objects.get(client=firm.acme, period=NOV, step=WorkStep.BOOKKEEPING)
    with pytest.raises(DomainError, match="只有收票"):
        add(bookkeeping, firm.staff.accountant)


def test_completion_needs_lines_and_both_confirmations(firm, receipts):
    service = firm.staff.service
    with pytest.raises(DomainError, match="交接清单"):
        work_services.work_complete(item=receipts, by=service)
    with pytest.raises(DomainError, match="还没有明细"):
        services.handover_confirm_firm(item=receipts, by=service)
    add(receipts, service)
    with pytest.raises(DomainError, match="双方确认"):
        work_services.work_complete(item=receipts, by=service)
    services.handover_confirm_firm(item=receipts, by=service)
    with pytest.raises(DomainError, match="双方确认"):
        work_services.work_complete(item=receipts, by=service)
    with pytest.raises(DomainError) as refused:
        services.handover_confirm_client(item=receipts, name="  ", by=service)
    assert refused.value.field == "name"
    services.handover_confirm_client(item=receipts, name="王经理", by=service)
    handover = Handover.objects.get(item=receipts)
    assert handover.confirmed and handover.firm_confirmed_by == service
    assert handover.client_confirmed_name == "王经理"
    work_services.work_complete(item=receipts, by=service)
    receipts.refresh_from_db()
    assert receipts.status == WorkStatus.DONE
    # A finished step's list is closed.
    with pytest.raises(DomainError, match="已完成"):
        add(receipts, service)


@pytest.mark.parametrize("change", ["add", "remove"])
def test_changing_the_lines_clears_both_confirmations(firm, receipts, change):
    service = firm.staff.service
    first = add(receipts, service)
    add(receipts, service, document_type=DocumentType.BANK_STATEMENTS, quantity=3)
    services.handover_confirm_firm(item=receipts, by=service)
    services.handover_confirm_client(item=receipts, name="王经理", by=service)
    if change == "add":
        add(receipts, service, document_type=DocumentType.PAYROLL, quantity=1)
    else:
        services.handover_remove_line(item=receipts, line_id=first.pk, by=service)
    handover = Handover.objects.get(item=receipts)
    assert handover.firm_confirmed_at is None and handover.client_confirmed_at is None
    assert handover.firm_confirmed_by is None and handover.client_confirmed_name == ""
    assert AuditEvent.objects.filter(
        object_type="delivery.handover", detail__contains="须重新确认"
    ).exists()
    with pytest.raises(DomainError, match="双方确认"):
        work_services.work_complete(item=receipts, by=service)


def test_confirming_twice_is_refused(firm, receipts):
    add(receipts, firm.staff.service)
    services.handover_confirm_firm(item=receipts, by=firm.staff.service)
    with pytest.raises(DomainError, match="已由我方"):
        services.handover_confirm_firm(item=receipts, by=firm.staff.accountant)


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def test_handover_end_to_end_on_the_page(client, firm, receipts):
    client.force_login(firm.staff.service)
    page = reverse("delivery:work_item_detail", args=[receipts.pk])
    html = client.get(page).text
    assert "交接清单" in html and act(receipts.pk, "handover-add") in html
    assert "收票须先填写交接清单" in html  # the rule, shown before trying
    response = client.post(
        act(receipts.pk, "handover-add"),
        {
            "handover-add-document_type": "purchase",
            "handover-add-quantity": "0",
            "handover-add-received_on": "2026-12-04",
        },
    )
    assert response.status_code == 422
    assert "收到日期不能晚于今天" in response.text
    response = client.post(
        act(receipts.pk, "handover-add"),
        {
            "handover-add-document_type": "purchase",
            "handover-add-quantity": "30",
            "handover-add-received_on": "2026-12-02",
            "handover-add-note": "含专票 5 张",
        },
    )
    assert response.status_code == 302
    html = client.get(page).text
    assert "进项发票" in html and "含专票 5 张" in html and "待双方确认" in html
    assert client.post(act(receipts.pk, "complete"), {}).status_code == 422
    assert client.post(act(receipts.pk, "handover-firm"), {}).status_code == 302
    response = client.post(act(receipts.pk, "handover-client"), {"handover-client-name": ""})
    assert response.status_code == 422
    response = client.post(act(receipts.pk, "handover-client"), {"handover-client-name": "王经理"})
    assert response.status_code == 302
    html = client.get(page).text
    assert "双方已确认" in html and "王经理" in html and "客服甲" in html
    assert "收票须先填写交接清单" not in html and "双方确认后" not in html
    assert client.post(act(receipts.pk, "complete"), {}).status_code == 302
    receipts.refresh_from_db()
    assert receipts.status == WorkStatus.DONE
    # The list is read-only now, and the timeline shows the list's events.
    html = client.get(page).text
    assert act(receipts.pk, "handover-add") not in html
    assert "交接清单新增" in html and "记录客户确认交接" in html


def test_removing_a_line_on_the_page(client, firm, receipts):
    line = add(receipts, firm.staff.service)
    client.force_login(firm.staff.service)
    response = client.post(act(receipts.pk, "handover-remove"), {"handover-remove-line": 999999})
    assert response.status_code == 422 and "不存在" in response.text
    response = client.post(act(receipts.pk, "handover-remove"), {"handover-remove-line": line.pk})
    assert response.status_code == 302
    assert not Handover.objects.get(item=receipts).lines.exists()


def test_an_outsider_cannot_touch_the_list(client, firm, receipts):
    client.force_login(firm.staff.outsider)
    response = client.post(
        act(receipts.pk, "handover-add"),
        {
            "handover-add-document_type": "purchase",
            "handover-add-quantity": "3",
            "handover-add-received_on": "2026-12-02",
        },
    )
    assert response.status_code == 404
    client.force_login(firm.staff.sales)  # sees the client, not on the team
    assert client.post(act(receipts.pk, "handover-firm"), {}).status_code == 403
    assert not Handover.objects.filter(item=receipts).exists()
