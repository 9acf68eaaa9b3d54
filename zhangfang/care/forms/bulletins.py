"""Forms of policy bulletins: writing one (content, targets, channels), the targeting preview,
and the filters of the list and of a bulletin's delivery table."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhangfang.care.models import (
    Bulletin,
    BulletinCategory,
    BulletinStatus,
    DeliveryChannel,
    DeliveryStatus,
)
from zhangfang.care.selectors.bulletins import BulletinFilters, DeliveryFilters
from zhangfang.care.selectors.targeting import Target, regions_in_use
from zhangfang.clients.models import ClientTag, Industry, TaxpayerType
from zhangfang.core.forms import VersionedFormMixin
from zhangfang.notifications import channels

TARGET_NAMES = ("target_industries", "target_taxpayer_types", "target_regions", "target_tags")


def channel_choices() -> list[tuple[str, str]]:
    """The outbound channels; one whose adapter is not set up yet is offered but says so (its
    messages are recorded as not sent until it is)."""
    choices = []
    for code, label in channels.CHANNELS.items():
        if channels.is_configured(code):
            choices.append((code, str(label)))
        else:
            choices.append((code, _("%(channel)s（未配置）") % {"channel": label}))
    return choices


def _with_current(options: list, current) -> list:
    """``options`` plus any value the bulletin already targets that is no longer offered (a
    region no client in service is in any more), so editing does not silently drop it."""
    return options + [value for value in current or () if value not in options]


class TargetFieldsMixin:
    """The four targeting criteria; an empty one means every client."""

    def _add_target_fields(self, *, regions: list[str], tags: list[tuple[int, str]]) -> None:
        self.fields["target_industries"] = forms.MultipleChoiceField(
            label=gettext_lazy("目标行业"),
            choices=[(code, f"{code} {label}") for code, label in Industry.choices],
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=gettext_lazy("国民经济行业分类（GB/T 4754）门类；不选为全部行业。"),
        )
        self.fields["target_taxpayer_types"] = forms.MultipleChoiceField(
            label=gettext_lazy("目标纳税人类型"),
            choices=TaxpayerType.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=gettext_lazy("不选为全部。"),
        )
        self.fields["target_regions"] = forms.MultipleChoiceField(
            label=gettext_lazy("目标区域"),
            choices=[(region, region) for region in regions],
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=gettext_lazy("服务中客户的所在区域；不选为全部区域。"),
        )
        self.fields["target_tags"] = forms.TypedMultipleChoiceField(
            label=gettext_lazy("目标标签"),
            choices=tags,
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=gettext_lazy("客户带有其中任一标签即可；不选为全部。"),
        )

    def target(self) -> Target:
        """The criteria as entered; a criterion that does not validate is left out (the preview
        is a hint while typing, the service checks again on saving)."""
        self.is_valid()
        data = self.cleaned_data
        return Target(
            industries=tuple(data.get("target_industries") or ()),
            taxpayer_types=tuple(data.get("target_taxpayer_types") or ()),
            regions=tuple(data.get("target_regions") or ()),
            tag_ids=tuple(data.get("target_tags") or ()),
        )


def _tag_choices() -> list[tuple[int, str]]:
    return list(ClientTag.objects.order_by("name").values_list("id", "name"))


class BulletinForm(TargetFieldsMixin, VersionedFormMixin, forms.ModelForm):
    """Write or edit a bulletin: content, the clients it is for, the channels it goes out on."""

    class Meta:
        model = Bulletin
        fields = ["title", "category", "summary", "body", "source"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "body": forms.Textarea(attrs={"rows": 12}),
        }
        help_texts = {
            "summary": gettext_lazy("一两句话，放在邮件正文和列表中。"),
            "source": gettext_lazy("例如：财政部 税务总局公告2026年第1号。"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        self._add_target_fields(
            regions=_with_current(regions_in_use(), instance.target_regions),
            tags=_tag_choices(),
        )
        self.fields["channels"] = forms.MultipleChoiceField(
            label=gettext_lazy("外发渠道"),
            choices=channel_choices(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=gettext_lazy("资讯总会存入每位客户的档案；勾选的渠道发给客户的主要联系人。"),
        )
        # The fields added here come after the mixin styled the others: style them too.
        for name in (*TARGET_NAMES, "channels"):
            widget = self.fields[name].widget
            widget.choice_group = True
            widget.attrs["class"] = "form-check-input"
        if instance.pk and not self.is_bound:
            for name in (*TARGET_NAMES, "channels"):
                self.initial[name] = list(getattr(instance, name) or [])
        elif not instance.pk and not self.is_bound:
            self.initial.setdefault("channels", [channels.EMAIL])

    def content_fields(self) -> list:
        return [self[name] for name in self._meta.fields]

    def target_fields(self) -> list:
        return [self[name] for name in TARGET_NAMES]

    def bulletin_data(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if key != "version"}


class TargetPreviewForm(TargetFieldsMixin, forms.Form):
    """The targeting criteria alone, as the form sends them for the live preview."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any region typed into the URL is accepted: the preview only counts clients.
        regions = list(dict.fromkeys(self.data.getlist("target_regions"))) if self.data else []
        self._add_target_fields(regions=regions, tags=_tag_choices())


class BulletinFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=BulletinStatus.choices)
    category = forms.ChoiceField(required=False, choices=BulletinCategory.choices)
    q = forms.CharField(required=False, max_length=100)

    def filters(self) -> BulletinFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return BulletinFilters(
            status=data.get("status") or "",
            category=data.get("category") or "",
            q=(data.get("q") or "").strip(),
        )


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=DeliveryStatus.choices)
    channel = forms.ChoiceField(required=False, choices=DeliveryChannel.choices)
    opened = forms.BooleanField(required=False)
    q = forms.CharField(required=False, max_length=100)

    def filters(self) -> DeliveryFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return DeliveryFilters(
            status=data.get("status") or "",
            channel=data.get("channel") or "",
            opened=bool(data.get("opened")),
            q=(data.get("q") or "").strip(),
        )
