"""List pages' shared state: search text, filters, sort and page number, read from the URL.

Every list keeps its state in the query string, so a refresh or a shared link shows the same list
and htmx requests (which push the URL) stay in step.

How a list page uses it (the staff list, the audit log and the client list all do this)::

    # selectors.py: the sort keys a page offers, each a tuple of ``order_by`` fields (ascending;
    # the ``-`` of a descending sort is applied to every field). End with a unique field ("id")
    # so that pages do not overlap.
    USER_SORTS = {"username": ("username", "id"), "name": ("name", "id")}

    # views.py
    state = ListState.from_request(request, sorts=USER_SORTS, default_sort="username")
    queryset = selectors.user_list(
        q=state.q, department=state.get_int("department"), ordering=state.ordering()
    )
    page = state.paginate(queryset, per_page=25)
    context = {
        "state": state,
        "page": page,
        "page_links": state.page_links(page),
        "columns": [state.column("username", _("用户名")), state.column("", _("角色"))],
    }
    template = "staff/user_list.html"
    return render(request, f"{template}#table" if wants_fragment(request) else template, context)

and in the template, inside the element that htmx swaps (``{% partialdef table %}``)::

    {% for column in columns %}
      {% include "core/_sort_header.html" with target="#user-table" %}
    {% endfor %}
    ...
    {% include "core/_pagination.html" with target="#user-table" %}

A selector may take the sort key instead and look it up itself (the client list passes
``sort=state.sort``); either way only whitelisted keys reach ``order_by``.

The filter form carries the sort in ``<input type="hidden" name="sort" value="{{ state.sort }}">``
and leaves ``page`` out, so changing a filter keeps the order and goes back to page 1.

The API is deliberately small and stable: :func:`wants_fragment`,
:meth:`ListState.from_request`, the attributes ``params``/``sort``/``page_number``,
:attr:`~ListState.q`, :meth:`~ListState.get`, :meth:`~ListState.get_int`,
:meth:`~ListState.ordering`, :meth:`~ListState.paginate`, :meth:`~ListState.querystring`,
:meth:`~ListState.column` and :meth:`~ListState.page_links`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def wants_fragment(request: HttpRequest) -> bool:
    """Whether to answer with the table fragment only: an htmx request, but not the one htmx
    sends to restore a page from history (Back button with ``historyCacheSize: 0``), which must
    get the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


@dataclass
class ListState:
    """The state of one list page as its URL states it.

    ``params`` is a mutable copy of ``request.GET``; ``sort`` is always one of the allowed keys
    (optionally with ``-``); ``page_number`` is the raw ``page`` parameter, which
    :meth:`paginate` interprets forgivingly.
    """

    params: QueryDict
    sort: str
    page_number: str
    sorts: Mapping[str, Sequence[Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_request(
        cls, request: HttpRequest, *, sorts: Mapping[str, Sequence[Any]], default_sort: str
    ) -> ListState:
        """Read the state; a ``sort`` not in ``sorts`` (with or without ``-``) falls back.

        ``sorts`` maps each sort key offered on the page to the ``order_by`` fields it stands
        for; only those keys are accepted from the URL, so a crafted ``?sort=password`` orders
        by nothing it should not.
        """
        sort = request.GET.get("sort", "") or default_sort
        if sort.lstrip("-") not in sorts:
            sort = default_sort
        return cls(
            params=request.GET.copy(),
            sort=sort,
            page_number=request.GET.get("page", "1"),
            sorts=sorts,
        )

    # -- reading the parameters ------------------------------------------------------------

    @property
    def q(self) -> str:
        """The search text (``q``), stripped; empty when there is none."""
        return self.params.get("q", "").strip()

    def get(self, name: str, default: str = "") -> str:
        """A filter parameter as text, stripped; ``default`` when absent or empty."""
        return self.params.get(name, "").strip() or default

    def get_int(self, name: str) -> int | None:
        """A filter parameter as a positive whole number (an id), or None if absent or invalid.

        A malformed filter value in a URL is ignored, not an error page: the list shows
        unfiltered rather than refusing a link someone edited by hand.
        """
        value = self.get(name)
        return int(value) if value.isdigit() and int(value) > 0 else None

    # -- sorting and paging ----------------------------------------------------------------

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def ordering(self) -> list[Any]:
        """The ``order_by`` arguments of the current sort: ``qs.order_by(*state.ordering())``.

        Plain field names get a ``-`` when the sort is descending; expressions (``F("x")``,
        ``Lower("name")``) are turned with ``.desc()``/``.asc()``.
        """
        keys = self.sorts.get(self.sort.lstrip("-"), ())
        ordering: list[Any] = []
        for key in keys:
            if isinstance(key, str):
                ordering.append(f"-{key.lstrip('-')}" if self.descending else key)
            else:
                ordering.append(key.desc() if self.descending else key.asc())
        return ordering

    def paginate(self, queryset, *, per_page: int) -> Page:
        """The requested page; an out-of-range or malformed page number gives the nearest page.

        Costs three queries whatever the page size: the count, the ids of the page, and the rows
        of those ids with their joins and prefetches. Sorting and skipping over narrow id rows
        first keeps the last page of 10,000 clients as fast as the first; joining and loading
        whole rows is then done for one page only.
        """
        if not isinstance(queryset, QuerySet):
            return Paginator(queryset, per_page).get_page(self.page_number)
        page = Paginator(queryset.values_list("pk", flat=True), per_page).get_page(self.page_number)
        ids = list(page.object_list)
        rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)} if ids else {}
        page.object_list = [rows[pk] for pk in ids if pk in rows]
        return page

    # -- links -------------------------------------------------------------------------------

    def querystring(self, **changes: Any) -> str:
        """The current query string with ``changes`` applied (``None`` or ``""`` removes one).

        Every other parameter is kept, so a sort link keeps the filters and a page link keeps
        both.
        """
        params = self.params.copy()
        for key, value in changes.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value)
        return params.urlencode()

    def column(self, key: str, label: Any) -> dict[str, Any]:
        """A table header for ``core/_sort_header.html``: its label and, if ``key``, its link.

        An empty ``key`` makes a plain header. The link sorts ascending, or descending when the
        column is already the ascending sort, and goes back to page 1.
        """
        if not key:
            return {"label": label, "sortable": False}
        direction = "asc" if self.sort == key else "desc" if self.sort == f"-{key}" else ""
        next_sort = f"-{key}" if direction == "asc" else key
        return {
            "label": label,
            "sortable": True,
            "direction": direction,
            "query": self.querystring(sort=next_sort, page=None),
        }

    def page_links(self, page: Page) -> list[dict[str, Any]]:
        """Links for ``core/_pagination.html``: first, a window around the current page, last."""
        last = page.paginator.num_pages
        window = range(max(1, page.number - 2), min(last, page.number + 2) + 1)
        links = [{"label": "«", "number": 1, "disabled": page.number == 1, "rel": "first"}]
        links += [{"label": str(n), "number": n, "active": n == page.number} for n in window]
        links.append({"label": "»", "number": last, "disabled": page.number == last, "rel": "last"})
        for link in links:
            link["query"] = self.querystring(page=link["number"])
        return links


