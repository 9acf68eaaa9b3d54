"""Reads of the monthly work board (policy 三（二）3): the clients of a period as rows, their steps
as columns, a cell per step with its status and deadline; the user's work due today; the home
panel's counts.

The board's cost does not grow with its rows: one query for the page's clients (after the count
and the ids of the page) and one for all their items of the period, folded into the grid here.
Every read starts from the user's data scope (``client_visible_q``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DateField, Exists, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.clients.models import Client
from zhangfang.clients.selectors import ClientFilters, client_list, client_visible_q
from zhangfang.core import policy
from zhangfang.core.calendar import add_working_days, working_days_between
from zhangfang.core.roles import FIRM_WIDE_ROLES, Role, has_role, roles_of
from zhangfang.delivery.models import OPEN_WORK, Filing, WorkItem, WorkStatus, WorkStep
from zhangfang.delivery.services.generation import (
    PERIODIC_FILINGS,
    STEP_ORDER,
    next_month,
    period_deadline,
    period_of,
    previous_month,
)
from zhangfang.delivery.wiring.work import DEADLINE_WARNING_DAYS
from zhangfang.staff.models import User

#: Rows whose client has no overdue work sort after every real date.
NO_OVERDUE = dt.date(9999, 12, 31)

#: Sort keys of the board: by client name (pinyin, A–Z) or by the earliest overdue step.
BOARD_SORTS = {
    "name": ("search_pinyin", "id"),
    "overdue": ("earliest_overdue", "search_pinyin", "id"),
}

#: The column that holds a January period's annual work (汇算清缴, 工商年报, 个税汇算).
ANNUAL = "annual"

#: What the item fields of a cell need; loading only these keeps user rows (password hashes) out.
ITEM_FIELDS = (
    "id",
    "client_id",
    "period",
    "step",
    "filing",
    "status",
    "opens_on",
    "due_on",
    "completed_at",
    "assignee__name",
    "assignee__username",
)


def item_url(pk: int) -> str:
    """The page of one work item (built by the work item part at this path)."""
    return f"/delivery/work/items/{pk}/"


# ---------------------------------------------------------------------------------------------
# Periods and deadlines
# ---------------------------------------------------------------------------------------------


def default_period(today: dt.date) -> dt.date:
    """The period people are working on: last month's until its returns' deadline has passed
    (the work of a period is finished in the following month's 征期), then the current month."""
    previous = previous_month(today)
    return previous if period_deadline(previous) >= today else period_of(today)


def warning_days() -> int:
    return policy.get(DEADLINE_WARNING_DAYS)


def due_soon_before(today: dt.date, days: int | None = None) -> dt.date:
    """The first day that is no longer "due soon": an open step due before it, and not before
    today, is due within the warning's working days (``working_days_between(today, due) <= n``
    exactly when ``due`` is before the ``n + 1``-th working day after today)."""
    days = warning_days() if days is None else days
    return add_working_days(today, days + 1)


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellState:
    key: str
    label: Any
    icon: str
    badge: str
    cell: str


STATES = {
    "done": CellState("done", gettext_lazy("按时完成"), "✓", "text-bg-success", "table-success"),
    "late": CellState(
        "late", gettext_lazy("逾期完成"), "✓", "text-bg-secondary", "table-secondary"
    ),
    "overdue": CellState("overdue", gettext_lazy("已逾期"), "!", "text-bg-danger", "table-danger"),
    "warning": CellState(
        "warning", gettext_lazy("即将到期"), "◷", "text-bg-warning", "table-warning"
    ),
    "in_progress": CellState("in_progress", gettext_lazy("进行中"), "▶", "text-bg-primary", ""),
    "todo": CellState("todo", gettext_lazy("待办"), "○", "text-bg-light border", ""),
    "cancelled": CellState(
        "cancelled", gettext_lazy("已取消"), "–", "text-bg-light text-muted", "text-muted"
    ),
}


def cell_state(item: WorkItem, *, today: dt.date, soon_before: dt.date) -> CellState:
    """How a step shows: done on time or late, overdue, due soon, or its plain status."""
    if item.status == WorkStatus.DONE:
        return STATES["done"] if item.on_time is not False else STATES["late"]
    if item.status == WorkStatus.CANCELLED:
        return STATES["cancelled"]
    if item.due_on < today:
        return STATES["overdue"]
    if item.due_on < soon_before:
        return STATES["warning"]
    return STATES[item.status]


def _decorate(item: WorkItem, *, today: dt.date, soon_before: dt.date) -> WorkItem:
    item.state = cell_state(item, today=today, soon_before=soon_before)
    item.url = item_url(item.pk)
    return item


# ---------------------------------------------------------------------------------------------
# The board
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    q: str = ""
    mine: bool = False
    department: bool = False
    overdue: bool = False
    unfiled: bool = False
    filing: str = ""
    assignee: int | None = None

    @property
    def active(self) -> bool:
        return any(
            (
                self.q,
                self.mine,
                self.department,
                self.overdue,
                self.unfiled,
                self.filing,
                self.assignee,
            )
        )


def sees_every_client(user) -> bool:
    """Finance and administrators see the whole firm (``core.scope``)."""
    return bool(roles_of(user) & FIRM_WIDE_ROLES)


def can_filter_by_assignee(user) -> bool:
    return has_role(user, Role.DEPARTMENT_HEAD, Role.ADMIN)


def assignee_options() -> list[tuple[int, str]]:
    """Active staff for the 负责人 filter (heads and administrators)."""
    return [
        (pk, name or username)
        for pk, name, username in User.objects.filter(is_active=True)
        .order_by("name", "id")
        .values_list("id", "name", "username")
    ]


def _period_items(period: dt.date) -> QuerySet[WorkItem]:
    return WorkItem.objects.filter(period=period).exclude(status=WorkStatus.CANCELLED)


def board_clients(
    *, user, period: dt.date, filters: BoardFilters, today: dt.date
) -> QuerySet[Client]:
    """The clients of the board: those ``user`` may see that have work in ``period``, filtered,
    with the date of their earliest overdue step (``earliest_overdue``) for sorting."""
    items = _period_items(period)
    queryset = client_list(user=user, filters=ClientFilters(q=filters.q), table_row_only=True)
    # The base condition is EXISTS on the (period, client) index: one index seek per client, so
    # the first page of a name-sorted board stops after 50 clients, and an accountant's board
    # touches only their clients (IN would list the whole period's 100,000 rows for each query).
    # A client whose steps were all cancelled still shows, its cells marked 已取消. The filters
    # below stay IN (subquery): each runs once, and with status conditions SQLite, lacking
    # statistics, picked the status index for EXISTS and scanned it once per client (45 s).
    queryset = queryset.filter(
        Exists(WorkItem.objects.filter(period=period, client=OuterRef("pk")))
    )
    overdue = items.filter(status__in=OPEN_WORK, due_on__lt=today)
    if filters.mine:
        queryset = queryset.filter(pk__in=items.filter(assignee=user.pk).values("client_id"))
    if filters.department:
        queryset = queryset.filter(department_id=user.department_id)
    if filters.overdue:
        queryset = queryset.filter(pk__in=overdue.values("client_id"))
    if filters.unfiled:
        queryset = queryset.filter(
            pk__in=items.filter(step=WorkStep.FILING, status__in=OPEN_WORK).values("client_id")
        )
    if filters.filing:
        queryset = queryset.filter(
            pk__in=items.filter(step=WorkStep.FILING, filing=filters.filing).values("client_id")
        )
    if filters.assignee and can_filter_by_assignee(user):
        queryset = queryset.filter(
            pk__in=items.filter(assignee=filters.assignee).values("client_id")
        )
    earliest = (
        overdue.filter(client=OuterRef("pk"))
        .order_by()
        .values("client")
        .annotate(first=Min("due_on"))
        .values("first")
    )
    return queryset.annotate(
        earliest_overdue=Coalesce(
            Subquery(earliest, output_field=DateField()),
            Value(NO_OVERDUE, output_field=DateField()),
        )
    )


@dataclass
class Column:
    key: tuple[str, str]
    label: Any


@dataclass
class Row:
    client: Client
    cells: list[list[WorkItem]]


@dataclass
class Summary:
    total: int = 0
    done: int = 0
    overdue: int = 0
    unfiled: int = 0


def board_overview(
    *, clients: QuerySet[Client], period: dt.date, today: dt.date, restrict: bool = True
) -> tuple[list[Column], Summary]:
    """The board's columns (a 申报 column per return filed in the period) and the period's
    figures for the filtered clients: one grouped query, read from the period's covering index.
    ``restrict=False`` (someone who sees every client, no filter) skips the client condition."""
    items = _period_items(period)
    if restrict:
        items = items.filter(client__in=clients.order_by().values("pk"))
    rows = (
        items.values("step", "filing")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status=WorkStatus.DONE)),
            overdue=Count("id", filter=Q(status__in=OPEN_WORK, due_on__lt=today)),
            open=Count("id", filter=Q(status__in=OPEN_WORK)),
        )
        .order_by()
    )
    summary = Summary()
    filings: set[str] = set()
    annual = period.month == 1
    for row in rows:
        summary.total += row["total"]
        summary.done += row["done"]
        summary.overdue += row["overdue"]
        if row["step"] == WorkStep.FILING:
            filings.add(row["filing"])
            summary.unfiled += row["open"]
        elif row["step"] == WorkStep.ANNUAL:
            annual = True
    return board_columns(filings, annual=annual), summary


