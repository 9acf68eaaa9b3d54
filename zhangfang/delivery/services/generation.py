"""Generating each period's work for every client in service (policy 三（二）3, DOMAIN.md §3).

The plan of a client's period follows from its service scope and taxpayer type: the bookkeeping
steps, a 申报 step per return due that period (增值税及附加 and 财务报表 monthly for 一般纳税人
and quarterly for 小规模; 个税扣缴 monthly; 企业所得税预缴 and 印花税 quarterly), then 扣款, 告知
and 归档. January also gets the year's annual work with its window. Deadlines come from
``core.calendar.filing_deadline``; the steps before filing are due a set number of working days
before it, so the work flows towards the 征期.

Generation is idempotent: a client has one row per period, step and filing (a unique constraint),
and a run only inserts the rows that are missing. A client is in service for a period when its
service covers the period's last day: one that starts mid-month gets that month's work; one that
stops mid-month does not, and the work of that period nobody has started is cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.clients.models import Client, ClientStatus, TaxpayerType
from zhangfang.contracts.models import Contract, ContractStatus
from zhangfang.core import audit
from zhangfang.core.calendar import add_working_days, filing_deadline, is_working_day
from zhangfang.delivery.models import (
    Filing,
    ServiceScope,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.staff.selectors import first_head_by_department

#: The bookkeeping steps and when each is due, in working days from the period's filing deadline
#: (negative: before it). 申报 and 扣款 are due on the deadline itself.
STEP_OFFSETS: dict[str, int] = {
    WorkStep.RECEIPTS: -7,
    WorkStep.BOOKKEEPING: -5,
    WorkStep.REVIEW: -4,
    WorkStep.STATEMENTS: -3,
    WorkStep.TAX_ESTIMATE: -2,
    WorkStep.FILING: 0,
    WorkStep.PAYMENT: 0,
    WorkStep.NOTIFY: 3,
    WorkStep.ARCHIVE: 10,
}

#: The board's column order.
STEP_ORDER = list(STEP_OFFSETS)

#: Returns that carry a tax the client confirms and pays (财务报表报送 carries none).
TAXES = (
    Filing.VAT,
    Filing.INDIVIDUAL_INCOME_TAX,
    Filing.CORPORATE_INCOME_TAX,
    Filing.STAMP_DUTY,
)

PERIODIC_FILINGS = (*TAXES, Filing.FINANCIAL_STATEMENTS)

#: Annual work: (filing, scope field, window opens (month, day), window closes (month, day)) in
#: the year the work is done, for the year before (DOMAIN.md §2).
ANNUAL_WORK = (
    (Filing.ANNUAL_REPORT, "annual_report", (1, 1), (6, 30)),
    (Filing.ANNUAL_IIT, "annual_iit", (3, 1), (6, 30)),
    (Filing.ANNUAL_SETTLEMENT, "annual_settlement", (1, 1), (5, 31)),
)

#: Contract statuses under which the firm serves (or served) the client.
SERVING_CONTRACTS = (
    ContractStatus.SIGNED,
    ContractStatus.ACTIVE,
    ContractStatus.EXPIRED,
    ContractStatus.TERMINATED,
)

QUARTER_ENDS = (3, 6, 9, 12)

#: The scope fields that shape a client's plan.
SCOPE_FIELDS = (
    "bookkeeping",
    "vat",
    "individual_income_tax",
    "corporate_income_tax",
    "stamp_duty",
    "financial_statements",
    "annual_settlement",
    "annual_report",
    "annual_iit",
)


def period_of(day: dt.date) -> dt.date:
    """The period (its first day) that ``day`` falls in."""
    return day.replace(day=1)


def next_month(period: dt.date) -> dt.date:
    return (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    """The period before the one ``day`` falls in."""
    return period_of(period_of(day) - dt.timedelta(days=1))


def last_day(period: dt.date) -> dt.date:
    return next_month(period) - dt.timedelta(days=1)


def period_deadline(period: dt.date) -> dt.date:
    """The 征期 deadline of the returns for ``period``: in the month after it."""
    filing_month = next_month(period)
    return filing_deadline(filing_month.year, filing_month.month)


def _on_or_after_working(day: dt.date) -> dt.date:
    """A window's last day moved to the next working day when it is a rest day (征管法实施细则
    第一百零九条)."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def filings_due(period: dt.date, *, taxpayer_type: str, scope: ServiceScope) -> list[str]:
    """The returns filed for ``period``, in board order."""
    quarter_end = period.month in QUARTER_ENDS
    vat_due = taxpayer_type == TaxpayerType.GENERAL or quarter_end
    due = []
    if scope.vat and vat_due:
        due.append(Filing.VAT)
    if scope.individual_income_tax:
        due.append(Filing.INDIVIDUAL_INCOME_TAX)
    if scope.corporate_income_tax and quarter_end:
        due.append(Filing.CORPORATE_INCOME_TAX)
    if scope.stamp_duty and quarter_end:
        due.append(Filing.STAMP_DUTY)
    if scope.financial_statements and vat_due:
        due.append(Filing.FINANCIAL_STATEMENTS)
    return due


