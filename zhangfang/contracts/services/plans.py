"""Service plans (服务方案, policy 三（二）2): drafted and revised by staff, sent to the client as a
signed link, accepted or sent back with comments by the client.

The policy asks that a plan state "服务内容、服务流程、服务标准、服务期限、服务费用", be submitted
to the client and revised "直至客户满意". So:

- a plan has versions; a version the client has seen is never changed again, a revision is a new
  version, and the history of what was offered and what the client said stays visible;
- fees come only from :func:`zhangfang.contracts.pricing.quote`, priced on the plan's start date
  (the price list in force when the service starts: a price change the firm has already
  published for that date applies, and the contract drafted from the plan, which starts on the
  same date, prices the same way);
- the client answers through a link that needs no login: the version's id signed with the
  server's key (``django.core.signing``), valid until the version's ``expires_at``. The expiry is
  stored on the version rather than in the token, so sending again extends the same link.

Status moves (``PLAN_MOVES``), all checked by :func:`_check_move`::

    草稿 ──发送──▶ 待客户确认 ──客户接受──▶ 客户已接受 (final)
    草稿 ──修改──▶ 草稿 (the unsent version, in place)
    待客户确认 ──重新发送──▶ 待客户确认 (the link's expiry renewed)
    待客户确认 ──客户要求修改──▶ 客户要求修改 ──修订──▶ 草稿 (a new version)
    草稿 / 待客户确认 / 客户要求修改 ──撤回──▶ 已撤回 ──修订──▶ 草稿 (a new version)

A withdrawn plan may be revised and sent again (a mistake noticed after sending is fixed this
way without starting a new plan); an accepted plan is final: the contract is drafted from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.clients.models import Client, ClientStatus
from zhangfang.contracts import pricing
from zhangfang.contracts.models import (
    FeeItem,
    PaymentTerm,
    PlanLine,
    PlanResponse,
    PlanStatus,
    ServicePlan,
    ServicePlanVersion,
)
from zhangfang.core import audit, policy
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.links import link_pk, link_token

#: Where a plan in each status may go. Revising a draft keeps it a draft (DRAFT → DRAFT); sending
#: again while the client has not answered renews the link (SENT → SENT).
PLAN_MOVES: dict[str, frozenset[str]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.DRAFT, PlanStatus.SENT, PlanStatus.WITHDRAWN}),
    PlanStatus.SENT: frozenset(
        {
            PlanStatus.SENT,
            PlanStatus.ACCEPTED,
            PlanStatus.CHANGES_REQUESTED,
            PlanStatus.WITHDRAWN,
        }
    ),
    PlanStatus.CHANGES_REQUESTED: frozenset({PlanStatus.DRAFT, PlanStatus.WITHDRAWN}),
    PlanStatus.WITHDRAWN: frozenset({PlanStatus.DRAFT}),
    PlanStatus.ACCEPTED: frozenset(),
}

#: Clients a plan may be made for: prospects being won and clients in service (a renewal or a
#: change of service). A suspended or terminated client is reactivated first.
PLANNABLE_CLIENT_STATUSES = (ClientStatus.PROSPECT, ClientStatus.ACTIVE)

#: The salt keeps a plan token from being valid as any other signed value of the system.
TOKEN_SALT = "zhangfang.contracts.plan-link"

VERSION_FIELDS = [
    "content",
    "process",
    "standard",
    "start_date",
    "term_months",
    "taxpayer_type",
    "industry",
    "monthly_vouchers",
    "payment_term",
    "monthly_fee",
    "one_off_total",
    "discount_total",
    "total",
    "note",
]


class PlanLinkInvalid(DomainError):
    """The link was altered, or names no version that was ever sent."""


class PlanLinkExpired(DomainError):
    """The link is genuine but its version's ``expires_at`` has passed without an answer."""


