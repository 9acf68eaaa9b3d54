"""Client service (policy 三) in a real browser: a request answered within its SLA, a month's
work on the board from 收票 to 归档, and a satisfaction survey answered on a phone.

1. Customer service registers a client's tax question; the routing rule gives it to the client's
   tax specialist, who responds at once: the page says 按时响应 and the request is 已响应.
2. The accountant works the current period's steps on the board (two of them with the bulk
   update), the department head reviews the books (录入与审核分离), the client confirms the
   税款测算 through its link on a phone (the total in Chinese capitals), and only then are the
   returns filed: a filing tried before the confirmation is refused and nothing changes. At the
   end every cell of the client's row is done, and the database agrees.
3. Customer service sends a survey; the client answers it on a phone with one low rating; the
   link then answers 410 "already answered", and the low score is a follow-up for customer
   service.

The client's pages (no login) must fit a 390 px wide phone screen. Nothing on any page may log a
console error, trip the CSP or reach another host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from zhangfang.clients.models import TaxpayerType
from zhangfang.core.money import rmb_upper
from zhangfang.delivery.models import (
    ConfirmationStatus,
    ConfirmedVia,
    Filing,
    FollowUp,
    FollowUpStatus,
    RequestCategory,
    RequestStatus,
    RouteTarget,
    RoutingRule,
    ServiceRequest,
    ServiceScope,
    Survey,
    TaxConfirmation,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services.generation import period_of, work_generate
from zhangfang.delivery.tests.support import make_firm
from zhangfang.e2e.conftest import _CSP_LISTENER, TIMEOUT_MS, BrowserLog

pytestmark = [
    pytest.mark.browser,
    # The live server reads what the test writes, so no wrapping transaction; the serialized
    # rollback puts back what migrations created (role groups, the default checklist) after
    # each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE_WIDTH = 390
CONTACT = "王经理"  # make_firm()'s contact of the client
VAT = Decimal("1234.56")
IIT = Decimal("0.00")  # nobody on the payroll above the threshold this month: a 零申报


def rmb(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def firm():
    """make_firm(): 服务一部 with its head (主管丁), customer service (客服甲), an accountant
    (会计乙) and a tax specialist (税务丙) serving 深圳市顶峰科技有限公司, whose contact is 王经理.

    The client is a general taxpayer whose scope leaves out the quarterly and annual returns, so
    every month (whatever the date the test runs) has the same plan: 收票 … 出报表, 税款测算,
    增值税及附加 / 个税扣缴 / 财务报表报送, 扣款, 告知客户, 归档 — eleven steps.
    """
    # Policy values (link validity, low score, SLA hours) are cached: start from an empty cache.
    cache.clear()
    firm = make_firm()
    firm.acme.taxpayer_type = TaxpayerType.GENERAL
    firm.acme.save(update_fields=["taxpayer_type"])
    ServiceScope.objects.create(
        client=firm.acme,
        corporate_income_tax=False,
        stamp_duty=False,
        annual_settlement=False,
        annual_report=False,
        annual_iit=False,
    )
    # Tax questions go to the client's own tax specialist (三（二）1 分派).
    RoutingRule.objects.create(
        category=RequestCategory.TAX_ADVICE, target=RouteTarget.TAX_SPECIALIST, priority=10
    )
    yield firm
    cache.clear()


@pytest.fixture
def phone(browser: Browser, base_url: str, log: BrowserLog) -> Iterator[Page]:
    """The client's phone: a browser context of its own (no session cookie), 390 px wide,
    watched like ``page``."""
    ctx = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": PHONE_WIDTH, "height": 844},
        is_mobile=True,
        has_touch=True,
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


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Accept every confirm() the pages ask, and keep what they asked."""
    asked: list[str] = []

    def accept(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return asked


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def messages(page: Page) -> Locator:
    return page.locator("#zf-messages")


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def arrive(page: Page, title: str) -> None:
    """Wait for the page titled ``title`` and for its scripts: the heading shows while the page
    is still loading, and a control typed into before htmx has started would not refresh."""
    expect(heading(page)).to_have_text(title)
    page.wait_for_load_state("load")


def switch_user(page: Page, login, current_name: str, username: str) -> None:
    """Log ``current_name`` out through the user menu, then log ``username`` in."""
    page.get_by_role("button", name=current_name).click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.locator("#id_username")).to_be_visible()
    login(username)


