"""Shared form behaviour: Bootstrap classes on widgets and optimistic-lock version fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms


class StyledFormMixin:
    """Give every widget its Bootstrap class and mark invalid fields, so templates stay plain."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):  # also CheckboxSelectMultiple
                # A group of options: core/_form.html draws a fieldset with one check per option.
                widget.choice_group = True
                css = "form-check-input"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self) -> None:
        super().full_clean()
        # Marked after validation (never in __init__, which would validate before subclasses
        # have finished shaping their fields).
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
                widget.attrs["aria-invalid"] = "true"


class VersionedFormMixin(StyledFormMixin):
    """Carries the version of the record the user opened, so a later save can detect a clash."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk and not self.is_bound:
            self.initial["version"] = instance.version


def rebased_form(form_class, request, *, version: int, **form_kwargs):
    """After a refused save (someone saved first): the user's input again, bound to ``version``.

    The form shows what the user typed, now based on the version just saved by someone else, so
    saving again after checking the other change goes through; nothing typed is lost.
    """
    data = request.POST.copy()
    data["version"] = str(version)
    form = form_class(data, **form_kwargs)
    form.is_valid()
    return form


def add_service_error(form, exc: Exception) -> None:
    """Show a service's refusal on the form: beside the field it names, else on top."""
    from django.core.exceptions import ValidationError

    from zhangfang.core.errors import DomainError

    if isinstance(exc, DomainError):
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
        if field is not None:
            # Validation has run already, so mark the field as full_clean would have.
            widget = form.fields[field].widget
            if "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
            widget.attrs["aria-invalid"] = "true"
        return
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    form.add_error(None, exc)


def submit(request, form, action: Callable[[], Any]) -> bool:
    """The POST half of a form page: run ``action`` (the service call) for a valid POSTed
    ``form``; True when it succeeded, else its refusal is shown on the form."""
    if request.method != "POST" or not form.is_valid():
        return False
    from zhangfang.core.errors import DomainError

    try:
        action()
    except DomainError as error:
        add_service_error(form, error)
        return False
    return True


def save_edit(
    request,
    form,
    context: dict,
    *,
    save: Callable[[int | None], Any],
    reload: Callable[[], Any],
    error_field: str | None = None,
) -> bool:
    """The POST half of an edit page under optimistic locking; True when the record was saved.

    ``save(expected_version)`` calls the service. When someone else saved first, the form is
    re-based on the current record (``reload()``) with the user's input kept and
    ``context["conflict"]`` set; a refusal is shown on the form, beside its field (or
    ``error_field``, e.g. the name a duplicate clashes on).
    """
    if request.method != "POST" or not form.is_valid():
        return False
    from zhangfang.core.errors import ConcurrentEditError, DomainError

    try:
        save(form.cleaned_data.get("version"))
    except ConcurrentEditError as error:
        current = reload()
        context["form"] = rebased_form(
            type(form), request, version=current.version, instance=current
        )
        context["conflict"] = error.message
        return False
    except DomainError as error:
        if error.field is None and error_field is not None:
            form.add_error(error_field, error.message)
        else:
            add_service_error(form, error)
        return False
    return True
