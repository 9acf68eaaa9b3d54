"""The client list as an Excel file, with the same filters and order as the page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhangfang.core.validators import format_mobile

COLUMNS = [
    (_("客户名称"), lambda c: c.name),
    (_("简称"), lambda c: c.short_name),
    (_("统一社会信用代码"), lambda c: c.uscc or ""),
    (_("状态"), lambda c: c.get_status_display()),
    (_("纳税人类型"), lambda c: c.get_taxpayer_type_display()),
    (_("行业"), lambda c: c.get_industry_display()),
    (_("重要程度"), lambda c: c.get_tier_display()),
    (_("法定代表人"), lambda c: c.legal_representative),
    (_("公司电话"), lambda c: c.phone),
    (_("经营地址"), lambda c: c.address),
    (_("所在区域"), lambda c: c.region),
    # Prefetched by selectors.with_tags: no query per row.
    (_("标签"), lambda c: "、".join(tag.name for tag in c.tags.all())),
    (_("服务部门"), lambda c: c.department or ""),
    (_("业务负责人"), lambda c: c.sales_owner or ""),
    (_("主办会计"), lambda c: c.accountant or ""),
    (_("税务专员"), lambda c: c.tax_specialist or ""),
    (_("客服专员"), lambda c: c.customer_service or ""),
    (_("主要联系人"), lambda c: c.primary_contact_name or ""),
    (_("联系人手机"), lambda c: format_mobile(c.primary_contact_mobile or "")),
    (_("更新时间"), lambda c: c.updated_at),
]


def client_rows(clients):
    """Rows of the export; sensitive fields (bank account, ID numbers) are never exported."""
    for acme in clients:
        yield [value(acme) for _label, value in COLUMNS]


def headers() -> list[str]:
    return [str(label) for label, _value in COLUMNS]