def sidebar(page: Page, name: str) -> None:
    page.locator("#zf-sidebar").get_by_role("link", name=name, exact=True).click()


def pick_client(page: Page, search: str, name: str) -> None:
    """The client picker of a "new …" page: type, wait for the htmx results, pick ``name``."""
    page.locator("#picker-q").fill(search)
    page.locator("#client-results").get_by_role("link", name=re.compile(re.escape(name))).click()


def assert_fits_phone(phone: Page, where: str) -> None:
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{where} is {width}px wide on a {PHONE_WIDTH}px phone"


def expected_status(page: Page, log: BrowserLog, status: int, url: str) -> None:
    """Forget the console error Chromium logs for the page at ``url`` answering ``status`` (a
    refused form is 422, a used link 410): the test expects that status and checks the page.
    Any other console error still fails the test.

    The console message may reach the test a moment after the page shows, so wait for it (a
    little) before dropping it.
    """

    def expected(error: str) -> bool:
        return f"status of {status} " in error and error.endswith(f"({url})")

    for _ in range(40):
        if any(expected(error) for error in log.console_errors):
            break
        page.wait_for_timeout(50)
    log.console_errors[:] = [error for error in log.console_errors if not expected(error)]


def board_row(page: Page, client_name: str) -> Locator:
    return page.locator("#work-board tbody tr", has_text=client_name)


def board_cell(page: Page, row: Locator, column: str) -> Locator:
    """The cell of ``row`` under the column headed ``column`` (the first header is 客户)."""
    headers = [t.strip() for t in page.locator("#work-board thead th").all_inner_texts()]
    return row.locator("td").nth(headers.index(column) - 1)


def open_step(page: Page, label: str) -> None:
    """Go to another step of the same period through the item page's 本期其他工作 links."""
    steps = page.get_by_role("navigation", name="本期其他工作")
    steps.get_by_role("link", name=re.compile(rf"^{re.escape(label)} · ")).click()
    arrive(page, label)


def complete_step(page: Page) -> None:
    """Press 完成 on the item page open now and check it took."""
    page.locator("#action-complete").get_by_role("button", name="完成").click()
    expect(messages(page)).to_contain_text("此项工作已完成。")
    expect(page.locator("#item-status")).to_have_text("已完成")


# ---------------------------------------------------------------------------------------------
# 1. A request answered within its SLA
# ---------------------------------------------------------------------------------------------


