"""The 税款测算 of a client's period and the client's confirmation of it (policy 三（二）3).

The estimate holds one amount per tax return due that period (the client's 申报 steps whose
filing carries a tax). Staff send it to the client through a signed link (valid for
``delivery.tax_link_days`` days, e-mailed to the primary contact when it has an address), or
record a confirmation the client gave another way (phone, WeChat, e-mail, in person). The client
confirms or raises a question through the link; a question goes back to staff, who revise and send
again (the same link, a new expiry). Editing the amounts after sending takes the estimate back to
draft: what the client would confirm is no longer what was sent.

Confirming, either way, completes the 税款测算 step; the returns of the period may then be filed
(``services.work.completion_problem``). Every change writes one audit event on the client.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.clients.models import Contact
from zhangfang.core import audit, policy
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.links import link_pk, link_token
from zhangfang.core.money import CENT, rmb_upper
from zhangfang.delivery.models import (
    ConfirmationStatus,
    ConfirmedVia,
    TaxConfirmation,
    TaxEstimateLine,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services.generation import TAXES
from zhangfang.delivery.services.work import can_work
from zhangfang.notifications.services import notify

#: The policy setting: how many days a confirmation link stays valid.
TAX_LINK_DAYS = "delivery.tax_link_days"
#: The salt of the signed link; a token of another kind of link names nothing here.
LINK_SALT = "delivery.tax-confirmation"

#: What the public page can do with a link.
LINK_OPEN = "open"
LINK_EXPIRED = "expired"
LINK_ANSWERED = "answered"
LINK_REVISING = "revising"

S = ConfirmationStatus


def _local(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else None


def confirmation_token(confirmation: TaxConfirmation) -> str:
    return link_token(LINK_SALT, confirmation.pk)


def confirmation_path(confirmation: TaxConfirmation) -> str:
    return reverse("delivery:tax_confirm_public", args=[confirmation_token(confirmation)])


def confirmation_from_token(token: str) -> TaxConfirmation | None:
    """The confirmation a link names, or None when the token was altered (or never existed)."""
    pk = link_pk(LINK_SALT, token)
    if pk is None:
        return None
    return (
        TaxConfirmation.objects.select_related("item__client", "item__assignee")
        .filter(pk=pk)
        .first()
    )


def link_state(confirmation: TaxConfirmation, now: dt.datetime | None = None) -> str:
    """Whether the client may answer now: open, expired, answered, or being revised."""
    now = now or timezone.now()
    if confirmation.status in (S.CONFIRMED, S.QUERIED):
        return LINK_ANSWERED
    if confirmation.status != S.SENT or confirmation.expires_at is None:
        return LINK_REVISING
    if now > confirmation.expires_at:
        return LINK_EXPIRED
    return LINK_OPEN


def link_days() -> int:
    return int(policy.get(TAX_LINK_DAYS))


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def can_edit_estimate(user, item: WorkItem) -> bool:
    """The 税款测算 step's team (its assignee, the client's accountant, tax specialist and customer
    service) and the department's heads, while the step is open."""
    return item.step == WorkStep.TAX_ESTIMATE and item.is_open and can_work(user, item)


def tax_filings(item: WorkItem) -> list[str]:
    """The returns carrying a tax that the client files for the estimate's period, in the
    board's order."""
    due = set(
        WorkItem.objects.filter(
            client_id=item.client_id,
            period=item.period,
            step=WorkStep.FILING,
            filing__in=TAXES,
        )
        .exclude(status=WorkStatus.CANCELLED)
        .values_list("filing", flat=True)
    )
    return [f for f in TAXES if f in due]


def _locked_item(item: WorkItem, by) -> WorkItem:
    current = (
        WorkItem.objects.select_for_update(of=("self",))
        .select_related("client", "assignee")
        .get(pk=item.pk)
    )
    if current.step != WorkStep.TAX_ESTIMATE:
        raise DomainError(_("只有税款测算工作可以发送客户确认。"))
    if not can_work(by, current):
        raise DomainError(_("您不负责此项工作。"))
    if not current.is_open:
        raise DomainError(_("税款测算已完成或已取消；如需修改请部门负责人重新打开。"))
    return current


