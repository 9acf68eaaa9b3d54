"""Reads of policy bulletins: the list with each bulletin's reach and opens, a bulletin's
delivery totals and its delivery table (scoped to the clients the user may see), the targeting
preview, and the bulletins one client received."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from zhangfang.care.models import (
    Bulletin,
    BulletinDelivery,
    BulletinStatus,
    DeliveryChannel,
    DeliveryStatus,
)
from zhangfang.care.selectors.targeting import Target, clients_matching
from zhangfang.clients.models import Client, ClientTag, Industry, TaxpayerType
from zhangfang.clients.selectors import client_visible_q

#: Sort keys of the bulletin list.
BULLETIN_SORTS = {
    "created": ("created_at", "id"),
    "sent": ("sent_at", "id"),
    "title": ("title", "id"),
}

#: Sort keys of a bulletin's delivery table.
DELIVERY_SORTS = {
    "client": ("client__search_pinyin", "client_id", "channel", "id"),
    "sent": ("sent_at", "id"),
    "opened": ("opened_at", "id"),
}

#: How many client names the targeting preview shows.
PREVIEW_NAMES = 5


# ---------------------------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulletinFilters:
    status: str = ""
    category: str = ""
    q: str = ""


def bulletin_list(*, filters: BulletinFilters, drafts: bool, ordering) -> QuerySet[Bulletin]:
    """The list page's bulletins; ``drafts`` is False for readers, who see published ones only.

    Bulletins are firm-wide (a tax rule concerns whoever it concerns), so there is no client
    scope here; the delivery table of one bulletin is scoped (:func:`delivery_list`).
    """
    queryset = Bulletin.objects.select_related("created_by").only(
        "id",
        "title",
        "category",
        "status",
        "channels",
        "sent_at",
        "created_at",
        "created_by__id",
        "created_by__name",
        "created_by__username",
    )
    if not drafts:
        queryset = queryset.filter(status=BulletinStatus.SENT)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.q:
        queryset = queryset.filter(Q(title__icontains=filters.q) | Q(summary__icontains=filters.q))
    return queryset.order_by(*ordering)


@dataclass(frozen=True)
class Reach:
    """Clients a bulletin reached (on their record) and clients who opened one of its links."""

    clients: int = 0
    opened: int = 0


def bulletin_reach(bulletin_ids: list[int]) -> dict[int, Reach]:
    """:class:`Reach` of each bulletin in ``bulletin_ids``, from one grouped query."""
    if not bulletin_ids:
        return {}
    rows = (
        BulletinDelivery.objects.filter(bulletin_id__in=bulletin_ids)
        .order_by()
        .values("bulletin_id")
        .annotate(
            clients=Count("id", filter=Q(channel=DeliveryChannel.RECORD)),
            opened=Count("client_id", filter=Q(opened_at__isnull=False), distinct=True),
        )
    )
    return {row["bulletin_id"]: Reach(row["clients"], row["opened"]) for row in rows}


def bulletin_get(*, pk: int, drafts: bool) -> Bulletin | None:
    """The bulletin, or None if it does not exist or is a draft and ``drafts`` is False."""
    queryset = Bulletin.objects.select_related("created_by", "sent_by").filter(pk=pk)
    if not drafts:
        queryset = queryset.filter(status=BulletinStatus.SENT)
    return queryset.first()


# ---------------------------------------------------------------------------------------------
# One bulletin's deliveries
# ---------------------------------------------------------------------------------------------


def rate(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal; None when ``whole`` is zero."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class DeliveryTotals:
    """A bulletin's deliveries counted per channel and status, over every client.

    ``reached`` counts the clients an outbound message was sent to, ``opened`` those who opened
    a link; the open rate is the one over the other.
    """

    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    clients: int = 0
    reached: int = 0
    opened: int = 0

    @property
    def open_rate(self) -> Decimal | None:
        return rate(self.opened, self.reached)

    def count(self, channel: str, status: str = "") -> int:
        counts = self.by_channel.get(channel, {})
        return counts.get(status, 0) if status else sum(counts.values())

    @property
    def failed(self) -> int:
        return sum(counts.get(DeliveryStatus.FAILED, 0) for counts in self.by_channel.values())

    @property
    def queued(self) -> int:
        return sum(counts.get(DeliveryStatus.QUEUED, 0) for counts in self.by_channel.values())

    def rows(self) -> list[dict]:
        """One row per channel used, in the channels' order, with a count per status."""
        return [
            {
                "channel": channel,
                "label": label,
                "total": self.count(channel),
                "statuses": [self.count(channel, status) for status in DeliveryStatus.values],
            }
            for channel, label in DeliveryChannel.choices
            if channel in self.by_channel
        ]


