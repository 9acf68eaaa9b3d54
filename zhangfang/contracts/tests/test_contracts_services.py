"""Contract services: drafting from an accepted plan, every allowed and refused status move,
who may approve, the review comment, edits and locking, the signed scan, signing (bills and
notifications), activation, termination and renewal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from zhangfang.billing.models import Bill
from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.contracts.models import Contract, ContractStatus, PlanStatus
from zhangfang.contracts.services import contracts as services
from zhangfang.contracts.tests.contracts_support import (
    END,
    JPG_BYTES,
    NOW,
    PNG_BYTES,
    START,
    TODAY,
    TOTAL,
    accepted_version,
    contract_in,
    make_firm,
    scan,
)
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db

S = ContractStatus


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def firm():
    return make_firm()


def events(contract: Contract) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            anchor_type="contracts.contract", anchor_id=str(contract.pk)
        ).order_by("id")
    )


# -- drafting ---------------------------------------------------------------------------------


def test_draft_copies_the_accepted_plan_and_takes_the_first_number_of_the_year(firm):
    contract = services.contract_draft(
        plan_version=firm.version, template=firm.template, by=firm.staff.sales1
    )
    assert contract.number == "HT2026-0001"
    assert contract.status == S.DRAFT
    assert contract.client == firm.acme
    assert (contract.start_date, contract.end_date, contract.term_months) == (START, END, 12)
    assert contract.monthly_fee == Decimal("300.00")
    assert contract.one_off_total == Decimal("600.00")
    assert contract.total_amount == TOTAL
    # The payment term is frozen on the contract.
    assert contract.payment_term == firm.terms["quarterly"]
    assert contract.payment_cycle == "quarterly"
    assert contract.payment_due_days == firm.terms["quarterly"].due_days
    assert contract.owner == firm.staff.sales1
    assert contract.department == firm.d1
    assert [(line.name, line.amount) for line in contract.lines.all()] == [
        ("小规模纳税人代理记账", Decimal("3600.00")),
        ("建账费", Decimal("500.00")),
        ("账本费", Decimal("100.00")),
    ]
    # The body is the template with the facts filled in; no placeholder is left.
    assert "{{" not in contract.body
    assert "深圳市艾克米科技有限公司" in contract.body
    assert "91440300MA5G6XRQ3R" in contract.body
    assert "HT2026-0001" in contract.body
    assert "人民币肆仟贰佰元整" in contract.body
    assert "2027年1月1日" in contract.body and "2027年12月31日" in contract.body
    assert "每期应付服务费¥900.00" in contract.body
    assert [e.action for e in events(contract)] == ["create"]


def test_draft_keeps_the_accepted_figures_when_the_term_changes_later(firm):
    term = firm.terms["quarterly"]
    contract = services.contract_draft(
        plan_version=firm.version, template=firm.template, by=firm.staff.sales1
    )
    term.due_days = 30
    term.save()
    contract.refresh_from_db()
    assert contract.payment_due_days == 10


def test_numbers_follow_each_other_and_restart_each_year(firm, _clock):
    first = contract_in(firm, S.DRAFT)
    second = contract_in(firm, S.DRAFT, version=accepted_version(firm))
    _clock.move_to(dt.datetime(2027, 1, 1, 0, 30, tzinfo=NOW.tzinfo))
    third = contract_in(firm, S.DRAFT, version=accepted_version(firm))
    assert [first.number, second.number, third.number] == [
        "HT2026-0001",
        "HT2026-0002",
        "HT2027-0001",
    ]


def test_only_an_accepted_plan_can_be_drafted(firm):
    firm.version.plan.status = PlanStatus.SENT
    firm.version.plan.save()
    with pytest.raises(DomainError, match="客户已接受"):
        services.contract_draft(
            plan_version=firm.version, template=firm.template, by=firm.staff.sales1
        )
    assert not Contract.objects.exists()


def test_a_plan_version_is_drafted_once(firm):
    first = contract_in(firm, S.DRAFT)
    with pytest.raises(DomainError, match=first.number):
        contract_in(firm, S.DRAFT)


def test_a_refused_draft_gives_its_number_back(firm):
    firm.template.is_active = False
    firm.template.save()
    with pytest.raises(DomainError, match="停用"):
        contract_in(firm, S.DRAFT)
    firm.template.is_active = True
    firm.template.save()
    assert contract_in(firm, S.DRAFT).number == "HT2026-0001"


def test_accountants_cannot_draft(firm):
    with pytest.raises(DomainError):
        services.contract_draft(
            plan_version=firm.version, template=firm.template, by=firm.staff.acct1
        )


# -- the status moves -------------------------------------------------------------------------

ALL_MOVES = {
    S.PENDING: lambda firm, c: services.contract_submit(contract=c, by=firm.staff.sales1),
    S.APPROVED: lambda firm, c: services.contract_approve(contract=c, by=firm.staff.head1),
    S.RETURNED: lambda firm, c: services.contract_return(
        contract=c, comment="改一下", by=firm.staff.head1
    ),
    S.SIGNED: lambda firm, c: services.contract_sign(
        contract=c, signed_on=TODAY, scan=scan(), by=firm.staff.sales1
    ),
    S.ACTIVE: lambda firm, c: services.contract_activate(contract=c, today=START),
    S.EXPIRED: lambda firm, c: services.contract_expire(
        contract=c, today=END + dt.timedelta(days=1)
    ),
    S.TERMINATED: lambda firm, c: services.contract_terminate(
        contract=c, terminated_on=TODAY, reason="客户注销", by=firm.staff.head1
    ),
    S.CANCELLED: lambda firm, c: services.contract_cancel(
        contract=c, reason="客户暂不签约", by=firm.staff.sales1
    ),
}

ALLOWED = {
    (S.DRAFT, S.PENDING),
    (S.PENDING, S.APPROVED),
    (S.PENDING, S.RETURNED),
    (S.RETURNED, S.PENDING),
    (S.APPROVED, S.SIGNED),
    (S.SIGNED, S.ACTIVE),
    (S.SIGNED, S.TERMINATED),
    (S.ACTIVE, S.EXPIRED),
    (S.ACTIVE, S.TERMINATED),
    (S.DRAFT, S.CANCELLED),
    (S.RETURNED, S.CANCELLED),
}


def test_the_move_table_is_the_documented_one():
    table = {(a, b) for a, targets in services.CONTRACT_MOVES.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize("start", list(S.values))
@pytest.mark.parametrize("target", list(ALL_MOVES))
def test_every_move_from_every_state(firm, start, target):
    contract = contract_in(firm, start)
    if (start, target) in ALLOWED:
        moved = ALL_MOVES[target](firm, contract)
        assert moved.status == target
        assert Contract.objects.get(pk=contract.pk).status == target
        last = events(contract)[-1]
        assert last.action == "status"
        assert last.changes["status"][1] == str(S(target).label)
    else:
        with pytest.raises(TransitionNotAllowed):
            ALL_MOVES[target](firm, contract)
        assert Contract.objects.get(pk=contract.pk).status == start


# -- review -----------------------------------------------------------------------------------


def test_head_of_the_department_approves(firm):
    contract = contract_in(firm, S.PENDING)
    approved = services.contract_approve(contract=contract, by=firm.staff.head1, comment="同意")
    assert approved.reviewer == firm.staff.head1
    assert approved.review_comment == "同意"
    assert approved.reviewed_at is not None


def test_administrator_approves(firm):
    contract = contract_in(firm, S.PENDING)
    assert services.contract_approve(contract=contract, by=firm.staff.admin).status == S.APPROVED


@pytest.mark.parametrize("who", ["head2", "sales1", "sales2", "finance", "acct1"])
def test_others_cannot_approve(firm, who):
    contract = contract_in(firm, S.PENDING)
    with pytest.raises(DomainError):
        services.contract_approve(contract=contract, by=getattr(firm.staff, who))
    with pytest.raises(DomainError):
        services.contract_return(contract=contract, comment="不行", by=getattr(firm.staff, who))
    assert Contract.objects.get(pk=contract.pk).status == S.PENDING


def test_a_department_head_cannot_approve_a_contract_they_drafted(firm):
    version = accepted_version(firm)
    contract = services.contract_draft(
        plan_version=version, template=firm.template, by=firm.staff.head1
    )
    services.contract_submit(contract=contract, by=firm.staff.head1)
    with pytest.raises(DomainError, match="不能审核自己起草"):
        services.contract_approve(contract=contract, by=firm.staff.head1)
    assert services.contract_approve(contract=contract, by=firm.staff.admin).status == S.APPROVED


def test_an_administrator_cannot_approve_their_own_draft(firm):
    contract = services.contract_draft(
        plan_version=firm.version, template=firm.template, by=firm.staff.admin
    )
    services.contract_submit(contract=contract, by=firm.staff.admin)
    with pytest.raises(DomainError):
        services.contract_approve(contract=contract, by=firm.staff.admin)


def test_return_needs_a_comment_and_the_drafter_resubmits(firm, django_capture_on_commit_callbacks):
    contract = contract_in(firm, S.PENDING)
    with pytest.raises(DomainError, match="审核意见"):
        services.contract_return(contract=contract, comment="  ", by=firm.staff.head1)
    with django_capture_on_commit_callbacks(execute=True):
        returned = services.contract_return(
            contract=contract, comment="付款途径写清楚", by=firm.staff.head1
        )
    assert returned.review_comment == "付款途径写清楚"
    assert Notification.objects.filter(recipient=firm.staff.sales1, title__contains="退回").exists()
    services.contract_update_draft(
        contract=returned,
        data={"start_date": START, "payment_method": "银行转账", "body": returned.body},
        expected_version=returned.version,
        by=firm.staff.sales1,
    )
    assert services.contract_submit(contract=returned, by=firm.staff.sales1).status == S.PENDING


def test_submitting_tells_the_department_head(firm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contract_in(firm, S.PENDING)
    assert Notification.objects.filter(
        recipient=firm.staff.head1, title__contains="待审核"
    ).exists()
    assert not Notification.objects.filter(recipient=firm.staff.head2).exists()


def test_only_the_drafter_submits(firm):
    contract = contract_in(firm, S.DRAFT)
    with pytest.raises(DomainError):
        services.contract_submit(contract=contract, by=firm.staff.sales2)


# -- editing ----------------------------------------------------------------------------------


def test_edit_moves_the_end_date_with_the_start_and_can_rerender_the_body(firm):
    contract = contract_in(firm, S.DRAFT)
    edited = services.contract_update_draft(
        contract=contract,
        data={"start_date": dt.date(2027, 2, 1), "payment_method": "微信", "body": "手写正文"},
        expected_version=contract.version,
        by=firm.staff.sales1,
    )
    assert (edited.start_date, edited.end_date) == (dt.date(2027, 2, 1), dt.date(2028, 1, 31))
    assert edited.body == "手写正文"
    again = services.contract_update_draft(
        contract=edited,
        data={"start_date": dt.date(2027, 2, 1), "payment_method": "微信", "body": "手写正文"},
        expected_version=edited.version,
        by=firm.staff.sales1,
        regenerate_body=True,
    )
    assert "2028年1月31日" in again.body and "付款途径：微信" in again.body
    assert [e.action for e in events(contract)] == ["create", "update", "update"]


def test_a_stale_edit_is_refused(firm):
    contract = contract_in(firm, S.DRAFT)
    opened = contract.version
    data = {"start_date": START, "payment_method": "", "body": "A"}
    services.contract_update_draft(
        contract=contract, data=data, expected_version=opened, by=firm.staff.sales1
    )
    with pytest.raises(ConcurrentEditError):
        services.contract_update_draft(
            contract=contract,
            data={**data, "body": "B"},
            expected_version=opened,
            by=firm.staff.head1,
        )
    assert Contract.objects.get(pk=contract.pk).body == "A"


@pytest.mark.parametrize("status", [S.PENDING, S.APPROVED, S.SIGNED])
def test_no_edits_after_submission(firm, status):
    contract = contract_in(firm, status)
    with pytest.raises(TransitionNotAllowed):
        services.contract_update_draft(
            contract=contract,
            data={"start_date": START, "payment_method": "", "body": "x"},
            expected_version=contract.version,
            by=firm.staff.sales1,
        )


def test_a_colleague_cannot_edit(firm):
    contract = contract_in(firm, S.DRAFT)
    with pytest.raises(DomainError):
        services.contract_update_draft(
            contract=contract,
            data={"start_date": START, "payment_method": "", "body": "x"},
            expected_version=contract.version,
            by=firm.staff.sales2,
        )


# -- the signed scan --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [("a.pdf", b"%PDF-1.7 x"), ("a.PNG", PNG_BYTES), ("a.jpg", JPG_BYTES), ("a.jpeg", JPG_BYTES)],
)
def test_scan_types_accepted(name, content):
    assert services.validate_scan(scan(name, content)) == "." + name.rsplit(".", 1)[1].lower()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.docx", b"PK\x03\x04", "PDF、JPG 或 PNG"),
        ("a.pdf", b"MZ\x90\x00 not a pdf", "不符"),
        ("a.png", JPG_BYTES, "不符"),
        ("a.pdf", b"", "空文件"),
        ("a.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "10 MB"),
    ],
)
def test_scan_refused(name, content, message):
    with pytest.raises(Exception, match=message):
        services.validate_scan(scan(name, content))


def test_signing_with_a_bad_scan_changes_nothing(firm, django_capture_on_commit_callbacks):
    contract = contract_in(firm, S.APPROVED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError) as error:
        services.contract_sign(
            contract=contract, signed_on=TODAY, scan=scan("x.pdf", b"GIF89a"), by=firm.staff.sales1
        )
    assert error.value.field == "scan"
    contract.refresh_from_db()
    assert contract.status == S.APPROVED and not contract.signed_scan
    assert not Bill.objects.filter(contract=contract).exists()
    assert not Notification.objects.filter(title__contains="已签署").exists()


def test_signing_date_cannot_be_in_the_future(firm):
    contract = contract_in(firm, S.APPROVED)
    with pytest.raises(DomainError, match="晚于今天"):
        services.contract_sign(
            contract=contract,
            signed_on=TODAY + dt.timedelta(days=1),
            scan=scan(),
            by=firm.staff.sales1,
        )


# -- signing ----------------------------------------------------------------------------------


def test_signing_schedules_bills_and_tells_finance_and_the_service_team(
    firm, django_capture_on_commit_callbacks
):
    contract = contract_in(firm, S.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        signed = services.contract_sign(
            contract=contract, signed_on=TODAY, scan=scan(), by=firm.staff.sales1
        )
    assert signed.status == S.SIGNED  # starts 2027-01-01: not in force yet
    assert signed.signed_on == TODAY
    assert signed.signed_scan.name.endswith("HT2026-0001-signed.pdf")
    assert Bill.objects.filter(contract=signed).exists()
    s = firm.staff
    told = set(
        Notification.objects.filter(title__contains="已签署").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"finance", "finance2", "acct1", "tax1", "cs1", "head1"}
    note = Notification.objects.get(recipient=s.finance, title__contains="已签署")
    assert note.url == f"/contracts/{signed.pk}/"


def test_signing_a_contract_whose_start_has_come_activates_it(firm, _clock):
    prospect = ClientFactory(
        status=ClientStatus.PROSPECT, department=firm.d1, sales_owner=firm.staff.sales1
    )
    version = accepted_version(firm, client=prospect)
    contract = services.contract_draft(
        plan_version=version, template=firm.template, by=firm.staff.sales1
    )
    services.contract_submit(contract=contract, by=firm.staff.sales1)
    services.contract_approve(contract=contract, by=firm.staff.head1)
    _clock.move_to(dt.datetime(2027, 1, 5, 9, 0, tzinfo=NOW.tzinfo))
    signed = services.contract_sign(
        contract=contract, signed_on=dt.date(2027, 1, 5), scan=scan(), by=firm.staff.sales1
    )
    assert signed.status == S.ACTIVE
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.ACTIVE
    assert AuditEvent.objects.filter(
        object_type="clients.client", object_id=str(prospect.pk), action="status"
    ).exists()


def test_only_owner_head_or_admin_sign(firm):
    contract = contract_in(firm, S.APPROVED)
    for who in ("sales2", "head2", "finance", "acct1"):
        with pytest.raises(DomainError):
            services.contract_sign(
                contract=contract, signed_on=TODAY, scan=scan(), by=getattr(firm.staff, who)
            )
    assert (
        services.contract_sign(
            contract=contract, signed_on=TODAY, scan=scan(), by=firm.staff.head1
        ).status
        == S.SIGNED
    )


def test_activation_waits_for_the_start_date(firm):
    contract = contract_in(firm, S.SIGNED)
    with pytest.raises(TransitionNotAllowed, match="未到"):
        services.contract_activate(contract=contract, today=START - dt.timedelta(days=1))


# -- termination ------------------------------------------------------------------------------


def test_termination_needs_reason_date_and_a_head(firm):
    contract = contract_in(firm, S.ACTIVE)
    with pytest.raises(DomainError, match="终止原因"):
        services.contract_terminate(
            contract=contract, terminated_on=TODAY, reason=" ", by=firm.staff.head1
        )
    with pytest.raises(DomainError, match="终止日期"):
        services.contract_terminate(
            contract=contract, terminated_on=None, reason="注销", by=firm.staff.head1
        )
    with pytest.raises(DomainError):
        services.contract_terminate(
            contract=contract, terminated_on=TODAY, reason="注销", by=firm.staff.sales1
        )
    with pytest.raises(DomainError):
        services.contract_terminate(
            contract=contract, terminated_on=TODAY, reason="注销", by=firm.staff.head2
        )
    with pytest.raises(DomainError, match="晚于合同终止日期"):
        services.contract_terminate(
            contract=contract,
            terminated_on=END + dt.timedelta(days=1),
            reason="注销",
            by=firm.staff.head1,
        )
    ended = services.contract_terminate(
        contract=contract, terminated_on=dt.date(2027, 6, 30), reason="注销", by=firm.staff.admin
    )
    assert (ended.status, ended.terminated_on, ended.termination_reason) == (
        S.TERMINATED,
        dt.date(2027, 6, 30),
        "注销",
    )
    assert events(contract)[-1].detail == "注销"


def test_termination_stops_the_bills_of_later_periods(firm):
    from zhangfang.billing.models import Bill, BillStatus

    contract = contract_in(firm, S.ACTIVE)
    assert Bill.objects.filter(contract=contract, status=BillStatus.SCHEDULED).exists()
    services.contract_terminate(
        contract=contract, terminated_on=dt.date(2027, 6, 30), reason="注销", by=firm.staff.admin
    )
    later = Bill.objects.filter(contract=contract, period_start__gt=dt.date(2027, 6, 30))
    assert later.exists()
    assert set(later.values_list("status", flat=True)) == {BillStatus.VOID}
    assert not Bill.objects.filter(
        contract=contract, period_start__lte=dt.date(2027, 6, 30), status=BillStatus.VOID
    ).exists()


# -- renewal ----------------------------------------------------------------------------------


def test_renewal_is_a_new_linked_draft_starting_after_the_end(firm):
    contract = contract_in(firm, S.ACTIVE)
    renewal = services.contract_renew(contract=contract, by=firm.staff.sales1)
    assert renewal.renewed_from == contract
    assert renewal.number == "HT2026-0002"
    assert renewal.status == S.DRAFT
    assert (renewal.start_date, renewal.end_date) == (dt.date(2028, 1, 1), dt.date(2028, 12, 31))
    assert renewal.term_months == 12
    assert renewal.total_amount == contract.total_amount
    assert renewal.payment_cycle == contract.payment_cycle
    assert [line.name for line in renewal.lines.all()] == [
        line.name for line in contract.lines.all()
    ]
    assert "2028年1月1日" in renewal.body
    assert "续签自 HT2026-0001" in events(renewal)[0].detail


def test_only_one_open_renewal(firm):
    contract = contract_in(firm, S.ACTIVE)
    first = services.contract_renew(contract=contract, by=firm.staff.sales1)
    with pytest.raises(DomainError, match=first.number):
        services.contract_renew(contract=contract, by=firm.staff.sales1)


@pytest.mark.parametrize("status", [S.DRAFT, S.PENDING, S.APPROVED, S.TERMINATED])
def test_renewal_needs_a_signed_contract(firm, status):
    contract = contract_in(firm, status)
    with pytest.raises(TransitionNotAllowed):
        services.contract_renew(contract=contract, by=firm.staff.sales1)


def test_colleague_cannot_renew(firm):
    contract = contract_in(firm, S.ACTIVE)
    with pytest.raises(DomainError):
        services.contract_renew(contract=contract, by=firm.staff.sales2)


# -- cancelling a draft -----------------------------------------------------------------------


def test_an_abandoned_draft_is_cancelled_with_a_reason_and_frees_the_plan(firm):
    from zhangfang.contracts.selectors.contracts import open_contract_for_plan_version

    contract = contract_in(firm, S.DRAFT)
    with pytest.raises(DomainError, match="作废原因"):
        services.contract_cancel(contract=contract, reason=" ", by=firm.staff.sales1)
    with pytest.raises(DomainError):
        services.contract_cancel(contract=contract, reason="客户不签了", by=firm.staff.head2)
    cancelled = services.contract_cancel(
        contract=contract, reason="客户不签了", by=firm.staff.sales1
    )
    assert cancelled.status == S.CANCELLED
    assert events(contract)[-1].detail == "客户不签了"
    assert open_contract_for_plan_version(contract.plan_version) is None
    again = services.contract_draft(
        plan_version=contract.plan_version, template=contract.template, by=firm.staff.sales1
    )
    assert again.number != contract.number


def test_only_drafts_and_returned_contracts_can_be_cancelled(firm):
    for status in (S.PENDING, S.APPROVED, S.SIGNED, S.ACTIVE):
        contract = contract_in(firm, status, version=accepted_version(firm))
        with pytest.raises(TransitionNotAllowed):
            services.contract_cancel(contract=contract, reason="不要了", by=firm.staff.admin)
