"""Forms of the referral reward ledger."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhangfang.core.forms import StyledFormMixin
from zhangfang.leads.models import RewardStatus
from zhangfang.leads.selectors.referrals import RewardFilters


class RewardFilterForm(forms.Form):
    """The ledger's URL parameters; invalid values are ignored, not errors."""

    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=RewardStatus.choices)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)

    def filters(self) -> RewardFilters:
        self.is_valid()
        values = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return RewardFilters(
            q=(values.get("q") or "").strip(),
            status=values.get("status") or "",
            date_from=values.get("date_from"),
            date_to=values.get("date_to"),
        )


class RewardDecisionForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("审批结果"), choices=[("approve", _("批准")), ("reject", _("驳回"))]
    )
    note = forms.CharField(label=_("审批意见"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("note", "").strip():
            self.add_error("note", _("驳回时请填写审批意见。"))
        return data
