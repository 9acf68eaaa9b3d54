"""Reads of client data. Every query starts from the user's data scope (``client_visible_q``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    CharField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast

from zhangfang.clients.models import Client, ClientStatus, ClientTag, Contact
from zhangfang.core.calendar import lunar_date_label
from zhangfang.core.scope import ScopePaths, scope_q
from zhangfang.core.search import normalize_query
from zhangfang.core.validators import normalize_code

#: Where a client keeps the people and department that decide who may see it.
CLIENT_SCOPE = ScopePaths(
    department="department",
    owner="sales_owner",
    assignees=("accountant", "tax_specialist", "customer_service"),
)

#: Sort keys offered on the list, each an ``order_by`` expression (pinyin orders names A–Z).
CLIENT_SORTS = {
    "name": ("search_pinyin", "id"),
    "status": ("status", "search_pinyin", "id"),
    "taxpayer_type": ("taxpayer_type", "search_pinyin", "id"),
    "tier": ("tier", "search_pinyin", "id"),
    "industry": ("industry", "search_pinyin", "id"),
    "updated": ("updated_at", "id"),
    "created": ("created_at", "id"),
}

TEAM_RELATIONS = ("department", "sales_owner", "accountant", "tax_specialist", "customer_service")

#: What a row of the client list shows; loading only this keeps user rows (password hashes) and
#: encrypted fields (a decryption per row) out of the list.
LIST_ROW_FIELDS = (
    "name",
    "short_name",
    "uscc",
    "status",
    "taxpayer_type",
    "industry",
    "tier",
    "updated_at",
    "search_pinyin",
    "region",
    "accountant__name",
    "accountant__username",
    "department__name",
)


def client_visible_q(user, *, prefix: str = "") -> Q:
    """The filter other chapters apply to reach only clients ``user`` may see.

    ``prefix`` is the path from their model to the client, e.g. ``"client__"``.
    """
    return scope_q(user, CLIENT_SCOPE, prefix=prefix)


def clients_visible_to(user) -> QuerySet[Client]:
    return Client.objects.filter(client_visible_q(user))


@dataclass(frozen=True)
class ClientFilters:
    q: str = ""
    status: str = ""
    taxpayer_type: str = ""
    industry: str = ""
    tier: str = ""
    staff: int | None = None
    department: int | None = None
    region: str = ""
    tag: int | None = None


def _search(queryset: QuerySet[Client], text: str) -> QuerySet[Client]:
    text = text.strip()
    if not text:
        return queryset
    condition = Q(name__icontains=text) | Q(short_name__icontains=text)
    code = normalize_code(text)
    if code:
        condition |= Q(uscc__contains=code)
    pinyin = normalize_query(text)
    if pinyin:
        condition |= Q(search_pinyin__contains=pinyin)
    contact_match = Q(name__icontains=text)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4:
        contact_match |= Q(mobile__contains=digits)
    # IN (subquery) runs the contact search once; EXISTS would run it for every client row.
    condition |= Q(pk__in=Contact.objects.filter(contact_match).values("client_id"))
    return queryset.filter(condition)


def client_list(
    *, user, filters: ClientFilters, sort: str = "name", table_row_only: bool = False
) -> QuerySet[Client]:
    """Clients ``user`` may see, filtered and sorted, with the team loaded in the same query.

    ``table_row_only`` loads just what the list page's table shows (``LIST_ROW_FIELDS``).
    """
    if table_row_only:
        queryset = (
            clients_visible_to(user)
            .select_related("accountant", "department")
            .only(*LIST_ROW_FIELDS)
        )
    else:
        queryset = clients_visible_to(user).select_related(*TEAM_RELATIONS)
    queryset = _search(queryset, filters.q)
    for field in ("status", "taxpayer_type", "industry", "tier"):
        value = getattr(filters, field)
        if value:
            queryset = queryset.filter(**{field: value})
    if filters.department:
        queryset = queryset.filter(department_id=filters.department)
    if filters.region:
        queryset = queryset.filter(region=filters.region)
    if filters.tag:
        # One tag: at most one join row per client, so no client is listed twice.
        queryset = queryset.filter(tags=filters.tag)
    if filters.staff:
        queryset = queryset.filter(
            Q(sales_owner_id=filters.staff)
            | Q(accountant_id=filters.staff)
            | Q(tax_specialist_id=filters.staff)
            | Q(customer_service_id=filters.staff)
        )
    descending = sort.startswith("-")
    keys = CLIENT_SORTS.get(sort.lstrip("-"), CLIENT_SORTS["name"])
    return queryset.order_by(*[f"-{key}" if descending else key for key in keys])


def client_get(*, user, pk: int) -> Client | None:
    """One client with its team, or None when it does not exist or is outside the user's scope."""
    return clients_visible_to(user).select_related(*TEAM_RELATIONS).filter(pk=pk).first()


