"""Every write to client data: create, edit, status changes, contacts, reveals. All audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.clients import selectors, team_hooks
from zhangfang.clients.models import Client, ClientStatus, ClientTag, Contact
from zhangfang.core import audit
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import ConcurrentEditError, DomainError, TransitionNotAllowed
from zhangfang.core.roles import Role, has_role
from zhangfang.core.search import pinyin_keys
from zhangfang.core.validators import birth_date_from_resident_id

CLIENT_AUDIT_FIELDS = [
    "name",
    "short_name",
    "uscc",
    "status",
    "taxpayer_type",
    "industry",
    "tier",
    "legal_representative",
    "registered_capital",
    "established_on",
    "address",
    "region",
    "phone",
    "email",
    "bank_name",
    "bank_account",
    "notes",
    "department",
    "sales_owner",
    "accountant",
    "tax_specialist",
    "customer_service",
]
CONTACT_AUDIT_FIELDS = [
    "name",
    "role",
    "title",
    "mobile",
    "email",
    "wechat",
    "id_number",
    "birthday",
    "birthday_lunar",
    "greetings_opt_out",
    "is_primary",
    "notes",
]
#: Sensitive fields: the audit log records that they changed, never their values.
MASKED_FIELDS = frozenset({"bank_account", "id_number"})

#: The allowed status moves of a client (潜在 → 服务中 → 暂停/终止, and back to service).
CLIENT_TRANSITIONS: dict[str, set[str]] = {
    ClientStatus.PROSPECT: {ClientStatus.ACTIVE, ClientStatus.TERMINATED},
    ClientStatus.ACTIVE: {ClientStatus.SUSPENDED, ClientStatus.TERMINATED},
    ClientStatus.SUSPENDED: {ClientStatus.ACTIVE, ClientStatus.TERMINATED},
    ClientStatus.TERMINATED: {ClientStatus.ACTIVE},
}


def _duplicate_uscc_error(uscc: str) -> DomainError:
    existing = selectors.client_by_uscc(uscc)
    name = existing.name if existing else uscc
    return DomainError(
        _("统一社会信用代码 %(code)s 已登记为客户“%(name)s”。") % {"code": uscc, "name": name}
    )


def _tag_names(client: Client) -> str:
    """The client's tags as one text, "A、B" in name order (how the audit trail shows them)."""
    return "、".join(client.tags.order_by("name").values_list("name", flat=True))


def _client_snapshot(client: Client, *, with_tags: bool = True) -> dict[str, Any]:
    values = audit.snapshot(client, CLIENT_AUDIT_FIELDS, masked=MASKED_FIELDS)
    if with_tags:
        # A many-to-many field has no single value for audit.snapshot: record the names.
        values["tags"] = _tag_names(client)
    return values


@transaction.atomic
def client_create(*, data: dict[str, Any], by) -> Client:
    """Register a client (潜在 or 服务中) with its team and tags; audited as a creation.

    ``data["tags"]`` (optional) is an iterable of :class:`ClientTag`, set once the row exists.
    """
    values = dict(data)
    tags = values.pop("tags", None)
    client = Client(**values)
    client.search_pinyin = pinyin_keys(client.name, client.short_name)
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError as exc:
        # Two people registering the same code at once: the database's unique index decides.
        if client.uscc and Client.objects.filter(uscc=client.uscc).exists():
            raise _duplicate_uscc_error(client.uscc) from exc
        raise
    if tags is not None:
        client.tags.set(tags)
    audit.record(
        action="create", by=by, obj=client, changes=audit.created(_client_snapshot(client))
    )
    return client


@transaction.atomic
def client_update(
    *, client: Client, data: dict[str, Any], expected_version: int | None, by
) -> Client:
    """Save edits made on the version the user opened; refuse if someone saved in between.

    The stored row is re-read (and locked) here: ``client`` may be a form's instance that already
    carries the new values, so it cannot tell what changed. ``data["tags"]``, when present,
    replaces the client's tags (absent: they stay as they are).
    """
    values = dict(data)
    tags = values.pop("tags", None)
    current = lock_version(
        Client,
        pk=client.pk,
        version=client.version if expected_version is None else expected_version,
        message=_(
            "保存失败：在您编辑期间，其他人已修改了此客户。您填写的内容仍在下方，请核对最新信息后重新保存。"
        ),
    )
    before = _client_snapshot(current)
    team_before = team_hooks.team_ids(current)
    # Status moves only through client_change_status.
    apply_edit(current, values, skip=frozenset({"status"}))
    current.search_pinyin = pinyin_keys(current.name, current.short_name)
    try:
        with transaction.atomic():
            current.save()
    except IntegrityError as exc:
        if current.uscc and selectors.client_by_uscc(current.uscc, exclude_pk=current.pk):
            raise _duplicate_uscc_error(current.uscc) from exc
        raise
    if tags is not None:
        current.tags.set(tags)
    changes = audit.diff(before, _client_snapshot(current))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    # Other chapters move what a replaced team member still had open (same transaction).
    team_hooks.run_changes(client=current, before=team_before, by=by)
    return current


