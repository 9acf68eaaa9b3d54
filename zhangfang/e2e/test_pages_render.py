"""Every page of the left navigation renders in a real browser, cleanly and offline.

The pages are read from the navigation itself, so a page added to it is covered without touching
this test. "Cleanly": the page answers 200, has an <h1>, logs no console error (CSP violations
are console errors), raises no exception and loads nothing from any host but the live server.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def firm():
    department = DepartmentFactory(name="代账一部")
    accountant = UserFactory(
        username="acct1", name="会计甲", department=department, roles=["accountant"]
    )
    client = ClientFactory(
        name="华为技术有限公司", short_name="华为", department=department, accountant=accountant
    )
    ContactFactory(
        client=client,
        name="张伟",
        role="legal",
        title="总经理",
        email="zhang.wei@example.com",
        id_number="11010519491231002X",
    )
    ClientFactory(name="广州市恒泰贸易有限公司", short_name="恒泰", department=department)
    user = UserFactory(username="admin", name="管理员", department=None, roles=["admin"])
    return SimpleNamespace(user=user, huawei=client)


def nav_links(page: Page) -> list[tuple[str, str]]:
    # Attached, not necessarily visible: on a phone the navigation is folded into the menu.
    links = page.locator("#zf-sidebar a.nav-link")
    expect(links.first).to_be_attached()
    return [(link.text_content().strip(), link.get_attribute("href")) for link in links.all()]


def client_paths(client_pk: int) -> list[str]:
    return [
        "/clients/?q=hwjs",
        "/clients/new/",
        f"/clients/{client_pk}/",
        f"/clients/{client_pk}/?tab=contacts",
        f"/clients/{client_pk}/?tab=history",
        f"/clients/{client_pk}/edit/",
        "/staff/password/",
    ]


PHONE = {"width": 390, "height": 844}


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (it should scroll only down)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def check_page(page: Page, log, path: str) -> list[str]:
    """Open ``path`` and return what is wrong with it (empty if nothing)."""
    log.clear()
    problems = []
    response = page.goto(path)
    if response is None or response.status != 200:
        problems.append(f"status {response.status if response else 'none'}")
    else:
        try:
            expect(page.locator("main h1")).to_have_count(1)
            expect(page.locator("main h1")).to_be_visible()
        except AssertionError:
            problems.append("no visible <h1> in <main>")
        # The scripts every page relies on ran (a CSP block or a 404 would stop them).
        if page.evaluate("typeof window.htmx") != "object":
            problems.append("htmx is not loaded")
        if page.evaluate("typeof window.bootstrap") != "object":
            problems.append("Bootstrap's JavaScript is not loaded")
    problems += log.problems()
    log.clear()
    return problems


def test_every_navigation_page_renders(page: Page, log, login, firm):
    login("admin")
    pages = nav_links(page)
    # The administrator sees the whole navigation: the work pages and the system pages.
    labels = [label for label, _ in pages]
    assert {"首页", "客户列表", "员工", "部门", "审计日志"} <= set(labels), labels

    failures = {}
    for label, href in pages:
        problems = check_page(page, log, href)
        if problems:
            failures[f"{label} ({href})"] = problems
    assert not failures, "pages that do not render cleanly:\n" + "\n".join(
        f"  {page_name}: {'; '.join(problems)}" for page_name, problems in failures.items()
    )


def test_navigation_marks_only_the_current_page(page: Page, login, firm):
    login("admin")
    for label, href in nav_links(page):
        page.goto(href)
        current = page.locator("#zf-sidebar a[aria-current='page']")
        expect(current).to_have_text([label], timeout=2_000)


def test_client_pages_render(page: Page, log, login, firm):
    login("admin")
    paths = client_paths(firm.huawei.pk)
    failures = {path: problems for path in paths if (problems := check_page(page, log, path))}
    assert not failures, "pages that do not render cleanly:\n" + "\n".join(
        f"  {path}: {'; '.join(problems)}" for path, problems in failures.items()
    )


def test_wrong_password_is_told_clearly(page: Page, log, firm):
    page.goto("/staff/login/")
    expect(page.locator("#id_username")).to_be_focused()
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill("not-the-password")
    page.get_by_role("button", name="登录").click()

    alert = page.get_by_role("alert")
    expect(alert).to_have_text(re.compile(r"用户名或密码错误"))
    expect(alert).to_be_visible()
    expect(page).to_have_url(re.compile(r"/staff/login/"))
    # The username is kept, the password is not sent back.
    expect(page.locator("#id_username")).to_have_value("admin")
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.locator(".zf-topbar")).to_have_count(0)
    log.assert_clean("the login page")


def test_pages_fit_a_phone_screen(page: Page, log, login, firm):
    page.set_viewport_size(PHONE)
    login("admin")
    # The navigation folds into the menu button; Bootstrap's offcanvas opens it.
    expect(page.locator("#zf-sidebar").get_by_role("link", name="客户列表")).not_to_be_visible()
    page.get_by_role("button", name="菜单").click()
    expect(page.locator("#zf-sidebar").get_by_role("link", name="客户列表")).to_be_visible()
    page.locator("#zf-sidebar").get_by_role("link", name="客户列表").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("客户列表")

    paths = [href for _, href in nav_links(page)]
    paths += [path for path in client_paths(firm.huawei.pk) if "tab=contacts" not in path]
    too_wide = {}
    for path in paths:
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        if (overflow := horizontal_overflow(page)) > 0:
            too_wide[path] = overflow
    assert not too_wide, f"pages wider than a {PHONE['width']}px screen (px): {too_wide}"
    log.assert_clean("the pages at phone width")


def test_contacts_tab_fits_a_phone_screen(page: Page, login, firm):
    page.set_viewport_size(PHONE)
    login("admin")
    page.goto(f"/clients/{firm.huawei.pk}/?tab=contacts")
    expect(page.locator("#tab-content")).to_contain_text("张伟")
    assert horizontal_overflow(page) == 0
