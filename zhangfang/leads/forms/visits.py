"""Input of visit plans and records: Chinese messages naming the field."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhangfang.core.forms import StyledFormMixin, VersionedFormMixin
from zhangfang.leads.models import Visit, VisitStatus
from zhangfang.leads.selectors.visits import visit_staff_choices
from zhangfang.leads.services.visits import DEFAULT_MATERIALS


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        department = obj.department.name if obj.department_id else _("无部门")
        return f"{obj} （{department}）"


class VisitPlanForm(VersionedFormMixin, forms.Form):
    """Plan (or re-plan) a visit. ``visit`` is the plan being edited, None for a new one."""

    purpose = forms.CharField(label=_("拜访目的"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("拜访时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("请输入有效的日期和时间，如 2026-11-30 14:30。")},
    )
    place = forms.CharField(label=_("拜访地点"), max_length=200)
    staff = StaffChoiceField(
        label=_("拜访人员"),
        queryset=visit_staff_choices(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        error_messages={
            "required": _("请至少选择一名拜访人员。"),
            "invalid_choice": _("所选人员不存在或已停用。"),
        },
        help_text=_("按住 Ctrl（Mac 上为 ⌘）可多选。"),
    )
    materials = forms.MultipleChoiceField(
        label=_("准备资料"),
        required=False,
        choices=[(item, item) for item in DEFAULT_MATERIALS],
        widget=forms.CheckboxSelectMultiple,
    )
    extra_materials = forms.CharField(
        label=_("其他资料"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("每行一项。"),
    )

    def __init__(self, *args, visit: Visit | None = None, planner=None, **kwargs) -> None:
        self.instance = visit
        super().__init__(*args, **kwargs)
        self.fields["materials"].widget.attrs["class"] = "form-check-input"
        if self.is_bound:
            return
        if visit is None:
            self.initial.setdefault("staff", [planner.pk] if planner else [])
            self.initial.setdefault("materials", list(DEFAULT_MATERIALS))
        else:
            items = [m["item"] for m in visit.materials]
            self.initial.update(
                purpose=visit.purpose,
                starts_at=timezone.localtime(visit.starts_at),
                place=visit.place,
                staff=[u.pk for u in visit.staff.all()],
                materials=[i for i in items if i in DEFAULT_MATERIALS],
                extra_materials="\n".join(i for i in items if i not in DEFAULT_MATERIALS),
                version=visit.version,
            )

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        unchanged = self.instance is not None and starts_at == self.instance.starts_at
        if not unchanged and starts_at <= timezone.now():
            raise forms.ValidationError(_("拜访时间不能早于当前时间。"), code="past")
        return starts_at

    def material_items(self) -> list[str]:
        extra = (self.cleaned_data.get("extra_materials") or "").splitlines()
        return list(self.cleaned_data.get("materials") or []) + [e.strip() for e in extra]


class VisitOutcomeForm(StyledFormMixin, forms.Form):
    outcome = forms.CharField(
        label=_("拜访结果"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写拜访结果。")},
    )
    next_step = forms.CharField(label=_("下一步"), max_length=200, required=False)
    next_step_on = forms.DateField(
        label=_("下一步日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("请输入有效的日期，如 2026-12-01。")},
    )

    def __init__(self, *args, visit: Visit | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if visit is not None and visit.status == VisitStatus.DONE and not self.is_bound:
            self.initial.update(
                outcome=visit.outcome, next_step=visit.next_step, next_step_on=visit.next_step_on
            )


class VisitCancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("取消原因"), max_length=500, error_messages={"required": _("请填写取消原因。")}
    )
