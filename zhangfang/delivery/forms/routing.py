"""The form of a routing rule; the rules between target and user/department live in the service."""

from __future__ import annotations

from django import forms

from zhangfang.core.forms import VersionedFormMixin
from zhangfang.delivery.models import RoutingRule
from zhangfang.delivery.selectors import routing as selectors


class RoutingRuleForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["category", "target", "user", "department", "priority", "active"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        rule = self.instance if self.instance.pk else None
        self.fields["user"].queryset = selectors.rule_user_choices(rule=rule)
        self.fields["department"].queryset = selectors.rule_department_choices(rule=rule)

    def rule_data(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if key != "version"}
