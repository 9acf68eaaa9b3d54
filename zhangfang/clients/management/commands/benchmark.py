"""Measure the client pages against DESIGN.md's performance budgets, on throw-away databases.

    manage.py benchmark [--clients 10000] [--databases sqlite,postgres] [--requests 30]

For each database the command re-invokes itself in a subprocess with ``DATABASE_URL`` pointing
at a throw-away database (a SQLite file in a temporary directory, or a PostgreSQL database it
creates and drops), so the installation's own data is never touched. The subprocess migrates,
loads the demo firm at scale (``clients.demo.build_demo_firm``) and measures each page in-process
with Django's test client: server time, query count, and the time of the same SQL run bare on a
database cursor (the framework floor). Then the parent serves that database with gunicorn
(``-w 2 --threads 2``) and measures the list under 4 concurrent logged-in users.

It is a tool for people, not a test: figures depend on the machine, and nothing fails on a miss.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

QUERY_BUDGET = 12
P95_BUDGET_MS = 100.0
RPS_TARGET = 45.0
GENERATION_BUDGET_S = 20.0
BENCH_DATABASE = "zhangfang_bench"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/"
LIST_PAGES = ("list", "search", "filter", "last")


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile by the nearest-rank method (p95 of 30 is the 29th value)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


# -- the throw-away databases ----------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'bench.sqlite3'}"


@contextlib.contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Create ``zhangfang_bench`` on the server, yield its URL, drop it afterwards."""
    import psycopg

    parts = urlsplit(server_url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"PostgreSQL at {server_url} is not reachable: {exc}") from exc
    try:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DATABASE} ENCODING 'UTF8' TEMPLATE template0")
        yield bench_url
    finally:
        with contextlib.suppress(psycopg.Error):
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        admin.close()


class DatabaseUnavailable(Exception):
    pass


# -- a logged-in browser over one keep-alive connection, for the concurrent run ---------------