@dataclass
class PlanTerms:
    """What a version of a plan offers; the fees are priced from these by ``pricing.quote``."""

    content: str
    process: str
    standard: str
    start_date: dt.date
    term_months: int
    taxpayer_type: str
    industry: str
    monthly_vouchers: int
    payment_term: PaymentTerm
    addons: list[FeeItem] = field(default_factory=list)
    include_setup: bool = False
    note: str = ""

    def quote(self) -> pricing.Quote:
        """The fees of these terms, from the price list in force on the start date."""
        return pricing.quote(
            taxpayer_type=self.taxpayer_type,
            industry=self.industry,
            monthly_vouchers=self.monthly_vouchers,
            payment_term=self.payment_term,
            term_months=self.term_months,
            addons=self.addons,
            include_setup=self.include_setup,
            on=self.start_date,
        )


def _local(moment: dt.datetime | None) -> str | None:
    """A time as the firm reads it (Asia/Shanghai), for the audit trail."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else None


def _version_repr(plan: ServicePlan, version: ServicePlanVersion) -> str:
    return _("%(title)s（第 %(number)s 版）") % {"title": plan.title, "number": version.number}


def _lines_detail(action: str, priced: pricing.Quote) -> str:
    """The audit note of a priced version: what was done and the fee lines it holds."""
    return _("%(action)s；收费项目：%(lines)s") % {
        "action": action,
        "lines": "、".join(line.name for line in priced.lines),
    }


def _status_label(status: str) -> str:
    return str(PlanStatus(status).label)


def allowed_moves(status: str) -> frozenset[str]:
    """The statuses a plan in ``status`` may move to (see the module docstring)."""
    return PLAN_MOVES.get(status, frozenset())


def _check_move(plan: ServicePlan, to: str) -> None:
    if to not in allowed_moves(plan.status):
        raise TransitionNotAllowed(
            _("服务方案当前状态为“%(from)s”，不能变更为“%(to)s”。")
            % {"from": _status_label(plan.status), "to": _status_label(to)}
        )


def _lock_plan(plan: ServicePlan, expected_version: int | None = None) -> ServicePlan:
    """The plan's row, locked for the rest of the transaction; with ``expected_version``, refuse
    a change based on what someone else has changed since the user opened the page."""
    current = ServicePlan.objects.select_for_update(of=("self",)).get(pk=plan.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentEditError(
            _(
                "保存失败：在您编辑期间，其他人已修改了此服务方案。"
                "您填写的内容仍在下方，请核对后重新保存。"
            )
        )
    return current


def _latest_version(plan: ServicePlan) -> ServicePlanVersion:
    return plan.versions.order_by("-number").first()


def _write_lines(version: ServicePlanVersion, priced: pricing.Quote) -> None:
    PlanLine.objects.bulk_create(
        PlanLine(
            plan_version=version,
            fee_item=line.fee_item,
            name=line.name,
            kind=line.kind,
            unit=line.unit,
            unit_price=line.unit_price,
            quantity=line.quantity,
            amount=line.amount,
            sort_order=index,
        )
        for index, line in enumerate(priced.lines)
    )


def _apply_terms(version: ServicePlanVersion, terms: PlanTerms, priced: pricing.Quote) -> None:
    version.content = terms.content
    version.process = terms.process
    version.standard = terms.standard
    version.start_date = terms.start_date
    version.term_months = terms.term_months
    version.taxpayer_type = terms.taxpayer_type
    version.industry = terms.industry
    version.monthly_vouchers = terms.monthly_vouchers
    version.payment_term = terms.payment_term
    version.note = terms.note
    version.monthly_fee = priced.monthly_fee
    version.one_off_total = priced.one_off_total
    version.discount_total = priced.discount_total
    version.total = priced.total


def _new_version(
    plan: ServicePlan, *, number: int, terms: PlanTerms, by
) -> tuple[ServicePlanVersion, pricing.Quote]:
    priced = terms.quote()
    version = ServicePlanVersion(plan=plan, number=number, created_by=by)
    _apply_terms(version, terms, priced)
    version.save()
    _write_lines(version, priced)
    return version, priced


def _touch(plan: ServicePlan, *, status: str | None = None) -> None:
    """Save a status change (if any) and move the plan to its next edit version."""
    if status is not None:
        plan.status = status
    plan.version += 1
    plan.save(update_fields=["status", "version", "updated_at"])


@transaction.atomic
def plan_create(*, client: Client, title: str, terms: PlanTerms, by) -> ServicePlan:
    """Draft a plan for ``client`` with its first version, priced from the price list.

    The plan belongs to ``by`` and to the client's department (so the department head sees it).
    Raises DomainError when the client is not a prospect or in service, or when the price list
    cannot price the terms (no bookkeeping line, a term that is not whole payment cycles).
    """
    if client.status not in PLANNABLE_CLIENT_STATUSES:
        raise DomainError(
            _("客户状态为“%(status)s”，不能新建服务方案。")
            % {"status": client.get_status_display()}
        )
    plan = ServicePlan.objects.create(
        client=client,
        title=title,
        status=PlanStatus.DRAFT,
        owner=by,
        department=client.department,
    )
    version, priced = _new_version(plan, number=1, terms=terms, by=by)
    audit.record(
        action="create",
        by=by,
        obj=version,
        anchor=client,
        object_repr=_version_repr(plan, version),
        changes=audit.created(audit.snapshot(version, VERSION_FIELDS)),
        detail=_lines_detail(_("新建服务方案"), priced),
    )
    return plan


@transaction.atomic
def plan_revise(
    *, plan: ServicePlan, terms: PlanTerms, by, expected_version: int | None = None
) -> ServicePlanVersion:
    """Revise the plan's terms; returns the version that now holds them.

    A draft whose latest version the client has never seen is updated in place (it is still
    being written). Otherwise (the client asked for changes, or the plan was withdrawn) a new
    version is added and the plan goes back to draft: what the client saw is kept as it was.
    """
    current = _lock_plan(plan, expected_version)
    if current.status == PlanStatus.SENT:
        # The client may be reading it right now: what they answer must be what they saw.
        raise TransitionNotAllowed(_("方案已发送给客户，正在等待答复；如需修改，请先撤回。"))
    _check_move(current, PlanStatus.DRAFT)
    latest = _latest_version(current)
    before_status = current.status
    before = audit.snapshot(latest, VERSION_FIELDS)
    if current.status == PlanStatus.DRAFT and latest.sent_at is None:
        # Still being written: the client has never seen it, so it is corrected in place.
        priced = terms.quote()
        _apply_terms(latest, terms, priced)
        latest.save()
        latest.lines.all().delete()
        _write_lines(latest, priced)
        version = latest
        action = _("修改服务方案")
    else:
        version, priced = _new_version(current, number=latest.number + 1, terms=terms, by=by)
        action = _("修订服务方案（原状态：%(status)s）") % {"status": _status_label(before_status)}
    _touch(current, status=PlanStatus.DRAFT)
    audit.record(
        action="update",
        by=by,
        obj=version,
        anchor=current.client,
        object_repr=_version_repr(current, version),
        changes=audit.diff(before, audit.snapshot(version, VERSION_FIELDS)),
        detail=_lines_detail(action, priced),
    )
    plan.status, plan.version = current.status, current.version
    return version


def plan_token(version: ServicePlanVersion) -> str:
    """The token of the client's link to ``version``: its id, signed with the server's key.

    The same version always gives the same token, so a link sent again is the link the client
    already has; whether it still works is decided by the version's ``expires_at``.
    """
    # The token carries no timestamp, so it stays the same for the same version: the expiry lives
    # on the version, where sending again can extend it.
    return link_token(TOKEN_SALT, version.pk)


def link_days() -> int:
    return int(policy.get("contracts.plan_link_days"))


@transaction.atomic
def plan_send(*, plan: ServicePlan, by) -> str:
    """Send the latest version to the client; returns the token of the link.

    The link is valid for ``contracts.plan_link_days`` days. Sending again before the client
    answers renews the expiry of the same version (the link itself does not change).
    """
    current = _lock_plan(plan)
    _check_move(current, PlanStatus.SENT)
    version = _latest_version(current)
    now = timezone.now()
    resend = version.sent_at is not None
    before_expiry = version.expires_at
    if not resend:
        version.sent_at = now
    version.expires_at = now + dt.timedelta(days=link_days())
    version.save(update_fields=["sent_at", "expires_at"])
    _touch(current, status=PlanStatus.SENT)
    changes = {"expires_at": [_local(before_expiry), _local(version.expires_at)]}
    if not resend:
        changes["sent_at"] = [None, _local(version.sent_at)]
    audit.record(
        action="status",
        by=by,
        obj=version,
        anchor=current.client,
        object_repr=_version_repr(current, version),
        changes=changes,
        detail=_("重新发送给客户确认") if resend else _("发送给客户确认"),
    )
    plan.status, plan.version = current.status, current.version
    return plan_token(version)


@transaction.atomic
def plan_withdraw(*, plan: ServicePlan, by, reason: str = "") -> ServicePlan:
    """Withdraw the plan: the client's link stops working. It may later be revised and resent."""
    current = _lock_plan(plan)
    _check_move(current, PlanStatus.WITHDRAWN)
    before_status = current.status
    _touch(current, status=PlanStatus.WITHDRAWN)
    audit.record(
        action="status",
        by=by,
        obj=current,
        anchor=current.client,
        changes={"status": [_status_label(before_status), _status_label(PlanStatus.WITHDRAWN)]},
        detail=reason[:255] or _("撤回服务方案"),
    )
    plan.status, plan.version = current.status, current.version
    return current


