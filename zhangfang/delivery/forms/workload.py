"""The workload page's department filter and the handover form (a colleague per kind)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhangfang.core.forms import StyledFormMixin
from zhangfang.delivery.selectors import workload as selectors
from zhangfang.delivery.selectors.workload import KIND_LABELS, KINDS, Holding
from zhangfang.staff.models import User


class WorkloadFilterForm(forms.Form):
    """Reads the page's URL; a value that is not valid is ignored, not an error."""

    department = forms.IntegerField(required=False, min_value=1)

    def department_id(self) -> int | None:
        return self.cleaned_data.get("department") if self.is_valid() else None


class ColleagueField(forms.ChoiceField):
    """A choice among the colleagues offered (read once for every kind); cleans to the User."""

    def __init__(self, *, people: list[User], **kwargs) -> None:
        self.people = {str(p.pk): p for p in people}
        choices = [("", kwargs.pop("empty_label"))]
        choices += [(str(p.pk), self.label_of(p)) for p in people]
        super().__init__(choices=choices, **kwargs)

    @staticmethod
    def label_of(person: User) -> str:
        department = person.department.name if person.department_id else _("未分配部门")
        return f"{person}（{department}）"

    def clean(self, value) -> User | None:
        value = super().clean(value)
        return self.people.get(value) if value else None


class HandoverForm(StyledFormMixin, forms.Form):
    """One colleague per kind the person holds, and (administrators) 停用该账号.

    Only kinds with something to hand over get a field; a kind whose records all follow the
    person's clients needs nobody and is not asked.
    """

    def __init__(
        self, *args, user, person, holdings: dict[str, Holding], can_deactivate: bool, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        options = selectors.colleague_options(user=user, person=person)
        for kind in KINDS:
            holding = holdings[kind]
            if not holding.remaining:
                continue
            self.fields[kind] = ColleagueField(
                people=options[kind],
                required=False,
                label=_("%(kind)s（%(count)s）交给")
                % {"kind": KIND_LABELS[kind], "count": holding.remaining},
                empty_label=_("请选择接手的同事"),
            )
        if can_deactivate:
            self.fields["deactivate"] = forms.BooleanField(
                required=False,
                label=_("停用该账号"),
                help_text=_("交接完成后停用此员工的登录账号（离职时勾选）。"),
            )
        # StyledFormMixin styled the fields that existed when it ran; style the added ones too.
        for field in self.fields.values():
            widget = field.widget
            css = "form-check-input" if isinstance(widget, forms.CheckboxInput) else "form-select"
            if css not in widget.attrs.get("class", ""):
                widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def colleagues(self) -> dict:
        return {kind: self.cleaned_data.get(kind) for kind in KINDS if kind in self.fields}

    def deactivate(self) -> bool:
        return bool(self.cleaned_data.get("deactivate"))
