"""The website lead form a visitor fills in, and the duty roster form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhangfang.core.forms import StyledFormMixin
from zhangfang.core.roles import Role
from zhangfang.core.validators import normalize_mobile
from zhangfang.leads.models import DutyRoster, TaxNeed
from zhangfang.leads.services import public_form as services

#: The honeypot's name: a field a person never sees (hidden by a CSS class) but a form-filling
#: bot completes, because it looks like an ordinary optional field.
HONEYPOT_FIELD = "homepage"


class WebsiteLeadForm(StyledFormMixin, forms.Form):
    company_name = forms.CharField(
        label=_("公司名称"),
        max_length=100,
        error_messages={"required": _("请填写公司名称。")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    contact_name = forms.CharField(
        label=_("联系人"),
        max_length=50,
        error_messages={"required": _("请填写联系人姓名。")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    mobile = forms.CharField(
        label=_("手机号"),
        max_length=30,
        error_messages={"required": _("请填写手机号，方便我们与您联系。")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("电子邮箱"),
        required=False,
        error_messages={"invalid": _("电子邮箱格式不正确。")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    city = forms.CharField(label=_("所在城市"), max_length=50, required=False)
    tax_needs = forms.MultipleChoiceField(
        label=_("您需要的服务"),
        choices=TaxNeed.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("请从列表中选择服务。")},
    )
    message = forms.CharField(
        label=_("留言"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如公司规模、目前记账情况、希望何时联系等。"),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            label=_("个人主页"),
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        self.fields["tax_needs"].widget.attrs["class"] = "form-check-input"
        if not self.is_bound:
            self.initial["started"] = services.form_started_token()

    @property
    def honeypot(self):
        return self[HONEYPOT_FIELD]

    def visible_fields(self):
        return [field for field in super().visible_fields() if field.name != HONEYPOT_FIELD]

    def caught_by_honeypot(self) -> bool:
        return bool((self.data.get(HONEYPOT_FIELD) or "").strip())

    def clean_company_name(self) -> str:
        value = self.cleaned_data["company_name"].strip()
        if len(value) < 2:
            raise ValidationError(_("请填写完整的公司名称。"))
        return value

    def clean_contact_name(self) -> str:
        return self.cleaned_data["contact_name"].strip()

    def clean_mobile(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["mobile"])
        except ValidationError as error:
            raise ValidationError(
                _("手机号格式不正确，请填写 11 位中国大陆手机号码，如 138 0013 8000。")
            ) from error

    def clean_started(self) -> str:
        token = self.cleaned_data.get("started", "")
        elapsed = services.seconds_since_started(token)
        if elapsed is None:
            raise ValidationError(_("表单已过期，请刷新页面后重新填写。"))
        if elapsed < services.minimum_fill_seconds():
            raise ValidationError(_("提交过快，请确认填写内容后再提交。"))
        return token

    def lead_data(self) -> dict:
        data = self.cleaned_data
        return {
            "company_name": data["company_name"],
            "contact_name": data["contact_name"],
            "contact_mobile": data["mobile"],
            "email": data.get("email", ""),
            "city": data.get("city", "").strip(),
            "tax_needs": data.get("tax_needs") or [],
            "message": data.get("message", ""),
        }


class DutyRosterForm(StyledFormMixin, forms.Form):
    """One select per weekday: who takes the website leads of that day."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from zhangfang.staff.models import User

        people = User.objects.filter(is_active=True, groups__name=Role.SALES).distinct()
        people = people.order_by("name")
        current = dict(DutyRoster.objects.values_list("weekday", "user_id"))
        for weekday, label in DutyRoster._meta.get_field("weekday").choices:
            self.fields[f"day_{weekday}"] = forms.ModelChoiceField(
                label=label,
                queryset=people,
                required=False,
                empty_label=_("（未安排：分给未跟进客户最少的业务人员）"),
                error_messages={"invalid_choice": _("请选择在职的业务人员。")},
            )
            if not self.is_bound:
                self.initial[f"day_{weekday}"] = current.get(weekday)

    def assignments(self) -> list[tuple[int, object]]:
        return [
            (weekday, self.cleaned_data.get(f"day_{weekday}"))
            for weekday, _label in DutyRoster._meta.get_field("weekday").choices
        ]
