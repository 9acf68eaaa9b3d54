"""Shared factories of client development (leads).

Other engineers of the leads app may ADD factories for their own models at the end of this file.
"""

from __future__ import annotations

import random

import factory
from django.utils import timezone

from zhangfang.core import sample_data
from zhangfang.core.search import pinyin_keys
from zhangfang.leads.models import Channel, LossReason, Prospect, Stage
from zhangfang.staff.tests.factories import UserFactory

_rng = random.Random(20261128)


def channel(code: str = "walk_in") -> Channel:
    """One of the channels the migration seeds (``walk_in``, ``website``, ``referral``, ...)."""
    return Channel.objects.get(code=code)


def loss_reason(name: str = "价格因素") -> LossReason:
    """One of the loss reasons the migration seeds."""
    return LossReason.objects.get(name=name)


class ProspectFactory(factory.django.DjangoModelFactory):
    """A prospect in 线索 owned by a new salesperson in their department (override ``owner=``)."""

    class Meta:
        model = Prospect

    company_name = factory.Sequence(lambda n: f"深圳市潜客{n}号贸易有限公司")
    contact_name = factory.LazyFunction(lambda: sample_data.person_name(_rng))
    contact_mobile = factory.LazyFunction(lambda: sample_data.mobile(_rng))
    # Looked up lazily: the channel rows come from the data migration, not from the factory.
    channel = factory.LazyFunction(lambda: Channel.objects.get(code="walk_in"))
    owner = factory.SubFactory(UserFactory, roles=["sales"])
    department = factory.LazyAttribute(lambda o: o.owner.department if o.owner else None)
    stage = Stage.LEAD
    stage_changed_at = factory.LazyFunction(timezone.now)
    # The service keeps the pinyin keys; the factory writes rows directly, so it computes them.
    search_pinyin = factory.LazyAttribute(lambda o: pinyin_keys(o.company_name, o.contact_name))


# ---------------------------------------------------------------------------------------------
# Visits and negotiation rounds (visits & negotiation part)
# ---------------------------------------------------------------------------------------------


def tomorrow_at(hour: int, minute: int = 0):
    """An aware datetime tomorrow (Asia/Shanghai) at ``hour:minute``."""
    import datetime as dt

    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _money(text: str):
    from decimal import Decimal

    return Decimal(text)


class VisitFactory(factory.django.DjangoModelFactory):
    """A planned visit of a new prospect, tomorrow at 10:00, its owner going (``staff=[...]``)."""

    class Meta:
        model = "leads.Visit"
        skip_postgeneration_save = True

    prospect = factory.SubFactory(ProspectFactory)
    purpose = "介绍代理记账服务"
    starts_at = factory.LazyFunction(lambda: tomorrow_at(10))
    place = "客户办公室"
    materials = factory.LazyFunction(
        lambda: [{"item": "公司介绍", "done": True}, {"item": "服务方案", "done": False}]
    )
    created_by = factory.LazyAttribute(lambda o: o.prospect.owner)

    @factory.post_generation
    def staff(self, create, extracted, **kwargs):
        if not create:
            return
        people = extracted if extracted is not None else [self.prospect.owner]
        self.staff.set([p for p in people if p is not None])


class NegotiationRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.NegotiationRound"

    prospect = factory.SubFactory(ProspectFactory)
    held_on = factory.LazyFunction(timezone.localdate)
    services = factory.LazyFunction(lambda: ["bookkeeping", "filing"])
    proposed_fee = factory.LazyFunction(lambda: _money("500.00"))
    payment_method = "quarterly"
    term_months = 12
    recorded_by = factory.LazyAttribute(lambda o: o.prospect.owner)


# ---------------------------------------------------------------------------------------------
# Marketing activities, partners, referral rewards (marketing & referrals part)
# ---------------------------------------------------------------------------------------------


class MarketingActivityFactory(factory.django.DjangoModelFactory):
    """A two-day exhibition costing ¥3,000.00, in the exhibition channel."""

    class Meta:
        model = "leads.MarketingActivity"

    name = factory.Sequence(lambda n: f"2026 中小企业服务展 {n}")
    kind = "exhibition"
    channel = factory.LazyFunction(lambda: Channel.objects.get(code="exhibition"))
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on)
    cost = factory.LazyFunction(lambda: _money("3000.00"))


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.Partner"

    name = factory.Sequence(lambda n: f"深圳市合作{n}号财税咨询有限公司")
    kind = "registration"
    contact_name = "周经理"
    contact_mobile = factory.LazyFunction(lambda: sample_data.mobile(_rng))


class PartnerReferralOutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.PartnerReferralOut"

    partner = factory.SubFactory(PartnerFactory)
    client = factory.SubFactory("zhangfang.clients.tests.factories.ClientFactory")
    referred_on = factory.LazyFunction(timezone.localdate)


class ReferralRewardFactory(factory.django.DjangoModelFactory):
    """A proposed cash reward of ¥500.00 for a referred prospect (``prospect=`` to place it)."""

    class Meta:
        model = "leads.ReferralReward"

    referrer = factory.SubFactory("zhangfang.clients.tests.factories.ClientFactory")
    prospect = factory.SubFactory(
        ProspectFactory, referrer=factory.SelfAttribute("..referrer"), stage=Stage.WON
    )
    kind = "cash"
    cash_amount = factory.LazyFunction(lambda: _money("500.00"))
    status = "proposed"


# ---------------------------------------------------------------------------------------------
# Market research (research part)
# ---------------------------------------------------------------------------------------------


class CompetitorFactory(factory.django.DjangoModelFactory):
    """A competitor observed today (add prices with ``CompetitorPriceFactory(competitor=...)``)."""

    class Meta:
        model = "leads.Competitor"

    name = factory.Sequence(lambda n: f"深圳市同行{n}号财税咨询有限公司")
    services = "代理记账、纳税申报、工商注册"
    strengths = "价格低"
    weaknesses = "会计流动大"
    source = "电话咨询"
    observed_on = factory.LazyFunction(timezone.localdate)


class CompetitorPriceFactory(factory.django.DjangoModelFactory):
    """¥200.00 a month for 小规模纳税人代理记账."""

    class Meta:
        model = "leads.CompetitorPrice"

    competitor = factory.SubFactory(CompetitorFactory)
    item = "小规模纳税人代理记账"
    amount = factory.LazyFunction(lambda: _money("200.00"))
    unit = "month"


class MarketNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.MarketNote"

    title = factory.Sequence(lambda n: f"市场动态 {n}")
    body = "本季度新设立的小微企业增多，代理记账需求上升。"
    observed_on = factory.LazyFunction(timezone.localdate)
    author = factory.SubFactory(UserFactory, roles=["sales"])
