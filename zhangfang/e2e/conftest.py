"""Browser tests: one headless Chromium for the whole session, a fresh page for every test.

The tests run against pytest-django's ``live_server`` (a real HTTP server in a thread, sharing the
test database). They are marked ``browser`` and run apart: ``pytest -m browser``.

Chromium is Debian's (``/usr/bin/chromium``, or ``$CHROMIUM``); Playwright's own browsers are
not downloaded. Without it the tests are skipped, except under ``CI=true`` where they fail.

Every page records what would go wrong silently in a browser: console errors (a CSP violation
is one), uncaught exceptions, CSP ``securitypolicyviolation`` events and requests to any host
other than the live server. ``log.assert_clean()`` fails on any of them, and every test is
checked once more at teardown so a problem noticed after the last assertion is not lost.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from zhangfang.staff.tests.factories import TEST_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: How long ``expect`` and every action wait before failing (milliseconds).
TIMEOUT_MS = 10_000

# Reports CSP violations to the test through a binding; an init script is not subject to the
# page's CSP, and a binding survives navigations.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__zfCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"Chromium not found at {CHROMIUM} (set CHROMIUM or apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an asyncio loop running in this thread, so Django would refuse
    # ORM calls from the test (factories, the database flush) as "async unsafe". They are plain
    # synchronous calls; allow them while the browser is up, and only then.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            expect.set_options(timeout=TIMEOUT_MS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def base_url(live_server) -> str:
    """The live server's root, e.g. ``http://localhost:41234`` (no trailing slash)."""
    return live_server.url.rstrip("/")


@dataclass
class BrowserLog:
    """What went wrong in the browser during a test."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list, repr=False)

    def on_console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            self.console_errors.append(f"{message.text} ({location.get('url', '?')})")

    def on_csp_violation(self, text: str) -> None:
        self.csp_violations.append(text)

    def on_request(self, request) -> None:
        self.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign_requests.append(request.url)

    def problems(self) -> list[str]:
        return [
            *(f"console error: {text}" for text in self.console_errors),
            *(f"uncaught exception: {text}" for text in self.page_errors),
            *(f"CSP violation: {text}" for text in self.csp_violations),
            *(f"request to another host: {url}" for url in self.foreign_requests),
        ]

    def assert_clean(self, where: str = "") -> None:
        problems = self.problems()
        suffix = f" on {where}" if where else ""
        assert not problems, f"browser problems{suffix}:\n" + "\n".join(problems)

    def clear(self) -> None:
        for name in ("console_errors", "page_errors", "csp_violations", "foreign_requests"):
            getattr(self, name).clear()


@pytest.fixture
def log(base_url) -> BrowserLog:
    return BrowserLog(origin=base_url)


@pytest.fixture
def context(browser: Browser, base_url: str, log: BrowserLog) -> Iterator[BrowserContext]:
    # zh-CN as a browser in China sends; Django maps it to zh-hans.
    ctx = browser.new_context(
        base_url=base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.expose_function("__zfCspViolation", log.on_csp_violation)
    ctx.add_init_script(_CSP_LISTENER)
    ctx.on("request", log.on_request)
    # Offline: nothing leaves for another host (it is still logged as a problem above).
    ctx.route(lambda url: not url.startswith(f"{base_url}/"), lambda route: route.abort())
    yield ctx
    # Closed before the test's database flush, so no request is still being served during it.
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, log: BrowserLog) -> Iterator[Page]:
    pg = context.new_page()
    pg.on("console", log.on_console)
    pg.on("pageerror", lambda error: log.page_errors.append(str(error)))
    yield pg
    problems = log.problems()
    if problems:
        pytest.fail("browser problems during the test:\n" + "\n".join(problems))


@pytest.fixture
def login(page: Page):
    """``login(username, password=TEST_PASSWORD)``: sign in through the real login form."""

    def _login(username: str, password: str = TEST_PASSWORD) -> Page:
        page.goto("/staff/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.get_by_role("button", name="登录").click()
        # Logged in: the top bar with the user menu appears; the login form is gone.
        expect(page.locator(".zf-topbar")).to_be_visible()
        expect(page.locator("#id_password")).to_have_count(0)
        return page

    return _login
