"""Reads of receivables (应收账款): ageing per client, the firm's totals, overdue bills, and the
clients whose service is paid through a month that is already behind (缴费滞后客户).

Ageing is computed in the database from the open bills alone (status 未收款 or 部分收款, found
through the ``bill_status_due`` index), grouped by client with one conditional ``Sum`` per bucket,
so a page costs the same few queries whether the firm has a hundred bills or a hundred thousand.

A bill is *overdue* from the day after its ``due_on`` (the due date is the last day to pay): on
its due date it is still 未到期. Days past due are counted in calendar days as of a chosen date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from zhangfang.billing.models import Bill, BillStatus
from zhangfang.clients.models import Client, ClientStatus
from zhangfang.clients.selectors import client_visible_q
from zhangfang.contracts.models import Contract, ContractStatus
from zhangfang.core.money_sql import MoneySum
from zhangfang.core.search import normalize_query

#: Bills that are receivables not yet settled.
OPEN_STATUSES = (BillStatus.OPEN, BillStatus.PARTIAL)

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY_FIELD)

#: What is still owed on a bill, as an SQL expression.
OUTSTANDING = F("amount") - F("paid_amount") - F("credited_amount")


@dataclass(frozen=True)
class Bucket:
    key: str
    label: Any
    #: Days past due, inclusive; ``None`` is open-ended. "Not yet due" is every day ≤ 0.
    low: int | None
    high: int | None


#: The ageing buckets, in the order of the table's columns.
BUCKETS: tuple[Bucket, ...] = (
    Bucket("not_due", _("未到期"), None, 0),
    Bucket("d0_30", _("0–30 天"), 1, 30),
    Bucket("d31_60", _("31–60 天"), 31, 60),
    Bucket("d61_90", _("61–90 天"), 61, 90),
    Bucket("over_90", _("90 天以上"), 91, None),
)
BUCKET_KEYS = tuple(b.key for b in BUCKETS)
OVERDUE_KEYS = BUCKET_KEYS[1:]
AMOUNT_KEYS = (*BUCKET_KEYS, "overdue", "total", "credit")


def _due_condition(bucket: Bucket, on: dt.date) -> Q:
    """Bills whose days past due (``on − due_on``) fall in ``bucket``, as a filter on ``due_on``.

    Written on ``due_on`` itself (not on a computed number of days) so the database compares a
    column with two constants, the same on SQLite and PostgreSQL, and can use the index.
    """
    condition = Q()
    if bucket.high is not None:
        condition &= Q(due_on__gte=on - dt.timedelta(days=bucket.high))
    if bucket.low is not None:
        condition &= Q(due_on__lte=on - dt.timedelta(days=bucket.low))
    return condition


def _bucket_sum(condition: Q) -> MoneySum:
    return MoneySum(Case(When(condition, then=OUTSTANDING), default=ZERO, output_field=MONEY_FIELD))


def ageing_annotations(on: dt.date) -> dict[str, Any]:
    """The per-bucket sums, the overdue sum and the total, for a queryset of open bills."""
    annotations: dict[str, Any] = {
        bucket.key: _bucket_sum(_due_condition(bucket, on)) for bucket in BUCKETS
    }
    annotations["overdue"] = _bucket_sum(Q(due_on__lt=on))
    annotations["total"] = MoneySum(OUTSTANDING)
    return annotations


def days_overdue(due_on: dt.date, on: dt.date) -> int:
    """Calendar days past the due date (0 or less: not overdue yet)."""
    return (on - due_on).days


def bucket_of(due_on: dt.date, on: dt.date) -> str:
    """The key of the bucket a bill due on ``due_on`` falls in as of ``on`` (for one bill)."""
    days = days_overdue(due_on, on)
    for bucket in BUCKETS:
        if (bucket.low is None or days >= bucket.low) and (
            bucket.high is None or days <= bucket.high
        ):
            return bucket.key
    raise AssertionError(days)  # pragma: no cover - the buckets cover every integer


# ---------------------------------------------------------------------------------------------
# The receivables list (应收账款)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivableFilters:
    q: str = ""
    department: int | None = None
    #: A sales owner or customer-service member of the client.
    staff: int | None = None
    only_overdue: bool = False
    #: Only clients with something in this bucket (one of ``BUCKET_KEYS``).
    bucket: str = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.department or self.staff or self.only_overdue or self.bucket)


#: Sort keys of the list; names sort by pinyin. The client id ends each so pages never overlap.
RECEIVABLE_SORTS = {
    "total": ("total", "client_id"),
    "over_90": ("over_90", "total", "client_id"),
    "overdue": ("overdue", "total", "client_id"),
    "credit": ("credit", "client_id"),
    "name": ("sort_name", "client_id"),
}

#: What the page shows of each client of a page of rows (read for that page only).
CLIENT_ROW_FIELDS = (
    "name",
    "department__name",
    "customer_service__name",
    "customer_service__username",
    "sales_owner__name",
    "sales_owner__username",
)


def _open_bills(*, user, filters: ReceivableFilters) -> QuerySet[Bill]:
    queryset = Bill.objects.filter(status__in=OPEN_STATUSES).filter(
        client_visible_q(user, prefix="client__")
    )
    if filters.department:
        queryset = queryset.filter(client__department_id=filters.department)
    if filters.staff:
        queryset = queryset.filter(
            Q(client__sales_owner_id=filters.staff) | Q(client__customer_service_id=filters.staff)
        )
    text = filters.q.strip()
    if text:
        condition = Q(client__name__icontains=text) | Q(client__short_name__icontains=text)
        pinyin = normalize_query(text)
        if pinyin:
            condition |= Q(client__search_pinyin__contains=pinyin)
        queryset = queryset.filter(condition)
    return queryset


def receivables_by_client(
    *, user, on: dt.date, filters: ReceivableFilters, sort: str = "-total"
) -> QuerySet:
    """One row (a dict) per client with open bills that ``user`` may see: the client and team,
    the outstanding per ageing bucket as of ``on``, the overdue part, the total and the client's
    credit (预收, money received and not yet allocated to a bill).

    Grouped in the database; ``sort`` is a key of :data:`RECEIVABLE_SORTS` (``-`` descending).
    """
    # Grouped by the client id alone: the names and team are read for the shown page only
    # (``with_clients``), so grouping and sorting thousands of clients stays narrow.
    queryset = (
        _open_bills(user=user, filters=filters)
        .order_by()
        .values("client_id")
        .annotate(
            **ageing_annotations(on),
            credit=Coalesce(Min("client__account__unallocated"), ZERO),
            sort_name=Min("client__search_pinyin"),
        )
    )
    if filters.only_overdue:
        queryset = queryset.filter(overdue__gt=0)
    if filters.bucket in BUCKET_KEYS:
        queryset = queryset.filter(**{f"{filters.bucket}__gt": 0})
    descending = sort.startswith("-")
    keys = RECEIVABLE_SORTS.get(sort.lstrip("-"), RECEIVABLE_SORTS["total"])
    return queryset.order_by(*[f"-{key}" if descending else key for key in keys])


def receivables_page(queryset: QuerySet, *, per_page: int, page_number: str) -> Page:
    """A page of grouped rows with their clients: three queries (the count, the rows, the
    clients of the page), whatever the page."""
    page = Paginator(queryset, per_page).get_page(page_number)
    page.object_list = with_clients(list(page.object_list))
    return page


def with_clients(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with each one's ``client`` (name, department, team) loaded in one query."""
    clients = (
        Client.objects.filter(pk__in=[row["client_id"] for row in rows])
        .select_related("department", "customer_service", "sales_owner")
        .only(*CLIENT_ROW_FIELDS)
        .in_bulk()
    )
    for row in rows:
        row["client"] = clients.get(row["client_id"])
    return rows


