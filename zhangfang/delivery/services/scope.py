"""A client's service scope (服务范围, policy 三（二）3): what the firm does for it each period.

The monthly work is generated from it (``services.generation``); a client without a row gets the
defaults, and the row is created on the first save. Edits are for the client's accountant, the
head of its department and administrators, under optimistic locking, audited with before and after.
A change shapes the periods generated after it; work already generated is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zhangfang.core import audit
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.delivery.models import ServiceScope
from zhangfang.delivery.services.generation import SCOPE_FIELDS
from zhangfang.delivery.services.work import heads_client


def _stale() -> str:
    return _(
        "保存失败：在您编辑期间，其他人已修改了此客户的服务范围。"
        "您填写的内容仍在下方，请核对后重新保存。"
    )


def can_edit_scope(user, client) -> bool:
    """The client's accountant, a head of its department, or an administrator."""
    return client.accountant_id == user.pk or heads_client(user, client)


def scope_of(client) -> ServiceScope:
    """The client's scope, or the defaults (unsaved, version 0) when it has none yet."""
    scope = ServiceScope.objects.filter(client=client).first()
    if scope is None:
        scope = ServiceScope(client=client)
        scope.version = 0
    return scope


def _snapshot(scope: ServiceScope) -> dict[str, Any]:
    return audit.snapshot(scope, list(SCOPE_FIELDS))


@transaction.atomic
def service_scope_update(
    *, client, data: dict[str, Any], expected_version: int | None, by
) -> ServiceScope:
    """Save the scope as edited on the version the user opened (0: the defaults, no row yet).

    Someone else's save in between is refused (``ConcurrentEditError``) and nothing is changed.
    """
    if not can_edit_scope(by, client):
        raise DomainError(_("只有客户的会计、部门负责人或管理员可以修改服务范围。"))
    unknown = set(data) - set(SCOPE_FIELDS)
    if unknown:
        raise DomainError(_("不支持的服务范围项目：%s") % ", ".join(sorted(unknown)))
    existing = ServiceScope.objects.filter(client=client).only("pk", "version").first()
    if existing is None:
        if expected_version not in (None, 0):
            raise ConcurrentEditError(_stale())
        before = _snapshot(ServiceScope(client=client))
        current = ServiceScope(client=client, **data, updated_by=by)
        try:
            # A savepoint: two first saves at once meet the one-to-one constraint; the later one
            # is refused like any other stale edit.
            with transaction.atomic():
                current.save()
        except IntegrityError as exc:
            raise ConcurrentEditError(_stale()) from exc
        action = "create"
    else:
        current = lock_version(
            ServiceScope,
            pk=existing.pk,
            version=existing.version if expected_version is None else expected_version,
            message=_stale(),
        )
        before = _snapshot(current)
        apply_edit(current, data)
        current.updated_by = by
        current.save()
        action = "update"
    changes = audit.diff(before, _snapshot(current))
    if changes or action == "create":
        audit.record(
            action=action,
            by=by,
            obj=current,
            anchor=client,
            changes=changes,
            detail=_("服务范围变更自下一期生成的工作起生效"),
        )
    return current
