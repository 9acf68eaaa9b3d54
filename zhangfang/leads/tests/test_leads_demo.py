"""The client-development demo data: deterministic, valid, shaped like a real sales funnel."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from zhangfang.clients.demo import build_demo_firm
from zhangfang.clients.models import Client
from zhangfang.core.roles import Role
from zhangfang.core.search import pinyin_keys
from zhangfang.core.validators import normalize_mobile, validate_uscc
from zhangfang.leads.demo import _pinyin_keys, build_demo_leads
from zhangfang.leads.models import (
    Competitor,
    DutyRoster,
    MarketingActivity,
    MarketNote,
    NegotiationRound,
    Partner,
    PartnerKind,
    PartnerReferralOut,
    Prospect,
    ReferralReward,
    RewardStatus,
    Stage,
    Visit,
    VisitStatus,
)
from zhangfang.staff.models import User
from zhangfang.staff.tests.factories import UserFactory

CLIENTS = 20
PROSPECTS = 300
AT_VISIT_OR_LATER = {Stage.VISIT, Stage.NEGOTIATION, Stage.WON, Stage.LOST}
AT_NEGOTIATION_OR_LATER = {Stage.NEGOTIATION, Stage.WON, Stage.LOST}


@pytest.fixture
def demo(db) -> dict:
    build_demo_firm(clients=CLIENTS)
    return build_demo_leads(prospects=PROSPECTS)


def _wipe_leads() -> None:
    ReferralReward.objects.all().delete()
    Prospect.objects.all().delete()
    MarketingActivity.objects.all().delete()
    Partner.objects.all().delete()
    DutyRoster.objects.all().delete()
    Competitor.objects.all().delete()
    MarketNote.objects.all().delete()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_prospects():
    build_demo_firm(clients=CLIENTS)
    build_demo_leads(prospects=60)
    first = list(Prospect.objects.order_by("id").values_list("company_name", "uscc", "stage"))
    _wipe_leads()
    build_demo_leads(prospects=60)
    again = list(Prospect.objects.order_by("id").values_list("company_name", "uscc", "stage"))
    assert again == first
    _wipe_leads()
    build_demo_leads(prospects=60, seed=7)
    other = list(Prospect.objects.order_by("id").values_list("company_name", "uscc", "stage"))
    assert other != first


def test_counts_returned_match_the_database(demo):
    assert demo["prospects"] == Prospect.objects.count() == PROSPECTS
    assert demo["visits"] == Visit.objects.count()
    assert demo["negotiations"] == NegotiationRound.objects.count()
    assert demo["rewards"] == ReferralReward.objects.count()
    assert Client.objects.count() == CLIENTS  # no client is created for a signed prospect


def test_identifiers_pass_the_national_checks(demo):
    prospects = list(Prospect.objects.all())
    assert len({p.company_name for p in prospects}) == len(prospects)
    codes = [p.uscc for p in prospects if p.uscc]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert validate_uscc(code) == code
    for prospect in prospects:
        assert normalize_mobile(prospect.contact_mobile) == prospect.contact_mobile
    # About 40% of the new companies come with their code (linked ones carry the client's).
    unlinked = [p for p in prospects if p.client_id is None]
    share = sum(bool(p.uscc) for p in unlinked) / len(unlinked)
    assert 0.3 < share < 0.5


def test_stages_are_shaped_like_a_funnel(demo):
    stages = Counter(Prospect.objects.values_list("stage", flat=True))
    early = stages[Stage.LEAD] + stages[Stage.ASSESSMENT]
    middle = stages[Stage.VISIT] + stages[Stage.NEGOTIATION]
    assert early > middle > 0
    assert stages[Stage.LEAD] > stages[Stage.VISIT] > 0
    assert stages[Stage.ASSESSMENT] > stages[Stage.NEGOTIATION] > 0
    assert stages[Stage.WON] > 0 and stages[Stage.LOST] > 0
    assert stages[Stage.WON] < early
    lost = Prospect.objects.filter(stage=Stage.LOST)
    assert not lost.filter(loss_reason=None).exists()
    assert not Prospect.objects.exclude(stage=Stage.LOST).exclude(loss_reason=None).exists()


def test_every_prospect_has_a_channel_and_a_salesperson(demo):
    sales = {user.id: user.department_id for user in User.objects.filter(groups__name=Role.SALES)}
    rows = list(Prospect.objects.values_list("channel__code", "owner_id", "department_id"))
    for code, owner_id, department_id in rows:
        assert code
        assert owner_id in sales
        assert department_id == sales[owner_id]
    assert len({owner for _code, owner, _dept in rows}) == len(sales)
    channels = Counter(code for code, _owner, _dept in rows)
    favourites = channels["website"] + channels["wechat"] + channels["referral"]
    favourites += channels["partner"]
    assert favourites > 0.55 * len(rows)
    for code in ("website", "wechat", "referral", "partner"):
        assert channels[code] > channels["weibo"], code


def test_prospect_details_are_plausible(demo):
    now = timezone.now()
    for prospect in Prospect.objects.all():
        assert now - dt.timedelta(days=366) <= prospect.created_at <= now
        assert prospect.created_at <= prospect.stage_changed_at <= now
        fee = prospect.expected_monthly_fee
        if fee is not None:
            assert isinstance(fee, Decimal)
            assert Decimal("200") <= fee <= Decimal("2000")
        assert prospect.tax_needs
        assert prospect.search_pinyin == pinyin_keys(prospect.company_name, prospect.contact_name)
        assert 0 <= prospect.score <= 100
        if prospect.stage == Stage.WON:
            assert prospect.likelihood_score == 100
        if prospect.stage == Stage.LOST:
            assert prospect.likelihood_score == 0
    assert Prospect.objects.filter(score__gt=0).count() == PROSPECTS
    created = Prospect.objects.values_list("created_at", flat=True)
    assert (max(created) - min(created)).days > 180  # spread over the year


def test_fast_pinyin_keys_agree_with_core_search():
    for texts in [
        ("华为技术有限公司", "任正非"),
        ("深圳市盛合供应链管理有限公司", "单于长乐"),
        ("ABC科技（深圳）有限公司", "Tom 李"),
        ("", "王芳"),
    ]:
        assert _pinyin_keys(*texts) == pinyin_keys(*texts)


def test_visits_and_negotiations_only_at_the_right_stages(demo):
    now = timezone.now()
    visits = list(Visit.objects.select_related("prospect").prefetch_related("staff"))
    assert visits
    for visit in visits:
        assert visit.prospect.stage in AT_VISIT_OR_LATER
        staff = list(visit.staff.all())
        assert visit.prospect.owner in staff
        assert visit.starts_at >= visit.prospect.created_at
        if visit.status == VisitStatus.DONE:
            assert visit.starts_at <= now and visit.outcome
        if visit.status == VisitStatus.PLANNED:
            assert now < visit.starts_at <= now + dt.timedelta(days=16)
            assert visit.materials and all("item" in m and "done" in m for m in visit.materials)
    statuses = Counter(v.status for v in visits)
    assert statuses[VisitStatus.DONE] > statuses[VisitStatus.PLANNED] > 0
    rounds = list(NegotiationRound.objects.select_related("prospect"))
    assert rounds
    for round_ in rounds:
        assert round_.prospect.stage in AT_NEGOTIATION_OR_LATER
        assert round_.proposed_fee >= Decimal("200")
        assert round_.services
    reached_visit = Prospect.objects.filter(stage__in=[Stage.VISIT, Stage.NEGOTIATION, Stage.WON])
    assert not reached_visit.filter(visits=None).exists()


def test_rewards_only_for_signed_referrals(demo):
    rewards = list(ReferralReward.objects.select_related("prospect"))
    assert rewards
    for reward in rewards:
        assert reward.prospect.referrer_id == reward.referrer_id
        assert reward.prospect.stage == Stage.WON
        decided = reward.status != RewardStatus.PROPOSED
        assert (reward.decided_at is not None) == decided
        assert (reward.paid_at is not None) == (reward.status == RewardStatus.PAID)
    referred = Prospect.objects.exclude(referrer=None)
    assert set(referred.values_list("channel__code", flat=True)) == {"referral"}
    signed = referred.filter(stage=Stage.WON).count()
    assert len(rewards) == signed


def test_signed_prospects_linked_to_clients_mirror_them(demo):
    linked = list(Prospect.objects.exclude(client=None).select_related("client"))
    assert linked
    for prospect in linked:
        assert prospect.stage == Stage.WON
        assert prospect.company_name == prospect.client.name
        assert prospect.uscc == prospect.client.uscc
        assert prospect.owner_id == prospect.client.sales_owner_id
        assert prospect.converted_at is not None
    assert not Prospect.objects.filter(client=None).exclude(converted_at=None).exists()


def test_activities_partners_roster_and_research(demo):
    activities = list(MarketingActivity.objects.all())
    assert len(activities) == 10
    assert all(isinstance(a.cost, Decimal) and a.cost > 0 for a in activities)
    assert all(a.ends_on >= a.starts_on for a in activities)
    linked = Prospect.objects.exclude(activity=None).select_related("activity")
    assert linked.exists()
    for prospect in linked:
        assert prospect.channel_id == prospect.activity.channel_id
        assert prospect.created_at.date() >= prospect.activity.starts_on

    partners = list(Partner.objects.all())
    assert len(partners) == 6
    assert Counter(p.kind for p in partners) == {
        PartnerKind.REGISTRATION_AGENT: 2,
        PartnerKind.TAX_FIRM: 2,
        PartnerKind.LAW_FIRM: 2,
    }
    by_partner = Prospect.objects.exclude(partner=None)
    assert by_partner.exists()
    assert set(by_partner.values_list("channel__code", flat=True)) == {"partner"}
    assert PartnerReferralOut.objects.exists()

    roster = list(DutyRoster.objects.select_related("user"))
    assert [r.weekday for r in roster] == [0, 1, 2, 3, 4]
    assert all(r.user.groups.filter(name=Role.SALES).exists() for r in roster)

    competitors = list(Competitor.objects.prefetch_related("prices"))
    assert len(competitors) == 5
    assert all(c.prices.all() for c in competitors)
    assert MarketNote.objects.count() == 4


@pytest.mark.django_db
def test_without_salespeople_nothing_is_built():
    UserFactory(roles=["accountant"])
    out = io.StringIO()
    result = build_demo_leads(prospects=10, stdout=out)
    assert result["prospects"] == 0
    assert not Prospect.objects.exists()
    assert "没有业务人员" in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_builds_the_prospects_and_says_so():
    out = io.StringIO()
    call_command("seed_demo", "--clients", "20", "--prospects", "60", stdout=out)
    output = out.getvalue()
    assert Client.objects.count() == 20
    assert Prospect.objects.count() == 60
    assert "客户开发演示数据已创建：60 个潜在客户" in output
    assert "admin / Zhangfang#2026" in output

    again = io.StringIO()
    call_command("seed_demo", "--clients", "20", "--prospects", "60", stdout=again)
    assert Prospect.objects.count() == 60
    assert "客户开发演示数据" not in again.getvalue()


@pytest.mark.django_db
def test_seed_demo_builds_three_prospects_per_client_by_default():
    call_command("seed_demo", "--clients", "10", stdout=io.StringIO())
    assert Prospect.objects.count() == 30


@pytest.mark.django_db
def test_seed_demo_without_prospects():
    out = io.StringIO()
    call_command("seed_demo", "--clients", "10", "--prospects", "0", stdout=out)
    assert not Prospect.objects.exists()
    assert "客户开发演示数据" not in out.getvalue()
