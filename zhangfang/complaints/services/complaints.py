"""The complaint register (《客户投诉登记表》, policy 四（三）1–4) and its working-day SLA.

Customer service registers a complaint; it goes to the head of the responsible department, who
must investigate and handle it within ``complaints.handling_days`` working days and send the result
back to customer service; customer service tells the client and closes the complaint once the
client confirms, with its root cause and corrective action recorded. Complaints left past their
deadline are escalated to the firm's administrators, and again if they stay unresolved.

Every status change goes through one service per transition, which checks ``ALLOWED_MOVES``;
each writes one :class:`ComplaintStep` (the timeline) and one audit event anchored on the client.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.clients.models import Client
from zhangfang.clients.selectors import client_visible_q
from zhangfang.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintStatus,
    ComplaintStep,
    RootCause,
    Severity,
)
from zhangfang.complaints.wiring.complaints import HANDLING_DAYS, REESCALATION_DAYS
from zhangfang.core import audit, policy
from zhangfang.core.calendar import add_working_days
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.numbering import yearly_number
from zhangfang.core.roles import Role, has_role, is_admin_or_head_of
from zhangfang.notifications.services import notify
from zhangfang.staff.models import Department, User
from zhangfang.staff.selectors import department_heads

S = ComplaintStatus

#: The workflow: from each status, the statuses a complaint may move to. A reopened complaint
#: goes back to investigation; only a complaint the client has been told about can be closed.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.REGISTERED: frozenset({S.INVESTIGATING}),
    S.INVESTIGATING: frozenset({S.HANDLED}),
    S.HANDLED: frozenset({S.FED_BACK}),
    S.FED_BACK: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.INVESTIGATING}),
}

#: What each timeline step's ``action`` code means.
STEP_LABELS: dict[str, Promise] = {
    "register": gettext_lazy("登记投诉"),
    "start": gettext_lazy("开始调查"),
    "handle": gettext_lazy("处理完毕"),
    "feed_back": gettext_lazy("反馈客户"),
    "close": gettext_lazy("客户确认关闭"),
    "reopen": gettext_lazy("重新打开"),
    "transfer": gettext_lazy("转交部门"),
    "escalate": gettext_lazy("超期上报"),
}

INTAKE_ROLES = (Role.CUSTOMER_SERVICE, Role.DEPARTMENT_HEAD, Role.ADMIN)

AUDITED_FIELDS = [
    "number",
    "contact_name",
    "contact_phone",
    "channel",
    "category",
    "severity",
    "matter",
    "client_request",
    "received_at",
    "staff_involved",
    "department",
    "handler",
    "due_on",
    "status",
    "investigation",
    "resolution",
    "handled_in_time",
    "feedback",
    "root_cause",
    "corrective_action",
    "client_confirmation",
    "escalation_level",
    "reopen_count",
]


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def can_register(user) -> bool:
    return has_role(user, *INTAKE_ROLES)


def can_handle(user, complaint: Complaint) -> bool:
    """Investigating and handling: the handler, a head of the complaint's department, an
    administrator."""
    return complaint.handler_id == user.pk or is_admin_or_head_of(user, complaint.department_id)


def can_follow_up(user, complaint: Complaint) -> bool:
    """Telling the client, closing and reopening: the member of staff who registered it, the
    client's customer service, a head of the complaint's (or the client's) department, an
    administrator."""
    return (
        complaint.registered_by_id == user.pk
        or complaint.client.customer_service_id == user.pk
        or is_admin_or_head_of(user, complaint.department_id, complaint.client.department_id)
    )


def can_transfer(user, complaint: Complaint) -> bool:
    """Moving a complaint to another department: a head of its department or an administrator."""
    return is_admin_or_head_of(user, complaint.department_id)


#: Each action: the status it moves to (None: no move) and who may take it.
ACTION_RULES = {
    "start": (S.INVESTIGATING, can_handle),
    "handle": (S.HANDLED, can_handle),
    "feed_back": (S.FED_BACK, can_follow_up),
    "close": (S.CLOSED, can_follow_up),
    "reopen": (S.REOPENED, can_follow_up),
    "transfer": (None, can_transfer),
}


def may_take(user, complaint: Complaint, action: str) -> bool:
    """Whether ``user``'s role lets them take ``action`` on ``complaint`` at all (any state)."""
    return ACTION_RULES[action][1](user, complaint)


def state_allows(complaint: Complaint, action: str) -> bool:
    """Whether ``complaint``'s status allows ``action`` now."""
    target = ACTION_RULES[action][0]
    if target is None:
        return complaint.is_open
    return target in ALLOWED_MOVES.get(complaint.status, frozenset())


def refusal(complaint: Complaint, action: str) -> str:
    """Why the state does not allow ``action`` (the message a refused move shows)."""
    target = ACTION_RULES[action][0]
    if target is None:
        return _("只有未处理完毕的投诉可以转交部门。")
    return _("状态为“%(status)s”的投诉不能改为“%(target)s”。") % {
        "status": complaint.get_status_display(),
        "target": S(target).label,
    }


def available_actions(user, complaint: Complaint) -> dict[str, bool]:
    """The actions ``user`` may take on ``complaint`` now (the detail page shows these)."""
    return {
        action: may_take(user, complaint, action) and state_allows(complaint, action)
        for action in ACTION_RULES
    }


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def handling_deadline(start: dt.date) -> dt.date:
    """``complaints.handling_days`` working days after ``start`` (holidays skipped, 调休 make-up
    days counted)."""
    return add_working_days(start, policy.get(HANDLING_DAYS))


def _administrators() -> list[User]:
    """The firm's administrators: the level above department heads that escalations reach."""
    return list(
        User.objects.filter(is_active=True, groups__name=Role.ADMIN).distinct().order_by("pk")
    )


def _handler_for(department: Department) -> User | None:
    """Who handles a complaint against ``department``: its first head (else an administrator)."""
    heads = department_heads(department)
    return heads[0] if heads else None


def _url(complaint: Complaint) -> str:
    return reverse("complaints:complaint_detail", args=[complaint.pk])


def _locked(complaint: Complaint) -> Complaint:
    """The complaint re-read under a row lock, so two clicks cannot both pass the status check."""
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("client", "handler", "department", "registered_by")
        .get(pk=complaint.pk)
    )


