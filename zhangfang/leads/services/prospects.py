"""Every write to prospects: register, edit, score, import, move along the pipeline, convert.

Stage changes go only through :func:`prospect_move` (which checks the allowed moves) and
:func:`prospect_convert` (the only way to 签约). Every action writes an audit event on the prospect.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from zhangfang.clients import services as client_services
from zhangfang.clients.models import Client, ClientStatus, ContactRole, TaxpayerType
from zhangfang.core import audit
from zhangfang.core.editing import apply_edit, lock_version
from zhangfang.core.errors import DomainError, TransitionNotAllowed
from zhangfang.core.models import AuditEvent
from zhangfang.core.search import pinyin_keys
from zhangfang.leads import scoring
from zhangfang.leads.models import LossReason, Prospect, Stage
from zhangfang.leads.selectors.prospects import OPEN_STAGES, recent_activity_count

PROSPECT_AUDIT_FIELDS = [
    "company_name",
    "uscc",
    "contact_name",
    "contact_title",
    "contact_mobile",
    "email",
    "address",
    "industry",
    "size",
    "revenue",
    "taxpayer_type",
    "financial_notes",
    "tax_needs",
    "expected_monthly_fee",
    "notes",
    "channel",
    "activity",
    "partner",
    "referrer",
    "owner",
    "department",
]
#: Fields that ``prospect_update`` never takes from a form: the pipeline and its results.
NOT_EDITABLE = frozenset(
    {"stage", "stage_changed_at", "loss_reason", "client", "converted_at", "version"}
)
#: Stages from which a prospect may be converted into a client.
CONVERTIBLE_STAGES = (Stage.NEGOTIATION, Stage.VISIT)


def _snapshot(prospect: Prospect) -> dict[str, Any]:
    return audit.snapshot(prospect, PROSPECT_AUDIT_FIELDS)


def _apply_scores(prospect: Prospect, weights: scoring.Weights, recent_activities: int) -> None:
    scores = scoring.score(
        prospect,
        weights,
        channel_code=prospect.channel.code if prospect.channel_id else "",
        recent_activities=recent_activities,
    )
    prospect.value_score = scores.value
    prospect.likelihood_score = scores.likelihood
    prospect.score = scores.overall


def _prepare(prospect: Prospect) -> None:
    """Derived fields kept by the service: pinyin keys, and the owner's department by default."""
    prospect.search_pinyin = pinyin_keys(prospect.company_name, prospect.contact_name)
    if prospect.department_id is None and prospect.owner_id is not None:
        prospect.department_id = prospect.owner.department_id


@transaction.atomic
def prospect_create(*, data: dict[str, Any], by) -> Prospect:
    """Register a prospect as the 《客户信息登记表》 records it; scored and audited.

    ``data`` holds the form's cleaned values (mobile already E.164, USCC already validated).
    The duplicate warning is the form's job: registering a look-alike is allowed once confirmed.
    """
    prospect = Prospect(**{k: v for k, v in data.items() if k not in NOT_EDITABLE})
    _prepare(prospect)
    prospect.stage = Stage.LEAD
    prospect.stage_changed_at = timezone.now()
    _apply_scores(prospect, scoring.Weights.current(), 0)
    prospect.save()
    audit.record(action="create", by=by, obj=prospect, changes=audit.created(_snapshot(prospect)))
    return prospect


@transaction.atomic
def prospect_update(
    *, prospect: Prospect, data: dict[str, Any], expected_version: int | None, by
) -> Prospect:
    """Save edits made on the version the user opened; refuse if someone saved in between."""
    current = lock_version(
        Prospect,
        pk=prospect.pk,
        version=prospect.version if expected_version is None else expected_version,
        message=_(
            "保存失败：在您编辑期间，其他人已修改了此潜在客户。"
            "您填写的内容仍在下方，请核对最新信息后重新保存。"
        ),
    )
    before = _snapshot(current)
    apply_edit(current, data, skip=NOT_EDITABLE)
    _prepare(current)
    weights = scoring.Weights.current()
    _apply_scores(current, weights, recent_activity_count(current, days=weights.activity_days))
    current.save()
    changes = audit.diff(before, _snapshot(current))
    if changes:
        audit.record(action="update", by=by, obj=current, changes=changes)
    return current


def prospect_rescore(prospect: Prospect) -> Prospect:
    """Recompute and store a prospect's scores (after a visit, a negotiation round, a move).

    Not audited: the score is derived from recorded facts, each of which has its own event.
    """
    weights = scoring.Weights.current()
    _apply_scores(prospect, weights, recent_activity_count(prospect, days=weights.activity_days))
    Prospect.objects.filter(pk=prospect.pk).update(
        value_score=prospect.value_score,
        likelihood_score=prospect.likelihood_score,
        score=prospect.score,
    )
    return prospect


# ---------------------------------------------------------------------------------------------
# Pipeline (二（三）)
# ---------------------------------------------------------------------------------------------


