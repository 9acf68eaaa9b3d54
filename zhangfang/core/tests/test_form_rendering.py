"""The shared form template draws every kind of field a user can operate."""

from django import forms
from django.template.loader import render_to_string

from zhangfang.core.forms import StyledFormMixin


class ReplyForm(StyledFormMixin, forms.Form):
    answer = forms.ChoiceField(
        label="客户回复",
        choices=[("confirmed", "确认无误"), ("disputed", "有异议")],
        widget=forms.RadioSelect,
    )
    topics = forms.MultipleChoiceField(
        label="关注事项",
        choices=[("tax", "税务"), ("fee", "费用")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    name = forms.CharField(label="确认人")


def test_a_choice_group_is_a_fieldset_with_one_labelled_check_per_option():
    html = render_to_string("core/_form.html", {"form": ReplyForm()})
    assert '<legend class="form-label fs-6 mb-1">客户回复' in html
    for index, label in enumerate(["确认无误", "有异议"]):
        assert f'id="id_answer_{index}"' in html
        assert f'<label class="form-check-label" for="id_answer_{index}">{label}</label>' in html
    radio = html[html.index('value="confirmed"') - 60 : html.index('id="id_answer_0"')]
    assert "form-check-input" in radio and "form-control" not in radio
    assert 'for="id_topics_1">费用</label>' in html
    # Ordinary fields keep their label and Bootstrap class.
    assert '<label class="form-label" for="id_name">确认人' in html
    assert 'class="form-control"' in html


def test_a_service_refusal_marks_its_field_invalid():
    from zhangfang.core.errors import DomainError
    from zhangfang.core.forms import add_service_error

    form = ReplyForm({"answer": "confirmed", "name": "王总"})
    assert form.is_valid()
    add_service_error(form, DomainError("确认人已离职。", field="name"))
    html = render_to_string("core/_form.html", {"form": form})
    assert "确认人已离职。" in html
    assert 'aria-invalid="true"' in html and "is-invalid" in html
