"""The demo firm's work in progress: service plans and contracts at every step, so each role sees
something to do on its first login (a plan waiting for the client, a client who asked for
changes, a contract waiting for the department head's approval, one sent back).

Written through the services, as staff would, so the history and notifications are real.
"""

from __future__ import annotations

import datetime as dt
from typing import IO

from django.utils import timezone

from zhangfang.clients.models import Client, ClientStatus
from zhangfang.contracts.models import ContractTemplate, FeeItem, FeeKind, PaymentTerm
from zhangfang.contracts.services.contracts import (
    contract_draft,
    contract_return,
    contract_submit,
)
from zhangfang.contracts.services.plans import (
    PlanTerms,
    plan_create,
    plan_respond,
    plan_send,
)
from zhangfang.core.roles import Role
from zhangfang.staff.models import User

CONTENT = "代理记账、纳税申报（增值税及附加、个人所得税、企业所得税）、财务报表编制与报送、工商年报"
PROCESS = (
    "每月 5 日前收取票据并签收交接清单；15 日前完成记账、审核与申报；"
    "申报后 3 日内告知税款并寄送报表"
)
STANDARD = "按《代理记账管理办法》和《代理记账基础工作规范》执行；凭证、账簿、报表按月装订归档"

#: (what happens, the client's answer or comment)
STEPS = [
    ("draft", ""),
    ("sent", ""),
    ("changes", "建账费能否减免？另外希望每月 10 日前告知税款。"),
    ("accepted_pending_review", ""),
    ("accepted_returned", ""),
]


def build_demo_contract_workflow(*, today: dt.date | None = None, stdout: IO[str] | None = None):
    """Plans and contracts in progress for prospect clients; does nothing if any plan exists."""
    from zhangfang.contracts.models import ServicePlan

    if ServicePlan.objects.exists():
        return 0
    today = today or timezone.localdate()
    template = ContractTemplate.objects.filter(is_default=True).first()
    terms = {t.cycle: t for t in PaymentTerm.objects.filter(is_active=True).order_by("-sort_order")}
    addons = list(FeeItem.objects.filter(kind=FeeKind.ADDON, is_active=True)[:1])
    made = 0
    prospects = Client.objects.filter(
        status=ClientStatus.PROSPECT, sales_owner__isnull=False, department__isnull=False
    ).select_related("sales_owner", "department")[: len(STEPS)]
    for (step, comment), acme in zip(STEPS, prospects, strict=False):
        owner = acme.sales_owner
        head = (
            User.objects.filter(department=acme.department, groups__name=Role.DEPARTMENT_HEAD)
            .order_by("id")
            .first()
        )
        plan = plan_create(
            client=acme,
            title=f"{acme.short_name or acme.name} 代理记账服务方案",
            terms=PlanTerms(
                content=CONTENT,
                process=PROCESS,
                standard=STANDARD,
                start_date=(today.replace(day=1) + dt.timedelta(days=32)).replace(day=1),
                term_months=12,
                taxpayer_type=acme.taxpayer_type,
                industry=acme.industry,
                monthly_vouchers=60,
                payment_term=terms.get("quarterly") or next(iter(terms.values())),
                addons=addons,
                include_setup=True,
            ),
            by=owner,
        )
        made += 1
        if step == "draft":
            continue
        plan_send(plan=plan, by=owner)
        version = plan.versions.order_by("-number").first()
        if step == "sent":
            continue
        if step == "changes":
            plan_respond(
                version=version, response="changes", comment=comment, responder_name="李总"
            )
            continue
        version = plan_respond(
            version=version, response="accepted", comment="", responder_name="王总"
        )
        contract = contract_draft(plan_version=version, template=template, by=owner)
        contract_submit(contract=contract, by=owner)
        if step == "accepted_returned" and head is not None:
            contract_return(
                contract=contract,
                comment="付款期限请改为开单后 15 日；违约责任条款请按标准版。",
                by=head,
            )
    if stdout is not None:
        stdout.write(f"合同流程演示数据：服务方案 {made} 份\n")
    return made
