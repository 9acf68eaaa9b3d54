#!/usr/bin/env python3
"""Full-page screenshots of Zhangfang's main pages, at a desktop and a phone width.

For reviewing the layout (a pull request, the manual, a demo) without clicking through by hand.
It drives headless Chromium (Debian's ``/usr/bin/chromium``; Playwright's own browsers are not
needed) against a server that is already running, logs in through the login form and saves PNGs:

    screenshots/desktop/01-login.png      1366 px wide
    screenshots/phone/01-login.png        390 px wide (the navigation folds into the menu)

Pages: the login page, the home page, the client list, the list filtered by ``?q=hwjs``, a client
(华为技术有限公司 if the search finds it, otherwise the first client) with each of its tabs, that
client's edit form showing a validation error (the form is posted with an empty name and an
invalid 统一社会信用代码, so nothing is saved), and every page in the left navigation the user
can open (read from the page, so new pages are included). Console errors and CSP violations seen
on the way are listed at the end; the exit status is 1 if there were any, 2 if login failed.

Usage, with the demo firm (``manage.py seed_demo``) on a development server::

    .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 8000 &
    .venv/bin/python scripts/screenshots.py
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8000 \\
        --username admin --password 'Zhangfang#2026' --out screenshots --widths 1366,390

Log in as another member of staff (``--username acct1``) to see what their role sees.
``screenshots/`` is git-ignored.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH_NAMES = {1366: "desktop", 390: "phone"}
HEIGHTS = {1366: 900, 390: 844}
TIMEOUT_MS = 15_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="Zhangfang#2026")
    parser.add_argument("--out", default="screenshots", type=Path, help="output folder")
    parser.add_argument(
        "--widths", default="1366,390", help="comma-separated viewport widths in pixels"
    )
    parser.add_argument(
        "--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"), help="browser"
    )
    parser.add_argument("--locale", default="zh-CN", help="the browser's language")
    return parser.parse_args(argv)


def slug(path: str) -> str:
    """``/staff/departments/?x=1`` -> ``staff-departments``; ``/`` -> ``home``."""
    text = re.sub(r"[^a-z0-9]+", "-", urlsplit(path).path.lower()).strip("-")
    return text or "home"


class Shooter:
    """Saves numbered screenshots of one viewport width and remembers what went wrong."""

    def __init__(self, page: Page, folder: Path, problems: list[str]) -> None:
        self.page = page
        self.folder = folder
        self.problems = problems
        self.count = 0
        self.shot_paths: set[str] = set()
        folder.mkdir(parents=True, exist_ok=True)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"{self.page.url}: {message.text}")

    def goto(self, url: str) -> None:
        response = self.page.goto(url)
        if response is not None and response.status >= 400:
            self.problems.append(f"{url}: HTTP {response.status}")

    def shot(self, name: str) -> Path:
        self.page.wait_for_load_state("networkidle")
        parts = urlsplit(self.page.url)
        self.shot_paths.add(parts.path + (f"?{parts.query}" if parts.query else ""))
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            self.problems.append(f"{self.page.url}: {overflow}px wider than the screen")
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        print(f"  {path}")
        return path


def login(page: Page, base: str, username: str, password: str) -> bool:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    return page.locator("#id_password").count() == 0 and not page.url.startswith(
        urljoin(base, "/staff/login/")
    )


def find_client(page: Page) -> str | None:
    """The first client link in the table shown (the filtered list puts 华为 first)."""
    link = page.locator("#client-table tbody tr a").first
    if link.count() == 0:
        return None
    return link.get_attribute("href")


def shoot_width(browser: Browser, args: argparse.Namespace, width: int, problems: list[str]):
    base = args.url.rstrip("/") + "/"
    context = browser.new_context(
        base_url=base,
        locale=args.locale,
        timezone_id="Asia/Shanghai",
        viewport={"width": width, "height": HEIGHTS.get(width, 900)},
        device_scale_factor=1,
        is_mobile=width < 600,
        has_touch=width < 600,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    shooter = Shooter(page, args.out / WIDTH_NAMES.get(width, f"w{width}"), problems)
    print(f"{width} px -> {shooter.folder}")
    try:
        shooter.goto("/staff/login/")
        shooter.shot("login")
        if not login(page, base, args.username, args.password):
            print(f"login as {args.username!r} failed at {base}", file=sys.stderr)
            return False
        shooter.goto("/")
        shooter.shot("home")

        shooter.goto("/clients/")
        shooter.shot("client-list")
        shooter.goto("/clients/?q=hwjs")
        shooter.shot("client-list-hwjs")
        detail = find_client(page)
        if detail is None:
            shooter.goto("/clients/")
            detail = find_client(page)
        if detail is None:
            problems.append("no client in the list: skipped the client pages")
        else:
            shooter.goto(detail)
            tabs = [
                href
                for href in page.locator("[role=tab]").evaluate_all(
                    "links => links.map(link => link.getAttribute('href'))"
                )
                if href
            ]
            for href in tabs:
                shooter.goto(urljoin(page.url, href))
                shooter.shot("client-tab-" + href.rsplit("=", 1)[-1])
            shoot_invalid_edit(shooter, urljoin(urljoin(base, detail), "edit/"))

        shooter.goto("/")
        nav = page.locator("#zf-sidebar a.nav-link").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        )
        for href in dict.fromkeys(nav):
            if href in shooter.shot_paths:
                continue  # the home page and the client list are already taken
            shooter.goto(href)
            shooter.shot("nav-" + slug(href))
        return True
    finally:
        context.close()


def shoot_invalid_edit(shooter: Shooter, edit_url: str) -> None:
    """The edit form after posting an empty name and an invalid code: an error, no save."""
    page = shooter.page
    shooter.goto(edit_url)
    name, uscc = page.locator("#id_name"), page.locator("#id_uscc")
    if name.count() == 0 or uscc.count() == 0:
        shooter.problems.append(f"{edit_url}: no #id_name/#id_uscc; skipped the invalid form")
        return
    name.fill("")
    uscc.fill("123")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("load")
    if page.locator(".is-invalid, .invalid-feedback").count() == 0:
        shooter.problems.append(f"{edit_url}: the invalid form shows no error")
    shooter.shot("client-edit-invalid")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not os.access(args.chromium, os.X_OK):
        print(f"Chromium not found at {args.chromium} (apt-get install chromium)", file=sys.stderr)
        return 2
    widths = [int(width) for width in args.widths.split(",") if width.strip()]
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=CHROMIUM_ARGS, headless=True
        )
        try:
            for width in widths:
                if not shoot_width(browser, args, width, problems):
                    return 2
        finally:
            browser.close()
    if problems:
        print(f"\n{len(problems)} problem(s) seen in the browser:", file=sys.stderr)
        for problem in dict.fromkeys(problems):
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
