"""Client development from the first website enquiry to a signed client, in a real browser.

Issue 3's acceptance test: a visitor (no login, a browser of their own) sends the public website
form and is thanked in Chinese; the salesperson on duty sees the notification and the new
prospect (channel 官方网站), plans a visit with its materials checklist, records it (→ 拜访), logs
a negotiation round (→ 洽谈) and converts the prospect; the client is in the client list with the
contact carried over. A second test moves a card on the pipeline board, swapped in place by htmx.
Nothing on these pages may log a console error, trip the CSP or reach another host.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from zhangfang.core.policy import policy_value_set
from zhangfang.e2e.conftest import _CSP_LISTENER, TIMEOUT_MS, BrowserLog
from zhangfang.leads.models import DutyRoster, Stage
from zhangfang.leads.tests.factories import ProspectFactory
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    # The live server reads what the test writes, so no wrapping transaction; the serialized
    # rollback puts back what migrations created (role groups, channels, loss reasons).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

COMPANY = "深圳市前海云帆科技有限公司"
CONTACT = "王芳"
MOBILE_TYPED = "13912345678"
MOBILE_SHOWN = "139 1234 5678"
THANK_YOU = "我们已收到您的信息，工作人员将在 1 个工作日内与您联系。"
#: The form's minimum fill time for these tests (the registry allows 0–120 s; the default is 3).
MIN_FILL_SECONDS = 1


@pytest.fixture
def sales_team():
    """Two salespeople of 业务一部; ``sales1`` (业务甲) is on the duty roster every day of the week,
    so every website lead goes to them, not to ``sales2`` (who has fewer open prospects)."""
    department = DepartmentFactory(name="业务一部")
    admin = UserFactory(username="admin", name="管理员", department=None, roles=["admin"])
    sales1 = UserFactory(username="sales1", name="业务甲", department=department, roles=["sales"])
    sales2 = UserFactory(username="sales2", name="业务乙", department=department, roles=["sales"])
    ProspectFactory(owner=sales1, company_name="东莞市老客户五金制品有限公司")
    for weekday in range(7):
        DutyRoster.objects.create(weekday=weekday, user=sales1)
    # The rate limit counts submissions per address in the cache, and the policy values are
    # cached too: start from (and leave) an empty cache.
    cache.clear()
    policy_value_set(key="website_form_min_seconds", raw=str(MIN_FILL_SECONDS), by=admin)
    yield SimpleNamespace(department=department, admin=admin, sales1=sales1, sales2=sales2)
    cache.clear()


@pytest.fixture
def visitor(browser: Browser, base_url: str, log: BrowserLog) -> Iterator[Page]:
    """A page in a browser context of its own (no session cookie), watched like ``page``."""
    ctx = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},  # a visitor on a phone
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.expose_function("__zfCspViolation", log.on_csp_violation)
    ctx.add_init_script(_CSP_LISTENER)
    ctx.on("request", log.on_request)
    ctx.route(lambda url: not url.startswith(f"{base_url}/"), lambda route: route.abort())
    pg = ctx.new_page()
    pg.on("console", log.on_console)
    pg.on("pageerror", lambda error: log.page_errors.append(str(error)))
    yield pg
    ctx.close()


def set_marker(page: Page) -> None:
    """A flag on ``window`` that only a full page load would clear."""
    page.evaluate("window.__marker = 1")


def assert_no_full_page_load(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped"


def stage_badge(page: Page):
    return page.get_by_role("heading", level=1).locator(".badge")


def messages(page: Page):
    return page.locator("#zf-messages")


def submit_website_form(page: Page) -> None:
    page.goto("/leads/apply/")
    expect(page.get_by_role("heading", level=1)).to_have_text("免费咨询登记")
    # No staff navigation on the public page.
    expect(page.locator(".zf-topbar")).to_have_count(0)
    page.get_by_label("公司名称").fill(COMPANY)
    page.get_by_label("联系人").fill(CONTACT)
    page.get_by_label("手机号").fill(MOBILE_TYPED)
    page.get_by_label("所在城市").fill("深圳")
    page.get_by_label("代理记账", exact=True).check()
    page.get_by_label("纳税申报", exact=True).check()
    page.get_by_label("留言").fill("公司刚注册，需要记账报税，工作日下午方便联系。")
    # The form refuses what is sent faster than a person could fill it in.
    page.wait_for_timeout(MIN_FILL_SECONDS * 1000 + 200)
    page.get_by_role("button", name="提交").click()

    expect(page).to_have_url(re.compile(r"/leads/apply/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("提交成功，感谢您的信任！")
    expect(page.locator("main")).to_contain_text(THANK_YOU)


def test_website_enquiry_to_signed_client(page: Page, visitor: Page, log, login, sales_team):
    # --- The visitor, not logged in ---------------------------------------------------------
    submit_website_form(visitor)
    log.assert_clean("the public website form")
    visitor.context.close()

    # --- The salesperson on duty: notified ----------------------------------------------------
    login("sales1")
    bell = page.locator(".zf-topbar").get_by_role("link", name="通知")
    expect(bell.locator(".badge")).to_contain_text("1")
    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("通知")
    notice = page.locator("#notification-list li", has_text=f"官网新线索：{COMPANY}")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(f"联系人 {CONTACT}，请在 1 个工作日内联系。")

    # --- ... and sees the prospect in their list ----------------------------------------------
    page.locator("#zf-sidebar").get_by_role("link", name="潜在客户").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("潜在客户")
    row = page.locator("#prospect-table tbody tr", has_text=COMPANY)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("官方网站")
    expect(row).to_contain_text("线索")
    expect(row).to_contain_text(CONTACT)
    expect(row).to_contain_text(MOBILE_SHOWN)
    expect(row).to_contain_text("业务甲")
    row.get_by_role("link", name=COMPANY).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(COMPANY)
    expect(stage_badge(page)).to_have_text("线索")
    overview = page.locator("#tab-content")
    expect(overview).to_contain_text("官方网站")
    expect(overview).to_contain_text("代理记账、纳税申报")
    prospect_url = page.url

    # --- Plan a visit ------------------------------------------------------------------------
    set_marker(page)
    page.get_by_role("tab", name="拜访").click()
    expect(page).to_have_url(re.compile(r"\?tab=visits$"))
    assert_no_full_page_load(page)
    page.locator("#tab-content").get_by_role("link", name="计划拜访").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"计划拜访：{COMPANY}")

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page.get_by_label("拜访目的").fill("了解记账需求，介绍代理记账服务")
    page.get_by_label("拜访时间").fill(f"{tomorrow:%Y-%m-%d}T14:30")
    page.get_by_label("拜访地点").fill("前海深港合作区 云帆科技办公室")
    page.locator("#id_staff").select_option(str(sales_team.sales1.pk))
    # The checklist starts with the usual materials ticked; this visit needs no contract sample.
    for item in ("公司介绍", "服务方案", "成功案例", "报价单"):
        expect(page.get_by_label(item, exact=True)).to_be_checked()
    page.get_by_label("合同样本", exact=True).uncheck()
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(re.compile(r"/leads/visits/\d+/$"))
    expect(messages(page)).to_contain_text("拜访计划已保存。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("计划中")
    header = page.locator("header")
    expect(header).to_contain_text(f"拜访时间：{tomorrow:%Y-%m-%d} 14:30")
    expect(header).to_contain_text("拜访人员：业务甲")
    materials = page.locator("#visit-materials li")
    expect(materials).to_have_count(4)
    expect(page.locator("#visit-materials")).not_to_contain_text("合同样本")

    # Tick one material as prepared: the checklist is swapped in place.
    set_marker(page)
    intro = materials.filter(has_text="公司介绍")
    intro.get_by_role("button", name="标记为已准备").click()
    expect(intro.get_by_role("button", name="已准备")).to_have_attribute("aria-pressed", "true")
    expect(
        page.locator("#visit-materials").get_by_role("button", name="标记为已准备")
    ).to_have_count(3)
    assert_no_full_page_load(page)

    # --- Record the visit's outcome: the prospect moves to 拜访 -------------------------------
    page.locator("header").get_by_role("link", name="记录结果").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"记录拜访结果：{COMPANY}")
    next_day = tomorrow + dt.timedelta(days=2)
    page.get_by_label("拜访结果").fill("客户认可服务方案，希望季度付款，关心账务交接。")
    page.get_by_label("下一步", exact=True).fill("发送正式报价")
    page.get_by_label("下一步日期").fill(f"{next_day:%Y-%m-%d}")
    page.get_by_role("button", name="保存").click()

    expect(messages(page)).to_contain_text("拜访记录已保存。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已拜访")
    expect(page.locator("main")).to_contain_text("客户认可服务方案")
    expect(page.locator("main")).to_contain_text(f"发送正式报价（{next_day:%Y-%m-%d}）")
    page.get_by_role("heading", level=1).get_by_role("link", name=COMPANY).click()

    expect(page).to_have_url(re.compile(r"/leads/prospects/\d+/\?tab=visits$"))
    expect(stage_badge(page)).to_have_text("拜访")
    visit_row = page.locator("#tab-content tbody tr")
    expect(visit_row).to_have_count(1)
    expect(visit_row).to_contain_text("已拜访")
    expect(visit_row).to_contain_text("下一步：发送正式报价")

    # --- Log a negotiation round: the prospect moves to 洽谈 -----------------------------------
    page.get_by_role("tab", name="洽谈").click()
    expect(page).to_have_url(re.compile(r"\?tab=negotiations$"))
    page.locator("#tab-content").get_by_role("link", name="记录洽谈").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"记录洽谈：{COMPANY}")
    expect(page.get_by_label("洽谈日期")).to_have_value(f"{timezone.localdate():%Y-%m-%d}")
    page.get_by_label("代理记账", exact=True).check()
    page.get_by_label("纳税申报", exact=True).check()
    page.get_by_label("工商年报", exact=True).check()
    page.get_by_label("报价（元/月）").fill("1,200")
    page.get_by_label("付款方式").select_option(label="按季付")
    page.get_by_label("服务期限（月）").fill("12")
    page.get_by_label("客户关注的问题").fill("账务交接期间的申报衔接")
    page.get_by_label("已达成一致").fill("下月起服务，季度初付款")
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(re.compile(r"/leads/prospects/\d+/\?tab=negotiations$"))
    expect(messages(page)).to_contain_text("洽谈记录已保存。")
    expect(stage_badge(page)).to_have_text("洽谈")
    round_one = page.locator("#tab-content li", has_text="第 1 轮")
    expect(round_one).to_contain_text("¥1,200.00")
    expect(round_one).to_contain_text("按季付")
    expect(round_one).to_contain_text("12 个月")
    expect(round_one).to_contain_text("代理记账、纳税申报、工商年报")
    expect(round_one).to_contain_text("账务交接期间的申报衔接")
    expect(round_one).to_contain_text("下月起服务，季度初付款")

    # --- Convert to a client ---------------------------------------------------------------
    page.get_by_role("link", name="转为客户").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"将“{COMPANY}”转为客户")
    expect(page.locator("main")).to_contain_text(f"{CONTACT} {MOBILE_SHOWN}")
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="确认转为客户").click()

    expect(page).to_have_url(re.compile(r"/clients/\d+/$"))
    assert dialogs == ["确定转为客户吗？"]
    expect(messages(page)).to_contain_text(f"已转为客户“{COMPANY}”，联系人已同时建立。")
    expect(page.get_by_role("heading", level=1)).to_contain_text(COMPANY)

    # --- The client is in the client list, its contact carried over ---------------------------
    page.goto(f"/clients/?q={COMPANY}")
    rows = page.locator("#client-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(COMPANY)
    rows.first.get_by_role("link", name=COMPANY).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(COMPANY)
    page.get_by_role("tab", name="联系人").click()
    expect(page).to_have_url(re.compile(r"\?tab=contacts$"))
    contact = page.locator("#tab-content tbody tr", has_text=CONTACT)
    expect(contact).to_have_count(1)
    expect(contact).to_contain_text("主要")
    expect(contact).to_contain_text(MOBILE_SHOWN)

    # The prospect is now signed and links to its client.
    page.goto(prospect_url)
    expect(stage_badge(page)).to_have_text("签约")
    expect(page.get_by_role("link", name=COMPANY).last).to_have_attribute(
        "href", re.compile(r"/clients/\d+/$")
    )
    log.assert_clean("the prospect, visit, negotiation, conversion and client pages")


def test_pipeline_board_moves_a_card_in_place(page: Page, log, login, sales_team):
    card_name = "广州市恒达贸易有限公司"
    prospect = ProspectFactory(owner=sales_team.sales1, company_name=card_name, stage=Stage.LEAD)
    login("sales1")
    page.locator("#zf-sidebar").get_by_role("link", name="销售漏斗").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("客户开发看板")

    lead_column = page.locator("section[aria-labelledby='stage-lead']")
    assessment_column = page.locator("section[aria-labelledby='stage-assessment']")
    card = lead_column.locator("article", has_text=card_name)
    expect(card).to_have_count(1)
    expect(assessment_column.locator("article", has_text=card_name)).to_have_count(0)
    expect(assessment_column).to_contain_text("暂无")

    set_marker(page)
    page.locator("#pipeline-board").evaluate("board => { board.dataset.old = '1'; }")
    card.get_by_label("移动到").select_option(label="初步评估")
    card.get_by_role("button", name="移动").click()

    expect(page.locator("#pipeline-board[data-old]")).to_have_count(0)
    expect(page.locator("#pipeline-board [role=status]")).to_have_text(
        f"“{card_name}”已移动到“初步评估”。"
    )
    moved = assessment_column.locator("article", has_text=card_name)
    expect(moved).to_have_count(1)
    expect(lead_column.locator("article", has_text=card_name)).to_have_count(0)
    expect(assessment_column.get_by_role("heading")).to_contain_text("1 个")
    # The moved card offers the moves from its new stage: back to 线索 among them.
    expect(moved.get_by_label("移动到").locator("option").first).to_have_text("线索")
    assert_no_full_page_load(page)

    # The move is real: the detail page shows the new stage.
    moved.get_by_role("link", name=card_name).click()
    expect(page).to_have_url(re.compile(rf"/leads/prospects/{prospect.pk}/$"))
    expect(stage_badge(page)).to_have_text("初步评估")
    log.assert_clean("the pipeline board")
