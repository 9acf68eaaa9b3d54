"""When a client's service team changes (policy 三（一）2: each post's duties are someone's), the
work the replaced member still had open for that client follows the client to the new member.

:func:`move_open_work` is registered with :mod:`zhangfang.clients.team_hooks` by
``delivery/wiring/workload.py``; the client services call it inside their transaction, so the
team change and the moved work are saved together or not at all.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.core import audit
from zhangfang.delivery.models import OPEN_STATUSES, OPEN_WORK, ServiceRequest, WorkItem


def move_open_work(*, client, field: str, old_user_id: int | None, new_user, by) -> dict:
    """Give ``client``'s open work items and open requests held by the replaced member
    (``old_user_id``) to ``new_user``; returns ``{"work": n, "requests": m}``.

    Nothing moves when the post is left empty (``new_user`` None): the work stays with the old
    member until someone is named. Done, cancelled and resolved records keep who did them, and
    other people's work on the client is not touched. One audit event on the client lists how
    many moved.
    """
    moved = {"work": 0, "requests": 0}
    if new_user is None or old_user_id is None or old_user_id == new_user.pk:
        return moved
    now = timezone.now()
    moved["work"] = WorkItem.objects.filter(
        client=client, assignee_id=old_user_id, status__in=OPEN_WORK
    ).update(assignee=new_user, version=F("version") + 1, updated_at=now)
    request_values = {"assignee": new_user, "version": F("version") + 1, "updated_at": now}
    if new_user.department_id is not None:
        # As request_reassign does: the request goes to the new member's department.
        request_values["department_id"] = new_user.department_id
    moved["requests"] = ServiceRequest.objects.filter(
        client=client, assignee_id=old_user_id, status__in=OPEN_STATUSES
    ).update(**request_values)
    if moved["work"] or moved["requests"]:
        from zhangfang.staff.models import User

        old_user = User.objects.filter(pk=old_user_id).first()
        role = client._meta.get_field(field).verbose_name
        audit.record(
            action="update",
            by=by,
            obj=client,
            changes={_("未完成工作负责人"): [str(old_user) if old_user else None, str(new_user)]},
            detail=_("随%(role)s调整转交未完成工作 %(work)s 项、客户需求 %(requests)s 条")
            % {"role": role, "work": moved["work"], "requests": moved["requests"]},
        )
    return moved
