"""Service plan services: pricing from the price list, versions, the client's link (send,
expiry, tampering), the client's answer, allowed moves, notifications and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import signing

from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.contracts import pricing
from zhangfang.contracts.models import PlanResponse, PlanStatus, ServicePlanVersion
from zhangfang.contracts.selectors import plans as selectors
from zhangfang.contracts.services import plans as services
from zhangfang.contracts.tests.plans_support import (
    NOW,
    START,
    make_firm,
    make_plan,
    plan_terms,
    sent_plan,
)
from zhangfang.core import policy
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_firm()


def latest(plan) -> ServicePlanVersion:
    return plan.versions.order_by("-number").first()


# -- create and revise -------------------------------------------------------------------------


def test_a_plan_is_priced_from_the_price_list_like_the_quote(firm):
    addon = firm.prices["annual_report"]
    plan = make_plan(
        firm,
        payment_term=firm.terms["annual_discount"],
        include_setup=True,
        addons=[addon],
    )
    expected = pricing.quote(
        taxpayer_type="small",
        industry="I",
        monthly_vouchers=50,
        payment_term=firm.terms["annual_discount"],
        term_months=12,
        addons=[addon],
        include_setup=True,
        on=START,
    )
    assert plan.status == PlanStatus.DRAFT
    assert plan.owner == firm.staff.sales1 and plan.department == firm.d1
    version = plan.versions.get()
    assert version.number == 1 and version.created_by == firm.staff.sales1
    assert [line.name for line in version.lines.all()] == [line.name for line in expected.lines]
    assert [line.name for line in version.lines.all()] == [
        "小规模纳税人代理记账",
        "建账费",
        "账本费",
        "工商年报",
    ]
    # ¥300 × 12 less 10% = ¥3,240, plus 建账费 ¥500, 账本费 ¥100 and 工商年报 ¥300.
    assert version.monthly_fee == Decimal("300.00")
    assert version.one_off_total == Decimal("900.00")
    assert version.discount_total == Decimal("360.00")
    assert version.total == expected.total == Decimal("4140.00")
    figures = selectors.version_figures(version)
    assert figures.first_bill == expected.first_bill == Decimal("4140.00")
    assert figures.cycles == 1


def test_the_price_in_force_on_the_start_date_applies(firm):
    # A price rise published for 2027 applies to a plan starting in 2027.
    small = firm.prices["small"]
    small.effective_to = dt.date(2026, 12, 31)
    small.save()
    small.pk = None
    small.amount = Decimal(350)
    small.effective_from = dt.date(2027, 1, 1)
    small.effective_to = None
    small.save()
    assert latest(make_plan(firm)).monthly_fee == Decimal("350.00")
    assert latest(make_plan(firm, start_date=dt.date(2026, 12, 1))).monthly_fee == Decimal("300.00")


def test_create_is_audited_on_the_clients_history(firm):
    plan = make_plan(firm)
    event = AuditEvent.objects.get(action="create", object_type="contracts.serviceplanversion")
    assert (event.anchor_type, event.anchor_id) == ("clients.client", str(firm.acme.pk))
    assert event.actor == firm.staff.sales1
    assert plan.title in event.object_repr
    assert "小规模纳税人代理记账" in event.detail
    assert event.changes["total"] == [None, "3700.00"]


def test_terms_the_price_list_cannot_price_are_refused(firm):
    with pytest.raises(DomainError, match="整数倍"):
        make_plan(firm, payment_term=firm.terms["annual_discount"], term_months=18)
    with pytest.raises(DomainError, match="没有适用于"):
        make_plan(
            firm, taxpayer_type="general", monthly_vouchers=100, start_date=dt.date(2019, 1, 1)
        )
    assert not AuditEvent.objects.filter(object_type="contracts.serviceplanversion").exists()


@pytest.mark.parametrize("status", [ClientStatus.SUSPENDED, ClientStatus.TERMINATED])
def test_no_plan_for_a_client_out_of_service(firm, status):
    gone = ClientFactory(status=status, department=firm.d1, sales_owner=firm.staff.sales1)
    with pytest.raises(DomainError, match="不能新建服务方案"):
        make_plan(firm, client=gone)


def test_a_draft_never_sent_is_revised_in_place(firm):
    plan = make_plan(firm)
    version = services.plan_revise(
        plan=plan,
        terms=plan_terms(firm, include_setup=True, content="新的服务内容"),
        by=firm.staff.sales1,
        expected_version=plan.version,
    )
    assert plan.versions.count() == 1 and version.number == 1
    version.refresh_from_db()
    assert version.content == "新的服务内容"
    assert [line.name for line in version.lines.all()] == [
        "小规模纳税人代理记账",
        "建账费",
        "账本费",
    ]
    assert version.total == Decimal("4200.00")
    event = AuditEvent.objects.filter(action="update").get()
    assert event.changes["content"] == ["代理记账、纳税申报、财务报表", "新的服务内容"]


def test_a_revision_based_on_a_stale_page_is_refused(firm):
    plan = make_plan(firm)
    opened = plan.version
    services.plan_revise(plan=plan, terms=plan_terms(firm), by=firm.staff.sales1)
    with pytest.raises(ConcurrentEditError):
        services.plan_revise(
            plan=plan, terms=plan_terms(firm), by=firm.staff.sales2, expected_version=opened
        )


# -- sending and the link ----------------------------------------------------------------------


def test_send_gives_a_link_valid_for_the_policy_days(firm):
    plan, token = sent_plan(firm)
    plan.refresh_from_db()
    version = latest(plan)
    assert plan.status == PlanStatus.SENT
    assert version.sent_at == NOW
    assert version.expires_at == NOW + dt.timedelta(days=14)
    assert services.plan_from_token(token) == version
    event = AuditEvent.objects.get(action="status")
    assert event.anchor_id == str(firm.acme.pk) and event.detail == "发送给客户确认"


def test_the_link_days_are_a_setting(firm):
    policy.policy_value_set(key="contracts.plan_link_days", raw="3", by=firm.staff.admin)
    plan, _token = sent_plan(firm)
    assert latest(plan).expires_at == NOW + dt.timedelta(days=3)


def test_the_link_expires(firm, _clock):
    _plan, token = sent_plan(firm)
    _clock.shift(dt.timedelta(days=14, seconds=-1))
    assert services.plan_from_token(token)
    _clock.shift(dt.timedelta(seconds=1))
    with pytest.raises(services.PlanLinkExpired):
        services.plan_from_token(token)


def test_sending_again_renews_the_same_link(firm, _clock):
    plan, token = sent_plan(firm)
    _clock.shift(dt.timedelta(days=20))
    with pytest.raises(services.PlanLinkExpired):
        services.plan_from_token(token)
    again = services.plan_send(plan=plan, by=firm.staff.sales1)
    assert again == token
    version = services.plan_from_token(token)
    assert version.sent_at == NOW  # still the first sending
    assert version.expires_at == NOW + dt.timedelta(days=34)
    assert plan.versions.count() == 1


def test_a_tampered_or_unknown_link_is_refused(firm):
    plan, token = sent_plan(firm)
    value, signature = token.rsplit(":", 1)
    for bad in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        f"{value}x:{signature}",
        "rubbish",
        signing.Signer(salt=services.TOKEN_SALT).sign_object(latest(plan).pk + 1000),
        signing.Signer(salt=services.TOKEN_SALT).sign_object("1"),
        # The right id signed for another purpose is not a plan link.
        signing.Signer(salt="something-else").sign_object(latest(plan).pk),
        signing.dumps(latest(plan).pk),
    ):
        with pytest.raises(services.PlanLinkInvalid):
            services.plan_from_token(bad)


def test_a_version_never_sent_has_no_working_link(firm):
    plan = make_plan(firm)
    with pytest.raises(services.PlanLinkInvalid):
        services.plan_from_token(services.plan_token(latest(plan)))


# -- the client's answer -----------------------------------------------------------------------


def test_the_client_accepts_and_the_owner_is_told(firm, django_capture_on_commit_callbacks):
    plan, token = sent_plan(firm)
    version = services.plan_from_token(token)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_respond(
            version=version, response=PlanResponse.ACCEPTED, comment="", responder_name=" 王总 "
        )
    plan.refresh_from_db()
    version.refresh_from_db()
    assert plan.status == PlanStatus.ACCEPTED
    assert (version.response, version.responder_name, version.responded_at) == (
        PlanResponse.ACCEPTED,
        "王总",
        NOW,
    )
    note = Notification.objects.get()
    assert note.recipient == firm.staff.sales1
    assert "已接受" in note.title and note.url == f"/contracts/plans/{plan.pk}/"
    event = AuditEvent.objects.get(action="status", actor_name__contains="王总")
    assert event.actor is None and "王总" in event.detail
    assert event.anchor_id == str(firm.acme.pk)
    assert services.link_state(services.plan_from_token(token)) == services.LINK_ANSWERED


def test_nothing_is_sent_when_the_answer_is_rolled_back(firm, django_capture_on_commit_callbacks):
    _plan, token = sent_plan(firm)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.plan_respond(
            version=services.plan_from_token(token),
            response=PlanResponse.ACCEPTED,
            comment="",
            responder_name="王总",
        )
    # The notice waits for the commit.
    assert len(callbacks) == 1 and not Notification.objects.exists()


def test_answering_twice_is_refused_even_from_a_stale_page(firm):
    _plan, token = sent_plan(firm)
    first = services.plan_from_token(token)
    second = services.plan_from_token(token)  # a double submit: both loaded before either saved
    services.plan_respond(
        version=first, response=PlanResponse.ACCEPTED, comment="", responder_name="王总"
    )
    with pytest.raises(TransitionNotAllowed, match="不能重复答复"):
        services.plan_respond(
            version=second,
            response=PlanResponse.CHANGES_REQUESTED,
            comment="再便宜点",
            responder_name="李会计",
        )
    version = ServicePlanVersion.objects.get()
    assert version.response == PlanResponse.ACCEPTED and version.responder_name == "王总"
    assert AuditEvent.objects.filter(actor_name__contains="（客户）").count() == 1


@pytest.mark.parametrize(
    ("response", "comment", "name", "message"),
    [
        (PlanResponse.CHANGES_REQUESTED, "  ", "王总", "请填写您的修改意见"),
        (PlanResponse.ACCEPTED, "", " ", "请填写您的姓名"),
        ("maybe", "", "王总", "请选择"),
    ],
)
def test_an_answer_needs_a_name_and_changes_need_a_comment(firm, response, comment, name, message):
    plan, token = sent_plan(firm)
    with pytest.raises(DomainError, match=message):
        services.plan_respond(
            version=services.plan_from_token(token),
            response=response,
            comment=comment,
            responder_name=name,
        )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SENT


def test_changes_requested_then_revised_resent_and_accepted(
    firm, django_capture_on_commit_callbacks
):
    plan, first_token = sent_plan(firm)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_respond(
            version=services.plan_from_token(first_token),
            response=PlanResponse.CHANGES_REQUESTED,
            comment="希望改为年付九折",
            responder_name="王总",
        )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CHANGES_REQUESTED
    assert "修改意见" in Notification.objects.get().title

    v2 = services.plan_revise(
        plan=plan,
        terms=plan_terms(firm, payment_term=firm.terms["annual_discount"]),
        by=firm.staff.sales1,
    )
    assert v2.number == 2 and plan.status == PlanStatus.DRAFT
    v1 = plan.versions.get(number=1)
    # What the client saw and said is kept as it was.
    assert v1.payment_term == firm.terms["monthly"] and v1.response_comment == "希望改为年付九折"
    assert v1.total == Decimal("3700.00") and v2.total == Decimal("3340.00")

    # The old link shows the client's answer, and cannot be answered again.
    assert services.link_state(services.plan_from_token(first_token)) == services.LINK_ANSWERED
    second_token = services.plan_send(plan=plan, by=firm.staff.sales1)
    assert second_token != first_token
    with pytest.raises(TransitionNotAllowed):
        services.plan_respond(
            version=services.plan_from_token(first_token),
            response=PlanResponse.ACCEPTED,
            comment="",
            responder_name="王总",
        )
    services.plan_respond(
        version=services.plan_from_token(second_token),
        response=PlanResponse.ACCEPTED,
        comment="",
        responder_name="王总",
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACCEPTED
    assert [v.number for v in selectors.accepted_plan_versions(user=firm.staff.sales1)] == [2]


def test_an_answer_after_the_link_expired_is_refused(firm, _clock):
    _plan, token = sent_plan(firm)
    version = services.plan_from_token(token)
    _clock.shift(dt.timedelta(days=15))
    with pytest.raises(services.PlanLinkExpired):
        services.plan_respond(
            version=version, response=PlanResponse.ACCEPTED, comment="", responder_name="王总"
        )


def test_a_withdrawn_plan_cannot_be_answered_and_may_be_revised(firm):
    plan, token = sent_plan(firm)
    services.plan_withdraw(plan=plan, by=firm.staff.sales1, reason="报价有误")
    version = services.plan_from_token(token)
    assert services.link_state(version) == services.LINK_WITHDRAWN
    with pytest.raises(TransitionNotAllowed):
        services.plan_respond(
            version=version, response=PlanResponse.ACCEPTED, comment="", responder_name="王总"
        )
    event = AuditEvent.objects.get(object_type="contracts.serviceplan")
    assert event.detail == "报价有误" and event.changes["status"] == ["待客户确认", "已撤回"]
    v2 = services.plan_revise(plan=plan, terms=plan_terms(firm), by=firm.staff.sales1)
    assert v2.number == 2 and plan.status == PlanStatus.DRAFT
    # The first version's link now says a newer version exists.
    assert services.link_state(services.plan_from_token(token)) == services.LINK_SUPERSEDED


# -- moves that are not allowed ----------------------------------------------------------------


def _accepted(firm):
    plan, token = sent_plan(firm)
    services.plan_respond(
        version=services.plan_from_token(token),
        response=PlanResponse.ACCEPTED,
        comment="",
        responder_name="王总",
    )
    plan.refresh_from_db()
    return plan


@pytest.mark.parametrize("action", ["send", "withdraw", "revise"])
def test_an_accepted_plan_is_final(firm, action):
    plan = _accepted(firm)
    with pytest.raises(TransitionNotAllowed):
        if action == "send":
            services.plan_send(plan=plan, by=firm.staff.sales1)
        elif action == "withdraw":
            services.plan_withdraw(plan=plan, by=firm.staff.sales1)
        else:
            services.plan_revise(plan=plan, terms=plan_terms(firm), by=firm.staff.sales1)


def test_a_sent_plan_is_not_revised_while_the_client_reads_it(firm):
    plan, _token = sent_plan(firm)
    with pytest.raises(TransitionNotAllowed, match="请先撤回"):
        services.plan_revise(plan=plan, terms=plan_terms(firm), by=firm.staff.sales1)


def test_a_withdrawn_plan_is_not_sent_or_withdrawn_again(firm):
    plan = make_plan(firm)
    services.plan_withdraw(plan=plan, by=firm.staff.sales1)
    with pytest.raises(TransitionNotAllowed):
        services.plan_send(plan=plan, by=firm.staff.sales1)
    with pytest.raises(TransitionNotAllowed):
        services.plan_withdraw(plan=plan, by=firm.staff.sales1)


def test_allowed_moves_cover_every_status():
    assert set(services.PLAN_MOVES) == set(PlanStatus.values)
    assert services.allowed_moves(PlanStatus.ACCEPTED) == frozenset()


# -- selectors ---------------------------------------------------------------------------------


def test_accepted_versions_are_scoped_to_the_user(firm):
    _accepted(firm)
    make_plan(firm)  # a draft: not a source for a contract
    s = firm.staff
    for user in (s.sales1, s.head1, s.acct1, s.finance, s.admin):
        assert len(selectors.accepted_plan_versions(user=user)) == 1, user
        assert len(selectors.accepted_plan_versions(user=user, client=firm.acme)) == 1
    for user in (s.sales2, s.sales3, s.head2, s.service1):
        assert not selectors.accepted_plan_versions(user=user).exists(), user


def test_a_salesperson_keeps_seeing_the_plans_they_drafted(firm):
    plan = make_plan(firm)
    firm.acme.sales_owner = firm.staff.sales2
    firm.acme.save()
    assert selectors.plan_get(user=firm.staff.sales1, pk=plan.pk) == plan
    assert selectors.plan_get(user=firm.staff.sales2, pk=plan.pk) == plan
    assert selectors.plan_get(user=firm.staff.sales3, pk=plan.pk) is None


# -- a real double submit (PostgreSQL: row locks across connections) ---------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_answers_at_the_same_moment_record_one(firm):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are tested on PostgreSQL")
    _plan, token = sent_plan(firm)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(response: str, comment: str) -> None:
        try:
            version = services.plan_from_token(token)
            barrier.wait(timeout=10)
            services.plan_respond(
                version=version, response=response, comment=comment, responder_name="王总"
            )
            outcomes.append("saved")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=answer, args=(PlanResponse.ACCEPTED, "")),
        threading.Thread(target=answer, args=(PlanResponse.CHANGES_REQUESTED, "再便宜点")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "saved"]
    assert AuditEvent.objects.filter(actor_name__contains="（客户）").count() == 1