def receivables_totals(queryset: QuerySet) -> dict[str, Any]:
    """The firm-wide row: each amount summed over every row of the list (all pages), and the
    number of clients; one query (the grouped rows are summed in a subquery)."""
    # The aliases differ from the annotations they sum: an aggregate named like an annotation
    # would replace it inside the subquery.
    sums = queryset.aggregate(
        n_clients=Count("client_id"), **{f"sum_{key}": MoneySum(key) for key in AMOUNT_KEYS}
    )
    totals: dict[str, Any] = {"clients": sums["n_clients"]}
    for key in AMOUNT_KEYS:
        # A sum over no rows is NULL; the footer shows ¥0.00.
        totals[key] = sums[f"sum_{key}"] if sums[f"sum_{key}"] is not None else Decimal("0.00")
    return totals


def receivable_staff_options(*, accountants: bool = False) -> list[tuple[int, str]]:
    """Sales owners and customer-service members (and accountants if asked), for the lists'
    staff filter."""
    from zhangfang.core.roles import Role
    from zhangfang.staff.models import User

    roles = [Role.SALES, Role.CUSTOMER_SERVICE] + ([Role.ACCOUNTANT] if accountants else [])
    return list(
        User.objects.filter(is_active=True, groups__name__in=roles)
        .distinct()
        .order_by("name")
        .values_list("id", "name")
    )


