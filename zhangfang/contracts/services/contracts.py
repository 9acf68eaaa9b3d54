"""Contracts (合作协议, policy 二（三）4) and the templates they are drafted on.

The policy: the salesperson drafts the contract once the client agrees; it is submitted to the
firm for review; after approval it is signed with the client; a copy then goes to finance and the
service department "以便各部门按照协议要求开展工作". So:

- a contract is drafted from a service plan version the client accepted, and copies that version's
  lines and figures (what the client accepted is what the contract says, even if the price list
  changed since), the payment term's cycle, discount, free months and due days (so a later change
  of the price list's terms never changes a signed contract), and its body, rendered from a
  template by plain substitution (``contracts.templating``);
- numbers are ``HT<year>-<serial>``, gap-free per year, taken in the drafting transaction;
- every status change goes through one function below, each checking ``CONTRACT_MOVES`` and who
  may make it; each writes one audit event anchored on the contract.

Status moves::

    草稿 ──提交──▶ 待审核 ──批准──▶ 已批准 ──签署──▶ 已签署 ──生效──▶ 生效 ──到期──▶ 到期
     ▲              │                               │                  │
     └─(修改)    退回(附意见)──▶ 退回 ──提交──▶ 待审核   └──────终止──────┴──▶ 终止

    草稿 / 退回 ──作废──▶ 已作废   (a draft abandoned before approval)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.clients.models import ClientStatus
from zhangfang.contracts import templating
from zhangfang.contracts.models import (
    Contract,
    ContractLine,
    ContractStatus,
    ContractTemplate,
    PlanResponse,
    PlanStatus,
    ServicePlanVersion,
)
from zhangfang.contracts.selectors import contracts as selectors
from zhangfang.core import audit, policy
from zhangfang.core.calendar import add_months
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.money import format_rmb
from zhangfang.core.numbering import yearly_number
from zhangfang.core.roles import Role, has_role, heads_department

#: Where a contract in each status may go; nothing leaves 到期 or 终止.
CONTRACT_MOVES: dict[str, frozenset[str]] = {
    ContractStatus.DRAFT: frozenset({ContractStatus.PENDING, ContractStatus.CANCELLED}),
    ContractStatus.PENDING: frozenset({ContractStatus.APPROVED, ContractStatus.RETURNED}),
    ContractStatus.RETURNED: frozenset({ContractStatus.PENDING, ContractStatus.CANCELLED}),
    ContractStatus.APPROVED: frozenset({ContractStatus.SIGNED}),
    ContractStatus.SIGNED: frozenset({ContractStatus.ACTIVE, ContractStatus.TERMINATED}),
    ContractStatus.ACTIVE: frozenset({ContractStatus.EXPIRED, ContractStatus.TERMINATED}),
    ContractStatus.EXPIRED: frozenset(),
    ContractStatus.TERMINATED: frozenset(),
    ContractStatus.CANCELLED: frozenset(),
}

#: The drafter may change the wording and dates only before the firm has approved it.
EDITABLE_STATUSES = frozenset({ContractStatus.DRAFT, ContractStatus.RETURNED})

#: A contract can be renewed while it runs and after it has run out (a late renewal).
RENEWABLE_STATUSES = frozenset(
    {ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.EXPIRED}
)

#: The signed scan: what a scanner or a phone produces, identified by its first bytes, not its name.
SCAN_MAX_BYTES = 10 * 1024 * 1024
SCAN_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}

TEMPLATE_FIELDS = ["name", "body", "is_default", "is_active"]
EDIT_FIELDS = ["start_date", "end_date", "payment_method", "body"]


# -- small helpers ----------------------------------------------------------------------------


def end_date_for(start: dt.date, term_months: int) -> dt.date:
    """The last day of a term: a 12-month term from 2027-01-01 ends on 2027-12-31."""
    return add_months(start, term_months) - dt.timedelta(days=1)


def _status_label(code: str) -> str:
    return str(ContractStatus(code).label) if code in ContractStatus.values else code


def _check_move(contract: Contract, to: str) -> None:
    if to not in CONTRACT_MOVES.get(contract.status, frozenset()):
        raise TransitionNotAllowed(
            _("合同 %(number)s 当前为“%(from)s”，不能变为“%(to)s”。")
            % {
                "number": contract.number,
                "from": _status_label(contract.status),
                "to": _status_label(to),
            }
        )


def _locked(contract: Contract) -> Contract:
    """The contract's row, re-read and locked, so two people cannot move it at the same time."""
    return Contract.objects.select_for_update(of=("self",)).get(pk=contract.pk)


