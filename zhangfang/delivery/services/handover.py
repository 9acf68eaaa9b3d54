"""The 交接清单 of a 收票 step (policy 三（二）3): what the client handed over, signed off by the
firm (who received it) and by the client (who handed it over).

The list is created on first use. Adding or removing a line after a sign-off clears both sign-offs
(audited): what was signed is no longer what the list says, so both sides confirm again. The 收票
step can be completed only once the list has lines and both sign-offs
(``services.work.completion_problem``). Every change writes one audit event on the client.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.core import audit
from zhangfang.core.errors import DomainError
from zhangfang.delivery.models import DocumentType, Handover, HandoverLine, WorkItem, WorkStep
from zhangfang.delivery.services.work import can_work

LINE_FIELDS = ["document_type", "quantity", "received_on", "note"]


def _local(moment: dt.datetime | None) -> str | None:
    """A time as the audit trail shows it, in the firm's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else None


def can_edit_handover(user, item: WorkItem) -> bool:
    """The 收票 step's team may keep its list while the step is open."""
    return item.step == WorkStep.RECEIPTS and item.is_open and can_work(user, item)


def _open_handover(item: WorkItem, by) -> tuple[WorkItem, Handover]:
    """The step locked (so two people editing the list take turns) and its list, created on first
    use; refused unless ``by`` may edit it now."""
    current = (
        WorkItem.objects.select_for_update(of=("self",))
        .select_related("client", "assignee")
        .get(pk=item.pk)
    )
    if current.step != WorkStep.RECEIPTS:
        raise DomainError(_("只有收票工作有交接清单。"))
    if not can_work(by, current):
        raise DomainError(_("您不负责此项工作。"))
    if not current.is_open:
        raise DomainError(
            _("收票工作已完成或已取消，交接清单不能再修改；如需修改请部门负责人重新打开。")
        )
    handover, _created = Handover.objects.get_or_create(item=current)
    return current, handover


def _clear_confirmations(handover: Handover, item: WorkItem, by) -> None:
    """A changed list is no longer what was signed: both sides confirm it again (audited)."""
    if handover.firm_confirmed_at is None and handover.client_confirmed_at is None:
        return
    changes = {}
    if handover.firm_confirmed_at is not None:
        changes["firm_confirmed_by"] = [str(handover.firm_confirmed_by or ""), None]
        changes["firm_confirmed_at"] = [_local(handover.firm_confirmed_at), None]
    if handover.client_confirmed_at is not None:
        changes["client_confirmed_name"] = [handover.client_confirmed_name, None]
        changes["client_confirmed_at"] = [_local(handover.client_confirmed_at), None]
    handover.firm_confirmed_by = None
    handover.firm_confirmed_at = None
    handover.client_confirmed_name = ""
    handover.client_confirmed_at = None
    handover.version += 1
    handover.save()
    audit.record(
        action="update",
        by=by,
        obj=handover,
        anchor=item.client,
        changes=changes,
        detail=_("交接清单已变更，双方确认已清除，须重新确认"),
    )


@transaction.atomic
def handover_add_line(
    *,
    item: WorkItem,
    document_type: str,
    quantity: int,
    received_on: dt.date,
    note: str = "",
    by,
) -> HandoverLine:
    """Add what the client handed over (type, how many, when) to the step's list."""
    if document_type not in DocumentType.values:
        raise DomainError(_("请选择资料类型。"), field="document_type")
    if quantity is None or quantity < 1:
        raise DomainError(_("数量至少为 1。"), field="quantity")
    if received_on is None:
        raise DomainError(_("请填写收到日期。"), field="received_on")
    if received_on > timezone.localdate():
        raise DomainError(_("收到日期不能晚于今天。"), field="received_on")
    current, handover = _open_handover(item, by)
    line = HandoverLine.objects.create(
        handover=handover,
        document_type=document_type,
        quantity=quantity,
        received_on=received_on,
        note=(note or "").strip()[:200],
    )
    audit.record(
        action="create",
        by=by,
        obj=handover,
        anchor=current.client,
        changes=audit.created(audit.snapshot(line, LINE_FIELDS)),
        detail=_("交接清单新增：%(line)s") % {"line": line},
    )
    _clear_confirmations(handover, current, by)
    return line


@transaction.atomic
def handover_remove_line(*, item: WorkItem, line_id: int, by) -> None:
    """Remove a line entered by mistake from the step's list."""
    current, handover = _open_handover(item, by)
    line = handover.lines.filter(pk=line_id).first()
    if line is None:
        raise DomainError(_("该交接明细不存在或已删除。"))
    values = audit.snapshot(line, LINE_FIELDS)
    text = str(line)
    line.delete()
    audit.record(
        action="delete",
        by=by,
        obj=handover,
        anchor=current.client,
        changes=audit.deleted(values),
        detail=_("交接清单删除：%(line)s") % {"line": text},
    )
    _clear_confirmations(handover, current, by)


def _require_lines(handover: Handover) -> None:
    if not handover.lines.exists():
        raise DomainError(_("交接清单还没有明细，请先登记收到的资料。"))


@transaction.atomic
def handover_confirm_firm(*, item: WorkItem, by) -> Handover:
    """The firm's sign-off: ``by`` received what the list says, now."""
    current, handover = _open_handover(item, by)
    _require_lines(handover)
    if handover.firm_confirmed_at is not None:
        raise DomainError(_("交接清单已由我方确认接收。"))
    handover.firm_confirmed_by = by
    handover.firm_confirmed_at = timezone.now()
    handover.version += 1
    handover.save()
    audit.record(
        action="update",
        by=by,
        obj=handover,
        anchor=current.client,
        changes={
            "firm_confirmed_by": [None, str(by)],
            "firm_confirmed_at": [None, _local(handover.firm_confirmed_at)],
        },
        detail=_("确认接收交接资料"),
    )
    return handover


@transaction.atomic
def handover_confirm_client(*, item: WorkItem, name: str, by) -> Handover:
    """The client's sign-off, recorded by staff: who at the client handed the documents over."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写客户交接人姓名。"), field="name")
    current, handover = _open_handover(item, by)
    _require_lines(handover)
    if handover.client_confirmed_at is not None:
        raise DomainError(_("交接清单已由客户确认。"))
    handover.client_confirmed_name = name[:50]
    handover.client_confirmed_at = timezone.now()
    handover.version += 1
    handover.save()
    audit.record(
        action="update",
        by=by,
        obj=handover,
        anchor=current.client,
        changes={
            "client_confirmed_name": [None, handover.client_confirmed_name],
            "client_confirmed_at": [None, _local(handover.client_confirmed_at)],
        },
        detail=_("记录客户确认交接"),
    )
    return handover
