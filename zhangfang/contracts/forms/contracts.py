"""Input of the contract pages: the list's filters, drafting, editing, review, signing,
termination, and the administrators' contract templates."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.contracts import templating
from zhangfang.contracts.models import ContractStatus, ContractTemplate
from zhangfang.contracts.selectors import contracts as selectors
from zhangfang.contracts.services.contracts import validate_scan
from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin
from zhangfang.core.money import format_rmb

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

#: The "即将到期" choices of the list's filter (days ahead).
EXPIRING_CHOICES = [(7, 7), (30, 30), (60, 60), (90, 90)]


class ContractFilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", ""), *ContractStatus.choices])
    owner = forms.IntegerField(required=False, min_value=1)
    department = forms.IntegerField(required=False, min_value=1)
    expiring = forms.IntegerField(required=False, min_value=1, max_value=366)
    review = forms.BooleanField(required=False)

    def filters(self) -> selectors.ContractFilters:
        # A malformed value in a hand-edited URL is dropped, not an error page.
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return selectors.ContractFilters(
            q=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            owner=data.get("owner"),
            department=data.get("department"),
            expiring_days=data.get("expiring"),
            review=bool(data.get("review")),
        )


class PlanVersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, version) -> str:
        plan = version.plan
        return _("%(client)s — %(title)s 第 %(number)s 版（%(total)s）") % {
            "client": plan.client.name,
            "title": plan.title,
            "number": version.number,
            "total": format_rmb(version.total),
        }


class ContractDraftForm(StyledFormMixin, forms.Form):
    plan_version = PlanVersionChoiceField(
        label=_("客户已接受的服务方案"),
        queryset=None,
        empty_label=_("请选择"),
        error_messages={"invalid_choice": _("请选择客户已接受的服务方案。")},
    )
    template = forms.ModelChoiceField(
        label=_("合同模板"),
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": _("请选择启用中的合同模板。")},
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan_version"].queryset = selectors.accepted_plan_versions(user=user)
        self.fields["template"].queryset = selectors.active_templates()
        if not self.is_bound:
            default = selectors.default_template()
            if default is not None:
                self.initial.setdefault("template", default.pk)


class ContractEditForm(VersionedFormMixin, forms.Form):
    start_date = forms.DateField(
        label=_("起始日期"),
        widget=DATE_INPUT,
        help_text=_("终止日期按服务期限自动计算。"),
    )
    payment_method = forms.CharField(
        label=_("付款途径"),
        max_length=100,
        required=False,
        help_text=_("例如：银行转账、微信、支付宝。"),
    )
    body = forms.CharField(label=_("合同正文"), widget=forms.Textarea(attrs={"rows": 24}))
    regenerate_body = forms.BooleanField(
        label=_("按合同模板重新生成正文（将覆盖对正文的手工修改）"), required=False
    )

    def contract_data(self) -> dict:
        return {
            "start_date": self.cleaned_data["start_date"],
            "payment_method": self.cleaned_data["payment_method"].strip(),
            "body": self.cleaned_data["body"],
        }


class ReviewForm(StyledFormMixin, forms.Form):
    DECISIONS = [("approve", _("批准")), ("return", _("退回修改"))]

    decision = forms.ChoiceField(label=_("审核结论"), choices=DECISIONS, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("退回时必须填写，说明需要修改的内容。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("退回时必须填写审核意见。"))
        return data


class SignForm(StyledFormMixin, forms.Form):
    signed_on = forms.DateField(label=_("签署日期"), widget=DATE_INPUT)
    scan = forms.FileField(
        label=_("签署扫描件"),
        help_text=_("双方签字盖章后的合同扫描件：PDF、JPG 或 PNG，不超过 10 MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("signed_on", timezone.localdate())

    def clean_signed_on(self):
        value = self.cleaned_data["signed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("签署日期不能晚于今天。"))
        return value

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        validate_scan(scan)
        return scan


class TerminateForm(StyledFormMixin, forms.Form):
    terminated_on = forms.DateField(label=_("终止日期"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("终止原因"), widget=forms.Textarea(attrs={"rows": 4}))
    confirm = forms.BooleanField(
        label=_("我确认终止此合同；终止后不能恢复。"),
        error_messages={"required": _("请勾选确认后再终止合同。")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("terminated_on", timezone.localdate())


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("作废原因"), widget=forms.Textarea(attrs={"rows": 3}))


class ContractTemplateForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = ContractTemplate
        fields = ["name", "body", "is_default", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 30})}

    def clean_body(self):
        body = self.cleaned_data["body"]
        unknown = templating.unknown_placeholders(body)
        if unknown:
            raise forms.ValidationError(
                _("合同正文中有未定义的占位符：%(names)s。请使用右侧列出的占位符。")
                % {"names": "、".join(f"{{{{ {name} }}}}" for name in unknown)}
            )
        return body

    def clean_name(self):
        # The uniqueness check is left to the service (it runs with the row locked); Django's
        # own check would run a query here and give a second, differently worded message.
        return self.cleaned_data["name"].strip()

    def validate_unique(self) -> None:
        return None

    def template_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
