"""Negotiation rounds (合作洽谈, policy 二(三)3): log and correct rounds, audited on the prospect.

Rounds are append-mostly: a round can be corrected (audited with before/after) but never
deleted, so the history of offers stays whole. Logging the first round moves a prospect still
before 洽谈 in the pipeline to 洽谈.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhangfang.core import audit
from zhangfang.core.errors import DomainError
from zhangfang.core.money import to_money
from zhangfang.leads.models import NegotiationRound, PaymentMethod, Prospect, Stage, TaxNeed
from zhangfang.leads.services.prospects import prospect_move, prospect_rescore

#: Stages from which the first negotiation round moves the prospect on to 洽谈.
STAGES_BEFORE_NEGOTIATION = (Stage.LEAD, Stage.ASSESSMENT, Stage.VISIT)

NEGOTIATION_AUDIT_FIELDS = [
    "held_on",
    "proposed_fee",
    "payment_method",
    "term_months",
    "concerns",
    "agreed_points",
]
FIELDS = (
    "held_on",
    "services",
    "proposed_fee",
    "payment_method",
    "term_months",
    "concerns",
    "agreed_points",
)


def _snapshot(round_: NegotiationRound) -> dict[str, Any]:
    values = audit.snapshot(round_, NEGOTIATION_AUDIT_FIELDS)
    labels = dict(TaxNeed.choices)
    values["services"] = "、".join(str(labels.get(code, code)) for code in round_.services)
    return values


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """The round's values checked as the database would, with messages naming the field."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise DomainError(_("未知的字段：%(names)s") % {"names": "、".join(sorted(unknown))})
    values = dict(data)
    if not isinstance(values.get("held_on"), dt.date):
        raise DomainError(_("洽谈日期：请填写洽谈日期。"))
    try:
        fee = to_money(values.get("proposed_fee"))
    except (ValidationError, TypeError) as error:
        message = error.messages[0] if isinstance(error, ValidationError) else str(error)
        raise DomainError(_("报价（元/月）：%(message)s") % {"message": message}) from error
    if fee < Decimal("0"):
        raise DomainError(_("报价（元/月）：不能为负数。"))
    values["proposed_fee"] = fee
    if values.get("payment_method") not in PaymentMethod.values:
        raise DomainError(_("付款方式：请选择付款方式。"))
    term = values.get("term_months")
    if not isinstance(term, int) or isinstance(term, bool) or term < 1:
        raise DomainError(_("服务期限（月）：至少为 1 个月。"))
    services = list(dict.fromkeys(values.get("services") or []))
    if any(code not in TaxNeed.values for code in services):
        raise DomainError(_("洽谈服务：包含无效的服务项目。"))
    values["services"] = services
    values["concerns"] = (values.get("concerns") or "").strip()
    values["agreed_points"] = (values.get("agreed_points") or "").strip()
    return values


@transaction.atomic
def negotiation_log(*, prospect: Prospect, data: dict[str, Any], by) -> NegotiationRound:
    """Log a negotiation round of ``prospect``; the first one moves it to 洽谈; re-scores it."""
    values = _clean(data)
    prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
    first = not prospect.negotiations.exists()
    round_ = NegotiationRound.objects.create(
        prospect=prospect,
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
        **values,
    )
    audit.record(
        action="create",
        by=by,
        obj=round_,
        anchor=prospect,
        changes=audit.created(_snapshot(round_)),
    )
    if first and prospect.stage in STAGES_BEFORE_NEGOTIATION:
        prospect = prospect_move(
            prospect=prospect, to=Stage.NEGOTIATION, by=by, note=_("已记录首轮洽谈")
        )
    prospect_rescore(prospect)
    return round_


@transaction.atomic
def negotiation_update(
    *, negotiation: NegotiationRound, data: dict[str, Any], by
) -> NegotiationRound:
    """Correct a logged round; audited with the fields that changed. Rounds are never deleted."""
    values = _clean(data)
    current = (
        NegotiationRound.objects.select_for_update()
        .select_related("prospect")
        .get(pk=negotiation.pk)
    )
    before = _snapshot(current)
    for field, value in values.items():
        setattr(current, field, value)
    current.save()
    changes = audit.diff(before, _snapshot(current))
    if changes:
        audit.record(action="update", by=by, obj=current, anchor=current.prospect, changes=changes)
        prospect_rescore(current.prospect)
    return current