# ---------------------------------------------------------------------------------------------
# The client's link
# ---------------------------------------------------------------------------------------------

#: What the client's link shows, decided by :func:`link_state`.
LINK_OPEN = "open"  # waiting for the client's answer
LINK_ANSWERED = "answered"
LINK_EXPIRED = "expired"
LINK_WITHDRAWN = "withdrawn"
LINK_SUPERSEDED = "superseded"  # a later version exists


def link_state(version: ServicePlanVersion, *, now: dt.datetime | None = None) -> str:
    """Whether the client may still answer ``version``, and if not, why not.

    ``version.plan`` should be loaded; the latest version number is read from the plan's
    versions (one query unless they are prefetched).
    """
    if version.response:
        return LINK_ANSWERED
    plan = version.plan
    latest_number = max(v.number for v in plan.versions.all())
    if version.number != latest_number:
        return LINK_SUPERSEDED
    if plan.status == PlanStatus.WITHDRAWN:
        return LINK_WITHDRAWN
    if plan.status != PlanStatus.SENT:
        # A draft revised in place after being withdrawn and not yet resent, etc.: nothing to
        # answer at the moment. The client sees the same message as for a withdrawn plan.
        return LINK_WITHDRAWN
    if version.expires_at is None or version.expires_at <= (now or timezone.now()):
        return LINK_EXPIRED
    return LINK_OPEN


