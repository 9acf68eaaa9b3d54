"""A work item's page: who may open it, what it shows, and each action with its refusal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from zhangfang.clients.models import TaxpayerType
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import (
    ConfirmationStatus,
    Filing,
    TaxConfirmation,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services import work as work_services
from zhangfang.delivery.services.generation import work_generate
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)
NOW = at(2026, 12, 3, 10, 0)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def firm():
    firm = make_firm()
    firm.acme.taxpayer_type = TaxpayerType.GENERAL
    firm.acme.save()
    work_generate(period=NOV)
    return firm


def _item(firm, step, filing="") -> WorkItem:
    return WorkItem.objects.get(client=firm.acme, period=NOV, step=step, filing=filing)


def page(pk: int) -> str:
    return reverse("delivery:work_item_detail", args=[pk])


def act(pk: int, action: str) -> str:
    return reverse("delivery:work_item_action", args=[pk, action])


def login(client, firm, who: str):
    client.force_login(getattr(firm.staff, who))


def test_the_page_has_the_path_the_board_links_to(firm):
    item = _item(firm, WorkStep.BOOKKEEPING)
    assert page(item.pk) == f"/delivery/work/items/{item.pk}/"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("accountant", 200),  # the bookkeeping step's assignee
        ("service", 200),  # the client's service team
        ("head", 200),  # the head of the client's department
        ("admin", 200),
        ("head2", 404),  # the other department's head
        ("outsider", 404),  # staff of another department
    ],
)
def test_who_may_open_the_page(client, firm, who, status):
    login(client, firm, who)
    assert client.get(page(_item(firm, WorkStep.BOOKKEEPING).pk)).status_code == status


def test_a_missing_item_is_404_and_anonymous_is_sent_to_login(client, firm):
    login(client, firm, "head")
    assert client.get(page(999999)).status_code == 404
    client.logout()
    response = client.get(page(_item(firm, WorkStep.BOOKKEEPING).pk))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_header_the_period_row_and_the_deadline(client, firm):
    login(client, firm, "accountant")
    item = _item(firm, WorkStep.BOOKKEEPING)
    html = client.get(page(item.pk)).text
    assert firm.acme.name in html and reverse("clients:detail", args=[firm.acme.pk]) in html
    assert "2026-11" in html and "做账" in html and "待办" in html
    assert item.due_on.strftime("%Y-%m-%d") in html
    assert "个工作日" in html  # days left (or overdue) in working days
    # The client's other steps of the period link to their pages.
    for other in WorkItem.objects.filter(client=firm.acme, period=NOV).exclude(pk=item.pk):
        assert page(other.pk) in html
    assert "增值税及附加" in html and "个税扣缴" in html


def test_overdue_shows_working_days_late(client, firm):
    item = _item(firm, WorkStep.BOOKKEEPING)
    with time_machine.travel(at(2026, 12, 31, 10, 0), tick=False):
        login(client, firm, "accountant")
        html = client.get(page(item.pk)).text
    assert "已逾期" in html


def test_actions_shown_to_the_team_and_to_heads(client, firm):
    item = _item(firm, WorkStep.BOOKKEEPING)
    login(client, firm, "accountant")
    html = client.get(page(item.pk)).text
    assert act(item.pk, "start") in html and act(item.pk, "complete") in html
    assert act(item.pk, "reassign") not in html and act(item.pk, "reopen") not in html
    login(client, firm, "head")
    html = client.get(page(item.pk)).text
    assert act(item.pk, "reassign") in html
    # A colleague of the department who is not on the team sees the page only through a head.
    login(client, firm, "sales")
    response = client.get(page(item.pk))
    assert response.status_code == 200 and act(item.pk, "complete") not in response.text
    assert client.post(act(item.pk, "complete"), {}).status_code == 403


def test_start_then_complete_with_a_note(client, firm):
    item = _item(firm, WorkStep.BOOKKEEPING)
    login(client, firm, "accountant")
    response = client.post(act(item.pk, "start"), {})
    assert response.status_code == 302 and response["Location"] == page(item.pk)
    item.refresh_from_db()
    assert item.status == WorkStatus.IN_PROGRESS and item.started_at is not None
    response = client.post(act(item.pk, "complete"), {"complete-note": "凭证 56 张"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == WorkStatus.DONE and item.completed_by == firm.staff.accountant
    assert item.note == "凭证 56 张"
    html = client.get(page(item.pk)).text
    assert "此项工作已完成。" in html
    # The timeline shows the item's own events.
    assert html.count("状态变更") >= 2 and "凭证 56 张" in html
    # Starting again is not offered, nor accepted.
    assert act(item.pk, "start") not in html
    assert client.post(act(item.pk, "start"), {}).status_code == 403


def test_completion_refused_shows_the_rule_before_and_after_trying(client, firm):
    review = _item(firm, WorkStep.REVIEW)
    login(client, firm, "head")
    html = client.get(page(review.pk)).text
    assert "做账完成后才能审核。" in html
    response = client.post(act(review.pk, "complete"), {})
    assert response.status_code == 422 and "做账完成后才能审核。" in response.text
    review.refresh_from_db()
    assert review.status == WorkStatus.TODO


def test_a_filing_records_zero_filing_or_tax(client, firm):
    TaxConfirmation.objects.create(
        item=_item(firm, WorkStep.TAX_ESTIMATE), status=ConfirmationStatus.CONFIRMED
    )
    vat = _item(firm, WorkStep.FILING, Filing.VAT)
    login(client, firm, "tax")
    html = client.get(page(vat.pk)).text
    assert "零申报" in html and "税额" in html
    response = client.post(
        act(vat.pk, "complete"), {"complete-zero_filing": "on", "complete-tax_amount": "12.00"}
    )
    assert response.status_code == 422 and "零申报的税额应为 0。" in response.text
    response = client.post(act(vat.pk, "complete"), {"complete-tax_amount": "1234.50"})
    assert response.status_code == 302
    vat.refresh_from_db()
    assert vat.status == WorkStatus.DONE and vat.tax_amount == Decimal("1234.50")
    assert not vat.zero_filing


def test_reopen_is_for_heads_and_needs_a_reason(client, firm):
    item = _item(firm, WorkStep.BOOKKEEPING)
    work_services.work_complete(item=item, by=firm.staff.accountant)
    login(client, firm, "accountant")
    assert act(item.pk, "reopen") not in client.get(page(item.pk)).text
    assert client.post(act(item.pk, "reopen"), {"reopen-reason": "x"}).status_code == 403
    login(client, firm, "head")
    response = client.post(act(item.pk, "reopen"), {"reopen-reason": ""})
    assert response.status_code == 422
    item.refresh_from_db()
    assert item.status == WorkStatus.DONE
    response = client.post(act(item.pk, "reopen"), {"reopen-reason": "凭证有误"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == WorkStatus.IN_PROGRESS
    assert AuditEvent.objects.filter(
        object_type="delivery.workitem", object_id=str(item.pk), detail="凭证有误"
    ).exists()


def test_reassign_to_active_staff_only(client, firm):
    item = _item(firm, WorkStep.BOOKKEEPING)
    gone = UserFactory(username="gone", department=firm.d1, roles=["accountant"], is_active=False)
    other = UserFactory(username="acc2", name="会计辛", department=firm.d1, roles=["accountant"])
    login(client, firm, "accountant")
    assert client.post(act(item.pk, "reassign"), {"reassign-assignee": other.pk}).status_code == 403
    login(client, firm, "head")
    response = client.post(act(item.pk, "reassign"), {"reassign-assignee": gone.pk})
    assert response.status_code == 422
    response = client.post(act(item.pk, "reassign"), {"reassign-assignee": other.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.assignee == other
    # The new assignee outside the client's team still reaches the step's page.
    client.force_login(other)
    assert client.get(page(item.pk)).status_code == 200


def test_override_is_offered_to_heads_for_an_unconfirmed_tax_return(client, firm):
    vat = _item(firm, WorkStep.FILING, Filing.VAT)
    statements = _item(firm, WorkStep.FILING, Filing.FINANCIAL_STATEMENTS)
    login(client, firm, "tax")
    html = client.get(page(vat.pk)).text
    assert act(vat.pk, "override") not in html and "客户尚未确认本期税款" in html
    assert (
        client.post(act(vat.pk, "override"), {"override-override_reason": "x"}).status_code == 403
    )
    login(client, firm, "head")
    assert act(statements.pk, "override") not in client.get(page(statements.pk)).text
    assert act(vat.pk, "override") in client.get(page(vat.pk)).text
    response = client.post(act(vat.pk, "override"), {"override-override_reason": ""})
    assert response.status_code == 422
    response = client.post(
        act(vat.pk, "override"), {"override-override_reason": "客户出差，电话无法接通"}
    )
    assert response.status_code == 302
    vat.refresh_from_db()
    assert vat.override_by == firm.staff.head and vat.override_reason == "客户出差，电话无法接通"
    html = client.get(page(vat.pk)).text
    assert act(vat.pk, "override") not in html and "客户出差，电话无法接通" in html
    # Now the filing may be completed by whoever files.
    login(client, firm, "tax")
    assert client.post(act(vat.pk, "complete"), {"complete-tax_amount": "10"}).status_code == 302
    assert AuditEvent.objects.filter(
        object_type="delivery.workitem", object_id=str(vat.pk), action="override"
    ).exists()


def test_an_unknown_action_is_404_and_get_is_refused(client, firm):
    item = _item(firm, WorkStep.BOOKKEEPING)
    login(client, firm, "accountant")
    assert client.post(act(item.pk, "explode"), {}).status_code == 404
    assert client.get(act(item.pk, "start")).status_code == 405
    login(client, firm, "outsider")
    assert client.post(act(item.pk, "start"), {}).status_code == 404


def test_page_query_count_is_bounded(client, firm, django_assert_max_num_queries):
    login(client, firm, "accountant")
    item = _item(firm, WorkStep.BOOKKEEPING)
    with django_assert_max_num_queries(30):
        client.get(page(item.pk))