@dataclass(frozen=True)
class PlannedStep:
    step: str
    filing: str
    due_on: dt.date
    opens_on: dt.date | None = None


def plan_period(period: dt.date, *, taxpayer_type: str, scope: ServiceScope) -> list[PlannedStep]:
    """The steps of one client's period, with their deadlines (annual work not included)."""
    deadline = period_deadline(period)

    def due(step: str) -> dt.date:
        return add_working_days(deadline, STEP_OFFSETS[step])

    filings = filings_due(period, taxpayer_type=taxpayer_type, scope=scope)
    taxes = [f for f in filings if f in TAXES]
    steps: list[PlannedStep] = []
    if scope.bookkeeping:
        for step in (WorkStep.RECEIPTS, WorkStep.BOOKKEEPING, WorkStep.REVIEW, WorkStep.STATEMENTS):
            steps.append(PlannedStep(step, "", due(step)))
    if taxes:
        steps.append(PlannedStep(WorkStep.TAX_ESTIMATE, "", due(WorkStep.TAX_ESTIMATE)))
    steps.extend(PlannedStep(WorkStep.FILING, f, due(WorkStep.FILING)) for f in filings)
    if taxes:
        steps.append(PlannedStep(WorkStep.PAYMENT, "", due(WorkStep.PAYMENT)))
    if filings:
        steps.append(PlannedStep(WorkStep.NOTIFY, "", due(WorkStep.NOTIFY)))
    if scope.bookkeeping:
        steps.append(PlannedStep(WorkStep.ARCHIVE, "", due(WorkStep.ARCHIVE)))
    return steps


def plan_annual(year: int, *, scope: ServiceScope) -> list[PlannedStep]:
    """The annual work done in ``year`` (for the year before), each with its window."""
    steps = []
    for filing, field, opens, closes in ANNUAL_WORK:
        if getattr(scope, field):
            steps.append(
                PlannedStep(
                    WorkStep.ANNUAL,
                    filing,
                    _on_or_after_working(dt.date(year, *closes)),
                    opens_on=dt.date(year, *opens),
                )
            )
    return steps


@dataclass(frozen=True)
class ServedClient:
    """What generation needs of a client in service: its team and the shape of its plan."""

    pk: int
    taxpayer_type: str
    department_id: int | None
    accountant_id: int | None
    tax_specialist_id: int | None
    customer_service_id: int | None
    scope: ServiceScope


def _assignee(step: str, filing: str, client: ServedClient, heads: dict[int, object]):
    """Who does a step (a user id): the client's team member for it, the accountant when that
    role is empty; the review goes to the head of the client's department (never to whoever keeps
    the books: completing a review is refused to the person who did the bookkeeping)."""
    accountant = client.accountant_id
    tax = client.tax_specialist_id or accountant
    service = client.customer_service_id or accountant
    if step == WorkStep.REVIEW:
        head = heads.get(client.department_id)
        return head.pk if head is not None else None
    if step in (WorkStep.TAX_ESTIMATE, WorkStep.FILING, WorkStep.PAYMENT):
        return tax
    if step == WorkStep.ANNUAL:
        return service if filing == Filing.ANNUAL_REPORT else tax
    if step in (WorkStep.RECEIPTS, WorkStep.NOTIFY):
        return service
    return accountant


