"""Payment pages: the list, 登记收款 with allocation to open bills, the detail with 核销预收余额
and 冲销, and the printable receipt (收据).

Finance and administrators record, allocate and reverse; every other role reads the payments of
the clients in its data scope. A payment outside the user's scope answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.billing.forms.payments import (
    AllocateForm,
    PaymentFilterForm,
    PaymentForm,
    ReverseForm,
)
from zhangfang.billing.models import Payment, PaymentMethod
from zhangfang.billing.selectors import bills as bill_selectors
from zhangfang.billing.selectors import payments as selectors
from zhangfang.billing.services import payments as services
from zhangfang.billing.views.bills import bill_client_picker, can_write, writer_roles
from zhangfang.core.errors import DomainError
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment

PAGE_SIZE = 25


def access_payment(user, pk: int, *, write: bool = False) -> Payment:
    """The payment if ``user`` may see it (404 otherwise); with ``write``, readers get 403."""
    payment = selectors.payment_get(user=user, pk=pk)
    if payment is None:
        raise Http404
    if write and not can_write(user):
        raise PermissionDenied
    return payment


# ---------------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("number", gettext_lazy("收据编号")),
    ("client", gettext_lazy("客户")),
    ("received", gettext_lazy("收款日期")),
    ("", gettext_lazy("收款方式")),
    ("amount", gettext_lazy("收款金额")),
    ("", gettext_lazy("预收余额")),
    ("", gettext_lazy("付款人")),
    ("", gettext_lazy("经办人")),
]


def payment_list(request):
    fragment = wants_fragment(request)
    state = ListState.from_request(request, sorts=selectors.PAYMENT_SORTS, default_sort="-received")
    filters = PaymentFilterForm(request.GET).filters()
    queryset = selectors.payment_list(user=request.user, filters=filters, ordering=state.ordering())
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None
        if fragment
        else FilterBar(
            action=reverse("billing:payment_list"),
            target="#payment-table",
            fields=[
                FilterField.search(
                    _("搜索"), filters.q, placeholder=_("客户、付款人、收据编号或流水号")
                ),
                FilterField(
                    "method", _("收款方式"), value=filters.method, options=PaymentMethod.choices
                ),
                FilterField(
                    "month",
                    _("收款月份"),
                    "month",
                    request.GET.get("month", "") if filters.month else "",
                ),
                FilterField(
                    "unallocated",
                    _("只看有预收余额"),
                    "check",
                    filters.unallocated,
                    check_value="on",
                ),
            ],
            hidden={"client": filters.client, "sort": state.sort},
        ),
        "columns": [state.column(key, label) for key, label in COLUMNS],
        "can_write": can_write(request.user),
    }
    template = "billing/payment_list.html#table" if fragment else "billing/payment_list.html"
    return render(request, template, context)


# ---------------------------------------------------------------------------------------------
# 登记收款
# ---------------------------------------------------------------------------------------------


@writer_roles
def payment_create(request):
    client_pk = request.GET.get("client") or request.POST.get("client")
    if not client_pk:
        return bill_client_picker(
            request, title=_("登记收款"), next_url_name="billing:payment_create"
        )
    client = bill_selectors.billable_client(
        user=request.user, pk=int(client_pk) if str(client_pk).isdigit() else None
    )
    if client is None:
        raise Http404
    bills = bill_selectors.open_bills(client)
    if request.method == "POST":
        form = PaymentForm(request.POST, bills=bills)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = services.payment_record(
                    client=client,
                    method=data["method"],
                    amount=data["amount"],
                    received_on=data["received_on"],
                    payer=data["payer"],
                    reference=data["reference"],
                    note=data["note"],
                    allocations=form.allocations(),
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("收款已登记，收据编号 %(number)s。") % {"number": payment.number},
                )
                return redirect("billing:payment_detail", payment.pk)
    else:
        form = PaymentForm(bills=bills)
    return render(request, "billing/payment_form.html", {"form": form, "c": client})


# ---------------------------------------------------------------------------------------------
# Detail, allocate, reverse, receipt
# ---------------------------------------------------------------------------------------------


def _detail_context(request, payment: Payment, **forms) -> dict:
    writable = can_write(request.user) and not payment.is_reversed
    can_allocate = writable and payment.unallocated > 0
    bills = bill_selectors.open_bills(payment.client) if can_allocate else []
    return {
        "payment": payment,
        "lines": selectors.receipt_lines(payment),
        "can_allocate": can_allocate and bool(bills),
        "can_reverse": writable,
        "allocate_form": forms.get("allocate_form")
        or AllocateForm(bills=bills, available=payment.unallocated),
        "reverse_form": forms.get("reverse_form") or ReverseForm(),
    }


def payment_detail(request, pk: int):
    payment = access_payment(request.user, pk)
    return render(request, "billing/payment_detail.html", _detail_context(request, payment))


@require_POST
def payment_allocate(request, pk: int):
    payment = access_payment(request.user, pk, write=True)
    bills = bill_selectors.open_bills(payment.client)
    form = AllocateForm(request.POST, bills=bills, available=payment.unallocated)
    if form.is_valid():
        try:
            rows = services.payment_allocate(
                payment=payment, allocations=form.allocations(), by=request.user
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            total = sum(row.amount for row in rows)
            messages.success(request, _("已核销 %(amount)s 元。") % {"amount": total})
            return redirect("billing:payment_detail", payment.pk)
    context = _detail_context(request, payment, allocate_form=form)
    return render(request, "billing/payment_detail.html", context, status=400)


@require_POST
def payment_reverse(request, pk: int):
    payment = access_payment(request.user, pk, write=True)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            services.payment_reverse(
                payment=payment, reason=form.cleaned_data["reason"], by=request.user
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("收款 %(number)s 已冲销。") % {"number": payment.number})
            return redirect("billing:payment_detail", payment.pk)
    context = _detail_context(request, payment, reverse_form=form)
    return render(request, "billing/payment_detail.html", context, status=400)


def payment_receipt(request, pk: int):
    """The receipt (收据) to print: amount in figures and in capitals, what it paid."""
    payment = access_payment(request.user, pk)
    context = {
        "payment": payment,
        "lines": selectors.receipt_lines(payment),
        "printed_on": timezone.localdate(),
    }
    return render(request, "billing/receipt_print.html", context)


urlpatterns = [
    path("payments/", payment_list, name="payment_list"),
    path("payments/new/", payment_create, name="payment_create"),
    path("payments/<int:pk>/", payment_detail, name="payment_detail"),
    path("payments/<int:pk>/allocate/", payment_allocate, name="payment_allocate"),
    path("payments/<int:pk>/reverse/", payment_reverse, name="payment_reverse"),
    path("payments/<int:pk>/receipt/", payment_receipt, name="payment_receipt"),
]