def plan_from_token(token: str) -> ServicePlanVersion:
    """The version a client's link names, with its plan, client, lines and payment term.

    Raises :class:`PlanLinkInvalid` for a token that was altered or names no sent version, and
    :class:`PlanLinkExpired` when the version still waits for an answer but its link has run
    out. An answered, withdrawn or superseded version is returned: its page says so.
    """
    pk = link_pk(TOKEN_SALT, token)
    version = (
        ServicePlanVersion.objects.select_related(
            "plan__client", "plan__owner", "payment_term", "plan"
        )
        .prefetch_related("lines", "plan__versions")
        .filter(pk=pk, sent_at__isnull=False)
        .first()
        if pk is not None
        else None
    )
    if version is None:
        raise PlanLinkInvalid(_("链接无效。"))
    if link_state(version) == LINK_EXPIRED:
        raise PlanLinkExpired(_("链接已过期，请联系您的客户经理重新发送。"))
    return version


@transaction.atomic
def plan_respond(
    *, version: ServicePlanVersion, response: str, comment: str, responder_name: str
) -> ServicePlanVersion:
    """Record the client's answer given through the link: accept, or ask for changes.

    Only the plan's latest version, sent and not yet answered, within its expiry, may be
    answered, and only once: the rows are locked first, so a double submit (or two people
    answering at once) records one answer and refuses the other. Asking for changes needs a
    comment. The plan's owner is notified once the answer is saved.
    """
    responder_name = responder_name.strip()
    comment = comment.strip()
    if response not in PlanResponse.values:
        raise DomainError(_("请选择接受方案或提出修改意见。"))
    if not responder_name:
        raise DomainError(_("请填写您的姓名。"))
    if response == PlanResponse.CHANGES_REQUESTED and not comment:
        raise DomainError(_("请填写您的修改意见。"))
    plan = ServicePlan.objects.select_for_update(of=("self",)).get(pk=version.plan_id)
    current = ServicePlanVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
    if current.response:
        raise TransitionNotAllowed(_("您已答复过此方案，不能重复答复。"))
    current.plan = plan
    state = link_state(current)
    if state == LINK_EXPIRED:
        raise PlanLinkExpired(_("链接已过期，请联系您的客户经理重新发送。"))
    if state != LINK_OPEN:
        raise TransitionNotAllowed(_("此方案已撤回或已有新版本，不能再答复。"))
    to = PlanStatus.ACCEPTED if response == PlanResponse.ACCEPTED else PlanStatus.CHANGES_REQUESTED
    _check_move(plan, to)
    current.response = response
    current.response_comment = comment
    current.responder_name = responder_name[:50]
    current.responded_at = timezone.now()
    current.save(update_fields=["response", "response_comment", "responder_name", "responded_at"])
    _touch(plan, status=to)
    audit.record(
        action="status",
        by=None,
        obj=current,
        anchor=plan.client,
        object_repr=_version_repr(plan, current),
        actor_name=_("%(name)s（客户）") % {"name": current.responder_name},
        changes=audit.created(
            audit.snapshot(current, ["response", "responder_name", "response_comment"])
        ),
        detail=_("客户通过链接答复，答复人：%(name)s") % {"name": current.responder_name},
    )
    _notify_owner(plan, current)
    version.response, version.responded_at = current.response, current.responded_at
    version.response_comment, version.responder_name = comment, current.responder_name
    return current


def _notify_owner(plan: ServicePlan, version: ServicePlanVersion) -> None:
    from zhangfang.notifications.services import notify

    client_name = plan.client.name
    if version.response == PlanResponse.ACCEPTED:
        title = _("%(client)s 已接受服务方案“%(title)s”") % {
            "client": client_name,
            "title": plan.title,
        }
        body = _("答复人：%(name)s。可以据此起草合同。") % {"name": version.responder_name}
    else:
        title = _("%(client)s 对服务方案“%(title)s”提出了修改意见") % {
            "client": client_name,
            "title": plan.title,
        }
        body = _("答复人：%(name)s。意见：%(comment)s") % {
            "name": version.responder_name,
            "comment": version.response_comment,
        }
    url = reverse("contracts:plan_detail", args=[plan.pk])
    owner = plan.owner
    transaction.on_commit(
        lambda: notify(
            recipients=[owner],
            title=title,
            body=body,
            url=url,
            dedupe_key=f"plan-response-{version.pk}",
        )
    )
