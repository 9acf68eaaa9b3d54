"""Forms of quality spot checks: the checklist, drawing a sample, scoring a check, and the
rectification actions. The business rules (who, bounds, transitions) live in the service."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy

from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin
from zhangfang.delivery.models import ChecklistItem, RectificationStatus, SampleMethod
from zhangfang.delivery.selectors.quality import RectificationFilters
from zhangfang.delivery.services.quality import CHECKLIST_FIELDS

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]
MAX_SEED = 2**63 - 1


class ChecklistItemForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = ChecklistItem
        fields = CHECKLIST_FIELDS
        help_texts = {
            "position": gettext_lazy("数字小的排在前面。"),
            "active": gettext_lazy("停用后新的检查不再评分此项，已录入的得分保留。"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["max_score"].min_value = 1
        self.fields["max_score"].widget.attrs["min"] = 1

    def clean_max_score(self) -> int:
        value = self.cleaned_data["max_score"]
        if value is not None and value < 1:
            raise forms.ValidationError(gettext_lazy("分值至少为 1。"))
        return value

    def item_data(self) -> dict:
        return {key: self.cleaned_data[key] for key in CHECKLIST_FIELDS}


class SampleForm(StyledFormMixin, forms.Form):
    period = forms.DateField(
        label=gettext_lazy("所属期"),
        input_formats=MONTH_FORMATS,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    department = forms.ModelChoiceField(label=gettext_lazy("部门"), queryset=None)
    method = forms.ChoiceField(
        label=gettext_lazy("抽样方式"),
        choices=SampleMethod.choices,
        initial=SampleMethod.PERCENT,
        widget=forms.RadioSelect,
    )
    amount = forms.IntegerField(
        label=gettext_lazy("每人抽取比例（%）或数量"),
        min_value=1,
        initial=10,
        help_text=gettext_lazy("按比例：1–100，向上取整，每人至少一项；按数量：每人抽取的项数。"),
    )
    seed = forms.IntegerField(
        label=gettext_lazy("随机种子"),
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        help_text=gettext_lazy("留空则随机生成；填写上次的种子可重现同样的抽样结果。"),
    )

    def __init__(self, *args, departments, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        only = list(departments[:2])
        if not self.is_bound and len(only) == 1:
            self.initial.setdefault("department", only[0].pk)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("method") == SampleMethod.PERCENT and (data.get("amount") or 0) > 100:
            self.add_error("amount", gettext_lazy("抽样比例须在 1% 到 100% 之间。"))
        return data


class CheckForm(StyledFormMixin, forms.Form):
    """One score field per active checklist line (``score_<id>``) and the findings."""

    findings = forms.CharField(
        label=gettext_lazy("检查发现"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "每行一个问题，每个问题生成一项整改任务；没有问题则留空，判为合格。"
        ),
    )

    def __init__(self, *args, items, **kwargs) -> None:
        self.items = list(items)
        super().__init__(*args, **kwargs)
        score_fields = {}
        for item in self.items:
            score_fields[f"score_{item.pk}"] = forms.IntegerField(
                label=f"{item.name}（0–{item.max_score}）",
                min_value=0,
                max_value=item.max_score,
                help_text=item.description,
                error_messages={
                    "required": gettext_lazy("请填写此项得分。"),
                },
            )
        # Scores first, findings last, in the checklist's order.
        self.fields = {**score_fields, "findings": self.fields["findings"]}
        # StyledFormMixin styled the fields present before; style the score fields too.
        for name in score_fields:
            self.fields[name].widget.attrs["class"] = "form-control"

    def scores(self) -> dict[int, int | None]:
        return {item.pk: self.cleaned_data.get(f"score_{item.pk}") for item in self.items}


class DoneForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("整改说明"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VerifyForm(StyledFormMixin, forms.Form):
    passed = forms.TypedChoiceField(
        label=gettext_lazy("复查结果"),
        choices=[("1", gettext_lazy("通过")), ("0", gettext_lazy("退回重改"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("复查意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("退回重改时必填。"),
    )


class RectificationFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", ""), *RectificationStatus.choices])
    mine = forms.BooleanField(required=False)
    overdue = forms.BooleanField(required=False)

    def filters(self) -> RectificationFilters:
        """The valid filters; a malformed value in a hand-edited URL is ignored."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return RectificationFilters(
            status=data.get("status") or "",
            mine=bool(data.get("mine")),
            overdue=bool(data.get("overdue")),
        )


class PeriodForm(forms.Form):
    period = forms.DateField(required=False, input_formats=MONTH_FORMATS)

    def period_or(self, default: dt.date) -> dt.date:
        value = self.cleaned_data.get("period") if self.is_valid() else None
        return (value or default).replace(day=1)