def _is_drafter(user, contract: Contract) -> bool:
    return user is not None and user.pk in (contract.owner_id, contract.created_by_id)


def _contract_url(contract: Contract) -> str:
    return reverse("contracts:contract_detail", args=[contract.pk])


def _move(
    contract: Contract,
    to: str,
    *,
    by,
    detail: str = "",
    extra: dict[str, list[Any]] | None = None,
    **fields: Any,
) -> Contract:
    """Set the new status (and ``fields``), save, and write the one audit event of the move."""
    before = _status_label(contract.status)
    contract.status = to
    for name, value in fields.items():
        setattr(contract, name, value)
    contract.version += 1
    contract.save()
    audit.record(
        action="status",
        by=by,
        obj=contract,
        changes={"status": [before, _status_label(to)], **(extra or {})},
        detail=detail,
    )
    return contract


# -- who may do what (the pages ask the same questions to show the buttons) -------------------


def can_edit(user, contract: Contract) -> bool:
    """The drafter (owner or the person who drafted it), their department head or an
    administrator, while the contract is a draft or was returned."""
    return contract.status in EDITABLE_STATUSES and (
        _is_drafter(user, contract)
        or heads_department(user, contract.department_id)
        or has_role(user, Role.ADMIN)
    )


def can_submit(user, contract: Contract) -> bool:
    return ContractStatus.PENDING in CONTRACT_MOVES[contract.status] and (
        _is_drafter(user, contract) or has_role(user, Role.ADMIN)
    )


def can_review(user, contract: Contract) -> bool:
    """A head of the contract's department or an administrator, never the drafter themself:
    a review is a second pair of eyes (policy 二（三）4: 提交公司审核)."""
    if contract.status != ContractStatus.PENDING or _is_drafter(user, contract):
        return False
    return heads_department(user, contract.department_id) or has_role(user, Role.ADMIN)


def can_sign(user, contract: Contract) -> bool:
    return contract.status == ContractStatus.APPROVED and (
        user.pk == contract.owner_id
        or heads_department(user, contract.department_id)
        or has_role(user, Role.ADMIN)
    )


def can_terminate(user, contract: Contract) -> bool:
    return ContractStatus.TERMINATED in CONTRACT_MOVES[contract.status] and (
        heads_department(user, contract.department_id) or has_role(user, Role.ADMIN)
    )


def can_renew(user, contract: Contract) -> bool:
    return contract.status in RENEWABLE_STATUSES and (
        user.pk == contract.owner_id
        or (has_role(user, Role.SALES) and user.pk == contract.created_by_id)
        or heads_department(user, contract.department_id)
        or has_role(user, Role.ADMIN)
    )


def can_draft(user) -> bool:
    return has_role(user, Role.SALES, Role.DEPARTMENT_HEAD, Role.ADMIN)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise DomainError(message)


# -- contract templates -----------------------------------------------------------------------


def _check_placeholders(body: str) -> None:
    unknown = templating.unknown_placeholders(body)
    if unknown:
        raise DomainError(
            _("合同正文中有未定义的占位符：%(names)s。请使用右侧列出的占位符。")
            % {"names": "、".join(f"{{{{ {name} }}}}" for name in unknown)},
            field="body",
        )


def _one_default(template: ContractTemplate) -> None:
    # Exactly one template is offered first when drafting; marking a new default unmarks the old.
    if template.is_default:
        ContractTemplate.objects.exclude(pk=template.pk).filter(is_default=True).update(
            is_default=False
        )


