"""Forms of satisfaction surveys: sending one, the client's answer, closing a follow-up and the
list filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from zhangfang.core.forms import StyledFormMixin
from zhangfang.delivery.models import FollowUpStatus, Survey
from zhangfang.delivery.selectors.surveys import (
    ALL,
    ANSWERED,
    LOW,
    MINE,
    UNANSWERED,
    FollowUpFilters,
    SurveyFilters,
)
from zhangfang.delivery.services.generation import period_of, previous_month

MONTH_FORMAT = "%Y-%m"

#: The five points of every rating, worst first as the client reads them.
RATING_CHOICES = [
    (1, gettext_lazy("非常不满意")),
    (2, gettext_lazy("不满意")),
    # 一般 is also an urgency ("Normal"); on this scale it is the neutral answer.
    (3, pgettext_lazy("satisfaction rating", "一般")),
    (4, gettext_lazy("满意")),
    (5, gettext_lazy("非常满意")),
]

STATE_CHOICES = [
    (ANSWERED, gettext_lazy("已答复")),
    (UNANSWERED, gettext_lazy("未答复")),
    (LOW, gettext_lazy("低分")),
]

FOLLOW_UP_VIEWS = [(MINE, gettext_lazy("我的跟进")), (ALL, gettext_lazy("全部"))]


def this_month() -> dt.date:
    return period_of(timezone.localdate())


class MonthField(forms.DateField):
    """A ``<input type="month">``: ``2026-11`` becomes the first day of that month."""

    widget = forms.DateInput(attrs={"type": "month"}, format=MONTH_FORMAT)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("input_formats", [MONTH_FORMAT])
        super().__init__(**kwargs)


class SendForm(StyledFormMixin, forms.Form):
    """Send one client a survey: which contact (optional) and which month it is about."""

    contact = forms.ModelChoiceField(
        label=gettext_lazy("联系人"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("主要联系人"),
        help_text=gettext_lazy("链接发到联系人的电子邮箱；没有邮箱时请复制链接通过微信发送。"),
    )
    period = MonthField(label=gettext_lazy("调查月份"))

    def __init__(self, *args, contacts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts
        self.initial.setdefault("period", this_month())


class BatchSendForm(StyledFormMixin, forms.Form):
    period = MonthField(label=gettext_lazy("调查月份"))


class AnswerForm(StyledFormMixin, forms.Form):
    """The client's answer: every dimension rated 1–5, a comment and a name."""

    comment = forms.CharField(
        label=gettext_lazy("意见和建议"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    respondent_name = forms.CharField(label=gettext_lazy("您的姓名"), required=False, max_length=50)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        ratings = {}
        for name in Survey.DIMENSIONS:
            label = Survey._meta.get_field(name).verbose_name
            ratings[name] = forms.TypedChoiceField(
                label=label,
                choices=RATING_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": gettext_lazy("请为“%(dimension)s”打分。") % {"dimension": label},
                    "invalid_choice": gettext_lazy("请为“%(dimension)s”选择 1–5 分。")
                    % {"dimension": label},
                },
            )
        # The ratings first, in the order the page asks them.
        # The ratings first, in the order the page asks them; they are added after the mixin
        # styled the other fields, so they get their class here.
        self.fields = {**ratings, **self.fields}
        for name in Survey.DIMENSIONS:
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def ratings(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in Survey.DIMENSIONS}


class CloseForm(StyledFormMixin, forms.Form):
    outcome = forms.CharField(
        label=gettext_lazy("处理结果"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("回访了谁、客户的意见、采取的改进措施。"),
    )


class SurveyFilterForm(forms.Form):
    period = MonthField(required=False)
    state = forms.ChoiceField(required=False, choices=STATE_CHOICES)

    def filters(self) -> SurveyFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return SurveyFilters(
            period=data.get("period") or this_month(),
            state=data.get("state") or "",
        )


class FollowUpFilterForm(forms.Form):
    view = forms.ChoiceField(required=False, choices=FOLLOW_UP_VIEWS)
    status = forms.ChoiceField(required=False, choices=FollowUpStatus.choices)
    overdue = forms.BooleanField(required=False)

    def filters(self) -> FollowUpFilters:
        data = self.cleaned_data if self.is_valid() else {}
        # No status in the URL (the first visit) shows the open ones; "全部" sends it empty.
        status = FollowUpStatus.OPEN if "status" not in self.data else data.get("status", "")
        return FollowUpFilters(
            view=data.get("view") or MINE,
            status=status or "",
            overdue=bool(data.get("overdue")),
        )


class StandardsForm(forms.Form):
    period = MonthField(required=False)

    def period_value(self) -> dt.date:
        value = self.cleaned_data.get("period") if self.is_valid() else None
        # A month's figures are whole once it has ended (its returns filed, its books checked):
        # the page opens on the month before this one.
        return value or previous_month(timezone.localdate())
