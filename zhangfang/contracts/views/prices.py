"""The firm's price list: everyone reads it; finance and administrators keep it."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from zhangfang.contracts.forms.prices import FeeItemForm
from zhangfang.contracts.models import FeeItem
from zhangfang.contracts.selectors import prices as selectors
from zhangfang.contracts.services import prices as services
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.forms import rebased_form
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role

PRICE_KEEPERS = (Role.FINANCE, Role.ADMIN)


def fee_item_list(request):
    return render(
        request,
        "contracts/fee_item_list.html",
        {
            "items": selectors.fee_item_list(),
            "can_edit": has_role(request.user, *PRICE_KEEPERS),
        },
    )


@role_required(*PRICE_KEEPERS)
def fee_item_create(request):
    form = FeeItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.fee_item_create(data=form.fee_item_data(), by=request.user)
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, _("收费项目已添加。"))
            return redirect("contracts:fee_item_list")
    return render(request, "contracts/fee_item_form.html", {"form": form})


@role_required(*PRICE_KEEPERS)
def fee_item_edit(request, pk: int):
    item = get_object_or_404(FeeItem, pk=pk)
    form = FeeItemForm(request.POST or None, instance=item)
    context = {"form": form, "item": item}
    if request.method == "POST" and form.is_valid():
        try:
            services.fee_item_update(
                item=item,
                data=form.fee_item_data(),
                expected_version=form.cleaned_data.get("version"),
                by=request.user,
            )
        except ConcurrentEditError as error:
            current = get_object_or_404(FeeItem, pk=pk)
            context["form"] = rebased_form(
                FeeItemForm, request, version=current.version, instance=current
            )
            context["conflict"] = error.message
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, _("收费项目已保存。"))
            return redirect("contracts:fee_item_list")
    return render(request, "contracts/fee_item_form.html", context)


urlpatterns = [
    path("prices/", fee_item_list, name="fee_item_list"),
    path("prices/new/", fee_item_create, name="fee_item_create"),
    path("prices/<int:pk>/edit/", fee_item_edit, name="fee_item_edit"),
]