def _locked_confirmation(item: WorkItem) -> TaxConfirmation | None:
    return TaxConfirmation.objects.select_for_update(of=("self",)).filter(item=item).first()


def _lines_snapshot(confirmation: TaxConfirmation) -> dict[str, str]:
    return {line.filing: str(line.amount) for line in confirmation.lines.all()}


# ---------------------------------------------------------------------------------------------
# The estimate
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def tax_estimate_save(
    *,
    item: WorkItem,
    amounts: dict[str, Decimal],
    remarks: str = "",
    expected_version: int | None = None,
    by,
) -> TaxConfirmation:
    """Save the estimate: one amount (≥ 0) for each tax return due that period, and remarks.

    A change after the estimate was sent (or answered) takes it back to draft, to be sent again.
    ``expected_version`` is the version the user opened (0 for an estimate not saved yet); a
    save over someone else's is refused.
    """
    current = _locked_item(item, by)
    filings = tax_filings(current)
    if not filings:
        raise DomainError(_("本期没有需要测算税款的申报事项。"))
    cleaned: dict[str, Decimal] = {}
    for filing in filings:
        amount = amounts.get(filing)
        if amount is None:
            raise DomainError(_("请填写每个税种的测算税额。"), field=f"amount_{filing}")
        amount = Decimal(amount)
        if amount < 0:
            raise DomainError(_("测算税额不能为负数。"), field=f"amount_{filing}")
        cleaned[filing] = amount.quantize(CENT)
    confirmation = _locked_confirmation(current)
    if expected_version is not None:
        stored = confirmation.version if confirmation else 0
        if stored != expected_version:
            raise ConcurrentEditError(
                _("保存失败：在您编辑期间，其他人已修改了此税款测算。请核对最新内容后重新填写。")
            )
    created = confirmation is None
    if created:
        confirmation = TaxConfirmation.objects.create(item=current)
    before_lines = _lines_snapshot(confirmation)
    before_remarks = confirmation.remarks
    before_status = confirmation.status
    after_lines = {f: str(a) for f, a in cleaned.items()}
    remarks = (remarks or "").strip()
    if not created and before_lines == after_lines and before_remarks == remarks:
        return confirmation
    confirmation.lines.exclude(filing__in=filings).delete()
    for filing, amount in cleaned.items():
        TaxEstimateLine.objects.update_or_create(
            confirmation=confirmation, filing=filing, defaults={"amount": amount}
        )
    confirmation.total = sum(cleaned.values(), Decimal("0.00"))
    confirmation.remarks = remarks
    if confirmation.status != S.DRAFT:
        # What the client saw (or confirmed) is no longer the estimate: it must be sent again.
        confirmation.status = S.DRAFT
        confirmation.confirmed_at = None
        confirmation.confirmed_via = ""
        confirmation.confirmed_by_name = ""
        confirmation.recorded_by = None
    confirmation.version += 1
    confirmation.save()
    changes = {
        f"line:{filing}": [before_lines.get(filing), after_lines.get(filing)]
        for filing in sorted(set(before_lines) | set(after_lines))
        if before_lines.get(filing) != after_lines.get(filing)
    }
    if before_remarks != remarks:
        changes["remarks"] = [before_remarks or None, remarks or None]
    if before_status != confirmation.status:
        changes["status"] = [str(S(before_status).label), str(S(confirmation.status).label)]
    audit.record(
        action="create" if created else "update",
        by=by,
        obj=confirmation,
        anchor=current.client,
        changes=changes,
        detail=_("税款合计 %(total)s") % {"total": confirmation.total}
        + (_("（已发送的测算被修改，须重新发送）") if before_status != S.DRAFT else ""),
    )
    return confirmation


def _primary_email(client) -> str:
    contact = (
        Contact.objects.filter(client=client, is_primary=True).exclude(email="").only("email")
    ).first()
    return contact.email if contact else ""