def board_columns(filings: Iterable[str], *, annual: bool) -> list[Column]:
    """The steps in board order, 申报 opened into one column per return (in the order of
    ``PERIODIC_FILINGS``), and the annual work's column for a January period."""
    present = set(filings)
    ordered = [f for f in PERIODIC_FILINGS if f in present]
    ordered += sorted(present - set(ordered))
    columns: list[Column] = []
    for step in STEP_ORDER:
        if step == WorkStep.FILING:
            columns += [Column((step, f), Filing(f).label) for f in ordered]
        else:
            columns.append(Column((step, ""), WorkStep(step).label))
    if annual:
        columns.append(Column((ANNUAL, ""), WorkStep.ANNUAL.label))
    return columns


def board_grid(
    *,
    clients: Sequence[Client],
    columns: Sequence[Column],
    period: dt.date,
    today: dt.date,
) -> tuple[list[Row], int]:
    """The page's rows: every step of each client in one query, put into its column; and how
    many of the cells are open (for the bulk bar)."""
    soon_before = due_soon_before(today)
    by_client: dict[int, dict[tuple[str, str], list[WorkItem]]] = defaultdict(
        lambda: defaultdict(list)
    )
    if clients:
        items = (
            WorkItem.objects.filter(period=period, client__in=[c.pk for c in clients])
            .select_related("assignee")
            .only(*ITEM_FIELDS)
            .order_by("client_id", "filing", "id")
        )
        for item in items:
            if item.step == WorkStep.ANNUAL:
                key = (ANNUAL, "")
            elif item.step == WorkStep.FILING:
                key = (item.step, item.filing)
            else:
                key = (item.step, "")
            by_client[item.client_id][key].append(
                _decorate(item, today=today, soon_before=soon_before)
            )
    rows = []
    open_items = 0
    for client in clients:
        cells = by_client.get(client.pk, {})
        row = Row(client, [cells.get(column.key, []) for column in columns])
        open_items += sum(1 for cell in row.cells for item in cell if item.is_open)
        rows.append(row)
    return rows, open_items


