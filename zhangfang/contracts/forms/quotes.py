"""The quote calculator's form: a client's needs, priced from the list in force on the day."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.clients.models import Industry, TaxpayerType
from zhangfang.contracts.models import FeeItem, FeeKind, PaymentTerm
from zhangfang.contracts.pricing import price_list_on
from zhangfang.core.forms import StyledFormMixin
from zhangfang.core.money import format_rmb

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AddonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: FeeItem) -> str:
        # The price beside the name, so the salesperson sees what a tick adds.
        return f"{obj.name}（{format_rmb(obj.amount)} {obj.get_unit_display()}）"


class QuoteForm(StyledFormMixin, forms.Form):
    taxpayer_type = forms.ChoiceField(label=_("纳税人类型"), choices=TaxpayerType.choices)
    industry = forms.ChoiceField(
        label=_("行业"), choices=[("", _("其他（不加价）")), *Industry.choices], required=False
    )
    monthly_vouchers = forms.IntegerField(label=_("月凭证量（张）"), min_value=0, max_value=100000)
    payment_term = forms.ModelChoiceField(
        label=_("付款方式"), queryset=PaymentTerm.objects.none(), empty_label=None
    )
    term_months = forms.IntegerField(
        label=_("服务期限（月）"), min_value=1, max_value=120, initial=12
    )
    include_setup = forms.BooleanField(label=_("含建账费"), required=False, initial=True)
    on = forms.DateField(label=_("报价日期"), widget=DATE_INPUT)
    addons = AddonChoiceField(
        label=_("增值服务"),
        queryset=FeeItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_term"].queryset = PaymentTerm.objects.filter(is_active=True).order_by(
            "sort_order", "name"
        )
        # The add-ons offered are those in force on the quote date (today until one is given).
        self.fields["addons"].queryset = price_list_on(self.quote_date()).filter(kind=FeeKind.ADDON)
        # Each add-on is its own checkbox, not one form control.
        self.fields["addons"].widget.attrs["class"] = "form-check-input"

    def quote_date(self) -> dt.date:
        """The quote date as typed, or today when it is missing or malformed (the field's own
        validation reports the malformed value)."""
        raw = self.data.get(self.add_prefix("on")) if self.is_bound else None
        try:
            return self.fields["on"].clean(raw) or timezone.localdate()
        except ValidationError:
            return timezone.localdate()

    @classmethod
    def defaults(cls) -> dict[str, object]:
        """The needs the page opens with: a small taxpayer with no vouchers, a year, monthly."""
        term = PaymentTerm.objects.filter(is_active=True).order_by("sort_order", "name").first()
        return {
            "taxpayer_type": TaxpayerType.SMALL,
            "industry": "",
            "monthly_vouchers": 0,
            "payment_term": term.pk if term else "",
            "term_months": 12,
            "include_setup": "on",
            "on": timezone.localdate().isoformat(),
        }
