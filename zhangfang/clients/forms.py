"""Client and contact forms: Chinese labels, identifiers checked by the national algorithms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zhangfang.clients import selectors
from zhangfang.clients.models import Client, ClientStatus, ClientTag, Contact
from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin
from zhangfang.core.roles import Role
from zhangfang.core.validators import (
    birth_date_from_resident_id,
    normalize_mobile,
    validate_resident_id,
    validate_uscc,
)
from zhangfang.staff.models import Department, User

TEAM_ROLE_FIELDS = {
    "sales_owner": Role.SALES,
    "accountant": Role.ACCOUNTANT,
    "tax_specialist": Role.TAX_SPECIALIST,
    "customer_service": Role.CUSTOMER_SERVICE,
}
TEAM_FIELDS = ("department", *TEAM_ROLE_FIELDS)
REGION_DATALIST_ID = "region-options"


class ClientForm(VersionedFormMixin, forms.ModelForm):
    """Master data of a client. The team fields are shown only to those who may assign them."""

    class Meta:
        model = Client
        fields = [
            "name",
            "short_name",
            "uscc",
            "status",
            "taxpayer_type",
            "industry",
            "tier",
            "legal_representative",
            "registered_capital",
            "established_on",
            "phone",
            "email",
            "address",
            "region",
            "tags",
            "bank_name",
            "bank_account",
            "notes",
            *TEAM_FIELDS,
        ]
        widgets = {
            "established_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "bank_account": forms.TextInput(attrs={"autocomplete": "off"}),
            # The page lists the regions already in use (``<datalist id="region-options">``), so
            # the same district is typed the same way and the list's region filter finds it.
            "region": forms.TextInput(attrs={"list": REGION_DATALIST_ID, "autocomplete": "off"}),
            "tags": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, can_manage_team: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Uniqueness is checked in clean_uscc with a link to the existing client; the model's own
        # unique check would only say "already exists".
        self.fields["uscc"].validators = []
        self.fields["region"].help_text = _("区/县，如 南山区；可从已有区域中选择。")
        self.fields["tags"].queryset = ClientTag.objects.order_by("name")
        self.fields["tags"].help_text = _(
            "用于按标签发送政策通知等；标签由管理员或部门负责人在“客户标签”页维护。"
        )
        if self.instance.pk:
            # Status moves go through the status actions on the detail page, never this form.
            del self.fields["status"]
            # The stored account is not sent to the browser; left empty, it stays as it is.
            self.fields["bank_account"].help_text = _("已录入的账号不在此显示；留空则保持不变。")
            self.initial["bank_account"] = ""
        else:
            self.fields["status"].choices = [
                (ClientStatus.PROSPECT, ClientStatus.PROSPECT.label),
                (ClientStatus.ACTIVE, ClientStatus.ACTIVE.label),
            ]
        if not can_manage_team:
            for name in TEAM_FIELDS:
                del self.fields[name]
            return
        self.fields["department"].queryset = Department.objects.filter(is_active=True)
        for name, role in TEAM_ROLE_FIELDS.items():
            self.fields[name].queryset = User.objects.filter(
                is_active=True, groups__name=role
            ).order_by("name")

    def clean_uscc(self) -> str | None:
        raw = self.cleaned_data.get("uscc") or ""
        if not raw.strip():
            return None
        code = validate_uscc(raw)
        existing = selectors.client_by_uscc(code, exclude_pk=self.instance.pk)
        if existing is not None:
            raise ValidationError(
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("该统一社会信用代码已登记为客户:"),
                    reverse("clients:detail", args=[existing.pk]),
                    existing.name,
                )
            )
        return code

    def clean_region(self) -> str:
        return " ".join((self.cleaned_data.get("region") or "").split())

    def clean_bank_account(self) -> str:
        value = "".join((self.cleaned_data.get("bank_account") or "").split())
        if value and not value.isdigit():
            raise ValidationError(_("银行账号只能包含数字。"))
        if value and not 8 <= len(value) <= 30:
            raise ValidationError(_("银行账号长度应为 8–30 位数字。"))
        return value

    def client_data(self) -> dict:
        """The values for the service; an empty bank account on edit keeps the stored one."""
        data = {key: value for key, value in self.cleaned_data.items() if key != "version"}
        if self.instance.pk and not data.get("bank_account"):
            data.pop("bank_account", None)
        return data


class ContactForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "name",
            "role",
            "title",
            "mobile",
            "email",
            "wechat",
            "id_number",
            "birthday",
            "birthday_lunar",
            "greetings_opt_out",
            "is_primary",
            "notes",
        ]
        widgets = {
            "id_number": forms.TextInput(attrs={"autocomplete": "off"}),
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mobile"].help_text = _("11 位手机号，如 138 0013 8000")
        self.fields["birthday"].help_text = _(
            "留空则取身份证号中的出生日期。实际生日与身份证不同时请在此填写，以填写的为准。"
        )
        self.fields["birthday_lunar"].help_text = _("生日祝福按农历日期发送（须有生日）。")
        self.fields["greetings_opt_out"].help_text = _("勾选后不再给此联系人发送生日和节日祝福。")
        if self.instance.pk:
            self.initial["id_number"] = ""
            if self.instance.id_number:
                self.fields["id_number"].help_text = _(
                    "已录入的身份证号不在此显示；留空则保持不变。"
                )
                id_date = birth_date_from_resident_id(self.instance.id_number)
                if self.instance.birthday and self.instance.birthday != id_date:
                    # Say which date the ID holds, so the different one is seen as deliberate.
                    self.fields["birthday"].help_text = _(
                        "身份证上的出生日期为 %(date)s，此处填写的生日与之不同，以填写的为准；"
                        "清空则改用身份证上的日期。"
                    ) % {"date": id_date.isoformat()}

    def clean_mobile(self) -> str:
        value = self.cleaned_data.get("mobile") or ""
        return normalize_mobile(value) if value.strip() else ""

    def clean_id_number(self) -> str:
        value = self.cleaned_data.get("id_number") or ""
        return validate_resident_id(value) if value.strip() else ""

    def clean(self) -> dict:
        cleaned = super().clean()
        has_id = bool(cleaned.get("id_number") or (self.instance.pk and self.instance.id_number))
        if cleaned.get("birthday_lunar") and not cleaned.get("birthday") and not has_id:
            # A lunar birthday is converted from the date of birth: without one there is nothing
            # to greet on (the service refuses it too).
            self.add_error(
                "birthday_lunar", _("按农历过生日须有生日：请填写生日或身份证号，或取消勾选。")
            )
        return cleaned

    def contact_data(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if key != "version"}


class ClientTagForm(StyledFormMixin, forms.Form):
    """A tag's name; ``original`` carries the name the user opened, to catch a rename clash."""

    name = forms.CharField(
        label=_("标签名称"),
        max_length=30,
        help_text=_("如 高新技术企业、出口退税；最多 30 个字。"),
    )
    original = forms.CharField(widget=forms.HiddenInput, required=False)


class StatusChangeForm(StyledFormMixin, forms.Form):
    to = forms.ChoiceField(label=_("新状态"), choices=ClientStatus.choices)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class BulkReassignForm(StyledFormMixin, forms.Form):
    """Reassign the selected clients' accountant, tax specialist, service or sales owner."""

    field = forms.ChoiceField(
        label=_("调整"),
        choices=[(name, Client._meta.get_field(name).verbose_name) for name in TEAM_ROLE_FIELDS],
    )
    to = forms.ModelChoiceField(label=_("改为"), queryset=User.objects.none())
    ids = forms.ModelMultipleChoiceField(
        queryset=Client.objects.none(), error_messages={"required": _("请先勾选客户。")}
    )

    def __init__(self, *args, visible_clients, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].queryset = visible_clients
        self.fields["to"].queryset = User.objects.filter(
            is_active=True, groups__name__in=list(TEAM_ROLE_FIELDS.values())
        ).distinct()