@transaction.atomic
def client_change_status(*, client: Client, to: str, by, reason: str = "") -> Client:
    """Move a client to another status if the workflow allows it; audited with the reason."""
    current = Client.objects.select_for_update().get(pk=client.pk)
    if to not in CLIENT_TRANSITIONS.get(current.status, set()):
        raise TransitionNotAllowed(
            _("客户状态不能从“%(from)s”变为“%(to)s”。")
            % {
                "from": current.get_status_display(),
                "to": ClientStatus(to).label if to in ClientStatus.values else to,
            }
        )
    before = current.get_status_display()
    Client.objects.filter(pk=current.pk).update(
        status=to, version=F("version") + 1, updated_at=timezone.now()
    )
    current.refresh_from_db()
    audit.record(
        action="status",
        by=by,
        obj=current,
        changes={"status": [before, current.get_status_display()]},
        detail=reason,
    )
    return current


def _contact_snapshot(contact: Contact) -> dict[str, Any]:
    return audit.snapshot(contact, CONTACT_AUDIT_FIELDS, masked=MASKED_FIELDS)


def _id_birth_date(id_number: str) -> dt.date | None:
    return birth_date_from_resident_id(id_number) if id_number else None


def _apply_contact_data(contact: Contact, data: dict[str, Any]) -> None:
    """Set ``data`` on ``contact`` and settle the birthday (policy 四（二）2).

    The 身份证号 holds the legal date of birth, but some people's real birthday differs from it:
    an entered birthday is kept as entered. An empty birthday, or one that only repeats the date of
    the previous 身份证号 (the form shows the stored date), follows the 身份证号.
    """
    previous_id_date = _id_birth_date(contact.id_number)
    entered = data.get("birthday", contact.birthday)
    for field, value in data.items():
        if field != "birthday":
            setattr(contact, field, value)
    id_date = _id_birth_date(contact.id_number)
    if entered is None or (entered == previous_id_date and id_date is not None):
        contact.birthday = id_date
    else:
        contact.birthday = entered
    if contact.birthday_lunar and contact.birthday is None:
        raise DomainError(
            _("按农历过生日须有生日：请填写生日或身份证号，或取消勾选。"), field="birthday_lunar"
        )


def _only_one_primary(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(client_id=contact.client_id, is_primary=True).exclude(
            pk=contact.pk
        ).update(is_primary=False, version=F("version") + 1)


@transaction.atomic
def contact_create(*, client: Client, data: dict[str, Any], by) -> Contact:
    """Add a contact to a client; without an entered birthday it comes from the 身份证号.

    Refused (``DomainError`` on ``birthday_lunar``) when the lunar flag is set without a birthday.
    """
    contact = Contact(client=client)
    _apply_contact_data(contact, data)
    contact.save()
    _only_one_primary(contact)
    audit.record(
        action="create",
        by=by,
        obj=contact,
        anchor=client,
        changes=audit.created(_contact_snapshot(contact)),
    )
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, data: dict[str, Any], expected_version: int | None, by
) -> Contact:
    """Save a contact's edits; an empty 身份证号 in ``data`` keeps the stored one.

    The birthday follows the rules of :func:`_apply_contact_data`; greeting preferences (lunar
    birthday, opt-out) are audited with the other fields.
    """
    values = dict(data)
    if not values.get("id_number"):
        values.pop("id_number", None)
    locked = lock_version(
        Contact,
        pk=contact.pk,
        version=contact.version if expected_version is None else expected_version,
        message=_(
            "保存失败：在您编辑期间，其他人已修改了此联系人。您填写的内容仍在下方，请核对后重新保存。"
        ),
    )
    before = _contact_snapshot(locked)
    _apply_contact_data(locked, values)
    locked.version += 1
    locked.save()
    _only_one_primary(locked)
    changes = audit.diff(before, _contact_snapshot(locked))
    if changes:
        audit.record(action="update", by=by, obj=locked, anchor=locked.client, changes=changes)
    return locked


@transaction.atomic
def contact_delete(*, contact: Contact, by) -> None:
    """Remove a contact; the audit log keeps what it held (sensitive fields masked)."""
    client = contact.client
    snapshot = _contact_snapshot(contact)
    audit.record(
        action="delete",
        by=by,
        obj=contact,
        anchor=client,
        changes=audit.deleted(snapshot),
    )
    contact.delete()


#: Team fields that bulk reassignment may change, with the role the new person must hold.
REASSIGNABLE = {
    "sales_owner": Role.SALES,
    "accountant": Role.ACCOUNTANT,
    "tax_specialist": Role.TAX_SPECIALIST,
    "customer_service": Role.CUSTOMER_SERVICE,
}


