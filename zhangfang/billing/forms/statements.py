"""Forms of statements of account: the period to issue, and the client's answer."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.billing.models import ConfirmationMethod, StatementStatus
from zhangfang.core.forms import StyledFormMixin

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def previous_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    first_month = (today.month - 1) // 3 * 3 + 1
    end = today.replace(month=first_month, day=1) - dt.timedelta(days=1)
    return end.replace(month=end.month - 2, day=1), end


def period_shortcuts(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The periods the issue form offers with one click: 上月, 上季度, 本月至今, 本年至今."""
    return [
        (str(_("上月")), *previous_month(today)),
        (str(_("上季度")), *previous_quarter(today)),
        (str(_("本月至今")), today.replace(day=1), today),
        (str(_("本年至今")), today.replace(month=1, day=1), today),
    ]


class StatementIssueForm(StyledFormMixin, forms.Form):
    """The period of a statement; both days are included. Defaults to the previous month."""

    start = forms.DateField(label=_("对账期起"), widget=DATE_INPUT)
    end = forms.DateField(label=_("对账期止"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            start, end = previous_month(timezone.localdate())
            self.initial.setdefault("start", start)
            self.initial.setdefault("end", end)

    def clean_end(self) -> dt.date:
        end = self.cleaned_data["end"]
        if end > timezone.localdate():
            raise forms.ValidationError(_("对账期止不能晚于今天。"))
        return end

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("start", _("对账期起不能晚于对账期止。"))
        return data


class StatementResponseForm(StyledFormMixin, forms.Form):
    """What the client answered: confirmed, or disputed with the items named."""

    status = forms.ChoiceField(
        label=_("客户回复"),
        choices=[
            (StatementStatus.CONFIRMED, _("核对无误（客户已确认）")),
            (StatementStatus.DISPUTED, _("有异议")),
        ],
        widget=forms.RadioSelect,
    )
    confirmed_by_name = forms.CharField(label=_("客户确认人"), max_length=50)
    method = forms.ChoiceField(label=_("确认方式"), choices=ConfirmationMethod.choices)
    responded_on = forms.DateField(label=_("回复日期"), widget=DATE_INPUT)
    disputed_items = forms.CharField(
        label=_("异议事项"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("客户有异议时必填：写明哪些账目不符、客户认为的金额。"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Radio buttons take Bootstrap's check classes, not form-control.
        self.fields["status"].widget.attrs["class"] = "form-check-input"
        if not self.is_bound:
            self.initial.setdefault("responded_on", timezone.localdate())

    def clean_responded_on(self) -> dt.date:
        day = self.cleaned_data["responded_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("回复日期不能晚于今天。"))
        return day

    def clean(self):
        data = super().clean()
        if (
            data.get("status") == StatementStatus.DISPUTED
            and not (data.get("disputed_items") or "").strip()
        ):
            self.add_error("disputed_items", _("客户有异议时，须写明异议事项。"))
        return data
