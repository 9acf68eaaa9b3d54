"""Quality spot checks (服务质量监控, policy 三（二）4).

A department head draws a reproducible random sample of a period's completed bookkeeping, scores
each sampled piece of work against the checklist, and every finding becomes a rectification task
for the person whose work it was. The task is done by that person and re-checked by the checker or
a head (passed, or sent back with a new deadline); when every task of a check has passed, the check
is closed.

Status changes go through ``CHECK_MOVES`` / ``RECTIFICATION_MOVES``; every action writes one audit
event anchored on the client whose work was checked.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.core import audit, policy
from zhangfang.core.calendar import add_working_days
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.roles import Role, has_role, is_admin_or_head_of
from zhangfang.delivery.models import (
    ChecklistItem,
    CheckStatus,
    QualityCheck,
    QualitySample,
    QualityScore,
    Rectification,
    RectificationStatus,
    SampleMethod,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.wiring.quality import RECTIFICATION_DAYS
from zhangfang.notifications.services import notify

C = CheckStatus
R = RectificationStatus

#: A check is recorded once: it passes, or its findings wait for rectification until all of
#: them have passed re-checking.
CHECK_MOVES: dict[str, frozenset[str]] = {
    C.PENDING: frozenset({C.PASSED, C.RECTIFY}),
    C.RECTIFY: frozenset({C.CLOSED}),
}

#: A rectification is done by its assignee, then passed or sent back by the re-checker.
RECTIFICATION_MOVES: dict[str, frozenset[str]] = {
    R.OPEN: frozenset({R.DONE}),
    R.DONE: frozenset({R.VERIFIED, R.OPEN}),
}

CHECKLIST_FIELDS = ["name", "description", "max_score", "position", "active"]
SAMPLE_FIELDS = ["period", "department", "method", "amount", "seed"]
CHECK_FIELDS = ["status", "score", "findings", "checker", "checked_at"]
RECTIFICATION_FIELDS = [
    "status",
    "due_on",
    "done_note",
    "done_at",
    "review_note",
    "verified_by",
    "verified_at",
]

#: The random seed drawn when none is given: large enough to be unguessable in practice, small
#: enough to read out and type back in.
MAX_RANDOM_SEED = 999_999_999

STALE_CHECKLIST_ITEM = gettext_lazy(
    "保存失败：在您编辑期间，其他人已修改了此检查项目。您填写的内容仍在下方，请核对后重新保存。"
)


# ---------------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------------


def can_keep_checklist(user) -> bool:
    return has_role(user, Role.ADMIN)


def can_draw(user, department) -> bool:
    """Administrators draw for any department; a head for their own."""
    return is_admin_or_head_of(user, department.pk if department is not None else None)


def heads_check(user, check: QualityCheck) -> bool:
    """An administrator, or the head of the sample's department or of the client's."""
    return is_admin_or_head_of(user, check.sample.department_id, check.item.client.department_id)


def can_record(user, check: QualityCheck) -> bool:
    """A head (or administrator) checks a pending check, never their own work."""
    return check.status == C.PENDING and heads_check(user, check) and check.reviewee_id != user.pk


def can_mark_done(user, rectification: Rectification) -> bool:
    return rectification.status == R.OPEN and rectification.assignee_id == user.pk


def can_verify(user, rectification: Rectification) -> bool:
    """The checker or a head re-checks; nobody re-checks their own rectification."""
    check = rectification.quality_check
    if rectification.status != R.DONE or rectification.assignee_id == user.pk:
        return False
    return check.checker_id == user.pk or heads_check(user, check)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _move(moves: dict[str, frozenset[str]], current: str, to: str, labels: type) -> None:
    if to not in moves.get(current, frozenset()):
        raise TransitionNotAllowed(
            _("状态为“%(status)s”的记录不能改为“%(target)s”。")
            % {"status": labels(current).label, "target": labels(to).label}
        )


def rectification_due(today: dt.date) -> dt.date:
    """The deadline of a rectification set (or sent back) on ``today``, in working days."""
    return add_working_days(today, policy.get(RECTIFICATION_DAYS))


def _rectifications_url() -> str:
    return reverse("delivery:rectification_list")


def _client_of(check: QualityCheck):
    return check.item.client


# ---------------------------------------------------------------------------------------------
# The checklist
# ---------------------------------------------------------------------------------------------


def _clean_checklist(data: Mapping[str, Any]) -> dict[str, Any]:
    data = {key: value for key, value in data.items() if key in CHECKLIST_FIELDS}
    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        raise DomainError(_("请填写检查项目名称。"), field="name")
    if not data.get("max_score") or data["max_score"] < 1:
        raise DomainError(_("分值至少为 1。"), field="max_score")
    return data


@transaction.atomic
def checklist_item_create(*, data: Mapping[str, Any], by) -> ChecklistItem:
    """Add a checklist line; ``data`` holds the fields of ``CHECKLIST_FIELDS``."""
    if not can_keep_checklist(by):
        raise DomainError(_("只有管理员可以维护质检项目。"))
    item = ChecklistItem.objects.create(**_clean_checklist(data))
    audit.record(
        action="create",
        by=by,
        obj=item,
        changes=audit.created(audit.snapshot(item, CHECKLIST_FIELDS)),
    )
    return item


@transaction.atomic
def checklist_item_update(
    *, item: ChecklistItem, data: Mapping[str, Any], expected_version: int | None, by
) -> ChecklistItem:
    """Change a checklist line (name, points, order, or deactivate it), refusing a stale save.

    Scores already given keep their own ``max_score``, so editing the points never changes a
    recorded check's percentage.
    """
    if not can_keep_checklist(by):
        raise DomainError(_("只有管理员可以维护质检项目。"))
    current = lock_version(
        ChecklistItem,
        pk=item.pk,
        version=item.version if expected_version is None else expected_version,
        message=str(STALE_CHECKLIST_ITEM),
    )
    before = audit.snapshot(current, CHECKLIST_FIELDS)
    apply_edit(current, _clean_checklist(data))
    current.save()
    changes = audit.diff(before, audit.snapshot(current, CHECKLIST_FIELDS))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


# ---------------------------------------------------------------------------------------------
# Drawing a sample
# ---------------------------------------------------------------------------------------------


def sample_size(n: int, method: str, amount: int) -> int:
    """How many of a person's ``n`` pieces of work are checked: a percentage rounded up (so
    anyone with work gets at least one check), or a count capped at what there is."""
    if method == SampleMethod.PERCENT:
        return -(-n * amount // 100)
    return min(amount, n)


def draw(
    candidates_by_person: Mapping[Any, Sequence[int]], method: str, amount: int, seed: int
) -> dict[Any, list[int]]:
    """The ids drawn per person, reproducibly.

    Each person's candidates are sorted and sampled with a generator seeded by ``seed`` and the
    person, so the same inputs always give the same sample (a head can show how it was drawn)
    and one person's draw does not depend on who else had work that month.
    """
    drawn: dict[Any, list[int]] = {}
    for person, candidates in candidates_by_person.items():
        ordered = sorted(candidates)
        k = sample_size(len(ordered), method, amount)
        if k:
            drawn[person] = sorted(random.Random(f"{seed}:{person}").sample(ordered, k))
    return drawn


def _population(*, period: dt.date, department) -> dict[int, list[int]]:
    """The period's finished bookkeeping of the department's clients, by who completed it."""
    rows = WorkItem.objects.filter(
        period=period,
        step=WorkStep.BOOKKEEPING,
        status=WorkStatus.DONE,
        client__department=department,
        completed_by__isnull=False,
    ).values_list("completed_by_id", "id")
    by_person: dict[int, list[int]] = {}
    for person, item in rows:
        by_person.setdefault(person, []).append(item)
    return by_person


@transaction.atomic
def quality_sample_draw(
    *,
    period: dt.date,
    department,
    method: str,
    amount: int,
    seed: int | None = None,
    by,
) -> QualitySample:
    """Draw a sample of ``period``'s bookkeeping for ``department`` and open a check for each
    drawn piece of work; with no ``seed`` a random one is chosen and stored."""
    if department is None:
        raise DomainError(_("请选择部门。"), field="department")
    if not can_draw(by, department):
        raise DomainError(_("只有本部门负责人或管理员可以抽取该部门的质检样本。"))
    if method not in SampleMethod.values:
        raise DomainError(_("请选择抽样方式。"), field="method")
    if method == SampleMethod.PERCENT and not 1 <= amount <= 100:
        raise DomainError(_("抽样比例须在 1% 到 100% 之间。"), field="amount")
    if method == SampleMethod.COUNT and amount < 1:
        raise DomainError(_("每人抽取数量至少为 1。"), field="amount")
    period = period.replace(day=1)
    population = _population(period=period, department=department)
    if not population:
        raise DomainError(
            _("%(period)s %(department)s没有已完成的做账工作，无法抽样。")
            % {"period": period.strftime("%Y-%m"), "department": department}
        )
    if seed is None:
        seed = random.SystemRandom().randint(1, MAX_RANDOM_SEED)
    drawn = draw(population, method, amount, seed)
    sample = QualitySample.objects.create(
        period=period,
        department=department,
        method=method,
        amount=amount,
        seed=seed,
        drawn_by=by,
    )
    QualityCheck.objects.bulk_create(
        QualityCheck(sample=sample, item_id=item, reviewee_id=person)
        for person, items in sorted(drawn.items())
        for item in items
    )
    total = sum(len(items) for items in drawn.values())
    audit.record(
        action="create",
        by=by,
        obj=sample,
        changes=audit.created(audit.snapshot(sample, SAMPLE_FIELDS)),
        detail=_("抽取 %(count)s 项工作") % {"count": total},
    )
    return sample


# ---------------------------------------------------------------------------------------------
# Recording a check
# ---------------------------------------------------------------------------------------------


def finding_lines(findings: str) -> list[str]:
    """Each non-empty line of the findings is one finding."""
    return [line.strip() for line in (findings or "").splitlines() if line.strip()]


def score_percent(scores: Sequence[tuple[int, int]]) -> Decimal:
    """Σscore ÷ Σmax in percent, one decimal, from ``(score, max_score)`` pairs."""
    total = sum(score for score, _max in scores)
    maximum = sum(max_score for _score, max_score in scores)
    return (Decimal(total) * 100 / Decimal(maximum)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _locked_check(check: QualityCheck) -> QualityCheck:
    return (
        QualityCheck.objects.select_for_update(of=("self",))
        .select_related("sample", "item__client", "reviewee")
        .get(pk=check.pk)
    )


@transaction.atomic
def quality_check_record(
    *, check: QualityCheck, scores: Mapping[int, int | None], findings: str, by
) -> QualityCheck:
    """Score a sampled piece of work against every active checklist line and record findings.

    No findings: the check passes. Otherwise each finding becomes a rectification for the
    person whose work it was, due in the policy's working days, and they are told.
    """
    check = _locked_check(check)
    if not heads_check(by, check):
        raise DomainError(_("只有部门负责人或管理员可以进行质量检查。"))
    if check.reviewee_id == by.pk:
        raise DomainError(_("不能检查自己完成的工作，请由其他负责人检查。"))
    if check.status != C.PENDING:
        raise DomainError(_("此项工作已检查过，不能重复录入。"))
    items = list(ChecklistItem.objects.filter(active=True))
    if not items:
        raise DomainError(_("没有启用的质检项目，请管理员先维护检查表。"))
    pairs: list[tuple[ChecklistItem, int]] = []
    for item in items:
        value = scores.get(item.pk)
        if value is None:
            raise DomainError(
                _("请填写“%(item)s”的得分。") % {"item": item.name}, field=f"score_{item.pk}"
            )
        if not 0 <= value <= item.max_score:
            raise DomainError(
                _("“%(item)s”的得分须在 0 到 %(max)s 之间。")
                % {"item": item.name, "max": item.max_score},
                field=f"score_{item.pk}",
            )
        pairs.append((item, value))
    lines = finding_lines(findings)
    target = C.RECTIFY if lines else C.PASSED
    _move(CHECK_MOVES, check.status, target, CheckStatus)
    before = audit.snapshot(check, CHECK_FIELDS)
    QualityScore.objects.bulk_create(
        QualityScore(
            quality_check=check, checklist_item=item, score=value, max_score=item.max_score
        )
        for item, value in pairs
    )
    check.score = score_percent([(value, item.max_score) for item, value in pairs])
    check.findings = "\n".join(lines)
    check.status = target
    check.checker = by
    check.checked_at = timezone.now()
    check.version += 1
    check.save(update_fields=[*CHECK_FIELDS, "version"])
    audit.record(
        action="update",
        by=by,
        obj=check,
        anchor=_client_of(check),
        changes=audit.diff(before, audit.snapshot(check, CHECK_FIELDS)),
        detail=_("质量检查得分 %(score)s%%") % {"score": check.score},
    )
    if lines:
        due_on = rectification_due(timezone.localdate())
        created = Rectification.objects.bulk_create(
            Rectification(
                quality_check=check, description=line, assignee=check.reviewee, due_on=due_on
            )
            for line in lines
        )
        for rectification in created:
            audit.record(
                action="create",
                by=by,
                obj=rectification,
                anchor=_client_of(check),
                changes=audit.created(
                    audit.snapshot(rectification, ["description", "assignee", "due_on", "status"])
                ),
            )
        title = _("质量抽查发现 %(count)s 个问题待整改：%(work)s") % {
            "count": len(lines),
            "work": check.item,
        }
        body = _("请在 %(due)s 前完成整改。") % {"due": due_on.isoformat()}
        recipients = [check.reviewee]
        url = _rectifications_url()
        transaction.on_commit(
            lambda: notify(recipients=recipients, title=title, body=body, url=url)
        )
    return check


# ---------------------------------------------------------------------------------------------
# Rectifications
# ---------------------------------------------------------------------------------------------


def _locked_rectification(rectification: Rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update(of=("self",))
        .select_related(
            "quality_check__sample", "quality_check__item__client", "quality_check__checker"
        )
        .get(pk=rectification.pk)
    )


def _save_rectification(
    rectification: Rectification, *, by, before: dict, detail: str = ""
) -> None:
    rectification.version += 1
    rectification.save(update_fields=[*RECTIFICATION_FIELDS, "version"])
    audit.record(
        action="status",
        by=by,
        obj=rectification,
        anchor=_client_of(rectification.quality_check),
        changes=audit.diff(before, audit.snapshot(rectification, RECTIFICATION_FIELDS)),
        detail=detail[:255],
    )


@transaction.atomic
def rectification_done(*, rectification: Rectification, note: str, by) -> Rectification:
    """The assignee reports a finding put right; the checker (or a head) then re-checks it."""
    rectification = _locked_rectification(rectification)
    if rectification.assignee_id != by.pk:
        raise DomainError(_("只有整改人可以提交整改结果。"))
    _move(RECTIFICATION_MOVES, rectification.status, R.DONE, RectificationStatus)
    note = (note or "").strip()
    if not note:
        raise DomainError(_("请填写整改说明。"), field="note")
    before = audit.snapshot(rectification, RECTIFICATION_FIELDS)
    rectification.status = R.DONE
    rectification.done_note = note
    rectification.done_at = timezone.now()
    _save_rectification(rectification, by=by, before=before, detail=note)
    check = rectification.quality_check
    recipients = [check.checker] if check.checker_id else []
    if recipients:
        title = _("整改已完成，请复查：%(what)s") % {"what": rectification}
        url = _rectifications_url()
        transaction.on_commit(lambda: notify(recipients=recipients, title=title, url=url))
    return rectification


@transaction.atomic
def rectification_verify(
    *, rectification: Rectification, passed: bool, comment: str = "", by
) -> Rectification:
    """Re-check a done rectification: pass it, or send it back (a comment is required) with a
    new deadline. When every rectification of the check has passed, the check is closed."""
    rectification = _locked_rectification(rectification)
    check = rectification.quality_check
    if rectification.assignee_id == by.pk:
        raise DomainError(_("不能复查自己的整改。"))
    if check.checker_id != by.pk and not heads_check(by, check):
        raise DomainError(_("只有检查人或部门负责人可以复查整改。"))
    comment = (comment or "").strip()
    target = R.VERIFIED if passed else R.OPEN
    _move(RECTIFICATION_MOVES, rectification.status, target, RectificationStatus)
    if not passed and not comment:
        raise DomainError(_("退回重改时请填写复查意见。"), field="comment")
    before = audit.snapshot(rectification, RECTIFICATION_FIELDS)
    rectification.status = target
    # The latest re-check's words stay on the task, so whoever reworks it can read them there.
    rectification.review_note = comment
    if passed:
        rectification.verified_by = by
        rectification.verified_at = timezone.now()
        detail = _("复查通过") + (f"：{comment}" if comment else "")
    else:
        rectification.due_on = rectification_due(timezone.localdate())
        detail = _("退回重改：%(comment)s") % {"comment": comment}
    _save_rectification(rectification, by=by, before=before, detail=detail)
    if passed:
        _close_if_verified(check, by=by)
    else:
        recipients = [rectification.assignee]
        title = _("整改被退回，请重新整改：%(what)s") % {"what": rectification}
        body = _("复查意见：%(comment)s。请在 %(due)s 前完成。") % {
            "comment": comment,
            "due": rectification.due_on.isoformat(),
        }
        url = _rectifications_url()
        transaction.on_commit(
            lambda: notify(recipients=recipients, title=title, body=body, url=url)
        )
    return rectification


def _close_if_verified(check: QualityCheck, *, by) -> None:
    """Close the check once none of its rectifications is still to be put right or re-checked."""
    if check.rectifications.exclude(status=R.VERIFIED).exists():
        return
    check = _locked_check(check)
    _move(CHECK_MOVES, check.status, C.CLOSED, CheckStatus)
    before = audit.snapshot(check, CHECK_FIELDS)
    check.status = C.CLOSED
    check.version += 1
    check.save(update_fields=["status", "version"])
    audit.record(
        action="status",
        by=by,
        obj=check,
        anchor=_client_of(check),
        changes=audit.diff(before, audit.snapshot(check, CHECK_FIELDS)),
        detail=_("整改全部复查通过"),
    )