@transaction.atomic
def clients_reassign(*, clients: list[Client], field: str, to, by) -> int:
    """Hand a batch of clients to another member of staff (e.g. when an accountant leaves).

    ``to`` must hold the field's role and be active; each client changed gets its own audit
    event, and either every client is reassigned or none.
    """
    role = REASSIGNABLE.get(field)
    if role is None:
        raise DomainError(_("不能批量修改此项。"))
    if to is None or not to.is_active or not has_role(to, role):
        raise DomainError(
            _("%(name)s 不是在职的%(role)s，不能接手。") % {"name": to, "role": role.label}
        )
    changed = 0
    for current in Client.objects.select_for_update().filter(pk__in=[c.pk for c in clients]):
        if getattr(current, f"{field}_id") == to.pk:
            continue
        # Tags are not touched here: leaving them out saves two queries per client.
        before = _client_snapshot(current, with_tags=False)
        old_user_id = getattr(current, f"{field}_id")
        setattr(current, field, to)
        current.version += 1
        current.save(update_fields=[field, "version", "updated_at"])
        audit.record(
            action="update",
            by=by,
            obj=current,
            changes=audit.diff(before, _client_snapshot(current, with_tags=False)),
            detail=_("批量调整服务团队"),
        )
        team_hooks.run(client=current, field=field, old_user_id=old_user_id, new_user=to, by=by)
        changed += 1
    return changed


def client_list_exported(*, filters, count: int, by) -> None:
    """Record that ``by`` exported ``count`` clients with ``filters`` (exports are audited)."""
    conditions = {k: v for k, v in vars(filters).items() if v not in ("", None)}
    audit.record(
        action="export",
        by=by,
        object_type="clients.client",
        object_repr=_("客户列表"),
        detail=_("导出 %(count)s 个客户 %(filters)s")
        % {"count": count, "filters": conditions or ""},
    )


def _reveal(*, obj, field: str, anchor, by) -> str:
    value = getattr(obj, field) or ""
    audit.record(
        action="reveal",
        by=by,
        obj=obj,
        anchor=anchor,
        detail=str(obj._meta.get_field(field).verbose_name),
    )
    return value


@transaction.atomic
def client_reveal(*, client: Client, field: str, by) -> str:
    """The plain value of a client's sensitive field; every reveal is written to the audit log."""
    return _reveal(obj=client, field=field, anchor=client, by=by)


@transaction.atomic
def contact_reveal(*, contact: Contact, field: str, by) -> str:
    """The plain value of a contact's sensitive field; every reveal is written to the audit log."""
    return _reveal(obj=contact, field=field, anchor=contact.client, by=by)


# -- client tags (firm-wide labels for targeting bulletins, policy 四（二）1) ----------------------


def _clean_tag_name(name: str) -> str:
    value = " ".join((name or "").split())
    if not value:
        raise DomainError(_("请填写标签名称。"), field="name")
    if len(value) > ClientTag._meta.get_field("name").max_length:
        raise DomainError(_("标签名称最多 30 个字。"), field="name")
    return value


def _ensure_tag_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    clash = ClientTag.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(_("已有名为“%(name)s”的标签。") % {"name": name}, field="name")


def _save_tag(tag: ClientTag) -> None:
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError as exc:
        # Two people adding the same name at once: the unique index decides, the message explains.
        raise DomainError(
            _("已有名为“%(name)s”的标签。") % {"name": tag.name}, field="name"
        ) from exc


@transaction.atomic
def tag_create(*, name: str, by) -> ClientTag:
    """Add a client tag (names are unique, compared without regard to case); audited."""
    tag = ClientTag(name=_clean_tag_name(name))
    _ensure_tag_name_free(tag.name)
    _save_tag(tag)
    audit.record(action="create", by=by, obj=tag, changes=audit.created({"name": tag.name}))
    return tag


@transaction.atomic
def tag_rename(*, tag: ClientTag, name: str, expected_name: str | None = None, by) -> ClientTag:
    """Rename a tag; the clients keep it. Audited with the old and new name.

    ``expected_name`` is the name the user saw: if someone renamed the tag in between, the save is
    refused rather than overwriting their change (tags carry no version number).
    """
    current = ClientTag.objects.select_for_update().get(pk=tag.pk)
    if expected_name is not None and expected_name != current.name:
        raise ConcurrentEditError(
            _("保存失败：在您编辑期间，其他人已将此标签改名为“%(name)s”。请核对后重新保存。")
            % {"name": current.name}
        )
    new_name = _clean_tag_name(name)
    if new_name == current.name:
        return current
    _ensure_tag_name_free(new_name, exclude_pk=current.pk)
    before = current.name
    current.name = new_name
    _save_tag(current)
    audit.record(action="update", by=by, obj=current, changes={"name": [before, new_name]})
    return current


@transaction.atomic
def tag_delete(*, tag: ClientTag, by) -> int:
    """Delete a tag, which removes it from every client; returns how many clients had it.

    One audit event on the tag records the name and the number of clients it was removed from.
    """
    current = ClientTag.objects.select_for_update().get(pk=tag.pk)
    count = current.clients.count()
    audit.record(
        action="delete",
        by=by,
        obj=current,
        changes=audit.deleted({"name": current.name}),
        detail=_("已从 %(count)s 个客户移除") % {"count": count},
    )
    current.delete()
    return count