@transaction.atomic
def tax_confirmation_send(*, item: WorkItem, by, base_url: str = "") -> str:
    """Send the estimate to the client; returns the link's path.

    The link is valid for ``delivery.tax_link_days`` days from now. Sending again (after a
    question, or to extend an unanswered link) keeps the same link with a new expiry. The link is
    e-mailed to the client's primary contact when it has an e-mail address (``base_url``, e.g.
    ``https://zhangfang.example.com``, makes it absolute).
    """
    current = _locked_item(item, by)
    confirmation = _locked_confirmation(current)
    if confirmation is None or not confirmation.lines.exists():
        raise DomainError(_("请先填写并保存税款测算，再发送给客户确认。"))
    if confirmation.status == S.CONFIRMED:
        raise TransitionNotAllowed(_("客户已确认本期税款，无需再次发送。"))
    now = timezone.now()
    before = {
        "status": str(S(confirmation.status).label),
        "expires_at": _local(confirmation.expires_at),
    }
    was_queried = confirmation.status == S.QUERIED
    confirmation.status = S.SENT
    confirmation.sent_at = now
    confirmation.expires_at = now + dt.timedelta(days=link_days())
    # A new round: the client's previous question stays in the audit trail.
    confirmation.client_comment = ""
    confirmation.confirmed_by_name = ""
    confirmation.version += 1
    confirmation.save()
    changes = {
        "status": [before["status"], str(S(S.SENT).label)],
        "expires_at": [before["expires_at"], _local(confirmation.expires_at)],
    }
    audit.record(
        action="status",
        by=by,
        obj=confirmation,
        anchor=current.client,
        changes={k: v for k, v in changes.items() if v[0] != v[1]},
        detail=_("修改后重新发送给客户确认") if was_queried else _("发送给客户确认"),
    )
    path = confirmation_path(confirmation)
    email = _primary_email(current.client)
    if email:
        url = base_url.rstrip("/") + path
        subject = _("请确认%(period)s税款测算") % {"period": f"{current.period:%Y-%m}"}
        body = _(
            "%(client)s：\n\n本期（%(period)s）税款测算合计 ¥%(total)s（%(upper)s）。"
            "请打开以下链接核对并确认：\n%(url)s\n\n链接有效期至 %(expires)s。"
        ) % {
            "client": current.client.name,
            "period": f"{current.period:%Y-%m}",
            "total": f"{confirmation.total:,.2f}",
            "upper": rmb_upper(confirmation.total),
            "url": url,
            "expires": _local(confirmation.expires_at),
        }
        transaction.on_commit(lambda: send_mail(subject, body, None, [email], fail_silently=True))
    return path


def _complete_estimate(item: WorkItem, by, detail: str) -> None:
    """The client confirmed: the 税款测算 step is done (by the staff member who recorded the
    confirmation, or nobody when the client confirmed through the link)."""
    if not item.is_open:
        return
    before = item.get_status_display()
    item.status = WorkStatus.DONE
    item.completed_at = timezone.now()
    item.completed_by = by
    if item.started_at is None:
        item.started_at = item.completed_at
    item.version += 1
    item.save()
    audit.record(
        action="status",
        by=by,
        obj=item,
        anchor=item.client,
        changes={"status": [before, item.get_status_display()]},
        detail=detail,
        actor_name="" if by is not None else _("客户"),
    )


def _notify_confirmed(item: WorkItem, confirmation: TaxConfirmation) -> None:
    filers = [
        w.assignee
        for w in WorkItem.objects.filter(
            client_id=item.client_id, period=item.period, step=WorkStep.FILING, filing__in=TAXES
        ).select_related("assignee")
    ]
    notify(
        recipients=[item.assignee, *filers],
        title=_("%(client)s 已确认 %(period)s 税款（合计 ¥%(total)s），可以申报")
        % {
            "client": item.client.name,
            "period": f"{item.period:%Y-%m}",
            "total": f"{confirmation.total:,.2f}",
        },
        url=reverse("delivery:work_item_detail", args=[item.pk]),
        dedupe_key=f"tax-confirmed:{confirmation.pk}:{confirmation.version}",
    )