def board_export_rows(
    *, clients: QuerySet[Client], columns: Sequence[Column], period: dt.date, today: dt.date
) -> Iterable[list[Any]]:
    """The board as spreadsheet rows (client, department, then each column's status text),
    fetched a few hundred clients at a time."""
    batch: list[Client] = []

    def flush() -> Iterable[list[Any]]:
        rows, _open = board_grid(clients=batch, columns=columns, period=period, today=today)
        for row in rows:
            department = row.client.department.name if row.client.department_id else ""
            yield [
                row.client.name,
                department,
                *["\n".join(_export_text(item) for item in cell) for cell in row.cells],
            ]

    for client in clients.iterator(chunk_size=500):
        batch.append(client)
        if len(batch) == 500:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def _export_text(item: WorkItem) -> str:
    who = item.assignee.get_short_name() if item.assignee_id else _("未分派")
    label = f"{item.label} " if item.step == WorkStep.ANNUAL else ""
    return f"{label}{item.state.label} · {who} · {item.due_on:%Y-%m-%d}"


# ---------------------------------------------------------------------------------------------
# Work items picked on the board
# ---------------------------------------------------------------------------------------------


def visible_items(*, user, ids: Iterable[int]) -> list[WorkItem] | None:
    """The items of ``ids`` if ``user`` may see every one of them, else None (the page answers
    404 for the whole request: a crafted id is not half-applied)."""
    wanted = set(ids)
    items = list(
        WorkItem.objects.filter(client_visible_q(user, prefix="client__"), pk__in=wanted)
        .only("id")
        .order_by("pk")
    )
    return items if len(items) == len(wanted) else None


