"""Prospect services: register, edit (optimistic lock), pipeline moves, conversion, duplicates."""

from __future__ import annotations

from unittest import mock

import pytest

from zhangfang.clients.models import Client, ClientStatus
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.core.selectors import audit_history_for
from zhangfang.leads.models import Prospect, Stage
from zhangfang.leads.selectors.prospects import (
    company_name_key,
    names_similar,
    prospect_duplicates,
    prospects_visible_to,
)
from zhangfang.leads.services import prospects as services
from zhangfang.leads.tests.factories import ProspectFactory, channel, loss_reason


def _valid_uscc():
    from zhangfang.core.validators import uscc_check_char

    body = "91440300MA5F8YJX2"
    return body + uscc_check_char(body)


@pytest.fixture
def p(sales_firm):
    return ProspectFactory(owner=sales_firm.staff.sales1, company_name="深圳市恒星科技有限公司")


# -- register and edit ---------------------------------------------------------------------------


def test_create_scores_keeps_pinyin_and_audits(sales_firm):
    prospect = services.prospect_create(
        data={
            "company_name": "深圳市华星贸易有限公司",
            "contact_name": "李四",
            "contact_mobile": "+8613800138000",
            "channel": channel("referral"),
            "size": "medium",
            "owner": sales_firm.staff.sales1,
            "tax_needs": ["bookkeeping"],
        },
        by=sales_firm.staff.sales1,
    )
    assert prospect.stage == Stage.LEAD
    assert prospect.department == sales_firm.d1  # the owner's
    assert prospect.score > 0 and prospect.value_score > 0 and prospect.likelihood_score > 0
    assert "hxmy" in prospect.search_pinyin
    event = AuditEvent.objects.get(object_type="leads.prospect", object_id=str(prospect.pk))
    assert event.action == "create" and event.changes["company_name"][1] == "深圳市华星贸易有限公司"


def test_update_refuses_a_stale_version_and_audits_changes(p, sales_firm):
    services.prospect_update(
        prospect=p, data={"contact_title": "总经理"}, expected_version=1, by=sales_firm.staff.sales1
    )
    p.refresh_from_db()
    assert p.version == 2 and p.contact_title == "总经理"
    with pytest.raises(ConcurrentEditError):
        services.prospect_update(
            prospect=p,
            data={"contact_title": "财务"},
            expected_version=1,
            by=sales_firm.staff.sales1,
        )
    p.refresh_from_db()
    assert p.contact_title == "总经理"
    assert AuditEvent.objects.filter(action="update", object_id=str(p.pk)).count() == 1


def test_update_never_changes_the_stage(p, sales_firm):
    services.prospect_update(
        prospect=p, data={"stage": Stage.WON}, expected_version=None, by=sales_firm.staff.sales1
    )
    p.refresh_from_db()
    assert p.stage == Stage.LEAD


# -- pipeline moves -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (Stage.LEAD, Stage.ASSESSMENT),
        (Stage.LEAD, Stage.NEGOTIATION),  # forward more than one step
        (Stage.VISIT, Stage.ASSESSMENT),  # back one
        (Stage.NEGOTIATION, Stage.VISIT),
        (Stage.LOST, Stage.LEAD),  # reopen
    ],
)
def test_allowed_moves(sales_firm, start, to):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=start)
    moved = services.prospect_move(prospect, to, sales_firm.staff.sales1, note="跟进")
    assert moved.stage == to
    event = AuditEvent.objects.filter(action="status", object_id=str(prospect.pk)).get()
    assert event.changes["stage"] == [Stage(start).label, Stage(to).label]
    assert event.detail == "跟进"


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (Stage.VISIT, Stage.LEAD),  # back two steps
        (Stage.NEGOTIATION, Stage.ASSESSMENT),
        (Stage.LEAD, Stage.WON),  # only by conversion
        (Stage.NEGOTIATION, Stage.WON),
        (Stage.LOST, Stage.VISIT),  # a lost prospect reopens as 线索 only
        (Stage.WON, Stage.LOST),
        (Stage.WON, Stage.NEGOTIATION),
        (Stage.LEAD, Stage.LEAD),
    ],
)
def test_forbidden_moves(sales_firm, start, to):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=start)
    with pytest.raises(TransitionNotAllowed):
        services.prospect_move(prospect, to, sales_firm.staff.sales1, loss_reason=loss_reason())
    prospect.refresh_from_db()
    assert prospect.stage == start
    assert not AuditEvent.objects.filter(action="status").exists()


@pytest.mark.parametrize("start", [Stage.LEAD, Stage.ASSESSMENT, Stage.VISIT, Stage.NEGOTIATION])
def test_lost_from_any_open_stage_needs_a_reason(sales_firm, start):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=start)
    with pytest.raises(DomainError, match="流失原因"):
        services.prospect_move(prospect, Stage.LOST, sales_firm.staff.sales1)
    moved = services.prospect_move(
        prospect, Stage.LOST, sales_firm.staff.sales1, loss_reason=loss_reason(), note="太贵"
    )
    assert moved.stage == Stage.LOST and moved.loss_reason.name == "价格因素"
    assert moved.loss_note == "太贵" and moved.score <= prospect.score
    reopened = services.prospect_move(moved, Stage.LEAD, sales_firm.staff.sales1)
    assert reopened.loss_reason is None


