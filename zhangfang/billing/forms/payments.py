"""Forms of the payment pages: the list's filters, 登记收款 with a box per open bill, 核销预收余额
and 冲销."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.billing.forms.bills import MONEY_FIELD, DateInput, parse_month
from zhangfang.billing.models import PaymentMethod
from zhangfang.billing.selectors.payments import PaymentFilters
from zhangfang.core.forms import StyledFormMixin


class PaymentFilterForm(forms.Form):
    """Reads the payment list's URL parameters; an invalid value is ignored, not an error."""

    q = forms.CharField(required=False, max_length=100)
    method = forms.ChoiceField(required=False, choices=PaymentMethod.choices)
    month = forms.CharField(required=False, max_length=7)
    unallocated = forms.BooleanField(required=False)
    client = forms.IntegerField(required=False, min_value=1)

    def filters(self) -> PaymentFilters:
        self.is_valid()
        values = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return PaymentFilters(
            q=(values.get("q") or "").strip(),
            method=values.get("method") or "",
            month=parse_month(values.get("month") or ""),
            unallocated=bool(values.get("unallocated")),
            client=values.get("client"),
        )


class BillRowsMixin:
    """One optional amount box per open bill (``alloc_<pk>``), checked against what each owes.

    ``self.bill_rows`` pairs each bill with its bound field for the template's table.
    """

    def add_bill_rows(self, bills) -> None:
        self.bills = list(bills)
        for bill in self.bills:
            field = forms.DecimalField(
                label=_("账单 %(number)s 核销金额") % {"number": bill.number},
                required=False,
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("0.01"),
                max_value=bill.outstanding,
                error_messages={
                    "max_value": _("不能超过该账单未收金额 %(owing)s 元。")
                    % {"owing": bill.outstanding},
                },
            )
            field.widget.attrs.update({"class": "form-control form-control-sm text-end"})
            self.fields[f"alloc_{bill.pk}"] = field

    @property
    def bill_rows(self) -> list[tuple]:
        return [(bill, self[f"alloc_{bill.pk}"]) for bill in self.bills]

    def explicit_allocations(self) -> list[tuple]:
        """The boxes filled in, as (bill, amount); empty when all are blank."""
        return [
            (bill, self.cleaned_data[f"alloc_{bill.pk}"])
            for bill in self.bills
            if self.cleaned_data.get(f"alloc_{bill.pk}")
        ]

    def check_total(self, available: Decimal | None, *, field: str | None) -> None:
        if available is None:
            return
        total = sum((amount for _bill, amount in self.explicit_allocations()), Decimal(0))
        if total > available:
            self.add_error(
                field,
                _("各账单核销金额合计 %(total)s 元，超过可核销金额 %(available)s 元。")
                % {"total": f"{total:.2f}", "available": f"{available:.2f}"},
            )


class PaymentForm(BillRowsMixin, StyledFormMixin, forms.Form):
    """登记收款. Blank amount boxes with 自动核销 ticked apply the money oldest due first; any
    filled box means exactly those amounts; the rest stays as the client's credit (预收余额)."""

    method = forms.ChoiceField(label=gettext_lazy("收款方式"), choices=PaymentMethod.choices)
    amount = forms.DecimalField(label=gettext_lazy("收款金额（元）"), **MONEY_FIELD)
    received_on = forms.DateField(label=gettext_lazy("收款日期"), widget=DateInput())
    payer = forms.CharField(label=gettext_lazy("付款人"), max_length=100, required=False)
    reference = forms.CharField(label=gettext_lazy("交易流水号"), max_length=64, required=False)
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)
    auto = forms.BooleanField(
        label=gettext_lazy("全部按账龄自动核销"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "各账单金额留空时，按付款期限从早到晚核销；填写了金额则只按所填金额核销。"
        ),
    )

    def __init__(self, *args, bills=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.add_bill_rows(bills)
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())

    def clean_received_on(self):
        value = self.cleaned_data["received_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("收款日期不能晚于今天。"))
        return value

    def clean(self):
        data = super().clean()
        self.check_total(data.get("amount"), field="amount")
        return data

    def allocations(self) -> list[tuple] | None:
        """What to pass to payment_record: explicit rows, None (auto) or [] (all to credit)."""
        rows = self.explicit_allocations()
        if rows:
            return rows
        return None if self.cleaned_data.get("auto") else []


class AllocateForm(BillRowsMixin, StyledFormMixin, forms.Form):
    """核销预收余额: blank boxes apply the remainder oldest due first."""

    def __init__(self, *args, bills=(), available: Decimal | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.available = available
        self.add_bill_rows(bills)

    def clean(self):
        data = super().clean()
        self.check_total(self.available, field=None)
        return data

    def allocations(self) -> list[tuple] | None:
        return self.explicit_allocations() or None


class ReverseForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("冲销原因"), max_length=150)