def allowed_moves(stage: str) -> list[str]:
    """Where a prospect in ``stage`` may go by :func:`prospect_move`.

    Forward one or more open stages, back one, or to 流失 from any open stage; a lost prospect
    reopens as 线索. 签约 is reached only by conversion, and a signed prospect stays signed.
    """
    if stage == Stage.LOST:
        return [Stage.LEAD]
    if stage not in OPEN_STAGES:
        return []
    index = OPEN_STAGES.index(stage)
    back = [OPEN_STAGES[index - 1]] if index > 0 else []
    return back + OPEN_STAGES[index + 1 :] + [Stage.LOST]


def _stage_label(code: str) -> str:
    return str(Stage(code).label) if code in Stage.values else code


@transaction.atomic
def prospect_move(
    prospect: Prospect,
    to: str,
    by,
    loss_reason: LossReason | None = None,
    note: str = "",
) -> Prospect:
    """Move a prospect to another pipeline stage if the move is allowed; audited before/after.

    Moving to 流失 needs a ``loss_reason``; reopening a lost prospect clears it.
    """
    current = (
        Prospect.objects.select_for_update(of=("self",))
        .select_related("channel")
        .get(pk=prospect.pk)
    )
    if to == Stage.WON:
        raise TransitionNotAllowed(_("签约须通过“转为客户”完成，不能直接移动到签约阶段。"))
    if to not in allowed_moves(current.stage):
        raise TransitionNotAllowed(
            _("潜在客户不能从“%(from)s”移动到“%(to)s”。")
            % {"from": _stage_label(current.stage), "to": _stage_label(to)}
        )
    before = {
        "stage": _stage_label(current.stage),
        "loss_reason": str(current.loss_reason or ""),
    }
    if to == Stage.LOST:
        if loss_reason is None:
            raise DomainError(_("标记为流失时必须选择流失原因。"))
        current.loss_reason = loss_reason
        current.loss_note = note[:200]
    else:
        current.loss_reason = None
        current.loss_note = ""
    current.stage = to
    current.stage_changed_at = timezone.now()
    current.version = F("version") + 1
    weights = scoring.Weights.current()
    _apply_scores(current, weights, recent_activity_count(current, days=weights.activity_days))
    current.save()
    current.refresh_from_db()
    after = {"stage": _stage_label(current.stage), "loss_reason": str(current.loss_reason or "")}
    audit.record(
        action="status", by=by, obj=current, changes=audit.diff(before, after), detail=note
    )
    prospect.stage = current.stage
    prospect.stage_changed_at = current.stage_changed_at
    prospect.version = current.version
    return current


# ---------------------------------------------------------------------------------------------
# Conversion
# ---------------------------------------------------------------------------------------------


def _propose_referral_reward(prospect: Prospect, by) -> None:
    """Hand a referred prospect's signing to the referral part, when that part is installed."""
    try:
        from zhangfang.leads.services.referrals import referral_reward_propose
    except ImportError:
        return
    referral_reward_propose(prospect=prospect, by=by)


@transaction.atomic
def prospect_convert(prospect: Prospect, by) -> Client:
    """Turn a prospect in 洽谈 (or 拜访) into a client in service, with its primary contact.

    Everything the 登记表 holds is carried over, nothing is typed again; the prospect is linked
    to the client and moves to 签约. A 统一社会信用代码 that is already a client's is refused.
    """
    current = (
        # "of self": the owner and department are outer joins, which PostgreSQL cannot lock.
        Prospect.objects.select_for_update(of=("self",))
        .select_related("channel", "owner", "department")
        .get(pk=prospect.pk)
    )
    if current.client_id is not None or current.stage == Stage.WON:
        raise TransitionNotAllowed(_("该潜在客户已转为客户。"))
    if current.stage not in CONVERTIBLE_STAGES:
        raise TransitionNotAllowed(
            _("只有处于“拜访”或“洽谈”阶段的潜在客户才能转为客户，当前阶段为“%(stage)s”。")
            % {"stage": _stage_label(current.stage)}
        )
    if current.uscc:
        existing = Client.objects.filter(uscc=current.uscc).only("id", "name").first()
        if existing is not None:
            raise DomainError(
                _("统一社会信用代码 %(code)s 已登记为客户“%(name)s”，不能重复转化。")
                % {"code": current.uscc, "name": existing.name}
            )
    client = client_services.client_create(
        data={
            "name": current.company_name,
            "uscc": current.uscc or None,
            "industry": current.industry,
            "taxpayer_type": current.taxpayer_type or TaxpayerType.SMALL,
            "address": current.address,
            "email": current.email,
            "notes": current.notes,
            "department": current.department,
            "sales_owner": current.owner,
            "status": ClientStatus.ACTIVE,
        },
        by=by,
    )
    client_services.contact_create(
        client=client,
        data={
            "name": current.contact_name,
            "title": current.contact_title,
            "mobile": current.contact_mobile,
            "email": current.email,
            "role": ContactRole.CONTACT,
            "is_primary": True,
        },
        by=by,
    )
    before_stage = _stage_label(current.stage)
    now = timezone.now()
    Prospect.objects.filter(pk=current.pk).update(
        client=client,
        stage=Stage.WON,
        stage_changed_at=now,
        converted_at=now,
        loss_reason=None,
        version=F("version") + 1,
    )
    current.refresh_from_db()
    prospect_rescore(current)
    audit.record(
        action="status",
        by=by,
        obj=current,
        changes={"stage": [before_stage, _stage_label(Stage.WON)], "client": [None, client.name]},
        detail=_("转为客户"),
    )
    audit.record(
        action="update",
        by=by,
        obj=client,
        changes={"prospect": [None, current.company_name]},
        detail=_("由潜在客户转化（来源渠道：%(channel)s）") % {"channel": current.channel},
    )
    if current.referrer_id:
        _propose_referral_reward(current, by)
    return client


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------


