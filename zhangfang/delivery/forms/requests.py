"""Forms of request intake: registering a request, the actions on its page, the list filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhangfang.core.forms import StyledFormMixin
from zhangfang.delivery.models import Channel, RequestCategory, RequestStatus, Urgency
from zhangfang.delivery.selectors.requests import OPEN, RequestFilters

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


class RequestForm(StyledFormMixin, forms.Form):
    """The 《客户需求登记表》 for one client."""

    contact = forms.ModelChoiceField(label=gettext_lazy("联系人"), queryset=None, required=False)
    channel = forms.ChoiceField(label=gettext_lazy("受理渠道"), choices=Channel.choices)
    category = forms.ChoiceField(label=gettext_lazy("需求类别"), choices=RequestCategory.choices)
    urgency = forms.ChoiceField(
        label=gettext_lazy("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL
    )
    received_at = forms.DateTimeField(
        label=gettext_lazy("受理时间"),
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        help_text=gettext_lazy("默认为现在；补登记时可改为实际接到需求的时间，不能晚于现在。"),
    )
    content = forms.CharField(
        label=gettext_lazy("需求内容"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, contacts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0))

    def clean_received_at(self) -> dt.datetime:
        value = self.cleaned_data["received_at"]
        # The form shows minutes only: a time in the current minute is "now", not the future.
        if value > timezone.now() + dt.timedelta(minutes=1):
            raise forms.ValidationError(gettext_lazy("受理时间不能晚于现在。"))
        return min(value, timezone.now())

    def request_data(self) -> dict:
        return dict(self.cleaned_data)


class RespondForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("响应内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("如何回复了客户，例如：已电话联系，约定明天提供资料。"),
    )


class ResolveForm(StyledFormMixin, forms.Form):
    resolution = forms.CharField(
        label=gettext_lazy("处理结果"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConfirmForm(StyledFormMixin, forms.Form):
    how = forms.CharField(
        label=gettext_lazy("确认方式"),
        max_length=200,
        help_text=gettext_lazy("例如：客户电话确认、微信回复确认。"),
    )


class ReopenForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("重新打开的原因"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReassignForm(StyledFormMixin, forms.Form):
    assignee = forms.ModelChoiceField(label=gettext_lazy("改派给"), queryset=None)

    def __init__(self, *args, users, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users
        self.fields["assignee"].label_from_instance = lambda u: (
            f"{u}（{u.department}）" if u.department_id else str(u)
        )


class StartForm(forms.Form):
    """Starting needs no input; the form exists so every action is handled the same way."""


STATUS_FILTER_CHOICES = [(OPEN, gettext_lazy("未解决")), *RequestStatus.choices]


class RequestFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", ""), *STATUS_FILTER_CHOICES])
    category = forms.ChoiceField(required=False, choices=[("", ""), *RequestCategory.choices])
    urgency = forms.ChoiceField(required=False, choices=[("", ""), *Urgency.choices])
    mine = forms.BooleanField(required=False)
    overdue = forms.BooleanField(required=False)

    def filters(self) -> RequestFilters:
        """The valid filters; a malformed value in a hand-edited URL is ignored."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return RequestFilters(
            q=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            category=data.get("category") or "",
            urgency=data.get("urgency") or "",
            mine=bool(data.get("mine")),
            overdue=bool(data.get("overdue")),
        )


class MonthForm(forms.Form):
    month = forms.DateField(required=False, input_formats=["%Y-%m"])