# ---------------------------------------------------------------------------------------------
# Overdue bills (notices, home panel, reports)
# ---------------------------------------------------------------------------------------------


def overdue_bills(*, on: dt.date, min_days: int = 1) -> QuerySet[Bill]:
    """Open bills at least ``min_days`` (≥ 1) past their due date on ``on``, with the client's
    customer-service member and sales owner loaded; oldest due first. Not scoped: for jobs."""
    latest_due = on - dt.timedelta(days=max(min_days, 1))
    return (
        Bill.objects.filter(status__in=OPEN_STATUSES, due_on__lte=latest_due)
        .select_related("client__customer_service", "client__sales_owner")
        .order_by("due_on", "id")
    )


def largest_overdue_bills(*, user, on: dt.date, limit: int = 10) -> list[Bill]:
    """The ``limit`` overdue bills with the most outstanding that ``user`` may see."""
    return list(
        Bill.objects.filter(status__in=OPEN_STATUSES, due_on__lt=on)
        .filter(client_visible_q(user, prefix="client__"))
        .annotate(outstanding_amount=OUTSTANDING)
        .select_related("client")
        .only(
            "number",
            "description",
            "due_on",
            "amount",
            "paid_amount",
            "credited_amount",
            "client__name",
        )
        .order_by("-outstanding_amount", "due_on", "id")[:limit]
    )


def largest_overdue_clients(*, user, on: dt.date, limit: int = 10) -> list[dict[str, Any]]:
    """The ``limit`` clients owing the most overdue money: client id and name, the overdue
    amount, how many bills and the oldest due date."""
    return list(
        Bill.objects.filter(status__in=OPEN_STATUSES, due_on__lt=on)
        .filter(client_visible_q(user, prefix="client__"))
        .order_by()
        .values("client_id", "client__name")
        .annotate(
            overdue=MoneySum(OUTSTANDING),
            bills=Count("id"),
            oldest_due=Min("due_on"),
        )
        .order_by("-overdue", "client_id")[:limit]
    )


def overdue_total(*, user, on: dt.date) -> dict[str, Any]:
    """What ``user``'s clients owe past due on ``on``: the amount and the number of clients."""
    return (
        Bill.objects.filter(status__in=OPEN_STATUSES, due_on__lt=on)
        .filter(client_visible_q(user, prefix="client__"))
        .aggregate(
            amount=MoneySum(OUTSTANDING),
            clients=Count("client_id", distinct=True),
        )
    )


# ---------------------------------------------------------------------------------------------
# Paid-through list (缴费滞后客户)
# ---------------------------------------------------------------------------------------------


def previous_month_end(on: dt.date) -> dt.date:
    """The last day of the month before ``on``'s month."""
    return on.replace(day=1) - dt.timedelta(days=1)


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


@dataclass(frozen=True)
class PaidThroughFilters:
    q: str = ""
    department: int | None = None
    staff: int | None = None
    #: Only clients at least this many months behind.
    min_months: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.department or self.staff or self.min_months)


