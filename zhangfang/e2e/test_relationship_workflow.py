"""Relationship maintenance (policy 四) in a real browser: a complaint from registration to the
analysis report, a return visit whose problem goes to another department and back to the client,
and a client answering an event invitation on a phone.

1. Customer service registers a complaint on the 《客户投诉登记表》; the head of the responsible
   department finds it on the list (in a browser of their own), investigates it and records the
   result with its root cause and corrective action; customer service tells the client and closes
   it once the client confirms — a close without the root cause, then without the corrective
   action, is refused naming the field. The timeline shows each step with who took it, and the
   head's analysis report for this month counts the complaint under its category and department.
2. Customer service records a planned return visit with the client's satisfaction and one
   problem forwarded to 服务二部; that department's head records the result from the problem
   list; customer service records how the client was told, and the problem is 已告知客户.
3. A client accepts an event invitation for two people on a 390 px phone, without a login; with
   the capacity of two used up, a second client's link says 名额已满 and an acceptance is refused.

Nothing on any page may log a console error, trip the CSP or reach another host.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from zhangfang.care.models import (
    EventKind,
    Invitation,
    ProblemStatus,
    ReturnVisit,
    ReturnVisitStatus,
    RsvpStatus,
    VisitProblem,
)
from zhangfang.care.services import events as event_services
from zhangfang.care.tests.factories import ReturnVisitFactory
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.complaints.models import Complaint, ComplaintStatus, ComplaintStep
from zhangfang.complaints.services.complaints import handling_deadline
from zhangfang.e2e.conftest import _CSP_LISTENER, TIMEOUT_MS, BrowserLog
from zhangfang.staff.tests.factories import TEST_PASSWORD, DepartmentFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    # The live server reads what the test writes, so no wrapping transaction; the serialized
    # rollback puts back what migrations created (role groups, greeting days) after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE_WIDTH = 390
CONTACT = "王经理"
CONTACT_MOBILE = "13800138000"


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def firm():
    """服务一部 with its head (主管丁), customer service (客服甲) and an accountant (会计乙);
    服务二部 with its head (主管戊); 深圳市顶峰科技有限公司 of 服务一部, whose contact is 王经理,
    and a second client, 广州市北辰贸易有限公司."""
    # Policy values (handling days, attendee limit) are cached: start from an empty cache.
    cache.clear()
    d1 = DepartmentFactory(name="服务一部")
    d2 = DepartmentFactory(name="服务二部")
    service = UserFactory(username="cs", name="客服甲", department=d1, roles=["service"])
    accountant = UserFactory(username="acc", name="会计乙", department=d1, roles=["accountant"])
    head = UserFactory(username="head1", name="主管丁", department=d1, roles=["dept_head"])
    head2 = UserFactory(username="head2", name="主管戊", department=d2, roles=["dept_head"])
    acme = ClientFactory(
        name="深圳市顶峰科技有限公司",
        department=d1,
        accountant=accountant,
        customer_service=service,
    )
    contact = ContactFactory(client=acme, name=CONTACT, mobile=CONTACT_MOBILE)
    beta = ClientFactory(
        name="广州市北辰贸易有限公司",
        department=d1,
        accountant=accountant,
        customer_service=service,
    )
    ContactFactory(client=beta, name="李会计")
    yield dict(
        d1=d1,
        d2=d2,
        service=service,
        accountant=accountant,
        head=head,
        head2=head2,
        acme=acme,
        contact=contact,
        beta=beta,
    )
    cache.clear()


def _watched_context(
    browser: Browser, base_url: str, log: BrowserLog, **options
) -> tuple[BrowserContext, Page]:
    """A browser context of its own (its own cookies: another person), watched like ``page``."""
    ctx = browser.new_context(
        base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai", **options
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.expose_function("__zfCspViolation", log.on_csp_violation)
    ctx.add_init_script(_CSP_LISTENER)
    ctx.on("request", log.on_request)
    ctx.route(lambda url: not url.startswith(f"{base_url}/"), lambda route: route.abort())
    pg = ctx.new_page()
    pg.on("console", log.on_console)
    pg.on("pageerror", lambda error: log.page_errors.append(str(error)))
    return ctx, pg


@pytest.fixture
def desk(browser: Browser, base_url: str, log: BrowserLog) -> Iterator[Callable[[str], Page]]:
    """``desk(username)``: another member of staff at their own desk, signed in."""
    contexts: list[BrowserContext] = []

    def open_desk(username: str) -> Page:
        ctx, pg = _watched_context(browser, base_url, log, viewport={"width": 1366, "height": 900})
        contexts.append(ctx)
        sign_in(pg, username)
        return pg

    yield open_desk
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def phones(browser: Browser, base_url: str, log: BrowserLog) -> Iterator[Callable[[], Page]]:
    """``phones()``: a client's phone, 390 px wide, no session cookie."""
    contexts: list[BrowserContext] = []

    def open_phone() -> Page:
        ctx, pg = _watched_context(
            browser,
            base_url,
            log,
            viewport={"width": PHONE_WIDTH, "height": 844},
            is_mobile=True,
            has_touch=True,
        )
        contexts.append(ctx)
        return pg

    yield open_phone
    for ctx in contexts:
        ctx.close()


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def sign_in(page: Page, username: str) -> None:
    """Sign in through the real login form (the conftest's ``login`` serves ``page`` only)."""
    page.goto("/staff/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".zf-topbar")).to_be_visible()
    expect(page.locator("#id_password")).to_have_count(0)


def messages(page: Page) -> Locator:
    return page.locator("#zf-messages")


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def arrive(page: Page, title: str) -> None:
    """Wait for the page titled ``title`` and for its scripts (htmx must be running before a
    control that refreshes through it is touched)."""
    expect(heading(page)).to_have_text(title)
    page.wait_for_load_state("load")


def sidebar(page: Page, name: str) -> None:
    page.locator("#zf-sidebar").get_by_role("link", name=name, exact=True).click()


def pick_client(page: Page, search: str, name: str) -> None:
    """The client picker of a "new …" page: type, wait for the htmx results, pick ``name``."""
    page.locator("#picker-q").fill(search)
    page.locator("#client-results").get_by_role("link", name=re.compile(re.escape(name))).click()


def action_form(page: Page, action: str) -> Locator:
    """The form on a complaint's page that posts ``action`` (start, handle, feed_back, close)."""
    return page.locator(f"main form[action$='/{action}/']")


def assert_fits_phone(phone: Page, where: str) -> None:
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{where} is {width}px wide on a {PHONE_WIDTH}px phone"


def expected_status(page: Page, log: BrowserLog, status: int, url: str) -> None:
    """Forget the console error Chromium logs for the page at ``url`` answering ``status`` (a
    refused form is 422 or 400): the test expects that status and checks the page. Any other
    console error still fails the test. The message may arrive a moment after the page shows,
    so wait for it (a little) before dropping it."""

    def expected(error: str) -> bool:
        return f"status of {status} " in error and error.endswith(f"({url})")

    for _ in range(40):
        if any(expected(error) for error in log.console_errors):
            break
        page.wait_for_timeout(50)
    log.console_errors[:] = [error for error in log.console_errors if not expected(error)]


# ---------------------------------------------------------------------------------------------
# 1. A complaint, from the register to the analysis
# ---------------------------------------------------------------------------------------------

MATTER = "十月增值税申报逾期一天，被税务局加收滞纳金 356.20 元，事先没有人提醒。"
ROOT_CAUSE = "流程或制度缺陷"
CORRECTIVE = "申报期最后三个工作日由主管每日核对未申报清单。"


def test_complaint_registered_handled_closed_and_analysed(page: Page, desk, log, login, firm):
    acme, contact = firm["acme"], firm["contact"]
    today = timezone.localdate()

    # --- Customer service registers the complaint ---------------------------------------------
    login("cs")
    sidebar(page, "客户投诉")
    arrive(page, "客户投诉")
    # The empty list offers the same link again; the header's is the one to use.
    page.get_by_role("link", name="登记投诉").first.click()
    arrive(page, "登记客户投诉：选择客户")
    pick_client(page, "顶峰", acme.name)
    arrive(page, "客户投诉登记表")
    expect(page.locator("main")).to_contain_text(f"客户名称：{acme.name}")
    # The responsible department defaults to the client's.
    expect(page.get_by_label("责任部门")).to_have_value(str(firm["d1"].pk))
    # Choosing the contact fills in their name and phone (htmx).
    page.get_by_label("投诉人", exact=True).select_option(str(contact.pk))
    expect(page.get_by_label("投诉人姓名")).to_have_value(CONTACT)
    expect(page.get_by_label("联系方式")).to_have_value(CONTACT_MOBILE)
    page.get_by_label("投诉渠道").select_option(label="电话")
    page.get_by_label("投诉类别").select_option(label="申报延误")
    page.get_by_label("严重程度").select_option(label="较重")
    page.get_by_label("涉及人员").select_option(label="会计乙（服务一部）")
    page.get_by_label("投诉事项").fill(MATTER)
    page.get_by_label("客户诉求").fill("由贵公司承担滞纳金，并书面说明原因。")
    page.get_by_role("button", name="登记并转部门负责人").click()

    expect(page).to_have_url(re.compile(r"/complaints/\d+/$"))
    complaint = Complaint.objects.get()
    assert complaint.number == f"TS{today.year}-0001"
    assert complaint.due_on == handling_deadline(today)
    assert (complaint.handler, complaint.department) == (firm["head"], firm["d1"])
    assert (complaint.contact, complaint.contact_phone) == (contact, CONTACT_MOBILE)
    due = f"{complaint.due_on:%Y-%m-%d}"
    expect(messages(page)).to_contain_text(
        f"投诉 {complaint.number} 已登记，已转服务一部负责人主管丁处理，期限 {due}。"
    )
    arrive(page, f"客户投诉 {complaint.number}：{acme.name}")
    expect(heading(page).locator("xpath=..")).to_contain_text("登记")
    expect(heading(page).locator("xpath=..")).to_contain_text("较重")
    sheet = page.locator("table.zf-complaint-sheet")
    expect(sheet).to_contain_text(MATTER)
    expect(sheet).to_contain_text("申报延误")
    expect(sheet).to_contain_text("会计乙")
    # Customer service registers; only the department investigates.
    expect(page.get_by_role("button", name="开始调查")).to_have_count(0)
    expect(page.get_by_role("button", name="提交处理结果")).to_have_count(0)
    complaint_url = page.url
    log.assert_clean("the complaint intake pages")

    # --- The head of 服务一部 finds it and investigates ------------------------------------------
    head = desk("head1")
    sidebar(head, "客户投诉")
    arrive(head, "客户投诉")
    row = head.locator("#complaint-table tbody tr", has_text=complaint.number)
    expect(row).to_have_count(1)
    for text in (acme.name, "申报延误", "较重", "登记", due, "服务一部", "主管丁"):
        expect(row).to_contain_text(text)
    row.get_by_role("link", name=complaint.number).click()
    arrive(head, f"客户投诉 {complaint.number}：{acme.name}")
    action_form(head, "start").get_by_label("说明").fill("已调取十月申报记录，约会计乙面谈。")
    head.get_by_role("button", name="开始调查").click()
    expect(messages(head)).to_contain_text("已开始调查。")
    expect(heading(head).locator("xpath=..")).to_contain_text("调查中")

    handle = action_form(head, "handle")
    handle.get_by_label("调查情况").fill("会计乙休假期间无人接手申报，交接清单未列明申报事项。")
    handle.get_by_label("处理结果").fill("已补申报；滞纳金由公司承担，已向客户致歉。")
    handle.get_by_label("根本原因").select_option(label=ROOT_CAUSE)
    handle.get_by_label("纠正措施").fill(CORRECTIVE)
    head.get_by_role("button", name="提交处理结果").click()
    expect(messages(head)).to_contain_text("处理结果已记录，并已通知客服反馈客户。")
    expect(heading(head).locator("xpath=..")).to_contain_text("已处理")
    # Telling the client is customer service's part.
    expect(head.get_by_role("button", name="提交处理结果")).to_have_count(0)
    log.assert_clean("the head's complaint pages")

    # --- Customer service tells the client ------------------------------------------------
    page.goto(complaint_url)
    arrive(page, f"客户投诉 {complaint.number}：{acme.name}")
    expect(page.locator("table.zf-complaint-sheet")).to_contain_text("滞纳金由公司承担")
    action_form(page, "feed_back").get_by_label("反馈客户情况").fill(
        "已电话告知王经理处理结果，客户表示理解。"
    )
    page.get_by_role("button", name="记录反馈客户").click()
    expect(messages(page)).to_contain_text("已记录反馈客户情况。")
    expect(heading(page).locator("xpath=..")).to_contain_text("已反馈客户")

    # --- Closing: refused without the root cause, then without the corrective action ----------
    close = action_form(page, "close")
    # The head's root cause and corrective action are offered.
    expect(close.get_by_label("根本原因")).to_have_value("process")
    expect(close.get_by_label("纠正措施")).to_have_value(CORRECTIVE)
    close.get_by_label("客户确认情况").fill("王经理电话确认满意。")
    close.get_by_label("根本原因").select_option("")
    close.get_by_label("纠正措施").fill("")
    with page.expect_response(re.compile(r"/close/$")) as refused:
        page.get_by_role("button", name="客户确认，关闭投诉").click()
    assert refused.value.status == 422
    expect(close.locator(".alert-danger")).to_contain_text("根本原因：关闭投诉前须填写根本原因。")
    expected_status(page, log, 422, refused.value.url)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.FED_BACK

    close = action_form(page, "close")
    expect(close.get_by_label("客户确认情况")).to_have_value("王经理电话确认满意。")
    close.get_by_label("根本原因").select_option(label=ROOT_CAUSE)
    with page.expect_response(re.compile(r"/close/$")) as refused:
        page.get_by_role("button", name="客户确认，关闭投诉").click()
    assert refused.value.status == 422
    expect(close.locator(".alert-danger")).to_contain_text("纠正措施：关闭投诉前须填写纠正措施。")
    expected_status(page, log, 422, refused.value.url)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.FED_BACK
    log.assert_clean("the refused closes")

    close = action_form(page, "close")
    close.get_by_label("纠正措施").fill(CORRECTIVE)
    page.get_by_role("button", name="客户确认，关闭投诉").click()
    expect(page).to_have_url(complaint_url)
    expect(messages(page)).to_contain_text("投诉已关闭。")
    expect(heading(page).locator("xpath=..")).to_contain_text("客户确认关闭")
    sheet = page.locator("table.zf-complaint-sheet")
    for text in (ROOT_CAUSE, CORRECTIVE, "王经理电话确认满意。", "按时处理"):
        expect(sheet).to_contain_text(text)
    expect(page.locator("main form[action*='/complaints/']")).to_have_count(1)  # reopen only
    expect(page.get_by_role("button", name="重新打开")).to_be_visible()

    # --- The timeline: every step, who took it, the status it moved -------------------------
    timeline = page.get_by_role("heading", name="处理记录").locator(
        "xpath=following-sibling::ol/li"
    )
    steps = [
        ("登记投诉", "客服甲", "转服务一部负责人主管丁处理"),
        ("开始调查", "主管丁", "登记 → 调查中"),
        ("处理完毕", "主管丁", "调查中 → 已处理"),
        ("反馈客户", "客服甲", "已处理 → 已反馈客户"),
        ("客户确认关闭", "客服甲", "已反馈客户 → 客户确认关闭"),
    ]
    expect(timeline).to_have_count(len(steps))
    for index, texts in enumerate(steps):
        for text in texts:
            expect(timeline.nth(index)).to_contain_text(text)
    log.assert_clean("the closed complaint")

    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.root_cause == "process"
    assert complaint.corrective_action == CORRECTIVE
    assert complaint.handled_in_time is True
    assert list(
        ComplaintStep.objects.filter(complaint=complaint)
        .values_list("action", flat=True)
        .order_by("at", "id")
    ) == ["register", "start", "handle", "feed_back", "close"]

    # --- The head's analysis report for this month ------------------------------------------
    sidebar(head, "投诉分析")
    arrive(head, "客户投诉分析")
    # The department is the head's own, not a choice.
    expect(head.locator("#id_department")).to_have_value("服务一部")
    # Without a choice the report is last month's, in which nothing was received.
    expect(head.locator("#figure-received")).to_have_text("0")
    head.get_by_label("所在月份").fill(f"{today:%Y-%m}")
    expect(head.locator("#figure-received")).to_have_text("1")
    expect(head).to_have_url(re.compile(rf"month={today:%Y-%m}"))
    expect(head.locator("#figure-closed")).to_have_text("1")
    expect(head.locator("#figure-timeliness")).to_contain_text("100")
    category = head.locator("section", has=head.locator("#category-heading"))
    category_row = category.locator("tbody tr", has_text="申报延误")
    expect(category_row).to_have_count(1)
    expect(category_row.locator("td").first).to_have_text("1")
    department_row = head.locator("#department-table tbody tr", has_text="服务一部")
    expect(department_row).to_have_count(1)
    expect(department_row.locator("td").first).to_have_text("1")  # received
    person_row = head.locator("#person-table tbody tr", has_text="会计乙")
    expect(person_row).to_contain_text("申报延误")
    action_row = head.locator("#action-table tbody tr", has_text=complaint.number)
    for text in (acme.name, "服务一部", ROOT_CAUSE, CORRECTIVE, f"{today:%Y-%m-%d}"):
        expect(action_row).to_contain_text(text)
    log.assert_clean("the analysis report")


# ---------------------------------------------------------------------------------------------
# 2. A return visit with a problem forwarded to another department
# ---------------------------------------------------------------------------------------------

PROBLEM = "希望每月开票额度快用完时能提前提醒，本月因额度不足耽误了一笔业务。"


def test_return_visit_problem_resolved_and_reported(page: Page, desk, log, login, firm):
    acme, contact = firm["acme"], firm["contact"]
    today = timezone.localdate()
    visit = ReturnVisitFactory(client=acme, due_on=today, staff=firm["service"])

    # --- Customer service records the visit ---------------------------------------------------
    login("cs")
    sidebar(page, "回访计划")
    arrive(page, "回访计划")
    row = page.locator("#visit-table tbody tr", has_text=acme.name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{today:%Y-%m-%d}")
    expect(row).to_contain_text("待回访")
    row.get_by_role("link", name=acme.name).click()
    arrive(page, f"客户回访：{acme.name}")
    page.get_by_label("电话回访").check()
    page.get_by_label("受访人").select_option(str(contact.pk))
    page.get_by_label("4 满意", exact=True).check()
    page.get_by_label("意见和建议").fill("整体满意，希望开票额度能提前提醒。")
    page.get_by_label("回访记录").fill("询问了本季度账务处理和报税情况，客户认可会计的工作。")
    page.get_by_label("问题 1", exact=True).fill(PROBLEM)
    page.locator("#id_problems-0-department").select_option(label="服务二部")
    page.get_by_role("button", name="保存回访记录").click()

    expect(page).to_have_url(re.compile(rf"/care/visits/{visit.pk}/$"))
    expect(messages(page)).to_contain_text("回访已记录，已按回访周期安排下一次回访。")
    expect(heading(page).locator("xpath=..")).to_contain_text("已回访")
    facts = page.locator("main dl")
    expect(facts).to_contain_text("4 / 5")
    expect(facts).to_contain_text("电话回访")
    expect(facts).to_contain_text(CONTACT)
    problem = VisitProblem.objects.get(visit=visit)
    assert (problem.department, problem.assignee) == (firm["d2"], firm["head2"])
    card = page.locator(f"#problem-{problem.pk}")
    expect(card).to_contain_text(PROBLEM)
    expect(card).to_contain_text("已转交")
    expect(card).to_contain_text(
        f"转交服务二部，处理人：主管戊，处理期限 {problem.due_on:%Y-%m-%d}"
    )
    # The result is the department's to record; nothing to report to the client yet.
    expect(card.locator("form")).to_have_count(0)
    visit_url = page.url
    log.assert_clean("the recorded visit")

    # --- The head of 服务二部 records the result ----------------------------------------------
    head2 = desk("head2")
    sidebar(head2, "回访问题")
    arrive(head2, "回访问题")
    problem_row = head2.locator("#problem-table tbody tr", has_text=acme.name)
    expect(problem_row).to_have_count(1)
    for text in ("客服甲", "服务二部", "主管戊", "已转交", f"{problem.due_on:%Y-%m-%d}"):
        expect(problem_row).to_contain_text(text)
    problem_row.get_by_role("link").click()
    arrive(head2, f"客户回访：{acme.name}")
    expect(head2).to_have_url(re.compile(rf"/care/visits/{visit.pk}/#problem-{problem.pk}$"))
    head_card = head2.locator(f"#problem-{problem.pk}")
    head_card.get_by_label("处理结果").fill("已在系统中设置开票额度预警，余额低于两成时短信提醒。")
    head_card.get_by_role("button", name="记录处理结果").click()
    expect(messages(head2)).to_contain_text("处理结果已记录，已通知回访人告知客户。")
    head_card = head2.locator(f"#problem-{problem.pk}")
    expect(head_card).to_contain_text("已处理待告知")
    expect(head_card).to_contain_text("已在系统中设置开票额度预警")
    expect(head_card).to_contain_text("主管戊")
    # Telling the client is the visit's staff's part.
    expect(head_card.locator("form")).to_have_count(0)
    log.assert_clean("the head's problem pages")

    # --- Customer service reports the result to the client -------------------------------------
    page.goto(visit_url)
    arrive(page, f"客户回访：{acme.name}")
    card = page.locator(f"#problem-{problem.pk}")
    expect(card).to_contain_text("已处理待告知")
    card.get_by_label("告知方式").fill("电话告知王经理，客户表示认可。")
    card.get_by_role("button", name="已告知客户，关闭问题").click()
    expect(messages(page)).to_contain_text("已记录告知客户，问题已关闭。")
    card = page.locator(f"#problem-{problem.pk}")
    expect(card).to_contain_text("已告知客户")
    expect(card).to_contain_text("告知客户：电话告知王经理，客户表示认可。")
    expect(card.locator("form")).to_have_count(0)

    sidebar(page, "回访问题")
    arrive(page, "回访问题")
    problem_row = page.locator("#problem-table tbody tr", has_text=acme.name)
    expect(problem_row).to_contain_text("已告知客户")
    log.assert_clean("the closed problem")

    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED
    assert problem.resolved_by == firm["head2"]
    assert problem.informed_by == firm["service"]
    visit.refresh_from_db()
    assert (visit.status, visit.satisfaction, visit.contact) == (
        ReturnVisitStatus.DONE,
        4,
        contact,
    )
    # The next visit was planned on the client's cycle.
    assert ReturnVisit.objects.filter(client=acme, status=ReturnVisitStatus.PLANNED).count() == 1


# ---------------------------------------------------------------------------------------------
# 3. An invitation answered on a phone
# ---------------------------------------------------------------------------------------------


def test_rsvp_on_a_phone_until_the_event_is_full(phones, log, firm):
    acme, beta = firm["acme"], firm["beta"]
    starts = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
    starts += dt.timedelta(days=7)
    event = event_services.event_create(
        data={
            "title": "年度汇算清缴培训会",
            "kind": EventKind.TRAINING,
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(hours=2),
            "place": "公司三楼会议室",
            "capacity": 2,
            "speaker": "税务丙",
        },
        by=firm["service"],
    )
    for c in (acme, beta):
        event_services.event_invite(event=event, client=c, by=firm["service"])
    invitations = {i.client_id: i for i in Invitation.objects.filter(event=event)}
    acme_link = event_services.rsvp_path(invitations[acme.pk])
    beta_link = event_services.rsvp_path(invitations[beta.pk])

    # --- 顶峰 accepts for two people -------------------------------------------------------------
    phone = phones()
    phone.goto(acme_link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("年度汇算清缴培训会")
    expect(phone.locator(".zf-topbar")).to_have_count(0)
    expect(phone.locator("main")).to_contain_text(f"致：{acme.name}")
    expect(phone.locator("main")).to_contain_text("公司三楼会议室")
    expect(phone.locator("main")).to_contain_text(f"{starts:%Y-%m-%d %H:%M}")
    expect(phone.locator("main")).to_contain_text("目前剩余 2 个名额。")
    assert_fits_phone(phone, "the RSVP page")
    phone.get_by_label("参加", exact=True).check()
    phone.get_by_label("参加人数").fill("2")
    phone.get_by_label("参加人姓名").fill("王经理，刘会计")
    phone.get_by_role("button", name="提交回复").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("报名成功")
    expect(phone.locator("main")).to_contain_text("已为您报名 2 人（王经理、刘会计）")
    expect(phone.locator("main")).to_contain_text("您的客服专员：客服甲")
    assert_fits_phone(phone, "the RSVP confirmation")
    # The link still works: it shows the answer, which may be changed until the event starts.
    phone.goto(acme_link)
    expect(phone.get_by_role("status")).to_contain_text("您已报名参加：2 人（王经理、刘会计）")
    log.assert_clean("the accepted invitation")

    # --- 北辰 finds the event full ----------------------------------------------------------------
    other = phones()
    other.goto(beta_link)
    expect(other.locator("main")).to_contain_text(f"致：{beta.name}")
    expect(other.locator("main")).to_contain_text("名额已满，仍可回复不参加。")
    assert_fits_phone(other, "the full event's RSVP page")
    other.get_by_label("参加", exact=True).check()
    other.get_by_label("参加人数").fill("1")
    other.get_by_label("参加人姓名").fill("李会计")
    with other.expect_response(lambda r: r.request.method == "POST") as refused:
        other.get_by_role("button", name="提交回复").click()
    assert refused.value.status == 400
    expect(other.locator("main")).to_contain_text("名额已满，感谢您的关注。")
    expected_status(other, log, 400, refused.value.url)
    assert_fits_phone(other, "the refused acceptance")
    log.assert_clean("the full event")

    accepted = Invitation.objects.get(pk=invitations[acme.pk].pk)
    assert (accepted.rsvp, accepted.attendees, accepted.attendee_names) == (
        RsvpStatus.ACCEPTED,
        2,
        "王经理、刘会计",
    )
    assert Invitation.objects.get(pk=invitations[beta.pk].pk).rsvp == RsvpStatus.PENDING


def test_rsvp_choices_are_readable_on_a_phone(phones, log, firm):
    starts = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
    starts += dt.timedelta(days=7)
    event = event_services.event_create(
        data={
            "title": "新个税政策解读会",
            "kind": EventKind.TRAINING,
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(hours=2),
            "place": "公司三楼会议室",
            "capacity": 20,
        },
        by=firm["service"],
    )
    event_services.event_invite(event=event, client=firm["acme"], by=firm["service"])
    phone = phones()
    phone.goto(event_services.rsvp_path(Invitation.objects.get(event=event)))
    expect(phone.get_by_role("heading", level=1)).to_have_text("新个税政策解读会")
    log.assert_clean("the RSVP page")
    attendees_label = phone.locator("label[for='id_attendees']").bounding_box()
    assert attendees_label is not None
    for choice in ("参加", "不参加"):
        radio = phone.get_by_label(choice, exact=True)
        option = phone.locator(f"label[for='{radio.get_attribute('id')}']")
        lines = option.evaluate(
            "label => label.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(label).lineHeight)"
        )
        assert lines < 1.5, f"“{choice}” takes {lines:.0f} lines on a {PHONE_WIDTH}px phone"
        box = option.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= attendees_label["y"], f"“{choice}” overlaps 参加人数"
    # The limit per client is explained, as the input's aria-describedby promises.
    # (The page is loaded: a count, not a wait.)
    help_text = phone.locator("#id_attendees_helptext")
    assert help_text.count() == 1, "the help text of 参加人数 is not on the page"
    assert "每家客户最多" in help_text.inner_text()