class _BatchSnapshot:
    """``audit.snapshot`` of many new prospects at once, with the same output.

    Choice labels are translated once and related records named once, rather than for every row:
    for a 10,000-row import that is most of the time ``audit.snapshot`` would take.
    """

    def __init__(self) -> None:
        self.labels = {
            name: {str(value): str(label) for value, label in field.flatchoices}
            for name in PROSPECT_AUDIT_FIELDS
            if (field := Prospect._meta.get_field(name)).choices
        }
        self.relations = [
            name for name in PROSPECT_AUDIT_FIELDS if Prospect._meta.get_field(name).is_relation
        ]
        self.names: dict[tuple[str, int], str] = {}

    def __call__(self, prospect: Prospect) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in PROSPECT_AUDIT_FIELDS:
            if name in self.labels:
                value = getattr(prospect, name)
                values[name] = self.labels[name].get(str(value), value)
            elif name in self.relations:
                pk = getattr(prospect, f"{name}_id")
                if pk is None:
                    values[name] = None
                else:
                    key = (name, pk)
                    if key not in self.names:
                        self.names[key] = str(getattr(prospect, name))
                    values[name] = self.names[key]
            else:
                values[name] = audit.jsonable(getattr(prospect, name))
        return values


_CHINESE_RUN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff]+)")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fast_pinyin_keys(*texts: str) -> str:
    """The same keys as ``core.search.pinyin_keys`` with one pinyin conversion per text, not two.

    The initials are the first letters of the full syllables of the Chinese runs; other runs are
    kept whole in both keys, as ``pinyin_keys`` keeps them. Used by the import, where converting
    10,000 names twice would be a third of the time.
    """
    keys: list[str] = []
    for text in texts:
        if not text:
            continue
        full_parts: list[str] = []
        initial_parts: list[str] = []
        for index, run in enumerate(_CHINESE_RUN.split(text)):
            if not run:
                continue
            if index % 2:  # a Chinese run (split keeps the captured runs at odd positions)
                syllables = lazy_pinyin(run, errors="default")
                full_parts.extend(syllables)
                initial_parts.extend(syllable[:1] for syllable in syllables)
            else:
                full_parts.append(run)
                initial_parts.append(run)
        for key in (
            _NOT_WORD.sub("", "".join(full_parts).lower()),
            _NOT_WORD.sub("", "".join(initial_parts).lower()),
        ):
            if key and key not in keys:
                keys.append(key)
    return " ".join(keys)


@transaction.atomic
def prospects_import(*, rows: list[dict[str, Any]], by, filename: str = "") -> list[Prospect]:
    """Register many validated prospects in one transaction (the Excel import).

    ``rows`` are field dictionaries already checked by ``zhangfang.leads.importing``. Inserted in
    batches, scored with the settings read once, one 'create' event per prospect and one summary.
    """
    weights = scoring.Weights.current()
    now = timezone.now()
    prospects = []
    for data in rows:
        prospect = Prospect(**data)
        prospect.search_pinyin = fast_pinyin_keys(prospect.company_name, prospect.contact_name)
        prospect.stage = Stage.LEAD
        prospect.stage_changed_at = now
        _apply_scores(prospect, weights, 0)
        prospects.append(prospect)
    Prospect.objects.bulk_create(prospects, batch_size=500)
    actor = by if getattr(by, "is_authenticated", False) else None
    actor_name = (actor.get_full_name() or actor.get_username()) if actor else ""
    ip = audit.current_ip.get()
    detail = _("Excel 导入")
    snapshot = _BatchSnapshot()
    events = [
        AuditEvent(
            actor=actor,
            actor_name=actor_name,
            action="create",
            object_type=audit.label_of(p),
            object_id=str(p.pk),
            object_repr=str(p)[:255],
            anchor_type=audit.label_of(p),
            anchor_id=str(p.pk),
            changes=audit.created(snapshot(p)),
            detail=detail,
            ip_address=ip,
        )
        for p in prospects
    ]
    AuditEvent.objects.bulk_create(events, batch_size=500)
    audit.record(
        action="create",
        by=by,
        object_type="leads.prospectimport",
        object_id=timezone.localtime(now).strftime("%Y%m%d%H%M%S"),
        object_repr=_("导入潜在客户 %(count)s 条") % {"count": len(prospects)},
        changes={"count": [None, len(prospects)], "file": [None, filename]},
        detail=filename[:255],
    )
    return prospects