def client_contacts(client: Client) -> list[Contact]:
    """The client's contacts, each with ``lunar_birthday`` (e.g. "四月廿三", or "") for display."""
    contacts = list(client.contacts.all())
    for contact in contacts:
        contact.lunar_birthday = (
            lunar_date_label(contact.birthday)
            if contact.birthday_lunar and contact.birthday
            else ""
        )
    return contacts


def client_tags(client: Client) -> list[ClientTag]:
    """The tags of one client, by name (the detail page's overview)."""
    return list(client.tags.order_by("name"))


def region_options(*, user) -> list[str]:
    """Regions already entered on the clients ``user`` may see, A–Z (suggestions on the form)."""
    return list(
        clients_visible_to(user)
        .exclude(region="")
        .order_by("region")
        .values_list("region", flat=True)
        .distinct()
    )


def list_filter_options(*, user) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """``(regions, tags)`` for the client list's filters, read in one query.

    Regions are those of the clients ``user`` may see (``(region, region)`` pairs); tags are all
    the firm's tags (``(id, name)``). A UNION keeps the list page at its pinned query count.
    """
    text = CharField()
    regions = (
        clients_visible_to(user)
        .exclude(region="")
        .order_by()
        .annotate(kind=Value("region", output_field=text), key=Cast("region", text))
        .values_list("kind", "key", "region")
        .distinct()
    )
    tags = (
        ClientTag.objects.order_by()
        .annotate(kind=Value("tag", output_field=text), key=Cast("id", text))
        .values_list("kind", "key", "name")
    )
    region_rows: list[tuple[str, str]] = []
    tag_rows: list[tuple[int, str]] = []
    for kind, key, label in regions.union(tags, all=True):
        if kind == "region":
            region_rows.append((key, label))
        else:
            tag_rows.append((int(key), label))
    return sorted(set(region_rows)), sorted(tag_rows, key=lambda row: row[1])


def tag_list() -> QuerySet[ClientTag]:
    """All tags by name, each with ``client_count``: how many clients (firm-wide) carry it.

    Tags are the firm's shared vocabulary, so the count covers every client: it is what a rename
    or a delete affects.
    """
    return ClientTag.objects.annotate(client_count=Count("clients")).order_by("name")


def tag_get(pk: int) -> ClientTag | None:
    return ClientTag.objects.annotate(client_count=Count("clients")).filter(pk=pk).first()


def with_tags(queryset: QuerySet[Client]) -> QuerySet[Client]:
    """Load each client's tags in one extra query per batch (the export lists them)."""
    return queryset.prefetch_related(Prefetch("tags", queryset=ClientTag.objects.order_by("name")))


def client_by_uscc(uscc: str, *, exclude_pk: int | None = None) -> Client | None:
    """The client already registered under a 统一社会信用代码, whoever's it is (for duplicates)."""
    queryset = Client.objects.filter(uscc=uscc)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.only("id", "name").first()


def team_member_options() -> list[tuple[int, str]]:
    """Staff who can be on a client's team, for the list's "服务人员" filter."""
    from zhangfang.core.roles import Role
    from zhangfang.staff.models import User

    team_roles = [Role.SALES, Role.ACCOUNTANT, Role.TAX_SPECIALIST, Role.CUSTOMER_SERVICE]
    return list(
        User.objects.filter(is_active=True, groups__name__in=team_roles)
        .distinct()
        .order_by("name")
        .values_list("id", "name")
    )


def department_options() -> list[tuple[int, str]]:
    from zhangfang.staff.models import Department

    return list(Department.objects.filter(is_active=True).values_list("id", "name"))


def client_status_counts(*, user) -> list[tuple[str, str, int]]:
    """``(status, label, count)`` of the clients ``user`` may see, every status listed."""
    counts = dict(clients_visible_to(user).order_by().values_list("status").annotate(n=Count("id")))
    return [(code, label, counts.get(code, 0)) for code, label in ClientStatus.choices]


def clients_missing_information(*, user, limit: int) -> list[Client]:
    """Clients in service whose file lacks what the policy's 客户信息档案 needs (五（一）2).

    Missing: the 统一社会信用代码, the industry, or any contact with a mobile number.
    """
    has_reachable_contact = Exists(Contact.objects.filter(client=OuterRef("pk")).exclude(mobile=""))
    return list(
        clients_visible_to(user)
        .filter(status=ClientStatus.ACTIVE)
        .filter(Q(uscc__isnull=True) | Q(industry="") | ~has_reachable_contact)
        .order_by("name")
        .only("id", "name", "uscc", "industry")[:limit]
    )


def with_primary_contact(queryset: QuerySet[Client]) -> QuerySet[Client]:
    """Annotate each client with its primary contact's name and mobile (for exports)."""
    primary = Contact.objects.filter(client=OuterRef("pk")).order_by("-is_primary", "id")
    return queryset.annotate(
        primary_contact_name=Subquery(primary.values("name")[:1]),
        primary_contact_mobile=Subquery(primary.values("mobile")[:1]),
    )
