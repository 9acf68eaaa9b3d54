"""Working the monthly steps (policy 三（二）3): start, complete, reopen, reassign, bulk
updates, and the rules a step's completion must meet.

- 收票 is complete only with a handover list signed off by both sides.
- 审核 is complete only after 做账, and never by the person who did the bookkeeping
  (录入与审核分离).
- A 申报 of a tax is complete only once the client confirmed the tax amount (税款测算), unless a
  department head allowed it with a written reason (:func:`filing_override`).

Every change writes one audit event anchored on the client.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.core import audit
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.roles import is_admin_or_head_of
from zhangfang.delivery.models import (
    ConfirmationStatus,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services.generation import TAXES

W = WorkStatus

#: From each status, where a step may go. Reopening a finished step is for department heads.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    W.TODO: frozenset({W.IN_PROGRESS, W.DONE}),
    W.IN_PROGRESS: frozenset({W.DONE, W.TODO}),
    W.DONE: frozenset({W.IN_PROGRESS}),
    W.CANCELLED: frozenset(),
}


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def heads_client(user, client) -> bool:
    """An administrator, or a head of the client's department."""
    return is_admin_or_head_of(user, client.department_id)


def can_work(user, item: WorkItem) -> bool:
    """The step's assignee, the client's service team and the heads of its department."""
    client = item.client
    return (
        item.assignee_id == user.pk
        or user.pk in (client.accountant_id, client.tax_specialist_id, client.customer_service_id)
        or heads_client(user, client)
    )


def can_reopen(user, item: WorkItem) -> bool:
    return heads_client(user, item.client)


def can_reassign(user, item: WorkItem) -> bool:
    return heads_client(user, item.client)


def can_override(user, item: WorkItem) -> bool:
    return heads_client(user, item.client)


# ---------------------------------------------------------------------------------------------
# The completion rules
# ---------------------------------------------------------------------------------------------


def _sibling(item: WorkItem, step: str) -> WorkItem | None:
    return WorkItem.objects.filter(client_id=item.client_id, period=item.period, step=step).first()


def needs_client_confirmation(item: WorkItem) -> bool:
    """A return carrying a tax needs the client's confirmation of the amount before filing."""
    return item.step == WorkStep.FILING and item.filing in TAXES


def client_confirmed(item: WorkItem) -> bool:
    """Whether the client confirmed the period's tax estimate (no estimate step: nothing to
    confirm)."""
    estimate = _sibling(item, WorkStep.TAX_ESTIMATE)
    if estimate is None:
        return True
    confirmation = getattr(estimate, "confirmation", None)
    return confirmation is not None and confirmation.status == ConfirmationStatus.CONFIRMED


def completion_problem(item: WorkItem, by) -> str | None:
    """Why ``by`` may not complete ``item`` now, or None."""
    if item.step == WorkStep.RECEIPTS:
        handover = getattr(item, "handover", None)
        if handover is None or not handover.lines.exists():
            return _("收票须先填写交接清单（资料类型、数量、收到日期）。")
        if not handover.confirmed:
            return _("交接清单须经双方确认后才能完成收票。")
    if item.step == WorkStep.REVIEW:
        bookkeeping = _sibling(item, WorkStep.BOOKKEEPING)
        if bookkeeping is not None:
            if bookkeeping.status != W.DONE:
                return _("做账完成后才能审核。")
            if bookkeeping.completed_by_id == by.pk:
                return _("审核须由做账人以外的人员完成（录入与审核分离）。")
    if item.step == WorkStep.TAX_ESTIMATE and not client_confirmed(item):
        return _("税款测算须经客户确认后才算完成。")
    if needs_client_confirmation(item) and not item.override_reason and not client_confirmed(item):
        return _("客户尚未确认本期税款，不能完成申报；如确需先行申报，请部门负责人填写理由批准。")
    return None


# ---------------------------------------------------------------------------------------------
# Moves
# ---------------------------------------------------------------------------------------------


def _locked(item: WorkItem) -> WorkItem:
    return (
        WorkItem.objects.select_for_update(of=("self",))
        .select_related("client", "assignee")
        .get(pk=item.pk)
    )


def _describe(item: WorkItem) -> str:
    return f"{item.client} · {item.period:%Y-%m} · {item.label}"


def _check(item: WorkItem, to: str, by) -> None:
    if to not in ALLOWED_MOVES.get(item.status, frozenset()):
        raise TransitionNotAllowed(
            _("%(item)s：不能从“%(from)s”改为“%(to)s”。")
            % {"item": _describe(item), "from": item.get_status_display(), "to": W(to).label}
        )
    if item.status == W.DONE and not can_reopen(by, item):
        raise DomainError(_("只有部门负责人可以重新打开已完成的工作。"))
    if not can_work(by, item):
        raise DomainError(_("您不负责此项工作。"))
    if to == W.DONE:
        problem = completion_problem(item, by)
        if problem:
            raise DomainError(
                _("%(item)s：%(problem)s") % {"item": _describe(item), "problem": problem}
            )


