"""A small firm for the client event tests: the delivery tests' two departments and their team,
clients to target (by industry, taxpayer type, region and tag) and an event run by 客服甲."""

from __future__ import annotations

import re
from types import SimpleNamespace

from zhangfang.care.models import ClientEvent
from zhangfang.care.tests.factories import ClientEventFactory
from zhangfang.clients.models import ClientStatus, ClientTag
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.delivery.tests.support import at, make_firm

__all__ = ["at", "event_firm", "link_in"]

#: "Now" in every event test: three weeks before the factory's event (2026-12-10 14:00–16:00).
NOW = at(2026, 11, 20, 10)
STARTED = at(2026, 12, 10, 14, 30)
ENDED = at(2026, 12, 10, 16, 30)


def event_firm() -> SimpleNamespace:
    """``make_firm()`` plus targeting data and an event organised by the customer-service member.

    acme (department 1, IT, 小规模, 南山区, tag 高新企业) has 王经理 with an e-mail address;
    ``beta`` (department 1, IT, 一般纳税人, 福田区) and ``gamma`` (department 2, manufacturing,
    小规模, 南山区, 高新企业) have contacts too; ``dormant`` (IT, terminated) is never invited.
    """
    firm = make_firm()
    s = firm.staff
    firm.contact.email = "wang@acme.example"
    firm.contact.save()
    acme = firm.acme
    acme.taxpayer_type, acme.region = "small", "南山区"
    acme.save()
    firm.hightech = ClientTag.objects.create(name="高新企业")
    acme.tags.add(firm.hightech)
    firm.beta = ClientFactory(
        name="深圳市贝塔商贸有限公司",
        department=firm.d1,
        taxpayer_type="general",
        region="福田区",
        customer_service=s.service,
    )
    # Two contacts, neither primary: the invitation goes to the first by name.
    firm.beta_first = ContactFactory(
        client=firm.beta, name="李四", email="li@beta.example", is_primary=False
    )
    ContactFactory(client=firm.beta, name="赵六", email="zhao@beta.example", is_primary=False)
    firm.gamma = ClientFactory(
        name="东莞市伽马制造有限公司",
        department=firm.d2,
        industry="C",
        taxpayer_type="small",
        region="南山区",
        customer_service=s.outsider,
    )
    firm.gamma.tags.add(firm.hightech)
    firm.gamma_contact = ContactFactory(client=firm.gamma, name="陈总", email="chen@gamma.example")
    firm.dormant = ClientFactory(
        name="已终止客户", department=firm.d1, status=ClientStatus.TERMINATED
    )
    firm.event = ClientEventFactory(
        title="2026 年度汇算清缴培训会", organizer=s.service, capacity=5, speaker="税务丙"
    )
    return firm


def new_event(firm, **kwargs) -> ClientEvent:
    kwargs.setdefault("organizer", firm.staff.service)
    return ClientEventFactory(**kwargs)


def link_in(text: str) -> str:
    """The RSVP path of the link in a message body."""
    match = re.search(r"https?://[^/\s]+(/care/rsvp/[^\s]+/)", text)
    assert match, text
    return match.group(1)
