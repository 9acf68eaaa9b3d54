"""From a quote to a settled statement of account, in a real browser (issue 4's acceptance test).

A salesperson prices a client's needs on the quote calculator (the result updates in place),
turns the quote into a service plan and sends it; the client, on a phone and without a login,
accepts it through the link. The salesperson drafts the contract from the accepted plan and
submits it; the department head approves it; the salesperson records the signing with the scan.
Finance is notified, finds the contract's first bills, records the payment, prints the receipt
(figures and capitals agree) and issues a statement of account whose closing balance is zero;
the client's 收费台账 tab shows the entries and the month the service is paid through.
Nothing on these pages may log a console error, trip the CSP or reach another host.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.contracts.models import ContractTemplate
from zhangfang.contracts.tests.factories import standard_payment_terms, standard_price_list
from zhangfang.core.calendar import add_months
from zhangfang.e2e.conftest import _CSP_LISTENER, TIMEOUT_MS, BrowserLog
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    # The live server reads what the test writes, so no wrapping transaction; the serialized
    # rollback puts back what migrations created (role groups, payment terms, the default
    # contract template) after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

COMPANY = "深圳市南山云图信息技术有限公司"
SHORT_NAME = "云图信息"
CONTACT = "李娜"
PLAN_TITLE = f"{SHORT_NAME}代理记账服务方案"
MONTHLY_VOUCHERS = 50
TERM_MONTHS = 12
QUARTER = 3
#: The smallest valid PDF header is all the upload check reads; the rest makes it a real file.
SCAN_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def rmb(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


@pytest.fixture
def firm(settings, tmp_path):
    """业务一部 with a salesperson and its head, a finance clerk, a prospective client of the
    salesperson with a contact, and the standard price list and payment terms."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Policy values (the plan link's validity) are cached: start from (and leave) an empty cache.
    cache.clear()
    department = DepartmentFactory(name="业务一部")
    sales = UserFactory(username="sales1", name="业务甲", department=department, roles=["sales"])
    head = UserFactory(
        username="head1", name="部门经理甲", department=department, roles=["dept_head"]
    )
    finance = UserFactory(username="finance1", name="财务甲", department=None, roles=["finance"])
    acme = ClientFactory(
        name=COMPANY,
        short_name=SHORT_NAME,
        status=ClientStatus.PROSPECT,
        taxpayer_type="small",
        industry="I",  # 信息技术: no industry surcharge on the price list
        department=department,
        sales_owner=sales,
    )
    ContactFactory(client=acme, name=CONTACT, mobile="13800138000")
    prices = standard_price_list()
    terms = standard_payment_terms()
    # The standard contract wording comes from a data migration (0004).
    assert ContractTemplate.objects.filter(is_default=True, is_active=True).exists()
    yield SimpleNamespace(
        department=department,
        sales=sales,
        head=head,
        finance=finance,
        acme=acme,
        prices=prices,
        terms=terms,
    )
    cache.clear()


@pytest.fixture
def phone(browser: Browser, base_url: str, log: BrowserLog) -> Iterator[Page]:
    """The client's phone: a browser context of its own (no session cookie), watched like
    ``page``."""
    ctx = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 390, "height": 844},
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


def set_marker(page: Page) -> None:
    """A flag on ``window`` that only a full page load would clear."""
    page.evaluate("window.__marker = 1")


