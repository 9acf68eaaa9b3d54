"""Reads for one work item's page, its 交接清单 and 税款测算, and the client page's 服务工作 tab;
always from the user's scope (the clients they may see, plus the steps assigned to them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from zhangfang.clients.selectors import client_visible_q
from zhangfang.core.calendar import working_days_between
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import (
    OPEN_WORK,
    Handover,
    TaxConfirmation,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services.generation import STEP_ORDER, TAXES
from zhangfang.staff.models import User

#: Board order of the steps; annual work comes last.
_STEP_RANK = {step: n for n, step in enumerate([*STEP_ORDER, WorkStep.ANNUAL])}
_FILING_RANK = {f: n for n, f in enumerate([*TAXES, "statements"])}


def work_scope_q(user) -> Q:
    """Steps ``user`` may see: those of their clients (data scope) and those assigned to them."""
    clients = client_visible_q(user, prefix="client__")
    if not clients:
        # An empty Q is "everything" (administrators, finance); OR-ing it would narrow it.
        return clients
    return clients | Q(assignee=user.pk)


def work_item_get(*, user, pk: int) -> WorkItem | None:
    """The step with what its page shows joined in, if ``user`` may see it."""
    return (
        WorkItem.objects.filter(work_scope_q(user), pk=pk)
        .select_related(
            "client",
            "client__department",
            "assignee",
            "completed_by",
            "override_by",
        )
        .first()
    )


def board_order(item: WorkItem) -> tuple[int, int, int]:
    return (_STEP_RANK.get(item.step, 99), _FILING_RANK.get(item.filing, 99), item.pk)


def period_steps(item: WorkItem) -> list[WorkItem]:
    """The client's steps of the same period (the item itself included), in board order."""
    rows = list(
        WorkItem.objects.filter(client_id=item.client_id, period=item.period).only(
            "id", "client_id", "period", "step", "filing", "status", "due_on"
        )
    )
    return sorted(rows, key=board_order)


def due_info(item: WorkItem, today: dt.date) -> dict[str, Any]:
    """The deadline as the header shows it: working days left, or how late it is."""
    if not item.is_open:
        if item.status == WorkStatus.DONE and item.on_time is not None:
            if item.on_time:
                return {"label": _("按时完成"), "colour": "success"}
            return {"label": _("逾期完成"), "colour": "secondary"}
        return {"label": "", "colour": "secondary"}
    if item.opens_on and today < item.opens_on:
        return {
            "label": _("%(day)s 开始") % {"day": item.opens_on.strftime("%Y-%m-%d")},
            "colour": "light",
        }
    days = working_days_between(today, item.due_on)
    if days < 0 or (days == 0 and today > item.due_on):
        late = max(-days, 1)
        return {"label": _("已逾期 %(n)d 个工作日") % {"n": late}, "colour": "danger"}
    if days == 0:
        return {"label": _("今天截止"), "colour": "warning"}
    colour = "warning" if days <= 2 else "info"
    return {"label": _("剩余 %(n)d 个工作日") % {"n": days}, "colour": colour}


def work_item_history(
    item: WorkItem,
    *,
    handover: Handover | None = None,
    confirmation: TaxConfirmation | None = None,
) -> list[AuditEvent]:
    """The step's own audit events, with its 交接清单's or 税款测算's, newest first (they are all
    anchored on the client)."""
    condition = Q(object_type=item._meta.label_lower, object_id=str(item.pk))
    for related in (handover, confirmation):
        if related is not None:
            condition |= Q(object_type=related._meta.label_lower, object_id=str(related.pk))
    return list(AuditEvent.objects.filter(condition).order_by("-at", "-id")[:200])


def handover_of(item: WorkItem) -> Handover | None:
    """The 收票 step's list with its lines and the firm's signer, if it has one."""
    if item.step != WorkStep.RECEIPTS:
        return None
    return (
        Handover.objects.filter(item=item)
        .select_related("firm_confirmed_by")
        .prefetch_related("lines")
        .first()
    )


def confirmation_of(item: WorkItem) -> TaxConfirmation | None:
    """The 税款测算 step's estimate with its lines, if saved."""
    if item.step != WorkStep.TAX_ESTIMATE:
        return None
    return (
        TaxConfirmation.objects.filter(item=item)
        .select_related("recorded_by")
        .prefetch_related("lines")
        .first()
    )


def estimate_for_period(item: WorkItem) -> TaxConfirmation | None:
    """The period's estimate, as a 申报 step's page shows it (the confirmed amount)."""
    return (
        TaxConfirmation.objects.filter(
            item__client_id=item.client_id,
            item__period=item.period,
            item__step=WorkStep.TAX_ESTIMATE,
        )
        .select_related("item")
        .prefetch_related("lines")
        .first()
    )


def active_staff() -> QuerySet[User]:
    """Active staff a step may be given to."""
    return User.objects.filter(is_active=True).select_related("department").order_by("name", "id")


def board_path() -> str:
    """The work board's address (another part of the app builds it at ``/delivery/work/``)."""
    try:
        return reverse("delivery:work_board")
    except NoReverseMatch:
        return "/delivery/work/"


def client_work_periods(*, client, today: dt.date, limit: int = 12) -> list[dict[str, Any]]:
    """The client's last ``limit`` periods of work, one row each: steps done of all (cancelled
    ones left out), how many are overdue, and returns filed of those due. One query."""
    rows = (
        WorkItem.objects.filter(client=client)
        .exclude(status=WorkStatus.CANCELLED)
        .values("period")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=Q(status=WorkStatus.DONE)),
            overdue=Count("id", filter=Q(status__in=OPEN_WORK, due_on__lt=today)),
            filings=Count("id", filter=Q(step=WorkStep.FILING)),
            filed=Count("id", filter=Q(step=WorkStep.FILING, status=WorkStatus.DONE)),
        )
        .order_by("-period")[:limit]
    )
    board = board_path()
    result = []
    for row in rows:
        row = dict(row)
        query = urlencode({"period": row["period"].strftime("%Y-%m"), "q": client.name})
        row["board_url"] = f"{board}?{query}"
        row["complete"] = row["done"] == row["total"]
        result.append(row)
    return result
