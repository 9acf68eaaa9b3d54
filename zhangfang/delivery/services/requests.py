"""Request intake (《客户需求登记表》, policy 三（二）1) and its response SLA (三（三）1).

Every status change goes through one service per transition, which checks ``ALLOWED_MOVES``; each
business action writes one audit event anchored on the client, so the client's history shows it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.clients.models import Client
from zhangfang.clients.selectors import client_visible_q
from zhangfang.core import audit, policy
from zhangfang.core.calendar import add_office_hours
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.roles import Role, has_role, is_admin_or_head_of
from zhangfang.delivery.models import (
    RequestStatus,
    RouteTarget,
    RoutingRule,
    ServiceRequest,
    Urgency,
)
from zhangfang.delivery.wiring.requests import (
    RESPONSE_HOURS_CRITICAL,
    RESPONSE_HOURS_NORMAL,
    RESPONSE_HOURS_URGENT,
)
from zhangfang.notifications.services import notify
from zhangfang.staff.models import User
from zhangfang.staff.selectors import department_heads

S = RequestStatus

#: The workflow: from each status, the statuses a request may move to. A reopened request
#: behaves like one in progress. A question answered on the spot may go straight from 已响应 to
#: 已解决 (a tax question needs no separate "processing" step).
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.RESPONDED}),
    S.RESPONDED: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED}),
    S.REOPENED: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.CONFIRMED, S.REOPENED}),
    S.CONFIRMED: frozenset({S.REOPENED}),
}

#: Policy setting holding the response deadline, per urgency.
RESPONSE_HOURS_SETTING = {
    Urgency.NORMAL: RESPONSE_HOURS_NORMAL,
    Urgency.URGENT: RESPONSE_HOURS_URGENT,
    Urgency.CRITICAL: RESPONSE_HOURS_CRITICAL,
}

INTAKE_ROLES = (Role.CUSTOMER_SERVICE, Role.DEPARTMENT_HEAD, Role.ADMIN)

AUDITED_FIELDS = [
    "contact",
    "channel",
    "category",
    "urgency",
    "content",
    "received_at",
    "assignee",
    "department",
    "status",
    "respond_by",
]


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def can_register(user) -> bool:
    return has_role(user, *INTAKE_ROLES)


def _heads_request(user, request: ServiceRequest) -> bool:
    """An administrator, or the head of the request's department or of the client's."""
    return is_admin_or_head_of(user, request.department_id, request.client.department_id)


def can_work(user, request: ServiceRequest) -> bool:
    """The assignee and the heads respond, start and resolve."""
    return request.assignee_id == user.pk or _heads_request(user, request)


def can_confirm(user, request: ServiceRequest) -> bool:
    """Customer service records the client's confirmation (or a head, or the assignee)."""
    return can_work(user, request) or has_role(user, Role.CUSTOMER_SERVICE)


def can_reassign(user, request: ServiceRequest) -> bool:
    return _heads_request(user, request)


def available_actions(user, request: ServiceRequest) -> dict[str, bool]:
    """The actions ``user`` may take on ``request`` now (the detail page shows these)."""
    moves = ALLOWED_MOVES.get(request.status, frozenset())
    work = can_work(user, request)
    return {
        "respond": work and S.RESPONDED in moves,
        "start": work and S.IN_PROGRESS in moves,
        "resolve": work and S.RESOLVED in moves,
        "confirm": can_confirm(user, request) and S.CONFIRMED in moves,
        "reopen": can_confirm(user, request) and S.REOPENED in moves,
        "reassign": can_reassign(user, request) and request.is_open,
    }


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def response_deadline(received_at: dt.datetime, urgency: str) -> dt.datetime:
    """``received_at`` plus the urgency's response hours, counted in office hours only."""
    return add_office_hours(received_at, policy.get(RESPONSE_HOURS_SETTING[urgency]))


def route(client: Client, category: str) -> tuple[User | None, Any]:
    """``(assignee, department)`` for a new request: the first active rule for the category
    that yields someone, else the client's customer-service member, else its department."""
    for rule in RoutingRule.objects.filter(category=category, active=True).select_related(
        "user", "department"
    ):
        if rule.target == RouteTarget.DEPARTMENT and rule.department is not None:
            return None, rule.department
        # A fixed user, or the client's own accountant / tax specialist / customer service.
        person = rule.user if rule.target == RouteTarget.USER else getattr(client, rule.target)
        if person is not None and person.is_active:
            return person, person.department or client.department
    if client.customer_service is not None and client.customer_service.is_active:
        return client.customer_service, client.customer_service.department or client.department
    return None, client.department


def _url(request: ServiceRequest) -> str:
    return reverse("delivery:request_detail", args=[request.pk])


def _locked(request: ServiceRequest) -> ServiceRequest:
    """The request re-read under a row lock, so two clicks cannot both pass the status check."""
    return (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("client", "assignee", "department")
        .get(pk=request.pk)
    )


