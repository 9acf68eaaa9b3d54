"""Statements of account (对账单): issuing one for a period, and recording the client's answer.

The policy asks finance to 定期与客户进行核对 (三（四）4): a statement states, from the fee ledger,
what the client owed at the start of a period, what was billed, received and credited in it and
what is owed at its end; the client confirms it or names the items it disputes.

A statement is answered once. If the client disputes it and the ledger is corrected (a credit, a
reversal), finance issues a new statement for the same period (``statement_reissue``) and the
client answers that one; the old statement and its answer stay as they were, for the record.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.billing.models import ConfirmationMethod, Statement, StatementStatus
from zhangfang.billing.selectors.statements import statement_compute
from zhangfang.core import audit
from zhangfang.core.errors import DomainError, TransitionNotAllowed

STATEMENT_FIELDS = [
    "client",
    "period_start",
    "period_end",
    "opening_balance",
    "billed",
    "received",
    "credited",
    "closing_balance",
    "status",
]
RESPONSE_FIELDS = [
    "status",
    "confirmed_by_name",
    "confirmation_method",
    "responded_on",
    "disputed_items",
]

#: The answers a client can give to an issued statement.
RESPONSES = (StatementStatus.CONFIRMED, StatementStatus.DISPUTED)


@transaction.atomic
def statement_issue(*, client, start: dt.date, end: dt.date, by) -> Statement:
    """Issue ``client``'s statement for ``start``–``end`` (both included): compute the figures
    from the ledger, store them, and write one audit event. The period must not end in the
    future (entries of days to come are not final)."""
    if start > end:
        raise DomainError(_("对账期起不能晚于对账期止。"))
    if end > timezone.localdate():
        raise DomainError(_("对账期止不能晚于今天。"))
    figures = statement_compute(client=client, start=start, end=end)
    statement = Statement.objects.create(
        client=client,
        period_start=start,
        period_end=end,
        opening_balance=figures.opening_balance,
        billed=figures.billed,
        received=figures.received,
        credited=figures.credited,
        closing_balance=figures.closing_balance,
        status=StatementStatus.ISSUED,
        issued_by=by,
    )
    audit.record(
        action="create",
        by=by,
        obj=statement,
        anchor=client,
        changes=audit.created(audit.snapshot(statement, STATEMENT_FIELDS)),
    )
    return statement


@transaction.atomic
def statement_reissue(*, statement: Statement, by) -> Statement:
    """Issue a new statement for the same client and period, with the ledger as it is now (after
    a disputed statement's items were corrected). The old statement is kept unchanged."""
    return statement_issue(
        client=statement.client, start=statement.period_start, end=statement.period_end, by=by
    )


@transaction.atomic
def statement_record_response(
    *,
    statement: Statement,
    status: str,
    confirmed_by_name: str,
    method: str,
    responded_on: dt.date,
    disputed_items: str = "",
    by,
) -> Statement:
    """Record the client's answer to an issued statement: confirmed, or disputed with the items.

    ``confirmed_by_name`` is the client's person who answered, ``method`` how (signed receipt,
    e-mail, WeChat, phone). A statement is answered once; to answer again, reissue it.
    """
    locked = Statement.objects.select_for_update().get(pk=statement.pk)
    if locked.status != StatementStatus.ISSUED:
        raise TransitionNotAllowed(
            _(
                "该对账单已登记客户回复（%(status)s），不能重复登记；如需重新核对，请重新出具对账单。"
            )
            % {"status": locked.get_status_display()}
        )
    if status not in RESPONSES:
        raise DomainError(_("客户回复须为“确认无误”或“有异议”。"))
    if method not in ConfirmationMethod.values:
        raise DomainError(_("请选择确认方式。"))
    confirmed_by_name = (confirmed_by_name or "").strip()
    if not confirmed_by_name:
        raise DomainError(_("请填写客户确认人。"))
    disputed_items = (disputed_items or "").strip()
    if status == StatementStatus.DISPUTED and not disputed_items:
        raise DomainError(_("客户有异议时，须写明异议事项。"))
    if status == StatementStatus.CONFIRMED:
        disputed_items = ""
    if responded_on < locked.created_at.astimezone(timezone.get_current_timezone()).date():
        raise DomainError(_("回复日期不能早于对账单出具日期。"))
    if responded_on > timezone.localdate():
        raise DomainError(_("回复日期不能晚于今天。"))
    before = audit.snapshot(locked, RESPONSE_FIELDS)
    locked.status = status
    locked.confirmed_by_name = confirmed_by_name
    locked.confirmation_method = method
    locked.responded_on = responded_on
    locked.disputed_items = disputed_items
    locked.recorded_by = by
    locked.save(
        update_fields=[
            "status",
            "confirmed_by_name",
            "confirmation_method",
            "responded_on",
            "disputed_items",
            "recorded_by",
        ]
    )
    audit.record(
        action="status",
        by=by,
        obj=locked,
        anchor=locked.client,
        changes=audit.diff(before, audit.snapshot(locked, RESPONSE_FIELDS)),
    )
    return locked
