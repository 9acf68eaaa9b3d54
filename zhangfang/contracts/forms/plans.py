"""Forms of service plans: the staff's plan form (with its pricing part, which the live preview
validates on its own) and the client's answer on the link page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.clients.models import Client, Industry, TaxpayerType
from zhangfang.contracts import pricing
from zhangfang.contracts.models import FeeItem, FeeKind, PaymentTerm, ServicePlanVersion
from zhangfang.contracts.services.plans import PlanTerms
from zhangfang.core.errors import DomainError
from zhangfang.core.forms import StyledFormMixin, add_service_error
from zhangfang.core.money import format_rmb

#: Query parameters of the quote calculator that the new-plan page takes as initial values, so
#: "报价 → 生成服务方案" carries the figures over.
QUOTE_PARAMS = (
    "taxpayer_type",
    "industry",
    "monthly_vouchers",
    "payment_term",
    "term_months",
    "start_date",
)

DEFAULT_CONTENT = gettext_lazy(
    "1. 代理记账：审核原始凭证，编制记账凭证，登记账簿；\n"
    "2. 编制月度、季度、年度财务报表；\n"
    "3. 按期办理增值税及附加、个人所得税扣缴、企业所得税预缴等纳税申报；\n"
    "4. 财务、税务政策咨询。"
)
DEFAULT_PROCESS = gettext_lazy(
    "1. 每月 5 日前客户提交上月票据，我方签收并出具交接清单；\n"
    "2. 每月 15 日前完成记账和纳税申报（遇节假日按征期顺延）；\n"
    "3. 申报完成后向客户反馈申报结果和应缴税款；\n"
    "4. 年度结束后整理会计档案，按约定交客户保管或由我方代为保管。"
)
DEFAULT_STANDARD = gettext_lazy(
    "按照《会计法》《代理记账管理办法》和《代理记账基础工作规范》执行；"
    "按期申报，不因我方原因产生滞纳金和罚款；客户咨询在 1 个工作日内答复。"
)


def _first_of_next_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def addon_choices_queryset():
    """Add-ons offered on the form: active lines not retired before today (whether a line is
    in force on the plan's start date is checked when the form is validated)."""
    today = timezone.localdate()
    return FeeItem.objects.filter(kind=FeeKind.ADDON, is_active=True).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=today)
    )


class AddonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: FeeItem) -> str:
        # The price beside the name, so the writer sees what a tick adds.
        return f"{obj.name}（{format_rmb(obj.amount)} {obj.get_unit_display()}）"