def _move(request: ServiceRequest, to: str) -> None:
    if to not in ALLOWED_MOVES.get(request.status, frozenset()):
        raise TransitionNotAllowed(
            _("状态为“%(status)s”的需求不能改为“%(target)s”。")
            % {"status": request.get_status_display(), "target": S(to).label}
        )


def _save(request: ServiceRequest, fields: list[str]) -> None:
    request.version = F("version") + 1
    request.save(update_fields=[*fields, "version", "updated_at"])
    request.refresh_from_db(fields=["version"])


def _record(request: ServiceRequest, *, action: str, by, before: dict, detail: str = "") -> None:
    audit.record(
        action=action,
        by=by,
        obj=request,
        anchor=request.client,
        changes=audit.diff(before, audit.snapshot(request, AUDITED_FIELDS)),
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def request_register(*, client: Client, data: dict[str, Any], by) -> ServiceRequest:
    """Register a client's request, route it and start its response clock.

    ``data`` holds ``channel``, ``category``, ``urgency``, ``content``, optional ``contact`` and
    ``received_at`` (back-dating is allowed — the call may have come in before it was typed —
    a time in the future is not). The assignee is told after the transaction commits.
    """
    if not can_register(by):
        raise DomainError(_("只有客服、部门负责人和管理员可以登记客户需求。"))
    if not Client.objects.filter(client_visible_q(by), pk=client.pk).exists():
        raise DomainError(_("您不能为此客户登记需求。"))
    now = timezone.now()
    received_at = data.get("received_at") or now
    if received_at > now:
        raise DomainError(_("受理时间不能晚于现在。"), field="received_at")
    contact = data.get("contact")
    if contact is not None and contact.client_id != client.pk:
        raise DomainError(_("联系人不属于此客户。"), field="contact")
    content = (data.get("content") or "").strip()
    if not content:
        raise DomainError(_("请填写需求内容。"), field="content")
    urgency = data.get("urgency") or Urgency.NORMAL
    assignee, department = route(client, data["category"])
    request = ServiceRequest.objects.create(
        client=client,
        contact=contact,
        channel=data["channel"],
        category=data["category"],
        urgency=urgency,
        content=content,
        received_at=received_at,
        registered_by=by,
        assignee=assignee,
        department=department,
        respond_by=response_deadline(received_at, urgency),
    )
    audit.record(
        action="create",
        by=by,
        obj=request,
        anchor=client,
        changes=audit.created(audit.snapshot(request, AUDITED_FIELDS)),
    )
    # Unassigned (routed to a department): its heads pick someone.
    recipients = [assignee] if assignee is not None else department_heads(department)
    title = _("新的客户需求：%(client)s（%(category)s，%(urgency)s）") % {
        "client": client.name,
        "category": request.get_category_display(),
        "urgency": request.get_urgency_display(),
    }
    body = _("请在 %(deadline)s 前响应。") % {
        "deadline": timezone.localtime(request.respond_by).strftime("%Y-%m-%d %H:%M")
    }
    url = _url(request)
    transaction.on_commit(lambda: notify(recipients=recipients, title=title, body=body, url=url))
    return request


@transaction.atomic
def request_respond(*, request: ServiceRequest, note: str, by) -> ServiceRequest:
    """Record the first response to the client; whether it came within the deadline is kept."""
    request = _locked(request)
    if not can_work(by, request):
        raise DomainError(_("只有负责人或部门负责人可以响应此需求。"))
    _move(request, S.RESPONDED)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("请填写响应内容。"), field="note")
    before = audit.snapshot(request, AUDITED_FIELDS)
    request.status = S.RESPONDED
    request.first_response_at = timezone.now()
    request.first_response = note
    request.responded_in_time = request.first_response_at <= request.respond_by
    _save(request, ["status", "first_response_at", "first_response", "responded_in_time"])
    detail = _("按时响应") if request.responded_in_time else _("超时响应")
    _record(request, action="update", by=by, before=before, detail=f"{detail}：{note}")
    return request


@transaction.atomic
def request_start(*, request: ServiceRequest, by) -> ServiceRequest:
    """Mark a responded request as being worked on."""
    request = _locked(request)
    if not can_work(by, request):
        raise DomainError(_("只有负责人或部门负责人可以处理此需求。"))
    _move(request, S.IN_PROGRESS)
    before = audit.snapshot(request, AUDITED_FIELDS)
    request.status = S.IN_PROGRESS
    _save(request, ["status"])
    _record(request, action="update", by=by, before=before, detail=_("开始处理"))
    return request


@transaction.atomic
def request_resolve(*, request: ServiceRequest, resolution: str, by) -> ServiceRequest:
    """Record how the request was solved; the client is then asked to confirm."""
    request = _locked(request)
    if not can_work(by, request):
        raise DomainError(_("只有负责人或部门负责人可以处理此需求。"))
    _move(request, S.RESOLVED)
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError(_("请填写处理结果。"), field="resolution")
    before = audit.snapshot(request, AUDITED_FIELDS)
    request.status = S.RESOLVED
    request.resolved_at = timezone.now()
    request.resolution = resolution
    _save(request, ["status", "resolved_at", "resolution"])
    _record(request, action="update", by=by, before=before, detail=resolution)
    return request


