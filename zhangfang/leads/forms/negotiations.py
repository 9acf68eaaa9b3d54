"""Input of negotiation rounds: the fee typed as people type money, Chinese messages."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.core.forms import StyledFormMixin
from zhangfang.core.money import to_money
from zhangfang.leads.models import NegotiationRound, PaymentMethod, TaxNeed


class NegotiationForm(StyledFormMixin, forms.Form):
    held_on = forms.DateField(
        label=_("洽谈日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("请填写洽谈日期。"),
            "invalid": _("请输入有效的日期，如 2026-11-30。"),
        },
    )
    services = forms.MultipleChoiceField(
        label=_("洽谈服务"),
        required=False,
        choices=TaxNeed.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    proposed_fee = forms.CharField(
        label=_("报价（元/月）"),
        max_length=20,
        error_messages={"required": _("请填写报价。")},
        help_text=_("每月服务费，如 1,200.00。"),
    )
    payment_method = forms.ChoiceField(
        label=_("付款方式"),
        choices=[("", "---------"), *PaymentMethod.choices],
        error_messages={"required": _("请选择付款方式。")},
    )
    term_months = forms.IntegerField(
        label=_("服务期限（月）"),
        min_value=1,
        max_value=120,
        error_messages={
            "required": _("请填写服务期限。"),
            "invalid": _("请输入整数月数。"),
            "min_value": _("服务期限至少为 1 个月。"),
            "max_value": _("服务期限最长 120 个月。"),
        },
    )
    concerns = forms.CharField(
        label=_("客户关注的问题"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    agreed_points = forms.CharField(
        label=_("已达成一致"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, negotiation: NegotiationRound | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].widget.attrs["class"] = "form-check-input"
        if self.is_bound:
            return
        if negotiation is None:
            self.initial.setdefault("held_on", timezone.localdate())
        else:
            self.initial.update(
                held_on=negotiation.held_on,
                services=negotiation.services,
                proposed_fee=f"{negotiation.proposed_fee:.2f}",
                payment_method=negotiation.payment_method,
                term_months=negotiation.term_months,
                concerns=negotiation.concerns,
                agreed_points=negotiation.agreed_points,
            )

    def clean_proposed_fee(self) -> Decimal:
        fee = to_money(self.cleaned_data["proposed_fee"])
        if fee < 0:
            raise forms.ValidationError(_("报价不能为负数。"), code="negative")
        return fee
