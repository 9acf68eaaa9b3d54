"""Forms of the staff app: login, and the administrator's staff and department forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from zhangfang.core import validators
from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin
from zhangfang.core.roles import Role
from zhangfang.staff.models import Department, User


class LoginForm(AuthenticationForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)

    error_messages = {
        "invalid_login": _("用户名或密码错误。连续多次输错将锁定账户。"),
        "inactive": _("该账户已停用，请联系管理员。"),
    }


# -- the administrator's staff and department forms ---------------------------------------------
# They validate input only; the services in ``staff.services`` do the writing (and check again).

#: The password rules (AUTH_PASSWORD_VALIDATORS) as help text, in the language of the request.
PASSWORD_RULES = lazy(password_validators_help_text_html, str)()


class InlineCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes side by side (Bootstrap ``form-check-inline``).

    ``input_type`` is not "checkbox" so that ``core/_form.html`` lays the group out like any
    other field, with its label above it.
    """

    template_name = "staff/widgets/inline_checkboxes.html"
    input_type = "checkboxes"


class StaffUserForm(VersionedFormMixin, forms.ModelForm):
    """A member of staff as the administrator edits them: details, department and roles."""

    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, required=False, widget=InlineCheckboxes
    )

    field_order = ["username", "name", "department", "title", "mobile", "roles", "is_active"]

    class Meta:
        model = User
        fields = ["username", "name", "department", "mobile", "title", "is_active"]
        labels = {
            "username": _("用户名"),
            "name": _("姓名"),
            "mobile": _("手机号"),
            "title": _("职务"),
            "is_active": _("在职（允许登录）"),
        }
        help_texts = {
            "username": _("登录用的名字，可用字母、数字和 @ . + - _;不能与他人仅大小写不同。"),
            "is_active": _("取消勾选即停用账户，停用后不能登录，历史记录保留。"),
        }
        error_messages = {"username": {"unique": _("该用户名已被使用，请换一个。")}}

    def __init__(self, *args, roles: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.department if self.instance.pk else None
        condition = Q(is_active=True)
        if current is not None:
            condition |= Q(pk=current.pk)
        department = self.fields["department"]
        department.queryset = Department.objects.filter(condition).order_by("name")
        department.empty_label = _("(无)")
        self.fields["name"].required = True
        self.fields["mobile"].widget.attrs.update(
            {"inputmode": "tel", "autocomplete": "off", "placeholder": "138 0013 8000"}
        )
        if not self.is_bound:
            if self.instance.pk:
                self.initial["roles"] = roles or []
                if self.instance.mobile:
                    self.initial["mobile"] = validators.format_mobile(self.instance.mobile)
            else:
                self.initial.setdefault("is_active", True)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        taken = User.objects.filter(username__iexact=username)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("该用户名已被使用，请换一个。"))
        return username

    def clean_mobile(self) -> str:
        value = (self.cleaned_data.get("mobile") or "").strip()
        return validators.normalize_mobile(value) if value else ""


class StaffUserCreateForm(StaffUserForm):
    """A new member of staff: the details plus an initial password, entered twice."""

    field_order = [
        "username", "name", "department", "title", "mobile", "roles",
        "password", "password_confirm", "is_active",
    ]  # fmt: skip

    password = forms.CharField(
        label=_("初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_RULES,
    )
    password_confirm = forms.CharField(
        label=_("确认密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        confirm = cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("两次输入的密码不一致。"))
        elif password:
            # Compare with what was typed, so a password like the username is refused.
            probe = User(username=cleaned.get("username") or "", name=cleaned.get("name") or "")
            try:
                validate_password(password, user=probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class PasswordResetForm(StyledFormMixin, forms.Form):
    """The administrator sets a new password for a member of staff."""

    password = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_RULES,
    )
    password_confirm = forms.CharField(
        label=_("确认新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        confirm = cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("两次输入的密码不一致。"))
        elif password:
            try:
                validate_password(password, user=self.user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class DepartmentForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "description"]
        error_messages = {"name": {"unique": _("已有同名的部门，请换一个名称。")}}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Department.objects.filter(name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("已有同名的部门，请换一个名称。"))
        return name