def test_request_answered_within_sla(page: Page, log, login, firm):
    acme = firm.acme
    content = "询问本月增值税专用发票认证抵扣的截止时间。"

    login("cs")
    sidebar(page, "客户需求")
    arrive(page, "客户需求")
    page.get_by_role("link", name="登记需求").click()
    arrive(page, "登记客户需求：选择客户")
    pick_client(page, "顶峰", acme.name)

    arrive(page, f"登记客户需求：{acme.name}")
    page.get_by_label("联系人").select_option(label=CONTACT)
    page.get_by_label("受理渠道").select_option(label="电话")
    page.get_by_label("需求类别").select_option(label="税务咨询")
    page.get_by_label("紧急程度").select_option(label="紧急")
    page.get_by_label("需求内容").fill(content)
    page.get_by_role("button", name="登记并分派").click()

    expect(page).to_have_url(re.compile(r"/delivery/requests/\d+/$"))
    # The routing rule sent the tax question to the client's tax specialist.
    expect(messages(page)).to_contain_text("需求已登记，已分派给税务丙，须在")
    header = heading(page).locator("xpath=..")
    expect(header).to_contain_text("新建")
    expect(header).to_contain_text("紧急")
    expect(header).to_contain_text("剩余")
    request_url = page.url
    registered = ServiceRequest.objects.get()
    assert registered.assignee == firm.staff.tax
    assert registered.registered_by == firm.staff.service
    assert registered.contact == firm.contact
    assert registered.status == RequestStatus.NEW
    # Customer service registers; only the assignee (or a head) responds.
    expect(page.get_by_role("button", name="记录响应")).to_have_count(0)
    log.assert_clean("the request intake pages")

    # --- The tax specialist responds at once -----------------------------------------------
    switch_user(page, login, "客服甲", "tax")
    page.goto(request_url)
    arrive(page, f"客户需求：{acme.name}")
    page.get_by_label("响应内容").fill("已电话回复客户：本月 30 日前完成勾选认证即可抵扣。")
    page.get_by_role("button", name="记录响应").click()

    expect(page).to_have_url(request_url)
    expect(messages(page)).to_contain_text("已记录首次响应。")
    header = heading(page).locator("xpath=..")
    expect(header).to_contain_text("已响应")
    expect(header).to_contain_text("按时响应")
    expect(page.locator("main dl")).to_contain_text("本月 30 日前完成勾选认证即可抵扣。")
    expect(page.get_by_role("button", name="记录响应")).to_have_count(0)
    log.assert_clean("the request page")

    registered.refresh_from_db()
    assert registered.status == RequestStatus.RESPONDED
    assert registered.responded_in_time is True
    assert registered.first_response_at <= registered.respond_by
    assert registered.first_response.startswith("已电话回复客户")


# ---------------------------------------------------------------------------------------------
# 2. A month's work on the board
# ---------------------------------------------------------------------------------------------

STEP_COLUMNS = [
    "收票",
    "做账",
    "审核",
    "出报表",
    "税款测算",
    "增值税及附加",
    "个税扣缴",
    "财务报表报送",
    "扣款",
    "告知客户",
    "归档",
]