def _check(complaint: Complaint, action: str, by, message: str) -> None:
    """Refuse ``action`` unless ``by`` may take it and the workflow allows it now."""
    if not may_take(by, complaint, action):
        raise DomainError(message)
    if not state_allows(complaint, action):
        raise TransitionNotAllowed(refusal(complaint, action))


def _required(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field)
    return value


def _save(complaint: Complaint, fields: list[str]) -> None:
    complaint.version = F("version") + 1
    complaint.save(update_fields=[*fields, "version", "updated_at"])
    complaint.refresh_from_db(fields=["version"])


def _step(
    complaint: Complaint, *, action: str, by, from_status: str = "", note: str = "", at=None
) -> ComplaintStep:
    return ComplaintStep.objects.create(
        complaint=complaint,
        action=action,
        from_status=from_status,
        to_status=complaint.status,
        note=note,
        by=by if getattr(by, "is_authenticated", False) else None,
        at=at or timezone.now(),
    )


def _record(complaint: Complaint, *, action: str, by, before: dict, detail: str = "") -> None:
    audit.record(
        action=action,
        by=by,
        obj=complaint,
        anchor=complaint.client,
        changes=audit.diff(before, audit.snapshot(complaint, AUDITED_FIELDS)),
        detail=detail,
    )


def _notify_later(
    recipients: list, *, title: str, body: str = "", url: str = "", dedupe_key: str = ""
) -> None:
    """Tell ``recipients`` once the transaction commits (a rolled-back action tells nobody)."""
    recipients = [r for r in recipients if r is not None and r.is_active]
    if not recipients:
        return
    transaction.on_commit(
        lambda: notify(
            recipients=recipients, title=title, body=body, url=url, dedupe_key=dedupe_key
        )
    )


