"""Statement pages (对账单): a client's statements, issuing one for a period, the statement with
its entries and the client's answer, the Excel and PDF downloads, and the firm-wide list."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.billing import statement_documents as documents
from zhangfang.billing.forms.statements import (
    StatementIssueForm,
    StatementResponseForm,
    period_shortcuts,
)
from zhangfang.billing.models import Statement, StatementStatus
from zhangfang.billing.selectors import statements as selectors
from zhangfang.billing.services import statements as services
from zhangfang.core import audit
from zhangfang.core.errors import DomainError
from zhangfang.core.excel import XLSX
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.pdf import pdf_response
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role

#: Every role may read the statements of the clients in its scope.
STATEMENT_READERS = tuple(Role.values)
#: Finance reconciles with clients (三（四）4); administrators may stand in.
STATEMENT_WRITERS = (Role.FINANCE, Role.ADMIN)
PAGE_SIZE = 25

STATUS_COLOURS = {
    StatementStatus.ISSUED: "warning",
    StatementStatus.CONFIRMED: "success",
    StatementStatus.DISPUTED: "danger",
}

reader_roles = role_required(*STATEMENT_READERS)
writer_roles = role_required(*STATEMENT_WRITERS)


def access_client(user, pk: int):
    """The client if ``user`` may see it; 404 otherwise (the same as a missing one)."""
    client = selectors.statement_client_get(user=user, pk=pk)
    if client is None:
        raise Http404
    return client


def access_statement(user, pk: int, *, write: bool = False) -> Statement:
    """The statement if ``user`` may see its client (404 otherwise); with ``write``, only finance
    and administrators (403 for others who may read it)."""
    statement = selectors.statement_get(user=user, pk=pk)
    if statement is None:
        raise Http404
    if write and not has_role(user, *STATEMENT_WRITERS):
        raise PermissionDenied
    return statement


# ---------------------------------------------------------------------------------------------
# A client's statements, and issuing one
# ---------------------------------------------------------------------------------------------


@reader_roles
def client_statements(request, client_pk: int):
    client = access_client(request.user, client_pk)
    return render(
        request,
        "billing/statement_client_list.html",
        {
            "c": client,
            "statements": selectors.statements_of_client(client=client),
            "status_colours": STATUS_COLOURS,
            "can_issue": has_role(request.user, *STATEMENT_WRITERS),
        },
    )


@writer_roles
def statement_issue(request, client_pk: int):
    client = access_client(request.user, client_pk)
    if request.method == "POST":
        form = StatementIssueForm(request.POST)
    elif "start" in request.GET or "end" in request.GET:
        # A period shortcut: show the form filled in, for a look before issuing.
        form = StatementIssueForm(initial=request.GET.dict())
    else:
        form = StatementIssueForm()
    if request.method == "POST" and form.is_valid():
        try:
            statement = services.statement_issue(
                client=client,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                by=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("对账单已出具。"))
            return redirect("billing:statement_detail", pk=statement.pk)
    return render(
        request,
        "billing/statement_issue.html",
        {"c": client, "form": form, "shortcuts": period_shortcuts(timezone.localdate())},
    )


# ---------------------------------------------------------------------------------------------
# One statement: detail, the client's answer, reissue, downloads
# ---------------------------------------------------------------------------------------------


def _detail_context(request, statement: Statement, form=None) -> dict:
    figures = selectors.statement_compute(
        client=statement.client, start=statement.period_start, end=statement.period_end
    )
    can_write = has_role(request.user, *STATEMENT_WRITERS)
    if form is None and can_write and statement.status == StatementStatus.ISSUED:
        form = StatementResponseForm()
    return {
        "statement": statement,
        "figures": figures,
        # Entries posted (back-dated) after issue change the figures: the statement is stale.
        "changed_since_issue": (
            figures.opening_balance != statement.opening_balance
            or figures.closing_balance != statement.closing_balance
        ),
        "closing": documents.closing_balance_text(statement.closing_balance),
        "status_colour": STATUS_COLOURS[statement.status],
        "can_write": can_write,
        "form": form,
        "events": selectors.statement_history(statement),
    }


@reader_roles
def statement_detail(request, pk: int):
    statement = access_statement(request.user, pk)
    return render(request, "billing/statement_detail.html", _detail_context(request, statement))


@require_POST
def statement_respond(request, pk: int):
    statement = access_statement(request.user, pk, write=True)
    form = StatementResponseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.statement_record_response(
                statement=statement,
                status=data["status"],
                confirmed_by_name=data["confirmed_by_name"],
                method=data["method"],
                responded_on=data["responded_on"],
                disputed_items=data["disputed_items"],
                by=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已登记客户回复。"))
            return redirect("billing:statement_detail", pk=pk)
    statement.refresh_from_db()
    return render(
        request,
        "billing/statement_detail.html",
        _detail_context(request, statement, form=form),
        status=400,
    )


@require_POST
def statement_reissue(request, pk: int):
    statement = access_statement(request.user, pk, write=True)
    new = services.statement_reissue(statement=statement, by=request.user)
    messages.success(request, _("已按当前台账重新出具同一期间的对账单。"))
    return redirect("billing:statement_detail", pk=new.pk)


@reader_roles
def statement_download(request, pk: int, fmt: str):
    """The statement as ``xlsx`` or ``pdf``; a download of a client's figures is audited."""
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    statement = access_statement(request.user, pk)
    figures = selectors.statement_compute(
        client=statement.client, start=statement.period_start, end=statement.period_end
    )
    audit.record(
        action="export",
        by=request.user,
        obj=statement,
        anchor=statement.client,
        detail=fmt,
    )
    build = documents.statement_pdf if fmt == "pdf" else documents.statement_xlsx
    content = build(statement=statement, figures=figures, firm_name=settings.FIRM_NAME)
    name = documents.filename(statement, fmt)
    if fmt == "pdf":
        return pdf_response(content, name, inline=False)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# ---------------------------------------------------------------------------------------------
