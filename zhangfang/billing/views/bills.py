"""Bill pages: the list, 开具账单 (one-off and add-on charges), the detail with 减免 and 作废.

Finance and administrators bill, credit and void; every other role reads the bills of the
clients in its data scope. A bill outside the user's scope answers 404, like a missing one.
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

from zhangfang.billing.forms.bills import (
    BillFilterForm,
    BillForm,
    CreditForm,
    VoidForm,
)
from zhangfang.billing.models import Bill, BillKind, BillStatus
from zhangfang.billing.selectors import bills as selectors
from zhangfang.billing.services import bills as services
from zhangfang.billing.services.ledger import OWING
from zhangfang.clients.picker import client_picker
from zhangfang.core.errors import DomainError
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role

#: Roles that bill, credit, void and record payments.
BILLING_WRITERS = (Role.FINANCE, Role.ADMIN)
PAGE_SIZE = 25

#: Bootstrap colour of each bill status's badge.
BILL_STATUS_COLOURS = {
    BillStatus.SCHEDULED: "light text-dark border",
    BillStatus.OPEN: "warning",
    BillStatus.PARTIAL: "info",
    BillStatus.PAID: "success",
    BillStatus.VOID: "secondary",
}

writer_roles = role_required(*BILLING_WRITERS)


def can_write(user) -> bool:
    return has_role(user, *BILLING_WRITERS)


def access_bill(user, pk: int, *, write: bool = False) -> Bill:
    """The bill if ``user`` may see it (404 otherwise, as for a missing one); with ``write``, a
    user who may only read is refused with 403."""
    bill = selectors.bill_get(user=user, pk=pk)
    if bill is None:
        raise Http404
    if write and not can_write(user):
        raise PermissionDenied
    return bill


# ---------------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("number", gettext_lazy("账单编号")),
    ("client", gettext_lazy("客户")),
    ("", gettext_lazy("类别")),
    ("", gettext_lazy("摘要")),
    ("issued", gettext_lazy("开单日期")),
    ("due", gettext_lazy("付款期限")),
    ("amount", gettext_lazy("应收金额")),
    ("", gettext_lazy("未收金额")),
    ("status", gettext_lazy("状态")),
]


def _filter_bar(request, state: ListState, filters) -> FilterBar:
    return FilterBar(
        action=reverse("billing:bill_list"),
        target="#bill-table",
        fields=[
            FilterField.search(
                _("搜索"), filters.q, placeholder=_("客户名称、拼音、信用代码或账单编号")
            ),
            FilterField("status", _("状态"), value=filters.status, options=BillStatus.choices),
            FilterField("kind", _("类别"), value=filters.kind, options=BillKind.choices),
            FilterField(
                "month",
                _("开单月份"),
                "month",
                request.GET.get("month", "") if filters.month else "",
            ),
            FilterField("overdue", _("只看逾期"), "check", filters.overdue, check_value="on"),
        ],
        hidden={"client": filters.client, "sort": state.sort},
    )


def bill_list(request):
    fragment = wants_fragment(request)
    state = ListState.from_request(request, sorts=selectors.BILL_SORTS, default_sort="-issued")
    filter_form = BillFilterForm(request.GET)
    filters = filter_form.filters()
    today = timezone.localdate()
    queryset = selectors.bill_list(
        user=request.user, filters=filters, ordering=state.ordering(), today=today
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None if fragment else _filter_bar(request, state, filters),
        "columns": [state.column(key, label) for key, label in COLUMNS],
        "colours": BILL_STATUS_COLOURS,
        "owing": OWING,
        "today": today,
        "can_write": can_write(request.user),
    }
    template = "billing/bill_list.html#table" if fragment else "billing/bill_list.html"
    return render(request, template, context)


# ---------------------------------------------------------------------------------------------
# Client picker (shared by 开具账单 and 登记收款)
# ---------------------------------------------------------------------------------------------


def bill_client_picker(request, *, title: str, next_url_name: str):
    """The form page without a client: search one (htmx updates the results) and pick it."""
    return client_picker(
        request,
        template="billing/bill_client_picker.html",
        url=reverse(next_url_name),
        search=lambda q: selectors.client_search(user=request.user, q=q),
        title=title,
    )


# ---------------------------------------------------------------------------------------------
# 开具账单
# ---------------------------------------------------------------------------------------------


def _prefilled(request, addons) -> dict:
    """Initial values from the query string: what was typed so far, and an add-on's name and
    price when one was picked (the add-on select reloads the form with htmx)."""
    initial = {
        key: request.GET[key]
        for key in (
            "kind",
            "description",
            "amount",
            "issued_on",
            "due_on",
            "period_start",
            "period_end",
        )
        if request.GET.get(key)
    }
    chosen = request.GET.get("fee_item", "")
    item = next((a for a in addons if str(a.pk) == chosen), None)
    if item is not None:
        initial.update(
            fee_item=item.pk, kind=BillKind.ADDON, description=item.name, amount=item.amount
        )
    return initial


@writer_roles
def bill_create(request):
    client_pk = request.GET.get("client") or request.POST.get("client")
    if not client_pk:
        return bill_client_picker(request, title=_("开具账单"), next_url_name="billing:bill_create")
    client = selectors.billable_client(
        user=request.user, pk=int(client_pk) if str(client_pk).isdigit() else None
    )
    if client is None:
        raise Http404
    addons = selectors.addon_price_items(on=timezone.localdate())
    prefill_url = reverse("billing:bill_create")
    if request.method == "POST":
        form = BillForm(request.POST, addons=addons, prefill_url=prefill_url)
        if form.is_valid():
            data = form.cleaned_data
            try:
                bill = services.bill_create(
                    client=client,
                    kind=data["kind"],
                    description=data["description"],
                    amount=data["amount"],
                    issued_on=data["issued_on"],
                    due_on=data["due_on"],
                    period_start=data.get("period_start"),
                    period_end=data.get("period_end"),
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("账单 %(number)s 已开具。") % {"number": bill.number})
                return redirect("billing:bill_detail", bill.pk)
    else:
        form = BillForm(initial=_prefilled(request, addons), addons=addons, prefill_url=prefill_url)
    context = {"form": form, "c": client}
    if wants_fragment(request):
        return render(request, "billing/bill_form.html#fields", context)
    return render(request, "billing/bill_form.html", context)


# ---------------------------------------------------------------------------------------------
# Detail, credit, void
# ---------------------------------------------------------------------------------------------


def _detail_context(request, bill: Bill, **forms) -> dict:
    writable = can_write(request.user)
    return {
        "bill": bill,
        "colours": BILL_STATUS_COLOURS,
        "can_credit": writable and bill.status in OWING,
        "can_void": writable and bill.status != BillStatus.VOID and bill.paid_amount == 0,
        "credit_form": forms.get("credit_form") or CreditForm(),
        "void_form": forms.get("void_form") or VoidForm(),
        "overdue": bill.status in OWING and bill.due_on < timezone.localdate(),
    }


def bill_detail(request, pk: int):
    bill = access_bill(request.user, pk)
    return render(request, "billing/bill_detail.html", _detail_context(request, bill))


@require_POST
def bill_credit(request, pk: int):
    bill = access_bill(request.user, pk, write=True)
    form = CreditForm(request.POST)
    if form.is_valid():
        try:
            services.bill_credit(
                bill=bill,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("已减免 %(amount)s 元。") % {"amount": form.cleaned_data["amount"]}
            )
            return redirect("billing:bill_detail", bill.pk)
    context = _detail_context(request, bill, credit_form=form)
    return render(request, "billing/bill_detail.html", context, status=400)


@require_POST
def bill_void(request, pk: int):
    bill = access_bill(request.user, pk, write=True)
    form = VoidForm(request.POST)
    if form.is_valid():
        try:
            services.bill_void(bill=bill, reason=form.cleaned_data["reason"], by=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("账单 %(number)s 已作废。") % {"number": bill.number})
            return redirect("billing:bill_detail", bill.pk)
    context = _detail_context(request, bill, void_form=form)
    return render(request, "billing/bill_detail.html", context, status=400)


urlpatterns = [
    path("bills/", bill_list, name="bill_list"),
    path("bills/new/", bill_create, name="bill_create"),
    path("bills/<int:pk>/", bill_detail, name="bill_detail"),
    path("bills/<int:pk>/credit/", bill_credit, name="bill_credit"),
    path("bills/<int:pk>/void/", bill_void, name="bill_void"),
]