# -- the filter bar ----------------------------------------------------------------------------


def options_html(options: Iterable[tuple[Any, Any]], selected: Any) -> SafeString:
    """``<option>`` elements with ``selected`` marked, escaped in one pass.

    Built in Python rather than in a template loop: a staff filter of a 300-person firm has 300
    options, and a template loop (or ``format_html`` per option) would cost more than the rest of
    the page.
    """
    chosen = "" if selected is None else str(selected)
    # Safe: every value and label is escaped here.
    return mark_safe(
        "".join(
            f'<option value="{escape(str(value))}"'
            f"{' selected' if str(value) == chosen else ''}>{escape(str(text))}</option>"
            for value, text in options
        )
    )


@dataclass(frozen=True)
class FilterField:
    """One control of a list page's filter bar, drawn by ``core/_filter_bar.html``.

    ``kind`` is ``search``, ``select`` (with ``options``, an empty first option "全部"),
    ``month``, ``date``, ``number``, ``check`` (a checkbox sending ``check_value``) or ``radio``
    (a row of buttons, one per option and one always chosen: for two or three views of a list;
    each button's id is ``id_<name>_<value>``). A ``number`` accepts ``min_value`` to
    ``max_value`` (``None``: no bound).
    ``value`` may be a ``datetime.date`` (a parsed filter): it is written as ``YYYY-MM-DD``,
    the form a ``date`` input reads; ``None`` is written as empty.
    """

    name: str
    label: Any
    kind: str = "select"
    value: Any = ""
    options: Sequence[tuple[Any, Any]] = ()
    placeholder: Any = ""
    width: str = "col-6 col-md-2 col-xl"
    check_value: str = "1"
    min_value: int | None = 1
    max_value: int | None = None

    @property
    def dom_id(self) -> str:
        return f"id_{self.name}"

    @property
    def input_value(self) -> str:
        """The ``value`` attribute of an input (not localized: a browser reads ISO dates)."""
        if self.value is None:
            return ""
        if isinstance(self.value, dt.date):
            return self.value.isoformat()
        return str(self.value)

    @property
    def radio_options(self) -> list[tuple[str, Any, bool]]:
        """``(value, label, checked)`` of each button of a ``radio`` field."""
        chosen = self.input_value
        return [(str(value), text, str(value) == chosen) for value, text in self.options]

    @property
    def options_html(self) -> SafeString:
        return options_html(self.options, self.value)

    @property
    def checked(self) -> bool:
        return bool(self.value)

    @classmethod
    def search(cls, label: Any, value: str, *, placeholder: Any = "") -> FilterField:
        """The search box; always named ``q``, typing in it refreshes the list after a pause."""
        return cls("q", label, "search", value or "", placeholder=placeholder, width=SEARCH_WIDTH)


SEARCH_WIDTH = "col-12 col-md-4 col-xl-3"


@dataclass(frozen=True)
class FilterBar:
    """What ``core/_filter_bar.html`` needs: where the form goes, which element htmx swaps, the
    controls, and hidden values to carry (the sort, a client the list was opened for).

    ``submit_label`` shows a submit button with that label at all times (a page that wants an
    explicit 搜索 or 筛选 button); by default the button is only shown without JavaScript, since
    every change already refreshes the list.
    """

    action: str
    target: str
    fields: Sequence[FilterField]
    hidden: Mapping[str, Any] = field(default_factory=dict)
    submit_label: Any = ""
