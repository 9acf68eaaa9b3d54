"""Overdue notices (policy 三（四）3: fees are collected in time and in full).

Each open bill that is past its due date by at least the grace days of the policy setting
``billing.overdue_grace_days`` is brought to the client's customer-service member and sales owner,
once per bill and person: the notification's ``dedupe_key`` names the bill, so the daily job can
run any number of times (or overlap a retry) without sending a message twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from zhangfang.billing.models import Bill
from zhangfang.billing.selectors.receivables import days_overdue, overdue_bills
from zhangfang.core import policy
from zhangfang.core.money import format_rmb
from zhangfang.notifications.models import Notification
from zhangfang.notifications.services import notify

GRACE_DAYS_KEY = "billing.overdue_grace_days"
#: Bills looked at per round trip when checking who was told already.
CHUNK = 500


def overdue_dedupe_key(bill: Bill) -> str:
    return f"bill-overdue:{bill.pk}"


@transaction.atomic
def overdue_bills_notify(*, on: dt.date, url_for: Callable[[Bill], str]) -> int:
    """Notify the customer-service member and the sales owner of every bill overdue on ``on``
    by at least the policy's grace days (and at least one day), once per bill; returns how many
    messages were sent. ``url_for`` gives the bill's page. Idempotent."""
    grace = policy.get(GRACE_DAYS_KEY)
    bills = list(overdue_bills(on=on, min_days=max(grace, 1)))
    sent = 0
    for start in range(0, len(bills), CHUNK):
        chunk = bills[start : start + CHUNK]
        # Who already has each bill's notice: one query per chunk instead of one per person.
        told = set(
            Notification.objects.filter(
                dedupe_key__in=[overdue_dedupe_key(b) for b in chunk]
            ).values_list("recipient_id", "dedupe_key")
        )
        for bill in chunk:
            key = overdue_dedupe_key(bill)
            recipients = [
                person
                for person in (bill.client.customer_service, bill.client.sales_owner)
                if person is not None and person.is_active and (person.pk, key) not in told
            ]
            if not recipients:
                continue
            days = days_overdue(bill.due_on, on)
            values = {
                "client": bill.client.name,
                "number": bill.number,
                "amount": format_rmb(bill.outstanding),
                "days": days,
                "due": bill.due_on.isoformat(),
            }
            sent += len(
                notify(
                    recipients=recipients,
                    title=_("账单逾期：%(client)s %(number)s 欠 %(amount)s，已逾期 %(days)s 天")
                    % values,
                    body=_(
                        "客户“%(client)s”的账单 %(number)s 付款期限为 %(due)s，"
                        "尚欠 %(amount)s，已逾期 %(days)s 天。请及时联系客户催收。"
                    )
                    % values,
                    url=url_for(bill),
                    dedupe_key=key,
                )
            )
    return sent