def test_month_of_work_on_the_board(page: Page, phone: Page, log, login, firm, dialogs):
    acme = firm.acme
    today = timezone.localdate()
    # The current period: its returns are due next month, so no step is overdue yet and every
    # step finished today is on time.
    period = period_of(today)
    result = work_generate(period=period)
    assert result.created == len(STEP_COLUMNS)
    items = {(i.step, i.filing): i for i in WorkItem.objects.filter(client=acme, period=period)}
    assert all(i.status == WorkStatus.TODO for i in items.values())
    board_url = f"/delivery/work/?period={period:%Y-%m}"

    login("acc")
    sidebar(page, "服务工作看板")
    arrive(page, "服务工作看板")
    page.goto(board_url)
    arrive(page, "服务工作看板")
    expect(page.locator("#work-board h2")).to_have_text(f"所属期 {period:%Y-%m}")
    expect(page.locator("#work-summary")).to_contain_text(
        f"本期共 {len(STEP_COLUMNS)} 项工作，已完成 0 项"
    )
    row = board_row(page, acme.name)
    # Every step open: each cell offers its checkbox to the bulk update.
    expect(row.get_by_role("checkbox")).to_have_count(len(STEP_COLUMNS))

    # --- Bulk: start 收票 and 做账 ----------------------------------------------------------
    row.get_by_label(f"选择 {acme.name} 收票").check()
    row.get_by_label(f"选择 {acme.name} 做账").check()
    page.get_by_label("批量操作").select_option(label="开始处理")
    page.get_by_role("button", name="执行").click()
    expect(messages(page)).to_contain_text("已开始处理 2 项工作。")
    expect(page).to_have_url(re.compile(rf"period={period:%Y-%m}"))
    row = board_row(page, acme.name)
    expect(board_cell(page, row, "收票")).to_contain_text("进行中")
    expect(board_cell(page, row, "做账")).to_contain_text("进行中")
    expect(board_cell(page, row, "审核")).not_to_contain_text("进行中")
    log.assert_clean("the work board")

    # --- 收票: the 交接清单, signed off by both sides, then complete ---------------------------
    board_cell(page, row, "收票").get_by_role("link").click()
    arrive(page, "收票")
    expect(page.locator("#item-status")).to_have_text("进行中")
    handover = page.locator("#handover")
    handover.get_by_label("资料类型").select_option(label="进项发票")
    handover.get_by_label("数量").fill("36")
    handover.get_by_label("收到日期").fill(f"{today:%Y-%m-%d}")
    handover.get_by_label("备注").fill("含 3 张专票")
    handover.get_by_role("button", name="添加").click()
    expect(messages(page)).to_contain_text("已登记交接明细。")
    line = page.locator("#handover tbody tr")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("进项发票")
    expect(line).to_contain_text("36")
    expect(line).to_contain_text(f"{today:%Y-%m-%d}")
    expect(page.locator("#completion-problem")).to_contain_text("交接清单须经双方确认")
    page.locator("#handover").get_by_role("button", name="确认接收").click()
    expect(messages(page)).to_contain_text("已确认接收交接资料。")
    page.locator("#handover").get_by_label("客户交接人").fill(CONTACT)
    page.locator("#handover").get_by_role("button", name="客户确认").click()
    expect(messages(page)).to_contain_text("已记录客户确认交接。")
    expect(page.locator("#handover")).to_contain_text("双方已确认")
    expect(page.locator("#handover")).to_contain_text(CONTACT)
    expect(page.locator("#completion-problem")).to_have_count(0)
    complete_step(page)

    # --- 做账, and the review refused to the bookkeeper ------------------------------------
    open_step(page, "做账")
    complete_step(page)
    open_step(page, "审核")
    expect(page.locator("#completion-problem")).to_have_text(
        "审核须由做账人以外的人员完成（录入与审核分离）。"
    )
    review_url = page.url
    log.assert_clean("the 收票 and 做账 pages")

    # --- 审核 by the department head ------------------------------------------------------
    switch_user(page, login, "会计乙", "head1")
    page.goto(review_url)
    arrive(page, "审核")
    expect(page.locator("#completion-problem")).to_have_count(0)
    complete_step(page)
    expect(page.locator("main dl")).to_contain_text("主管丁")
    switch_user(page, login, "主管丁", "acc")

    # --- 出报表 ------------------------------------------------------------------------------
    page.goto(review_url)
    arrive(page, "审核")
    open_step(page, "出报表")
    complete_step(page)

    # --- 税款测算: the amounts, sent to the client -------------------------------------------
    open_step(page, "税款测算")
    estimate = page.locator("#tax-estimate")
    expect(estimate).to_contain_text("尚未测算")
    estimate.get_by_label("增值税及附加").fill(f"{VAT}")
    estimate.get_by_label("个税扣缴").fill(f"{IIT}")
    estimate.get_by_label("测算说明").fill("按本月开票和进项认证测算。")
    estimate.get_by_role("button", name="保存测算").click()
    expect(messages(page)).to_contain_text("税款测算已保存。")
    total = VAT + IIT
    expect(page.locator("#estimate-total")).to_have_text(rmb(total))
    expect(page.locator("#estimate-upper")).to_have_text(rmb_upper(total))
    expect(page.locator("#confirmation-status")).to_have_text("待发送")
    page.locator("#tax-estimate").get_by_role("button", name="发送给客户确认").click()
    expect(messages(page)).to_contain_text("已发送给客户确认，请复制确认链接发给客户。")
    expect(page.locator("#confirmation-status")).to_have_text("待客户确认")
    link = page.locator("#tax-link").input_value()
    assert re.fullmatch(r"http://[^/]+/delivery/t/[^/]+/", link), link
    estimate_url = page.url
    log.assert_clean("the 出报表 and 税款测算 pages")

    # --- A return filed before the client confirmed: refused, nothing changes ---------------
    open_step(page, "增值税及附加")
    expect(page.locator("main dl")).to_contain_text("客户尚未确认")
    expect(page.locator("#completion-problem")).to_contain_text("客户尚未确认本期税款")
    with page.expect_response(re.compile(r"/complete/$")) as refused:
        page.locator("#action-complete").get_by_role("button", name="完成").click()
    assert refused.value.status == 422
    refusal = page.locator("#action-complete .alert-danger")
    expect(refusal).to_contain_text(
        "客户尚未确认本期税款，不能完成申报；如确需先行申报，请部门负责人填写理由批准。"
    )
    expect(page.locator("#item-status")).to_have_text("待办")
    expect(messages(page)).not_to_contain_text("此项工作已完成。")
    expected_status(page, log, 422, refused.value.url)
    vat_item = items[(WorkStep.FILING, Filing.VAT)]
    vat_item.refresh_from_db()
    assert vat_item.status == WorkStatus.TODO
    assert vat_item.completed_at is None
    # The refused page must not have been a server error, just the form again.
    log.assert_clean("the refused filing")

    # --- The client confirms on a phone, without a login ------------------------------------
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{period:%Y-%m} 税款测算确认")
    expect(phone.locator(".zf-topbar")).to_have_count(0)
    expect(phone.locator("main")).to_contain_text(f"致：{acme.name}")
    expect(phone.locator("main tbody")).to_contain_text(rmb(VAT))
    expect(phone.locator("main tfoot")).to_contain_text(rmb(total))
    expect(phone.locator("main p", has_text="大写").locator("strong")).to_have_text(
        "人民币壹仟贰佰叁拾肆元伍角陆分"
    )
    assert_fits_phone(phone, "the tax confirmation page")
    phone.locator("#confirm").get_by_label("您的姓名").fill(CONTACT)
    phone.locator("#confirm").get_by_role("button", name="确认").click()
    expect(phone.get_by_role("status").first).to_contain_text(
        "感谢您的确认，我们将按此金额为您申报。"
    )
    expect(phone.get_by_role("heading", level=1)).to_have_text("已答复")
    expect(phone.locator("main")).to_contain_text(f"{CONTACT} 已于")
    expect(phone.locator("#confirm")).to_have_count(0)
    # Straight after the answer the page is the client's receipt (HTTP 200, no console error).
    assert phone.url.endswith("?answered=1")
    assert_fits_phone(phone, "the answered tax confirmation page")
    # The link answers once.
    again = phone.goto(link)
    assert again is not None and again.status == 410
    expected_status(phone, log, 410, link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("已答复")
    assert_fits_phone(phone, "the used tax confirmation link")
    log.assert_clean("the client's tax confirmation page")
    phone.context.close()

    confirmation = TaxConfirmation.objects.get(item__client=acme, item__period=period)
    assert confirmation.status == ConfirmationStatus.CONFIRMED
    assert confirmation.confirmed_via == ConfirmedVia.LINK
    assert confirmation.confirmed_by_name == CONTACT
    assert confirmation.total == total

    # The confirmation completed the 税款测算 step.
    page.goto(estimate_url)
    arrive(page, "税款测算")
    expect(page.locator("#item-status")).to_have_text("已完成")
    expect(page.locator("#confirmation-status")).to_have_text("客户已确认")
    expect(page.locator("#tax-link")).to_have_count(0)

    # --- The returns: 增值税 with the confirmed amount, 个税 as a 零申报, then 财务报表 ---------
    open_step(page, "增值税及附加")
    expect(page.locator("main dl")).to_contain_text("客户已确认")
    complete_card = page.locator("#action-complete")
    # The amount the client confirmed is offered.
    expect(complete_card.get_by_label("税额（元）")).to_have_value(f"{VAT}")
    complete_step(page)
    expect(page.locator("main dl")).to_contain_text(f"税额 {rmb(VAT)}")

    open_step(page, "个税扣缴")
    complete_card = page.locator("#action-complete")
    complete_card.get_by_label("零申报").check()
    complete_card.get_by_label("税额（元）").fill("0")
    complete_step(page)
    expect(page.locator("main dl")).to_contain_text("零申报")

    open_step(page, "财务报表报送")
    complete_step(page)
    log.assert_clean("the filing pages")

    # --- Bulk: complete 扣款, 告知客户 and 归档 ----------------------------------------------
    page.goto(board_url)
    arrive(page, "服务工作看板")
    row = board_row(page, acme.name)
    for column in ("扣款", "告知客户", "归档"):
        row.get_by_label(f"选择 {acme.name} {column}").check()
    page.get_by_label("批量操作").select_option(label="标记完成")
    page.get_by_role("button", name="执行").click()
    expect(messages(page)).to_contain_text("已标记完成 3 项工作。")

    # --- The row: every step done on time ----------------------------------------------------
    row = board_row(page, acme.name)
    expect(row.locator("td")).to_have_count(len(STEP_COLUMNS))
    for column in STEP_COLUMNS:
        expect(board_cell(page, row, column)).to_contain_text("按时完成")
    expect(row.get_by_role("checkbox")).to_have_count(0)
    expect(page.locator("#work-bulk-form")).to_have_count(0)
    expect(page.locator("#work-summary")).to_contain_text(
        f"本期共 {len(STEP_COLUMNS)} 项工作，已完成 {len(STEP_COLUMNS)} 项，逾期 0 项，未申报 0 项"
    )
    log.assert_clean("the finished board")

    done = {(i.step, i.filing): i for i in WorkItem.objects.filter(client=acme, period=period)}
    assert set(done) == set(items)
    assert all(i.status == WorkStatus.DONE for i in done.values()), {
        k: i.status for k, i in done.items()
    }
    assert all(i.on_time for i in done.values())
    assert done[(WorkStep.REVIEW, "")].completed_by == firm.staff.head
    assert done[(WorkStep.BOOKKEEPING, "")].completed_by == firm.staff.accountant
    assert done[(WorkStep.TAX_ESTIMATE, "")].completed_by is None  # the client, by the link
    vat_item = done[(WorkStep.FILING, Filing.VAT)]
    assert (vat_item.tax_amount, vat_item.zero_filing) == (VAT, False)
    iit_item = done[(WorkStep.FILING, Filing.INDIVIDUAL_INCOME_TAX)]
    assert iit_item.zero_filing is True
    assert iit_item.tax_amount in (None, Decimal("0.00"))
    assert done[(WorkStep.RECEIPTS, "")].handover.confirmed
    # Both filings came after the client's confirmation; none needed a head's override.
    assert all(
        i.completed_at >= confirmation.confirmed_at and not i.override_reason
        for (step, _filing), i in done.items()
        if step == WorkStep.FILING
    )
    assert dialogs == ["确定批量处理所勾选的工作吗？任一项不符合要求时，全部不会更改。"] * 2


# ---------------------------------------------------------------------------------------------
# 3. A satisfaction survey
# ---------------------------------------------------------------------------------------------

#: The client's answer: one dimension rated low, which opens a follow-up.
RATINGS = {
    "服务态度": "5 · 非常满意",
    "专业能力": "4 · 满意",
    "响应及时": "2 · 不满意",
    "工作质量": "4 · 满意",
    "总体满意度": "4 · 满意",
}


def test_survey_answered_on_a_phone(page: Page, phone: Page, log, login, firm):
    acme = firm.acme
    month = timezone.localdate().replace(day=1)

    login("cs")
    sidebar(page, "满意度调查")
    arrive(page, "满意度调查")
    page.get_by_role("link", name="发送调查").click()
    arrive(page, "发送满意度调查：选择客户")
    pick_client(page, "顶峰", acme.name)
    arrive(page, f"发送满意度调查：{acme.name}")
    expect(page.get_by_label("调查月份")).to_have_value(f"{month:%Y-%m}")
    page.get_by_role("button", name="发送").click()

    expect(page).to_have_url(re.compile(r"/delivery/surveys/\d+/$"))
    expect(messages(page)).to_contain_text("满意度调查已发送，可复制链接通过微信发给客户。")
    expect(heading(page).locator("xpath=..")).to_contain_text("待答复")
    link = page.locator("#survey-link").input_value()
    assert re.fullmatch(r"http://[^/]+/delivery/s/[^/]+/", link), link
    survey_url = page.url
    # The list shows the same link to copy.
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="满意度调查").click()
    arrive(page, "满意度调查")
    survey_row = page.locator("#survey-table tbody tr", has_text=acme.name)
    expect(survey_row.locator("input[readonly]")).to_have_value(link)
    log.assert_clean("the survey pages")

    # --- The client answers on a phone, without a login -------------------------------------
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("服务满意度调查")
    expect(phone.locator(".zf-topbar")).to_have_count(0)
    expect(phone.locator("main")).to_contain_text(f"致：{acme.name}")
    assert_fits_phone(phone, "the survey page")
    for dimension, choice in RATINGS.items():
        phone.locator("fieldset", has_text=dimension).get_by_label(choice, exact=True).check()
    phone.get_by_label("意见和建议").fill("回复客户问题有时要等到第二天，希望能更及时。")
    phone.get_by_label("您的姓名").fill(CONTACT)
    with phone.expect_response(lambda r: r.request.method == "POST") as answered:
        phone.get_by_role("button", name="提交评价").click()
    assert answered.value.status == 200
    expect(phone.get_by_role("heading", level=1)).to_have_text("感谢您的评价")
    expect(phone.locator("main")).to_contain_text("您的客服专员：客服甲")
    assert_fits_phone(phone, "the survey's thank-you page")

    # The link answers once: opening it again says so (410 Gone).
    again = phone.goto(link)
    assert again is not None and again.status == 410
    expected_status(phone, log, 410, link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("您已提交过")
    expect(phone.locator("main")).to_contain_text("每个链接只能答复一次")
    assert_fits_phone(phone, "the survey's already-answered page")
    log.assert_clean("the client's survey pages")

    survey = Survey.objects.get()
    assert (survey.attitude, survey.expertise, survey.timeliness) == (5, 4, 2)
    assert (survey.quality, survey.overall) == (4, 4)
    assert survey.respondent_name == CONTACT
    assert survey.answered_at is not None
    follow_up = FollowUp.objects.get(survey=survey)
    assert follow_up.status == FollowUpStatus.OPEN
    assert follow_up.assignee == firm.staff.service
    assert follow_up.head == firm.staff.head
    assert follow_up.due_on > timezone.localdate()

    # --- Customer service finds the follow-up ------------------------------------------------
    sidebar(page, "低分回访")
    arrive(page, "低分回访")
    follow_row = page.locator("#follow-up-table tbody tr", has_text=acme.name)
    expect(follow_row).to_have_count(1)
    expect(follow_row).to_contain_text("及时 2")
    expect(follow_row).to_contain_text("客服甲")
    expect(follow_row).to_contain_text("待回访")
    expect(follow_row).to_contain_text(f"{follow_up.due_on:%Y-%m-%d}")
    follow_row.get_by_role("link", name=acme.name).click()
    expect(page).to_have_url(survey_url)
    expect(heading(page).locator("xpath=..")).to_contain_text("已答复")
    expect(page.locator("main")).to_contain_text("回复客户问题有时要等到第二天")
    expect(page.locator("#follow-up-heading")).to_contain_text("低分回访")
    log.assert_clean("the follow-up list and the answered survey")
