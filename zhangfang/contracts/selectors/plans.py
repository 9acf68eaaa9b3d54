"""Reads of service plans. Every query starts from :func:`plans_visible_to`: the client's data
scope (an accountant sees the plans of the clients assigned to them, a department head their
department's, finance and administrators all), plus, for sales, the plans they drafted."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from zhangfang.clients.models import Client, ClientStatus
from zhangfang.clients.selectors import ClientFilters, client_list, client_visible_q
from zhangfang.contracts.models import (
    PlanResponse,
    PlanStatus,
    ServicePlan,
    ServicePlanVersion,
)
from zhangfang.contracts.pricing import to_cents
from zhangfang.core.roles import Role, has_role

#: Sort keys of the plan list (see ``core.listing``); each ends with a unique field.
PLAN_SORTS = {
    "updated": ("updated_at", "id"),
    "client": ("client__search_pinyin", "id"),
    "title": ("title", "id"),
    "status": ("status", "updated_at", "id"),
    "total": ("latest_total", "id"),
}


def plan_visible_q(user, *, prefix: str = "") -> Q:
    """The plans ``user`` may see (``prefix`` is the path from another model to the plan)."""
    condition = client_visible_q(user, prefix=f"{prefix}client__")
    if has_role(user, Role.SALES):
        # A salesperson keeps seeing the plans they drafted after the client is handed over.
        condition |= Q(**{f"{prefix}owner": user.pk})
    return condition


def plans_visible_to(user) -> QuerySet[ServicePlan]:
    return ServicePlan.objects.filter(plan_visible_q(user))


@dataclass(frozen=True)
class PlanFilters:
    q: str = ""
    status: str = ""
    owner: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.owner)


def _latest(field: str) -> Subquery:
    return Subquery(
        ServicePlanVersion.objects.filter(plan=OuterRef("pk")).order_by("-number").values(field)[:1]
    )


def plan_list(*, user, filters: PlanFilters, ordering: list | None = None) -> QuerySet[ServicePlan]:
    """Plans ``user`` may see, filtered, each with its latest version's number, total and link
    expiry annotated (``latest_number``, ``latest_total``, ``latest_expires_at``)."""
    queryset = (
        plans_visible_to(user)
        .select_related("client", "owner")
        .only(
            "title",
            "status",
            "updated_at",
            "client__name",
            "client__search_pinyin",
            "owner__name",
            "owner__username",
        )
        .annotate(
            latest_number=_latest("number"),
            latest_total=_latest("total"),
            latest_expires_at=_latest("expires_at"),
        )
    )
    text = filters.q.strip()
    if text:
        queryset = queryset.filter(
            Q(client__name__icontains=text)
            | Q(client__short_name__icontains=text)
            | Q(title__icontains=text)
        )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.owner:
        queryset = queryset.filter(owner_id=filters.owner)
    return queryset.order_by(*(ordering or ["-updated_at", "-id"]))


def plan_owner_options(*, user) -> list[tuple[int, str]]:
    """Owners of the plans ``user`` may see, for the list's filter."""
    from zhangfang.staff.models import User

    return list(
        User.objects.filter(pk__in=plans_visible_to(user).values("owner_id"))
        .order_by("name")
        .values_list("id", "name")
    )


def _versions_with_lines() -> Prefetch:
    return Prefetch(
        "versions",
        queryset=ServicePlanVersion.objects.select_related("payment_term", "created_by")
        .prefetch_related("lines")
        .order_by("-number"),
    )


def plan_get(*, user, pk: int) -> ServicePlan | None:
    """One plan with its client, owner and every version (newest first) with its lines, or
    None when it does not exist or ``user`` may not see it."""
    return (
        plans_visible_to(user)
        .select_related("client", "owner", "department")
        .prefetch_related(_versions_with_lines())
        .filter(pk=pk)
        .first()
    )


def client_plans(*, user, client: Client) -> list[ServicePlan]:
    """The plans of ``client`` that ``user`` may see, newest first, with the latest version's
    number and total annotated (the client page's 服务方案 tab)."""
    return list(
        plans_visible_to(user)
        .filter(client=client)
        .select_related("owner")
        .annotate(
            latest_number=_latest("number"),
            latest_total=_latest("total"),
            latest_expires_at=_latest("expires_at"),
        )
        .order_by("-updated_at", "-id")
    )


def accepted_plan_versions(*, user, client: Client | None = None) -> QuerySet[ServicePlanVersion]:
    """Versions the client accepted, of plans that stand accepted, that ``user`` may see,
    newest answer first: what a contract is drafted from. Lines and payment terms are loaded."""
    queryset = ServicePlanVersion.objects.filter(
        plan_visible_q(user, prefix="plan__"),
        response=PlanResponse.ACCEPTED,
        plan__status=PlanStatus.ACCEPTED,
    )
    if client is not None:
        queryset = queryset.filter(plan__client=client)
    return (
        queryset.select_related("plan__client", "plan__owner", "payment_term")
        .prefetch_related("lines")
        .order_by("-responded_at", "-id")
    )


def plannable_client(*, user, pk: int) -> Client | None:
    """A client ``user`` may see and draft a plan for (a prospect or a client in service)."""
    return (
        Client.objects.filter(client_visible_q(user))
        .filter(pk=pk, status__in=[ClientStatus.PROSPECT, ClientStatus.ACTIVE])
        .select_related("department")
        .first()
    )


def plannable_client_search(*, user, q: str, limit: int = 10) -> list[Client]:
    """Clients matching ``q`` (name, pinyin, credit code, contact) that ``user`` may draft a
    plan for, for the picker on the new-plan page."""
    if not q.strip():
        return []
    return list(
        client_list(user=user, filters=ClientFilters(q=q), table_row_only=True).filter(
            status__in=[ClientStatus.PROSPECT, ClientStatus.ACTIVE]
        )[:limit]
    )


def plan_edit_version(*, pk: int) -> int:
    """The plan's current edit version (to rebase a form after a refused save)."""
    return ServicePlan.objects.values_list("version", flat=True).get(pk=pk)


@dataclass(frozen=True)
class VersionFigures:
    cycles: int  # bills over the term
    per_cycle: Decimal  # what each bill of the payment cycle charges
    first_bill: Decimal  # the first cycle plus the one-off charges
    list_total: Decimal  # the recurring fees before the payment term's discount


def version_figures(version: ServicePlanVersion) -> VersionFigures:
    """The per-bill figures of a version, from the amounts it was priced with.

    They are derived from the stored totals rather than priced again, so they stay what the
    client was shown even after the price list or the payment term changes; ``pricing.quote``
    charges every cycle the same amount, so the recurring total divides exactly.
    """
    cycles = max(version.term_months // max(version.payment_term.months, 1), 1)
    recurring = version.total - version.one_off_total
    per_cycle = to_cents(recurring / cycles)
    return VersionFigures(
        cycles=cycles,
        per_cycle=per_cycle,
        first_bill=per_cycle + version.one_off_total,
        list_total=recurring + version.discount_total,
    )