_CLIENT_FIELDS = (
    "pk",
    "taxpayer_type",
    "department_id",
    "accountant_id",
    "tax_specialist_id",
    "customer_service_id",
)


def clients_in_service(period: dt.date) -> tuple[list[ServedClient], set[int]]:
    """The clients served in ``period`` (with their team and scope), and the ids of the clients
    whose work of the period should no longer be done.

    In service: status 服务中, and — when the client has contracts the firm serves under — one of
    them covers the period's last day. A client with no such contract (kept from before the firm
    used contracts here) is served on its status alone.
    """
    end = last_day(period)
    covering: set[int] = set()
    contracted: set[int] = set()
    for client_id, start, finish, terminated in Contract.objects.filter(
        status__in=SERVING_CONTRACTS
    ).values_list("client_id", "start_date", "end_date", "terminated_on"):
        contracted.add(client_id)
        if start <= end <= (terminated or finish):
            covering.add(client_id)
    # Plain values, not model instances: 10,000 clients a month must generate in seconds.
    scope_paths = [f"service_scope__{name}" for name in SCOPE_FIELDS]
    defaults = ServiceScope()
    scopes: dict[tuple, ServiceScope] = {}
    served = []
    for row in (
        Client.objects.filter(status=ClientStatus.ACTIVE)
        .order_by("pk")
        .values_list(*_CLIENT_FIELDS, *scope_paths)
    ):
        if row[0] not in covering and row[0] in contracted:
            continue
        flags = tuple(
            getattr(defaults, name) if value is None else value
            for name, value in zip(SCOPE_FIELDS, row[len(_CLIENT_FIELDS) :], strict=True)
        )
        if flags not in scopes:
            scopes[flags] = ServiceScope(**dict(zip(SCOPE_FIELDS, flags, strict=True)))
        served.append(ServedClient(*row[: len(_CLIENT_FIELDS)], scope=scopes[flags]))
    served_ids = {c.pk for c in served}
    stopped = set(
        WorkItem.objects.filter(period=period, status=WorkStatus.TODO)
        .exclude(client_id__in=served_ids)
        .values_list("client_id", flat=True)
        .distinct()
    )
    return served, stopped


@dataclass
class GenerationResult:
    period: dt.date
    clients: int
    created: int
    cancelled: int


@dataclass(frozen=True)
class NewWork:
    """One row generation will insert."""

    client_id: int
    period: dt.date
    step: str
    filing: str
    assignee_id: int | None
    due_on: dt.date
    opens_on: dt.date | None


def missing_work(period: dt.date) -> tuple[list[NewWork], list[ServedClient], set[int]]:
    """The rows ``period`` still lacks for the clients in service, those clients, and the ids of
    the clients no longer served then (see :func:`clients_in_service`)."""
    period = period_of(period)
    clients, stopped = clients_in_service(period)
    heads = first_head_by_department()
    existing = set(
        WorkItem.objects.filter(period=period).values_list("client_id", "step", "filing")
    )
    # The plan depends only on the taxpayer type and scope: compute each distinct one once.
    plans: dict[tuple, list[PlannedStep]] = {}
    rows = []
    for client in clients:
        key = (client.taxpayer_type, id(client.scope))
        if key not in plans:
            plans[key] = plan_period(period, taxpayer_type=client.taxpayer_type, scope=client.scope)
            if period.month == 1:
                plans[key] += plan_annual(period.year, scope=client.scope)
        for planned in plans[key]:
            if (client.pk, planned.step, planned.filing) in existing:
                continue
            rows.append(
                NewWork(
                    client.pk,
                    period,
                    planned.step,
                    planned.filing,
                    _assignee(planned.step, planned.filing, client, heads),
                    planned.due_on,
                    planned.opens_on,
                )
            )
    return rows, clients, stopped


