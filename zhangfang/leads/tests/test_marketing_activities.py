"""Marketing activities: validation, cost per prospect/signed (Decimal), list, detail, roles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from zhangfang.core.errors import DomainError
from zhangfang.leads.models import MarketingActivity, Stage
from zhangfang.leads.selectors import marketing as selectors
from zhangfang.leads.services import marketing as services
from zhangfang.leads.tests.factories import MarketingActivityFactory, ProspectFactory, channel

pytestmark = pytest.mark.django_db

LIST = reverse("leads:activity_list")


def form_data(**changes) -> dict:
    data = {
        "name": "2026 深圳创业展",
        "kind": "exhibition",
        "channel": channel("exhibition").pk,
        "starts_on": "2026-11-20",
        "ends_on": "2026-11-22",
        "cost": "12000.50",
        "notes": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def sales(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    return client


def test_create_activity(sales, sales_firm):
    response = sales.post(
        reverse("leads:activity_create"), form_data(owner=sales_firm.staff.sales1.pk)
    )
    activity = MarketingActivity.objects.get()
    assert response.status_code == 302
    assert activity.cost == Decimal("12000.50")
    assert activity.ends_on == dt.date(2026, 11, 22)


def test_end_before_start_is_refused_beside_the_field(sales):
    response = sales.post(
        reverse("leads:activity_create"), form_data(starts_on="2026-11-22", ends_on="2026-11-20")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_on"] == ["结束日期不能早于开始日期。"]
    assert not MarketingActivity.objects.exists()


def test_negative_cost_is_refused(sales):
    response = sales.post(reverse("leads:activity_create"), form_data(cost="-1"))
    assert response.context["form"].errors["cost"] == ["费用不能为负数。"]
    assert not MarketingActivity.objects.exists()


def test_service_checks_rules_too(sales_firm):
    data = {
        "name": "x",
        "kind": "other",
        "starts_on": dt.date(2026, 1, 2),
        "ends_on": dt.date(2026, 1, 1),
        "cost": Decimal("0"),
    }
    with pytest.raises(DomainError):
        services.activity_create(data=data, by=sales_firm.staff.admin)
    with pytest.raises(DomainError):
        services.activity_create(
            data={**data, "ends_on": dt.date(2026, 1, 3), "cost": Decimal("-0.01")},
            by=sales_firm.staff.admin,
        )


def test_cost_per_prospect_and_per_signed_are_decimal_to_the_fen(sales_firm):
    activity = MarketingActivityFactory(cost=Decimal("1000.00"))
    for stage in (Stage.WON, Stage.WON, Stage.WON, Stage.LEAD, Stage.LOST, Stage.VISIT, Stage.LEAD):
        ProspectFactory(activity=activity, stage=stage)
    stats = selectors.activity_stats(activity)
    assert (stats.prospects, stats.signed) == (7, 3)
    assert stats.cost_per_prospect == Decimal("142.86")
    assert stats.cost_per_signed == Decimal("333.33")
    assert isinstance(stats.cost_per_signed, Decimal)
    assert stats.conversion_percent == Decimal("42.9")


def test_cost_per_signed_is_none_without_signed(sales_firm):
    activity = MarketingActivityFactory(cost=Decimal("500"))
    stats = selectors.activity_stats(activity)
    assert stats.cost_per_prospect is None and stats.cost_per_signed is None


def test_edit_keeps_version_and_detects_conflict(sales, sales_firm):
    activity = MarketingActivityFactory(name="旧名")
    url = reverse("leads:activity_edit", args=[activity.pk])
    stale = form_data(name="新名", version=activity.version)
    services.activity_update(
        activity=activity,
        data={
            "name": "别人改的",
            "kind": "exhibition",
            "channel": None,
            "starts_on": activity.starts_on,
            "ends_on": activity.ends_on,
            "cost": Decimal("1"),
            "owner": None,
            "notes": "",
        },
        expected_version=activity.version,
        by=sales_firm.staff.head1,
    )
    response = sales.post(url, stale)
    assert response.status_code == 200
    assert "其他人已修改" in response.content.decode()
    activity.refresh_from_db()
    assert activity.name == "别人改的"


def test_detail_shows_counts_and_only_visible_prospects(client, sales_firm):
    activity = MarketingActivityFactory(cost=Decimal("900"))
    mine = ProspectFactory(activity=activity, owner=sales_firm.staff.sales1, stage=Stage.WON)
    ProspectFactory(activity=activity, owner=sales_firm.staff.sales3)
    ProspectFactory(activity=activity, owner=sales_firm.staff.sales3, stage=Stage.WON)
    client.force_login(sales_firm.staff.sales1)
    response = client.get(reverse("leads:activity_detail", args=[activity.pk]))
    assert response.status_code == 200
    assert response.context["stats"].prospects == 3
    assert response.context["stats"].cost_per_signed == Decimal("450.00")
    assert [p.pk for p in response.context["page"].object_list] == [mine.pk]
    assert "¥450.00" in response.content.decode()


def test_list_filters_and_sort(client, sales_firm):
    client.force_login(sales_firm.staff.head1)
    MarketingActivityFactory(name="展会A", kind="exhibition", starts_on=dt.date(2026, 3, 1))
    MarketingActivityFactory(
        name="网推B", kind="online", channel=channel("wechat"), starts_on=dt.date(2026, 6, 1)
    )
    MarketingActivityFactory(name="展会C", kind="exhibition", starts_on=dt.date(2026, 9, 1))

    def names(params):
        return [a.name for a in client.get(LIST, params).context["page"].object_list]

    assert names({}) == ["展会C", "网推B", "展会A"]
    assert names({"kind": "exhibition", "sort": "starts_on"}) == ["展会A", "展会C"]
    assert names({"channel": channel("wechat").pk}) == ["网推B"]
    assert names({"date_from": "2026-05-01", "date_to": "2026-07-01"}) == ["网推B"]
    assert names({"kind": "bogus", "date_from": "x"}) == ["展会C", "网推B", "展会A"]


def test_list_fragment_for_htmx(client, sales_firm):
    client.force_login(sales_firm.staff.head1)
    MarketingActivityFactory(name="展会A")
    response = client.get(LIST, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "展会A" in body and "<html" not in body


def test_list_query_count_does_not_grow(client, sales_firm, django_assert_num_queries):
    client.force_login(sales_firm.staff.head1)
    activity = MarketingActivityFactory()
    ProspectFactory(activity=activity, stage=Stage.WON)
    client.get(LIST)  # warm caches (policy, groups)
    # session, user, groups, channel options, count, page ids, rows
    with django_assert_num_queries(7):
        client.get(LIST)
    for _ in range(5):
        ProspectFactory(activity=MarketingActivityFactory(), stage=Stage.WON)
    with django_assert_num_queries(7):
        client.get(LIST)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("sales1", 200),
        ("sales3", 200),
        ("head2", 200),
        ("admin", 200),
        ("acct1", 403),
        ("finance", 403),
    ],
)
def test_role_matrix(client, sales_firm, who, status):
    activity = MarketingActivityFactory()
    client.force_login(getattr(sales_firm.staff, who))
    assert client.get(LIST).status_code == status
    assert client.get(reverse("leads:activity_detail", args=[activity.pk])).status_code == status
    assert client.get(reverse("leads:activity_create")).status_code == status


def test_missing_activity_is_404(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    assert client.get(reverse("leads:activity_detail", args=[999])).status_code == 404


def test_anonymous_redirected(client, db):
    assert client.get(LIST).status_code == 302
