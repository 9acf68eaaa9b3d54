"""The policy's open numbers (``[X]`` 小时， ``[X]`` 个工作日， ``[X]``%) as settings.

Each chapter registers the values it needs with a type, a default and the clause of the policy it
comes from; an administrator edits them on the settings page. Code reads them with :func:`get`,
never as constants.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_CACHE_KEY = "zhangfang:policy-values"


@dataclass(frozen=True)
class PolicyValue:
    key: str
    label: str | Promise
    kind: str  # "int", "decimal" or "time"
    default: Any
    unit: str | Promise = ""
    clause: str = ""
    help_text: str | Promise = ""
    minimum: Any = None
    maximum: Any = None

    def parse(self, raw: Any) -> Any:
        """Turn user input or a stored JSON value into the typed value, or raise ValidationError."""
        text = str(raw).strip()
        try:
            if self.kind == "int":
                value: Any = int(text)
            elif self.kind == "decimal":
                value = Decimal(text)
                if not value.is_finite():
                    raise InvalidOperation
            elif self.kind == "time":
                value = dt.time.fromisoformat(text)
            else:  # pragma: no cover - a programming error in a registration
                raise ValueError(self.kind)
        except (ValueError, InvalidOperation) as exc:
            raise ValidationError(
                _("%(label)s:“%(value)s”不是有效的值。") % {"label": self.label, "value": text}
            ) from exc
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(
                _("%(label)s不能小于 %(min)s。") % {"label": self.label, "min": self.minimum}
            )
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(
                _("%(label)s不能大于 %(max)s。") % {"label": self.label, "max": self.maximum}
            )
        return value

    def dump(self, value: Any) -> Any:
        """The JSON form stored in the database."""
        if self.kind == "time":
            return value.strftime("%H:%M")
        if self.kind == "decimal":
            return str(value)
        return value


REGISTRY: dict[str, PolicyValue] = {}


def register(*values: PolicyValue) -> None:
    for value in values:
        if value.key in REGISTRY and REGISTRY[value.key] != value:
            raise ValueError(f"Policy value {value.key!r} registered twice")
        REGISTRY[value.key] = value


def _stored() -> dict[str, Any]:
    values = cache.get(_CACHE_KEY)
    if values is None:
        from zhangfang.core.models import PolicySetting

        values = dict(PolicySetting.objects.values_list("key", "value"))
        cache.set(_CACHE_KEY, values, 300)
    return values


def get(key: str) -> Any:
    """The current value of a registered policy setting (the administrator's, else the default)."""
    definition = REGISTRY[key]
    stored = _stored()
    if key in stored:
        try:
            return definition.parse(stored[key])
        except ValidationError:
            # A value that no longer passes (a bound tightened) falls back to the default rather
            # than breaking every page that reads it; the settings page shows it for correction.
            return definition.default
    return definition.default


def invalidate() -> None:
    cache.delete(_CACHE_KEY)


@transaction.atomic
def policy_value_set(*, key: str, raw: Any, by) -> Any:
    """Validate and store an administrator's value for ``key``; audited."""
    from zhangfang.core import audit
    from zhangfang.core.models import PolicySetting

    definition = REGISTRY[key]
    value = definition.parse(raw)
    before = get(key)
    PolicySetting.objects.update_or_create(
        key=key, defaults={"value": definition.dump(value), "updated_by": by}
    )
    transaction.on_commit(invalidate)
    invalidate()
    if before != value:
        audit.record(
            action="update",
            by=by,
            object_type="core.policysetting",
            object_id=key,
            object_repr=str(definition.label),
            changes={key: [definition.dump(before), definition.dump(value)]},
        )
    return value


register(
    PolicyValue(
        "office_hours_start",
        gettext_lazy("上班时间"),
        "time",
        dt.time(9, 0),
        clause="",
        help_text=gettext_lazy("按工作小时计算时限（如需求响应）时，每个工作日从此时开始计时。"),
    ),
    PolicyValue(
        "office_hours_end",
        gettext_lazy("下班时间"),
        "time",
        dt.time(18, 0),
        help_text=gettext_lazy("每个工作日计时到此时为止。"),
    ),
    PolicyValue(
        "satisfaction_target_percent",
        gettext_lazy("客户满意度目标"),
        "decimal",
        Decimal("90"),
        unit="%",
        clause="三（三）4",
        minimum=Decimal("0"),
        maximum=Decimal("100"),
        help_text=gettext_lazy("客户对服务工作的满意度须达到此比例以上。"),
    ),
    PolicyValue(
        "login_failure_limit",
        gettext_lazy("登录失败锁定次数"),
        "int",
        5,
        unit=gettext_lazy("次"),
        minimum=3,
        maximum=20,
        help_text=gettext_lazy("连续输错密码达到此次数后锁定账户。"),
    ),
    PolicyValue(
        "login_lockout_minutes",
        gettext_lazy("账户锁定时长"),
        "int",
        30,
        unit=gettext_lazy("分钟"),
        minimum=1,
        maximum=24 * 60,
    ),
    PolicyValue(
        "session_idle_minutes",
        gettext_lazy("会话空闲超时"),
        "int",
        30,
        unit=gettext_lazy("分钟"),
        minimum=5,
        maximum=24 * 60,
        help_text=gettext_lazy("无操作超过此时长后需重新登录。"),
    ),
)