#: Sort keys: the longest behind first by default (an unpaid client sorts before any paid one).
PAID_THROUGH_SORTS = {
    "paid_through": ("behind_since", "id"),
    "balance": ("balance", "id"),
    "name": ("search_pinyin", "id"),
}

PAID_THROUGH_ROW_FIELDS = (
    "name",
    "search_pinyin",
    "department__name",
    "accountant__name",
    "customer_service__name",
    "sales_owner__name",
)


def paid_through_behind(
    *, user, on: dt.date, filters: PaidThroughFilters, sort: str = "paid_through"
) -> QuerySet[Client]:
    """Clients in service (status 服务中) that ``user`` may see whose service is not paid
    through the end of the month before ``on``: their account's 已缴至 is earlier, or nothing is
    paid yet although an active contract started by then.

    Each client carries ``paid_through``, ``balance``, ``contract_start`` (the earliest start
    of its active contracts) and ``behind_since`` (the day from which service is unpaid, for
    sorting); :func:`months_behind` turns them into whole months.
    """
    cutoff = previous_month_end(on)
    active_contracts = Contract.objects.filter(
        client=OuterRef("pk"), status=ContractStatus.ACTIVE, start_date__lte=cutoff
    )
    queryset = (
        Client.objects.filter(client_visible_q(user), status=ClientStatus.ACTIVE)
        .annotate(
            paid_through=F("account__paid_through"),
            balance=Coalesce(F("account__balance"), ZERO),
            contract_start=Subquery(
                active_contracts.order_by("start_date").values("start_date")[:1]
            ),
        )
        .filter(
            Q(account__paid_through__lt=cutoff)
            | Q(account__paid_through__isnull=True) & Exists(active_contracts)
        )
        .annotate(
            # Unpaid since the day after 已缴至, or since the contract began if nothing is paid.
            behind_since=Coalesce(F("account__paid_through"), F("contract_start")),
        )
        .select_related("department", "accountant", "customer_service", "sales_owner")
        .only(*PAID_THROUGH_ROW_FIELDS)
    )
    if filters.department:
        queryset = queryset.filter(department_id=filters.department)
    if filters.staff:
        queryset = queryset.filter(
            Q(sales_owner_id=filters.staff)
            | Q(accountant_id=filters.staff)
            | Q(customer_service_id=filters.staff)
        )
    text = filters.q.strip()
    if text:
        condition = Q(name__icontains=text) | Q(short_name__icontains=text)
        pinyin = normalize_query(text)
        if pinyin:
            condition |= Q(search_pinyin__contains=pinyin)
        queryset = queryset.filter(condition)
    if filters.min_months:
        # n months behind means paid through a month at least n months before the cutoff's.
        # Unpaid since a contract's first month counts that month too, hence one month less.
        paid_by = _month_end_before(cutoff, filters.min_months)
        started_by = _month_end_before(cutoff, filters.min_months - 1)
        queryset = queryset.filter(
            Q(account__paid_through__lte=paid_by)
            | Q(account__paid_through__isnull=True, contract_start__lte=started_by)
        )
    descending = sort.startswith("-")
    keys = PAID_THROUGH_SORTS.get(sort.lstrip("-"), PAID_THROUGH_SORTS["paid_through"])
    return queryset.order_by(*[f"-{key}" if descending else key for key in keys])


def _month_end_before(month_end: dt.date, months: int) -> dt.date:
    """The last day of the month ``months`` months before ``month_end``'s month."""
    day = month_end
    for _step in range(months):
        day = day.replace(day=1) - dt.timedelta(days=1)
    return day


def months_behind(client: Client, *, on: dt.date) -> int:
    """Whole months of service not paid for up to the end of the month before ``on``.

    Paid through 2026-08 and today in 2026-11: September and October are unpaid, 2 months. With
    nothing paid, every month from the active contract's first month counts.
    """
    last_due = month_index(previous_month_end(on))
    if client.paid_through is not None:
        return max(last_due - month_index(client.paid_through), 0)
    if client.contract_start is not None:
        return max(last_due - month_index(client.contract_start) + 1, 0)
    return 0
