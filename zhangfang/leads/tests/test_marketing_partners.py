"""Partner institutions: two-way referral counts in one query, referral out, pages, roles."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import Partner, PartnerReferralOut
from zhangfang.leads.selectors import marketing as selectors
from zhangfang.leads.tests.factories import (
    PartnerFactory,
    PartnerReferralOutFactory,
    ProspectFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("leads:partner_list")


def test_two_way_counts_do_not_multiply(sales_firm, django_assert_num_queries):
    busy = PartnerFactory(name="甲注册代理")
    quiet = PartnerFactory(name="乙律师事务所", kind="law_firm")
    for _ in range(3):
        ProspectFactory(partner=busy)
    for _ in range(2):
        PartnerReferralOutFactory(partner=busy)
    PartnerReferralOutFactory(partner=quiet)
    with django_assert_num_queries(1):
        rows = {p.name: (p.prospects_sent, p.clients_received) for p in selectors.partner_list()}
    assert rows == {"甲注册代理": (3, 2), "乙律师事务所": (0, 1)}


def test_list_query_count_is_constant(client, sales_firm, django_assert_num_queries):
    client.force_login(sales_firm.staff.sales1)
    PartnerFactory()
    client.get(LIST)
    # session, user, groups, count, page ids, rows
    with django_assert_num_queries(6):
        client.get(LIST)
    for _ in range(6):
        partner = PartnerFactory()
        ProspectFactory(partner=partner)
        PartnerReferralOutFactory(partner=partner)
    with django_assert_num_queries(6):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == 7


def test_list_filters_and_sort_by_counts(client, sales_firm):
    client.force_login(sales_firm.staff.head1)
    a = PartnerFactory(name="甲注册代理", kind="registration")
    PartnerFactory(name="乙律师事务所", kind="law_firm", is_active=False)
    ProspectFactory(partner=a)

    def names(params):
        return [p.name for p in client.get(LIST, params).context["page"].object_list]

    assert names({"kind": "law_firm"}) == ["乙律师事务所"]
    assert names({"active": "1"}) == ["甲注册代理"]
    assert names({"q": "律师"}) == ["乙律师事务所"]
    assert names({"sort": "-sent"}) == ["甲注册代理", "乙律师事务所"]


def test_create_and_edit_partner(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(
        reverse("leads:partner_create"),
        {
            "name": "丙税务师事务所",
            "kind": "tax_firm",
            "contact_mobile": "138 0013 8000",
            "is_active": "on",
        },
    )
    partner = Partner.objects.get()
    assert response.status_code == 302
    assert partner.contact_mobile == "+8613800138000"
    response = client.post(
        reverse("leads:partner_edit", args=[partner.pk]),
        {"name": "丙税务师事务所（南山）", "kind": "tax_firm", "version": partner.version},
    )
    partner.refresh_from_db()
    assert partner.name == "丙税务师事务所（南山）" and not partner.is_active
    assert AuditEvent.objects.filter(object_type="leads.partner").count() == 2


def test_duplicate_partner_name_is_refused_beside_the_name(client, sales_firm):
    PartnerFactory(name="甲注册代理")
    client.force_login(sales_firm.staff.sales1)
    response = client.post(reverse("leads:partner_create"), {"name": "甲注册代理", "kind": "other"})
    assert response.context["form"].errors["name"] == ["合作机构“甲注册代理”已存在。"]


def test_bad_mobile_is_refused(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(
        reverse("leads:partner_create"), {"name": "x", "kind": "other", "contact_mobile": "123"}
    )
    assert "contact_mobile" in response.context["form"].errors


def test_record_referral_out_among_visible_clients(client, sales_firm):
    partner = PartnerFactory()
    mine = ClientFactory(department=sales_firm.d1, sales_owner=sales_firm.staff.sales1)
    other = ClientFactory(department=sales_firm.d2)
    client.force_login(sales_firm.staff.sales1)
    url = reverse("leads:partner_referral_out", args=[partner.pk])
    response = client.post(url, {"client": other.pk, "referred_on": "2026-11-01"})
    assert response.status_code == 400
    assert "所选客户不存在或您无权查看" in response.content.decode()
    response = client.post(
        url, {"client": mine.pk, "referred_on": "2026-11-01", "notes": "注册分公司"}
    )
    assert response.status_code == 302
    referral = PartnerReferralOut.objects.get()
    assert (referral.client, referral.recorded_by) == (mine, sales_firm.staff.sales1)
    event = AuditEvent.objects.get(object_type="leads.partnerreferralout")
    assert (event.anchor_type, event.anchor_id) == ("leads.partner", str(partner.pk))


def test_detail_shows_both_lists(client, sales_firm):
    partner = PartnerFactory()
    ProspectFactory(partner=partner, company_name="被推荐来的公司", owner=sales_firm.staff.sales1)
    ProspectFactory(partner=partner, company_name="别人的公司", owner=sales_firm.staff.sales3)
    acme = ClientFactory(name="我们推荐过去的公司", department=sales_firm.d1)
    PartnerReferralOutFactory(partner=partner, client=acme)
    client.force_login(sales_firm.staff.head1)
    body = client.get(reverse("leads:partner_detail", args=[partner.pk])).content.decode()
    assert "被推荐来的公司" in body and "我们推荐过去的公司" in body
    assert "别人的公司" not in body  # another department's prospect


@pytest.mark.parametrize(
    ("who", "status"),
    [("sales1", 200), ("head2", 200), ("admin", 200), ("acct1", 403), ("finance", 403)],
)
def test_role_matrix(client, sales_firm, who, status):
    partner = PartnerFactory()
    client.force_login(getattr(sales_firm.staff, who))
    assert client.get(LIST).status_code == status
    assert client.get(reverse("leads:partner_detail", args=[partner.pk])).status_code == status


def test_missing_partner_404(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    assert client.get(reverse("leads:partner_detail", args=[12345])).status_code == 404