class PlanPricingForm(StyledFormMixin, forms.Form):
    """What prices a plan. Valid means the price list can price it: ``self.quote`` holds it."""

    start_date = forms.DateField(
        label=gettext_lazy("服务开始日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("按该日执行的收费标准计价。"),
    )
    term_months = forms.IntegerField(
        label=gettext_lazy("服务期限（月）"), min_value=1, max_value=120, initial=12
    )
    taxpayer_type = forms.ChoiceField(
        label=gettext_lazy("纳税人类型"), choices=TaxpayerType.choices
    )
    industry = forms.ChoiceField(
        label=gettext_lazy("行业"),
        choices=[("", gettext_lazy("（不区分行业）")), *Industry.choices],
        required=False,
    )
    monthly_vouchers = forms.IntegerField(
        label=gettext_lazy("月凭证量（张）"), min_value=0, max_value=100000, initial=0
    )
    payment_term = forms.ModelChoiceField(
        label=gettext_lazy("付款方式"),
        queryset=PaymentTerm.objects.filter(is_active=True),
        empty_label=None,
    )
    addons = AddonChoiceField(
        label=gettext_lazy("增值服务"),
        queryset=FeeItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    include_setup = forms.BooleanField(label=gettext_lazy("收取建账费"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["addons"].queryset = addon_choices_queryset()
        self.fields["addons"].widget.attrs["class"] = "form-check-input"
        self.quote: pricing.Quote | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        needed = ("start_date", "term_months", "taxpayer_type", "monthly_vouchers", "payment_term")
        if any(data.get(name) is None or data.get(name) == "" for name in needed):
            return data
        try:
            pricing.check_term(data["term_months"], data["payment_term"])
        except DomainError as error:
            self.add_error("term_months", error.message)
            return data
        on = data["start_date"]
        stale = [
            item
            for item in data.get("addons") or []
            if item.effective_from > on or (item.effective_to and item.effective_to < on)
        ]
        if stale:
            self.add_error(
                "addons",
                _("“%(names)s”在服务开始日期不在收费标准的有效期内。")
                % {"names": "、".join(item.name for item in stale)},
            )
            return data
        try:
            self.quote = self.terms_for_quote().quote()
        except DomainError as error:
            # pricing names the input to change (the voucher volume when no bookkeeping line
            # fits it).
            add_service_error(self, error)
        return data

    def terms_for_quote(self, **text: str) -> PlanTerms:
        data = self.cleaned_data
        return PlanTerms(
            content=text.get("content", ""),
            process=text.get("process", ""),
            standard=text.get("standard", ""),
            note=text.get("note", ""),
            start_date=data["start_date"],
            term_months=data["term_months"],
            taxpayer_type=data["taxpayer_type"],
            industry=data.get("industry") or "",
            monthly_vouchers=data["monthly_vouchers"],
            payment_term=data["payment_term"],
            addons=list(data.get("addons") or []),
            include_setup=bool(data.get("include_setup")),
        )


class PlanForm(PlanPricingForm):
    """A version of a plan: content, process, standard and note, and the pricing fields.

    ``with_title`` adds the plan's title (asked once, when the plan is created); ``version``
    carries the plan's edit version so a revision based on a stale page is refused.
    """

    title = forms.CharField(label=gettext_lazy("方案名称"), max_length=100)
    content = forms.CharField(
        label=gettext_lazy("服务内容"), widget=forms.Textarea(attrs={"rows": 5})
    )
    process = forms.CharField(
        label=gettext_lazy("服务流程"), widget=forms.Textarea(attrs={"rows": 5})
    )
    standard = forms.CharField(
        label=gettext_lazy("服务标准"), widget=forms.Textarea(attrs={"rows": 3})
    )
    note = forms.CharField(
        label=gettext_lazy("给客户的说明"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    field_order = [
        "title",
        "content",
        "process",
        "standard",
        "start_date",
        "term_months",
        "taxpayer_type",
        "industry",
        "monthly_vouchers",
        "payment_term",
        "addons",
        "include_setup",
        "note",
    ]

    def __init__(self, *args, with_title: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not with_title:
            del self.fields["title"]

    def terms(self) -> PlanTerms:
        data = self.cleaned_data
        return self.terms_for_quote(
            content=data["content"].strip(),
            process=data["process"].strip(),
            standard=data["standard"].strip(),
            note=data.get("note", "").strip(),
        )

    @property
    def text_fields(self):
        names = ("title", "content", "process", "standard")
        return [self[name] for name in names if name in self.fields]

    @property
    def pricing_fields(self):
        return [
            self[name]
            for name in (
                "start_date",
                "term_months",
                "taxpayer_type",
                "industry",
                "monthly_vouchers",
                "payment_term",
            )
        ]


def initial_for_client(client: Client, params: QueryDict) -> dict[str, Any]:
    """Initial values of a new plan: the client's facts, overridden by the quote calculator's
    parameters when the page was opened from a quote."""
    today = timezone.localdate()
    initial: dict[str, Any] = {
        "title": _("%(client)s代理记账服务方案") % {"client": client.short_name or client.name},
        "content": str(DEFAULT_CONTENT),
        "process": str(DEFAULT_PROCESS),
        "standard": str(DEFAULT_STANDARD),
        "start_date": _first_of_next_month(today),
        "term_months": 12,
        "taxpayer_type": client.taxpayer_type,
        "industry": client.industry,
        "monthly_vouchers": 0,
    }
    first_term = PaymentTerm.objects.filter(is_active=True).values_list("pk", flat=True).first()
    if first_term is not None:
        initial["payment_term"] = first_term
    for name in QUOTE_PARAMS:
        value = params.get(name, "").strip()
        # An empty industry is a choice of the quote (其他, no surcharge), not a missing value:
        # the plan must price what the quote priced.
        if value or (name == "industry" and name in params):
            initial[name] = value
    addons = [value for value in params.getlist("addons") if value.isdigit()]
    if addons:
        initial["addons"] = addons
    if params.get("include_setup", "").lower() in {"1", "on", "true", "yes"}:
        initial["include_setup"] = True
    return initial


def initial_from_version(version: ServicePlanVersion, *, plan_version: int) -> dict[str, Any]:
    """The form filled with a version's terms, to revise it."""
    lines = list(version.lines.all())
    return {
        "content": version.content,
        "process": version.process,
        "standard": version.standard,
        "note": version.note,
        "start_date": version.start_date,
        "term_months": version.term_months,
        "taxpayer_type": version.taxpayer_type,
        "industry": version.industry,
        "monthly_vouchers": version.monthly_vouchers,
        "payment_term": version.payment_term_id,
        "addons": [
            line.fee_item_id for line in lines if line.kind == FeeKind.ADDON and line.fee_item_id
        ],
        "include_setup": any(line.kind == FeeKind.SETUP for line in lines),
        "version": plan_version,
    }


class PlanWithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤回原因"), required=False, max_length=200)


class PlanResponseForm(StyledFormMixin, forms.Form):
    """The client's answer on the link page; a request for changes needs a comment."""

    ACCEPT = "accepted"
    CHANGES = "changes"

    responder_name = forms.CharField(label=gettext_lazy("您的姓名"), max_length=50)
    comment = forms.CharField(
        label=gettext_lazy("修改意见"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, response: str, **kwargs) -> None:
        super().__init__(*args, prefix=response, **kwargs)
        self.response = response
        if response == self.ACCEPT:
            del self.fields["comment"]
        else:
            self.fields["comment"].required = True
            self.fields["comment"].error_messages["required"] = _("请填写您的修改意见。")
        self.fields["responder_name"].error_messages["required"] = _("请填写您的姓名。")
        self.fields["responder_name"].widget.attrs["autocomplete"] = "name"
