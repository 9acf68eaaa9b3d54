"""The demo firm's complaints over the last year: mostly handled within the working-day limit and
closed with a root cause and corrective action, a few late, one client complaining twice, and the
latest ones still open — one of them past its deadline and escalated.

Rows are written in bulk (the benchmark's firm has 10,000 clients) with the rules the services
enforce: the due date is counted in working days from receipt, every state reached has its
timeline step, ``handled_in_time`` compares the first resolution with the due date, and a closed
complaint carries its root cause and corrective action.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhangfang.clients.models import Client, ClientStatus, Contact
from zhangfang.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    ComplaintStep,
    RootCause,
    Severity,
)
from zhangfang.core import policy
from zhangfang.core.calendar import add_working_days, is_working_day
from zhangfang.staff.models import User
from zhangfang.staff.selectors import first_head_by_department

BATCH_SIZE = 2000

#: What clients complain about, with the matter, the likely root cause and the corrective action.
_CASES = {
    ComplaintCategory.LATE_FILING: (
        "九月增值税未在征期内申报，产生滞纳金。",
        RootCause.WORKLOAD,
        "调整该组客户分配，征期前三个工作日由部门负责人复核未申报清单。",
    ),
    ComplaintCategory.ACCOUNTING_ERROR: (
        "利润表费用科目归集错误，影响贷款资料。",
        RootCause.SKILL,
        "更正凭证并重出报表；对记账会计进行费用归集专项培训。",
    ),
    ComplaintCategory.RESPONSE: (
        "咨询开票问题两天无人回复。",
        RootCause.COMMUNICATION,
        "明确客服首问负责，需求登记后按时限响应并在系统中跟踪。",
    ),
    ComplaintCategory.ATTITUDE: (
        "客服电话沟通时态度生硬。",
        RootCause.ATTITUDE,
        "当面致歉；客服组开展服务规范培训并纳入月度考核。",
    ),
    ComplaintCategory.FEES: (
        "对账单中多收一个月代账费。",
        RootCause.PROCESS,
        "退还多收费用；账单生成前增加合同期限核对。",
    ),
    ComplaintCategory.CONFIDENTIALITY: (
        "报表误发至其他公司邮箱。",
        RootCause.PROCESS,
        "立即追回并致歉；发送报表改为从客户档案选取联系人邮箱，禁止手工输入。",
    ),
}
_CATEGORY_WEIGHTS = [
    (ComplaintCategory.LATE_FILING, 30),
    (ComplaintCategory.ACCOUNTING_ERROR, 25),
    (ComplaintCategory.RESPONSE, 20),
    (ComplaintCategory.ATTITUDE, 12),
    (ComplaintCategory.FEES, 10),
    (ComplaintCategory.CONFIDENTIALITY, 3),
]
#: Who did the work a category is about (for the analysis by person).
_INVOLVED = {
    ComplaintCategory.LATE_FILING: "tax_specialist_id",
    ComplaintCategory.ACCOUNTING_ERROR: "accountant_id",
    ComplaintCategory.RESPONSE: "customer_service_id",
    ComplaintCategory.ATTITUDE: "customer_service_id",
    ComplaintCategory.FEES: None,
    ComplaintCategory.CONFIDENTIALITY: "accountant_id",
}


def _weighted(rng: random.Random, pairs: list[tuple]):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _at(day: dt.date, rng: random.Random, hour: int | None = None) -> dt.datetime:
    local = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(
        day,
        dt.time(hour if hour is not None else 9 + rng.randrange(8), rng.randrange(60)),
        tzinfo=local,
    )


def _working_day_on_or_before(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


@transaction.atomic
def build_demo_complaints(
    *,
    per_hundred_clients: int = 12,
    seed: int = 2026,
    today: dt.date | None = None,
    stdout: IO[str] | None = None,
) -> dict[str, int]:
    """About ``per_hundred_clients`` complaints a year per 100 clients in service, spread over the
    last 12 months; does nothing when complaints exist. Returns counts."""
    if Complaint.objects.exists():
        return {}
    rng = random.Random(seed)
    today = today or timezone.localdate()
    clients = list(
        Client.objects.filter(status=ClientStatus.ACTIVE)
        .exclude(department=None)
        .only("pk", "department_id", "accountant_id", "tax_specialist_id", "customer_service_id")
        .order_by("pk")
    )
    if not clients:
        return {}
    contacts = {}
    for contact in Contact.objects.filter(is_primary=True).only(
        "pk", "client_id", "name", "mobile"
    ):
        contacts.setdefault(contact.client_id, contact)
    heads = first_head_by_department()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    days = policy.get("complaints.handling_days")
    total = max(3, len(clients) * per_hundred_clients // 100)
    chosen = [rng.choice(clients) for _ in range(total)]
    # One client complains twice in the year: what the repeat-complaint analysis looks for.
    chosen.append(chosen[0])
    complaints, plans = [], []
    for index, client in enumerate(chosen):
        back = rng.randrange(2, 360) if index < len(chosen) - 4 else rng.randrange(0, 8)
        if index == len(chosen) - 1:
            back = 40
        received_on = _working_day_on_or_before(today - dt.timedelta(days=back))
        received_at = _at(received_on, rng)
        if received_at > timezone.now():
            received_at = timezone.now() - dt.timedelta(minutes=30)
        category = _weighted(rng, _CATEGORY_WEIGHTS)
        matter, cause, action = _CASES[category]
        contact = contacts.get(client.pk)
        involved_field = _INVOLVED[category]
        complaint = Complaint(
            number="",
            client_id=client.pk,
            contact=contact,
            contact_name=contact.name if contact else "财务负责人",
            contact_phone=(contact.mobile if contact and contact.mobile else "+8613800138000"),
            channel=_weighted(
                rng,
                [
                    (ComplaintChannel.PHONE, 50),
                    (ComplaintChannel.WECHAT, 30),
                    (ComplaintChannel.RETURN_VISIT, 12),
                    (ComplaintChannel.VISIT, 8),
                ],
            ),
            category=category,
            severity=_weighted(
                rng, [(Severity.MINOR, 65), (Severity.SERIOUS, 28), (Severity.CRITICAL, 7)]
            ),
            matter=matter,
            client_request="尽快处理并说明原因。",
            received_at=received_at,
            registered_by_id=client.customer_service_id,
            staff_involved_id=getattr(client, involved_field) if involved_field else None,
            department_id=client.department_id,
            handler=heads.get(client.department_id) or admin,
            due_on=add_working_days(received_on, days),
        )
        complaints.append(complaint)
        plans.append((complaint, cause, action, back))
    # Numbers follow the order of receipt within each year.
    complaints.sort(key=lambda c: c.received_at)
    serials: dict[int, int] = {}
    for complaint in complaints:
        year = timezone.localtime(complaint.received_at).year
        serials[year] = serials.get(year, 0) + 1
        complaint.number = f"TS{year}-{serials[year]:04d}"
    steps = []
    counts = {"complaints": len(complaints), "open": 0, "late": 0}
    for complaint, cause, action, _back in plans:
        steps += _play(complaint, cause, action, today, rng, counts, admin)
    Complaint.objects.bulk_create(complaints, batch_size=BATCH_SIZE)
    for step in steps:
        step.complaint_id = step.complaint.pk
    ComplaintStep.objects.bulk_create(steps, batch_size=BATCH_SIZE)
    # The numbering series continue after the demo's numbers.
    from zhangfang.core.models import NumberSequence

    for year, last in serials.items():
        NumberSequence.objects.update_or_create(key=f"TS:{year}", defaults={"last_value": last})
    if stdout is not None:
        stdout.write(
            f"客户投诉：{counts['complaints']} 件（处理中 {counts['open']} 件，"
            f"超期处理 {counts['late']} 件）"
        )
    return counts


def _play(complaint, cause, action, today, rng, counts, admin) -> list[ComplaintStep]:
    """Move one complaint through its states up to ``today``; returns its timeline steps."""
    received_on = timezone.localtime(complaint.received_at).date()
    steps = [
        ComplaintStep(
            complaint=complaint,
            action="register",
            to_status=ComplaintStatus.REGISTERED,
            note=complaint.matter,
            by_id=complaint.registered_by_id,
            at=complaint.received_at,
        )
    ]
    late = rng.random() < 0.12
    start_on = add_working_days(received_on, 1)
    if late:
        handled_on = add_working_days(complaint.due_on, rng.randrange(1, 4))
    else:
        handled_on = min(add_working_days(start_on, rng.randrange(0, 4)), complaint.due_on)
    fed_back_on = add_working_days(handled_on, 1)
    closed_on = add_working_days(fed_back_on, rng.randrange(1, 4))
    handler_id = complaint.handler.pk if complaint.handler else None

    def step(action_code, before, after, day, by_id, note=""):
        moment = _at(day, rng)
        steps.append(
            ComplaintStep(
                complaint=complaint,
                action=action_code,
                from_status=before,
                to_status=after,
                note=note,
                by_id=by_id,
                at=moment,
            )
        )
        return moment

    if start_on > today:
        counts["open"] += 1
        return steps
    step(
        "start",
        ComplaintStatus.REGISTERED,
        ComplaintStatus.INVESTIGATING,
        start_on,
        handler_id,
        "已联系客户了解情况，调取相关凭证和沟通记录。",
    )
    complaint.status = ComplaintStatus.INVESTIGATING
    complaint.investigation = "经核查，投诉情况属实。"
    if handled_on >= today:
        counts["open"] += 1
        if complaint.due_on < today:
            # Past the deadline and still open: escalated to the firm's management.
            complaint.escalation_level = 1
            complaint.escalated_at = _at(add_working_days(complaint.due_on, 1), rng, hour=9)
            steps.append(
                ComplaintStep(
                    complaint=complaint,
                    action="escalate",
                    note="超过处理期限，已上报公司管理层。",
                    by_id=None,
                    at=complaint.escalated_at,
                )
            )
        return steps
    complaint.handled_at = step(
        "handle",
        ComplaintStatus.INVESTIGATING,
        ComplaintStatus.HANDLED,
        handled_on,
        handler_id,
        "已处理并将结果反馈客服。",
    )
    complaint.status = ComplaintStatus.HANDLED
    complaint.resolution = action.split("；")[0]
    complaint.handled_in_time = handled_on <= complaint.due_on
    counts["late"] += 0 if complaint.handled_in_time else 1
    complaint.root_cause = cause
    complaint.corrective_action = action
    if fed_back_on >= today:
        counts["open"] += 1
        return steps
    complaint.fed_back_at = step(
        "feed_back",
        ComplaintStatus.HANDLED,
        ComplaintStatus.FED_BACK,
        fed_back_on,
        complaint.registered_by_id,
        "电话告知客户处理结果。",
    )
    complaint.status = ComplaintStatus.FED_BACK
    complaint.feedback = "已电话告知客户处理结果及改进措施。"
    if closed_on >= today:
        counts["open"] += 1
        return steps
    complaint.closed_at = step(
        "close",
        ComplaintStatus.FED_BACK,
        ComplaintStatus.CLOSED,
        closed_on,
        complaint.registered_by_id,
        "客户表示认可。",
    )
    complaint.status = ComplaintStatus.CLOSED
    complaint.client_confirmation = "客户电话确认认可处理结果。"
    return steps
