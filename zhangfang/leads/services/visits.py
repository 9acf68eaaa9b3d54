"""Visit plans and records (拜访计划、拜访记录, 二(三)2): every write, audited on the prospect.

A visit is planned with its purpose, time, place, the staff going and the materials to prepare;
the materials are ticked as they get ready; afterwards the outcome and next step are recorded,
which moves a prospect still at 线索/初步评估 to 拜访. A planned visit may also be cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.core import audit
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.leads.models import Prospect, Stage, Visit, VisitStatus
from zhangfang.leads.services.prospects import prospect_move, prospect_rescore

#: The materials a visit usually needs (policy 二(三)2 names 公司介绍、服务方案、成功案例); the
#: planner unticks what a visit does not need and adds others. Stored as text in the visit, so
#: changing this list never changes existing plans.
DEFAULT_MATERIALS: tuple[str, ...] = ("公司介绍", "服务方案", "成功案例", "报价单", "合同样本")

#: Stages from which recording a visit moves the prospect on to 拜访.
STAGES_BEFORE_VISIT = frozenset({Stage.LEAD, Stage.ASSESSMENT})

VISIT_AUDIT_FIELDS = ["purpose", "place", "status", "outcome", "next_step", "next_step_on"]


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _snapshot(visit: Visit) -> dict[str, Any]:
    values = audit.snapshot(visit, VISIT_AUDIT_FIELDS)
    values["starts_at"] = _local(visit.starts_at)
    values["staff"] = "、".join(sorted(str(u) for u in visit.staff.all()))
    values["materials"] = "、".join(
        ("✓" if m.get("done") else "") + m.get("item", "") for m in visit.materials
    )
    return values


def _clean_items(items: Iterable[str]) -> list[str]:
    """The material names, trimmed, without blanks and duplicates, in the order given."""
    seen: list[str] = []
    for item in items:
        text = (item or "").strip()
        if text and text not in seen:
            seen.append(text[:100])
    return seen


def _check_plan(*, purpose: str, place: str, staff: list) -> None:
    if not (purpose or "").strip():
        raise DomainError(_("请填写拜访目的。"))
    if not (place or "").strip():
        raise DomainError(_("请填写拜访地点。"))
    if not staff:
        raise DomainError(_("拜访人员：请至少选择一名拜访人员。"))


def _refuse_past(starts_at: dt.datetime) -> None:
    if starts_at <= timezone.now():
        raise DomainError(
            _("拜访时间：不能早于当前时间（%(now)s）。") % {"now": _local(timezone.now())}
        )


@transaction.atomic
def visit_plan(
    *,
    prospect: Prospect,
    purpose: str,
    starts_at: dt.datetime,
    place: str,
    staff: Iterable,
    materials: Iterable[str],
    by,
) -> Visit:
    """Plan a visit of ``prospect``; the time must lie ahead. Audited on the prospect."""
    staff = list(staff)
    _check_plan(purpose=purpose, place=place, staff=staff)
    _refuse_past(starts_at)
    visit = Visit.objects.create(
        prospect=prospect,
        purpose=purpose.strip(),
        starts_at=starts_at,
        place=place.strip(),
        materials=[{"item": item, "done": False} for item in _clean_items(materials)],
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    visit.staff.set(staff)
    audit.record(
        action="create", by=by, obj=visit, anchor=prospect, changes=audit.created(_snapshot(visit))
    )
    return visit


def _locked(visit: Visit) -> Visit:
    return Visit.objects.select_for_update().select_related("prospect").get(pk=visit.pk)


def _require_planned(visit: Visit) -> None:
    if visit.status != VisitStatus.PLANNED:
        raise DomainError(
            _("该拜访已“%(status)s”，不能再修改计划。") % {"status": visit.get_status_display()}
        )


@transaction.atomic
def visit_update(
    *,
    visit: Visit,
    purpose: str,
    starts_at: dt.datetime,
    place: str,
    staff: Iterable,
    materials: Iterable[str],
    expected_version: int | None,
    by,
) -> Visit:
    """Change a planned visit opened at ``expected_version``; refused if saved by someone since.

    Materials already ticked stay ticked when their name is kept. A time in the past is refused
    only when the time is changed (an overdue plan can still have its place corrected).
    """
    version = visit.version if expected_version is None else expected_version
    current = _locked(visit)
    if current.version != version:
        raise ConcurrentEditError(
            _(
                "保存失败：在您编辑期间，其他人已修改了此拜访计划。您填写的内容仍在下方，请核对后重新保存。"
            )
        )
    _require_planned(current)
    staff = list(staff)
    _check_plan(purpose=purpose, place=place, staff=staff)
    if starts_at != current.starts_at:
        _refuse_past(starts_at)
    before = _snapshot(current)
    done = {m.get("item"): bool(m.get("done")) for m in current.materials}
    current.purpose = purpose.strip()
    current.starts_at = starts_at
    current.place = place.strip()
    current.materials = [
        {"item": item, "done": done.get(item, False)} for item in _clean_items(materials)
    ]
    current.version = version + 1
    current.save()
    current.staff.set(staff)
    changes = audit.diff(before, _snapshot(current))
    if changes:
        audit.record(action="update", by=by, obj=current, anchor=current.prospect, changes=changes)
    return current


@transaction.atomic
def visit_toggle_material(*, visit: Visit, index: int, by) -> Visit:
    """Tick (or untick) the ``index``-th material of a planned visit as prepared.

    The version is not raised: ticking is its own small change on a locked row, and an edit of
    the plan keeps the ticks it finds, so neither loses the other's work.
    """
    current = _locked(visit)
    _require_planned(current)
    if not 0 <= index < len(current.materials):
        raise DomainError(_("没有这项准备资料。"))
    material = current.materials[index]
    material["done"] = not material.get("done")
    current.save(update_fields=["materials"])
    state = _("已准备") if material["done"] else _("未准备")
    audit.record(
        action="update",
        by=by,
        obj=current,
        anchor=current.prospect,
        changes={"materials": [material["item"], state]},
        detail=_("准备资料：%(item)s %(state)s") % {"item": material["item"], "state": state},
    )
    return current


@transaction.atomic
def visit_record_outcome(
    *,
    visit: Visit,
    outcome: str,
    next_step: str = "",
    next_step_on: dt.date | None = None,
    by,
) -> Visit:
    """Record how a visit went (拜访记录): it becomes 已拜访; the outcome is required.

    Recording again corrects the record. The first record moves a prospect still at 线索 or
    初步评估 to 拜访 (through the pipeline's own move rules), and the prospect is re-scored.
    """
    current = _locked(visit)
    if current.status == VisitStatus.CANCELLED:
        raise DomainError(_("该拜访已取消，不能记录拜访结果。"))
    if not (outcome or "").strip():
        raise DomainError(_("拜访结果：请填写拜访结果。"))
    before = _snapshot(current)
    was_planned = current.status == VisitStatus.PLANNED
    current.status = VisitStatus.DONE
    current.outcome = outcome.strip()
    current.next_step = (next_step or "").strip()
    current.next_step_on = next_step_on
    current.version += 1
    current.save()
    audit.record(
        action="status" if was_planned else "update",
        by=by,
        obj=current,
        anchor=current.prospect,
        changes=audit.diff(before, _snapshot(current)),
    )
    prospect = Prospect.objects.select_for_update().get(pk=current.prospect_id)
    if prospect.stage in STAGES_BEFORE_VISIT:
        prospect = prospect_move(prospect=prospect, to=Stage.VISIT, by=by, note=_("已记录拜访结果"))
    prospect_rescore(prospect)
    return current


@transaction.atomic
def visit_cancel(*, visit: Visit, reason: str, by) -> Visit:
    """Cancel a planned visit; the reason is required and kept as the visit's outcome."""
    current = _locked(visit)
    _require_planned(current)
    if not (reason or "").strip():
        raise DomainError(_("取消原因：请填写取消原因。"))
    before = _snapshot(current)
    current.status = VisitStatus.CANCELLED
    # A cancelled visit has no outcome of its own; why it did not happen is what is worth keeping.
    current.outcome = reason.strip()
    current.version += 1
    current.save()
    audit.record(
        action="status",
        by=by,
        obj=current,
        anchor=current.prospect,
        changes=audit.diff(before, _snapshot(current)),
        detail=reason.strip(),
    )
    return current


def visits_remind(*, day: dt.date, url_for=None) -> int:
    """Notify each member of staff going on a visit that starts on ``day`` (once per visit).

    Idempotent: a visit reminded before is skipped (``reminded_at``), and the notification's
    ``dedupe_key`` keeps a second run, even a concurrent one, from sending twice. Returns how many
    visits were reminded now. ``url_for(visit)`` gives the link in the message.
    """
    from zhangfang.leads.selectors.visits import visits_to_remind
    from zhangfang.notifications.services import notify

    count = 0
    for visit in visits_to_remind(day=day):
        with transaction.atomic():
            locked = Visit.objects.select_for_update().filter(
                pk=visit.pk, reminded_at__isnull=True, status=VisitStatus.PLANNED
            )
            if not locked.exists():
                continue
            missing = [m["item"] for m in visit.materials if not m.get("done")]
            lines = [
                _("时间：%(time)s") % {"time": _local(visit.starts_at)},
                _("地点：%(place)s") % {"place": visit.place},
                _("目的：%(purpose)s") % {"purpose": visit.purpose},
                _("同行人员：%(staff)s") % {"staff": "、".join(str(u) for u in visit.staff.all())},
                _("未准备的资料：%(items)s")
                % {"items": "、".join(missing) if missing else _("无")},
            ]
            notify(
                recipients=list(visit.staff.all()),
                title=_("明日拜访：%(name)s %(time)s")
                % {"name": visit.prospect.company_name, "time": _local(visit.starts_at)[11:]},
                body="\n".join(lines),
                url=url_for(visit) if url_for else "",
                dedupe_key=f"visit-reminder:{visit.pk}",
            )
            locked.update(reminded_at=timezone.now())
            count += 1
    return count
