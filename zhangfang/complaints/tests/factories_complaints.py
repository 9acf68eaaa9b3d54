"""A small firm for the complaint register's tests, and helpers that go through the services."""

from __future__ import annotations

from types import SimpleNamespace

from zhangfang.complaints.models import Complaint, ComplaintCategory, ComplaintChannel, Severity
from zhangfang.complaints.services import complaints as services
from zhangfang.delivery.tests.support import SHANGHAI, at, make_firm
from zhangfang.staff.tests.factories import UserFactory

__all__ = ["SHANGHAI", "at", "complaint_data", "make_complaint_firm", "register"]


def make_complaint_firm() -> SimpleNamespace:
    """Delivery's firm (two departments, their heads, the client 顶峰 of 服务一部 with its
    customer service 客服甲) plus an accountant of 服务二部 who has nothing to do with it."""
    firm = make_firm()
    firm.staff.stranger = UserFactory(
        username="acc2", name="会计辛", department=firm.d2, roles=["accountant"]
    )
    return firm


def complaint_data(**overrides) -> dict:
    data = {
        "channel": ComplaintChannel.PHONE,
        "category": ComplaintCategory.LATE_FILING,
        "severity": Severity.SERIOUS,
        "matter": "十月增值税申报逾期，产生滞纳金。",
        "client_request": "承担滞纳金并说明原因。",
        "contact_name": "王经理",
        "contact_phone": "13800138000",
    }
    data.update(overrides)
    return data


def register(firm, *, by=None, client=None, **overrides) -> Complaint:
    return services.complaint_register(
        client=client or firm.acme, data=complaint_data(**overrides), by=by or firm.staff.service
    )


def handled(firm, complaint: Complaint, **extra) -> Complaint:
    """Take a registered complaint through investigation to 已处理 as its handler."""
    head = firm.staff.head
    complaint = services.complaint_start(complaint=complaint, note="核查中", by=head)
    return services.complaint_handle(
        complaint=complaint,
        investigation=extra.pop("investigation", "会计漏报。"),
        resolution=extra.pop("resolution", "补报并由公司承担滞纳金。"),
        by=head,
        **extra,
    )


def fed_back(firm, complaint: Complaint) -> Complaint:
    complaint = handled(firm, complaint)
    return services.complaint_feed_back(
        complaint=complaint, feedback="已电话告知王经理。", by=firm.staff.service
    )
