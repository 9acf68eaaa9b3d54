"""Forms of the bill pages: the list's filters, the one-off bill, credit (减免) and void (作废)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.billing.models import BillKind, BillStatus
from zhangfang.billing.selectors.bills import BillFilters
from zhangfang.core.forms import StyledFormMixin

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

#: Money typed in a form: up to 12 digits before the point, 2 after, above zero.
MONEY_FIELD = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.01")}


def parse_month(text: str) -> dt.date | None:
    """``2027-03`` → 2027-03-01; anything else → None (a filter ignores what it cannot read)."""
    match = MONTH_RE.match((text or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return dt.date(year, month, 1)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class BillFilterForm(forms.Form):
    """Reads the bill list's URL parameters; an invalid value is ignored, not an error."""

    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=BillStatus.choices)
    kind = forms.ChoiceField(required=False, choices=BillKind.choices)
    overdue = forms.BooleanField(required=False)
    month = forms.CharField(required=False, max_length=7)
    client = forms.IntegerField(required=False, min_value=1)

    def filters(self) -> BillFilters:
        self.is_valid()
        values = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return BillFilters(
            q=(values.get("q") or "").strip(),
            status=values.get("status") or "",
            kind=values.get("kind") or "",
            overdue=bool(values.get("overdue")),
            month=parse_month(values.get("month") or ""),
            client=values.get("client"),
        )


class BillForm(StyledFormMixin, forms.Form):
    """开具账单: a one-off or add-on charge. An add-on picked from the price list fills the
    description and the amount (the view does it), which the user may still change."""

    fee_item = forms.TypedChoiceField(
        label=_("从收费标准选择增值服务"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("选择后自动填入摘要和金额，仍可修改。"),
    )
    kind = forms.ChoiceField(label=_("类别"), choices=BillKind.choices, initial=BillKind.ADDON)
    description = forms.CharField(label=_("摘要"), max_length=200)
    amount = forms.DecimalField(label=_("应收金额（元）"), **MONEY_FIELD)
    issued_on = forms.DateField(label=_("开单日期"), widget=DateInput())
    due_on = forms.DateField(label=_("付款期限"), widget=DateInput())
    period_start = forms.DateField(label=_("服务期起"), required=False, widget=DateInput())
    period_end = forms.DateField(label=_("服务期止"), required=False, widget=DateInput())

    def __init__(self, *args, addons=(), prefill_url: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.addons = {item.pk: item for item in addons}
        self.fields["fee_item"].choices = [("", "—")] + [
            (item.pk, f"{item.name}（¥{item.amount}/{item.get_unit_display()}）") for item in addons
        ]
        if prefill_url:
            # Picking an add-on reloads the fields (htmx) with its name and price filled in.
            self.fields["fee_item"].widget.attrs.update(
                {
                    "hx-get": prefill_url,
                    "hx-trigger": "change",
                    "hx-target": "#bill-fields",
                    "hx-include": "closest form",
                }
            )
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("issued_on", today)
            self.initial.setdefault("due_on", today + dt.timedelta(days=10))

    def clean(self):
        data = super().clean()
        issued_on, due_on = data.get("issued_on"), data.get("due_on")
        if issued_on and due_on and due_on < issued_on:
            self.add_error("due_on", _("付款期限不能早于开单日期。"))
        start, end = data.get("period_start"), data.get("period_end")
        if bool(start) != bool(end):
            self.add_error("period_end" if start else "period_start", _("服务期起止须同时填写。"))
        elif start and end and end < start:
            self.add_error("period_end", _("服务期止不能早于服务期起。"))
        return data


class CreditForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(label=_("减免金额（元）"), **MONEY_FIELD)
    reason = forms.CharField(label=_("减免原因"), max_length=150)


class VoidForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("作废原因"), max_length=150)
