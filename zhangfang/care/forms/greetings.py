"""Forms of greetings: a template (placeholders checked), a firm-defined day, the filters of the
preview and the log, and the contact's opt-out confirmation."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.care.models import DateRule, GreetingDay, GreetingKind, GreetingStatus
from zhangfang.care.models import GreetingTemplate as Template
from zhangfang.care.selectors.greetings import PLACEHOLDERS, LogFilters, unknown_placeholders
from zhangfang.care.services.greetings import FIRM_DAY_RULES, check_day_date
from zhangfang.core.errors import DomainError
from zhangfang.core.forms import VersionedFormMixin
from zhangfang.notifications.channels import CHANNELS


def placeholder_help() -> str:
    return _("可用占位符：%(names)s，发送时替换为联系人姓名、客户名称、本公司名称和节日名称。") % {
        "names": "、".join(f"{{{name}}}" for name in PLACEHOLDERS)
    }


def _check_placeholders(text: str) -> str:
    unknown = unknown_placeholders(text)
    if unknown:
        raise forms.ValidationError(
            _("未知的占位符：%(names)s。可用的占位符：%(known)s。")
            % {
                "names": "、".join(f"{{{name}}}" for name in unknown),
                "known": "、".join(f"{{{name}}}" for name in PLACEHOLDERS),
            },
            code="placeholder",
        )
    return text


class GreetingTemplateForm(VersionedFormMixin, forms.ModelForm):
    """A template's subject, text, channels and whether it is used."""

    channels = forms.MultipleChoiceField(
        label=gettext_lazy("发送渠道"),
        choices=list(CHANNELS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("短信和微信在配置发送通道之前不会发出，记录为“未发送”。"),
        error_messages={"required": gettext_lazy("请至少选择一个发送渠道。")},
    )

    class Meta:
        model = Template
        fields = ["subject", "body", "channels", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].help_text = placeholder_help()
        self.fields["body"].help_text = _("电子邮件末尾会自动附上退订链接。")
        if self.instance.pk and not self.is_bound:
            self.initial["channels"] = list(self.instance.channels or [])

    def clean_subject(self) -> str:
        return _check_placeholders(self.cleaned_data.get("subject", ""))

    def clean_body(self) -> str:
        return _check_placeholders(self.cleaned_data.get("body", ""))

    def template_data(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("subject", "body", "channels", "active")}


class GreetingDayForm(VersionedFormMixin, forms.ModelForm):
    """A firm-defined day: its name and its date in the solar or the lunar calendar."""

    class Meta:
        model = GreetingDay
        fields = ["name", "rule", "month", "day", "active"]
        help_texts = {
            "day": gettext_lazy("农历日期为初一到三十（1–30）；小月没有三十时在廿九发送。")
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [
            (value, label) for value, label in DateRule.choices if value in FIRM_DAY_RULES
        ]
        for name in ("month", "day"):
            self.fields[name].required = True
        self.fields["month"].widget.attrs.update(min=1, max=12)
        self.fields["day"].widget.attrs.update(min=1, max=31)
        if not self.instance.pk:
            self.initial.setdefault("active", True)

    def clean(self) -> dict:
        data = super().clean()
        rule, month, day = data.get("rule"), data.get("month"), data.get("day")
        if rule and month is not None and day is not None:
            try:
                check_day_date(rule, month, day)
            except DomainError as error:
                self.add_error(error.field, error.message)
        return data

    def day_data(self) -> dict:
        return {key: self.cleaned_data[key] for key in ("name", "rule", "month", "day", "active")}


class OptOutForm(forms.Form):
    """The contact confirms (a POST, so a mail scanner that opens links opts nobody out)."""


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------

KIND_CHOICES = GreetingKind.choices


class PreviewFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES)
    q = forms.CharField(required=False, max_length=100)

    def values(self) -> tuple[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("kind") or "", (data.get("q") or "").strip()


class LogFilterForm(forms.Form):
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    status = forms.ChoiceField(required=False, choices=GreetingStatus.choices)
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES)
    channel = forms.ChoiceField(required=False, choices=list(CHANNELS.items()))
    q = forms.CharField(required=False, max_length=100)

    def filters(self) -> LogFilters:
        # A malformed value in a hand-edited URL is dropped, the other filters still apply.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        start: dt.date | None = data.get("start")
        end: dt.date | None = data.get("end")
        return LogFilters(
            start=start,
            end=end,
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            channel=data.get("channel") or "",
            q=(data.get("q") or "").strip(),
        )
