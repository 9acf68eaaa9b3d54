"""A small firm with complaints whose analysis figures are worked out by hand in the tests.

Two departments: 服务一部 (clients 甲公司, 乙公司; 张会计) and 服务二部 (丙公司; 李会计). The clock
stands at 2026-12-10 10:00 Beijing time; the period most tests read is 2026 Q4.

==== ====== ==== ================ ======== ===================== ===================== =======
no.  client dept category         severity received              closed / status       notes
==== ====== ==== ================ ======== ===================== ===================== =======
C1   甲公司 一部 late_filing      serious  2026-09-30 10:00      2026-10-09 closed     holiday
C2   甲公司 一部 accounting_error minor    2026-10-20 09:00      2026-10-23 closed
C3   甲公司 一部 attitude         critical 2026-11-05 10:00      investigating         overdue
C4   乙公司 一部 late_filing      minor    2026-11-16 09:00      fed_back, late
C5   丙公司 二部 fees             minor    2026-12-01 09:00      2026-12-03 closed     reopened once
C6   丙公司 二部 fees             minor    2026-12-08 09:00      registered
C7   乙公司 一部 other            minor    2026-08-05 09:00      2026-08-10 closed
C8   丙公司 二部 response         minor    2026-09-15 09:00      registered
C9   丙公司 二部 response         serious  2026-10-01 00:30      reopened (closed 10-15)
==== ====== ==== ================ ======== ===================== ===================== =======
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.complaints.models import (
    ComplaintCategory,
    ComplaintStatus,
    RootCause,
    Severity,
)
from zhangfang.complaints.tests.factories import ComplaintFactory
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def closed_complaint(*, received: dt.datetime, closed: dt.datetime, **fields):
    """A complaint handled on time and closed by the client's confirmation."""
    values = {
        "status": ComplaintStatus.CLOSED,
        "handled_at": closed,
        "handled_in_time": True,
        "fed_back_at": closed,
        "closed_at": closed,
        "due_on": received.date() + dt.timedelta(days=7),
        "received_at": received,
        "root_cause": RootCause.PROCESS,
        "corrective_action": "完善流程",
    }
    values.update(fields)
    return ComplaintFactory(**values)


def build_firm() -> SimpleNamespace:
    d1 = DepartmentFactory(name="服务一部")
    d2 = DepartmentFactory(name="服务二部")
    staff = SimpleNamespace(
        admin=UserFactory(username="admin", name="管理员", department=None, roles=["admin"]),
        head1=UserFactory(username="head1", name="主管一", department=d1, roles=["dept_head"]),
        head2=UserFactory(username="head2", name="主管二", department=d2, roles=["dept_head"]),
        acc1=UserFactory(username="acc1", name="张会计", department=d1, roles=["accountant"]),
        acc2=UserFactory(username="acc2", name="李会计", department=d2, roles=["accountant"]),
        service=UserFactory(username="cs", name="客服甲", department=d1, roles=["service"]),
        finance=UserFactory(username="fin", name="财务乙", department=d1, roles=["finance"]),
        sales=UserFactory(username="sales", name="业务丙", department=d1, roles=["sales"]),
    )
    acme = ClientFactory(name="甲公司", department=d1, accountant=staff.acc1)
    beta = ClientFactory(name="乙公司", department=d1, accountant=staff.acc1)
    gamma = ClientFactory(name="丙公司", department=d2, accountant=staff.acc2)
    c = {}
    c[1] = closed_complaint(
        number="TS-C1",
        client=acme,
        category=ComplaintCategory.LATE_FILING,
        severity=Severity.SERIOUS,
        staff_involved=staff.acc1,
        received=at(2026, 9, 30, 10, 0),
        closed=at(2026, 10, 9, 15, 0),
        handled_at=at(2026, 10, 8, 11, 0),
        root_cause=RootCause.PROCESS,
        corrective_action="申报前增加复核",
    )
    c[2] = closed_complaint(
        number="TS-C2",
        client=acme,
        category=ComplaintCategory.ACCOUNTING_ERROR,
        severity=Severity.MINOR,
        staff_involved=staff.acc1,
        received=at(2026, 10, 20, 9, 0),
        closed=at(2026, 10, 23, 17, 0),
        root_cause=RootCause.SKILL,
        corrective_action="组织账务培训",
    )
    c[3] = ComplaintFactory(
        number="TS-C3",
        client=acme,
        category=ComplaintCategory.ATTITUDE,
        severity=Severity.CRITICAL,
        staff_involved=staff.acc1,
        received_at=at(2026, 11, 5, 10, 0),
        due_on=dt.date(2026, 11, 12),
        status=ComplaintStatus.INVESTIGATING,
    )
    c[4] = ComplaintFactory(
        number="TS-C4",
        client=beta,
        category=ComplaintCategory.LATE_FILING,
        severity=Severity.MINOR,
        staff_involved=staff.acc1,
        received_at=at(2026, 11, 16, 9, 0),
        due_on=dt.date(2026, 11, 23),
        status=ComplaintStatus.FED_BACK,
        handled_at=at(2026, 11, 25, 9, 0),
        handled_in_time=False,
        fed_back_at=at(2026, 11, 25, 10, 0),
    )
    c[5] = closed_complaint(
        number="TS-C5",
        client=gamma,
        category=ComplaintCategory.FEES,
        severity=Severity.MINOR,
        staff_involved=staff.acc2,
        received=at(2026, 12, 1, 9, 0),
        closed=at(2026, 12, 3, 10, 0),
        reopen_count=1,
        root_cause=RootCause.COMMUNICATION,
        corrective_action="收费前书面确认服务范围",
    )
    c[6] = ComplaintFactory(
        number="TS-C6",
        client=gamma,
        category=ComplaintCategory.FEES,
        received_at=at(2026, 12, 8, 9, 0),
        due_on=dt.date(2026, 12, 15),
    )
    c[7] = closed_complaint(
        number="TS-C7",
        client=beta,
        category=ComplaintCategory.OTHER,
        received=at(2026, 8, 5, 9, 0),
        closed=at(2026, 8, 10, 9, 0),
    )
    c[8] = ComplaintFactory(
        number="TS-C8",
        client=gamma,
        category=ComplaintCategory.RESPONSE,
        received_at=at(2026, 9, 15, 9, 0),
        due_on=dt.date(2026, 9, 22),
    )
    c[9] = ComplaintFactory(
        number="TS-C9",
        client=gamma,
        category=ComplaintCategory.RESPONSE,
        severity=Severity.SERIOUS,
        staff_involved=staff.acc2,
        received_at=at(2026, 10, 1, 0, 30),
        due_on=dt.date(2026, 10, 12),
        status=ComplaintStatus.REOPENED,
        handled_at=at(2026, 10, 12, 9, 0),
        handled_in_time=True,
        closed_at=at(2026, 10, 15, 9, 0),
        reopen_count=1,
        root_cause=RootCause.WORKLOAD,
        corrective_action="调整人手",
    )
    return SimpleNamespace(d1=d1, d2=d2, staff=staff, acme=acme, beta=beta, gamma=gamma, c=c)
