"""Generating a period's work: what each client gets, deadlines, idempotence, start and stop."""

from __future__ import annotations

import datetime as dt

import pytest

from zhangfang.clients.models import ClientStatus, TaxpayerType
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.contracts.models import ContractStatus
from zhangfang.core.calendar import is_working_day
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import Filing, ServiceScope, WorkItem, WorkStatus, WorkStep
from zhangfang.delivery.services.generation import plan_period, work_generate
from zhangfang.delivery.tests.support import make_firm

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)


def _keys(client, period):
    return sorted((i.step, i.filing) for i in WorkItem.objects.filter(client=client, period=period))


def test_a_small_taxpayer_files_vat_quarterly_and_income_tax_monthly():
    firm = make_firm()
    firm.acme.taxpayer_type = TaxpayerType.SMALL
    firm.acme.save()
    work_generate(period=NOV)
    work_generate(period=DEC)
    nov_filings = {f for s, f in _keys(firm.acme, NOV) if s == WorkStep.FILING}
    dec_filings = {f for s, f in _keys(firm.acme, DEC) if s == WorkStep.FILING}
    assert nov_filings == {Filing.INDIVIDUAL_INCOME_TAX}
    assert dec_filings == {
        Filing.VAT,
        Filing.INDIVIDUAL_INCOME_TAX,
        Filing.CORPORATE_INCOME_TAX,
        Filing.STAMP_DUTY,
        Filing.FINANCIAL_STATEMENTS,
    }


def test_a_general_taxpayer_files_vat_and_statements_every_month():
    firm = make_firm()
    firm.acme.taxpayer_type = TaxpayerType.GENERAL
    firm.acme.save()
    work_generate(period=NOV)
    filings = {f for s, f in _keys(firm.acme, NOV) if s == WorkStep.FILING}
    assert filings == {Filing.VAT, Filing.INDIVIDUAL_INCOME_TAX, Filing.FINANCIAL_STATEMENTS}


def test_steps_are_assigned_to_the_team_and_review_to_the_department_head():
    firm = make_firm()
    work_generate(period=NOV)
    by_step = {
        (i.step, i.filing): i.assignee
        for i in WorkItem.objects.filter(client=firm.acme, period=NOV)
    }
    assert by_step[(WorkStep.BOOKKEEPING, "")] == firm.staff.accountant
    assert by_step[(WorkStep.REVIEW, "")] == firm.staff.head
    assert by_step[(WorkStep.FILING, Filing.INDIVIDUAL_INCOME_TAX)] == firm.staff.tax
    assert by_step[(WorkStep.RECEIPTS, "")] == firm.staff.service


def test_filing_is_due_on_the_official_deadline_and_earlier_steps_count_working_days_back():
    firm = make_firm()
    # October 2026's returns are filed in November: the 2026 table is not shipped, so the rule
    # gives the 16th (the 15th is a Sunday).
    work_generate(period=dt.date(2026, 10, 1))
    items = {
        (i.step, i.filing): i.due_on
        for i in WorkItem.objects.filter(client=firm.acme, period=dt.date(2026, 10, 1))
    }
    assert items[(WorkStep.FILING, Filing.INDIVIDUAL_INCOME_TAX)] == dt.date(2026, 11, 16)
    # Five working days before Monday 16 November: Monday 9 November.
    assert items[(WorkStep.BOOKKEEPING, "")] == dt.date(2026, 11, 9)


def _due(period, taxpayer_type=TaxpayerType.GENERAL):
    return {
        (p.step, p.filing): p.due_on
        for p in plan_period(period, taxpayer_type=taxpayer_type, scope=ServiceScope())
    }


def test_spring_festival_moves_the_deadline_and_the_steps_skip_it_and_count_make_up_days():
    # January 2026's returns are filed in February 2026. 春节 runs 15–23 February; Saturday 14
    # and Saturday 28 February are make-up working days. Within days 1–15 the only rest day of
    # the holiday run is the 15th (one day: no extension), so the deadline is the next working
    # day after the 15th: Tuesday 24 February.
    due = _due(dt.date(2026, 1, 1))
    assert due[(WorkStep.FILING, Filing.VAT)] == dt.date(2026, 2, 24)
    # Counting back 7 working days from the 24th: 14 (the make-up Saturday), 13, 12, 11, 10, 9,
    # 6 — the holiday is skipped and the make-up day counts.
    assert due[(WorkStep.RECEIPTS, "")] == dt.date(2026, 2, 6)
    assert due[(WorkStep.BOOKKEEPING, "")] == dt.date(2026, 2, 10)
    assert due[(WorkStep.TAX_ESTIMATE, "")] == dt.date(2026, 2, 13)
    # 归档, 10 working days after: 25, 26, 27, 28 (make-up), 2 March … 9 March.
    assert due[(WorkStep.ARCHIVE, "")] == dt.date(2026, 3, 9)
    assert all(is_working_day(day) for day in due.values())