def test_move_updates_the_time_in_stage(sales_firm):
    import datetime as dt

    from django.utils import timezone

    old = timezone.now() - dt.timedelta(days=10)
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage_changed_at=old)
    moved = services.prospect_move(prospect, Stage.ASSESSMENT, sales_firm.staff.sales1)
    assert moved.stage_changed_at > old
    assert prospect.stage == Stage.ASSESSMENT  # the caller's object follows


# -- conversion --------------------------------------------------------------------------------


def test_convert_creates_the_client_and_contact_from_the_form(sales_firm):
    uscc = _valid_uscc()
    prospect = ProspectFactory(
        owner=sales_firm.staff.sales1,
        stage=Stage.NEGOTIATION,
        company_name="深圳市转化科技有限公司",
        uscc=uscc,
        industry="I",
        taxpayer_type="general",
        address="南山区科技园",
        notes="老板很爽快",
        contact_name="王五",
        contact_title="财务经理",
        contact_mobile="+8613900139000",
        email="ww@example.cn",
    )
    client = services.prospect_convert(prospect, sales_firm.staff.sales1)
    assert (client.name, client.uscc, client.industry, client.taxpayer_type) == (
        "深圳市转化科技有限公司",
        uscc,
        "I",
        "general",
    )
    assert client.status == ClientStatus.ACTIVE
    assert client.address == "南山区科技园" and client.notes == "老板很爽快"
    assert client.department == sales_firm.d1 and client.sales_owner == sales_firm.staff.sales1
    contact = client.contacts.get()
    assert (contact.name, contact.title, contact.mobile, contact.email, contact.is_primary) == (
        "王五",
        "财务经理",
        "+8613900139000",
        "ww@example.cn",
        True,
    )
    prospect.refresh_from_db()
    assert prospect.client == client and prospect.stage == Stage.WON
    assert prospect.converted_at is not None and prospect.likelihood_score == 100
    assert any(e.detail == "转为客户" for e in audit_history_for(prospect))
    client_actions = {e.action for e in audit_history_for(client)}
    assert {"create", "update"} <= client_actions


def test_convert_without_uscc_and_from_visit(sales_firm):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=Stage.VISIT, uscc="")
    client = services.prospect_convert(prospect, sales_firm.staff.sales1)
    assert client.uscc is None and client.taxpayer_type == "small"


@pytest.mark.parametrize("stage", [Stage.LEAD, Stage.ASSESSMENT, Stage.LOST])
def test_convert_refused_before_a_visit(sales_firm, stage):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=stage)
    with pytest.raises(TransitionNotAllowed):
        services.prospect_convert(prospect, sales_firm.staff.sales1)
    assert not Client.objects.exists()


def test_convert_twice_is_refused(sales_firm):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=Stage.NEGOTIATION)
    services.prospect_convert(prospect, sales_firm.staff.sales1)
    with pytest.raises(TransitionNotAllowed):
        services.prospect_convert(prospect, sales_firm.staff.sales1)
    assert Client.objects.count() == 1


def test_convert_refuses_a_uscc_that_is_already_a_client_naming_it(sales_firm):
    uscc = _valid_uscc()
    ClientFactory(name="广州市已有客户有限公司", uscc=uscc, department=sales_firm.d2)
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=Stage.NEGOTIATION, uscc=uscc)
    with pytest.raises(DomainError, match="广州市已有客户有限公司"):
        services.prospect_convert(prospect, sales_firm.staff.sales1)
    prospect.refresh_from_db()
    assert prospect.stage == Stage.NEGOTIATION and prospect.client is None
    assert Client.objects.count() == 1


def test_convert_of_a_referred_prospect_calls_the_reward_hook(sales_firm):
    referrer = ClientFactory(department=sales_firm.d1, sales_owner=sales_firm.staff.sales1)
    prospect = ProspectFactory(
        owner=sales_firm.staff.sales1,
        stage=Stage.NEGOTIATION,
        referrer=referrer,
        channel=channel("referral"),
    )
    import zhangfang.leads.services.referrals as referrals

    with mock.patch.object(referrals, "referral_reward_propose", create=True) as propose:
        services.prospect_convert(prospect, sales_firm.staff.sales1)
    propose.assert_called_once()
    assert propose.call_args.kwargs["prospect"].pk == prospect.pk
    assert propose.call_args.kwargs["by"] == sales_firm.staff.sales1


def test_convert_without_referrer_does_not_call_the_hook(sales_firm):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=Stage.NEGOTIATION)
    import zhangfang.leads.services.referrals as referrals

    with mock.patch.object(referrals, "referral_reward_propose", create=True) as propose:
        services.prospect_convert(prospect, sales_firm.staff.sales1)
    propose.assert_not_called()