@transaction.atomic
def request_confirm(*, request: ServiceRequest, how: str, by) -> ServiceRequest:
    """Record that the client confirmed the solution, and how (电话、微信……)."""
    request = _locked(request)
    if not can_confirm(by, request):
        raise DomainError(_("只有客服、负责人或部门负责人可以记录客户确认。"))
    _move(request, S.CONFIRMED)
    how = (how or "").strip()
    if not how:
        raise DomainError(_("请填写客户的确认方式。"), field="how")
    before = audit.snapshot(request, AUDITED_FIELDS)
    request.status = S.CONFIRMED
    request.confirmed_at = timezone.now()
    request.confirmed_how = how
    _save(request, ["status", "confirmed_at", "confirmed_how"])
    _record(request, action="update", by=by, before=before, detail=_("客户确认：%s") % how)
    return request


@transaction.atomic
def request_reopen(*, request: ServiceRequest, reason: str, by) -> ServiceRequest:
    """Reopen a resolved or confirmed request (the problem came back); the assignee is told."""
    request = _locked(request)
    if not can_confirm(by, request):
        raise DomainError(_("只有客服、负责人或部门负责人可以重新打开此需求。"))
    _move(request, S.REOPENED)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写重新打开的原因。"), field="reason")
    before = audit.snapshot(request, AUDITED_FIELDS)
    request.status = S.REOPENED
    request.confirmed_at = None
    request.confirmed_how = ""
    _save(request, ["status", "confirmed_at", "confirmed_how"])
    _record(request, action="update", by=by, before=before, detail=_("重新打开：%s") % reason)
    if request.assignee is not None and request.assignee_id != getattr(by, "pk", None):
        recipients, title, url = (
            [request.assignee],
            _("客户需求已重新打开：%s") % request.client.name,
            _url(request),
        )
        transaction.on_commit(
            lambda: notify(recipients=recipients, title=title, body=reason, url=url)
        )
    return request


@transaction.atomic
def request_reassign(*, request: ServiceRequest, assignee: User, by) -> ServiceRequest:
    """Give an open request to another member of staff (department heads and administrators)."""
    request = _locked(request)
    if not can_reassign(by, request):
        raise DomainError(_("只有部门负责人或管理员可以改派需求。"))
    if not request.is_open:
        raise TransitionNotAllowed(_("已解决的需求不能改派。"))
    if not assignee.is_active:
        raise DomainError(_("不能改派给已停用的员工。"), field="assignee")
    if assignee.pk == request.assignee_id:
        raise DomainError(_("需求已由此员工负责。"), field="assignee")
    before = audit.snapshot(request, AUDITED_FIELDS)
    request.assignee = assignee
    request.department = assignee.department or request.department
    _save(request, ["assignee", "department"])
    _record(request, action="update", by=by, before=before, detail=_("改派"))
    recipients, title, url = (
        [assignee],
        _("客户需求已改派给您：%s") % request.client.name,
        _url(request),
    )
    transaction.on_commit(lambda: notify(recipients=recipients, title=title, url=url))
    return request


@transaction.atomic
def requests_escalate_overdue(*, now: dt.datetime) -> int:
    """Escalate new requests whose response deadline has passed to their department's head(s).

    Idempotent: a request is escalated once (``escalated_at``), and the notification carries a
    dedupe key, so running the job twice tells nobody twice. Returns how many were escalated.
    """
    overdue = list(
        ServiceRequest.objects.select_for_update(of=("self",))
        .filter(status=S.NEW, respond_by__lt=now, escalated_at__isnull=True)
        .select_related("client", "department", "assignee")
        .order_by("respond_by", "id")
    )
    heads_by_department: dict[Any, list[User]] = {}
    for request in overdue:
        before = audit.snapshot(request, AUDITED_FIELDS)
        request.escalated_at = now
        _save(request, ["escalated_at"])
        _record(request, action="update", by=None, before=before, detail=_("响应超时，已上报"))
        if request.department_id not in heads_by_department:
            heads_by_department[request.department_id] = department_heads(request.department)
        recipients = heads_by_department[request.department_id]
        title = _("客户需求响应超时：%(client)s（%(category)s）") % {
            "client": request.client.name,
            "category": request.get_category_display(),
        }
        body = _("响应时限 %(deadline)s，负责人：%(assignee)s。") % {
            "deadline": timezone.localtime(request.respond_by).strftime("%Y-%m-%d %H:%M"),
            "assignee": request.assignee or _("未分派"),
        }
        url, key = _url(request), f"delivery.request.{request.pk}.escalated"
        transaction.on_commit(
            lambda recipients=recipients, title=title, body=body, url=url, key=key: notify(
                recipients=recipients, title=title, body=body, url=url, dedupe_key=key
            )
        )
    return len(overdue)
