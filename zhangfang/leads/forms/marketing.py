"""Forms of the channel lists, marketing activities and partner institutions."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin
from zhangfang.core.validators import normalize_mobile
from zhangfang.leads.models import ActivityKind, Channel, MarketingActivity, Partner, PartnerKind


class ChannelForm(StyledFormMixin, forms.Form):
    code = forms.SlugField(
        label=_("代码"),
        max_length=30,
        help_text=_("英文小写字母、数字、下划线，如 xiaohongshu；内置渠道的代码不能修改。"),
        error_messages={"invalid": _("代码只能包含英文字母、数字、下划线或连字符。")},
    )
    name = forms.CharField(label=_("渠道名称"), max_length=50)

    def __init__(self, *args, built_in: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if built_in:
            self.fields["code"].disabled = True

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class LossReasonForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("流失原因"), max_length=50)

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class ActivityForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = MarketingActivity
        fields = ["name", "kind", "channel", "starts_on", "ends_on", "cost", "owner", "notes"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from zhangfang.staff.models import User

        channels = Channel.objects.filter(is_active=True)
        if self.instance.pk and self.instance.channel_id:
            channels = Channel.objects.filter(pk=self.instance.channel_id) | Channel.objects.filter(
                is_active=True
            )
        self.fields["channel"].queryset = channels.order_by("sort_order", "name")
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("name")
        self.fields["cost"].help_text = _("单位：元，可为 0。")

    def clean_cost(self):
        cost = self.cleaned_data.get("cost")
        if cost is not None and cost < 0:
            raise ValidationError(_("费用不能为负数。"))
        return cost

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("结束日期不能早于开始日期。"))
        return data

    def activity_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ActivityFilterForm(forms.Form):
    """The list's URL parameters; invalid values are ignored."""

    kind = forms.ChoiceField(required=False, choices=ActivityKind.choices)
    channel = forms.IntegerField(required=False, min_value=1)
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)

    def values(self) -> dict:
        self.is_valid()
        return {
            name: (self.cleaned_data.get(name) if name not in self.errors else None)
            for name in self.fields
        }


class PartnerForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Partner
        fields = [
            "name",
            "kind",
            "contact_name",
            "contact_mobile",
            "email",
            "address",
            "is_active",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def clean_contact_mobile(self) -> str:
        value = self.cleaned_data.get("contact_mobile", "").strip()
        return normalize_mobile(value) if value else ""

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def validate_unique(self) -> None:
        # The service reports a duplicate name in its own words.
        pass

    def partner_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PartnerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    kind = forms.ChoiceField(required=False, choices=PartnerKind.choices)
    active = forms.ChoiceField(required=False, choices=[("1", _("合作中")), ("0", _("已停止"))])

    def values(self) -> dict:
        self.is_valid()
        return {
            name: (self.cleaned_data.get(name) or "") if name not in self.errors else ""
            for name in self.fields
        }


class PartnerReferralOutForm(StyledFormMixin, forms.Form):
    """'We referred client X to this partner': the client is one the user may see."""

    client = forms.ModelChoiceField(
        label=_("客户"),
        queryset=None,
        error_messages={
            "required": _("请选择客户。"),
            "invalid_choice": _("所选客户不存在或您无权查看。"),
        },
    )
    referred_on = forms.DateField(
        label=_("推荐日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    notes = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, visible_clients, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = visible_clients.order_by("name")
        if not self.is_bound:
            self.initial.setdefault("referred_on", timezone.localdate())

    def clean_referred_on(self):
        day = self.cleaned_data["referred_on"]
        if day > timezone.localdate():
            raise ValidationError(_("推荐日期不能晚于今天。"))
        return day