# ---------------------------------------------------------------------------------------------
# Registering
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def complaint_register(*, client: Client, data: dict[str, Any], by) -> Complaint:
    """Register a client's complaint (《客户投诉登记表》) and send it to the department head.

    ``data`` holds ``channel``, ``category``, ``severity``, ``matter``, and optionally
    ``client_request``, ``contact`` (one of the client's contacts; it fills in the name and
    phone left empty), ``contact_name``, ``contact_phone``, ``staff_involved``, ``department``
    (default: the client's) and ``received_at`` (back-dating is allowed, the future is not).
    The complaint is due ``complaints.handling_days`` working days after the day it was
    received; the head handling it is told after the transaction commits.
    """
    if not can_register(by):
        raise DomainError(_("只有客服、部门负责人和管理员可以登记客户投诉。"))
    if not Client.objects.filter(client_visible_q(by), pk=client.pk).exists():
        raise DomainError(_("您不能为此客户登记投诉。"))
    now = timezone.now()
    received_at = data.get("received_at") or now
    if received_at > now:
        raise DomainError(_("受理时间不能晚于现在。"), field="received_at")
    contact = data.get("contact")
    if contact is not None and contact.client_id != client.pk:
        raise DomainError(_("投诉人不是此客户的联系人。"), field="contact")
    contact_name = (data.get("contact_name") or "").strip() or (contact.name if contact else "")
    contact_phone = (data.get("contact_phone") or "").strip() or (contact.mobile if contact else "")
    if not contact_name:
        raise DomainError(_("请选择或填写投诉人。"), field="contact_name")
    if not contact_phone:
        raise DomainError(_("请填写投诉人的联系方式。"), field="contact_phone")
    matter = _required(data.get("matter"), "matter", _("请填写投诉事项。"))
    department = data.get("department") or client.department
    if department is None:
        raise DomainError(_("请选择责任部门。"), field="department")
    if not department.is_active:
        raise DomainError(_("责任部门已停用，请另选部门。"), field="department")
    staff_involved = data.get("staff_involved")
    handler = _handler_for(department)
    received_on = timezone.localtime(received_at).date()
    complaint = Complaint.objects.create(
        number=yearly_number("TS", received_on.year),
        client=client,
        contact=contact,
        contact_name=contact_name,
        contact_phone=contact_phone,
        channel=data["channel"],
        category=data["category"],
        severity=data.get("severity") or Severity.MINOR,
        matter=matter,
        client_request=(data.get("client_request") or "").strip(),
        received_at=received_at,
        registered_by=by,
        staff_involved=staff_involved,
        department=department,
        handler=handler,
        due_on=handling_deadline(received_on),
    )
    audit.record(
        action="create",
        by=by,
        obj=complaint,
        anchor=client,
        changes=audit.created(audit.snapshot(complaint, AUDITED_FIELDS)),
    )
    _step(
        complaint,
        action="register",
        by=by,
        note=_("转%(department)s负责人%(handler)s处理，处理期限 %(due)s。")
        % {
            "department": department.name,
            "handler": handler or _("（无）"),
            "due": complaint.due_on.isoformat(),
        },
    )
    _notify_later(
        [handler],
        title=_("新的客户投诉：%(number)s %(client)s（%(category)s，%(severity)s）")
        % {
            "number": complaint.number,
            "client": client.name,
            "category": complaint.get_category_display(),
            "severity": complaint.get_severity_display(),
        },
        body=_("请在 %(due)s 前组织调查处理，并将处理结果反馈客服。") % {"due": complaint.due_on},
        url=_url(complaint),
    )
    return complaint


# ---------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def complaint_start(*, complaint: Complaint, note: str = "", by) -> Complaint:
    """The handler starts investigating (also after a reopening)."""
    complaint = _locked(complaint)
    _check(complaint, "start", by, _("只有处理负责人、责任部门负责人或管理员可以调查此投诉。"))
    note = (note or "").strip()
    before = audit.snapshot(complaint, AUDITED_FIELDS)
    previous = complaint.status
    complaint.status = S.INVESTIGATING
    _save(complaint, ["status"])
    _step(complaint, action="start", by=by, from_status=previous, note=note)
    _record(complaint, action="status", by=by, before=before, detail=note or _("开始调查"))
    return complaint


@transaction.atomic
def complaint_handle(
    *,
    complaint: Complaint,
    investigation: str,
    resolution: str,
    root_cause: str = "",
    corrective_action: str = "",
    by,
) -> Complaint:
    """Record the investigation and the resolution; the result goes back to customer service.

    The root cause and corrective action may be given now already (closing needs them).
    Whether the complaint was handled by its deadline is kept from the first time only: a
    reopened complaint does not change the department's timeliness.
    """
    complaint = _locked(complaint)
    _check(complaint, "handle", by, _("只有处理负责人、责任部门负责人或管理员可以处理此投诉。"))
    investigation = _required(investigation, "investigation", _("请填写调查情况。"))
    resolution = _required(resolution, "resolution", _("请填写处理结果。"))
    root_cause = (root_cause or "").strip()
    if root_cause and root_cause not in RootCause.values:
        raise DomainError(_("请选择有效的根本原因。"), field="root_cause")
    before = audit.snapshot(complaint, AUDITED_FIELDS)
    previous = complaint.status
    now = timezone.now()
    complaint.status = S.HANDLED
    complaint.investigation = investigation
    complaint.resolution = resolution
    complaint.handled_at = now
    if complaint.handled_in_time is None:
        complaint.handled_in_time = timezone.localtime(now).date() <= complaint.due_on
    fields = ["status", "investigation", "resolution", "handled_at", "handled_in_time"]
    if root_cause:
        complaint.root_cause = root_cause
        fields.append("root_cause")
    corrective_action = (corrective_action or "").strip()
    if corrective_action:
        complaint.corrective_action = corrective_action
        fields.append("corrective_action")
    _save(complaint, fields)
    _step(complaint, action="handle", by=by, from_status=previous, note=resolution)
    _record(complaint, action="status", by=by, before=before, detail=resolution)
    # The head's result goes back to customer service (四（三）3), who tells the client.
    member = complaint.registered_by
    if member is None or not member.is_active:
        member = complaint.client.customer_service
    if member is not None and member.pk != getattr(by, "pk", None):
        _notify_later(
            [member],
            title=_("投诉已处理，请反馈客户：%(number)s %(client)s")
            % {"number": complaint.number, "client": complaint.client.name},
            body=resolution,
            url=_url(complaint),
        )
    return complaint


