"""Service plan pages: role matrix, new plan from a client or a quote, live preview, revise, send
and withdraw, the list and detail with pinned query counts, and the client page's tab."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from zhangfang.contracts.models import PlanResponse, PlanStatus, ServicePlan
from zhangfang.contracts.services import plans as services
from zhangfang.contracts.tests.plans_support import (
    NOW,
    form_data,
    make_firm,
    make_plan,
    plan_terms,
    sent_plan,
)

pytestmark = pytest.mark.django_db

LIST = reverse("contracts:plan_list")
CREATE = reverse("contracts:plan_create")
PREVIEW = reverse("contracts:plan_preview")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_firm()


@pytest.fixture
def plan(firm):
    return make_plan(firm)


def detail_url(plan) -> str:
    return reverse("contracts:plan_detail", args=[plan.pk])


# -- role matrix -------------------------------------------------------------------------------

#: Who sees acme's plan: its owner, the head of its department, its accountant, finance and
#: administrators; not a colleague of the owner, another department, or a客服 not on its team.
READ_MATRIX = [
    ("sales1", 200),  # owner
    ("sales2", 404),  # colleague in the same department
    ("sales3", 404),  # salesperson of another department
    ("head1", 200),  # head of the department
    ("head2", 404),  # head of another department
    ("acct1", 200),  # acme's accountant
    ("service1", 404),  # customer service, not on acme's team
    ("finance", 200),
    ("admin", 200),
]


@pytest.mark.parametrize(("who", "status"), READ_MATRIX)
def test_detail_role_matrix(client, firm, plan, who, status):
    client.force_login(getattr(firm.staff, who))
    assert client.get(detail_url(plan)).status_code == status


#: Who may change the plan: writers who see it; readers get 403, strangers 404.
WRITE_MATRIX = [
    ("sales1", 302),
    ("sales2", 404),
    ("head1", 302),
    ("head2", 404),
    ("acct1", 403),
    ("finance", 403),
    ("admin", 302),
]


@pytest.mark.parametrize(("who", "status"), WRITE_MATRIX)
def test_send_and_withdraw_role_matrix(client, firm, plan, who, status):
    client.force_login(getattr(firm.staff, who))
    assert client.post(reverse("contracts:plan_send", args=[plan.pk])).status_code == status
    assert client.post(reverse("contracts:plan_withdraw", args=[plan.pk])).status_code == status
    plan.refresh_from_db()
    assert plan.status == (PlanStatus.WITHDRAWN if status == 302 else PlanStatus.DRAFT)


@pytest.mark.parametrize(("who", "status"), [(w, 200 if s == 302 else s) for w, s in WRITE_MATRIX])
def test_revise_page_role_matrix(client, firm, plan, who, status):
    client.force_login(getattr(firm.staff, who))
    assert client.get(reverse("contracts:plan_revise", args=[plan.pk])).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("sales1", 200),
        ("sales2", 404),  # acme is not theirs
        ("head1", 200),
        ("head2", 404),
        ("acct1", 403),
        ("finance", 403),
        ("admin", 200),
    ],
)
def test_new_plan_page_role_matrix(client, firm, who, status):
    client.force_login(getattr(firm.staff, who))
    assert client.get(CREATE, {"client": firm.acme.pk}).status_code == status


def test_every_role_opens_the_list_and_sees_only_its_plans(client, firm, plan):
    for who, status in READ_MATRIX:
        client.force_login(getattr(firm.staff, who))
        response = client.get(LIST)
        assert response.status_code == 200
        assert (plan.title in response.text) == (status == 200), who


def test_anonymous_is_sent_to_login(client, plan):
    for url in (LIST, CREATE, detail_url(plan)):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


# -- new plan ----------------------------------------------------------------------------------


def test_new_plan_from_the_clients_tab(client, firm):
    client.force_login(firm.staff.sales1)
    page = client.get(CREATE, {"client": firm.acme.pk})
    initial = page.context["form"].initial
    assert initial["taxpayer_type"] == "small" and initial["industry"] == "I"
    assert initial["title"] == "艾克米代理记账服务方案"
    response = client.post(
        f"{CREATE}?client={firm.acme.pk}",
        {**form_data(firm), "include_setup": "on", "addons": [firm.prices["annual_report"].pk]},
    )
    plan = ServicePlan.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(plan)
    version = plan.versions.get()
    assert [line.name for line in version.lines.all()] == [
        "小规模纳税人代理记账",
        "建账费",
        "账本费",
        "工商年报",
    ]
    assert str(version.total) == "4500.00"
    assert plan.owner == firm.staff.sales1


def test_new_plan_takes_the_quote_calculators_figures(client, firm):
    client.force_login(firm.staff.sales1)
    addon = firm.prices["settlement"]
    query = (
        f"client={firm.acme.pk}&taxpayer_type=general&industry=C&monthly_vouchers=120"
        f"&payment_term={firm.terms['annual_discount'].pk}&term_months=24"
        f"&addons={addon.pk}&include_setup=1"
    )
    form = client.get(f"{CREATE}?{query}").context["form"]
    assert form.initial["taxpayer_type"] == "general"
    assert form.initial["industry"] == "C"
    assert form.initial["monthly_vouchers"] == "120"
    assert form.initial["payment_term"] == str(firm.terms["annual_discount"].pk)
    assert form.initial["term_months"] == "24"
    assert form.initial["addons"] == [str(addon.pk)]
    assert form.initial["include_setup"] is True


def test_a_quote_without_industry_surcharge_stays_without_it(client, firm):
    firm.acme.industry = "C"
    firm.acme.save(update_fields=["industry"])
    client.force_login(firm.staff.sales1)
    quoted = client.get(f"{CREATE}?client={firm.acme.pk}&industry=&monthly_vouchers=50")
    assert quoted.context["form"].initial["industry"] == ""
    plain = client.get(f"{CREATE}?client={firm.acme.pk}")
    assert plain.context["form"].initial["industry"] == "C"


def test_the_client_picker_searches_visible_clients_and_keeps_the_quote(client, firm):
    client.force_login(firm.staff.sales1)
    page = client.get(CREATE, {"q": "艾克米", "monthly_vouchers": "80"})
    assert page.status_code == 200
    assert f"?client={firm.acme.pk}&amp;monthly_vouchers=80" in page.text
    fragment = client.get(CREATE, {"q": "艾克米"}, headers={"HX-Request": "true"})
    assert firm.acme.name in fragment.text and "<html" not in fragment.text
    client.force_login(firm.staff.sales3)
    assert firm.acme.name not in client.get(CREATE, {"q": "艾克米"}).text


def test_errors_name_the_field_and_keep_the_input(client, firm):
    client.force_login(firm.staff.sales1)
    response = client.post(
        f"{CREATE}?client={firm.acme.pk}",
        form_data(
            firm,
            term_months="18",
            payment_term=str(firm.terms["annual_discount"].pk),
            content="我们写的服务内容",
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "整数倍" in form.errors["term_months"][0]
    assert "我们写的服务内容" in response.text
    assert not ServicePlan.objects.exists()


def test_an_addon_not_in_force_on_the_start_date_is_refused(client, firm):
    addon = firm.prices["annual_report"]
    addon.effective_to = dt.date(2026, 12, 31)  # retired before the plan starts
    addon.save()
    client.force_login(firm.staff.sales1)
    response = client.post(
        f"{CREATE}?client={firm.acme.pk}", {**form_data(firm), "addons": [addon.pk]}
    )
    assert "有效期" in response.context["form"].errors["addons"][0]


def test_live_preview_prices_the_figures(client, firm):
    client.force_login(firm.staff.sales1)
    response = client.post(
        PREVIEW,
        {**form_data(firm), "payment_term": firm.terms["annual_discount"].pk},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "¥3,340.00" in response.text and "叁仟叁佰肆拾元整" in response.text
    bad = client.post(PREVIEW, {**form_data(firm), "monthly_vouchers": ""})
    assert "暂时无法计价" in bad.text
    client.force_login(firm.staff.finance)
    assert client.post(PREVIEW, form_data(firm)).status_code == 403


# -- detail, send, revise, withdraw ------------------------------------------------------------


def test_detail_shows_the_plan_and_the_link_once_sent(client, firm, plan):
    client.force_login(firm.staff.sales1)
    page = client.get(detail_url(plan))
    assert "发送给客户确认" in page.text and "客户确认链接" not in page.text
    assert "¥3,700.00" in page.text and "叁仟柒佰元整" in page.text
    response = client.post(reverse("contracts:plan_send", args=[plan.pk]), follow=True)
    token = services.plan_token(plan.versions.get())
    assert f"http://testserver/contracts/p/{token}/" in response.text
    assert "2026-12-15 10:00" in response.text  # valid for 14 days
    assert "重新发送" in response.text


def test_the_full_round_through_the_pages(client, firm, plan):
    client.force_login(firm.staff.sales1)
    client.post(reverse("contracts:plan_send", args=[plan.pk]))
    version = plan.versions.get()
    services.plan_respond(
        version=version,
        response=PlanResponse.CHANGES_REQUESTED,
        comment="请加上汇算清缴",
        responder_name="王总",
    )
    page = client.get(reverse("contracts:plan_revise", args=[plan.pk]))
    assert "请加上汇算清缴" in page.text
    assert page.context["form"].initial["version"] == ServicePlan.objects.get().version
    response = client.post(
        reverse("contracts:plan_revise", args=[plan.pk]),
        {
            **form_data(firm),
            "addons": [firm.prices["settlement"].pk],
            "version": page.context["form"].initial["version"],
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT and plan.versions.count() == 2
    detail = client.get(detail_url(plan))
    # The history shows both versions and what the client said.
    assert "第 2 版" in detail.text and "第 1 版" in detail.text
    assert "请加上汇算清缴" in detail.text and "王总" in detail.text


def test_an_accepted_plan_offers_drafting_the_contract(client, firm, plan):
    client.force_login(firm.staff.sales1)
    client.post(reverse("contracts:plan_send", args=[plan.pk]))
    version = plan.versions.get()
    services.plan_respond(
        version=version, response=PlanResponse.ACCEPTED, comment="", responder_name="王总"
    )
    page = client.get(detail_url(plan))
    draft_url = f"{reverse('contracts:contract_create')}?plan_version={version.pk}"
    assert draft_url in page.text
    assert client.get(draft_url).status_code == 200


def test_a_stale_revision_is_refused_and_keeps_the_input(client, firm, plan):
    client.force_login(firm.staff.sales1)
    opened = plan.version
    services.plan_revise(plan=plan, terms=plan_terms(firm), by=firm.staff.head1)
    response = client.post(
        reverse("contracts:plan_revise", args=[plan.pk]),
        {**form_data(firm), "content": "我的修改", "version": opened},
    )
    assert response.status_code == 200
    assert "其他人已修改" in response.text and "我的修改" in response.text
    assert response.context["form"]["version"].value() == str(opened + 1)


def test_revise_of_a_sent_plan_sends_back_to_detail_with_a_message(client, firm):
    plan, _token = sent_plan(firm)
    client.force_login(firm.staff.sales1)
    response = client.get(reverse("contracts:plan_revise", args=[plan.pk]), follow=True)
    assert "请先撤回" in response.text


def test_withdraw_records_the_reason(client, firm):
    plan, _token = sent_plan(firm)
    client.force_login(firm.staff.head1)
    response = client.post(
        reverse("contracts:plan_withdraw", args=[plan.pk]), {"reason": "客户暂缓"}, follow=True
    )
    assert "链接已失效" in response.text
    plan.refresh_from_db()
    assert plan.status == PlanStatus.WITHDRAWN


# -- list and detail: queries pinned -----------------------------------------------------------


def _many(firm, n):
    for i in range(n):
        make_plan(firm, monthly_vouchers=i % 100)


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_is_pinned(client, firm, rows, django_assert_num_queries):
    _many(firm, rows)
    client.force_login(firm.staff.head1)
    client.get(LIST)
    # session, user, roles, count, page ids, rows, owner options
    with django_assert_num_queries(7):
        response = client.get(LIST, {"sort": "-total"})
    assert len(response.context["page"].object_list) == min(rows, 25)
    with django_assert_num_queries(6):
        client.get(LIST, {"q": "艾克米", "status": "draft"}, headers={"HX-Request": "true"})


def test_list_filters_and_sorts(client, firm):
    cheap = make_plan(firm)
    dear = make_plan(firm, include_setup=True, by=firm.staff.head1)
    services.plan_send(plan=dear, by=firm.staff.head1)
    client.force_login(firm.staff.admin)
    rows = client.get(LIST, {"sort": "-total"}).context["page"].object_list
    assert [p.pk for p in rows] == [dear.pk, cheap.pk]
    assert rows[0].latest_total > rows[1].latest_total
    by_status = client.get(LIST, {"status": "sent"}).context["page"].object_list
    assert [p.pk for p in by_status] == [dear.pk]
    by_owner = client.get(LIST, {"owner": firm.staff.sales1.pk}).context["page"].object_list
    assert [p.pk for p in by_owner] == [cheap.pk]
    assert not client.get(LIST, {"q": "没有这个客户"}).context["page"].object_list
    assert client.get(LIST, {"status": "nonsense", "sort": "password"}).status_code == 200


def test_detail_query_count_does_not_grow_with_versions(client, firm, django_assert_num_queries):
    plan = make_plan(firm)
    for _round in range(3):
        services.plan_send(plan=plan, by=firm.staff.sales1)
        services.plan_withdraw(plan=plan, by=firm.staff.sales1)
        services.plan_revise(plan=plan, terms=plan_terms(firm), by=firm.staff.sales1)
    services.plan_send(plan=plan, by=firm.staff.sales1)  # the link box shows too
    client.force_login(firm.staff.sales1)
    client.get(detail_url(plan))
    # session, user, roles, plan with client/owner/department, versions, lines
    with django_assert_num_queries(6):
        response = client.get(detail_url(plan))
    assert len(response.context["versions"]) == 4 and "客户确认链接" in response.text


# -- the client page's tab ---------------------------------------------------------------------


def test_client_tab_lists_plans_and_offers_a_new_one_to_writers(client, firm, plan):
    url = reverse("clients:tab", args=[firm.acme.pk, "plans"])
    client.force_login(firm.staff.sales1)
    response = client.get(url)
    assert response.status_code == 200 and plan.title in response.text
    assert f"{CREATE}?client={firm.acme.pk}" in response.text
    client.force_login(firm.staff.acct1)
    response = client.get(url)
    assert plan.title in response.text and f"{CREATE}?client=" not in response.text
    client.force_login(firm.staff.sales3)
    assert client.get(url).status_code == 404


def test_plan_events_show_in_the_clients_history(client, firm):
    plan, token = sent_plan(firm)
    services.plan_respond(
        version=services.plan_from_token(token),
        response=PlanResponse.CHANGES_REQUESTED,
        comment="请改为按季付",
        responder_name="王总",
    )
    services.plan_revise(plan=plan, terms=plan_terms(firm), by=firm.staff.sales1)
    services.plan_withdraw(plan=plan, by=firm.staff.sales1, reason="客户暂缓")
    client.force_login(firm.staff.sales1)
    response = client.get(reverse("clients:tab", args=[firm.acme.pk, "history"]))
    assert response.status_code == 200
    text = response.text
    assert "艾克米代理记账服务方案（第 1 版）" in text and "（第 2 版）" in text
    assert "王总（客户）" in text and "请改为按季付" in text
    assert "发送给客户确认" in text and "客户暂缓" in text
    assert "服务期合计" in text  # field labels, not field names