def _move(item: WorkItem, to: str, by, *, fields: dict[str, Any] | None = None, detail="") -> None:
    before = item.get_status_display()
    now = timezone.now()
    item.status = to
    if to == W.IN_PROGRESS and item.started_at is None:
        item.started_at = now
    if to == W.DONE:
        item.completed_at = now
        item.completed_by = by
    elif item.completed_at is not None:
        item.completed_at = None
        item.completed_by = None
    changes = {"status": [before, item.get_status_display()]}
    for name, value in (fields or {}).items():
        old = getattr(item, name)
        if old != value:
            setattr(item, name, value)
            changes[name] = [audit.jsonable(old), audit.jsonable(value)]
    item.version += 1
    item.save()
    audit.record(
        action="status", by=by, obj=item, anchor=item.client, changes=changes, detail=detail
    )


def _completion_fields(item: WorkItem, zero_filing: bool | None, tax_amount, note: str):
    fields: dict[str, Any] = {}
    if item.step == WorkStep.FILING:
        if zero_filing is not None:
            fields["zero_filing"] = zero_filing
        if tax_amount is not None:
            if tax_amount < 0:
                raise DomainError(_("税额不能为负数。"), field="tax_amount")
            fields["tax_amount"] = Decimal(tax_amount).quantize(Decimal("0.01"))
        if fields.get("zero_filing") and fields.get("tax_amount"):
            raise DomainError(_("零申报的税额应为 0。"), field="tax_amount")
    if note:
        fields["note"] = note
    return fields


@transaction.atomic
def work_start(*, item: WorkItem, by) -> WorkItem:
    """Mark a step as being worked on."""
    current = _locked(item)
    _check(current, W.IN_PROGRESS, by)
    _move(current, W.IN_PROGRESS, by)
    return current


@transaction.atomic
def work_complete(
    *,
    item: WorkItem,
    by,
    zero_filing: bool | None = None,
    tax_amount: Decimal | None = None,
    note: str = "",
) -> WorkItem:
    """Complete a step once its rule is met; a 申报 records whether it was a 零申报 and the tax."""
    current = _locked(item)
    _check(current, W.DONE, by)
    _move(current, W.DONE, by, fields=_completion_fields(current, zero_filing, tax_amount, note))
    return current


@transaction.atomic
def work_reopen(*, item: WorkItem, reason: str, by) -> WorkItem:
    """Reopen a finished step (department heads), with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写重新打开的原因。"), field="reason")
    current = _locked(item)
    _check(current, W.IN_PROGRESS, by)
    _move(current, W.IN_PROGRESS, by, detail=reason)
    return current


@transaction.atomic
def work_reassign(*, item: WorkItem, to, by) -> WorkItem:
    """Give an open step to another active member of staff (department heads)."""
    current = _locked(item)
    if not can_reassign(by, current):
        raise DomainError(_("只有部门负责人可以调整工作负责人。"))
    if not current.is_open:
        raise DomainError(_("已完成或已取消的工作不能调整负责人。"))
    if to is None or not to.is_active:
        raise DomainError(_("请选择在职的员工。"), field="assignee")
    if current.assignee_id == to.pk:
        return current
    before = audit.jsonable(current.assignee)
    current.assignee = to
    current.version += 1
    current.save(update_fields=["assignee", "version", "updated_at"])
    audit.record(
        action="update",
        by=by,
        obj=current,
        anchor=current.client,
        changes={"assignee": [before, audit.jsonable(to)]},
    )
    return current


@transaction.atomic
def filing_override(*, item: WorkItem, reason: str, by) -> WorkItem:
    """Let a return be filed before the client confirmed the tax (department heads, with a
    written reason); the filing itself is still completed, and audited, by whoever files."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写未经客户确认即申报的理由。"), field="override_reason")
    current = _locked(item)
    if not needs_client_confirmation(current):
        raise DomainError(_("此项工作不需要客户确认税款。"))
    if not can_override(by, current):
        raise DomainError(_("只有部门负责人可以批准未经客户确认的申报。"))
    if not current.is_open:
        raise DomainError(_("此项申报已完成或已取消。"))
    current.override_reason = reason
    current.override_by = by
    current.override_at = timezone.now()
    current.version += 1
    current.save()
    audit.record(
        action="override",
        by=by,
        obj=current,
        anchor=current.client,
        changes={"override_reason": [None, reason]},
        detail=_("批准未经客户确认税款先行申报"),
    )
    return current


BULK_ACTIONS = {"start": W.IN_PROGRESS, "complete": W.DONE}


@transaction.atomic
def work_bulk_update(*, items: Iterable[WorkItem], action: str, by) -> int:
    """Start or complete a selection of steps at once: all of them, or none (the refusal names the
    client and step that stopped it). Steps already in the target status are left alone."""
    to = BULK_ACTIONS.get(action)
    if to is None:
        raise DomainError(_("不支持的批量操作。"))
    changed = 0
    locked = (
        WorkItem.objects.select_for_update(of=("self",))
        .select_related("client", "assignee")
        .filter(pk__in=[i.pk for i in items])
        .order_by("pk")
    )
    for current in locked:
        if current.status == to:
            continue
        _check(current, to, by)
        _move(current, to, by, detail=_("批量更新"))
        changed += 1
    return changed


def work_board_exported(*, period, count: int, query: str, by) -> None:
    """Record that ``by`` exported the work board of ``period`` (every export is audited)."""
    audit.record(
        action="export",
        by=by,
        object_type="delivery.workitem",
        object_repr=_("服务工作看板"),
        detail=_("导出 %(period)s 服务工作看板（%(count)s 户客户）%(query)s")
        % {"period": period.strftime("%Y-%m"), "count": count, "query": query},
    )
