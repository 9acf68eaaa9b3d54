"""Reads of contracts and contract templates. Every contract query starts from
:func:`contracts_visible_to`: the drafter's department, the sales owner, the client's service team
(so the people who must act on a signed contract can open it, policy 二（三）4), and finance and
administrators firm-wide."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from zhangfang.clients.models import Client
from zhangfang.contracts.models import (
    Contract,
    ContractLine,
    ContractStatus,
    ContractTemplate,
    ServicePlanVersion,
)
from zhangfang.core.roles import Role, has_role
from zhangfang.core.scope import ScopePaths, scope_q

#: Where a contract keeps the people and department that decide who may see it.
CONTRACT_SCOPE = ScopePaths(
    department="department",
    owner="owner",
    assignees=("client__accountant", "client__tax_specialist", "client__customer_service"),
)

#: Sort keys of the contract list (see ``core.listing``); each ends with a unique field.
CONTRACT_SORTS = {
    "number": ("number", "id"),
    "client": ("client__search_pinyin", "id"),
    "status": ("status", "number", "id"),
    "start": ("start_date", "id"),
    "end": ("end_date", "id"),
    "total": ("total_amount", "id"),
    "created": ("created_at", "id"),
}

#: A renewal counts as "open" (blocking another one) unless it was terminated.
CLOSED_RENEWAL_STATUSES = (ContractStatus.TERMINATED, ContractStatus.CANCELLED)

#: Statuses in which a contract binds the firm and can run out: the renewal reminders look here.
RUNNING_STATUSES = (ContractStatus.SIGNED, ContractStatus.ACTIVE)


#: What a row of the list shows; loading only this keeps the client's encrypted fields (one
#: decryption per row) and the staff rows' password hashes out of the list.
LIST_ROW_FIELDS = (
    "number",
    "status",
    "start_date",
    "end_date",
    "total_amount",
    "created_at",
    "client",
    "client__name",
    "owner",
    "owner__name",
    "owner__username",
    "department",
    "department__name",
)


def contract_visible_q(user, *, prefix: str = "") -> Q:
    """The contracts ``user`` may see (``prefix`` is the path from another model to a contract)."""
    condition = scope_q(user, CONTRACT_SCOPE, prefix=prefix)
    if has_role(user, Role.DEPARTMENT_HEAD) and getattr(user, "department_id", None):
        # The heads of the client's department are told of a signed contract; they must be able to
        # open it even when a salesperson of another department drafted it.
        condition |= Q(**{f"{prefix}client__department": user.department_id})
    return condition


def contracts_visible_to(user) -> QuerySet[Contract]:
    return Contract.objects.filter(contract_visible_q(user))


@dataclass(frozen=True)
class ContractFilters:
    q: str = ""
    status: str = ""
    owner: int | None = None
    department: int | None = None
    expiring_days: int | None = None
    review: bool = False

    @property
    def active(self) -> bool:
        return bool(
            self.q
            or self.status
            or self.owner
            or self.department
            or self.expiring_days
            or self.review
        )


def _open_renewal() -> Exists:
    return Exists(
        Contract.objects.filter(renewed_from=OuterRef("pk")).exclude(
            status__in=CLOSED_RENEWAL_STATUSES
        )
    )


def reviewable_q(user) -> Q:
    """Contracts waiting for ``user``'s review: pending, of their department (administrators:
    every department), and not drafted by themselves (nobody approves their own contract)."""
    if has_role(user, Role.ADMIN):
        condition = Q()
    elif has_role(user, Role.DEPARTMENT_HEAD) and user.department_id:
        condition = Q(department=user.department_id)
    else:
        return Q(pk__in=[])
    return condition & Q(status=ContractStatus.PENDING) & ~Q(created_by=user.pk)


def contract_list(
    *, user, filters: ContractFilters, sort: str = "-created", today: dt.date | None = None
) -> QuerySet[Contract]:
    """Contracts ``user`` may see, filtered and sorted, with client, owner and department loaded."""
    queryset = (
        contracts_visible_to(user)
        .select_related("client", "owner", "department")
        .only(*LIST_ROW_FIELDS)
    )
    text = filters.q.strip()
    if text:
        queryset = queryset.filter(Q(number__icontains=text) | Q(client__name__icontains=text))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.owner:
        queryset = queryset.filter(owner_id=filters.owner)
    if filters.department:
        queryset = queryset.filter(department_id=filters.department)
    if filters.expiring_days:
        today = today or timezone.localdate()
        queryset = queryset.filter(
            status__in=RUNNING_STATUSES,
            end_date__gte=today,
            end_date__lte=today + dt.timedelta(days=filters.expiring_days),
        )
    if filters.review:
        queryset = queryset.filter(reviewable_q(user))
    descending = sort.startswith("-")
    keys = CONTRACT_SORTS.get(sort.lstrip("-"), CONTRACT_SORTS["created"])
    return queryset.order_by(*[f"-{key}" if descending else key for key in keys])


def contract_get(*, user, pk: int) -> Contract | None:
    """One contract with everything its page shows, or None if missing or outside the scope."""
    return (
        contracts_visible_to(user)
        .select_related(
            "client",
            "client__department",
            "client__accountant",
            "client__tax_specialist",
            "client__customer_service",
            "owner",
            "department",
            "payment_term",
            "plan_version",
            "plan_version__plan",
            "template",
            "renewed_from",
            "reviewer",
            "created_by",
        )
        .annotate(has_open_renewal=_open_renewal())
        .filter(pk=pk)
        .first()
    )


def contract_lines(contract: Contract) -> list[ContractLine]:
    return list(contract.lines.order_by("sort_order", "id"))


def contract_renewals(contract: Contract) -> list[Contract]:
    """The contracts that renew ``contract``, newest first (terminated ones included)."""
    return list(contract.renewals.order_by("-created_at", "-id").only("id", "number", "status"))


def has_open_renewal(contract: Contract) -> bool:
    return (
        Contract.objects.filter(renewed_from=contract)
        .exclude(status__in=CLOSED_RENEWAL_STATUSES)
        .exists()
    )


def open_contract_for_plan_version(plan_version: ServicePlanVersion) -> Contract | None:
    """A contract already drafted from this plan version and not terminated or cancelled
    (renewals aside)."""
    return (
        Contract.objects.filter(plan_version=plan_version, renewed_from__isnull=True)
        .exclude(status__in=CLOSED_RENEWAL_STATUSES)
        .only("id", "number")
        .first()
    )


def client_contracts(*, user, client: Client) -> list[Contract]:
    """The contracts of ``client`` that ``user`` may see, newest first (the client's 合同 tab)."""
    return list(
        contracts_visible_to(user)
        .filter(client=client)
        .select_related("owner")
        .order_by("-start_date", "-id")
    )


def accepted_plan_versions(*, user, client: Client | None = None) -> QuerySet[ServicePlanVersion]:
    """Plan versions ``user`` may draft a contract from (the plans part's selector)."""
    from zhangfang.contracts.selectors.plans import accepted_plan_versions as from_plans

    return from_plans(user=user, client=client)


def draftable_plan_versions(*, user, client: Client) -> list[ServicePlanVersion]:
    """Accepted plan versions of ``client`` that no open contract was drafted from yet."""
    drafted = Contract.objects.filter(
        plan_version=OuterRef("pk"), renewed_from__isnull=True
    ).exclude(status__in=CLOSED_RENEWAL_STATUSES)
    return list(accepted_plan_versions(user=user, client=client).filter(~Exists(drafted)))


def accepted_plan_version_get(*, user, pk: int) -> ServicePlanVersion | None:
    return accepted_plan_versions(user=user).filter(pk=pk).first()


# -- who is told, and what the daily job works on --------------------------------------------


def finance_staff() -> list:
    """Every active finance user: they bill a signed contract."""
    from zhangfang.staff.models import User

    return list(User.objects.filter(is_active=True, groups__name=Role.FINANCE).distinct())


def department_heads(department_id: int | None) -> list:
    """The active heads of a department (empty for no department)."""
    from zhangfang.staff.models import User

    if not department_id:
        return []
    return list(
        User.objects.filter(
            is_active=True, groups__name=Role.DEPARTMENT_HEAD, department_id=department_id
        ).distinct()
    )


def contracts_to_activate(*, today: dt.date) -> QuerySet[Contract]:
    """Signed contracts whose service has begun."""
    return Contract.objects.filter(status=ContractStatus.SIGNED, start_date__lte=today).order_by(
        "start_date", "id"
    )


def contracts_to_expire(*, today: dt.date) -> QuerySet[Contract]:
    """Contracts in force whose last day has passed."""
    return Contract.objects.filter(status=ContractStatus.ACTIVE, end_date__lt=today).order_by(
        "end_date", "id"
    )


def contracts_due_for_renewal(*, today: dt.date, days: int) -> QuerySet[Contract]:
    """Running contracts ending within ``days`` days that no open renewal follows yet."""
    return (
        Contract.objects.filter(
            status__in=RUNNING_STATUSES,
            end_date__gte=today,
            end_date__lte=today + dt.timedelta(days=days),
        )
        .annotate(has_open_renewal=_open_renewal())
        .filter(has_open_renewal=False)
        .select_related("client", "client__customer_service", "owner")
        .order_by("end_date", "id")
    )


# -- options for the filter bar ---------------------------------------------------------------


def owner_options() -> list[tuple[int, str]]:
    """Staff who own at least one contract, for the list's "经办人" filter."""
    from zhangfang.staff.models import User

    return list(
        User.objects.filter(Exists(Contract.objects.filter(owner=OuterRef("pk"))))
        .order_by("name")
        .values_list("id", "name")
    )


def department_options() -> list[tuple[int, str]]:
    from zhangfang.clients.selectors import department_options as options

    return options()


# -- contract templates ------------------------------------------------------------------------


def template_list() -> list[ContractTemplate]:
    return list(ContractTemplate.objects.order_by("-is_default", "name"))


def template_get(*, pk: int) -> ContractTemplate | None:
    return ContractTemplate.objects.filter(pk=pk).first()


def active_templates() -> QuerySet[ContractTemplate]:
    return ContractTemplate.objects.filter(is_active=True).order_by("-is_default", "name")


def default_template() -> ContractTemplate | None:
    return active_templates().first()


def contract_counts_for_home(*, user, today: dt.date, days: int) -> dict[str, int]:
    """What the home panel counts: contracts waiting for ``user``'s review, and running
    contracts ``user`` may see that end within ``days`` days."""
    return {
        "to_review": Contract.objects.filter(reviewable_q(user)).count(),
        "expiring": contracts_visible_to(user)
        .filter(
            status__in=RUNNING_STATUSES,
            end_date__gte=today,
            end_date__lte=today + dt.timedelta(days=days),
        )
        .count(),
    }
