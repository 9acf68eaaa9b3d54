"""Forms of client events: the event itself, the target list to invite, attendance, finishing
and cancelling, staff-recorded feedback, the client's RSVP and feedback, and the list filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhangfang.care.models import ClientEvent, EventKind, EventStatus, RsvpStatus
from zhangfang.care.selectors.events import (
    ABSENT,
    ALL,
    ATTENDED,
    PAST,
    UNRECORDED,
    UPCOMING,
    WRITE_ROLES,
    EventFilters,
    InvitationFilters,
)
from zhangfang.care.selectors.targeting import Target, regions_in_use
from zhangfang.clients.models import ClientTag, Industry, TaxpayerType
from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin
from zhangfang.staff.models import User

DATETIME_INPUT = "%Y-%m-%dT%H:%M"

WHEN_CHOICES = [
    (UPCOMING, gettext_lazy("即将举办")),
    (PAST, gettext_lazy("已结束")),
    (ALL, gettext_lazy("全部")),
]

ATTENDED_CHOICES = [
    (ATTENDED, gettext_lazy("已出席")),
    (ABSENT, gettext_lazy("未出席")),
    (UNRECORDED, gettext_lazy("未记录")),
]

ACCEPT = "accept"
DECLINE = "decline"
ANSWER_CHOICES = [(ACCEPT, gettext_lazy("参加")), (DECLINE, gettext_lazy("不参加"))]

RATING_CHOICES = [
    (5, gettext_lazy("5 分 · 非常满意")),
    (4, gettext_lazy("4 分 · 满意")),
    (3, gettext_lazy("3 分 · 一般")),
    (2, gettext_lazy("2 分 · 不满意")),
    (1, gettext_lazy("1 分 · 非常不满意")),
]


def _datetime_field(label) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        error_messages={"invalid": gettext_lazy("请输入有效的日期和时间，如 2026-12-10 14:00。")},
    )


class OrganizerField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj}（{obj.department.name}）" if obj.department_id else str(obj)


def organizer_choices(current: User | None = None) -> QuerySet[User]:
    """Active staff who may organise events (and the current organiser, kept even if they left)."""
    condition = Q(is_active=True, groups__name__in=list(WRITE_ROLES))
    if current is not None:
        condition |= Q(pk=current.pk)
    return (
        User.objects.filter(pk__in=User.objects.filter(condition).values("pk"))
        .select_related("department")
        .order_by("name", "id")
    )


class EventForm(VersionedFormMixin, forms.ModelForm):
    """Plan or edit an event; the rules between the fields are the service's."""

    starts_at = _datetime_field(gettext_lazy("开始时间"))
    ends_at = _datetime_field(gettext_lazy("结束时间"))

    class Meta:
        model = ClientEvent
        fields = [
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "place",
            "capacity",
            "speaker",
            "organizer",
            "agenda",
        ]
        widgets = {"agenda": forms.Textarea(attrs={"rows": 5})}
        field_classes = {"organizer": OrganizerField}
        help_texts = {
            "capacity": gettext_lazy("客户报名的总人数不会超过名额。"),
            "organizer": gettext_lazy("组织人及其部门同事负责邀请、签到和总结。"),
            "agenda": gettext_lazy("会写进邀请邮件，并显示在客户的报名页面上。"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.organizer if self.instance.pk else None
        self.fields["organizer"].queryset = organizer_choices(current)
        if not self.instance.pk:
            # A new event is organised by whoever plans it unless another organiser is chosen.
            self.fields["organizer"].required = False
            self.fields["organizer"].empty_label = gettext_lazy("我自己")
        capacity = self.fields["capacity"]
        capacity.validators.append(MinValueValidator(1, gettext_lazy("名额至少为 1。")))
        capacity.widget.attrs["min"] = 1
        if self.instance.pk and not self.is_bound:
            self.initial["starts_at"] = timezone.localtime(self.instance.starts_at)
            self.initial["ends_at"] = timezone.localtime(self.instance.ends_at)

    def event_data(self) -> dict[str, Any]:
        return {key: value for key, value in self.cleaned_data.items() if key != "version"}


class TargetForm(StyledFormMixin, forms.Form):
    """Whom to invite: clients in service matching every criterion chosen."""

    industries = forms.MultipleChoiceField(
        label=gettext_lazy("行业"),
        required=False,
        choices=Industry.choices,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=gettext_lazy("按住 Ctrl（Mac 上为 ⌘）可多选。"),
    )
    regions = forms.MultipleChoiceField(
        label=gettext_lazy("所在区域"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    taxpayer_types = forms.MultipleChoiceField(
        label=gettext_lazy("纳税人类型"),
        required=False,
        choices=TaxpayerType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.ModelMultipleChoiceField(
        label=gettext_lazy("客户标签"),
        required=False,
        queryset=ClientTag.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )
    everyone = forms.BooleanField(
        label=gettext_lazy("不限条件，邀请全部服务中的客户"), required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regions"].choices = [(r, r) for r in regions_in_use()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = any(data.get(name) for name in ("industries", "regions", "taxpayer_types", "tags"))
        if not chosen and not data.get("everyone"):
            raise forms.ValidationError(
                gettext_lazy("请至少选择一个条件，或勾选“邀请全部服务中的客户”。"), code="empty"
            )
        return data

    def target(self) -> Target:
        data = self.cleaned_data
        return Target(
            industries=tuple(data.get("industries") or ()),
            taxpayer_types=tuple(data.get("taxpayer_types") or ()),
            regions=tuple(data.get("regions") or ()),
            tag_ids=tuple(tag.pk for tag in data.get("tags") or ()),
        )


class AttendanceForm(forms.Form):
    """The attendance sheet: the accepted invitations that came (the others did not)."""

    attended = forms.TypedMultipleChoiceField(required=False, coerce=int)

    def __init__(self, *args, invitations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [(i.pk, i.pk) for i in invitations]
        self.fields["attended"].error_messages["invalid_choice"] = gettext_lazy(
            "所选的邀请不在已报名名单中，请刷新页面后重试。"
        )


class FinishForm(StyledFormMixin, forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("活动总结"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("到场情况、客户的主要问题和意见、后续跟进事项。"),
    )


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("取消原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("已报名参加的客户会收到取消通知邮件，邮件中包含取消原因。"),
    )


class FeedbackForm(StyledFormMixin, forms.Form):
    """An attendee's feedback: a rating of 1–5 and a comment (the client's page and staff's)."""

    rating = forms.TypedChoiceField(
        label=gettext_lazy("活动评价"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请为活动打分。")},
    )
    comment = forms.CharField(
        label=gettext_lazy("意见和建议"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RsvpForm(StyledFormMixin, forms.Form):
    """The client's answer: 参加 with how many and who, or 不参加."""

    answer = forms.ChoiceField(
        label=gettext_lazy("是否参加"),
        choices=ANSWER_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择是否参加。")},
    )
    attendees = forms.IntegerField(
        label=gettext_lazy("参加人数"),
        required=False,
        min_value=1,
        error_messages={"min_value": gettext_lazy("参加人数至少为 1 人。")},
    )
    attendee_names = forms.CharField(
        label=gettext_lazy("参加人姓名"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("多人请用逗号或顿号分隔。"),
    )

    def __init__(self, *args, max_attendees: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].max_value = max_attendees
        self.fields["attendees"].widget.attrs.update(min=1, max=max_attendees, inputmode="numeric")
        self.fields["attendees"].help_text = gettext_lazy(
            "选择“参加”时填写，每家客户最多 %(limit)s 人。"
        ) % {"limit": max_attendees}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("answer") == ACCEPT:
            if not data.get("attendees") and "attendees" not in self.errors:
                self.add_error("attendees", gettext_lazy("请填写参加人数。"))
            if not (data.get("attendee_names") or "").strip():
                self.add_error("attendee_names", gettext_lazy("请填写参加人姓名。"))
        return data

    @property
    def accepts(self) -> bool:
        return self.cleaned_data.get("answer") == ACCEPT


class EventFilterForm(forms.Form):
    when = forms.ChoiceField(required=False, choices=WHEN_CHOICES)
    kind = forms.ChoiceField(required=False, choices=EventKind.choices)
    status = forms.ChoiceField(required=False, choices=EventStatus.choices)

    def filters(self) -> EventFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return EventFilters(
            when=data.get("when") or UPCOMING,
            kind=data.get("kind") or "",
            status=data.get("status") or "",
        )


class InvitationFilterForm(forms.Form):
    rsvp = forms.ChoiceField(required=False, choices=RsvpStatus.choices)
    attended = forms.ChoiceField(required=False, choices=ATTENDED_CHOICES)
    q = forms.CharField(required=False, max_length=100)

    def filters(self) -> InvitationFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return InvitationFilters(
            rsvp=data.get("rsvp") or "",
            attended=data.get("attended") or "",
            q=(data.get("q") or "").strip(),
        )