class Browser:
    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Accept-Language": "zh-hans"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # The server closed an idle keep-alive connection; a browser reconnects and retries.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        return response.status, content

    def login(self, login_path: str, username: str, password: str) -> None:
        status, page = self.request("GET", login_path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise CommandError(f"login page answered {status} without a CSRF token")
        form = {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "username": username,
            "password": password,
        }
        status, _ = self.request("POST", login_path, urlencode(form))
        if status != 302 or "sessionid" not in self.cookies:
            raise CommandError(f"login as {username} failed (HTTP {status})")

    def close(self) -> None:
        self.connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark the client pages on throw-away SQLite/PostgreSQL databases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=10_000)
        parser.add_argument("--prospects", type=int, default=30_000)
        parser.add_argument(
            "--ledger-months",
            type=int,
            default=34,
            help="months of fee history (34 gives about 400,000 ledger entries for 10,000 clients)",
        )
        parser.add_argument(
            "--work-months",
            type=int,
            default=3,
            help="months of bookkeeping and filing work before the current one (3 gives about "
            "500,000 work items for 10,000 clients)",
        )
        parser.add_argument("--databases", default="sqlite,postgres")
        parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
        parser.add_argument("--warmup", type=int, default=5)
        parser.add_argument("--users", type=int, default=4, help="concurrent users")
        parser.add_argument("--seconds", type=float, default=10.0, help="length of a load run")
        parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
        # Internal: the subprocess that seeds and measures one throw-away database.
        parser.add_argument("--worker", action="store_true", help="(internal)")
        parser.add_argument("--result-file", help="(internal)")

    def handle(self, *args, **options) -> None:
        if options["worker"]:
            self.worker(options)
            return
        databases = [name.strip() for name in options["databases"].split(",") if name.strip()]
        unknown = set(databases) - {"sqlite", "postgres"}
        if unknown:
            raise CommandError(f"unknown database(s): {', '.join(sorted(unknown))}")
        results = []
        for database in databases:
            result = self.run_database(database, options)
            if result:
                results.append(result)
                self.print_result(result, options)
        if results:
            self.print_summary(results)

    # -- parent: one database -----------------------------------------------------------------

    def run_database(self, database: str, options: dict) -> dict | None:
        workdir = Path(tempfile.mkdtemp(prefix=f"zhangfang-bench-{database}-"))
        try:
            if database == "sqlite":
                opener = sqlite_database(workdir)
            else:
                opener = postgres_database(options["postgres_url"])
            try:
                with opener as url:
                    return self.measure_database(database, url, workdir, options)
            except DatabaseUnavailable as exc:
                self.stdout.write(self.style.WARNING(f"== {database}: skipped. {exc}"))
                return None
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def measure_database(self, database: str, url: str, workdir: Path, options: dict) -> dict:
        from cryptography.fernet import Fernet

        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"ZHANGFANG_TESTING", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            DATABASE_URL=url,
            ZHANGFANG_DATA_DIR=str(workdir),
            SECRET_KEY=secrets.token_urlsafe(50),
            FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
            DEBUG="false",
            ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
            LOG_LEVEL="ERROR",
            DJANGO_SETTINGS_MODULE="zhangfang.settings",
        )
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        self.stdout.write(self.style.MIGRATE_HEADING(f"== {database}: {redact(url)}"))
        self.subprocess([*manage, "migrate", "--noinput", "-v", "0"], env, "migrate")
        self.subprocess([*manage, "collectstatic", "--noinput", "-v", "0"], env, "collectstatic")
        result_file = workdir / "result.json"
        worker = [
            "benchmark",
            "--worker",
            f"--result-file={result_file}",
            f"--clients={options['clients']}",
            f"--prospects={options['prospects']}",
            f"--ledger-months={options['ledger_months']}",
            f"--work-months={options['work_months']}",
            f"--requests={options['requests']}",
            f"--warmup={options['warmup']}",
        ]
        self.subprocess([*manage, *worker], env, "seed and measure")
        result = json.loads(result_file.read_text(encoding="utf-8"))
        result["database"] = database
        result["load"] = self.load_test(env, workdir, result, options)
        return result

    def subprocess(self, command: list[str], env: dict, what: str) -> None:
        completed = subprocess.run(command, env=env, cwd=settings.BASE_DIR, check=False)
        if completed.returncode:
            raise CommandError(f"{what} failed (exit {completed.returncode})")

    # -- parent: gunicorn under concurrent users ------------------------------------------------

    def load_test(self, env: dict, workdir: Path, result: dict, options: dict) -> list[dict]:
        port = free_port()
        log_path = workdir / "gunicorn.log"
        command = [
            sys.executable, "-m", "gunicorn", "zhangfang.wsgi",
            "--workers", "2", "--threads", "2",
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        ]  # fmt: skip
        with log_path.open("w") as log:
            server = subprocess.Popen(
                command, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=log
            )
        try:
            login_path = result["login_path"]
            self.wait_until_serving(port, login_path, server, log_path)
            users = options["users"]
            admin = result["users"]["admin"]
            accountant = result["users"]["accountant"]
            runs = [
                # One user alone: the served baseline the concurrent runs are compared with.
                ("/clients/, 1 admin alone", [(admin["username"], [admin["urls"]["list"]])]),
                (
                    f"/clients/, {users}× admin",
                    [(admin["username"], [admin["urls"]["list"]]) for _ in range(users)],
                ),
                (
                    f"4 list URLs, {users} users (admin+acct)",
                    [
                        (who["username"], [who["urls"][key] for key in LIST_PAGES])
                        for who in [(admin, accountant)[i % 2] for i in range(users)]
                    ],
                ),
            ]
            outcomes = []
            for label, sessions in runs:
                self.stdout.write(f"   load: {label} for {options['seconds']:.0f} s …")
                loadavg = os.getloadavg()[0]
                outcome = self.hammer(port, login_path, result["password"], sessions, options)
                outcome.update(label=label, loadavg=loadavg)
                outcomes.append(outcome)
            return outcomes
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    def wait_until_serving(
        self, port: int, path: str, server: subprocess.Popen, log_path: Path
    ) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError("gunicorn exited:\n" + log_path.read_text(errors="replace"))
            try:
                probe = Browser(port)
                status, _ = probe.request("GET", path)
                probe.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise CommandError("gunicorn did not answer within 60 s")

    def hammer(
        self,
        port: int,
        login_path: str,
        password: str,
        sessions: list[tuple[str, list[str]]],
        options: dict,
    ) -> dict:
        browsers = []
        for username, _ in sessions:
            browser = Browser(port)
            browser.login(login_path, username, password)
            browsers.append(browser)
        barrier = threading.Barrier(len(sessions) + 1)
        seconds = options["seconds"]
        latencies: list[list[float]] = [[] for _ in sessions]
        failures = [0 for _ in sessions]

        def run(index: int) -> None:
            browser, urls = browsers[index], sessions[index][1]
            for url in urls * 2:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    browser.request("GET", url)
            barrier.wait()  # reached whatever happened above, or the others would wait forever
            deadline = time.perf_counter() + seconds
            count = 0
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    status, _ = browser.request("GET", urls[count % len(urls)])
                except (OSError, http.client.HTTPException):
                    status = 0
                    browser.connection.close()
                latencies[index].append((time.perf_counter() - started) * 1000)
                if status != 200:
                    failures[index] += 1
                count += 1

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sessions))]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        for browser in browsers:
            browser.close()
        every = [value for values in latencies for value in values]
        return {
            "requests": len(every),
            "errors": sum(failures),
            "p50": percentile(every, 0.50),
            "p95": percentile(every, 0.95),
            "rps": len(every) / elapsed if elapsed else 0.0,
        }

    # -- worker: seed and measure in-process ----------------------------------------------------

    def worker(self, options: dict) -> None:
        from django.db import connection
        from django.test import Client as HttpClient
        from django.test import override_settings
        from django.utils import timezone

        from zhangfang.billing.demo import build_demo_billing
        from zhangfang.billing.models import LedgerEntry
        from zhangfang.care.demo import build_demo_care
        from zhangfang.care.models import Bulletin, GreetingSend, ReturnVisit
        from zhangfang.care.services.greetings import send_greetings
        from zhangfang.care.services.visits import plan_return_visits
        from zhangfang.clients import selectors
        from zhangfang.clients.demo import DEMO_PASSWORD, HUAWEI_NAME, build_demo_firm
        from zhangfang.clients.models import Client, Contact
        from zhangfang.complaints.demo import build_demo_complaints
        from zhangfang.complaints.models import Complaint
        from zhangfang.complaints.services.complaints import escalate_overdue_complaints
        from zhangfang.contracts.demo import build_demo_price_list
        from zhangfang.delivery.demo import build_demo_work
        from zhangfang.delivery.models import WorkItem
        from zhangfang.delivery.services.generation import next_month, period_of, work_generate
        from zhangfang.leads.demo import build_demo_leads
        from zhangfang.leads.models import Prospect
        from zhangfang.staff.models import User

        try:
            from zhangfang.clients.list_page import PAGE_SIZE
        except ImportError:  # the page may change; 25 is what it was written with
            PAGE_SIZE = 25

        started = time.perf_counter()
        build_demo_firm(clients=options["clients"], stdout=self.stdout)
        build_demo_leads(prospects=options["prospects"], stdout=self.stdout)
        build_demo_price_list()
        # Contract bodies are not rendered: 10,000 copies of the template text only cost time.
        build_demo_billing(
            history_months=options["ledger_months"], render_bodies=False, stdout=self.stdout
        )
        build_demo_work(history_months=options["work_months"], stdout=self.stdout)
        build_demo_care(stdout=self.stdout)
        build_demo_complaints(stdout=self.stdout)
        seed_seconds = time.perf_counter() - started
        # The daily jobs of relationship maintenance over the whole firm: planning return visits
        # (the demo planned them, so first every planned visit is cancelled to plan afresh),
        # today's greetings (mail to the in-memory backend: the SMTP server is not ours to time),
        # then each again, which must do nothing.
        jobs = {}
        ReturnVisit.objects.filter(status="planned").delete()
        for label, job in (
            ("plan_return_visits", lambda: plan_return_visits()["created"]),
            ("plan_return_visits again", lambda: plan_return_visits()["created"]),
            ("send_greetings", lambda: send_greetings()["sent"]),
            ("send_greetings again", lambda: send_greetings()["sent"]),
            ("escalate_overdue_complaints", escalate_overdue_complaints),
        ):
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                started = time.perf_counter()
                done = job()
                jobs[label] = {"seconds": time.perf_counter() - started, "result": done}
        # The month's recurring work (budget: 20 s for 10,000 clients): the period after the
        # demo's last, which nothing has generated yet; then again, which must create nothing.
        period = next_month(period_of(timezone.localdate()))
        started = time.perf_counter()
        generated = work_generate(period=period)
        generate_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = work_generate(period=period)
        generate_again_seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            # Autovacuum analyses a freshly loaded table within a minute; do it now.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        huawei = Client.objects.get(name=HUAWEI_NAME)
        list_path = reverse("clients:list")
        detail_path = reverse("clients:detail", args=[huawei.pk])
        people = {
            "admin": User.objects.get(username="admin"),
            "accountant": User.objects.get(username="acct1"),
            "sales": User.objects.get(username="sales1"),
            "finance": User.objects.get(username="finance"),
            "head": User.objects.get(username="head1"),
            "service": User.objects.get(username="service1"),
        }
        result: dict = {
            "vendor": connection.vendor,
            "clients": Client.objects.count(),
            "contacts": Contact.objects.count(),
            "prospects": Prospect.objects.count(),
            "ledger_entries": LedgerEntry.objects.count(),
            "work_items": WorkItem.objects.count(),
            "generation": {
                "period": period.strftime("%Y-%m"),
                "clients": generated.clients,
                "created": generated.created,
                "seconds": generate_seconds,
                "again_created": again.created,
                "again_seconds": generate_again_seconds,
            },
            "staff": User.objects.count(),
            "return_visits": ReturnVisit.objects.count(),
            "greetings": GreetingSend.objects.count(),
            "complaints": Complaint.objects.count(),
            "jobs": jobs,
            "seed_seconds": seed_seconds,
            "login_path": reverse(settings.LOGIN_URL),
            "password": DEMO_PASSWORD,
            "users": {},
            "pages": [],
        }
        for role, user in people.items():
            visible = selectors.client_list(user=user, filters=selectors.ClientFilters()).count()
            last_page = max(1, math.ceil(visible / PAGE_SIZE))
            urls = {
                "list": list_path,
                "search": f"{list_path}?q=hwjs",
                "filter": (
                    f"{list_path}?status=active&taxpayer_type=general"
                    f"&department={huawei.department_id}"
                ),
                "last": f"{list_path}?page={last_page}",
                "detail": detail_path,
            }
            if role == "finance":
                # Contracts and fees with the whole firm's fee history (400,000 ledger entries).
                urls = {
                    "detail": detail_path,
                    "ledger_tab": reverse("clients:tab", args=[huawei.pk, "billing"]),
                    "bills": reverse("billing:bill_list"),
                    "bills_overdue": reverse("billing:bill_list") + "?overdue=1",
                    "payments": reverse("billing:payment_list"),
                    "receivables": reverse("billing:receivables"),
                    "receivables_90": reverse("billing:receivables") + "?sort=-over_90",
                    "paid_through": reverse("billing:paid_through"),
                    "reports": reverse("billing:reports"),
                    "contracts": reverse("contracts:contract_list"),
                }
            if role == "head":
                # Client service: the work board of the running period (the whole department),
                # filtered, the today list and the service standards.
                urls = {
                    "work_board": reverse("delivery:work_board"),
                    "work_overdue": reverse("delivery:work_board") + "?overdue=1",
                    "work_unfiled": reverse("delivery:work_board") + "?unfiled=1",
                    "work_today": reverse("delivery:work_today"),
                    "requests": reverse("delivery:request_list"),
                    "surveys": reverse("delivery:survey_list"),
                    "standards": reverse("delivery:service_standards"),
                    "workload": reverse("delivery:workload"),
                }
            if role == "service":
                # Relationship maintenance as customer service works it.
                urls = {
                    "visits": reverse("care:visit_list"),
                    "visits_overdue": reverse("care:visit_list") + "?state=overdue",
                    "visit_problems": reverse("care:visit_problem_list"),
                    "greetings": reverse("care:greeting_preview"),
                    "greeting_log": reverse("care:greeting_log"),
                    "bulletins": reverse("care:bulletin_list"),
                    "events": reverse("care:event_list"),
                    "complaints": reverse("complaints:complaint_list"),
                }
            if role == "head":
                latest = Bulletin.objects.order_by("-pk").first()
                urls.update(
                    visits=reverse("care:visit_list"),
                    visit_rate=reverse("care:visit_rate"),
                    complaints=reverse("complaints:complaint_list"),
                    complaint_timeliness=reverse("complaints:complaint_timeliness"),
                    complaint_analysis=reverse("complaints:analysis") + "?period=year",
                    bulletin=reverse("care:bulletin_detail", args=[latest.pk]),
                )
            if role == "admin":
                urls["visits"] = reverse("care:visit_list")
                urls["complaints"] = reverse("complaints:complaint_list")
                urls["greetings"] = reverse("care:greeting_preview")
                urls["complaint_analysis"] = reverse("complaints:analysis") + "?period=year"
                # The whole firm's board: 10,000 clients in the period.
                urls["work_board"] = reverse("delivery:work_board")
                urls["work_overdue"] = reverse("delivery:work_board") + "?overdue=1"
            if role == "accountant":
                urls["work_board"] = reverse("delivery:work_board")
                urls["work_today"] = reverse("delivery:work_today")
            if role not in ("accountant", "finance", "head"):
                # Client development: the prospect list (first and a deep page) and the board.
                urls["prospects"] = reverse("leads:prospect_list")
                urls["prospects_deep"] = reverse("leads:prospect_list") + "?page=200"
                urls["board"] = reverse("leads:pipeline_board")
            result["users"][role] = {"username": user.username, "visible": visible, "urls": urls}
            browser = HttpClient()
            browser.force_login(user)
            for key, url in urls.items():
                measured = self.measure_page(browser, url, options, connection)
                measured.update(user=role, page=key, url=url, is_list=key != "detail")
                result["pages"].append(measured)
                self.stdout.write(
                    f"   {role:<10} {url:<70} {measured['status']} "
                    f"p95 {measured['p95']:.1f} ms, {measured['queries']} queries"
                )
        Path(options["result_file"]).write_text(json.dumps(result), encoding="utf-8")

    def measure_page(self, browser, url: str, options: dict, connection) -> dict:
        from django.test.utils import CaptureQueriesContext

        for _ in range(options["warmup"]):
            browser.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = browser.get(url)
        statements = [query["sql"] for query in captured.captured_queries]
        times = timed(lambda: browser.get(url), options["requests"])
        # The framework floor: the page's own SELECTs, as sent, on a bare DB-API cursor.
        selects = [sql for sql in statements if sql.lstrip()[:6].upper() in {"SELECT", "WITH"}]
        connection.ensure_connection()
        raw = connection.connection

        def run_bare() -> None:
            cursor = raw.cursor()
            for sql in selects:
                cursor.execute(sql)
                cursor.fetchall()
            cursor.close()

        floor = timed(run_bare, options["requests"])
        # Each statement alone, to name the slowest when a page misses its budget (-v 2).
        per_statement = []
        for sql in selects:

            def run_one(sql: str = sql) -> None:
                cursor = raw.cursor()
                cursor.execute(sql)
                cursor.fetchall()
                cursor.close()

            per_statement.append((percentile(timed(run_one, 5), 0.5), sql))
        per_statement.sort(key=lambda item: item[0], reverse=True)
        if not connection.get_autocommit():
            connection.rollback()
        return {
            "status": response.status_code,
            "queries": len(statements),
            "selects": len(selects),
            "p50": percentile(times, 0.50),
            "p95": percentile(times, 0.95),
            "floor_p50": percentile(floor, 0.50),
            "floor_p95": percentile(floor, 0.95),
            "slowest": per_statement[:3],
        }

    # -- the report -------------------------------------------------------------------------------

    def print_result(self, result: dict, options: dict) -> None:
        w = self.stdout.write
        name = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[result["database"]]
        w("")
        w(
            self.style.MIGRATE_HEADING(
                f"{name}: {result['clients']:,} clients, {result['contacts']:,} contacts, "
                f"{result['staff']:,} staff, {result.get('prospects', 0):,} prospects, "
                f"{result.get('ledger_entries', 0):,} ledger entries; "
                f"demo firm built in {result['seed_seconds']:.1f} s"
            )
        )
        w(
            f"In-process (django.test.Client, one user), {options['requests']} requests per page "
            f"after {options['warmup']} warm-up; floor = the page's SELECTs on a bare cursor"
        )
        header = (
            f"{'page':<14}{'user':<18}{'HTTP':>5}{'p50 ms':>9}{'p95 ms':>9}"
            f"{'queries':>9}  {'≤' + str(QUERY_BUDGET):<4}{'floor p50':>11}{'floor p95':>11}"
            f"{'p95<' + str(int(P95_BUDGET_MS)):>9}"
        )
        w(header)
        w("-" * len(header))
        labels = {"list": "list", "search": "q=hwjs", "filter": "filtered", "last": "last page"}
        labels.update(
            detail="detail", prospects="prospects", prospects_deep="prosp. p200", board="board"
        )
        labels.update(
            ledger_tab="ledger tab",
            bills="bills",
            bills_overdue="bills overdue",
            payments="payments",
            receivables="receivables",
            receivables_90="recv. >90",
            paid_through="paid-through",
            reports="reports",
            contracts="contracts",
        )
        labels.update(
            work_board="work board",
            work_overdue="board overdue",
            work_unfiled="board unfiled",
            work_today="today list",
            requests="requests",
            surveys="surveys",
            standards="standards",
            workload="workload",
        )
        labels.update(
            visits="visits",
            visits_overdue="visits overdue",
            visit_problems="visit problems",
            visit_rate="visit rate",
            greetings="greetings plan",
            greeting_log="greeting log",
            bulletins="bulletins",
            bulletin="bulletin",
            events="events",
            complaints="complaints",
            complaint_timeliness="compl. timely",
            complaint_analysis="compl. analysis",
        )
        generation = result["generation"]
        w(
            f"Generating {generation['period']} for {generation['clients']:,} clients: "
            f"{generation['created']:,} work items in {generation['seconds']:.1f} s "
            f"{mark(generation['seconds'] < GENERATION_BUDGET_S)} (budget "
            f"{GENERATION_BUDGET_S:.0f} s); again: {generation['again_created']} new in "
            f"{generation['again_seconds']:.1f} s; {result['work_items']:,} work items in all"
        )
        w(
            f"Relationship maintenance: {result['return_visits']:,} return visits, "
            f"{result['greetings']:,} greetings, {result['complaints']:,} complaints; daily jobs:"
        )
        for label, job in result["jobs"].items():
            w(f"   {label:<30}{job['seconds']:>7.1f} s  ({job['result']})")
        for page in result["pages"]:
            budget = mark(page["queries"] <= QUERY_BUDGET) if page["is_list"] else "—"
            visible = result["users"][page["user"]]["visible"]
            w(
                f"{labels[page['page']]:<14}{page['user'] + f' ({visible})':<18}"
                f"{page['status']:>5}{page['p50']:>9.1f}{page['p95']:>9.1f}"
                f"{page['queries']:>9}  {budget:<4}{page['floor_p50']:>11.2f}"
                f"{page['floor_p95']:>11.2f}{mark(page['p95'] < P95_BUDGET_MS):>9}"
            )
            if options["verbosity"] >= 2:
                for milliseconds, sql in page["slowest"]:
                    w(f"{'':>24}{milliseconds:7.2f} ms  {sql[:160]}")
        w("")
        loads = ", ".join(f"{run['loadavg']:.2f}" for run in result["load"])
        w(
            f"gunicorn -w 2 --threads 2, {options['seconds']:.0f} s per run, keep-alive clients "
            f"on the same machine ({os.cpu_count()} CPUs; load average before each run: "
            f"{loads})"
        )
        header = (
            f"{'load':<40}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}"
            f"{'p95<' + str(int(P95_BUDGET_MS)):>9}"
        )
        w(header)
        w("-" * len(header))
        for run in result["load"]:
            w(
                f"{run['label']:<40}{run['requests']:>9}{run['errors']:>8}{run['p50']:>9.1f}"
                f"{run['p95']:>9.1f}{run['rps']:>8.1f}{mark(run['p95'] < P95_BUDGET_MS):>9}"
            )

    def print_summary(self, results: list[dict]) -> None:
        w = self.stdout.write
        w("")
        w(
            self.style.MIGRATE_HEADING(
                f"Budgets (DESIGN.md): ≤{QUERY_BUDGET} queries per list page; p95 < "
                f"{P95_BUDGET_MS:.0f} ms with 4 concurrent users; ≥{RPS_TARGET:.0f} req/s "
                "(5× the reference CRM's 9 req/s)"
            )
        )
        for result in results:
            lists = [page for page in result["pages"] if page["is_list"]]
            worst_queries = max(page["queries"] for page in lists)
            concurrent = result["load"][1:]
            worst_load = max(run["p95"] for run in concurrent)
            rps = min(run["rps"] for run in concurrent)
            w(
                f"  {result['database']:<9} most queries on a list page: {worst_queries} "
                f"{mark(worst_queries <= QUERY_BUDGET)};  worst p95 under load: "
                f"{worst_load:.1f} ms {mark(worst_load < P95_BUDGET_MS)};  lowest req/s under "
                f"load: {rps:.1f} {mark(rps >= RPS_TARGET)}"
            )


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
