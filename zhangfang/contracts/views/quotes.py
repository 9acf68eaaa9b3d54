"""The quote calculator (报价): prices a client's needs from the price list while the salesperson
talks with the client; the result updates in place (htmx) and works without JavaScript."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path

from zhangfang.contracts.forms.quotes import QuoteForm
from zhangfang.contracts.selectors import quotes as selectors
from zhangfang.core.errors import DomainError
from zhangfang.core.forms import add_service_error
from zhangfang.core.listing import wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role

QUOTE_ROLES = (Role.SALES, Role.DEPARTMENT_HEAD, Role.FINANCE, Role.ADMIN)


@role_required(*QUOTE_ROLES)
def quote_calculator(request):
    # The page opens already priced with typical needs, so the salesperson only changes what
    # differs; a GET with parameters (a change, a shared link, the no-JS button) is those needs.
    form = QuoteForm(request.GET if request.GET else QuoteForm.defaults())
    summary = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            summary = selectors.quote_summary(
                taxpayer_type=data["taxpayer_type"],
                industry=data["industry"],
                monthly_vouchers=data["monthly_vouchers"],
                payment_term=data["payment_term"],
                term_months=data["term_months"],
                addons=data["addons"],
                include_setup=data["include_setup"],
                on=data["on"],
            )
        except DomainError as error:
            add_service_error(form, error)
    template = "contracts/quote_calculator.html"
    return render(
        request,
        f"{template}#result" if wants_fragment(request) else template,
        {"form": form, "summary": summary},
    )


urlpatterns = [path("quote/", quote_calculator, name="quote_calculator")]
