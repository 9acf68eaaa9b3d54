from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhangfang.contracts.models import FeeItem
from zhangfang.core.forms import VersionedFormMixin


class FeeItemForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = FeeItem
        fields = [
            "name",
            "unit",
            "amount",
            "taxpayer_type",
            "description",
            "sort_order",
            "is_active",
        ]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount < 0:
            raise ValidationError(_("标准价格不能为负数。"))
        return amount

    def fee_item_data(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if key != "version"}
