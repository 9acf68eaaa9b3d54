"""What the client list page shows: the filters read from the URL, the page of rows, the options."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhangfang.clients import permissions, selectors
from zhangfang.clients.models import ClientStatus, ImportanceTier, Industry, TaxpayerType
from zhangfang.core.listing import ListState

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
        )


COLUMNS = [
    ("name", _("客户名称")),
    ("", _("统一社会信用代码")),
    ("status", _("状态")),
    ("taxpayer_type", _("纳税人类型")),
    ("industry", _("行业")),
    ("tier", _("重要程度")),
    ("", _("主办会计")),
    ("", _("服务部门")),
    ("updated", _("更新时间")),
]


def filtered_clients(request):
    """The list's state, filters and queryset as the URL describes them (page and export)."""
    state = ListState.from_request(request, sorts=selectors.CLIENT_SORTS, default_sort="name")
    filters = ClientFilterForm(request.GET).filters()
    queryset = selectors.client_list(user=request.user, filters=filters, sort=state.sort)
    return state, filters, queryset


def client_list_context(request) -> dict:
    state, filters, queryset = filtered_clients(request)
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    selected = {
        "status": filters.status,
        "taxpayer_type": filters.taxpayer_type,
        "industry": filters.industry,
        "tier": filters.tier,
        "staff": str(filters.staff or ""),
        "department": str(filters.department or ""),
    }
    option_lists = [
        ("status", _("状态"), ClientStatus.choices),
        ("taxpayer_type", _("纳税人类型"), TaxpayerType.choices),
        ("industry", _("行业"), Industry.choices),
        ("tier", _("重要程度"), ImportanceTier.choices),
        ("staff", _("服务人员"), selectors.team_member_options()),
        ("department", _("部门"), selectors.department_options()),
    ]
    selects = [
        {
            "name": name,
            "label": label,
            "options": [
                {"value": str(value), "label": text, "selected": str(value) == selected[name]}
                for value, text in options
            ],
        }
        for name, label, options in option_lists
    ]
    return {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filters_active": any(selected.values()) or bool(filters.q),
        "selects": selects,
        "columns": [state.column(key, label) for key, label in COLUMNS],
        "can_create": permissions.can_create_client(request.user),
        "can_export": permissions.can_export_clients(request.user),
        "export_query": state.querystring(page=None),
    }