@transaction.atomic
def complaint_feed_back(*, complaint: Complaint, feedback: str, by) -> Complaint:
    """Record how customer service told the client the result."""
    complaint = _locked(complaint)
    _check(
        complaint, "feed_back", by, _("只有登记人、客户的客服、部门负责人或管理员可以反馈客户。")
    )
    feedback = _required(feedback, "feedback", _("请填写如何向客户反馈了处理结果。"))
    before = audit.snapshot(complaint, AUDITED_FIELDS)
    previous = complaint.status
    complaint.status = S.FED_BACK
    complaint.feedback = feedback
    complaint.fed_back_at = timezone.now()
    _save(complaint, ["status", "feedback", "fed_back_at"])
    _step(complaint, action="feed_back", by=by, from_status=previous, note=feedback)
    _record(complaint, action="status", by=by, before=before, detail=feedback)
    return complaint


@transaction.atomic
def complaint_close(
    *,
    complaint: Complaint,
    client_confirmation: str,
    root_cause: str,
    corrective_action: str,
    by,
) -> Complaint:
    """Close a complaint the client has confirmed; its root cause and corrective action are
    required, so that the analysis (四（三）5) has them for every closed case."""
    complaint = _locked(complaint)
    _check(complaint, "close", by, _("只有登记人、客户的客服、部门负责人或管理员可以关闭投诉。"))
    client_confirmation = _required(
        client_confirmation, "client_confirmation", _("请填写客户的确认情况。")
    )
    root_cause = (root_cause or "").strip()
    if not root_cause:
        raise DomainError(_("关闭投诉前须填写根本原因。"), field="root_cause")
    if root_cause not in RootCause.values:
        raise DomainError(_("请选择有效的根本原因。"), field="root_cause")
    corrective_action = _required(
        corrective_action, "corrective_action", _("关闭投诉前须填写纠正措施。")
    )
    before = audit.snapshot(complaint, AUDITED_FIELDS)
    previous = complaint.status
    complaint.status = S.CLOSED
    complaint.client_confirmation = client_confirmation
    complaint.root_cause = root_cause
    complaint.corrective_action = corrective_action
    complaint.closed_at = timezone.now()
    _save(
        complaint,
        ["status", "client_confirmation", "root_cause", "corrective_action", "closed_at"],
    )
    _step(complaint, action="close", by=by, from_status=previous, note=client_confirmation)
    _record(complaint, action="status", by=by, before=before, detail=client_confirmation)
    return complaint


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, reason: str, by) -> Complaint:
    """Reopen a complaint the client is not satisfied with: a new deadline counted from today,
    escalation starts over, and the handler is told."""
    complaint = _locked(complaint)
    _check(
        complaint, "reopen", by, _("只有登记人、客户的客服、部门负责人或管理员可以重新打开投诉。")
    )
    reason = _required(reason, "reason", _("请填写重新打开的原因。"))
    before = audit.snapshot(complaint, AUDITED_FIELDS)
    previous = complaint.status
    complaint.status = S.REOPENED
    complaint.reopen_count += 1
    complaint.due_on = handling_deadline(timezone.localdate())
    complaint.escalation_level = 0
    complaint.escalated_at = None
    complaint.closed_at = None
    complaint.client_confirmation = ""
    _save(
        complaint,
        [
            "status",
            "reopen_count",
            "due_on",
            "escalation_level",
            "escalated_at",
            "closed_at",
            "client_confirmation",
        ],
    )
    _step(complaint, action="reopen", by=by, from_status=previous, note=reason)
    _record(complaint, action="status", by=by, before=before, detail=reason)
    if complaint.handler_id != getattr(by, "pk", None):
        _notify_later(
            [complaint.handler],
            title=_("投诉已重新打开：%(number)s %(client)s")
            % {"number": complaint.number, "client": complaint.client.name},
            body=_("原因：%(reason)s。新的处理期限 %(due)s。")
            % {"reason": reason, "due": complaint.due_on},
            url=_url(complaint),
        )
    return complaint


