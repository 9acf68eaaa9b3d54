"""Forms of a work item's page (its actions, the 交接清单 and the 税款测算), the client's answer
on the confirmation link, and the service scope editor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhangfang.core.forms import StyledFormMixin
from zhangfang.delivery.models import ConfirmedVia, DocumentType, Filing, ServiceScope
from zhangfang.delivery.services.generation import SCOPE_FIELDS


class StartForm(forms.Form):
    """Starting needs no input; the form exists so every action is handled the same way."""


class CompleteForm(StyledFormMixin, forms.Form):
    zero_filing = forms.BooleanField(label=gettext_lazy("零申报"), required=False)
    tax_amount = forms.DecimalField(
        label=gettext_lazy("税额（元）"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
    )
    note = forms.CharField(
        label=gettext_lazy("备注"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, filing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not filing:
            # Only a 申报 records whether it was a 零申报 and the tax filed.
            del self.fields["zero_filing"]
            del self.fields["tax_amount"]

    def clean(self):
        data = super().clean()
        if data.get("zero_filing") and data.get("tax_amount"):
            self.add_error("tax_amount", gettext_lazy("零申报的税额应为 0。"))
        return data


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(ReasonForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = gettext_lazy("重新打开的原因")


class OverrideForm(StyledFormMixin, forms.Form):
    override_reason = forms.CharField(
        label=gettext_lazy("先行申报的理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("客户尚未确认税款；批准后可先行申报，理由记入操作记录。"),
    )


class ReassignForm(StyledFormMixin, forms.Form):
    assignee = forms.ModelChoiceField(label=gettext_lazy("负责人"), queryset=None)

    def __init__(self, *args, users, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users
        self.fields["assignee"].label_from_instance = lambda u: (
            f"{u}（{u.department}）" if u.department_id else str(u)
        )


# ---------------------------------------------------------------------------------------------
# 交接清单
# ---------------------------------------------------------------------------------------------


class HandoverLineForm(StyledFormMixin, forms.Form):
    document_type = forms.ChoiceField(label=gettext_lazy("资料类型"), choices=DocumentType.choices)
    quantity = forms.IntegerField(label=gettext_lazy("数量"), min_value=1, max_value=100000)
    received_on = forms.DateField(
        label=gettext_lazy("收到日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())

    def clean_received_on(self) -> dt.date:
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(gettext_lazy("收到日期不能晚于今天。"))
        return day


class HandoverRemoveForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)


class HandoverClientForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=gettext_lazy("客户交接人"),
        max_length=50,
        help_text=gettext_lazy("客户方交来资料并确认清单的人员姓名。"),
    )


# ---------------------------------------------------------------------------------------------
# 税款测算
# ---------------------------------------------------------------------------------------------


def amount_field(filing: str) -> str:
    return f"amount_{filing}"


class TaxEstimateForm(StyledFormMixin, forms.Form):
    """One amount per tax return due that period, remarks, and the version the user opened."""

    remarks = forms.CharField(
        label=gettext_lazy("测算说明"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, filings: list[str], confirmation=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        amounts = {}
        if confirmation is not None:
            amounts = {line.filing: line.amount for line in confirmation.lines.all()}
        fields = {}
        for filing in filings:
            fields[amount_field(filing)] = forms.DecimalField(
                label=Filing(filing).label,
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("0"),
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )
            if filing in amounts:
                self.initial.setdefault(amount_field(filing), amounts[filing])
        # The amounts first, in board order, then the remarks.
        self.fields = {**fields, **self.fields}
        # StyledFormMixin styled the fields declared on the class; style the added ones too.
        for name in fields:
            self.fields[name].widget.attrs["class"] = "form-control"
        self.filings = filings
        if not self.is_bound:
            self.initial.setdefault("version", confirmation.version if confirmation else 0)
            if confirmation is not None:
                self.initial.setdefault("remarks", confirmation.remarks)

    def amounts(self) -> dict[str, Decimal]:
        return {f: self.cleaned_data[amount_field(f)] for f in self.filings}


class TaxRecordForm(StyledFormMixin, forms.Form):
    via = forms.ChoiceField(
        label=gettext_lazy("确认方式"),
        choices=[c for c in ConfirmedVia.choices if c[0] != ConfirmedVia.LINK],
    )
    name = forms.CharField(label=gettext_lazy("客户确认人"), max_length=50)
    note = forms.CharField(
        label=gettext_lazy("备注"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TaxAnswerForm(StyledFormMixin, forms.Form):
    """The client's answer on the link page."""

    CONFIRM = "confirm"
    QUERY = "query"

    name = forms.CharField(label=gettext_lazy("您的姓名"), max_length=50)
    comment = forms.CharField(
        label=gettext_lazy("您的疑问"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, answer: str, **kwargs) -> None:
        super().__init__(*args, prefix=answer, **kwargs)
        self.answer = answer
        if answer == self.CONFIRM:
            del self.fields["comment"]
        else:
            self.fields["comment"].required = True


# ---------------------------------------------------------------------------------------------
# 服务范围
# ---------------------------------------------------------------------------------------------


class ServiceScopeForm(StyledFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, scope: ServiceScope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in SCOPE_FIELDS:
            model_field = ServiceScope._meta.get_field(name)
            self.fields[name] = forms.BooleanField(
                label=model_field.verbose_name,
                help_text=model_field.help_text,
                required=False,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            if not self.is_bound:
                self.initial[name] = getattr(scope, name)
        if not self.is_bound:
            self.initial["version"] = scope.version

    def scope_data(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name in SCOPE_FIELDS}
