"""Forms of return visits: recording a visit with the problems raised, planning, rescheduling and
cancelling one, a problem's result and how it was reported, and the list filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhangfang.care.models import VisitMethod
from zhangfang.care.selectors.visits import (
    PROBLEM_CLOSED,
    PROBLEM_OPEN,
    PROBLEM_RESOLVED,
    STATE_ALL,
    STATE_DONE,
    STATE_DUE,
    STATE_OVERDUE,
    STATES,
    WHOSE_DEPARTMENT,
    WHOSE_MINE,
    ProblemFilters,
    VisitFilters,
)
from zhangfang.core.forms import StyledFormMixin

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

SATISFACTION_CHOICES = [
    (5, gettext_lazy("5 非常满意")),
    (4, gettext_lazy("4 满意")),
    (3, gettext_lazy("3 一般")),
    (2, gettext_lazy("2 不满意")),
    (1, gettext_lazy("1 非常不满意")),
]

STATE_CHOICES = [
    (STATE_DUE, gettext_lazy("待回访")),
    (STATE_OVERDUE, gettext_lazy("已逾期")),
    (STATE_DONE, gettext_lazy("已回访")),
    (STATE_ALL, gettext_lazy("全部")),
]

PROBLEM_STATE_CHOICES = [
    (PROBLEM_OPEN, gettext_lazy("待处理")),
    (PROBLEM_RESOLVED, gettext_lazy("已处理待告知")),
    (PROBLEM_CLOSED, gettext_lazy("已告知客户")),
]

WHOSE_CHOICES = [
    (WHOSE_MINE, gettext_lazy("转交给我的")),
    (WHOSE_DEPARTMENT, gettext_lazy("本部门的")),
]


def _staff_label(user) -> str:
    return f"{user}（{user.department}）" if user.department_id else str(user)


class VisitRecordForm(StyledFormMixin, forms.Form):
    """What the client said on the visit (四（一）1、3)."""

    method = forms.ChoiceField(
        label=gettext_lazy("回访方式"), choices=VisitMethod.choices, widget=forms.RadioSelect
    )
    contact = forms.ModelChoiceField(label=gettext_lazy("受访人"), queryset=None)
    visited_at = forms.DateTimeField(
        label=gettext_lazy("回访时间"),
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    satisfaction = forms.TypedChoiceField(
        label=gettext_lazy("满意度"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    opinions = forms.CharField(
        label=gettext_lazy("意见和建议"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    summary = forms.CharField(
        label=gettext_lazy("回访记录"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("回访的主要内容，例如：询问了本季度账务处理和报税的满意度。"),
    )

    def __init__(self, *args, contacts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts
        # A client with no contact on file can still be visited (by e-mail to the company
        # address, say); the form asks for one whenever there is one to choose.
        self.fields["contact"].required = contacts.exists()
        if not self.is_bound:
            self.initial.setdefault("visited_at", timezone.localtime().replace(second=0))

    def clean_visited_at(self) -> dt.datetime:
        value = self.cleaned_data["visited_at"]
        # The form shows minutes only: a time in the current minute is "now", not the future.
        if value > timezone.now() + dt.timedelta(minutes=1):
            raise forms.ValidationError(gettext_lazy("回访时间不能晚于现在。"))
        return min(value, timezone.now())


class ProblemForm(StyledFormMixin, forms.Form):
    """One problem the client raised, and the department it goes to (a blank row is skipped)."""

    description = forms.CharField(
        label=gettext_lazy("问题描述"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("转交部门"), queryset=None, required=False
    )

    def __init__(self, *args, departments, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments

    def clean(self) -> dict:
        data = super().clean()
        description = (data.get("description") or "").strip()
        department = data.get("department")
        if description and department is None:
            self.add_error("department", gettext_lazy("请选择转交部门。"))
        if department is not None and not description:
            self.add_error("description", gettext_lazy("请填写问题描述。"))
        return data


ProblemFormSet = forms.formset_factory(ProblemForm, extra=3, max_num=20, validate_max=True)


def problem_formset(data=None, *, departments) -> forms.BaseFormSet:
    return ProblemFormSet(data, prefix="problems", form_kwargs={"departments": departments})


def raised_problems(formset: forms.BaseFormSet) -> list[dict]:
    """The filled rows of a valid problem formset."""
    return [
        {
            "description": form.cleaned_data["description"],
            "department": form.cleaned_data["department"],
        }
        for form in formset.forms
        if form.cleaned_data.get("description")
    ]


class VisitCreateForm(StyledFormMixin, forms.Form):
    due_on = forms.DateField(label=gettext_lazy("计划回访日期"), widget=DATE_WIDGET)
    staff = forms.ModelChoiceField(
        label=gettext_lazy("回访人"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("留空则由客户的客服专员回访。"),
    )

    def __init__(self, *args, users, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = users
        self.fields["staff"].label_from_instance = _staff_label


class RescheduleForm(StyledFormMixin, forms.Form):
    due_on = forms.DateField(label=gettext_lazy("新的回访日期"), widget=DATE_WIDGET)
    reason = forms.CharField(label=gettext_lazy("改期原因"), max_length=200)


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("取消原因"), max_length=200)


class ResolveForm(StyledFormMixin, forms.Form):
    result = forms.CharField(
        label=gettext_lazy("处理结果"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class InformForm(StyledFormMixin, forms.Form):
    how = forms.CharField(
        label=gettext_lazy("告知方式"),
        max_length=100,
        help_text=gettext_lazy("例如：电话告知财务负责人王经理，客户表示认可。"),
    )


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------


def _valid(form: forms.Form) -> dict:
    """The valid values of a filter form; a malformed value in a hand-edited URL is ignored."""
    form.is_valid()
    return {name: form.cleaned_data.get(name) for name in form.fields if name not in form.errors}


class VisitFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    state = forms.ChoiceField(required=False, choices=[(s, s) for s in STATES])
    mine = forms.BooleanField(required=False)
    department = forms.IntegerField(required=False, min_value=1)
    method = forms.ChoiceField(required=False, choices=[("", ""), *VisitMethod.choices])
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)
    client = forms.IntegerField(required=False, min_value=1)

    def filters(self) -> VisitFilters:
        data = _valid(self)
        return VisitFilters(
            q=(data.get("q") or "").strip(),
            state=data.get("state") or STATE_DUE,
            mine=bool(data.get("mine")),
            department=data.get("department"),
            method=data.get("method") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            client=data.get("client"),
        )


class ProblemFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    state = forms.ChoiceField(required=False, choices=[("", ""), *PROBLEM_STATE_CHOICES])
    whose = forms.ChoiceField(required=False, choices=[("", ""), *WHOSE_CHOICES])
    overdue = forms.BooleanField(required=False)

    def filters(self) -> ProblemFilters:
        data = _valid(self)
        return ProblemFilters(
            q=(data.get("q") or "").strip(),
            state=data.get("state") or "",
            whose=data.get("whose") or "",
            overdue=bool(data.get("overdue")),
        )


PERIOD_MONTH = "month"
PERIOD_QUARTER = "quarter"
PERIOD_CHOICES = [(PERIOD_MONTH, gettext_lazy("按月")), (PERIOD_QUARTER, gettext_lazy("按季"))]


class RateForm(forms.Form):
    """The rate page's period: a month, or the quarter that month falls in."""

    kind = forms.ChoiceField(required=False, choices=PERIOD_CHOICES)
    month = forms.DateField(required=False, input_formats=["%Y-%m"])

    def period(self, today: dt.date) -> tuple[str, dt.date, dt.date, dt.date]:
        """``(kind, month, first day, last day)`` of the chosen period (default: this month)."""
        data = _valid(self)
        kind = data.get("kind") or PERIOD_MONTH
        month = (data.get("month") or today).replace(day=1)
        if kind == PERIOD_QUARTER:
            start = month.replace(month=(month.month - 1) // 3 * 3 + 1)
            months = 3
        else:
            start, months = month, 1
        index = start.month - 1 + months
        following = dt.date(start.year + index // 12, index % 12 + 1, 1)
        return kind, month, start, following - dt.timedelta(days=1)