def assert_no_full_page_load(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped"


def messages(page: Page):
    return page.locator("#zf-messages")


def heading(page: Page):
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


def open_notification(page: Page, title: str) -> None:
    """Open the bell's inbox and follow the notification titled ``title``."""
    bell = page.locator(".zf-topbar").get_by_role("link", name="通知")
    expect(bell.locator(".badge")).to_be_visible()
    bell.click()
    arrive(page, "通知")
    page.locator("#notification-list").get_by_role("link", name=title).click()


def test_quote_to_settled_statement(
    page: Page, phone: Page, base_url: str, log, login, firm, tmp_path
):
    today = timezone.localdate()
    start = today.replace(day=1)  # the service starts with the current month
    first_cycle_end = add_months(start, QUARTER) - dt.timedelta(days=1)
    # What the price list charges a small taxpayer with 50 vouchers a month, paid quarterly,
    # with the one-off 建账费 and the yearly 账本费: due at once are the first quarter's service
    # bill and one bill for each of the two one-off charges.
    cycle_amount = firm.prices["small"].amount * QUARTER
    setup_amount = firm.prices["setup"].amount
    book_amount = firm.prices["ledger_book"].amount * (TERM_MONTHS // 12)
    first_bills = cycle_amount + setup_amount + book_amount
    term_total = firm.prices["small"].amount * TERM_MONTHS + setup_amount + book_amount
    assert (cycle_amount, first_bills, term_total) == (Decimal(900), Decimal(1500), Decimal(4200))

    accepted_dialogs: list[str] = []

    def accept(dialog) -> None:
        accepted_dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)

    # --- 1. The salesperson prices the client's needs ----------------------------------------
    login("sales1")
    page.locator("#zf-sidebar").get_by_role("link", name="报价计算").click()
    arrive(page, "报价计算")
    result = page.locator("#quote-result")
    # The page opens priced with typical needs: a small taxpayer paying monthly, with 建账费.
    expect(result).to_contain_text("每期（按月付，1 个月）")
    set_marker(page)
    result.locator("table").evaluate("table => { table.dataset.old = '1'; }")

    page.get_by_label("纳税人类型").select_option(label="小规模纳税人")
    page.get_by_label("月凭证量（张）").fill(str(MONTHLY_VOUCHERS))
    page.get_by_label("付款方式").select_option(label="按季付")
    page.get_by_label("服务期限（月）").fill(str(TERM_MONTHS))
    expect(page.get_by_label("含建账费")).to_be_checked()

    expect(result).to_contain_text("每期（按季付，3 个月）")
    expect(result.locator("table[data-old]")).to_have_count(0)
    assert_no_full_page_load(page)
    expect(page).to_have_url(re.compile(r"[?&]payment_term=\d+(&|$)"))
    figures = result.locator("dl")
    expect(figures).to_contain_text("4 期")
    expect(figures.locator("dd", has_text="标价")).to_contain_text(rmb(cycle_amount))
    expect(figures).to_contain_text(f"首期账单{rmb(first_bills)}")
    expect(figures).to_contain_text(rmb(term_total))
    expect(figures).to_contain_text("人民币肆仟贰佰元整")
    expect(result.locator("tbody tr", has_text="小规模纳税人代理记账")).to_contain_text(
        rmb(firm.prices["small"].amount)
    )
    expect(result.locator("tbody tr", has_text="建账费")).to_contain_text(rmb(setup_amount))
    expect(result.locator("tbody tr", has_text="账本费")).to_contain_text(rmb(book_amount))

    # --- ... turns the quote into a service plan for the client -------------------------------
    result.get_by_role("link", name="用此报价创建服务方案").click()
    arrive(page, "新建服务方案：选择客户")
    page.get_by_label("客户名称、拼音或统一社会信用代码").fill("云图")
    page.locator("#client-results").get_by_role("link", name=re.compile(COMPANY)).click()

    arrive(page, "新建服务方案")
    expect(page.locator("main")).to_contain_text(f"客户：{COMPANY}")
    # The quote's figures came along.
    expect(page.get_by_label("月凭证量（张）")).to_have_value(str(MONTHLY_VOUCHERS))
    expect(page.get_by_label("付款方式")).to_have_value(str(firm.terms["quarterly"].pk))
    expect(page.get_by_label("收取建账费")).to_be_checked()
    expect(page.get_by_label("方案名称")).to_have_value(PLAN_TITLE)
    page.get_by_label("服务开始日期").fill(f"{start:%Y-%m-%d}")
    page.get_by_label("给客户的说明").fill("按季度付款，每季度初开具账单。")
    preview = page.locator("#plan-preview")
    expect(preview).to_contain_text(f"首期账单{rmb(first_bills)}")
    expect(preview).to_contain_text(f"服务期合计{rmb(term_total)}")
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(re.compile(r"/contracts/plans/\d+/$"))
    expect(messages(page)).to_contain_text("服务方案已创建。")
    expect(heading(page)).to_contain_text("草稿")
    plan_url = page.url

    # --- ... sends it and reads the client's link ---------------------------------------------
    page.get_by_role("button", name="发送给客户确认").click()
    expect(messages(page)).to_contain_text("已发送。请复制下方链接")
    expect(heading(page)).to_contain_text("待客户确认")
    link = page.locator("#plan-link").input_value()
    assert re.fullmatch(rf"{re.escape(base_url)}/contracts/p/[^/]+/", link), link
    log.assert_clean("the quote calculator and the plan pages")

    # --- 2. The client, on a phone, without a login, accepts the plan --------------------------
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text(PLAN_TITLE)
    expect(phone.locator(".zf-topbar")).to_have_count(0)
    expect(phone.locator("main")).to_contain_text(f"致：{COMPANY}")
    expect(phone.locator("main")).to_contain_text(f"自 {start:%Y-%m-%d} 起 12 个月")
    expect(phone.locator("main")).to_contain_text(rmb(term_total))
    # Nothing wider than the phone's screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    accept_card = phone.locator("#accept")
    accept_card.get_by_label("您的姓名").fill(CONTACT)
    accept_card.get_by_role("button", name="接受方案").click()

    expect(phone.get_by_role("status").first).to_contain_text("感谢您的答复，我们已收到。")
    expect(phone.locator("main")).to_contain_text(f"{CONTACT} 已于")
    expect(phone.locator("main")).to_contain_text("接受此方案。")
    expect(phone.locator("#accept")).to_have_count(0)
    log.assert_clean("the client's plan page")
    phone.context.close()

    # --- 3. The salesperson sees the answer and drafts the contract ----------------------------
    page.goto(plan_url)
    expect(heading(page)).to_contain_text("客户已接受")
    accepted = page.locator(".alert", has_text="客户已接受第 1 版")
    expect(accepted).to_contain_text(f"（答复人：{CONTACT}")
    accepted.get_by_role("link", name="起草合同").click()

    arrive(page, "起草合同")
    expect(page.get_by_label("客户已接受的服务方案")).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_label("客户已接受的服务方案").locator("option:checked")).to_contain_text(
        f"{COMPANY} — {PLAN_TITLE} 第 1 版（{rmb(term_total)}）"
    )
    expect(page.get_by_label("合同模板").locator("option:checked")).to_have_text(
        "代理记账服务合同（标准版）"
    )
    page.get_by_role("button", name="起草").click()

    expect(page).to_have_url(re.compile(r"/contracts/\d+/$"))
    expect(messages(page)).to_contain_text("已起草，请核对后提交审核。")
    number = heading(page).inner_text().split()[0]
    assert re.fullmatch(rf"HT{today.year}-\d{{4}}", number), number
    expect(heading(page)).to_contain_text("草稿")
    contract_url = page.url
    header = page.locator("header")
    expect(header).to_contain_text(f"合同总额 {rmb(term_total)}")
    expect(header).to_contain_text(f"服务期 {start:%Y-%m-%d} 至")
    body = page.locator(".zf-contract-body")
    expect(body).to_contain_text(f"甲方（委托方）：{COMPANY}")
    expect(page.locator("main")).to_contain_text("按季付")
    page.get_by_role("button", name="提交审核").click()

    expect(messages(page)).to_contain_text("合同已提交审核。")
    expect(heading(page)).to_contain_text("待审核")
    log.assert_clean("the client page and the contract draft")

    # --- 4. The department head approves it ---------------------------------------------------
    switch_user(page, login, "业务甲", "head1")
    page.get_by_role("link", name="1 份合同待我审核").click()
    expect(page).to_have_url(re.compile(r"/contracts/\?review=1$"))
    page.get_by_role("link", name=number).click()
    expect(page).to_have_url(contract_url)
    page.locator("header").get_by_role("link", name="审核").click()
    arrive(page, f"审核合同 {number}")
    expect(page.locator("main")).to_contain_text(f"合同总额 {rmb(term_total)}")
    page.get_by_label("批准").check()
    page.get_by_label("审核意见").fill("条款与服务方案一致，同意。")
    page.get_by_role("button", name="提交审核结论").click()

    expect(page).to_have_url(contract_url)
    expect(messages(page)).to_contain_text("合同已批准。")
    expect(heading(page)).to_contain_text("已批准")
    expect(page.locator("main")).to_contain_text("条款与服务方案一致，同意。")
    log.assert_clean("the review page")

    # --- 5. The salesperson records the signing with the scan ---------------------------------
    switch_user(page, login, "部门经理甲", "sales1")
    open_notification(page, f"合同已批准：{number}，请与客户签署。")
    expect(page).to_have_url(contract_url)
    page.locator("header").get_by_role("link", name="登记签署").click()
    arrive(page, f"登记签署 {number}")
    expect(page.get_by_label("签署日期")).to_have_value(f"{today:%Y-%m-%d}")
    scan = tmp_path / "signed-contract.pdf"
    scan.write_bytes(SCAN_PDF)
    page.get_by_label("签署扫描件").set_input_files(scan)
    page.get_by_role("button", name="登记签署").click()

    expect(page).to_have_url(contract_url)
    expect(messages(page)).to_contain_text("合同已签署并生效，收费计划已生成")
    expect(heading(page)).to_contain_text("生效")
    expect(page.locator("main")).to_contain_text(f"签署日期{today:%Y-%m-%d}")
    expect(page.locator("header").get_by_role("link", name="签署扫描件")).to_be_visible()
    log.assert_clean("the signing page")

    # --- 6. Finance: notified, finds the bills, records the payment ---------------------------
    switch_user(page, login, "业务甲", "finance1")
    open_notification(page, f"合同已签署：{number} {COMPANY}")
    expect(page).to_have_url(contract_url)
    page.locator("#zf-sidebar").get_by_role("link", name="账单", exact=True).click()
    arrive(page, "账单")
    set_marker(page)
    page.locator("#id_q").fill(SHORT_NAME)
    expect(page).to_have_url(re.compile(r"[?&]q="))
    bill_rows = page.locator("#bill-table tbody tr")
    # Four quarters and the two one-off charges; the later quarters wait for their day.
    expect(bill_rows).to_have_count(TERM_MONTHS // QUARTER + 2)
    assert_no_full_page_load(page)
    period = f"{start:%Y-%m} 至 {first_cycle_end:%Y-%m}"
    first_quarter = bill_rows.filter(has_text=period)
    expect(first_quarter).to_contain_text(f"{number} 代理记账服务费 {period}")
    expect(first_quarter).to_contain_text(rmb(cycle_amount))
    expect(first_quarter).to_contain_text("未收款")
    expect(first_quarter).to_contain_text(f"{today:%Y-%m-%d}")
    setup = bill_rows.filter(has_text="建账费")
    expect(setup).to_contain_text(rmb(setup_amount))
    expect(setup).to_contain_text("未收款")
    book = bill_rows.filter(has_text="账本费")
    expect(book).to_contain_text(rmb(book_amount))
    expect(book).to_contain_text("未收款")
    expect(bill_rows.filter(has_text="待开单")).to_have_count(TERM_MONTHS // QUARTER - 1)

    first_quarter.get_by_role("link").click()
    expect(heading(page)).to_contain_text("未收款")
    page.locator("header").get_by_role("link", name="登记收款").click()
    arrive(page, "登记收款")
    expect(page.locator("main")).to_contain_text(f"客户：{COMPANY}")
    page.get_by_label("收款方式").select_option(label="银行转账")
    page.get_by_label("收款金额（元）").fill(f"{first_bills:.2f}")
    expect(page.get_by_label("收款日期")).to_have_value(f"{today:%Y-%m-%d}")
    page.get_by_label("付款人").fill(COMPANY)
    page.get_by_label("交易流水号").fill("20261127000123")
    expect(page.get_by_label("全部按账龄自动核销")).to_be_checked()
    expect(page.locator("form tbody tr")).to_have_count(3)
    page.get_by_role("button", name="登记收款").click()

    expect(page).to_have_url(re.compile(r"/billing/payments/\d+/$"))
    expect(messages(page)).to_contain_text("收款已登记，收据编号")
    allocations = page.locator("main table").first.locator("tbody tr")
    expect(allocations).to_have_count(3)
    expect(page.locator("main dl")).to_contain_text(f"预收余额{rmb(Decimal(0))}")

    # --- ... and prints the receipt: figures and capitals agree --------------------------------
    page.get_by_role("link", name="打印收据").click()
    arrive(page, "收　据")
    expect(page.locator(".zf-receipt-figure")).to_have_text(rmb(first_bills))
    expect(page.locator(".zf-receipt-upper")).to_have_text("人民币壹仟伍佰元整")
    receipt = page.locator("main")
    expect(receipt).to_contain_text(COMPANY)
    expect(receipt).to_contain_text("银行转账（20261127000123）")
    expect(receipt).to_contain_text(f"代理记账服务费 {period}：{rmb(cycle_amount)}")
    expect(receipt).to_contain_text(f"建账费：{rmb(setup_amount)}")
    expect(receipt).to_contain_text(f"账本费：{rmb(book_amount)}")
    log.assert_clean("the bill, payment and receipt pages")

    # --- 7. Finance issues the statement of account: nothing owed --------------------------
    page.goto(f"/billing/clients/{firm.acme.pk}/statements/")
    expect(heading(page)).to_contain_text("对账单")
    page.get_by_role("link", name="出具第一张对账单").click()
    expect(heading(page)).to_contain_text("出具对账单")
    page.get_by_role("link", name=re.compile("^本月至今")).click()
    expect(page.get_by_label("对账期起")).to_have_value(f"{start:%Y-%m-%d}")
    expect(page.get_by_label("对账期止")).to_have_value(f"{today:%Y-%m-%d}")
    page.get_by_role("button", name="出具").click()

    expect(page).to_have_url(re.compile(r"/billing/statements/\d+/$"))
    expect(messages(page)).to_contain_text("对账单已出具。")
    expect(page.locator("main")).to_contain_text(f"对账期间 {start:%Y-%m-%d} 至 {today:%Y-%m-%d}")
    closing = page.get_by_test_id("closing-balance")
    expect(closing.locator(".display-6")).to_have_text(rmb(Decimal(0)))
    expect(closing).to_contain_text("人民币零元整")
    expect(closing).to_contain_text("已结清，余额为零")
    results = page.locator("section", has=page.get_by_role("heading", name="对账结果"))
    expect(results.locator("dd").nth(1)).to_have_text(rmb(first_bills))  # 本期应收
    expect(results.locator("dd").nth(2)).to_have_text(rmb(first_bills))  # 本期收款
    entries = page.locator("section[aria-labelledby='entries-heading'] tbody tr")
    expect(entries.filter(has_text="代理记账服务费")).to_have_count(1)
    expect(entries.filter(has_text="建账费")).to_have_count(1)
    expect(entries.filter(has_text="账本费")).to_have_count(1)
    log.assert_clean("the statement pages")

    # --- The client's page: the contract in force, the 收费台账 tab settled ----------------------
    page.get_by_role("navigation", name="位置").get_by_role("link", name=COMPANY).click()
    expect(heading(page)).to_contain_text(COMPANY)
    expect(heading(page)).to_contain_text("服务中")  # the contract took effect
    page.get_by_role("tab", name="合同").click()
    expect(page).to_have_url(re.compile(r"\?tab=contracts$"))
    contract_row = page.locator("#tab-content tbody tr", has_text=number)
    expect(contract_row).to_contain_text("生效")
    expect(contract_row).to_contain_text(rmb(term_total))
    # The plan has its contract: it is no longer offered for drafting.
    expect(page.locator("#tab-content").get_by_role("link", name="起草合同")).to_have_count(0)
    page.get_by_role("tab", name="收费台账").click()
    expect(page).to_have_url(re.compile(r"\?tab=billing$"))
    tab = page.locator("#tab-content")
    account = tab.locator("dl")
    expect(account.locator("dt:has-text('欠费余额') + dd")).to_have_text(rmb(Decimal(0)))
    expect(account.locator("dt:has-text('已缴至') + dd")).to_have_text(f"{first_cycle_end:%Y-%m}")
    expect(account.locator("dt:has-text('最早逾期') + dd")).to_have_text("无")
    ledger_rows = tab.locator("tbody tr")
    expect(ledger_rows.filter(has_text="代理记账服务费")).to_contain_text(rmb(cycle_amount))
    expect(ledger_rows.filter(has_text="建账费")).to_contain_text(rmb(setup_amount))
    expect(ledger_rows.filter(has_text="账本费")).to_contain_text(rmb(book_amount))
    expect(ledger_rows.last.locator("td").last).to_have_text(rmb(Decimal(0)))
    log.assert_clean("the client's fee ledger")

    # Every confirm the pages asked was the expected one.
    assert accepted_dialogs == [
        "发送后客户可通过链接查看并答复此方案，发送期间不能修改。确定发送吗？",
        "提交后在审核完成前不能修改。确定提交审核吗？",
        "确认合同已由双方签署？",
    ]
