"""The daily job: activation on the start date, expiry after the end date, renewal reminders
within the notice period (a policy setting), all idempotent; and the management command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.contracts.models import ContractStatus
from zhangfang.contracts.services import contracts as services
from zhangfang.contracts.tests.contracts_support import (
    END,
    NOW,
    START,
    accepted_version,
    contract_in,
    make_firm,
    scan,
)
from zhangfang.core import policy
from zhangfang.notifications.models import Notification

pytestmark = pytest.mark.django_db

S = ContractStatus
SHANGHAI = NOW.tzinfo


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def firm():
    return make_firm()


def at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 6, 0, tzinfo=SHANGHAI)


def reminders() -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(title__contains="即将到期").values_list(
            "recipient__username", "dedupe_key"
        )
    )


def test_signed_contract_becomes_active_on_its_start_date(firm, _clock):
    contract = contract_in(firm, S.SIGNED)
    _clock.move_to(at(START - dt.timedelta(days=1)))
    assert services.contracts_daily()["activated"] == 0
    contract.refresh_from_db()
    assert contract.status == S.SIGNED
    _clock.move_to(at(START))
    assert services.contracts_daily()["activated"] == 1
    contract.refresh_from_db()
    assert contract.status == S.ACTIVE
    # Running again the same day changes nothing.
    assert services.contracts_daily() == {"activated": 0, "expired": 0, "reminded": 0}


def test_activation_puts_a_prospect_client_in_service(firm, _clock):
    prospect = ClientFactory(status=ClientStatus.PROSPECT, department=firm.d1)
    version = accepted_version(firm, client=prospect)
    contract = services.contract_draft(
        plan_version=version, template=firm.template, by=firm.staff.sales1
    )
    services.contract_submit(contract=contract, by=firm.staff.sales1)
    services.contract_approve(contract=contract, by=firm.staff.head1)
    services.contract_sign(
        contract=contract, signed_on=NOW.date(), scan=scan(), by=firm.staff.sales1
    )
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.PROSPECT
    _clock.move_to(at(START))
    services.contracts_daily()
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.ACTIVE


def test_contract_expires_the_day_after_its_end(firm, _clock):
    contract = contract_in(firm, S.ACTIVE)
    _clock.move_to(at(END))
    assert services.contracts_daily()["expired"] == 0
    _clock.move_to(at(END + dt.timedelta(days=1)))
    assert services.contracts_daily()["expired"] == 1
    contract.refresh_from_db()
    assert contract.status == S.EXPIRED
    assert services.contracts_daily()["expired"] == 0


def test_a_late_run_activates_and_expires_in_one_go(firm, _clock):
    contract = contract_in(firm, S.SIGNED)
    _clock.move_to(at(END + dt.timedelta(days=3)))
    assert services.contracts_daily()["activated"] == 1
    contract.refresh_from_db()
    assert contract.status == S.EXPIRED


def test_renewal_reminder_once_within_the_notice_period(firm, _clock):
    contract = contract_in(firm, S.ACTIVE)
    _clock.move_to(at(END - dt.timedelta(days=31)))
    assert services.contracts_daily()["reminded"] == 0
    _clock.move_to(at(END - dt.timedelta(days=30)))
    assert services.contracts_daily()["reminded"] == 1
    key = f"contract-renewal:{contract.pk}:{END.isoformat()}"
    assert reminders() == [("cs1", key), ("sales1", key)]
    note = Notification.objects.filter(recipient=firm.staff.sales1).latest("id")
    assert "30 天后到期" in note.title
    assert note.url == f"/contracts/{contract.pk}/"
    # The next days (and a second run the same day) send nothing new.
    assert services.contracts_daily()["reminded"] == 0
    _clock.move_to(at(END - dt.timedelta(days=10)))
    assert services.contracts_daily()["reminded"] == 0
    assert len(reminders()) == 2


def test_no_reminder_once_a_renewal_is_drafted(firm, _clock):
    contract = contract_in(firm, S.ACTIVE)
    services.contract_renew(contract=contract, by=firm.staff.sales1)
    _clock.move_to(at(END - dt.timedelta(days=5)))
    assert services.contracts_daily()["reminded"] == 0
    assert reminders() == []


def test_a_terminated_renewal_does_not_silence_the_reminder(firm, _clock):
    contract = contract_in(firm, S.ACTIVE)
    renewal = services.contract_renew(contract=contract, by=firm.staff.sales1)
    renewal.status = S.TERMINATED  # a dead renewal, however it ended
    renewal.save()
    _clock.move_to(at(END - dt.timedelta(days=5)))
    assert services.contracts_daily()["reminded"] == 1


def test_notice_period_is_the_administrators_setting(firm, _clock):
    contract_in(firm, S.ACTIVE)
    policy.policy_value_set(key="contracts.renewal_notice_days", raw="60", by=firm.staff.admin)
    _clock.move_to(at(END - dt.timedelta(days=60)))
    assert services.contracts_daily()["reminded"] == 1


def test_command_with_a_date(firm):
    contract = contract_in(firm, S.SIGNED)
    out = StringIO()
    call_command("contracts_daily", "--date", START.isoformat(), stdout=out)
    assert "activated 1" in out.getvalue()
    contract.refresh_from_db()
    assert contract.status == S.ACTIVE
    out = StringIO()
    call_command("contracts_daily", "--date", START.isoformat(), stdout=out)
    assert "activated 0, expired 0" in out.getvalue()


def test_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date"):
        call_command("contracts_daily", "--date", "2027/01/01")