# Firm-wide list
# ---------------------------------------------------------------------------------------------

STATEMENT_COLUMNS = [
    ("", gettext_lazy("客户")),
    ("period_end", gettext_lazy("对账期间")),
    ("closing", gettext_lazy("期末余额")),
    ("", gettext_lazy("状态")),
    ("created", gettext_lazy("出具")),
]


@reader_roles
def statement_list(request):
    fragment = wants_fragment(request)
    state = ListState.from_request(
        request, sorts=selectors.STATEMENT_SORTS, default_sort="-created"
    )
    filters = selectors.StatementFilters(q=state.q[:100], status=state.get("status"))
    queryset = selectors.statement_list(user=request.user, filters=filters, sort=state.sort)
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    context = {
        "state": state,
        "filters": filters,
        "page": page,
        "page_links": state.page_links(page),
        "columns": [state.column(key, label) for key, label in STATEMENT_COLUMNS],
        "filter_bar": None
        if fragment
        else FilterBar(
            action=reverse("billing:statement_list"),
            target="#statement-table",
            fields=[
                FilterField.search(_("搜索客户"), filters.q),
                FilterField(
                    "status", _("状态"), value=filters.status, options=StatementStatus.choices
                ),
            ],
            hidden={"sort": state.sort},
        ),
        "status_colours": STATUS_COLOURS,
    }
    template = "billing/statement_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


urlpatterns = [
    path("statements/", statement_list, name="statement_list"),
    path("clients/<int:client_pk>/statements/", client_statements, name="client_statements"),
    path("clients/<int:client_pk>/statements/new/", statement_issue, name="statement_issue"),
    path("statements/<int:pk>/", statement_detail, name="statement_detail"),
    path("statements/<int:pk>/respond/", statement_respond, name="statement_respond"),
    path("statements/<int:pk>/reissue/", statement_reissue, name="statement_reissue"),
    path(
        "statements/<int:pk>/statement.<slug:fmt>",
        statement_download,
        name="statement_download",
    ),
]
