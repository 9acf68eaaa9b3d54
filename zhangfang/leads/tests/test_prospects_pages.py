"""Prospect pages: role matrix, register form with duplicate warning, edit conflict, list and
board with pinned query counts, board moves, detail tabs, conversion, export, panel, client tab."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhangfang.clients.models import Client
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import Prospect, Stage
from zhangfang.leads.tests.factories import ProspectFactory, channel, loss_reason

LIST = reverse("leads:prospect_list")
BOARD = reverse("leads:pipeline_board")
CREATE = reverse("leads:prospect_create")


@pytest.fixture
def p(sales_firm):
    return ProspectFactory(owner=sales_firm.staff.sales1, company_name="深圳市恒星科技有限公司")


def _form_data(**changes):
    data = {
        "company_name": "深圳市新星贸易有限公司",
        "contact_name": "张三",
        "contact_mobile": "138-0013-8000",
        "channel": str(channel("walk_in").pk),
        "tax_needs": ["bookkeeping", "filing"],
        "size": "small",
    }
    data.update(changes)
    return data


# -- role matrix ---------------------------------------------------------------------------------

RECORD_PAGES = ["leads:prospect_detail", "leads:prospect_edit", "leads:prospect_convert"]


@pytest.mark.parametrize("name", RECORD_PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("sales1", 200),  # owner
        ("sales2", 404),  # colleague in the same department
        ("sales3", 404),  # other department
        ("head1", 200),  # head of the prospect's department
        ("head2", 404),  # head of another department
        ("acct1", 404),  # outsider
        ("admin", 200),
    ],
)
def test_record_page_role_matrix(client, sales_firm, p, name, who, status):
    client.force_login(getattr(sales_firm.staff, who))
    assert client.get(reverse(name, args=[p.pk])).status_code == status


def test_finance_reads_but_does_not_edit(client, sales_firm, p):
    client.force_login(sales_firm.staff.finance)
    assert client.get(reverse("leads:prospect_detail", args=[p.pk])).status_code == 200
    assert client.get(reverse("leads:prospect_edit", args=[p.pk])).status_code == 403
    response = client.post(reverse("leads:prospect_move", args=[p.pk]), {"to": "assessment"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("url", "allowed", "refused"),
    [
        (LIST, ["sales1", "head1", "finance", "admin"], ["acct1"]),
        (BOARD, ["sales1", "head1", "finance", "admin"], ["acct1"]),
        (CREATE, ["sales1", "head1", "admin"], ["acct1", "finance"]),
        (reverse("leads:prospect_import"), ["sales1", "head1", "admin"], ["acct1", "finance"]),
        (reverse("leads:prospect_export"), ["head1", "finance", "admin"], ["sales1", "acct1"]),
    ],
)
def test_page_role_matrix(client, sales_firm, url, allowed, refused):
    for who in allowed:
        client.force_login(getattr(sales_firm.staff, who))
        assert client.get(url).status_code == 200, who
    for who in refused:
        client.force_login(getattr(sales_firm.staff, who))
        assert client.get(url).status_code == 403, who


@pytest.mark.parametrize(
    "url", [LIST, BOARD, CREATE, "/leads/prospects/1/", reverse("leads:prospect_import")]
)
def test_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


def test_list_shows_only_what_the_user_may_see(client, sales_firm, p):
    ProspectFactory(owner=sales_firm.staff.sales3, company_name="别人的客户")
    client.force_login(sales_firm.staff.sales1)
    content = client.get(LIST).content.decode()
    assert "深圳市恒星科技有限公司" in content and "别人的客户" not in content


# -- register ------------------------------------------------------------------------------------


def test_sales_registers_a_prospect_for_themself(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    page = client.get(CREATE).content.decode()
    assert "税务需求" in page and 'type="checkbox"' in page and "代理记账" in page
    response = client.post(CREATE, _form_data())
    prospect = Prospect.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:prospect_detail", args=[prospect.pk])
    assert prospect.owner == sales_firm.staff.sales1 and prospect.department == sales_firm.d1
    assert prospect.contact_mobile == "+8613800138000"
    assert prospect.tax_needs == ["bookkeeping", "filing"] and prospect.score > 0


def test_head_may_assign_another_owner(client, sales_firm):
    client.force_login(sales_firm.staff.head1)
    form = client.get(CREATE).context["form"]
    assert form.initial["department"] == sales_firm.d1.pk
    client.post(CREATE, _form_data(owner=str(sales_firm.staff.sales2.pk)))
    prospect = Prospect.objects.get()
    assert prospect.owner == sales_firm.staff.sales2 and prospect.department == sales_firm.d1


def test_sales_cannot_give_the_prospect_to_someone_else(client, sales_firm):
    client.force_login(sales_firm.staff.sales1)
    client.post(CREATE, _form_data(owner=str(sales_firm.staff.sales3.pk)))
    assert Prospect.objects.get().owner == sales_firm.staff.sales1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_mobile", "12345", "手机号码"),
        ("uscc", "91440300MA5F8YJX2Z", "统一社会信用代码"),
        ("company_name", "", "必填"),
        ("channel", "", "必填"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_field(
    client, sales_firm, field, value, message
):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(CREATE, _form_data(**{field: value}))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Prospect.objects.exists()
    # What was typed is still there.
    assert "张三" in response.content.decode()


def test_duplicate_warning_then_save_anyway(client, sales_firm, p):
    client.force_login(sales_firm.staff.sales1)
    data = _form_data(company_name="恒星科技有限公司")
    response = client.post(CREATE, data)
    assert response.status_code == 200
    assert Prospect.objects.count() == 1
    page = response.content.decode()
    assert "可能重复" in page and reverse("leads:prospect_detail", args=[p.pk]) in page
    assert "仍然登记" in page
    response = client.post(CREATE, {**data, "confirm_duplicates": "on"})
    assert response.status_code == 302 and Prospect.objects.count() == 2


def test_duplicate_of_a_client_by_mobile_is_warned(client, sales_firm):
    from zhangfang.clients.tests.factories import ContactFactory

    acme = ClientFactory(
        name="老客户有限公司", department=sales_firm.d1, sales_owner=sales_firm.staff.sales1
    )
    ContactFactory(client=acme, mobile="+8613800138000")
    client.force_login(sales_firm.staff.sales1)
    response = client.post(CREATE, _form_data())
    assert not Prospect.objects.exists()
    assert reverse("clients:detail", args=[acme.pk]) in response.content.decode()


def test_duplicate_outside_scope_shows_who_follows_it_but_no_link(client, sales_firm):
    other = ProspectFactory(owner=sales_firm.staff.sales3, company_name="深圳市机密科技有限公司")
    client.force_login(sales_firm.staff.sales1)
    response = client.post(
        reverse("leads:prospect_duplicates"), {"company_name": "机密科技有限公司"}
    )
    page = response.content.decode()
    assert "已由 业务丙 跟进" in page
    assert "机密科技有限公司" not in page.replace("company_name", "")
    assert reverse("leads:prospect_detail", args=[other.pk]) not in page


def test_live_duplicate_check_fragment(client, sales_firm, p):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(
        reverse("leads:prospect_duplicates"),
        {"company_name": "恒星科技", "contact_mobile": "", "uscc": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "深圳市恒星科技有限公司" in response.content.decode()
    assert "<html" not in response.content.decode()
    empty = client.post(reverse("leads:prospect_duplicates"), {"company_name": "完全不同"})
    assert "可能重复" not in empty.content.decode()


# -- edit ------------------------------------------------------------------------------------------


def test_edit_with_a_stale_version_is_refused_and_keeps_the_input(client, sales_firm, p):
    client.force_login(sales_firm.staff.sales1)
    url = reverse("leads:prospect_edit", args=[p.pk])
    data = _form_data(company_name=p.company_name, contact_name="新联系人", version="1")
    Prospect.objects.filter(pk=p.pk).update(version=2)
    response = client.post(url, data)
    assert response.status_code == 200 and "其他人已修改" in response.content.decode()
    assert "新联系人" in response.content.decode()
    p.refresh_from_db()
    assert p.contact_name != "新联系人"
    data["version"] = "2"
    assert client.post(url, data).status_code == 302
    p.refresh_from_db()
    assert p.contact_name == "新联系人" and p.version == 3


# -- list, board, export -----------------------------------------------------------------------


def _many(sales_firm, n):
    owners = [sales_firm.staff.sales1, sales_firm.staff.sales2]
    stages = [Stage.LEAD, Stage.ASSESSMENT, Stage.VISIT, Stage.NEGOTIATION, Stage.LOST]
    for i in range(n):
        ProspectFactory(owner=owners[i % 2], stage=stages[i % 5], score=i % 100)


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_is_pinned(client, sales_firm, rows, django_assert_num_queries):
    _many(sales_firm, rows)
    client.force_login(sales_firm.staff.head1)
    client.get(LIST)
    # session, user, roles, count, page ids, rows, owner/channel/department options
    with django_assert_num_queries(9):
        response = client.get(LIST, {"sort": "-score"})
    assert len(response.context["page"].object_list) == min(rows, 25)
    with django_assert_num_queries(6):
        response = client.get(
            LIST, {"q": "qianke", "stage": "lead"}, headers={"HX-Request": "true"}
        )


def test_list_filters_and_sorts_by_score(client, sales_firm):
    s = sales_firm.staff
    low = ProspectFactory(owner=s.sales1, score=10, company_name="低分公司")
    high = ProspectFactory(owner=s.sales1, score=90, company_name="高分公司")
    other = ProspectFactory(
        owner=s.sales2, score=50, channel=channel("referral"), stage=Stage.VISIT
    )
    client.force_login(s.head1)

    def names(**params):
        return [x.pk for x in client.get(LIST, params).context["page"].object_list]

    assert names() == [high.pk, other.pk, low.pk]
    assert names(sort="score") == [low.pk, other.pk, high.pk]
    assert names(owner=s.sales2.pk) == [other.pk]
    assert names(channel=channel("referral").pk) == [other.pk]
    assert names(stage="visit") == [other.pk]
    assert names(score_min=40, score_max=60) == [other.pk]
    assert names(department=sales_firm.d1.pk) == [high.pk, other.pk, low.pk]
    assert names(q="gaofen") == [high.pk]  # pinyin
    assert names(q="高分") == [high.pk]
    assert names(owner="junk", score_min="x") == [high.pk, other.pk, low.pk]


@pytest.mark.parametrize("rows", [1, 40])
def test_board_query_count_is_constant(client, sales_firm, rows, django_assert_num_queries):
    _many(sales_firm, rows)
    client.force_login(sales_firm.staff.head1)
    client.get(BOARD)
    # session, user, roles, counts, best ids per column, cards, loss reasons,
    # owner/channel/department options
    with django_assert_num_queries(10):
        response = client.get(BOARD)
    columns = response.context["columns"]
    assert [c["stage"] for c in columns] == ["lead", "assessment", "visit", "negotiation"]
    assert sum(c["count"] for c in columns) == len([i for i in range(rows) if i % 5 != 4])
    with django_assert_num_queries(7):
        client.get(BOARD, {"owner": sales_firm.staff.sales1.pk}, headers={"HX-Request": "true"})


def test_board_caps_cards_per_column_and_links_to_the_full_list(client, sales_firm, monkeypatch):
    from zhangfang.leads.views import prospects as views

    monkeypatch.setattr(views, "BOARD_CARDS_PER_COLUMN", 3)
    for score in range(5):
        ProspectFactory(owner=sales_firm.staff.sales1, score=score * 10)
    client.force_login(sales_firm.staff.sales1)
    response = client.get(BOARD, {"channel": channel("walk_in").pk})
    lead = response.context["columns"][0]
    assert [c.score for c in lead["cards"]] == [40, 30, 20]
    assert lead["count"] == 5 and lead["more"] == 2
    assert "查看全部 5 个" in response.content.decode()
    assert (
        "stage=lead" in lead["list_url"] and f"channel={channel('walk_in').pk}" in lead["list_url"]
    )


def test_move_from_the_board_swaps_the_board(client, sales_firm, p):
    client.force_login(sales_firm.staff.sales1)
    url = reverse("leads:prospect_move", args=[p.pk])
    response = client.post(
        url,
        {"to": "visit", "return": "board", "query": "stage="},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and 'id="pipeline-board"' in response.content.decode()
    assert "<html" not in response.content.decode()
    p.refresh_from_db()
    assert p.stage == Stage.VISIT
    # Lost without a reason: refused, the board says why.
    response = client.post(
        url, {"to": "lost", "return": "board", "query": ""}, headers={"HX-Request": "true"}
    )
    assert "流失原因" in response.content.decode()
    p.refresh_from_db()
    assert p.stage == Stage.VISIT


def test_move_from_the_detail_page(client, sales_firm, p):
    client.force_login(sales_firm.staff.sales1)
    url = reverse("leads:prospect_move", args=[p.pk])
    response = client.post(url, {"to": "lost", "loss_reason": loss_reason().pk, "note": "贵"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.stage == Stage.LOST and p.loss_reason == loss_reason()
    response = client.post(url, {"to": "visit"}, follow=True)
    assert "不能从“流失”移动到“拜访”" in response.content.decode()
    assert client.post(url, {"to": "lead"}).status_code == 302
    p.refresh_from_db()
    assert p.stage == Stage.LEAD


def test_move_outside_scope_is_404(client, sales_firm, p):
    client.force_login(sales_firm.staff.sales3)
    response = client.post(reverse("leads:prospect_move", args=[p.pk]), {"to": "assessment"})
    assert response.status_code == 404


def test_export_gives_the_filtered_list_and_is_audited(client, sales_firm, p):
    ProspectFactory(owner=sales_firm.staff.sales3, company_name="二部的客户")
    client.force_login(sales_firm.staff.head1)
    response = client.get(reverse("leads:prospect_export"), {"stage": "lead"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "客户名称" and "税务需求" in rows[0]
    assert [r[0] for r in rows[1:]] == ["深圳市恒星科技有限公司"]
    assert AuditEvent.objects.filter(action="export", object_type="leads.prospect").exists()


# -- detail, tabs, conversion --------------------------------------------------------------------


def test_detail_shows_header_actions_tabs_and_history(client, sales_firm, p):
    client.force_login(sales_firm.staff.sales1)
    from zhangfang.leads.services.prospects import prospect_move

    prospect_move(p, Stage.NEGOTIATION, sales_firm.staff.sales1)
    response = client.get(reverse("leads:prospect_detail", args=[p.pk]))
    page = response.content.decode()
    assert "洽谈" in page and "转为客户" in page and "标记流失" in page
    keys = [key for key, _label in response.context["tabs"]]
    assert keys[0] == "overview" and keys[-1] == "history"
    history = client.get(reverse("leads:prospect_tab", args=[p.pk, "history"]))
    assert "状态变更" in history.content.decode()
    assert client.get(reverse("leads:prospect_tab", args=[p.pk, "nope"])).status_code == 404


def test_convert_page_creates_the_client(client, sales_firm, p):
    Prospect.objects.filter(pk=p.pk).update(stage=Stage.NEGOTIATION)
    client.force_login(sales_firm.staff.sales1)
    url = reverse("leads:prospect_convert", args=[p.pk])
    assert "确认转为客户" in client.get(url).content.decode()
    response = client.post(url)
    acme = Client.objects.get()
    assert response["Location"] == reverse("clients:detail", args=[acme.pk])
    origin = client.get(reverse("clients:tab", args=[acme.pk, "origin"]))
    page = origin.content.decode()
    assert "深圳市恒星科技有限公司" in page and "上门咨询" in page
    assert reverse("leads:prospect_detail", args=[p.pk]) in page


def test_convert_refusal_is_shown(client, sales_firm, p):
    client.force_login(sales_firm.staff.sales1)
    response = client.post(reverse("leads:prospect_convert", args=[p.pk]), follow=True)
    assert "只有处于“拜访”或“洽谈”阶段" in response.content.decode()
    assert not Client.objects.exists()


def test_client_origin_tab_for_a_client_not_converted(client, sales_firm):
    acme = ClientFactory(department=sales_firm.d1, sales_owner=sales_firm.staff.sales1)
    client.force_login(sales_firm.staff.sales1)
    response = client.get(reverse("clients:detail", args=[acme.pk]), {"tab": "origin"})
    assert "不是由潜在客户转化而来" in response.content.decode()


# -- home panel ------------------------------------------------------------------------------------


def test_home_panel_for_sales_and_heads_only(client, sales_firm, p):
    client.force_login(sales_firm.staff.sales1)
    page = client.get("/").content.decode()
    assert "我的潜在客户" in page and "深圳市恒星科技有限公司" in page
    client.force_login(sales_firm.staff.acct1)
    assert "我的潜在客户" not in client.get("/").content.decode()
