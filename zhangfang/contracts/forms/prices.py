"""Forms of the price list and payment terms.

The forms check what one line says about itself, so every mistake shows beside its field at once
(and before the model's constraints would report it as a nameless error). The services check the
same rules again for every caller, and the rules between lines (overlapping voucher tiers), raising
``DomainError`` with the field to correct."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhangfang.contracts.models import CYCLE_MONTHS, FeeItem, FeeKind, PaymentTerm
from zhangfang.contracts.selectors.prices import CURRENT, HISTORY
from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FeeItemForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = FeeItem
        fields = [
            "name",
            "kind",
            "unit",
            "amount",
            "taxpayer_type",
            "industry",
            "voucher_min",
            "voucher_max",
            "effective_from",
            "effective_to",
            "description",
            "sort_order",
            "is_active",
        ]
        widgets = {"effective_from": DATE_INPUT, "effective_to": DATE_INPUT}

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount < 0:
            raise ValidationError(_("标准价格不能为负数。"))
        return amount

    def clean(self):
        data = super().clean()
        if data.get("kind") == FeeKind.SURCHARGE and not data.get("industry"):
            self.add_error("industry", _("行业加价须选择适用行业。"))
        low, high = data.get("voucher_min"), data.get("voucher_max")
        if low is not None and high is not None and low > high:
            self.add_error("voucher_max", _("凭证量上限不能小于下限。"))
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", _("失效日期不能早于生效日期。"))
        name = data.get("name")
        if (
            name
            and start
            and FeeItem.objects.filter(name=name, effective_from=start)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error(
                "name",
                _("收费项目“%(name)s”在 %(date)s 起已有一条价格。")
                % {"name": name, "date": start.isoformat()},
            )
        return data

    def fee_item_data(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if key != "version"}


class PriceChangeForm(StyledFormMixin, forms.Form):
    """调价: the new amount and the day it takes effect."""

    amount = forms.DecimalField(label=_("新价格"), max_digits=12, decimal_places=2, min_value=0)
    effective_from = forms.DateField(label=_("执行日期"), widget=DATE_INPUT)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PaymentTermForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = PaymentTerm
        fields = [
            "name",
            "cycle",
            "discount_percent",
            "free_months",
            "due_days",
            "description",
            "sort_order",
            "is_active",
        ]

    def clean_discount_percent(self):
        discount = self.cleaned_data["discount_percent"]
        if discount is not None and not (0 <= discount < 100):
            raise ValidationError(_("折扣须在 0 到 100 之间（不含 100）。"))
        return discount

    def clean(self):
        data = super().clean()
        cycle, free_months = data.get("cycle"), data.get("free_months")
        if cycle in CYCLE_MONTHS and free_months is not None and free_months >= CYCLE_MONTHS[cycle]:
            self.add_error(
                "free_months",
                _("赠送月数须少于一个付款周期的月数（%(months)s 个月）。")
                % {"months": CYCLE_MONTHS[cycle]},
            )
        return data

    def payment_term_data(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if key != "version"}


class PriceListFilterForm(forms.Form):
    """The staff list's filter: 当前有效 / 全部（含历史）, or the price list on one day."""

    view = forms.ChoiceField(
        label=_("范围"),
        choices=[(CURRENT, _("当前有效")), (HISTORY, _("全部（含历史）"))],
        required=False,
    )
    on = forms.DateField(label=_("按某日查看"), required=False, widget=DATE_INPUT)

    def filters(self) -> tuple[str, dt.date | None]:
        """The view and the day; a malformed value in the URL is ignored, not an error page."""
        if not self.is_valid():
            return CURRENT, None
        return self.cleaned_data.get("view") or CURRENT, self.cleaned_data.get("on")
