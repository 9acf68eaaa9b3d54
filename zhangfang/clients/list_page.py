"""What the client list page shows: the filters read from the URL, the page of rows, the options."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhangfang.clients import permissions, selectors
from zhangfang.clients.forms import TEAM_ROLE_FIELDS
from zhangfang.clients.models import Client, ClientStatus, ImportanceTier, Industry, TaxpayerType
from zhangfang.core.listing import FilterBar, FilterField, ListState, options_html

PAGE_SIZE = 25


class ClientFilterForm(forms.Form):
    """Reads the list's URL parameters; a value that is not valid is ignored, not an error."""

    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(required=False, choices=ClientStatus.choices)
    taxpayer_type = forms.ChoiceField(required=False, choices=TaxpayerType.choices)
    industry = forms.ChoiceField(required=False, choices=Industry.choices)
    tier = forms.ChoiceField(required=False, choices=ImportanceTier.choices)
    staff = forms.IntegerField(required=False, min_value=1)
    department = forms.IntegerField(required=False, min_value=1)
    region = forms.CharField(required=False, max_length=30)
    tag = forms.IntegerField(required=False, min_value=1)

    def filters(self) -> selectors.ClientFilters:
        self.is_valid()
        values = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        return selectors.ClientFilters(
            q=values.get("q") or "",
            status=values.get("status") or "",
            taxpayer_type=values.get("taxpayer_type") or "",
            industry=values.get("industry") or "",
            tier=values.get("tier") or "",
            staff=values.get("staff"),
            department=values.get("department"),
            region=(values.get("region") or "").strip(),
            tag=values.get("tag"),
        )


# (sort key or "", label, optional: hidden on a phone, where name and status must fit)
COLUMNS = [
    ("name", _("客户名称"), False),
    ("", _("统一社会信用代码"), True),
    ("status", _("状态"), False),
    ("taxpayer_type", _("纳税人类型"), True),
    ("industry", _("行业"), True),
    ("tier", _("重要程度"), True),
    ("", _("主办会计"), True),
    ("", _("服务部门"), True),
    ("", _("所在区域"), True),
    ("updated", _("更新时间"), True),
]


def filtered_clients(request, *, table_row_only: bool = False):
    """The list's state, filters and queryset as the URL describes them (page and export)."""
    state = ListState.from_request(request, sorts=selectors.CLIENT_SORTS, default_sort="name")
    filters = ClientFilterForm(request.GET).filters()
    queryset = selectors.client_list(
        user=request.user, filters=filters, sort=state.sort, table_row_only=table_row_only
    )
    return state, filters, queryset


def _filter_bar(
    filters: selectors.ClientFilters,
    state: ListState,
    team: list,
    regions: list[tuple[str, str]],
    tags: list[tuple[int, str]],
) -> FilterBar:
    return FilterBar(
        action=reverse("clients:list"),
        target="#client-table",
        fields=[
            FilterField.search(
                _("搜索"), filters.q, placeholder=_("名称、简称、拼音、信用代码、联系人、手机")
            ),
            FilterField("status", _("状态"), value=filters.status, options=ClientStatus.choices),
            FilterField(
                "taxpayer_type",
                _("纳税人类型"),
                value=filters.taxpayer_type,
                options=TaxpayerType.choices,
            ),
            FilterField("industry", _("行业"), value=filters.industry, options=Industry.choices),
            FilterField("tier", _("重要程度"), value=filters.tier, options=ImportanceTier.choices),
            FilterField("staff", _("服务人员"), value=filters.staff or "", options=team),
            FilterField(
                "department",
                _("部门"),
                value=filters.department or "",
                options=selectors.department_options(),
            ),
            FilterField("region", _("所在区域"), value=filters.region, options=regions),
            FilterField("tag", _("标签"), value=filters.tag or "", options=tags),
        ],
        hidden={"sort": state.sort},
    )


def client_list_context(request, *, fragment: bool) -> dict:
    """What the page shows; for an htmx ``fragment`` (the table only) the filter bar is skipped."""
    state, filters, queryset = filtered_clients(request, table_row_only=True)
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    filters_active = bool(
        filters.q
        or filters.status
        or filters.taxpayer_type
        or filters.industry
        or filters.tier
        or filters.staff
        or filters.department
        or filters.region
        or filters.tag
    )
    team = [] if fragment else selectors.team_member_options()
    regions, tags = ([], []) if fragment else selectors.list_filter_options(user=request.user)
    return {
        "team_options_html": options_html(team, ""),
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filters_active": filters_active,
        "filter_bar": None if fragment else _filter_bar(filters, state, team, regions, tags),
        "columns": [
            {**state.column(key, label), "optional": optional} for key, label, optional in COLUMNS
        ],
        "can_create": permissions.can_create_client(request.user),
        "can_export": permissions.can_export_clients(request.user),
        "can_reassign": permissions.can_manage_team(request.user),
        "reassign_fields": [
            (name, Client._meta.get_field(name).verbose_name) for name in TEAM_ROLE_FIELDS
        ],
        "export_query": state.querystring(page=None),
    }
