"""An accountant's day with the client list, in a real browser (the issue's acceptance test).

Search by pinyin initials updates the table in place and the URL; the client is opened, edited and
its history shows the change; filters keep their state in the URL through refresh, back and
forward; nothing on these pages trips the CSP or logs an error; logging out works.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    # The live server reads what the test writes, so no wrapping transaction; the serialized
    # rollback puts back what migrations created (the role groups) after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HUAWEI = "华为技术有限公司"
NEW_PHONE = "0755-28780808"


@pytest.fixture
def firm():
    department = DepartmentFactory(name="代账一部")
    accountant = UserFactory(
        username="acct1", name="会计甲", department=department, roles=["accountant"]
    )
    huawei = ClientFactory(
        name=HUAWEI,
        short_name="华为",
        phone="0755-28560000",
        department=department,
        accountant=accountant,
    )
    others = [
        ClientFactory(name=name, short_name=short, department=department, accountant=accountant)
        for name, short in [
            ("腾讯科技(深圳)有限公司", "腾讯"),
            ("广州市恒泰贸易有限公司", "恒泰"),
            ("深圳市大疆创新科技有限公司", "大疆"),
        ]
    ]
    prospect = ClientFactory(
        name="东莞市明辉五金制品有限公司",
        short_name="明辉",
        status=ClientStatus.PROSPECT,
        department=department,
        accountant=accountant,
    )
    return SimpleNamespace(
        accountant=accountant, huawei=huawei, others=others, prospect=prospect, total=5
    )


def table_rows(page: Page):
    return page.locator("#client-table tbody tr")


def set_marker(page: Page) -> None:
    """A flag on ``window`` that only a full page load would clear."""
    page.evaluate("window.__marker = 1")


def assert_no_full_page_load(page: Page) -> None:
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapped"


def search(page: Page, text: str) -> None:
    page.locator("#id_q").fill(text)


def test_search_open_edit_and_see_history(page: Page, log, login, firm):
    login("acct1")
    page.locator("#zf-sidebar").get_by_role("link", name="客户列表").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("客户列表")
    expect(table_rows(page)).to_have_count(firm.total)
    set_marker(page)
    # Tag the table now shown: the one htmx puts in its place will not carry the tag.
    page.locator("#client-table table").evaluate("table => { table.dataset.old = '1'; }")

    search(page, "hwjs")

    expect(page).to_have_url(re.compile(r"[?&]q=hwjs(&|$)"))
    expect(page.locator("#client-table table[data-old]")).to_have_count(0)
    expect(table_rows(page)).to_have_count(1)
    expect(table_rows(page).first).to_contain_text(HUAWEI)
    expect(page.locator("#client-table")).to_contain_text("共 1 个客户")
    assert_no_full_page_load(page)

    page.get_by_role("link", name=HUAWEI).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(HUAWEI)
    page.get_by_role("link", name="编辑", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("编辑客户")
    expect(page.locator("#id_phone")).to_have_value("0755-28560000")
    page.locator("#id_phone").fill(NEW_PHONE)
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(re.compile(rf"/clients/{firm.huawei.pk}/$"))
    expect(page.locator("#zf-messages")).to_contain_text("客户信息已保存。")
    expect(page.locator("#tab-content")).to_contain_text(NEW_PHONE)

    set_marker(page)
    page.get_by_role("tab", name="变更记录").click()
    expect(page).to_have_url(re.compile(r"\?tab=history$"))
    history = page.locator("#tab-content")
    expect(history.get_by_role("heading", name="变更记录")).to_be_visible()
    change = history.locator("tr", has_text="公司电话")
    expect(change).to_contain_text("0755-28560000")
    expect(change.locator(".zf-diff-after")).to_have_text(NEW_PHONE)
    event = history.locator("li").filter(has=page.locator("tr", has_text="公司电话"))
    expect(event).to_contain_text("会计甲")
    assert_no_full_page_load(page)

    # The tab is in the URL: a reload opens the same tab.
    page.reload()
    expect(page.locator("#tab-content").locator("tr", has_text="公司电话")).to_contain_text(
        NEW_PHONE
    )
    log.assert_clean("the search, detail, edit and history pages")


def test_list_state_lives_in_the_url(page: Page, log, login, firm):
    login("acct1")
    page.goto("/clients/")
    expect(table_rows(page)).to_have_count(firm.total)
    set_marker(page)

    # A filter select swaps the table in place and records itself in the URL.
    page.locator("#id_status").select_option(ClientStatus.PROSPECT.value)
    expect(page).to_have_url(re.compile(r"[?&]status=prospect(&|$)"))
    expect(table_rows(page)).to_have_count(1)
    expect(table_rows(page).first).to_contain_text("东莞市明辉五金制品有限公司")
    assert_no_full_page_load(page)

    page.locator("#id_status").select_option("")
    expect(table_rows(page)).to_have_count(firm.total)
    search(page, "hwjs")
    expect(page).to_have_url(re.compile(r"[?&]q=hwjs(&|$)"))
    expect(table_rows(page)).to_have_count(1)
    assert_no_full_page_load(page)
    filtered_url = page.url

    # Back: the unfiltered list of before the search (status cleared), then the prospect filter.
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"q=hwjs"))
    expect(table_rows(page)).to_have_count(firm.total)
    expect(page.locator("#id_q")).to_have_value("")
    page.go_back()
    expect(page).to_have_url(re.compile(r"[?&]status=prospect(&|$)"))
    expect(table_rows(page)).to_have_count(1)
    expect(page.locator("#id_status")).to_have_value(ClientStatus.PROSPECT.value)
    # htmx restored both entries itself: still the same document.
    assert_no_full_page_load(page)

    # Forward twice: the search again, with its box filled in.
    page.go_forward()
    expect(table_rows(page)).to_have_count(firm.total)
    page.go_forward()
    expect(page).to_have_url(filtered_url)
    expect(table_rows(page)).to_have_count(1)
    expect(table_rows(page).first).to_contain_text(HUAWEI)
    expect(page.locator("#id_q")).to_have_value("hwjs")

    # A refresh of the filtered URL (or opening it fresh) shows the same list.
    page.reload()
    expect(page.locator("#id_q")).to_have_value("hwjs")
    expect(table_rows(page)).to_have_count(1)
    expect(table_rows(page).first).to_contain_text(HUAWEI)
    page.goto("/clients/?q=hwjs")
    expect(table_rows(page)).to_have_count(1)
    expect(table_rows(page).first).to_contain_text(HUAWEI)
    log.assert_clean("the client list")


def test_logout(page: Page, log, login, firm):
    login("acct1")
    page.get_by_role("button", name="会计甲").click()
    page.get_by_role("button", name="退出登录").click()

    expect(page).to_have_url(re.compile(r"/staff/login/"))
    expect(page.locator("#zf-messages")).to_contain_text("您已安全退出。")
    expect(page.locator("#id_username")).to_be_visible()

    # The session is gone: the client list sends back to the login form.
    page.goto("/clients/")
    expect(page).to_have_url(re.compile(r"/staff/login/\?next=/clients/"))
    expect(page.locator("#id_password")).to_be_visible()
    log.assert_clean("logout")


def test_tab_bar_follows_the_loaded_tab(page: Page, login, firm):
    login("acct1")
    page.goto(f"/clients/{firm.huawei.pk}/")
    page.get_by_role("tab", name="变更记录").click()
    expect(page).to_have_url(re.compile(r"\?tab=history$"))
    expect(page.locator("#tab-content").get_by_role("heading", name="变更记录")).to_be_visible()
    expect(page.get_by_role("tab", name="变更记录")).to_have_attribute(
        "aria-selected", "true", timeout=2_000
    )
    expect(page.get_by_role("tab", name="概况")).to_have_attribute("aria-selected", "false")
