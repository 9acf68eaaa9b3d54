"""Reads of negotiation rounds: a prospect's rounds in order, with the change of the offer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from zhangfang.core.scope import scope_q
from zhangfang.leads.models import NegotiationRound, Prospect, TaxNeed
from zhangfang.leads.selectors.prospects import PROSPECT_SCOPE


def negotiations_visible_to(user) -> QuerySet[NegotiationRound]:
    """Rounds of the prospects ``user`` may see."""
    if not getattr(user, "is_authenticated", False):
        return NegotiationRound.objects.none()
    return NegotiationRound.objects.filter(scope_q(user, PROSPECT_SCOPE, prefix="prospect__"))


def negotiation_get(*, user, pk: int) -> NegotiationRound | None:
    return negotiations_visible_to(user).select_related("prospect").filter(pk=pk).first()


@dataclass(frozen=True)
class RoundRow:
    """A round as the 洽谈 tab shows it: the change of the fee from the round before."""

    round: NegotiationRound
    service_labels: list[str]
    fee_change: Decimal | None


def negotiation_rounds(prospect: Prospect) -> list[RoundRow]:
    """The prospect's rounds, oldest first, each with the fee change since the previous one."""
    labels = dict(TaxNeed.choices)
    rows: list[RoundRow] = []
    previous: Decimal | None = None
    for round_ in prospect.negotiations.select_related("recorded_by").order_by("held_on", "id"):
        rows.append(
            RoundRow(
                round=round_,
                service_labels=[str(labels.get(code, code)) for code in round_.services],
                fee_change=None if previous is None else round_.proposed_fee - previous,
            )
        )
        previous = round_.proposed_fee
    return rows