#: The columns ``insert_work`` writes, with the value a row without that attribute gets.
_INSERT_COLUMNS: dict[str, object] = {
    "client_id": None,
    "period": None,
    "step": None,
    "filing": "",
    "status": WorkStatus.TODO.value,
    "assignee_id": None,
    "opens_on": None,
    "due_on": None,
    "started_at": None,
    "completed_at": None,
    "completed_by_id": None,
    "zero_filing": False,
    "tax_amount": None,
    "note": "",
    "override_reason": "",
    "cancelled_reason": "",
}


def insert_work(rows: Iterable[object]) -> None:
    """Insert new work (objects with the column attributes: ``NewWork`` or unsaved ``WorkItem``).

    ``bulk_create`` spends about 0.2 ms a row building SQL (35 s for the 130,000 rows of a
    10,000-client month, against a 20 s budget); these rows are new and already checked, so they
    go straight to the driver, through the backend's own value adapters: COPY on PostgreSQL, a
    thousand rows per INSERT on SQLite.
    """
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    columns = [*_INSERT_COLUMNS, "created_at", "updated_at", "version"]
    head = "INSERT INTO {} ({}) VALUES ".format(
        ops.quote_name(WorkItem._meta.db_table), ", ".join(ops.quote_name(c) for c in columns)
    )
    placeholders = "({})".format(", ".join(["%s"] * len(columns)))
    adapters = {
        "period": ops.adapt_datefield_value,
        "opens_on": ops.adapt_datefield_value,
        "due_on": ops.adapt_datefield_value,
        "started_at": ops.adapt_datetimefield_value,
        "completed_at": ops.adapt_datetimefield_value,
        "tax_amount": lambda value: ops.adapt_decimalfield_value(value, 14, 2),
    }
    getters = [(name, default, adapters.get(name)) for name, default in _INSERT_COLUMNS.items()]
    params = []
    for row in rows:
        values = []
        for name, default, adapt in getters:
            value = getattr(row, name, default)
            values.append(adapt(value) if adapt is not None and value is not None else value)
        params.append((*values, now, now, 1))
    if connection.vendor == "postgresql":
        # COPY streams the rows in one statement; the driver neither parses nor plans SQL for
        # them (psycopg re-parses a long multi-row INSERT for each batch).
        table = ops.quote_name(WorkItem._meta.db_table)
        names = ", ".join(ops.quote_name(c) for c in columns)
        statement = f"COPY {table} ({names}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in params:
                copy.write_row(row)
        return
    batch = 1000  # 18 values a row: within SQLite's limit on parameters
    with connection.cursor() as cursor:
        for start in range(0, len(params), batch):
            chunk = params[start : start + batch]
            cursor.execute(
                head + ", ".join([placeholders] * len(chunk)),
                [value for row in chunk for value in row],
            )


@transaction.atomic
def work_generate(*, period: dt.date, by=None) -> GenerationResult:
    """Create the missing work of ``period`` for every client in service, and cancel the untouched
    work of clients who are no longer served then. Running it again creates nothing new."""
    period = period_of(period)
    rows, clients, stopped = missing_work(period)
    insert_work(rows)
    cancelled = 0
    if stopped:
        cancelled = WorkItem.objects.filter(
            period=period, status=WorkStatus.TODO, client_id__in=stopped
        ).update(
            status=WorkStatus.CANCELLED,
            cancelled_reason=_("客户本期已不在服务期内"),
            updated_at=timezone.now(),
        )
    result = GenerationResult(period, len(clients), len(rows), cancelled)
    if rows or cancelled:
        audit.record(
            action="generate",
            by=by,
            object_type="delivery.workitem",
            object_id=period.strftime("%Y-%m"),
            object_repr=_("%(period)s 服务工作") % {"period": period.strftime("%Y-%m")},
            detail=_("生成 %(created)d 项，取消 %(cancelled)d 项（%(clients)d 户客户）")
            % {"created": len(rows), "cancelled": cancelled, "clients": len(clients)},
        )
    return result


def periods_between(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    """Every period from ``first`` to ``last``, inclusive."""
    period = period_of(first)
    while period <= period_of(last):
        yield period
        period = next_month(period)