def test_national_day_extends_the_october_deadline_by_working_days():
    # September 2026's returns are filed in October 2026. The holiday runs 1–7 October, seven
    # rest days within days 1–15 including statutory holidays, so the deadline is the 7th
    # working day after the 15th: 16, 19, 20, 21, 22, 23, 26 → Monday 26 October.
    due = _due(dt.date(2026, 9, 1), TaxpayerType.SMALL)
    assert due[(WorkStep.FILING, Filing.VAT)] == dt.date(2026, 10, 26)
    assert due[(WorkStep.FILING, Filing.CORPORATE_INCOME_TAX)] == dt.date(2026, 10, 26)
    assert due[(WorkStep.RECEIPTS, "")] == dt.date(2026, 10, 15)
    assert due[(WorkStep.NOTIFY, "")] == dt.date(2026, 10, 29)


def test_generation_is_idempotent():
    make_firm()
    first = work_generate(period=NOV)
    count = WorkItem.objects.count()
    second = work_generate(period=NOV)
    assert first.created == count > 0
    assert second.created == 0
    assert WorkItem.objects.count() == count
    # One audit event for the run that did something, none for the one that did not.
    assert AuditEvent.objects.filter(action="generate").count() == 1


def test_scope_turns_off_bookkeeping_and_returns():
    firm = make_firm()
    ServiceScope.objects.create(
        client=firm.acme, bookkeeping=False, corporate_income_tax=False, stamp_duty=False
    )
    work_generate(period=NOV)
    steps = {s for s, _ in _keys(firm.acme, NOV)}
    assert WorkStep.BOOKKEEPING not in steps and WorkStep.ARCHIVE not in steps
    assert WorkStep.FILING in steps


def test_january_adds_the_annual_work_with_its_window():
    firm = make_firm()
    work_generate(period=dt.date(2027, 1, 1))
    annual = {
        i.filing: (i.opens_on, i.due_on)
        for i in WorkItem.objects.filter(client=firm.acme, step=WorkStep.ANNUAL)
    }
    assert annual[Filing.ANNUAL_SETTLEMENT] == (dt.date(2027, 1, 1), dt.date(2027, 5, 31))
    assert annual[Filing.ANNUAL_REPORT] == (dt.date(2027, 1, 1), dt.date(2027, 6, 30))
    assert Filing.ANNUAL_IIT not in annual  # an add-on the client did not take


def test_only_clients_in_service_get_work():
    firm = make_firm()
    ClientFactory(status=ClientStatus.SUSPENDED, department=firm.d1)
    ClientFactory(status=ClientStatus.PROSPECT, department=firm.d1)
    result = work_generate(period=NOV)
    assert result.clients == 1
    assert set(WorkItem.objects.values_list("client_id", flat=True)) == {firm.acme.pk}


def _contract(client, start, end, status=ContractStatus.ACTIVE, terminated_on=None):
    from zhangfang.contracts.tests.factories import ContractFactory

    return ContractFactory(
        client=client,
        start_date=start,
        end_date=end,
        status=status,
        terminated_on=terminated_on,
    )


def test_a_client_starting_mid_month_gets_that_month_and_one_stopping_mid_month_does_not():
    firm = make_firm()
    starter = ClientFactory(department=firm.d1, accountant=firm.staff.accountant)
    _contract(starter, dt.date(2026, 11, 16), dt.date(2027, 11, 15))
    _contract(firm.acme, dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    work_generate(period=NOV)
    assert WorkItem.objects.filter(client=starter, period=NOV).exists()
    assert WorkItem.objects.filter(client=firm.acme, period=NOV).exists()
    # The December contract has not started for acme: no December work.
    work_generate(period=DEC)
    assert not WorkItem.objects.filter(client=firm.acme, period=DEC).exists()
    assert WorkItem.objects.filter(client=starter, period=DEC).exists()


def test_stopping_mid_period_cancels_the_untouched_work_and_keeps_the_started():
    firm = make_firm()
    contract = _contract(firm.acme, dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    work_generate(period=NOV)
    started = WorkItem.objects.get(client=firm.acme, period=NOV, step=WorkStep.RECEIPTS)
    started.status = WorkStatus.IN_PROGRESS
    started.save()
    contract.status = ContractStatus.TERMINATED
    contract.terminated_on = dt.date(2026, 11, 20)
    contract.save()
    result = work_generate(period=NOV)
    assert result.cancelled > 0
    statuses = set(
        WorkItem.objects.filter(client=firm.acme, period=NOV).values_list("status", flat=True)
    )
    assert statuses == {WorkStatus.CANCELLED, WorkStatus.IN_PROGRESS}
    assert work_generate(period=NOV).cancelled == 0