# ---------------------------------------------------------------------------------------------
# Today
# ---------------------------------------------------------------------------------------------


def _my_attention_q(user, today: dt.date, soon_before: dt.date) -> Q:
    """My open steps that are overdue, due today or due soon. Annual work only counts once its
    window opened (a step with ``opens_on`` in the future is not yet workable)."""
    return Q(
        assignee=user.pk,
        status__in=OPEN_WORK,
        due_on__lt=soon_before,
    ) & (Q(opens_on__isnull=True) | Q(opens_on__lte=today))


#: At most this many rows on the today list; a longer list is a case for the board's filters.
TODAY_LIMIT = 300


def today_items(*, user, today: dt.date) -> list[WorkItem]:
    """My open steps needing attention now, earliest deadline first, each with ``days_left``
    (working days, 0 for today) or ``days_overdue`` (calendar days)."""
    items = list(
        WorkItem.objects.filter(_my_attention_q(user, today, due_soon_before(today)))
        .select_related("client")
        .only("id", "period", "step", "filing", "status", "due_on", "opens_on", "client__name")
        .order_by("due_on", "client__name", "id")[:TODAY_LIMIT]
    )
    for item in items:
        item.url = item_url(item.pk)
        if item.due_on < today:
            item.days_overdue = (today - item.due_on).days
            item.days_left = None
        else:
            item.days_overdue = None
            item.days_left = working_days_between(today, item.due_on)
    return items


@dataclass
class AssigneeOverdue:
    pk: int | None
    name: str
    count: int


def department_overdue(*, user, today: dt.date) -> list[AssigneeOverdue] | None:
    """For a department head, the department's overdue steps per assignee (an administrator: the
    whole firm's); None for anyone else."""
    if has_role(user, Role.ADMIN):
        queryset = WorkItem.objects.all()
    elif has_role(user, Role.DEPARTMENT_HEAD) and user.department_id is not None:
        queryset = WorkItem.objects.filter(client__department=user.department_id)
    else:
        return None
    rows = (
        queryset.filter(status__in=OPEN_WORK, due_on__lt=today)
        .values("assignee", "assignee__name", "assignee__username")
        .annotate(n=Count("id"))
        .order_by("-n", "assignee__name")
    )
    return [
        AssigneeOverdue(
            row["assignee"],
            row["assignee__name"] or row["assignee__username"] or _("未分派"),
            row["n"],
        )
        for row in rows
    ]


def work_counts_for_home(*, user, today: dt.date) -> dict[str, int]:
    """My overdue steps and those due today or soon (the home panel)."""
    counts = WorkItem.objects.filter(
        _my_attention_q(user, today, due_soon_before(today))
    ).aggregate(
        overdue=Count("id", filter=Q(due_on__lt=today)),
        due_soon=Count("id", filter=Q(due_on__gte=today)),
    )
    return {"overdue": counts["overdue"] or 0, "due_soon": counts["due_soon"] or 0}


def adjacent_periods(period: dt.date) -> tuple[dt.date, dt.date]:
    return previous_month(period), next_month(period)
