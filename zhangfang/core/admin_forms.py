"""Forms of the administrator's pages: holiday calendar, filing deadlines, policy settings, audit.

They turn what was typed into typed values and name the field (and the line, the month) of every
mistake; the services in ``core.services`` do the writing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.core import policy
from zhangfang.core.forms import StyledFormMixin
from zhangfang.core.models import AuditAction, CalendarDayKind

#: The earliest and latest year the calendar pages accept.
MIN_YEAR, MAX_YEAR = 2000, 2100


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def parse_year(value: Any, default: int) -> int:
    """A year from the URL or a form; anything unusable gives ``default``."""
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return year if MIN_YEAR <= year <= MAX_YEAR else default


# -- holiday calendar -----------------------------------------------------------------------------


class CalendarDayForm(StyledFormMixin, forms.Form):
    """One day of the holiday schedule: a rest day (法定节假日) or a make-up working day (调休)."""

    date = forms.DateField(label=gettext_lazy("日期"), widget=DateInput)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=CalendarDayKind.choices)
    note = forms.CharField(
        label=gettext_lazy("说明"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("例如：春节、国庆节调休。"),
    )
    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValidationError(
                _("日期须在 %(min)s 年至 %(max)s 年之间。") % {"min": MIN_YEAR, "max": MAX_YEAR}
            )
        return day


#: Words accepted for the kind of a day in the bulk box (besides the codes).
_KIND_WORDS = {
    CalendarDayKind.HOLIDAY: {
        "holiday",
        "rest",
        "休",
        "休息",
        "假",
        "放假",
        "节假日",
        "法定节假日",
    },
    CalendarDayKind.WORKDAY: {"workday", "work", "班", "上班", "补班", "调休上班", "工作日"},
}
_DATE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
_LINE = re.compile(
    rf"^(?P<start>{_DATE})(?:\s*(?:~|～|至|到|\.\.|—|–|\s-\s)\s*(?P<end>{_DATE}))?"
    r"\s+(?P<kind>\S+)(?:\s+(?P<note>.*))?$"
)
#: A range longer than this is a typo (no holiday run is), not a schedule.
MAX_RANGE_DAYS = 31
MAX_BULK_LINES = 400


def _parse_date(text: str) -> dt.date:
    year, month, day = (int(part) for part in re.split(r"[-/.]", text))
    return dt.date(year, month, day)


def parse_calendar_lines(text: str) -> list[tuple[dt.date, str, str]]:
    """Parse the bulk box: one day or one range a line, ``日期[~日期] 类型 [说明]``.

    ``2027-01-01 holiday 元旦``, ``2027-02-06~2027-02-12 休 春节``, ``2027-02-14 班 春节调休``.
    Empty lines and lines starting with ``#`` are skipped. Every mistake names its line; the
    whole box is refused if any line is wrong, so nothing is half-entered.
    """
    entries: list[tuple[dt.date, str, str]] = []
    seen: dict[dt.date, int] = {}
    errors: list[str] = []
    lines = text.splitlines()
    if len([line for line in lines if line.strip()]) > MAX_BULK_LINES:
        raise ValidationError(_("一次最多录入 %(n)s 行。") % {"n": MAX_BULK_LINES})
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().replace("\u3000", " ")
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            errors.append(
                _("第 %(line)s 行：格式应为“日期 类型 说明”，例如“2027-01-01 holiday 元旦”。")
                % {"line": number}
            )
            continue
        try:
            start = _parse_date(match["start"])
            end = _parse_date(match["end"]) if match["end"] else start
        except ValueError:
            errors.append(_("第 %(line)s 行：日期无效。") % {"line": number})
            continue
        kind = next(
            (code for code, words in _KIND_WORDS.items() if match["kind"].lower() in words), None
        )
        if kind is None:
            errors.append(
                _("第 %(line)s 行：无法识别类型“%(kind)s”，请写 holiday(休)或 workday(班)。")
                % {"line": number, "kind": match["kind"]}
            )
            continue
        note = (match["note"] or "").strip()
        if len(note) > 100:
            errors.append(_("第 %(line)s 行：说明不能超过 100 个字。") % {"line": number})
            continue
        if end < start:
            errors.append(_("第 %(line)s 行：结束日期早于开始日期。") % {"line": number})
            continue
        if (end - start).days >= MAX_RANGE_DAYS:
            errors.append(
                _("第 %(line)s 行：日期范围超过 %(n)s 天，请检查。")
                % {"line": number, "n": MAX_RANGE_DAYS}
            )
            continue
        if not (MIN_YEAR <= start.year <= MAX_YEAR and MIN_YEAR <= end.year <= MAX_YEAR):
            errors.append(
                _("第 %(line)s 行：日期须在 %(min)s 年至 %(max)s 年之间。")
                % {"line": number, "min": MIN_YEAR, "max": MAX_YEAR}
            )
            continue
        day = start
        while day <= end:
            if day in seen:
                errors.append(
                    _("第 %(line)s 行：%(date)s 与第 %(other)s 行重复。")
                    % {"line": number, "date": day.isoformat(), "other": seen[day]}
                )
                break
            seen[day] = number
            entries.append((day, str(kind), note))
            day += dt.timedelta(days=1)
    if errors:
        raise ValidationError(errors)
    if not entries:
        raise ValidationError(_("没有可录入的日期。"))
    return entries


class CalendarBulkForm(StyledFormMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("批量录入"),
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "class": "font-monospace",
                "placeholder": gettext_lazy(
                    "2027-01-01 holiday 元旦\n"
                    "2027-02-06~2027-02-12 holiday 春节\n"
                    "2027-02-14 workday 春节调休上班"
                ),
            }
        ),
        help_text=gettext_lazy(
            "每行一天或一段日期：日期（或“开始~结束”）、类型(holiday/休 或 workday/班)、说明。"
            "已有的日期会被覆盖。"
        ),
    )

    def clean_text(self) -> list[tuple[dt.date, str, str]]:
        return parse_calendar_lines(self.cleaned_data["text"])


# -- filing deadlines ----------------------------------------------------------------------------


class FilingDeadlinesForm(StyledFormMixin, forms.Form):
    """The official 申报纳税期限 table of one year: a date (or a day of the month) per month.

    A blank month has no entry: the shipped table or the rule gives its deadline.
    """

    def __init__(self, *args, year: int, **kwargs) -> None:
        self.year = year
        super().__init__(*args, **kwargs)
        for month in range(1, 13):
            self.fields[f"month_{month}"] = forms.CharField(
                label=_("%(month)s 月") % {"month": month},
                required=False,
                widget=DateInput(
                    attrs={
                        "min": dt.date(year, month, 1).isoformat(),
                        "max": _last_day(year, month).isoformat(),
                    }
                ),
            )
        # StyledFormMixin styled the fields that existed before these (none); it marks invalid
        # ones after validation.
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"

    def _clean_month(self, month: int, text: str) -> dt.date | None:
        text = text.strip()
        if not text:
            return None
        names = {"month": month, "year": self.year}
        try:
            day = dt.date(self.year, month, int(text)) if text.isdigit() else _parse_date(text)
        except ValueError as exc:
            raise ValidationError(
                _("%(month)s 月：“%(text)s”不是有效的日期。") % {**names, "text": text}
            ) from exc
        if (day.year, day.month) != (self.year, month):
            raise ValidationError(
                _("%(month)s 月：截止日必须在 %(year)s 年 %(month)s 月内。") % names
            )
        if day.day < 15:
            raise ValidationError(_("%(month)s 月：申报截止日不会早于当月 15 日，请检查。") % names)
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        deadlines: dict[int, dt.date | None] = {}
        for month in range(1, 13):
            name = f"month_{month}"
            if name in self.errors:
                continue
            try:
                deadlines[month] = self._clean_month(month, cleaned.get(name) or "")
            except ValidationError as exc:
                self.add_error(name, exc)
        cleaned["deadlines"] = deadlines
        return cleaned


def _last_day(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


# -- policy settings -----------------------------------------------------------------------------


class PolicySettingsForm(StyledFormMixin, forms.Form):
    """Every registered policy value as one field; each is checked by its ``PolicyValue.parse``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for key, definition in policy.REGISTRY.items():
            attrs: dict[str, Any] = {}
            if definition.kind == "int":
                widget = forms.NumberInput(attrs={"step": 1})
            elif definition.kind == "time":
                widget = forms.TimeInput(attrs={"type": "time"})
            else:
                widget = forms.TextInput(attrs={"inputmode": "decimal"})
            if definition.minimum is not None:
                attrs["min"] = definition.minimum
            if definition.maximum is not None:
                attrs["max"] = definition.maximum
            widget.attrs.update(attrs)
            widget.attrs["class"] = "form-control form-control-sm"
            self.fields[key] = forms.CharField(
                label=definition.label, help_text=definition.help_text, widget=widget
            )
            self.initial.setdefault(key, definition.dump(policy.get(key)))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        values: dict[str, Any] = {}
        for key, definition in policy.REGISTRY.items():
            if key not in cleaned:
                continue
            try:
                values[key] = definition.parse(cleaned[key])
            except ValidationError as exc:
                self.add_error(key, exc)
        start, end = values.get("office_hours_start"), values.get("office_hours_end")
        if start is not None and end is not None and start >= end:
            self.add_error("office_hours_end", _("下班时间必须晚于上班时间。"))
        cleaned["values"] = values
        return cleaned

    def rows(self) -> list[dict[str, Any]]:
        """The fields with their policy definitions, for a table of settings."""
        return [
            {
                "field": self[key],
                "definition": definition,
                "default": definition.dump(definition.default),
                "current": definition.dump(policy.get(key)),
            }
            for key, definition in policy.REGISTRY.items()
        ]