@transaction.atomic
def complaint_transfer(
    *, complaint: Complaint, department: Department, note: str = "", by
) -> Complaint:
    """Make another department responsible for an open complaint; its head becomes the handler
    and is told. The deadline stays: the client has waited since the complaint came in."""
    complaint = _locked(complaint)
    _check(complaint, "transfer", by, _("只有责任部门负责人或管理员可以转交投诉。"))
    if department is None or not department.is_active:
        raise DomainError(_("请选择一个在用的部门。"), field="department")
    if department.pk == complaint.department_id:
        raise DomainError(_("投诉已由此部门负责。"), field="department")
    note = (note or "").strip()
    before = audit.snapshot(complaint, AUDITED_FIELDS)
    old_department = complaint.department
    complaint.department = department
    complaint.handler = _handler_for(department)
    _save(complaint, ["department", "handler"])
    text = _("由%(old)s转交%(new)s（负责人：%(handler)s）") % {
        "old": old_department.name,
        "new": department.name,
        "handler": complaint.handler or _("（无）"),
    }
    if note:
        text = f"{text}：{note}"
    _step(complaint, action="transfer", by=by, from_status=complaint.status, note=text)
    _record(complaint, action="update", by=by, before=before, detail=text)
    _notify_later(
        [complaint.handler],
        title=_("客户投诉已转交您的部门：%(number)s %(client)s")
        % {"number": complaint.number, "client": complaint.client.name},
        body=_("处理期限 %(due)s。%(note)s") % {"due": complaint.due_on, "note": note},
        url=_url(complaint),
    )
    return complaint


# ---------------------------------------------------------------------------------------------
# Escalation (periodic job)
# ---------------------------------------------------------------------------------------------


def _escalate(complaint: Complaint, *, level: int, now: dt.datetime, admins: list[User]) -> None:
    before = audit.snapshot(complaint, AUDITED_FIELDS)
    complaint.escalation_level = level
    complaint.escalated_at = now
    _save(complaint, ["escalation_level", "escalated_at"])
    note = _("超过处理期限 %(due)s 仍未处理，第 %(level)s 次上报管理层。") % {
        "due": complaint.due_on,
        "level": level,
    }
    _step(complaint, action="escalate", by=None, from_status=complaint.status, note=note, at=now)
    _record(complaint, action="update", by=None, before=before, detail=note)
    _notify_later(
        [*admins, complaint.handler],
        title=_("客户投诉超期未处理（第 %(level)s 次上报）：%(number)s %(client)s")
        % {"level": level, "number": complaint.number, "client": complaint.client.name},
        body=_("责任部门：%(department)s，处理负责人：%(handler)s，处理期限 %(due)s。")
        % {
            "department": complaint.department.name,
            "handler": complaint.handler or _("（无）"),
            "due": complaint.due_on,
        },
        url=_url(complaint),
        # A reopened complaint starts its escalation over, so the key carries the reopening.
        dedupe_key=(
            f"complaints.complaint.{complaint.pk}.r{complaint.reopen_count}.escalated.{level}"
        ),
    )


@transaction.atomic
def escalate_overdue_complaints(*, now: dt.datetime | None = None) -> int:
    """Escalate complaints still unresolved after their deadline to the firm's administrators.

    Level 1 once ``due_on`` has passed; level 2 when the complaint is still open
    ``complaints.reescalation_days`` working days after the first escalation. Idempotent: each
    level is reached once (``escalation_level``), a complaint goes up one level per run, and
    notifications carry a dedupe key. Returns how many escalations were made.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    candidates = list(
        Complaint.objects.select_for_update(of=("self",))
        .filter(status__in=OPEN_STATUSES, due_on__lt=today, escalation_level__lt=2)
        .select_related("client", "department", "handler")
        .order_by("due_on", "id")
    )
    if not candidates:
        return 0
    admins = _administrators()
    again_after = policy.get(REESCALATION_DAYS)
    count = 0
    for complaint in candidates:
        if complaint.escalation_level == 0:
            _escalate(complaint, level=1, now=now, admins=admins)
            count += 1
        elif complaint.escalated_at is not None:
            first = timezone.localtime(complaint.escalated_at).date()
            if today > add_working_days(first, again_after):
                _escalate(complaint, level=2, now=now, admins=admins)
                count += 1
    return count