def test_convert_skips_the_hook_when_the_referrals_part_is_missing(sales_firm):
    import sys

    referrer = ClientFactory(department=sales_firm.d1)
    prospect = ProspectFactory(
        owner=sales_firm.staff.sales1, stage=Stage.NEGOTIATION, referrer=referrer
    )
    with mock.patch.dict(sys.modules, {"zhangfang.leads.services.referrals": None}):
        client = services.prospect_convert(prospect, sales_firm.staff.sales1)
    assert client.pk


# -- duplicates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("深圳市华为技术有限公司", "华为技术有限公司", True),
        ("深圳市华为技术有限公司", "华为技术股份有限公司", True),
        ("广东省深圳市华为技术有限公司", "华为技术有限责任公司", True),
        ("深圳市华为技术有限公司", "深圳市华伟技术有限公司", True),  # same pinyin
        ("深圳市华为技术有限公司", "深圳市中兴通讯有限公司", False),
        ("深圳市恒星科技有限公司", "恒星科技", True),
    ],
)
def test_names_similar(a, b, similar):
    assert names_similar(a, b) is similar


def test_company_name_key_strips_city_and_form():
    assert company_name_key("深圳市华为技术有限公司") == "华为技术"
    assert company_name_key("华为技术（深圳）有限公司") == "华为技术"


def test_duplicates_by_uscc_mobile_and_name_among_prospects_and_clients(sales_firm):
    uscc = _valid_uscc()
    sales1 = sales_firm.staff.sales1
    by_uscc = ProspectFactory(owner=sales1, company_name="甲公司", uscc=uscc)
    by_mobile = ProspectFactory(
        owner=sales1, company_name="乙公司", contact_mobile="+8613800138000"
    )
    by_name = ProspectFactory(owner=sales1, company_name="深圳市恒星科技有限公司")
    acme = ClientFactory(
        name="恒星科技有限公司", short_name="恒星", department=sales_firm.d1, sales_owner=sales1
    )
    contact_client = ClientFactory(name="丙公司", department=sales_firm.d1, sales_owner=sales1)
    ContactFactory(client=contact_client, mobile="+8613800138000")
    ProspectFactory(owner=sales1, company_name="无关的贸易公司")

    matches = prospect_duplicates(
        user=sales1, company_name="恒星科技有限公司", mobile="138 0013 8000", uscc=uscc.lower()
    )
    found = {(m.kind, m.pk): m for m in matches}
    assert set(found) == {
        ("prospect", by_uscc.pk),
        ("prospect", by_mobile.pk),
        ("prospect", by_name.pk),
        ("client", acme.pk),
        ("client", contact_client.pk),
    }
    assert found[("prospect", by_uscc.pk)].reasons == ["统一社会信用代码相同"]
    assert found[("prospect", by_mobile.pk)].reasons == ["联系电话相同"]
    assert found[("client", contact_client.pk)].reasons == ["联系电话相同"]
    assert found[("client", acme.pk)].reasons == ["名称相似"]
    assert all(m.visible and m.url for m in matches)
    # Exact identifiers come first.
    assert matches[0].pk == by_uscc.pk


def test_duplicate_outside_the_users_scope_is_reported_without_its_details(sales_firm):
    other = ProspectFactory(
        owner=sales_firm.staff.sales3, company_name="深圳市机密科技有限公司", contact_name="赵六"
    )
    ClientFactory(name="机密科技有限公司", department=sales_firm.d2)
    matches = prospect_duplicates(user=sales_firm.staff.sales1, company_name="机密科技")
    assert {m.kind for m in matches} == {"prospect", "client"}
    hidden = next(m for m in matches if m.kind == "prospect")
    assert hidden.pk == other.pk
    assert not hidden.visible and hidden.url == "" and hidden.name == ""
    assert hidden.followed_by == "业务丙"
    # The same user's own department head sees it fully? No: it is in department 2.
    assert not any(
        m.visible for m in prospect_duplicates(user=sales_firm.staff.head1, company_name="机密科技")
    )
    assert all(
        m.visible for m in prospect_duplicates(user=sales_firm.staff.head2, company_name="机密科技")
    )


def test_duplicates_exclude_the_record_being_edited(p, sales_firm):
    assert (
        prospect_duplicates(
            user=sales_firm.staff.sales1, company_name=p.company_name, exclude_pk=p.pk
        )
        == []
    )


# -- scope -----------------------------------------------------------------------------------------


def test_scope_role_matrix(sales_firm):
    s = sales_firm.staff
    mine = ProspectFactory(owner=s.sales1)
    colleague = ProspectFactory(owner=s.sales2)
    other_dept = ProspectFactory(owner=s.sales3)
    everything = {mine.pk, colleague.pk, other_dept.pk}

    def seen(user):
        return set(prospects_visible_to(user).values_list("pk", flat=True))

    assert seen(s.sales1) == {mine.pk}
    assert seen(s.sales2) == {colleague.pk}
    assert seen(s.head1) == {mine.pk, colleague.pk}
    assert seen(s.head2) == {other_dept.pk}
    assert seen(s.admin) == everything
    assert seen(s.finance) == everything
    assert seen(s.acct1) == set()
    assert Prospect.objects.count() == 3
