"""The rules a step's completion must meet, the allowed moves and bulk updates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import (
    ConfirmationStatus,
    Filing,
    Handover,
    HandoverLine,
    TaxConfirmation,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services import work as services
from zhangfang.delivery.services.generation import work_generate
from zhangfang.delivery.tests.support import make_firm
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)


@pytest.fixture
def firm():
    firm = make_firm()
    work_generate(period=NOV)
    return firm


def _item(firm, step, filing=""):
    return WorkItem.objects.get(client=firm.acme, period=NOV, step=step, filing=filing)


def _confirm_tax(firm):
    estimate = _item(firm, WorkStep.TAX_ESTIMATE)
    TaxConfirmation.objects.create(item=estimate, status=ConfirmationStatus.CONFIRMED)


def test_review_is_refused_to_the_person_who_did_the_bookkeeping(firm):
    services.work_complete(item=_item(firm, WorkStep.BOOKKEEPING), by=firm.staff.accountant)
    review = _item(firm, WorkStep.REVIEW)
    with pytest.raises(DomainError, match="做账人以外"):
        services.work_complete(item=review, by=firm.staff.accountant)
    assert _item(firm, WorkStep.REVIEW).status == WorkStatus.TODO
    services.work_complete(item=review, by=firm.staff.head)
    assert _item(firm, WorkStep.REVIEW).completed_by == firm.staff.head


def test_review_waits_for_the_bookkeeping(firm):
    with pytest.raises(DomainError, match="做账完成后"):
        services.work_complete(item=_item(firm, WorkStep.REVIEW), by=firm.staff.head)


def test_receipts_need_a_handover_list_confirmed_by_both_sides(firm):
    receipts = _item(firm, WorkStep.RECEIPTS)
    with pytest.raises(DomainError, match="交接清单"):
        services.work_complete(item=receipts, by=firm.staff.service)
    handover = Handover.objects.create(item=receipts)
    HandoverLine.objects.create(
        handover=handover, document_type="sales", quantity=12, received_on=dt.date(2026, 12, 2)
    )
    with pytest.raises(DomainError, match="双方确认"):
        services.work_complete(item=receipts, by=firm.staff.service)
    handover.firm_confirmed_at = handover.client_confirmed_at = dt.datetime(
        2026, 12, 2, 10, tzinfo=dt.UTC
    )
    handover.save()
    services.work_complete(item=receipts, by=firm.staff.service)
    assert _item(firm, WorkStep.RECEIPTS).status == WorkStatus.DONE


def test_a_tax_return_waits_for_the_clients_confirmation(firm):
    filing = _item(firm, WorkStep.FILING, Filing.INDIVIDUAL_INCOME_TAX)
    with pytest.raises(DomainError, match="客户尚未确认"):
        services.work_complete(item=filing, by=firm.staff.tax)
    _confirm_tax(firm)
    services.work_complete(
        item=filing, by=firm.staff.tax, zero_filing=False, tax_amount=Decimal("1234.5")
    )
    done = _item(firm, WorkStep.FILING, Filing.INDIVIDUAL_INCOME_TAX)
    assert done.status == WorkStatus.DONE
    assert done.tax_amount == Decimal("1234.50")


def test_a_head_may_let_a_return_be_filed_before_confirmation_with_a_reason(firm):
    filing = _item(firm, WorkStep.FILING, Filing.INDIVIDUAL_INCOME_TAX)
    with pytest.raises(DomainError, match="部门负责人"):
        services.filing_override(item=filing, reason="客户出差，电话已口头确认", by=firm.staff.tax)
    with pytest.raises(DomainError, match="理由"):
        services.filing_override(item=filing, reason="  ", by=firm.staff.head)
    services.filing_override(item=filing, reason="客户出差，电话已口头确认", by=firm.staff.head)
    services.work_complete(item=filing, by=firm.staff.tax, zero_filing=True)
    done = _item(firm, WorkStep.FILING, Filing.INDIVIDUAL_INCOME_TAX)
    assert done.zero_filing and done.override_by == firm.staff.head
    assert AuditEvent.objects.filter(
        action="override", object_type="delivery.workitem", object_id=str(done.pk)
    ).exists()


def test_statements_are_filed_without_a_tax_confirmation(firm):
    firm.acme.taxpayer_type = "general"
    firm.acme.save()
    work_generate(period=dt.date(2026, 12, 1))
    statements = WorkItem.objects.get(
        client=firm.acme, period=dt.date(2026, 12, 1), filing=Filing.FINANCIAL_STATEMENTS
    )
    services.work_complete(item=statements, by=firm.staff.tax)


def test_a_zero_return_cannot_carry_tax(firm):
    _confirm_tax(firm)
    filing = _item(firm, WorkStep.FILING, Filing.INDIVIDUAL_INCOME_TAX)
    with pytest.raises(DomainError, match="零申报"):
        services.work_complete(
            item=filing, by=firm.staff.tax, zero_filing=True, tax_amount=Decimal("10")
        )


def test_only_the_team_and_heads_work_a_step(firm):
    with pytest.raises(DomainError, match="不负责"):
        services.work_start(item=_item(firm, WorkStep.BOOKKEEPING), by=firm.staff.outsider)
    with pytest.raises(DomainError, match="不负责"):
        services.work_start(item=_item(firm, WorkStep.BOOKKEEPING), by=firm.staff.head2)


def test_reopening_is_for_heads_and_needs_a_reason(firm):
    item = services.work_complete(item=_item(firm, WorkStep.BOOKKEEPING), by=firm.staff.accountant)
    with pytest.raises(DomainError):
        services.work_reopen(item=item, reason="凭证有误", by=firm.staff.accountant)
    with pytest.raises(DomainError, match="原因"):
        services.work_reopen(item=item, reason="", by=firm.staff.head)
    reopened = services.work_reopen(item=item, reason="凭证有误", by=firm.staff.head)
    assert reopened.status == WorkStatus.IN_PROGRESS and reopened.completed_at is None


def test_a_cancelled_step_cannot_move(firm):
    item = _item(firm, WorkStep.ARCHIVE)
    WorkItem.objects.filter(pk=item.pk).update(status=WorkStatus.CANCELLED)
    with pytest.raises(TransitionNotAllowed):
        services.work_start(item=item, by=firm.staff.accountant)


def test_reassigning_needs_a_head_and_an_active_colleague(firm):
    item = _item(firm, WorkStep.BOOKKEEPING)
    other = UserFactory(department=firm.d1, roles=["accountant"])
    with pytest.raises(DomainError):
        services.work_reassign(item=item, to=other, by=firm.staff.accountant)
    gone = UserFactory(department=firm.d1, roles=["accountant"], is_active=False)
    with pytest.raises(DomainError):
        services.work_reassign(item=item, to=gone, by=firm.staff.head)
    assert services.work_reassign(item=item, to=other, by=firm.staff.head).assignee == other


def test_bulk_update_is_all_or_nothing(firm):
    bookkeeping = _item(firm, WorkStep.BOOKKEEPING)
    statements = _item(firm, WorkStep.STATEMENTS)
    review = _item(firm, WorkStep.REVIEW)
    services.work_complete(item=bookkeeping, by=firm.staff.accountant)
    # The accountant may not complete the review of their own bookkeeping: the batch is refused
    # and the statements step stays open.
    with pytest.raises(DomainError, match="审核"):
        services.work_bulk_update(
            items=[statements, review], action="complete", by=firm.staff.accountant
        )
    assert _item(firm, WorkStep.STATEMENTS).status == WorkStatus.TODO
    count = services.work_bulk_update(
        items=[statements, _item(firm, WorkStep.ARCHIVE)], action="start", by=firm.staff.accountant
    )
    assert count == 2
    assert _item(firm, WorkStep.STATEMENTS).status == WorkStatus.IN_PROGRESS


def test_on_time_is_judged_on_the_local_date(firm):
    item = _item(firm, WorkStep.BOOKKEEPING)
    # 15:30 UTC is 23:30 in Shanghai on the deadline: on time. 16:30 UTC is 00:30 the next day
    # in Shanghai: late, although it is still the deadline's date in UTC.
    item.status = WorkStatus.DONE
    item.completed_at = dt.datetime.combine(item.due_on, dt.time(15, 30), tzinfo=dt.UTC)
    assert item.on_time is True
    item.completed_at = dt.datetime.combine(item.due_on, dt.time(16, 30), tzinfo=dt.UTC)
    assert item.on_time is False
