"""Contract pages: the role matrix (404 for those outside the scope), the list with its filters,
待我审核 and pinned query counts, drafting, the detail page's actions, edit, review, signing with
the upload, termination, renewal, the signed scan download and the client page's tab."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.contracts.models import Contract, ContractStatus
from zhangfang.contracts.tests.contracts_support import (
    END,
    NOW,
    PDF_BYTES,
    START,
    accepted_version,
    contract_in,
    make_firm,
    scan,
)
from zhangfang.core.models import AuditEvent

pytestmark = pytest.mark.django_db

S = ContractStatus
LIST = reverse("contracts:contract_list")


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


def url(name: str, contract: Contract) -> str:
    return reverse(f"contracts:{name}", args=[contract.pk])


def as_user(client, firm, who: str):
    client.force_login(getattr(firm.staff, who))
    return client


# -- role matrix ------------------------------------------------------------------------------

#: Who may open acme's contract: its owner, the head of its department, acme's service team
#: (accountant, tax specialist, customer service), finance and administrators; nobody else.
READ_MATRIX = [
    ("sales1", 200),  # owner
    ("sales2", 404),  # colleague in the same department
    ("sales3", 404),  # salesperson of another department
    ("head1", 200),  # head of the department
    ("head2", 404),  # head of another department
    ("acct1", 200),  # acme's accountant
    ("acct2", 404),  # accountant not on acme's team
    ("tax1", 200),  # acme's tax specialist
    ("cs1", 200),  # acme's customer service
    ("service2", 404),  # customer service not on acme's team
    ("finance", 200),
    ("admin", 200),
]


@pytest.mark.parametrize(("who", "status"), READ_MATRIX)
def test_detail_pdf_and_scan_follow_the_scope(client, firm, who, status):
    contract = contract_in(firm, S.SIGNED)
    as_user(client, firm, who)
    assert client.get(url("contract_detail", contract)).status_code == status
    assert client.get(url("contract_pdf", contract)).status_code == status
    response = client.get(url("contract_scan", contract))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF_BYTES
        opened = AuditEvent.objects.filter(action="reveal", object_id=str(contract.pk))
        assert opened.filter(actor=firm.staff.__dict__[who]).count() == 1


@pytest.mark.parametrize(("who", "status"), READ_MATRIX)
def test_others_get_404_on_every_action_url(client, firm, who, status):
    contract = contract_in(firm, S.DRAFT)
    as_user(client, firm, who)
    for name in ("contract_edit", "contract_review", "contract_sign", "contract_terminate"):
        code = client.get(url(name, contract)).status_code
        assert (code == 404) == (status == 404), (name, code)
    for name in ("contract_submit", "contract_renew"):
        code = client.post(url(name, contract)).status_code
        assert (code == 404) == (status == 404), (name, code)


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("sales1", 1),
        ("sales2", 0),
        ("head1", 1),
        ("head2", 0),
        ("acct1", 1),
        ("acct2", 0),
        ("finance", 1),
        ("admin", 1),
    ],
)
def test_list_is_scoped(client, firm, who, visible):
    contract_in(firm, S.DRAFT)
    response = as_user(client, firm, who).get(LIST)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == visible


def test_a_head_of_the_clients_department_sees_a_contract_drafted_elsewhere(client, firm):
    version = accepted_version(firm, owner=firm.staff.sales3)
    contract = contract_in(firm, S.DRAFT, version=version)
    contract.department = firm.d2
    contract.save()
    assert as_user(client, firm, "head1").get(url("contract_detail", contract)).status_code == 200


# -- list -------------------------------------------------------------------------------------


def _many_contracts(firm, count: int) -> None:
    for _ in range(count):
        other = ClientFactory(department=firm.d1, sales_owner=firm.staff.sales1)
        contract_in(firm, S.DRAFT, version=accepted_version(firm, client=other))


@pytest.mark.parametrize("rows", [1, 12])
def test_list_query_count_does_not_grow(client, firm, rows, django_assert_max_num_queries):
    _many_contracts(firm, rows)
    as_user(client, firm, "head1")
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert response.context["page"].paginator.count == rows
    with django_assert_max_num_queries(10):
        client.get(LIST, {"status": "draft", "sort": "-end"}, HTTP_HX_REQUEST="true")


def test_list_query_count_is_pinned(client, firm, django_assert_num_queries):
    _many_contracts(firm, 3)
    as_user(client, firm, "admin")
    # session, user, groups; count, ids, rows; options for 经办人 and 部门; the session's
    # last-activity save (savepoint, update, release).
    with django_assert_num_queries(11):
        client.get(LIST)


def test_filters(client, firm, _clock):
    draft = contract_in(firm, S.DRAFT)
    active = contract_in(firm, S.ACTIVE, version=accepted_version(firm))
    as_user(client, firm, "admin")

    def numbers(**params) -> list[str]:
        return sorted(c.number for c in client.get(LIST, params).context["page"].object_list)

    assert numbers(status="draft") == [draft.number]
    assert numbers(q=active.number) == [active.number]
    assert numbers(q="艾克米") == sorted([draft.number, active.number])
    assert numbers(q="没有这个") == []
    assert numbers(owner=firm.staff.sales1.pk) == sorted([draft.number, active.number])
    assert numbers(department=firm.d2.pk) == []
    assert numbers(expiring=30) == []
    _clock.move_to(dt.datetime(2027, 12, 10, 9, 0, tzinfo=NOW.tzinfo))
    as_user(client, firm, "admin")  # a new login: the idle session has timed out
    assert numbers(expiring=30) == [active.number]
    assert numbers(expiring=7) == []
    assert numbers(status="bogus", owner="x") == sorted([draft.number, active.number])


def test_review_queue_shows_what_waits_for_me(client, firm):
    pending = contract_in(firm, S.PENDING)
    contract_in(firm, S.DRAFT, version=accepted_version(firm))
    page = as_user(client, firm, "head1").get(LIST, {"review": "1"})
    assert [c.number for c in page.context["page"].object_list] == [pending.number]
    page = as_user(client, firm, "head2").get(LIST, {"review": "1"})
    assert list(page.context["page"].object_list) == []
    page = as_user(client, firm, "sales1").get(LIST, {"review": "1"})
    assert list(page.context["page"].object_list) == []


def test_list_page_has_no_inline_script_or_style(client, firm):
    contract_in(firm, S.DRAFT)
    page = as_user(client, firm, "admin").get(LIST).content.decode()
    assert "<script>" not in page and 'style="' not in page and " onclick=" not in page


# -- drafting ---------------------------------------------------------------------------------


def test_draft_form_offers_accepted_plans_and_drafts(client, firm):
    as_user(client, firm, "sales1")
    create = reverse("contracts:contract_create")
    page = client.get(create, {"plan_version": firm.version.pk})
    assert page.status_code == 200
    assert page.context["form"]["plan_version"].value() == firm.version.pk
    response = client.post(create, {"plan_version": firm.version.pk, "template": firm.template.pk})
    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("contract_detail", contract)
    # The same plan again: refused beside the field, nothing drafted.
    response = client.post(create, {"plan_version": firm.version.pk, "template": firm.template.pk})
    assert response.status_code == 200
    assert Contract.objects.count() == 1


def test_draft_form_refuses_a_plan_the_user_cannot_see(client, firm):
    version = accepted_version(
        firm, client=ClientFactory(department=firm.d2), owner=firm.staff.sales3
    )
    as_user(client, firm, "sales1")
    response = client.post(
        reverse("contracts:contract_create"),
        {"plan_version": version.pk, "template": firm.template.pk},
    )
    assert response.status_code == 200
    assert "plan_version" in response.context["form"].errors
    assert not Contract.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("acct1", 403), ("finance", 403), ("head1", 200)])
def test_only_drafters_open_the_draft_form(client, firm, who, status):
    assert (
        as_user(client, firm, who).get(reverse("contracts:contract_create")).status_code == status
    )


# -- detail and actions -----------------------------------------------------------------------


def test_detail_shows_facts_lines_actions_and_timeline(client, firm):
    contract = contract_in(firm, S.DRAFT)
    page = as_user(client, firm, "sales1").get(url("contract_detail", contract))
    html = page.content.decode()
    assert contract.number in html and "深圳市艾克米科技有限公司" in html
    assert "¥4,200.00" in html and "人民币肆仟贰佰元整" in html
    assert "建账费" in html and "第十三条" in html
    assert page.context["actions"] == {
        "edit": True,
        "submit": True,
        "review": False,
        "sign": False,
        "terminate": False,
        "cancel": True,
        "renew": False,
    }
    assert [e.action for e in page.context["events"]] == ["create"]
    # A reader with no action gets no buttons.
    page = as_user(client, firm, "acct1").get(url("contract_detail", contract))
    assert page.context["actions"] == {}


def test_a_draft_is_cancelled_from_its_page_with_a_reason(client, firm):
    contract = contract_in(firm, S.DRAFT)
    browser = as_user(client, firm, "sales1")
    assert url("contract_cancel", contract) in browser.get(url("contract_detail", contract)).text
    refused = browser.post(url("contract_cancel", contract), {"reason": ""})
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    done = browser.post(url("contract_cancel", contract), {"reason": "客户暂不签约"}, follow=True)
    assert "此合同草稿已作废" in done.text
    assert Contract.objects.get(pk=contract.pk).status == S.CANCELLED
    assert as_user(client, firm, "acct1").get(url("contract_cancel", contract)).status_code in (
        403,
        404,
    )


def test_submit_and_review_return_with_comment(client, firm):
    contract = contract_in(firm, S.DRAFT)
    as_user(client, firm, "sales1").post(url("contract_submit", contract))
    contract.refresh_from_db()
    assert contract.status == S.PENDING
    # The drafter cannot open the review.
    assert client.get(url("contract_review", contract)).status_code == 403
    as_user(client, firm, "head1")
    response = client.post(url("contract_review", contract), {"decision": "return", "comment": ""})
    assert response.status_code == 200
    assert "comment" in response.context["form"].errors
    response = client.post(
        url("contract_review", contract), {"decision": "return", "comment": "金额核对一下"}
    )
    assert response.status_code == 302
    page = client.get(url("contract_detail", contract)).content.decode()
    assert "金额核对一下" in page


def test_review_approve(client, firm):
    contract = contract_in(firm, S.PENDING)
    response = as_user(client, firm, "head1").post(
        url("contract_review", contract), {"decision": "approve", "comment": ""}
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == S.APPROVED


def test_head_of_another_department_cannot_review(client, firm):
    contract = contract_in(firm, S.PENDING)
    contract.client.department = firm.d2
    contract.client.save()  # now head2 sees it through the client, but it is not theirs to approve
    assert as_user(client, firm, "head2").get(url("contract_review", contract)).status_code == 403


def test_edit_page_keeps_input_on_error_and_saves(client, firm):
    contract = contract_in(firm, S.DRAFT)
    as_user(client, firm, "sales1")
    response = client.post(
        url("contract_edit", contract),
        {"start_date": "not a date", "payment_method": "微信", "body": "新正文", "version": 1},
    )
    assert response.status_code == 200
    assert "start_date" in response.context["form"].errors
    assert "新正文" in response.content.decode()
    response = client.post(
        url("contract_edit", contract),
        {"start_date": "2027-02-01", "payment_method": "微信", "body": "新正文", "version": 1},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.end_date, contract.body) == (dt.date(2028, 1, 31), "新正文")
    # The same version again: the later save is refused, the typed text stays.
    response = client.post(
        url("contract_edit", contract),
        {"start_date": "2027-03-01", "payment_method": "", "body": "另一个", "version": 1},
    )
    assert response.status_code == 200
    assert response.context["conflict"]
    assert "另一个" in response.content.decode()


def test_sign_page_uploads_the_scan(client, firm):
    contract = contract_in(firm, S.APPROVED)
    as_user(client, firm, "sales1")
    response = client.post(
        url("contract_sign", contract),
        {"signed_on": "2026-12-01", "scan": scan("scan.txt", b"hello")},
    )
    assert response.status_code == 200
    assert "scan" in response.context["form"].errors
    response = client.post(
        url("contract_sign", contract), {"signed_on": "2026-12-01", "scan": scan()}
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == S.SIGNED and contract.signed_scan


def test_terminate_needs_confirmation(client, firm):
    contract = contract_in(firm, S.ACTIVE)
    as_user(client, firm, "head1")
    data = {"terminated_on": "2027-03-31", "reason": "客户公司注销"}
    response = client.post(url("contract_terminate", contract), data)
    assert response.status_code == 200
    assert "confirm" in response.context["form"].errors
    response = client.post(url("contract_terminate", contract), {**data, "confirm": "on"})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == S.TERMINATED
    # The owner may not terminate.
    other = contract_in(firm, S.ACTIVE, version=accepted_version(firm))
    assert as_user(client, firm, "sales1").get(url("contract_terminate", other)).status_code == 403


def test_renew_button_links_both_ways(client, firm):
    contract = contract_in(firm, S.ACTIVE)
    as_user(client, firm, "sales1")
    response = client.post(url("contract_renew", contract))
    renewal = Contract.objects.get(renewed_from=contract)
    assert response["Location"] == url("contract_detail", renewal)
    assert renewal.start_date == END + dt.timedelta(days=1)
    page = client.get(url("contract_detail", contract))
    assert renewal.number in page.content.decode()
    assert not page.context["actions"].get("renew")
    assert contract.number in client.get(url("contract_detail", renewal)).content.decode()
    # A second renewal is refused with a message.
    response = client.post(url("contract_renew", contract), follow=True)
    assert Contract.objects.filter(renewed_from=contract).count() == 1


def test_scan_is_404_before_signing(client, firm):
    contract = contract_in(firm, S.APPROVED)
    assert as_user(client, firm, "sales1").get(url("contract_scan", contract)).status_code == 404


# -- the client page's tab --------------------------------------------------------------------


def test_client_tab_lists_contracts_and_plans_to_draft_from(client, firm):
    contract = contract_in(firm, S.DRAFT)
    waiting = accepted_version(firm)
    as_user(client, firm, "sales1")
    response = client.get(reverse("clients:tab", args=[firm.acme.pk, "contracts"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert contract.number in html
    assert f"plan_version={waiting.pk}" in html
    assert f"plan_version={firm.version.pk}" not in html  # already drafted
    response = as_user(client, firm, "acct1").get(
        reverse("clients:tab", args=[firm.acme.pk, "contracts"])
    )
    assert contract.number in response.content.decode()
    assert "plan_version=" not in response.content.decode()


def test_start_is_when_the_plan_says(firm):
    assert contract_in(firm, S.DRAFT).start_date == START


# -- the home panel and the setting -----------------------------------------------------------


def test_home_panel_counts_what_waits_for_me(client, firm):
    contract_in(firm, S.PENDING)
    html = as_user(client, firm, "head1").get(reverse("core:home")).content.decode()
    assert "1 份合同待我审核" in html and "?review=1" in html
    html = as_user(client, firm, "head2").get(reverse("core:home")).content.decode()
    assert "待我审核" not in html


def test_renewal_notice_is_a_policy_setting_with_default_30():
    from zhangfang.core import policy

    definition = policy.REGISTRY["contracts.renewal_notice_days"]
    assert (definition.default, definition.clause) == (30, "二（三）4")
    assert policy.get("contracts.renewal_notice_days") == 30