# -- audit log -----------------------------------------------------------------------------------


def object_type_labels() -> dict[str, str]:
    """The project's models by ``app.model`` (as stored in ``object_type``) → their names."""
    return {
        model._meta.label_lower: str(model._meta.verbose_name)
        for model in apps.get_models()
        if model.__module__.startswith("zhangfang.")
    }


def object_type_choices() -> list[tuple[str, str]]:
    """The object types an audit event can be about, for the filter, by name."""
    return sorted(
        ((key, f"{name}({key})") for key, name in object_type_labels().items()),
        key=lambda choice: choice[0],
    )


class AuditFilterForm(forms.Form):
    """The audit log's filter bar; a value that does not parse is ignored, not an error."""

    actor = forms.TypedChoiceField(label=gettext_lazy("操作人"), required=False, coerce=int)
    action = forms.ChoiceField(
        label=gettext_lazy("动作"),
        required=False,
        choices=[("", gettext_lazy("全部")), *AuditAction.choices],
    )
    object_type = forms.ChoiceField(label=gettext_lazy("对象类型"), required=False)
    q = forms.CharField(label=gettext_lazy("对象编号或内容"), required=False, max_length=100)
    date_from = forms.DateField(label=gettext_lazy("起始日期"), required=False, widget=DateInput)
    date_to = forms.DateField(label=gettext_lazy("截止日期"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.order_by("username")
        self.fields["actor"].choices = [("", _("全部"))] + [(u.pk, str(u)) for u in users]
        self.fields["object_type"].choices = [("", _("全部")), *object_type_choices()]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments of ``audit_event_list``."""
        self.is_valid()
        values = {
            name: self.cleaned_data.get(name)
            for name in self.fields
            if name not in self.errors and self.cleaned_data.get(name) not in ("", None)
        }
        return values
