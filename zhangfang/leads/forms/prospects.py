"""The 《客户信息登记表》 form, the pipeline move form, the import upload and the list filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhangfang.clients.models import Client
from zhangfang.clients.selectors import client_visible_q
from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin
from zhangfang.core.roles import Role, has_role
from zhangfang.core.validators import normalize_mobile, validate_uscc
from zhangfang.leads.models import (
    Channel,
    LossReason,
    MarketingActivity,
    Partner,
    Prospect,
    Stage,
    TaxNeed,
)
from zhangfang.leads.selectors.prospects import ProspectFilters
from zhangfang.staff.models import Department, User

#: The form's sections, as the paper 登记表 groups them.
SECTIONS = [
    (_("客户基本信息"), ["company_name", "uscc", "industry", "size", "address"]),
    (_("联系人"), ["contact_name", "contact_title", "contact_mobile", "email"]),
    (
        _("财务与税务"),
        ["revenue", "taxpayer_type", "financial_notes", "tax_needs", "expected_monthly_fee"],
    ),
    (_("来源与负责人"), ["channel", "activity", "partner", "referrer", "owner", "department"]),
    (_("其他"), ["notes"]),
]
#: Who may give a prospect to someone else (a salesperson's prospects are their own).
ASSIGNERS = (Role.ADMIN, Role.DEPARTMENT_HEAD)


class ProspectForm(VersionedFormMixin, forms.ModelForm):
    """Every field of the 登记表; the owner is the salesperson entering it unless a head assigns."""

    tax_needs = forms.MultipleChoiceField(
        label=_("税务需求"),
        choices=TaxNeed.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    confirm_duplicates = forms.BooleanField(
        label=_("仍然登记（已确认不是重复客户）"), required=False
    )

    class Meta:
        model = Prospect
        fields = [name for _title, names in SECTIONS for name in names]
        widgets = {
            "financial_notes": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "expected_monthly_fee": forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
        }

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.can_assign = has_role(user, *ASSIGNERS)
        self.fields["tax_needs"].widget.attrs["class"] = "form-check-input"
        self.fields["confirm_duplicates"].widget.attrs["class"] = "form-check-input"
        channels = Channel.objects.filter(is_active=True)
        if self.instance.pk:
            channels = Channel.objects.filter(pk=self.instance.channel_id) | channels
        self.fields["channel"].queryset = channels
        self.fields["channel"].empty_label = _("请选择")
        self.fields["activity"].queryset = MarketingActivity.objects.order_by("-starts_on")
        self.fields["partner"].queryset = Partner.objects.filter(is_active=True)
        self.fields["referrer"].queryset = Client.objects.filter(client_visible_q(user)).only(
            "id", "name"
        )
        self.fields["referrer"].help_text = _(
            "由老客户推荐时选择推荐的客户，签约后按制度提出推荐奖励。"
        )
        if self.can_assign:
            self.fields["owner"].queryset = User.objects.filter(
                is_active=True, groups__name=Role.SALES
            ).distinct()
            self.fields["department"].queryset = Department.objects.filter(is_active=True)
            self.fields["department"].help_text = _("留空则为业务负责人所在部门。")
            if not self.instance.pk and not self.is_bound:
                self.initial.setdefault("department", user.department_id)
                if has_role(user, Role.SALES):
                    self.initial.setdefault("owner", user.pk)
        else:
            # A salesperson registers prospects for themself, in their own department.
            del self.fields["owner"]
            del self.fields["department"]
        self.fields["contact_mobile"].widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "off"}
        )
        self.fields["uscc"].widget.attrs.update({"autocomplete": "off", "maxlength": "30"})

    def clean_contact_mobile(self) -> str:
        value = self.cleaned_data.get("contact_mobile", "")
        return normalize_mobile(value) if value else ""

    def clean_uscc(self) -> str:
        value = self.cleaned_data.get("uscc", "")
        return validate_uscc(value) if value.strip() else ""

    def clean_company_name(self) -> str:
        return " ".join(self.cleaned_data["company_name"].split())

    def prospect_data(self) -> dict[str, Any]:
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("version", "confirm_duplicates")
        }
        if not self.can_assign:
            if not self.instance.pk:
                data["owner"] = self.user
                data["department"] = self.user.department
        elif data.get("department") is None and data.get("owner") is not None:
            data["department"] = data["owner"].department
        return data

    def sections(self) -> list[tuple[str, list]]:
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in SECTIONS
        ]


class DuplicateCheckForm(forms.Form):
    """What the htmx duplicate check reads as the user types."""

    company_name = forms.CharField(required=False, max_length=100)
    contact_mobile = forms.CharField(required=False, max_length=30)
    uscc = forms.CharField(required=False, max_length=30)
    exclude = forms.IntegerField(required=False, min_value=1)


class MoveForm(StyledFormMixin, forms.Form):
    to = forms.ChoiceField(label=_("移动到"), choices=Stage.choices)
    loss_reason = forms.ModelChoiceField(
        label=_("流失原因"),
        queryset=LossReason.objects.filter(is_active=True),
        required=False,
        empty_label=_("（流失时必选）"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("to") == Stage.LOST and not data.get("loss_reason"):
            self.add_error("loss_reason", _("标记为流失时必须选择流失原因。"))
        return data


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Excel 文件（.xlsx）"),
        help_text=_("请使用下载的模板，第一行为列标题，每行一个潜在客户。"),
    )
    good_rows_only = forms.BooleanField(label=_("只导入无误的行（有错误的行跳过）"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("请上传 .xlsx 格式的 Excel 文件。"))
        if upload.size > 20 * 1024 * 1024:
            raise ValidationError(_("文件不能超过 20 MB。"))
        return upload


class ProspectFilterForm(forms.Form):
    """Reads the list's and board's URL parameters; an invalid value is ignored, not an error."""

    q = forms.CharField(required=False, max_length=100)
    owner = forms.IntegerField(required=False, min_value=1)
    channel = forms.IntegerField(required=False, min_value=1)
    stage = forms.ChoiceField(required=False, choices=Stage.choices)
    department = forms.IntegerField(required=False, min_value=1)
    score_min = forms.IntegerField(required=False, min_value=0, max_value=100)
    score_max = forms.IntegerField(required=False, min_value=0, max_value=100)

    def filters(self) -> ProspectFilters:
        self.is_valid()
        values = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return ProspectFilters(
            q=(values.get("q") or "").strip(),
            owner=values.get("owner"),
            channel=values.get("channel"),
            stage=values.get("stage") or "",
            department=values.get("department"),
            score_min=values.get("score_min"),
            score_max=values.get("score_max"),
        )
