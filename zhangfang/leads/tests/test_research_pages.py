"""Market research pages: who may use them, forms with Chinese errors, the price rows formset
(all or nothing), the comparison page, notes list, pinned query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import Competitor, CompetitorPrice, MarketNote
from zhangfang.leads.tests.factories import (
    CompetitorFactory,
    CompetitorPriceFactory,
    MarketNoteFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def login(client, user):
    client.force_login(user)
    return client


def price_post(competitor, rows, *, existing=(), version=None):
    """POST data of the price formset: ``existing`` rows first (with ids), then new ones."""
    forms = [*existing, *rows]
    data = {
        "prices-TOTAL_FORMS": str(len(forms)),
        "prices-INITIAL_FORMS": str(len(existing)),
        "prices-MIN_NUM_FORMS": "0",
        "prices-MAX_NUM_FORMS": "1000",
        "version": str(version if version is not None else competitor.version),
    }
    for i, form in enumerate(forms):
        for key, value in form.items():
            data[f"prices-{i}-{key}"] = value
    return data


def all_urls(competitor, note):
    return [
        reverse("leads:research_competitor_list"),
        reverse("leads:research_competitor_create"),
        reverse("leads:research_competitor_detail", args=[competitor.pk]),
        reverse("leads:research_competitor_edit", args=[competitor.pk]),
        reverse("leads:research_price_comparison"),
        reverse("leads:research_note_list"),
        reverse("leads:research_note_create"),
        reverse("leads:research_note_edit", args=[note.pk]),
    ]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("sales1", 200),
        ("sales3", 200),
        ("head1", 200),
        ("head2", 200),
        ("admin", 200),
        ("acct1", 403),
        ("finance", 403),
    ],
)
def test_role_matrix(client, sales_firm, who, status):
    competitor = CompetitorFactory()
    note = MarketNoteFactory()
    login(client, getattr(sales_firm.staff, who))
    for url in all_urls(competitor, note):
        assert client.get(url).status_code == status, url
    posts = [
        reverse("leads:research_competitor_prices", args=[competitor.pk]),
        reverse("leads:research_competitor_delete", args=[competitor.pk]),
        reverse("leads:research_note_delete", args=[note.pk]),
    ]
    if status == 403:
        for url in posts:
            assert client.post(url, price_post(competitor, [])).status_code == 403
        assert Competitor.objects.exists() and MarketNote.objects.exists()


def test_anonymous_is_sent_to_login(client, sales_firm):
    response = client.get(reverse("leads:research_competitor_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_missing_records_are_404(client, sales_firm):
    login(client, sales_firm.staff.sales1)
    assert client.get(reverse("leads:research_competitor_detail", args=[999])).status_code == 404
    assert client.get(reverse("leads:research_note_edit", args=[999])).status_code == 404


def test_register_competitor_then_enter_prices(client, sales_firm):
    login(client, sales_firm.staff.sales1)
    response = client.post(
        reverse("leads:research_competitor_create"),
        {"name": "  广州  快账财税 ", "observed_on": "2026-11-20", "source": "官网"},
    )
    competitor = Competitor.objects.get()
    assert competitor.name == "广州 快账财税"
    assert response["Location"] == reverse("leads:research_competitor_detail", args=[competitor.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'name="prices-0-item"' in page.text


def test_competitor_form_errors_name_the_field(client, sales_firm):
    CompetitorFactory(name="重复财税")
    login(client, sales_firm.staff.sales1)
    response = client.post(
        reverse("leads:research_competitor_create"), {"name": "重复财税", "observed_on": ""}
    )
    assert response.status_code == 200
    assert "调研日期" in response.text and "必填" in response.text
    response = client.post(
        reverse("leads:research_competitor_create"),
        {"name": "重复财税", "observed_on": "2026-11-01"},
    )
    assert "“重复财税”已登记为竞争对手" in response.text
    assert Competitor.objects.count() == 1


def test_edit_competitor_with_a_stale_version_keeps_the_input(client, sales_firm):
    competitor = CompetitorFactory(name="旧名称")
    login(client, sales_firm.staff.head1)
    url = reverse("leads:research_competitor_edit", args=[competitor.pk])
    form = {"name": "新名称", "observed_on": "2026-11-01", "version": "1"}
    assert client.post(url, form).status_code == 302
    response = client.post(url, {**form, "name": "另一个名称"})
    assert "其他人已修改" in response.text and 'value="另一个名称"' in response.text
    assert Competitor.objects.get().name == "新名称"


def test_price_rows_are_saved_with_money_typed_as_people_type_it(client, sales_firm):
    competitor = CompetitorFactory()
    login(client, sales_firm.staff.sales1)
    data = price_post(
        competitor,
        [
            {"item": "代理记账", "amount": "¥1,280.50", "unit": "month", "notes": ""},
            {"item": "工商年报", "amount": "０", "unit": "year", "notes": "免费"},
            {"item": "", "amount": "", "unit": "month", "notes": ""},  # blank extra row
        ],
    )
    response = client.post(reverse("leads:research_competitor_prices", args=[competitor.pk]), data)
    assert response.status_code == 302
    prices = {p.item: p.amount for p in CompetitorPrice.objects.all()}
    assert prices == {"代理记账": D("1280.50"), "工商年报": D("0.00")}
    assert isinstance(prices["代理记账"], Decimal)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "金额不能为负数"),
        ("abc", "不是有效的金额"),
        ("1.005", "最多保留两位小数"),
        ("", "必填"),
    ],
)
def test_a_bad_price_row_saves_nothing_and_names_the_row(client, sales_firm, amount, message):
    competitor = CompetitorFactory()
    old = CompetitorPriceFactory(competitor=competitor, item="旧项目", amount=D("100.00"))
    login(client, sales_firm.staff.sales1)
    data = price_post(
        competitor,
        [
            {"item": "好项目", "amount": "10", "unit": "month"},
            {"item": "坏项目", "amount": amount, "unit": "month"},
        ],
        existing=[{"id": str(old.pk), "item": "旧项目改名", "amount": "99", "unit": "month"}],
    )
    response = client.post(reverse("leads:research_competitor_prices", args=[competitor.pk]), data)
    assert response.status_code == 422
    assert message in response.text and "第 3 行" in response.text
    # Nothing typed is lost, nothing is saved.
    assert 'value="好项目"' in response.text and 'value="旧项目改名"' in response.text
    assert list(CompetitorPrice.objects.values_list("item", "amount")) == [("旧项目", D("100.00"))]


def test_duplicate_rows_are_refused(client, sales_firm):
    competitor = CompetitorFactory()
    login(client, sales_firm.staff.sales1)
    data = price_post(
        competitor,
        [
            {"item": "代理记账", "amount": "10", "unit": "month"},
            {"item": "代理记账 ", "amount": "12", "unit": "month"},
        ],
    )
    response = client.post(reverse("leads:research_competitor_prices", args=[competitor.pk]), data)
    assert response.status_code == 422 and "第 2 行" in response.text and "重复" in response.text
    assert not CompetitorPrice.objects.exists()


def test_delete_a_price_row_with_its_checkbox(client, sales_firm):
    competitor = CompetitorFactory()
    a = CompetitorPriceFactory(competitor=competitor, item="甲", amount=D("1.00"))
    b = CompetitorPriceFactory(competitor=competitor, item="乙", amount=D("2.00"))
    login(client, sales_firm.staff.sales1)
    data = price_post(
        competitor,
        [],
        existing=[
            {"id": str(a.pk), "item": "甲", "amount": "1.00", "unit": "month"},
            {"id": str(b.pk), "item": "乙", "amount": "2.00", "unit": "month", "DELETE": "on"},
        ],
    )
    client.post(reverse("leads:research_competitor_prices", args=[competitor.pk]), data)
    assert list(CompetitorPrice.objects.values_list("item", flat=True)) == ["甲"]
    page = client.get(reverse("leads:research_competitor_detail", args=[competitor.pk]))
    assert "删除 乙" in page.text  # the history shows what was removed


def test_two_people_editing_prices_the_later_save_is_refused(client, sales_firm):
    competitor = CompetitorFactory()
    login(client, sales_firm.staff.sales1)
    url = reverse("leads:research_competitor_prices", args=[competitor.pk])
    client.post(url, price_post(competitor, [{"item": "甲", "amount": "1", "unit": "month"}]))
    stale = price_post(competitor, [{"item": "乙", "amount": "2", "unit": "month"}], version=1)
    response = client.post(url, stale)
    assert response.status_code == 409 and "其他人已修改" in response.text
    assert list(CompetitorPrice.objects.values_list("item", flat=True)) == ["甲"]


def test_delete_competitor(client, sales_firm):
    competitor = CompetitorFactory()
    login(client, sales_firm.staff.sales1)
    response = client.post(reverse("leads:research_competitor_delete", args=[competitor.pk]))
    assert response.status_code == 302 and not Competitor.objects.exists()
    assert AuditEvent.objects.filter(action="delete", object_type="leads.competitor").exists()


def test_competitor_list_search_and_fragment(client, sales_firm):
    CompetitorFactory(name="甲财税", services="工商注册")
    b = CompetitorFactory(name="乙财税", services="代理记账")
    CompetitorPriceFactory(competitor=b, item="税务筹划")
    login(client, sales_firm.staff.sales1)
    url = reverse("leads:research_competitor_list")
    response = client.get(url, {"q": "税务筹划"})
    assert [c.name for c in response.context["page"].object_list] == ["乙财税"]
    fragment = client.get(url, {"q": "工商"}, headers={"HX-Request": "true"})
    assert (
        "<html" not in fragment.text and "甲财税" in fragment.text and "乙财税" not in fragment.text
    )


def test_competitor_list_query_count_does_not_grow(client, sales_firm, django_assert_num_queries):
    login(client, sales_firm.staff.sales1)
    url = reverse("leads:research_competitor_list")
    CompetitorPriceFactory.create_batch(3)
    client.get(url)  # warm the session and caches
    with django_assert_num_queries(6) as small:
        client.get(url)
    CompetitorPriceFactory.create_batch(30)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


def test_note_list_query_count_does_not_grow(client, sales_firm, django_assert_num_queries):
    login(client, sales_firm.staff.sales1)
    url = reverse("leads:research_note_list")
    MarketNoteFactory.create_batch(3)
    client.get(url)
    with django_assert_num_queries(6):
        client.get(url)
    MarketNoteFactory.create_batch(30)
    with django_assert_num_queries(6):
        client.get(url)


def test_price_comparison_page_shows_the_table_and_the_note_about_our_prices(client, sales_firm):
    a = CompetitorFactory(name="甲财税")
    b = CompetitorFactory(name="乙财税")
    CompetitorPriceFactory(competitor=a, item="代理记账", amount=D("200.00"))
    CompetitorPriceFactory(competitor=b, item="代理记账", amount=D("1800.00"), unit="year")
    CompetitorPriceFactory(competitor=b, item="代理记账", amount=D("180.00"))
    login(client, sales_firm.staff.head1)
    response = client.get(reverse("leads:research_price_comparison"))
    text = response.text
    assert "本公司价格表将在录入收费标准后显示在此处" in text
    assert "甲财税" in text and "乙财税" in text
    assert "¥180.00" in text and "¥1,800.00" in text and "元/年" in text
    assert ">本公司<" not in text
    assert len(response.context["comparison"].rows) == 2


def test_note_pages_create_search_edit(client, sales_firm):
    login(client, sales_firm.staff.sales1)
    response = client.post(
        reverse("leads:research_note_create"),
        {"title": "电子发票全面推广", "observed_on": "2026-11-01", "body": "客户咨询增多"},
    )
    assert response.status_code == 302
    note = MarketNote.objects.get()
    assert note.author == sales_firm.staff.sales1
    listing = client.get(reverse("leads:research_note_list"), {"q": "电子发票"})
    assert "电子发票全面推广" in listing.text and "2026-11-01" in listing.text
    empty = client.get(reverse("leads:research_note_list"), {"q": "没有这样的"})
    assert "没有符合条件的调研记录" in empty.text
    bad = client.post(
        reverse("leads:research_note_edit", args=[note.pk]),
        {"title": "", "observed_on": "2026-11-01", "body": "x"},
    )
    assert bad.status_code == 200 and "标题" in bad.text


def test_search_by_price_item_does_not_inflate_the_price_count(client, sales_firm):
    competitor = CompetitorFactory(name="丙财税")
    CompetitorPriceFactory(competitor=competitor, item="代理记账（小规模）")
    CompetitorPriceFactory(competitor=competitor, item="代理记账（一般）")
    CompetitorPriceFactory(competitor=competitor, item="工商注册")
    login(client, sales_firm.staff.sales1)
    response = client.get(reverse("leads:research_competitor_list"), {"q": "代理记账"})
    assert [c.price_count for c in response.context["page"].object_list] == [3]
