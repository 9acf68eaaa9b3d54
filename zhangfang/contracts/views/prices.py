"""The firm's price list and payment terms: every member of staff reads them; finance and
administrators keep them. The lines in force today are also published without a login."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.contracts.forms.prices import (
    FeeItemForm,
    PaymentTermForm,
    PriceChangeForm,
    PriceListFilterForm,
)
from zhangfang.contracts.selectors import prices as selectors
from zhangfang.contracts.services import prices as services
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.forms import add_service_error, rebased_form, save_edit, submit
from zhangfang.core.listing import FilterBar, FilterField, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role

PRICE_KEEPERS = (Role.FINANCE, Role.ADMIN)

keepers_only = role_required(*PRICE_KEEPERS)


def _fee_item_or_404(pk: int):
    item = selectors.fee_item_get(pk=pk)
    if item is None:
        raise Http404
    return item


def _payment_term_or_404(pk: int):
    term = selectors.payment_term_get(pk=pk)
    if term is None:
        raise Http404
    return term


# -- the price list ---------------------------------------------------------------------------


def fee_item_list(request):
    fragment = wants_fragment(request)
    filter_form = PriceListFilterForm(request.GET)
    view, on = filter_form.filters()
    context = {
        "groups": selectors.fee_item_groups(view=view, on=on),
        "view": view,
        "on": on,
        "today": timezone.localdate(),
        "can_edit": has_role(request.user, *PRICE_KEEPERS),
        "filter_bar": None
        if fragment
        else FilterBar(
            action=reverse("contracts:fee_item_list"),
            target="#fee-item-table",
            fields=[
                FilterField(
                    "view",
                    filter_form.fields["view"].label,
                    "radio",
                    view,
                    options=filter_form.fields["view"].choices,
                    width="col-12 col-md-auto",
                ),
                FilterField("on", filter_form.fields["on"].label, "date", on),
            ],
        ),
    }
    template = "contracts/fee_item_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


@keepers_only
def fee_item_create(request):
    form = FeeItemForm(request.POST or None)
    if submit(
        request,
        form,
        lambda: services.fee_item_create(data=form.fee_item_data(), by=request.user),
    ):
        messages.success(request, _("收费项目已添加。"))
        return redirect("contracts:fee_item_list")
    return render(request, "contracts/fee_item_form.html", {"form": form})


@keepers_only
def fee_item_edit(request, pk: int):
    item = _fee_item_or_404(pk)
    form = FeeItemForm(request.POST or None, instance=item)
    context = {"form": form, "item": item}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.fee_item_update(
            item=item, data=form.fee_item_data(), expected_version=version, by=request.user
        ),
        reload=lambda: _fee_item_or_404(pk),
    ):
        messages.success(request, _("收费项目已保存。"))
        return redirect("contracts:fee_item_list")
    return render(request, "contracts/fee_item_form.html", context)


@keepers_only
def fee_item_change_price(request, pk: int):
    """调价: the line ends the day before the new price starts; the new line carries on."""
    item = _fee_item_or_404(pk)
    form = PriceChangeForm(request.POST or None, initial={"version": item.version})
    context = {"form": form, "item": item, "tier": services.tier_label(item)}
    if request.method == "POST" and form.is_valid():
        try:
            successor = services.fee_item_change_price(
                item=item,
                amount=form.cleaned_data["amount"],
                effective_from=form.cleaned_data["effective_from"],
                expected_version=form.cleaned_data.get("version"),
                by=request.user,
            )
        except ConcurrentEditError as error:
            item = _fee_item_or_404(pk)
            context.update(
                item=item,
                form=rebased_form(PriceChangeForm, request, version=item.version),
                conflict=error.message,
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("已调价：“%(name)s”自 %(date)s 起执行新价格。")
                % {"name": successor.name, "date": successor.effective_from.isoformat()},
            )
            # The history view shows both lines: the old one ending and the new one starting.
            return redirect(f"{reverse('contracts:fee_item_list')}?view={selectors.HISTORY}")
    return render(request, "contracts/fee_item_price_change.html", context)


@login_not_required
def price_list_public(request):
    """明码标价: the prices in force today, for clients, without a login; phone first, printable."""
    return render(
        request,
        "contracts/price_list_public.html",
        {"prices": selectors.public_price_list()},
    )


# -- payment terms ----------------------------------------------------------------------------


def payment_term_list(request):
    return render(
        request,
        "contracts/payment_term_list.html",
        {
            "terms": selectors.payment_term_list(),
            "can_edit": has_role(request.user, *PRICE_KEEPERS),
        },
    )


@keepers_only
def payment_term_create(request):
    form = PaymentTermForm(request.POST or None)
    if submit(
        request,
        form,
        lambda: services.payment_term_create(data=form.payment_term_data(), by=request.user),
    ):
        messages.success(request, _("付款方式已添加。"))
        return redirect("contracts:payment_term_list")
    return render(request, "contracts/payment_term_form.html", {"form": form})


@keepers_only
def payment_term_edit(request, pk: int):
    term = _payment_term_or_404(pk)
    form = PaymentTermForm(request.POST or None, instance=term)
    context = {"form": form, "term": term}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.payment_term_update(
            term=term, data=form.payment_term_data(), expected_version=version, by=request.user
        ),
        reload=lambda: _payment_term_or_404(pk),
    ):
        messages.success(request, _("付款方式已保存。"))
        return redirect("contracts:payment_term_list")
    return render(request, "contracts/payment_term_form.html", context)


urlpatterns = [
    path("prices/", fee_item_list, name="fee_item_list"),
    path("prices/new/", fee_item_create, name="fee_item_create"),
    path("prices/<int:pk>/edit/", fee_item_edit, name="fee_item_edit"),
    path("prices/<int:pk>/change/", fee_item_change_price, name="fee_item_change_price"),
    path("prices/public/", price_list_public, name="price_list_public"),
    path("payment-terms/", payment_term_list, name="payment_term_list"),
    path("payment-terms/new/", payment_term_create, name="payment_term_create"),
    path("payment-terms/<int:pk>/edit/", payment_term_edit, name="payment_term_edit"),
]