@transaction.atomic
def contract_template_create(*, data: dict[str, Any], by) -> ContractTemplate:
    """Add a contract template; refused when the body names a placeholder we do not know."""
    _require(has_role(by, Role.ADMIN), _("只有管理员可以维护合同模板。"))
    _check_placeholders(data.get("body", ""))
    if ContractTemplate.objects.filter(name=data["name"]).exists():
        raise DomainError(_("已有同名的合同模板。"), field="name")
    template = ContractTemplate.objects.create(**data)
    _one_default(template)
    audit.record(
        action="create",
        by=by,
        obj=template,
        changes=audit.created(audit.snapshot(template, TEMPLATE_FIELDS)),
    )
    return template


@transaction.atomic
def contract_template_update(
    *, template: ContractTemplate, data: dict[str, Any], expected_version: int | None, by
) -> ContractTemplate:
    """Save an administrator's edit of a template on the version they opened; audited.

    Contracts already drafted keep their own copy of the wording; only new drafts use the edit.
    """
    _require(has_role(by, Role.ADMIN), _("只有管理员可以维护合同模板。"))
    _check_placeholders(data.get("body", ""))
    current = lock_version(
        ContractTemplate,
        pk=template.pk,
        version=template.version if expected_version is None else expected_version,
        message=_(
            "保存失败：在您编辑期间，其他人已修改了此模板。您填写的内容仍在下方，请核对后重新保存。"
        ),
    )
    if ContractTemplate.objects.filter(name=data["name"]).exclude(pk=current.pk).exists():
        raise DomainError(_("已有同名的合同模板。"), field="name")
    before = audit.snapshot(current, TEMPLATE_FIELDS)
    apply_edit(current, data)
    current.save()
    _one_default(current)
    changes = audit.diff(before, audit.snapshot(current, TEMPLATE_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


# -- drafting and editing ---------------------------------------------------------------------


def _render_body(contract: Contract, template: ContractTemplate | None) -> str:
    if template is None:
        return contract.body
    return templating.render(template.body, templating.contract_values(contract))


def _copy_lines(contract: Contract, lines: Iterable) -> None:
    ContractLine.objects.bulk_create(
        ContractLine(
            contract=contract,
            fee_item_id=line.fee_item_id,
            name=line.name,
            kind=line.kind,
            unit=line.unit,
            unit_price=line.unit_price,
            quantity=line.quantity,
            amount=line.amount,
            sort_order=line.sort_order,
        )
        for line in lines
    )


def _created_changes(contract: Contract) -> dict[str, list[Any]]:
    return audit.created(
        audit.snapshot(
            contract,
            [
                "number",
                "client",
                "status",
                "start_date",
                "end_date",
                "term_months",
                "payment_term",
                "monthly_fee",
                "one_off_total",
                "total_amount",
                "owner",
                "renewed_from",
            ],
        )
    )


def _next_number() -> str:
    # The year of the drafting day in Asia/Shanghai, so a contract drafted at 00:30 on 1 January
    # belongs to the new year's series.
    return yearly_number("HT", timezone.localdate().year)


@transaction.atomic
def contract_draft(
    *, plan_version: ServicePlanVersion, template: ContractTemplate | None, by
) -> Contract:
    """Draft a contract from a plan version the client accepted, on ``template``.

    Copies the client, the fee lines and figures of the version (not re-priced: the client
    accepted those), the payment term's cycle/discount/free months/due days, and the dates
    (start from the plan, end = start + term − 1 day); takes the next HT number of the year and
    renders the body. One audit event.
    """
    _require(can_draft(by), _("您没有起草合同的权限。"))
    plan = plan_version.plan
    if plan_version.response != PlanResponse.ACCEPTED or plan.status != PlanStatus.ACCEPTED:
        raise DomainError(_("只能根据客户已接受的服务方案起草合同。"), field="plan_version")
    existing = selectors.open_contract_for_plan_version(plan_version)
    if existing is not None:
        raise DomainError(
            _("该服务方案已起草合同 %(number)s，不能重复起草。") % {"number": existing.number},
            field="plan_version",
        )
    if template is not None and not template.is_active:
        raise DomainError(_("该合同模板已停用。"), field="template")
    term = plan_version.payment_term
    client = plan.client
    contract = Contract.objects.create(
        number=_next_number(),
        client=client,
        plan_version=plan_version,
        template=template,
        status=ContractStatus.DRAFT,
        start_date=plan_version.start_date,
        end_date=end_date_for(plan_version.start_date, plan_version.term_months),
        term_months=plan_version.term_months,
        payment_term=term,
        payment_cycle=term.cycle,
        discount_percent=term.discount_percent,
        free_months=term.free_months,
        payment_due_days=term.due_days,
        monthly_fee=plan_version.monthly_fee,
        one_off_total=plan_version.one_off_total,
        total_amount=plan_version.total,
        owner=plan.owner,
        department_id=client.department_id or plan.department_id,
        created_by=by,
    )
    _copy_lines(contract, plan_version.lines.all())
    contract.body = _render_body(contract, template)
    contract.save(update_fields=["body"])
    audit.record(action="create", by=by, obj=contract, changes=_created_changes(contract))
    return contract


@transaction.atomic
def contract_update_draft(
    *,
    contract: Contract,
    data: dict[str, Any],
    expected_version: int | None,
    by,
    regenerate_body: bool = False,
) -> Contract:
    """Save the drafter's edits (start date, payment method, body) on the version they opened.

    The end date follows the start date over the same term, so the contract's figures (priced for
    that term) stay true. ``regenerate_body`` renders the template again with the new facts,
    replacing hand edits of the body. Only in 草稿 and 退回.
    """
    current = lock_version(
        Contract,
        pk=contract.pk,
        version=contract.version if expected_version is None else expected_version,
        message=_(
            "保存失败：在您编辑期间，其他人已修改了此合同。您填写的内容仍在下方，请核对后重新保存。"
        ),
    )
    if current.status not in EDITABLE_STATUSES:
        raise TransitionNotAllowed(
            _("合同 %(number)s 当前为“%(status)s”，只有草稿或退回的合同可以修改。")
            % {"number": current.number, "status": current.get_status_display()}
        )
    _require(can_edit(by, current), _("您没有修改此合同的权限。"))
    before = audit.snapshot(current, EDIT_FIELDS)
    values = dict(data)
    if "start_date" in values:
        values["end_date"] = end_date_for(values["start_date"], current.term_months)
    apply_edit(current, values)
    if regenerate_body:
        current.body = _render_body(current, current.template)
    current.save()
    changes = audit.diff(before, audit.snapshot(current, EDIT_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


# -- review -----------------------------------------------------------------------------------


@transaction.atomic
def contract_submit(*, contract: Contract, by) -> Contract:
    """Submit a draft (or a returned contract, after the drafter's changes) for review; the heads
    of the contract's department are told."""
    current = _locked(contract)
    _check_move(current, ContractStatus.PENDING)
    _require(can_submit(by, current), _("只有合同的经办人或起草人可以提交审核。"))
    _move(current, ContractStatus.PENDING, by=by, submitted_at=timezone.now())
    reviewers = [u for u in selectors.department_heads(current.department_id) if u.pk != by.pk]
    transaction.on_commit(
        lambda: _notify(
            reviewers,
            title=_("合同待审核：%(number)s %(client)s")
            % {"number": current.number, "client": current.client.name},
            contract=current,
        )
    )
    return current


@transaction.atomic
def contract_cancel(*, contract: Contract, reason: str, by) -> Contract:
    """Abandon a draft (or a returned contract) that will not be signed, with the reason.

    The number stays used (the series keeps no gaps and the record stays in the history), and the
    accepted plan, or the contract it renewed, can be drafted from again.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写作废原因。"), field="reason")
    current = _locked(contract)
    _check_move(current, ContractStatus.CANCELLED)
    _require(can_edit(by, current), _("只有合同的起草人、本部门负责人或管理员可以作废合同。"))
    return _move(current, ContractStatus.CANCELLED, by=by, detail=reason)


@transaction.atomic
def contract_approve(*, contract: Contract, by, comment: str = "") -> Contract:
    """Approve a submitted contract: a head of its department or an administrator, never the
    person who drafted it."""
    current = _locked(contract)
    _check_move(current, ContractStatus.APPROVED)
    _require(
        can_review(by, current),
        _("只有本部门负责人或管理员可以审核合同，且不能审核自己起草的合同。"),
    )
    _move(
        current,
        ContractStatus.APPROVED,
        by=by,
        detail=comment.strip(),
        reviewer=by,
        reviewed_at=timezone.now(),
        review_comment=comment.strip(),
    )
    transaction.on_commit(
        lambda: _notify(
            [current.owner],
            title=_("合同已批准：%(number)s，请与客户签署。") % {"number": current.number},
            contract=current,
        )
    )
    return current


@transaction.atomic
def contract_return(*, contract: Contract, comment: str, by) -> Contract:
    """Send a submitted contract back to the drafter with the reviewer's comment (required)."""
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("退回时必须填写审核意见。"), field="comment")
    current = _locked(contract)
    _check_move(current, ContractStatus.RETURNED)
    _require(
        can_review(by, current),
        _("只有本部门负责人或管理员可以审核合同，且不能审核自己起草的合同。"),
    )
    _move(
        current,
        ContractStatus.RETURNED,
        by=by,
        detail=comment,
        reviewer=by,
        reviewed_at=timezone.now(),
        review_comment=comment,
    )
    transaction.on_commit(
        lambda: _notify(
            [current.owner, current.created_by],
            title=_("合同被退回：%(number)s") % {"number": current.number},
            body=comment,
            contract=current,
        )
    )
    return current


# -- signing and activation -------------------------------------------------------------------


def validate_scan(upload: UploadedFile) -> str:
    """Check a signed scan (PDF, JPG or PNG, at most 10 MB, content matching the type); returns
    its lower-case extension. Raises ``ValidationError`` naming what is wrong."""
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in SCAN_SIGNATURES:
        raise ValidationError(_("扫描件只能是 PDF、JPG 或 PNG 文件。"))
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("扫描件是空文件。"))
    if upload.size > SCAN_MAX_BYTES:
        raise ValidationError(_("扫描件不能超过 10 MB。"))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(SCAN_SIGNATURES[extension]):
        raise ValidationError(
            _("文件内容与扩展名“%(ext)s”不符，请上传真实的扫描件。") % {"ext": extension}
        )
    return extension


def _service_team(contract: Contract) -> list:
    """Who must act on a signed contract (二（三）4, last paragraph): finance, and the client's
    accountant, tax specialist, customer-service member and the heads of its department."""
    client = contract.client
    people = selectors.finance_staff()
    people += [client.accountant, client.tax_specialist, client.customer_service]
    people += selectors.department_heads(client.department_id)
    return [p for p in people if p is not None and p.is_active]


@transaction.atomic
def contract_sign(*, contract: Contract, signed_on: dt.date, scan: UploadedFile, by) -> Contract:
    """Record the signing (date and the signed scan), make the bill schedule, and tell finance
    and the service team. A contract whose start date has come takes effect at once."""
    current = _locked(contract)
    _check_move(current, ContractStatus.SIGNED)
    _require(can_sign(by, current), _("只有经办人、本部门负责人或管理员可以登记合同签署。"))
    today = timezone.localdate()
    if signed_on is None:
        raise DomainError(_("请填写签署日期。"), field="signed_on")
    if signed_on > today:
        raise DomainError(_("签署日期不能晚于今天。"), field="signed_on")
    try:
        extension = validate_scan(scan)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="scan") from error
    current.signed_scan.save(f"{current.number}-signed{extension}", scan, save=False)
    _move(
        current,
        ContractStatus.SIGNED,
        by=by,
        extra={"signed_on": [None, signed_on.isoformat()]},
        signed_on=signed_on,
    )
    from zhangfang.billing.services.bills import contract_bills_schedule

    contract_bills_schedule(contract=current, by=by)
    if current.start_date <= today:
        current = contract_activate(contract=current, by=by, today=today)
    recipients = _service_team(current)
    transaction.on_commit(
        lambda: _notify(
            recipients,
            title=_("合同已签署：%(number)s %(client)s")
            % {"number": current.number, "client": current.client.name},
            body=_("服务期 %(start)s 至 %(end)s，合同总额 %(total)s。请按合同约定开展工作。")
            % {
                "start": current.start_date.isoformat(),
                "end": current.end_date.isoformat(),
                "total": format_rmb(current.total_amount),
            },
            contract=current,
        )
    )
    return current


@transaction.atomic
def contract_activate(*, contract: Contract, by=None, today: dt.date | None = None) -> Contract:
    """A signed contract takes effect on its start date (by the signing, or the daily job with
    ``by=None``). A client still 潜在 becomes 服务中 through the clients' own status service."""
    today = today or timezone.localdate()
    current = _locked(contract)
    _check_move(current, ContractStatus.ACTIVE)
    if current.start_date > today:
        raise TransitionNotAllowed(
            _("合同 %(number)s 的起始日期 %(start)s 未到，尚不能生效。")
            % {"number": current.number, "start": current.start_date.isoformat()}
        )
    _move(current, ContractStatus.ACTIVE, by=by)
    client = current.client
    if client.status == ClientStatus.PROSPECT:
        from zhangfang.clients.services import client_change_status

        client_change_status(
            client=client,
            to=ClientStatus.ACTIVE,
            by=by,
            reason=_("合同 %(number)s 生效") % {"number": current.number},
        )
    return current


@transaction.atomic
def contract_expire(*, contract: Contract, by=None, today: dt.date | None = None) -> Contract:
    """A contract in force runs out the day after its end date (the daily job)."""
    today = today or timezone.localdate()
    current = _locked(contract)
    _check_move(current, ContractStatus.EXPIRED)
    if current.end_date >= today:
        raise TransitionNotAllowed(
            _("合同 %(number)s 到 %(end)s 才到期。")
            % {"number": current.number, "end": current.end_date.isoformat()}
        )
    return _move(current, ContractStatus.EXPIRED, by=by)


@transaction.atomic
def contract_terminate(*, contract: Contract, terminated_on: dt.date, reason: str, by) -> Contract:
    """End a signed or running contract early: a department head or an administrator, with the
    reason and the date (neither before the signing nor after the contract's end)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写终止原因。"), field="reason")
    if terminated_on is None:
        raise DomainError(_("请填写终止日期。"), field="terminated_on")
    current = _locked(contract)
    _check_move(current, ContractStatus.TERMINATED)
    _require(can_terminate(by, current), _("只有本部门负责人或管理员可以终止合同。"))
    if current.signed_on and terminated_on < current.signed_on:
        raise DomainError(_("终止日期不能早于签署日期。"), field="terminated_on")
    if terminated_on > current.end_date:
        raise DomainError(_("终止日期不能晚于合同终止日期。"), field="terminated_on")
    _move(
        current,
        ContractStatus.TERMINATED,
        by=by,
        detail=reason,
        extra={"terminated_on": [None, terminated_on.isoformat()]},
        terminated_on=terminated_on,
        termination_reason=reason,
    )
    from zhangfang.billing.services.bills import contract_bills_stop

    contract_bills_stop(contract=current, on=terminated_on, by=by)
    recipients = [*_service_team(current), current.owner]
    transaction.on_commit(
        lambda: _notify(
            recipients,
            title=_("合同已终止：%(number)s %(client)s")
            % {"number": current.number, "client": current.client.name},
            body=reason,
            contract=current,
        )
    )
    return current


# -- renewal ----------------------------------------------------------------------------------


@transaction.atomic
def contract_renew(*, contract: Contract, by) -> Contract:
    """Draft the renewal of ``contract``: a new contract (new number) linked by ``renewed_from``,
    starting the day after the end, with the same term, lines and payment terms. Only one open
    renewal per contract."""
    current = _locked(contract)
    if current.status not in RENEWABLE_STATUSES:
        raise TransitionNotAllowed(
            _("合同 %(number)s 当前为“%(status)s”，不能续签。")
            % {"number": current.number, "status": current.get_status_display()}
        )
    _require(can_renew(by, current), _("您没有续签此合同的权限。"))
    existing = (
        Contract.objects.filter(renewed_from=current)
        .exclude(status__in=selectors.CLOSED_RENEWAL_STATUSES)
        .only("number")
        .first()
    )
    if existing is not None:
        raise DomainError(
            _("合同 %(number)s 已有续签合同 %(renewal)s。")
            % {"number": current.number, "renewal": existing.number}
        )
    template = current.template if current.template and current.template.is_active else None
    template = template or selectors.default_template()
    start = current.end_date + dt.timedelta(days=1)
    renewal = Contract.objects.create(
        number=_next_number(),
        client=current.client,
        plan_version=current.plan_version,
        template=template,
        renewed_from=current,
        status=ContractStatus.DRAFT,
        start_date=start,
        end_date=end_date_for(start, current.term_months),
        term_months=current.term_months,
        payment_term=current.payment_term,
        payment_cycle=current.payment_cycle,
        discount_percent=current.discount_percent,
        free_months=current.free_months,
        payment_due_days=current.payment_due_days,
        payment_method=current.payment_method,
        monthly_fee=current.monthly_fee,
        one_off_total=current.one_off_total,
        total_amount=current.total_amount,
        owner=current.owner,
        department=current.department,
        created_by=by,
        body=current.body,
    )
    _copy_lines(renewal, current.lines.all())
    if template is not None:
        renewal.body = _render_body(renewal, template)
        renewal.save(update_fields=["body"])
    audit.record(
        action="create",
        by=by,
        obj=renewal,
        changes=_created_changes(renewal),
        detail=_("续签自 %(number)s") % {"number": current.number},
    )
    return renewal


# -- notifications and the daily job ----------------------------------------------------------


def _notify(recipients, *, title: str, contract: Contract, body: str = "", dedupe_key: str = ""):
    from zhangfang.notifications.services import notify

    return notify(
        recipients=recipients,
        title=title,
        body=body,
        url=_contract_url(contract),
        dedupe_key=dedupe_key,
    )


def renewal_notice_days() -> int:
    return policy.get("contracts.renewal_notice_days")


def contract_renewal_reminders_send(*, today: dt.date | None = None) -> int:
    """Tell the owner and the client's customer-service member once per contract that it ends
    within the notice period (policy ``contracts.renewal_notice_days``) with no renewal drafted.
    Returns how many contracts got a reminder now; running it again sends nothing new.

    Only notifications are written (no business data), each de-duplicated by its key.
    """
    today = today or timezone.localdate()
    reminded = 0
    for contract in selectors.contracts_due_for_renewal(today=today, days=renewal_notice_days()):
        days_left = (contract.end_date - today).days
        sent = _notify(
            [contract.owner, contract.client.customer_service],
            title=_("合同即将到期：%(number)s %(client)s，%(days)s 天后到期，请及时联系续签。")
            % {"number": contract.number, "client": contract.client.name, "days": days_left},
            body=_("合同终止日期为 %(end)s。") % {"end": contract.end_date.isoformat()},
            contract=contract,
            dedupe_key=f"contract-renewal:{contract.pk}:{contract.end_date.isoformat()}",
        )
        if sent:
            reminded += 1
    return reminded


def contracts_daily(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily job: activate signed contracts whose start has come, expire those whose end has
    passed, send renewal reminders. Each contract moves in its own transaction; idempotent."""
    today = today or timezone.localdate()
    activated = expired = 0
    for contract in selectors.contracts_to_activate(today=today):
        contract_activate(contract=contract, by=None, today=today)
        activated += 1
    for contract in selectors.contracts_to_expire(today=today):
        contract_expire(contract=contract, by=None, today=today)
        expired += 1
    reminded = contract_renewal_reminders_send(today=today)
    return {"activated": activated, "expired": expired, "reminded": reminded}