@transaction.atomic
def tax_confirmation_record(
    *, item: WorkItem, via: str, name: str, note: str = "", by
) -> TaxConfirmation:
    """Record a confirmation the client gave another way (phone, WeChat, e-mail, in person):
    how, who at the client, and a note. Completes the 税款测算 step."""
    name = (name or "").strip()
    if via not in ConfirmedVia.values or via == ConfirmedVia.LINK:
        raise DomainError(_("请选择客户的确认方式。"), field="via")
    if not name:
        raise DomainError(_("请填写客户确认人。"), field="name")
    current = _locked_item(item, by)
    confirmation = _locked_confirmation(current)
    if confirmation is None or not confirmation.lines.exists():
        raise DomainError(_("请先填写并保存税款测算。"))
    if confirmation.status == S.CONFIRMED:
        raise TransitionNotAllowed(_("客户已确认本期税款。"))
    before = str(S(confirmation.status).label)
    confirmation.status = S.CONFIRMED
    confirmation.confirmed_at = timezone.now()
    confirmation.confirmed_via = via
    confirmation.confirmed_by_name = name[:50]
    confirmation.client_comment = (note or "").strip()
    confirmation.recorded_by = by
    confirmation.version += 1
    confirmation.save()
    audit.record(
        action="status",
        by=by,
        obj=confirmation,
        anchor=current.client,
        changes={
            "status": [before, str(S(S.CONFIRMED).label)],
            "confirmed_via": [None, str(ConfirmedVia(via).label)],
            "confirmed_by_name": [None, confirmation.confirmed_by_name],
            **({"client_comment": [None, confirmation.client_comment]} if note else {}),
        },
        detail=_("记录客户确认税款"),
    )
    detail = _("客户已确认税款（%(via)s）") % {"via": str(ConfirmedVia(via).label)}
    _complete_estimate(current, by, detail)
    _notify_confirmed(current, confirmation)
    return confirmation


@transaction.atomic
def tax_confirmation_answer(
    *, confirmation: TaxConfirmation, confirmed: bool, name: str, comment: str = ""
) -> TaxConfirmation:
    """The client's answer through the link: confirm the amounts, or raise a question.

    Only a sent, unexpired, unanswered estimate may be answered, and only once: the row is locked
    and checked again here, so a double submit records one answer and refuses the other.
    """
    name = (name or "").strip()
    comment = (comment or "").strip()
    if not name:
        raise DomainError(_("请填写您的姓名。"), field="name")
    if not confirmed and not comment:
        raise DomainError(_("请写明您的疑问。"), field="comment")
    current = TaxConfirmation.objects.select_for_update(of=("self",)).get(pk=confirmation.pk)
    state = link_state(current)
    if state == LINK_ANSWERED:
        raise TransitionNotAllowed(_("您已答复过此税款测算，不能重复答复。"))
    if state == LINK_EXPIRED:
        raise TransitionNotAllowed(_("链接已过期，请联系我们重新发送。"))
    if state != LINK_OPEN:
        raise TransitionNotAllowed(_("此税款测算正在修改，请等待我们重新发送。"))
    item = (
        WorkItem.objects.select_for_update(of=("self",))
        .select_related("client", "assignee")
        .get(pk=current.item_id)
    )
    actor = _("%(name)s（客户）") % {"name": name[:50]}
    current.confirmed_by_name = name[:50]
    current.client_comment = comment
    if confirmed:
        current.status = S.CONFIRMED
        current.confirmed_at = timezone.now()
        current.confirmed_via = ConfirmedVia.LINK
        current.recorded_by = None
    else:
        current.status = S.QUERIED
    current.version += 1
    current.save()
    changes = {
        "status": [str(S(S.SENT).label), str(S(current.status).label)],
        "confirmed_by_name": [None, current.confirmed_by_name],
    }
    if comment:
        changes["client_comment"] = [None, comment]
    audit.record(
        action="status",
        obj=current,
        anchor=item.client,
        actor_name=actor,
        changes=changes,
        detail=_("客户通过链接确认税款") if confirmed else _("客户通过链接提出疑问"),
    )
    url = reverse("delivery:work_item_detail", args=[item.pk])
    if confirmed:
        _complete_estimate(item, None, _("客户已通过链接确认税款"))
        _notify_confirmed(item, current)
    else:
        notify(
            recipients=[item.assignee],
            title=_("%(client)s 对 %(period)s 税款测算有疑问，请修改后重新发送")
            % {"client": item.client.name, "period": f"{item.period:%Y-%m}"},
            body=comment,
            url=url,
            dedupe_key=f"tax-queried:{current.pk}:{current.version}",
        )
    return current