def delivery_totals(bulletin: Bulletin) -> DeliveryTotals:
    """:class:`DeliveryTotals` of ``bulletin`` in two queries (a grouped count and the distinct
    clients reached and opened)."""
    totals = DeliveryTotals()
    deliveries = BulletinDelivery.objects.filter(bulletin=bulletin).order_by()
    for row in deliveries.values("channel", "status").annotate(n=Count("id")):
        totals.by_channel.setdefault(row["channel"], {})[row["status"]] = row["n"]
    totals.clients = totals.count(DeliveryChannel.RECORD)
    clients = deliveries.aggregate(
        reached=Count(
            "client_id",
            filter=~Q(channel=DeliveryChannel.RECORD) & Q(status=DeliveryStatus.SENT),
            distinct=True,
        ),
        opened=Count("client_id", filter=Q(opened_at__isnull=False), distinct=True),
    )
    totals.reached = clients["reached"] or 0
    totals.opened = clients["opened"] or 0
    return totals


@dataclass(frozen=True)
class DeliveryFilters:
    status: str = ""
    channel: str = ""
    opened: bool = False
    q: str = ""


def sees_every_client(user) -> bool:
    """Whether ``user``'s client scope is the whole firm (an empty filter)."""
    return not client_visible_q(user)


def delivery_list(
    *, user, bulletin: Bulletin, filters: DeliveryFilters, ordering
) -> QuerySet[BulletinDelivery]:
    """``bulletin``'s deliveries to the clients ``user`` may see, with client and contact."""
    queryset = (
        BulletinDelivery.objects.filter(client_visible_q(user, prefix="client__"))
        .filter(bulletin=bulletin)
        .select_related("client", "contact")
        .only(
            "id",
            "bulletin_id",
            "channel",
            "address",
            "status",
            "error",
            "sent_at",
            "opened_at",
            "client__id",
            "client__name",
            "contact__id",
            "contact__name",
        )
    )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.opened:
        queryset = queryset.filter(opened_at__isnull=False)
    if filters.q:
        queryset = queryset.filter(client__name__icontains=filters.q)
    return queryset.order_by(*ordering)


# ---------------------------------------------------------------------------------------------
# Targeting preview
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    count: int
    names: list[str]


def target_preview(target: Target, *, names: int = PREVIEW_NAMES) -> Preview:
    """How many clients in service ``target`` reaches and the first few names (two queries)."""
    clients = clients_matching(target)
    return Preview(clients.count(), list(clients.values_list("name", flat=True)[:names]))


# ---------------------------------------------------------------------------------------------
# A client's bulletins
# ---------------------------------------------------------------------------------------------


@dataclass
class ClientBulletin:
    """One bulletin a client received: the bulletin, when it reached the record, each outbound
    channel's delivery and when the client first opened it."""

    bulletin: Bulletin
    received_at: dt.datetime | None = None
    channels: list[BulletinDelivery] = field(default_factory=list)
    opened_at: dt.datetime | None = None


def client_bulletins(client: Client, *, limit: int = 50) -> list[ClientBulletin]:
    """The latest ``limit`` bulletins ``client`` received, newest first, in two queries."""
    bulletin_ids = list(
        BulletinDelivery.objects.filter(client=client, channel=DeliveryChannel.RECORD)
        .order_by("-bulletin_id")
        .values_list("bulletin_id", flat=True)[:limit]
    )
    if not bulletin_ids:
        return []
    deliveries = (
        BulletinDelivery.objects.filter(client=client, bulletin_id__in=bulletin_ids)
        .select_related("bulletin")
        .only(
            "id",
            "client_id",
            "channel",
            "address",
            "status",
            "error",
            "sent_at",
            "opened_at",
            "bulletin__id",
            "bulletin__title",
            "bulletin__category",
            "bulletin__sent_at",
        )
        .order_by("-bulletin_id", "channel", "id")
    )
    entries: dict[int, ClientBulletin] = {}
    for delivery in deliveries:
        entry = entries.setdefault(delivery.bulletin_id, ClientBulletin(delivery.bulletin))
        if delivery.channel == DeliveryChannel.RECORD:
            entry.received_at = delivery.sent_at
        else:
            entry.channels.append(delivery)
        if delivery.opened_at and (entry.opened_at is None or delivery.opened_at < entry.opened_at):
            entry.opened_at = delivery.opened_at
    return list(entries.values())


# ---------------------------------------------------------------------------------------------
# What a bulletin targets, in words
# ---------------------------------------------------------------------------------------------


def target_labels(bulletin: Bulletin) -> list[tuple[str, list[str]]]:
    """Each targeting criterion of ``bulletin`` with the names of what it selects; empty lists
    (any) included, so the page can say "全部". One query when tags are targeted."""
    industries = dict(Industry.choices)
    taxpayer_types = dict(TaxpayerType.choices)
    tags = (
        list(
            ClientTag.objects.filter(pk__in=bulletin.target_tags)
            .order_by("name")
            .values_list("name", flat=True)
        )
        if bulletin.target_tags
        else []
    )
    return [
        (
            str(Bulletin._meta.get_field("target_industries").verbose_name),
            [f"{code} {industries.get(code, code)}" for code in bulletin.target_industries],
        ),
        (
            str(Bulletin._meta.get_field("target_taxpayer_types").verbose_name),
            [str(taxpayer_types.get(code, code)) for code in bulletin.target_taxpayer_types],
        ),
        (
            str(Bulletin._meta.get_field("target_regions").verbose_name),
            list(bulletin.target_regions),
        ),
        (str(Bulletin._meta.get_field("target_tags").verbose_name), tags),
    ]
