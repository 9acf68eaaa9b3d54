"""Forms of the monthly work board: its filters and period, the bulk update of ticked steps, and
generating a period's work now."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy

from zhangfang.core.forms import StyledFormMixin
from zhangfang.delivery.models import Filing
from zhangfang.delivery.selectors.work_board import BoardFilters
from zhangfang.delivery.services.generation import PERIODIC_FILINGS

PERIOD_FORMAT = "%Y-%m"

#: The returns the 税种 filter offers, in board order.
FILING_CHOICES = [(f, Filing(f).label) for f in PERIODIC_FILINGS]

#: The bulk actions as the board offers them (the codes of ``services.work.BULK_ACTIONS``).
BULK_CHOICES = [
    ("start", gettext_lazy("开始处理")),
    ("complete", gettext_lazy("标记完成")),
]


class PeriodField(forms.DateField):
    """A 所属期 typed as ``YYYY-MM`` (what a month input sends); the first day of that month."""

    input_formats = [PERIOD_FORMAT]

    def to_python(self, value) -> dt.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class BoardFilterForm(forms.Form):
    period = PeriodField(required=False)
    q = forms.CharField(required=False, max_length=100)
    mine = forms.BooleanField(required=False)
    dept = forms.BooleanField(required=False)
    overdue = forms.BooleanField(required=False)
    unfiled = forms.BooleanField(required=False)
    filing = forms.ChoiceField(required=False, choices=[("", ""), *FILING_CHOICES])
    assignee = forms.IntegerField(required=False, min_value=1)

    def _valid(self) -> dict:
        """The valid values; a malformed one in a hand-edited URL is ignored, not an error."""
        self.is_valid()
        return {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }

    def chosen_period(self) -> dt.date | None:
        return self._valid().get("period")

    def filters(self) -> BoardFilters:
        data = self._valid()
        return BoardFilters(
            q=(data.get("q") or "").strip(),
            mine=bool(data.get("mine")),
            department=bool(data.get("dept")),
            overdue=bool(data.get("overdue")),
            unfiled=bool(data.get("unfiled")),
            filing=data.get("filing") or "",
            assignee=data.get("assignee"),
        )


class WorkBulkForm(forms.Form):
    """The ticked steps (``items``, ids) and what to do with them."""

    action = forms.ChoiceField(choices=BULK_CHOICES)
    items = forms.CharField(required=False)
    next = forms.CharField(required=False, max_length=2000)

    def clean(self) -> dict:
        data = super().clean()
        raw = self.data.getlist("items") if hasattr(self.data, "getlist") else []
        ids = []
        for value in raw:
            value = str(value).strip()
            if not value.isdigit() or int(value) == 0:
                raise forms.ValidationError(gettext_lazy("所选工作无效，请刷新页面后重试。"))
            ids.append(int(value))
        if not ids:
            raise forms.ValidationError(gettext_lazy("请先勾选要批量处理的工作。"))
        data["items"] = sorted(set(ids))
        return data


class GenerateForm(StyledFormMixin, forms.Form):
    period = PeriodField(label=gettext_lazy("所属期"))
