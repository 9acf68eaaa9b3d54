"""A member of staff leaves (or changes post): everything they hold goes to named colleagues
(policy 三（一）2: every duty stays with someone), and optionally their account is closed.

Clients move through :func:`zhangfang.clients.services.clients_reassign`, so each client's change
is audited and its open work and requests follow it (the team-change hook); what is left — work,
requests, rectifications, follow-ups and prospects not tied to those clients — goes to the
colleague named for that kind, one audit event per record. One transaction: all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.clients.services import clients_reassign
from zhangfang.core import audit
from zhangfang.core.errors import DomainError
from zhangfang.core.roles import Role, has_role
from zhangfang.delivery.selectors import workload as selectors
from zhangfang.delivery.selectors.workload import (
    CLIENT_KINDS,
    KIND_LABELS,
    KIND_ROLES,
    KINDS,
    RECORD_KINDS,
)
from zhangfang.notifications.services import notify
from zhangfang.staff.models import User
from zhangfang.staff.services import user_update


def _check_colleague(kind: str, colleague: User, person: User, by) -> None:
    label = KIND_LABELS[kind]
    if colleague.pk == person.pk:
        raise DomainError(_("请选择其他同事接手%(kind)s。") % {"kind": label}, field=kind)
    if not colleague.is_active:
        raise DomainError(
            _("%(name)s 已停用，不能接手%(kind)s。") % {"name": colleague, "kind": label},
            field=kind,
        )
    role = KIND_ROLES[kind]
    if role is not None and not has_role(colleague, role):
        raise DomainError(
            _("%(name)s 不是%(role)s，不能接手%(kind)s。")
            % {"name": colleague, "role": Role(role).label, "kind": label},
            field=kind,
        )
    if not has_role(by, Role.ADMIN) and colleague.department_id != person.department_id:
        raise DomainError(
            _("部门负责人只能交给本部门的同事：%(name)s 不在本部门。") % {"name": colleague},
            field=kind,
        )


def _move_records(kind: str, person: User, colleague: User, by) -> int:
    """Give each open record of ``kind`` still held by ``person`` to ``colleague``; one audit
    event per record, anchored where its history is read (the client, or the prospect)."""
    queryset = selectors.open_records(person)[kind].select_for_update(of=("self",))
    person_field = "owner" if kind == "prospects" else "assignee"
    anchors = {
        "work": lambda r: r.client,
        "requests": lambda r: r.client,
        "rectifications": lambda r: r.quality_check.item.client,
        "follow_ups": lambda r: r.survey.client,
        "prospects": lambda r: r,
    }
    moved = 0
    for record in queryset:
        fields = [person_field, "version"]
        setattr(record, person_field, colleague)
        if kind == "requests" and colleague.department_id is not None:
            # As request_reassign does: the request goes to its new assignee's department.
            record.department_id = colleague.department_id
            fields.append("department")
        if hasattr(record, "updated_at"):
            fields.append("updated_at")
        record.version = F("version") + 1
        record.save(update_fields=fields)
        audit.record(
            action="update",
            by=by,
            obj=record,
            anchor=anchors[kind](record),
            changes={person_field: [audit.jsonable(person), audit.jsonable(colleague)]},
            detail=_("离岗交接"),
        )
        moved += 1
    return moved


@transaction.atomic
def staff_handover(
    *, user: User, to: Mapping[str, User | None], deactivate: bool, by
) -> dict[str, int]:
    """Hand everything ``user`` holds to colleagues and optionally deactivate the account.

    ``to`` names, per kind (:data:`~zhangfang.delivery.selectors.workload.KINDS`), the colleague
    who takes it over: active, holding the kind's role (client posts as in
    ``clients_reassign``; prospects need a salesperson), and for a department head in the same
    department. A kind with something to hand over and nobody named is refused, naming its field.
    Deactivating is for administrators and goes through ``staff.services.user_update``.
    Afterwards no open record points at ``user``. Returns how many of each kind moved.
    """
    person = (
        User.objects.select_for_update(of=("self",)).select_related("department").get(pk=user.pk)
    )
    counts = selectors.holding_counts(person)
    for kind in KINDS:
        colleague = to.get(kind)
        if colleague is not None:
            _check_colleague(kind, colleague, person, by)
        elif counts[kind].remaining:
            raise DomainError(
                _("%(name)s 还有%(kind)s %(count)s 项，请指定接手的同事。")
                % {"name": person, "kind": KIND_LABELS[kind], "count": counts[kind].remaining},
                field=kind,
            )
    if deactivate:
        if not has_role(by, Role.ADMIN):
            raise DomainError(_("只有管理员可以停用账号。"), field="deactivate")
        if by is not None and by.pk == person.pk:
            raise DomainError(_("不能停用自己的账户。"), field="deactivate")

    # Given to the colleague named for the kind; work and requests of the person's clients
    # follow those clients instead (the team-change hook moves them inside clients_reassign).
    handed: dict[str, int] = {}
    followed = {kind: counts[kind].with_clients for kind in KINDS if counts[kind].with_clients}
    for kind in CLIENT_KINDS:
        if counts[kind].count:
            clients = list(selectors.open_records(person)[kind])
            handed[kind] = clients_reassign(clients=clients, field=kind, to=to[kind], by=by)
    for kind in RECORD_KINDS:
        colleague = to.get(kind)
        if colleague is not None:
            handed[kind] = _move_records(kind, person, colleague, by)

    if not selectors.holds_nothing(person):
        # Something was opened for the person while this ran; refuse rather than leave it behind.
        raise DomainError(_("交接期间又有事项分派给了此员工，请刷新页面后重新交接。"))

    handed = {kind: n for kind, n in handed.items() if n}
    if handed or followed:
        _record_summary(person, to, handed, followed, by)
    if deactivate:
        user_update(
            user=person,
            data=_account_data(person, is_active=False),
            expected_version=person.version,
            by=by,
        )
    _notify_colleagues(person, to, handed)
    return {kind: handed.get(kind, 0) + followed.get(kind, 0) for kind in KINDS}


def _record_summary(
    person: User,
    to: Mapping[str, User | None],
    handed: dict[str, int],
    followed: dict[str, int],
    by,
) -> None:
    """One event in the departing member's history: per kind, to whom and how many went, and
    how many followed the clients."""
    changes = {}
    for kind in KINDS:
        parts = []
        if handed.get(kind):
            parts.append(f"{to[kind]}（{handed[kind]}）")
        if followed.get(kind):
            parts.append(_("随客户转交 %(count)s") % {"count": followed[kind]})
        if parts:
            changes[str(KIND_LABELS[kind])] = [str(person), "；".join(parts)]
    total = sum(handed.values()) + sum(followed.values())
    audit.record(
        action="update",
        by=by,
        obj=person,
        changes=changes,
        detail=_("离岗交接：共转交 %(count)s 项") % {"count": total},
    )


def _account_data(person: User, *, is_active: bool) -> dict[str, Any]:
    """The staff form's values of ``person`` as they are, but for ``is_active``."""
    from zhangfang.staff.selectors import user_roles

    return {
        "username": person.username,
        "name": person.name,
        "department": person.department,
        "mobile": person.mobile,
        "title": person.title,
        "is_active": is_active,
        "roles": user_roles(person),
    }


def _notify_colleagues(person: User, to: Mapping[str, User | None], handed: dict[str, int]):
    per_colleague: dict[int, tuple[User, list[str]]] = {}
    for kind, n in handed.items():
        colleague = to.get(kind)
        if colleague is None:
            continue
        entry = per_colleague.setdefault(colleague.pk, (colleague, []))
        entry[1].append(f"{KIND_LABELS[kind]} {n}")
    # The colleague's own client list: the workload page is for heads and administrators.
    url = reverse("clients:list")
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    for colleague, parts in per_colleague.values():
        title = _("您接手了 %(name)s 的工作：%(parts)s") % {
            "name": person,
            "parts": "、".join(parts),
        }
        transaction.on_commit(
            lambda colleague=colleague, title=title: notify(
                recipients=[colleague],
                title=title,
                url=url,
                dedupe_key=f"handover:{person.pk}:{colleague.pk}:{stamp}",
            )
        )
