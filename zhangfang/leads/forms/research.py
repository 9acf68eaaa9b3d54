"""Input of market research (policy 二(一)1): competitors, their price items, research notes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin
from zhangfang.core.money import to_money
from zhangfang.leads.models import Competitor, MarketNote, PriceUnit
from zhangfang.leads.selectors.research import normalize_item

#: The largest price that fits ``CompetitorPrice.amount`` (12 digits, 2 decimals).
MAX_PRICE = Decimal("9999999999.99")

COMPETITOR_FIELDS = [
    "name",
    "services",
    "strengths",
    "weaknesses",
    "source",
    "observed_on",
    "notes",
]


class CompetitorForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Competitor
        fields = COMPETITOR_FIELDS
        widgets = {
            "observed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "services": forms.Textarea(attrs={"rows": 3}),
            "strengths": forms.Textarea(attrs={"rows": 3}),
            "weaknesses": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        others = Competitor.objects.filter(name=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(
                _("“%(name)s”已登记为竞争对手。") % {"name": name}, code="duplicate"
            )
        return name

    def competitor_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in COMPETITOR_FIELDS}


class MoneyField(forms.Field):
    """An amount typed as people type it (``1,280``, ``¥1280.50``), kept as a ``Decimal``."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value).strip() if value is not None else ""
        if text in self.empty_values:
            return None
        return to_money(text)

    def widget_attrs(self, widget) -> dict[str, str]:
        return {**super().widget_attrs(widget), "maxlength": "20"}


class CompetitorPriceForm(StyledFormMixin, forms.Form):
    """One price row; a blank extra row is ignored, a half-filled one is an error."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    item = forms.CharField(label=gettext_lazy("收费项目"), max_length=100)
    amount = MoneyField(label=gettext_lazy("金额（元）"))
    unit = forms.ChoiceField(
        label=gettext_lazy("计价单位"), choices=PriceUnit.choices, initial=PriceUnit.MONTH
    )
    notes = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def has_changed(self) -> bool:
        # The unit select always has a value, so an untouched extra row would count as changed.
        return any(
            self[name].data not in (None, "") for name in ("item", "amount", "notes")
        ) or bool(self["id"].data)

    def clean_item(self) -> str:
        return " ".join(self.cleaned_data["item"].split())

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount < 0:
            raise ValidationError(_("金额不能为负数。"), code="negative")
        if amount > MAX_PRICE:
            raise ValidationError(_("金额过大。"), code="too_large")
        return amount


class BaseCompetitorPriceFormSet(forms.BaseFormSet):
    """All price rows of a competitor; the same item in the same unit twice is refused."""

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: dict[tuple[str, str], int] = {}
        for number, form in enumerate(self.forms, start=1):
            if not form.has_changed() or self._should_delete_form(form):
                continue
            key = (normalize_item(form.cleaned_data["item"]), form.cleaned_data["unit"])
            if key in seen:
                raise ValidationError(
                    _("第 %(row)s 行：收费项目“%(item)s”（%(unit)s）与第 %(first)s 行重复。")
                    % {
                        "row": number,
                        "item": form.cleaned_data["item"],
                        "unit": PriceUnit(form.cleaned_data["unit"]).label,
                        "first": seen[key],
                    },
                    code="duplicate",
                )
            seen[key] = number

    def price_rows(self) -> list[dict[str, Any]]:
        """The rows to keep, as the service takes them (``id`` None for a new row)."""
        return [
            {
                "id": form.cleaned_data.get("id"),
                "item": form.cleaned_data["item"],
                "amount": form.cleaned_data["amount"],
                "unit": form.cleaned_data["unit"],
                "notes": form.cleaned_data.get("notes", ""),
            }
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form)
        ]


CompetitorPriceFormSet = forms.formset_factory(
    CompetitorPriceForm,
    formset=BaseCompetitorPriceFormSet,
    extra=3,
    can_delete=True,
    max_num=100,
    validate_max=True,
)


def price_formset(competitor: Competitor, data=None) -> BaseCompetitorPriceFormSet:
    """The price rows of ``competitor`` as a formset, with three blank rows to add new ones."""
    initial = [
        {"id": p.pk, "item": p.item, "amount": p.amount, "unit": p.unit, "notes": p.notes}
        for p in competitor.prices.all()
    ]
    return CompetitorPriceFormSet(data, initial=initial, prefix="prices")


class MarketNoteForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = MarketNote
        fields = ["title", "observed_on", "body"]
        widgets = {
            "observed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "body": forms.Textarea(attrs={"rows": 10}),
        }

    def note_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
