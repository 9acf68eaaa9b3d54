"""Market research services and selectors: competitors, price rows (all or nothing), notes, the
price comparison's grouping, and the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.core.selectors import audit_history_for
from zhangfang.leads.models import Competitor, CompetitorPrice, MarketNote
from zhangfang.leads.selectors import research as selectors
from zhangfang.leads.services import research as services
from zhangfang.leads.tests.factories import (
    CompetitorFactory,
    CompetitorPriceFactory,
    MarketNoteFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def row(item, amount, unit="month", *, id=None, notes=""):
    return {"id": id, "item": item, "amount": D(amount), "unit": unit, "notes": notes}


@pytest.fixture
def user(sales_firm):
    return sales_firm.staff.sales1


def data(**overrides):
    values = {
        "name": "广州市快账财税有限公司",
        "services": "代理记账",
        "strengths": "",
        "weaknesses": "",
        "source": "官网",
        "observed_on": dt.date(2026, 11, 20),
        "notes": "",
    }
    values.update(overrides)
    return values


def test_create_competitor_is_audited(user):
    competitor = services.competitor_create(data=data(), by=user)
    event = AuditEvent.objects.get(object_type="leads.competitor", object_id=str(competitor.pk))
    assert event.action == "create" and event.actor == user
    assert event.changes["name"] == [None, "广州市快账财税有限公司"]


def test_duplicate_competitor_name_is_refused_with_a_message(user):
    CompetitorFactory(name="广州市快账财税有限公司")
    with pytest.raises(DomainError, match="已登记"):
        services.competitor_create(data=data(), by=user)


def test_update_refuses_a_stale_version(user):
    competitor = CompetitorFactory()
    services.competitor_update(
        competitor=competitor, data={"source": "展会"}, expected_version=1, by=user
    )
    with pytest.raises(ConcurrentEditError):
        services.competitor_update(
            competitor=competitor, data={"source": "朋友"}, expected_version=1, by=user
        )
    assert Competitor.objects.get().source == "展会"


def test_prices_are_added_changed_and_removed_in_one_audited_save(user):
    competitor = CompetitorFactory()
    keep = CompetitorPriceFactory(competitor=competitor, item="代理记账", amount=D("200.00"))
    drop = CompetitorPriceFactory(competitor=competitor, item="工商年报", amount=D("300.00"))
    changed = services.competitor_prices_save(
        competitor=competitor,
        rows=[row("代理记账", "250.00", id=keep.pk), row("汇算清缴", "800.00", "year")],
        expected_version=competitor.version,
        by=user,
    )
    assert changed == 3
    prices = {p.item: (p.amount, p.unit) for p in CompetitorPrice.objects.all()}
    assert prices == {"代理记账": (D("250.00"), "month"), "汇算清缴": (D("800.00"), "year")}
    assert not CompetitorPrice.objects.filter(pk=drop.pk).exists()
    [event] = audit_history_for(competitor)
    assert event.changes["修改 代理记账"] == ["代理记账 ¥200.00 元/月", "代理记账 ¥250.00 元/月"]
    assert event.changes["删除 工商年报"] == ["工商年报 ¥300.00 元/月", None]
    assert event.changes["新增 汇算清缴"] == [None, "汇算清缴 ¥800.00 元/年"]
    competitor.refresh_from_db()
    assert competitor.version == 2


def test_saving_unchanged_prices_records_nothing(user):
    price = CompetitorPriceFactory()
    competitor = price.competitor
    services.competitor_prices_save(
        competitor=competitor,
        rows=[row(price.item, "200.00", id=price.pk)],
        expected_version=1,
        by=user,
    )
    assert audit_history_for(competitor) == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row("代理记账", "-1.00"), "第 2 行：金额不能为负数"),
        (row("", "1.00"), "第 2 行：请填写收费项目"),
        (row("代理记账", "1.005"), "第 2 行：金额最多保留两位小数"),
        (row("代理记账", "1.00", "week"), "第 2 行：请选择有效的计价单位"),
        ({**row("代理记账", "1"), "amount": 1.5}, "第 2 行：金额必须是数字"),
        (row(" 新增项目 ", "1.00", id=999999), "第 2 行：该价格已被他人删除"),
    ],
)
def test_a_bad_row_saves_nothing(user, bad, message):
    competitor = CompetitorFactory()
    CompetitorPriceFactory(competitor=competitor, item="旧项目", amount=D("100.00"))
    with pytest.raises(DomainError, match=message):
        services.competitor_prices_save(
            competitor=competitor,
            rows=[row("新项目", "10.00"), bad],
            expected_version=1,
            by=user,
        )
    assert list(CompetitorPrice.objects.values_list("item", flat=True)) == ["旧项目"]
    assert audit_history_for(competitor) == []


def test_same_item_and_unit_twice_is_refused_even_with_other_width_and_spaces(user):
    competitor = CompetitorFactory()
    with pytest.raises(DomainError, match="重复"):
        services.competitor_prices_save(
            competitor=competitor,
            rows=[row("代理记账(小规模)", "200"), row("代理记账（小规模） ", "210")],
            expected_version=1,
            by=user,
        )


def test_a_price_row_of_another_competitor_cannot_be_changed(user):
    other = CompetitorPriceFactory(item="别人的", amount=D("1.00"))
    competitor = CompetitorFactory()
    with pytest.raises(DomainError):
        services.competitor_prices_save(
            competitor=competitor,
            rows=[row("改掉", "0.00", id=other.pk)],
            expected_version=1,
            by=user,
        )
    other.refresh_from_db()
    assert other.item == "别人的"


def test_price_save_on_a_stale_version_is_refused(user):
    competitor = CompetitorFactory()
    services.competitor_prices_save(
        competitor=competitor, rows=[row("甲", "1")], expected_version=1, by=user
    )
    stale = Competitor.objects.get(pk=competitor.pk)
    stale.version = 1
    with pytest.raises(ConcurrentEditError):
        services.competitor_prices_save(competitor=stale, rows=[], expected_version=1, by=user)
    assert CompetitorPrice.objects.count() == 1


def test_deleting_a_competitor_removes_its_prices_and_keeps_them_in_the_audit(user):
    price = CompetitorPriceFactory(item="代理记账", amount=D("199.00"))
    services.competitor_delete(competitor=price.competitor, by=user)
    assert not Competitor.objects.exists() and not CompetitorPrice.objects.exists()
    event = AuditEvent.objects.get(action="delete")
    assert "代理记账 ¥199.00 元/月" in event.changes["prices"][0]


def test_market_notes_create_update_delete_are_audited(user):
    note = services.market_note_create(
        data={
            "title": "小规模纳税人政策",
            "body": "增值税减免延续。",
            "observed_on": dt.date(2026, 3, 1),
        },
        by=user,
    )
    assert note.author == user
    services.market_note_update(note=note, data={"title": "小规模纳税人新政"}, by=user)
    services.market_note_delete(note=note, by=user)
    assert not MarketNote.objects.exists()
    actions = list(
        AuditEvent.objects.filter(object_type="leads.marketnote").values_list("action", flat=True)
    )
    assert sorted(actions) == ["create", "delete", "update"]


def test_note_list_searches_and_filters_by_date():
    MarketNoteFactory(title="社保入税", body="……", observed_on=dt.date(2026, 1, 5))
    MarketNoteFactory(
        title="电子发票", body="全面数字化的电子发票推广", observed_on=dt.date(2026, 6, 1)
    )
    MarketNoteFactory(title="其他", body="无", observed_on=dt.date(2026, 9, 1))
    assert [n.title for n in selectors.market_note_list()] == ["其他", "电子发票", "社保入税"]
    assert [n.title for n in selectors.market_note_list(q="数字化")] == ["电子发票"]
    titles = selectors.market_note_list(date_from=dt.date(2026, 1, 6), date_to=dt.date(2026, 8, 31))
    assert [n.title for n in titles] == ["电子发票"]


# -- price comparison -------------------------------------------------------------------------


def test_comparison_groups_items_by_name_and_unit_across_competitors(django_assert_num_queries):
    a = CompetitorFactory(name="A 财税")
    b = CompetitorFactory(name="B 财税")
    c = CompetitorFactory(name="C 财税")  # no prices: no column
    CompetitorPriceFactory(competitor=a, item="代理记账（小规模）", amount=D("200.00"))
    CompetitorPriceFactory(competitor=b, item="代理记账(小规模) ", amount=D("180.00"))
    CompetitorPriceFactory(competitor=b, item="代理记账(小规模)", amount=D("2000.00"), unit="year")
    CompetitorPriceFactory(competitor=a, item="工商注册", amount=D("500.00"), unit="once")
    with django_assert_num_queries(2):  # competitors' prices and our price list
        comparison = selectors.price_comparison()
    assert [x.name for x in comparison.competitors] == ["A 财税", "B 财税"]
    assert c not in comparison.competitors
    rows = {(r.item, r.unit): r for r in comparison.rows}
    assert set(rows) == {
        ("代理记账（小规模）", "month"),
        ("代理记账(小规模)", "year"),
        ("工商注册", "once"),
    }
    monthly = rows[("代理记账（小规模）", "month")]
    assert [cell.low if cell else None for cell in monthly.cells] == [D("200.00"), D("180.00")]
    assert (monthly.low, monthly.high, monthly.average) == (D("180.00"), D("200.00"), D("190.00"))
    assert [cell.is_lowest for cell in monthly.cells] == [False, True]
    registration = rows[("工商注册", "once")]
    assert registration.cells[1] is None and registration.quoted_by == 1
    assert not registration.cells[0].is_lowest  # no comparison with a single price
    assert monthly.ours is None and comparison.has_our_prices is False


def test_a_competitor_listing_an_item_twice_shows_a_range():
    a = CompetitorFactory()
    CompetitorPriceFactory(competitor=a, item="代理记账", amount=D("200.00"), notes="零申报")
    CompetitorPriceFactory(competitor=a, item="代理记账 ", amount=D("300.00"), notes="有票")
    [r] = selectors.price_comparison().rows
    cell = r.cells[0]
    assert (cell.low, cell.high, cell.is_range) == (D("200.00"), D("300.00"), True)
    assert cell.notes == ["零申报", "有票"]


def test_our_prices_are_empty_until_fee_standards_exist():
    assert selectors.our_prices() == {}


def test_our_price_list_becomes_a_column_beside_the_competitors():
    from zhangfang.contracts.models import FeeItem

    CompetitorPriceFactory(item="代理记账", amount=D("200.00"))
    FeeItem.objects.create(name="代理记账", unit="month", amount=D("220.00"))
    FeeItem.objects.create(name="税务筹划", unit="once", amount=D("3000.00"))
    FeeItem.objects.create(name="已停用项目", unit="once", amount=D("1.00"), is_active=False)
    comparison = selectors.price_comparison()
    assert comparison.has_our_prices
    rows = {(r.item, r.unit): r for r in comparison.rows}
    assert rows[("代理记账", "month")].ours == D("220.00")
    assert rows[("税务筹划", "once")].ours == D("3000.00")
    assert rows[("税务筹划", "once")].cells == [None]
