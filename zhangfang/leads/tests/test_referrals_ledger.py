"""The referral reward ledger: totals per referrer, scope, filters, decisions from the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.leads.models import ReferralReward, RewardStatus, Stage
from zhangfang.leads.services import prospects as prospect_services
from zhangfang.leads.tests.factories import ProspectFactory, ReferralRewardFactory

pytestmark = pytest.mark.django_db

LEDGER = reverse("leads:reward_ledger")


def reward(sales_firm, referrer, *, owner=None, status="proposed", amount="500.00", **kw):
    prospect = ProspectFactory(
        owner=owner or sales_firm.staff.sales1, referrer=referrer, stage=Stage.WON
    )
    return ReferralRewardFactory(
        referrer=referrer, prospect=prospect, status=status, cash_amount=Decimal(amount), **kw
    )


@pytest.fixture
def ledger(sales_firm):
    old = ClientFactory(name="甲老客户", department=sales_firm.d1)
    other = ClientFactory(name="乙老客户", department=sales_firm.d2)
    reward(sales_firm, old, status="proposed", amount="500.00")
    reward(sales_firm, old, status="approved", amount="300.00")
    reward(sales_firm, old, status="paid", amount="200.00")
    reward(sales_firm, old, status="paid", amount="100.00")
    reward(sales_firm, old, status="rejected", amount="999.00")
    reward(sales_firm, other, owner=sales_firm.staff.sales3, status="proposed", amount="800.00")
    return old, other


def rows(response):
    return {
        c.name: (c.pending_cash, c.approved_cash, c.paid_cash, c.reward_count)
        for c in response.context["page"].object_list
    }


def test_totals_per_referrer_for_finance(client, sales_firm, ledger):
    client.force_login(sales_firm.staff.finance)
    response = client.get(LEDGER)
    assert rows(response) == {
        "甲老客户": (Decimal("500.00"), Decimal("300.00"), Decimal("300.00"), 5),
        "乙老客户": (Decimal("800.00"), Decimal("0"), Decimal("0"), 1),
    }
    totals = response.context["totals"]
    assert totals["pending_cash"] == Decimal("1300.00")
    assert totals["paid_cash"] == Decimal("300.00") and totals["paid_count"] == 2


def test_head_sees_only_their_departments_rewards(client, sales_firm, ledger):
    client.force_login(sales_firm.staff.head2)
    response = client.get(LEDGER)
    assert list(rows(response)) == ["乙老客户"]
    assert response.context["totals"]["pending_cash"] == Decimal("800.00")


def test_status_filter_narrows_totals_and_rewards(client, sales_firm, ledger):
    client.force_login(sales_firm.staff.admin)
    response = client.get(LEDGER, {"status": "paid"})
    assert rows(response) == {"甲老客户": (Decimal("0"), Decimal("0"), Decimal("300.00"), 2)}
    [referrer] = response.context["page"].object_list
    assert {r.status for r in referrer.rewards} == {"paid"}


def test_date_filter(client, sales_firm):
    old = ClientFactory(name="甲老客户", department=sales_firm.d1)
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC), tick=False):
        reward(sales_firm, old, amount="100.00")
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC), tick=False):
        reward(sales_firm, old, amount="200.00")
    client.force_login(sales_firm.staff.admin)
    response = client.get(LEDGER, {"date_from": "2026-05-01", "date_to": "2026-06-01"})
    assert rows(response)["甲老客户"][0] == Decimal("200.00")


def test_ledger_query_count_is_constant(client, sales_firm, ledger, django_assert_num_queries):
    client.force_login(sales_firm.staff.admin)
    client.get(LEDGER)
    # session, user, groups, count, page ids, rows, rewards of the page, totals
    with django_assert_num_queries(8):
        client.get(LEDGER)
    for _ in range(4):
        reward(sales_firm, ClientFactory(department=sales_firm.d1))
    with django_assert_num_queries(8):
        client.get(LEDGER)


@pytest.mark.parametrize(
    ("who", "status"),
    [("head1", 200), ("finance", 200), ("admin", 200), ("sales1", 403), ("acct1", 403)],
)
def test_role_matrix(client, sales_firm, who, status):
    client.force_login(getattr(sales_firm.staff, who))
    assert client.get(LEDGER).status_code == status


def test_head_approves_from_the_page(client, sales_firm, ledger):
    target = ReferralReward.objects.get(referrer=ledger[0], status="proposed")
    client.force_login(sales_firm.staff.head1)
    response = client.get(LEDGER)
    assert "批准" in response.content.decode()
    response = client.post(
        reverse("leads:reward_decide", args=[target.pk]), {"decision": "approve", "next": LEDGER}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == RewardStatus.APPROVED


def test_other_head_cannot_see_or_decide(client, sales_firm, ledger):
    target = ReferralReward.objects.get(referrer=ledger[0], status="proposed")
    client.force_login(sales_firm.staff.head2)
    response = client.post(
        reverse("leads:reward_decide", args=[target.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.status == RewardStatus.PROPOSED


def test_reject_needs_a_note(client, sales_firm, ledger):
    target = ReferralReward.objects.get(referrer=ledger[0], status="proposed")
    client.force_login(sales_firm.staff.head1)
    response = client.post(
        reverse("leads:reward_decide", args=[target.pk]), {"decision": "reject"}, follow=True
    )
    assert "驳回时请填写审批意见" in response.content.decode()
    target.refresh_from_db()
    assert target.status == RewardStatus.PROPOSED


def test_finance_marks_paid_head_cannot(client, sales_firm, ledger):
    target = ReferralReward.objects.get(referrer=ledger[0], status="approved")
    client.force_login(sales_firm.staff.head1)
    assert client.post(reverse("leads:reward_mark_paid", args=[target.pk])).status_code == 403
    client.force_login(sales_firm.staff.finance)
    assert client.post(reverse("leads:reward_mark_paid", args=[target.pk])).status_code == 302
    target.refresh_from_db()
    assert target.status == RewardStatus.PAID


def test_paying_a_proposed_reward_is_refused_with_message(client, sales_firm, ledger):
    target = ReferralReward.objects.get(referrer=ledger[0], status="proposed")
    client.force_login(sales_firm.staff.finance)
    response = client.post(reverse("leads:reward_mark_paid", args=[target.pk]), follow=True)
    assert "不能改为" in response.content.decode()
    target.refresh_from_db()
    assert target.status == RewardStatus.PROPOSED


def test_converting_a_referred_prospect_proposes_the_reward(sales_firm):
    referrer = ClientFactory(name="老客户有限公司", department=sales_firm.d1)
    prospect = ProspectFactory(
        owner=sales_firm.staff.sales1, referrer=referrer, stage=Stage.NEGOTIATION, uscc=""
    )
    prospect_services.prospect_convert(prospect, by=sales_firm.staff.sales1)
    reward = ReferralReward.objects.get(prospect=prospect)
    assert reward.referrer == referrer and reward.status == RewardStatus.PROPOSED
