"""Forms of the complaint register: the 《客户投诉登记表》, the actions on a complaint's page, the
list filters and the timeliness period."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhangfang.complaints.models import (
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    RootCause,
    Severity,
)
from zhangfang.complaints.selectors.complaints import (
    MINE_HANDLED,
    MINE_REGISTERED,
    ComplaintFilters,
)
from zhangfang.core.forms import StyledFormMixin

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _staff_label(user) -> str:
    return f"{user}（{user.department}）" if user.department_id else str(user)


class ComplaintForm(StyledFormMixin, forms.Form):
    """The 《客户投诉登记表》 for one client."""

    contact = forms.ModelChoiceField(
        label=gettext_lazy("投诉人"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("（非登记联系人，手工填写）"),
    )
    contact_name = forms.CharField(
        label=gettext_lazy("投诉人姓名"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("选择联系人后自动填写，可修改。"),
    )
    contact_phone = forms.CharField(label=gettext_lazy("联系方式"), max_length=50, required=False)
    channel = forms.ChoiceField(label=gettext_lazy("投诉渠道"), choices=ComplaintChannel.choices)
    category = forms.ChoiceField(label=gettext_lazy("投诉类别"), choices=ComplaintCategory.choices)
    severity = forms.ChoiceField(
        label=gettext_lazy("严重程度"), choices=Severity.choices, initial=Severity.MINOR
    )
    received_at = forms.DateTimeField(
        label=gettext_lazy("受理时间"),
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        help_text=gettext_lazy("默认为现在；补登记时可改为实际接到投诉的时间，不能晚于现在。"),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("责任部门"),
        queryset=None,
        help_text=gettext_lazy("投诉将转交此部门的负责人处理，默认为客户的服务部门。"),
    )
    staff_involved = forms.ModelChoiceField(
        label=gettext_lazy("涉及人员"), queryset=None, required=False
    )
    matter = forms.CharField(
        label=gettext_lazy("投诉事项"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    client_request = forms.CharField(
        label=gettext_lazy("客户诉求"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, contacts, departments, staff, client_department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts
        self.fields["contact"].label_from_instance = lambda c: f"{c.name}（{c.get_role_display()}）"
        self.fields["department"].queryset = departments
        self.fields["staff_involved"].queryset = staff
        self.fields["staff_involved"].label_from_instance = _staff_label
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0))
            if client_department is not None:
                self.initial.setdefault("department", client_department.pk)

    def prefill_contact(self, contact) -> None:
        """Fill in the name and phone of the contact just chosen (the htmx refresh)."""
        self.initial.update(
            contact=contact.pk, contact_name=contact.name, contact_phone=contact.mobile
        )

    def clean_received_at(self) -> dt.datetime:
        value = self.cleaned_data["received_at"]
        # The form shows minutes only: a time in the current minute is "now", not the future.
        if value > timezone.now() + dt.timedelta(minutes=1):
            raise forms.ValidationError(gettext_lazy("受理时间不能晚于现在。"))
        return min(value, timezone.now())


class StartForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("例如：已安排人员核查账务，约客户明日沟通。"),
    )


def _root_cause_field(help_text) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=gettext_lazy("根本原因"),
        choices=[("", "---------"), *RootCause.choices],
        required=False,
        help_text=help_text,
    )


class HandleForm(StyledFormMixin, forms.Form):
    investigation = forms.CharField(
        label=gettext_lazy("调查情况"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    resolution = forms.CharField(
        label=gettext_lazy("处理结果"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    root_cause = _root_cause_field(gettext_lazy("可现在填写，关闭投诉时必须填写。"))
    corrective_action = forms.CharField(
        label=gettext_lazy("纠正措施"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FeedBackForm(StyledFormMixin, forms.Form):
    feedback = forms.CharField(
        label=gettext_lazy("反馈客户情况"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("如何、何时把处理结果告知了客户，客户的反应。"),
    )


class CloseForm(StyledFormMixin, forms.Form):
    client_confirmation = forms.CharField(
        label=gettext_lazy("客户确认情况"),
        max_length=200,
        help_text=gettext_lazy("例如：王经理电话确认满意。"),
    )
    # Not required here: the service refuses a close without them and names the field, so the
    # page and the API say the same thing.
    root_cause = _root_cause_field(gettext_lazy("关闭投诉时必须填写。"))
    corrective_action = forms.CharField(
        label=gettext_lazy("纠正措施"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("关闭投诉时必须填写：为避免类似问题再次发生采取的措施。"),
    )


class ReopenForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("重新打开的原因"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TransferForm(StyledFormMixin, forms.Form):
    department = forms.ModelChoiceField(label=gettext_lazy("转交部门"), queryset=None)
    note = forms.CharField(
        label=gettext_lazy("转交原因"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, departments, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


MINE_CHOICES = [
    (MINE_REGISTERED, gettext_lazy("我登记的")),
    (MINE_HANDLED, gettext_lazy("我处理的")),
]


class ComplaintFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", ""), *ComplaintStatus.choices])
    open = forms.BooleanField(required=False)
    overdue = forms.BooleanField(required=False)
    category = forms.ChoiceField(required=False, choices=[("", ""), *ComplaintCategory.choices])
    severity = forms.ChoiceField(required=False, choices=[("", ""), *Severity.choices])
    department = forms.IntegerField(required=False, min_value=1)
    mine = forms.ChoiceField(required=False, choices=[("", ""), *MINE_CHOICES])

    def filters(self) -> ComplaintFilters:
        """The valid filters; a malformed value in a hand-edited URL is ignored."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return ComplaintFilters(
            q=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            open_only=bool(data.get("open")),
            overdue=bool(data.get("overdue")),
            category=data.get("category") or "",
            severity=data.get("severity") or "",
            department=data.get("department") or None,
            mine=data.get("mine") or "",
        )


PERIOD_MONTH = "month"
PERIOD_QUARTER = "quarter"
PERIOD_CHOICES = [
    (PERIOD_MONTH, gettext_lazy("按月")),
    (PERIOD_QUARTER, gettext_lazy("按季度")),
]


class PeriodForm(forms.Form):
    period = forms.ChoiceField(required=False, choices=PERIOD_CHOICES)
    month = forms.DateField(required=False, input_formats=["%Y-%m"])

    def bounds(self, today: dt.date) -> tuple[str, dt.date, dt.date]:
        """``(period, first day, first day after)``: the chosen month, or the quarter holding
        it; this month when nothing (or nothing valid) was chosen."""
        self.is_valid()
        period = self.cleaned_data.get("period") or PERIOD_MONTH
        month = self.cleaned_data.get("month") or today
        if period == PERIOD_QUARTER:
            first = dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
            months = 3
        else:
            first = month.replace(day=1)
            months = 1
        index = first.month - 1 + months
        return period, first, dt.date(first.year + index // 12, index % 12 + 1, 1)
