"""Which clients a bulletin or an event invitation reaches: clients in service matching every
criterion given (industry, taxpayer type, region, tag); an empty criterion matches all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet

from zhangfang.clients.models import Client, ClientStatus


@dataclass(frozen=True)
class Target:
    industries: Sequence[str] = field(default_factory=tuple)
    taxpayer_types: Sequence[str] = field(default_factory=tuple)
    regions: Sequence[str] = field(default_factory=tuple)
    tag_ids: Sequence[int] = field(default_factory=tuple)


def clients_matching(target: Target) -> QuerySet[Client]:
    """The clients in service that ``target`` selects, each once, in name order.

    Firm-wide on purpose: a bulletin on a new tax rule goes to every client it concerns, whoever
    serves them; who may publish is decided by the caller's permission check.
    """
    clients = Client.objects.filter(status=ClientStatus.ACTIVE)
    if target.industries:
        clients = clients.filter(industry__in=list(target.industries))
    if target.taxpayer_types:
        clients = clients.filter(taxpayer_type__in=list(target.taxpayer_types))
    if target.regions:
        clients = clients.filter(region__in=list(target.regions))
    if target.tag_ids:
        # A subquery rather than a join, so a client with two of the tags is counted once.
        clients = clients.filter(
            pk__in=Client.tags.through.objects.filter(clienttag_id__in=list(target.tag_ids)).values(
                "client_id"
            )
        )
    return clients.order_by("search_pinyin", "id")


def regions_in_use() -> list[str]:
    """The regions clients in service are registered in, for the targeting form's choices."""
    return list(
        Client.objects.filter(status=ClientStatus.ACTIVE)
        .exclude(region="")
        .order_by("region")
        .values_list("region", flat=True)
        .distinct()
    )
