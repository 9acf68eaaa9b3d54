"""The client page's 服务工作 tab and the service scope editor: who may edit, the audit, a stale
edit refused, and the next generation following the new scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import Filing, ServiceScope, WorkItem, WorkStatus, WorkStep
from zhangfang.delivery.services import scope as services
from zhangfang.delivery.services import work as work_services
from zhangfang.delivery.services.generation import work_generate
from zhangfang.delivery.tests.support import at, make_firm

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 12, 3, 10, 0), tick=False):
        yield


@pytest.fixture
def firm():
    return make_firm()


def edit_url(firm) -> str:
    return reverse("delivery:service_scope_edit", args=[firm.acme.pk])


def tab_url(firm) -> str:
    return reverse("clients:tab", args=[firm.acme.pk, "work"])


def scope_post(version: int, **on) -> dict:
    fields = {
        "bookkeeping": True,
        "vat": True,
        "individual_income_tax": True,
        "corporate_income_tax": True,
        "stamp_duty": True,
        "financial_statements": True,
        "annual_settlement": True,
        "annual_report": True,
        "annual_iit": False,
    }
    fields.update(on)
    data = {name: "on" for name, value in fields.items() if value}
    data["version"] = str(version)
    return data


# ---------------------------------------------------------------------------------------------
# Service
# ---------------------------------------------------------------------------------------------


def test_first_save_creates_the_scope_and_the_next_generation_follows_it(firm):
    work_generate(period=NOV)
    assert WorkItem.objects.filter(
        client=firm.acme, period=NOV, step=WorkStep.FILING, filing=Filing.INDIVIDUAL_INCOME_TAX
    ).exists()
    services.service_scope_update(
        client=firm.acme,
        data={"individual_income_tax": False, "bookkeeping": False},
        expected_version=0,
        by=firm.staff.accountant,
    )
    scope = ServiceScope.objects.get(client=firm.acme)
    assert scope.version == 1 and scope.updated_by == firm.staff.accountant
    assert not scope.individual_income_tax and scope.vat
    event = AuditEvent.objects.get(object_type="delivery.servicescope")
    assert event.action == "create" and event.anchor_id == str(firm.acme.pk)
    assert event.changes["individual_income_tax"] == [True, False]
    work_generate(period=DEC)
    dec = WorkItem.objects.filter(client=firm.acme, period=DEC)
    assert not dec.filter(filing=Filing.INDIVIDUAL_INCOME_TAX).exists()
    assert not dec.filter(step=WorkStep.RECEIPTS).exists()
    assert dec.filter(filing=Filing.VAT).exists()  # quarter end, small taxpayer
    # The period already generated is left as it was.
    assert (
        WorkItem.objects.filter(client=firm.acme, period=NOV, filing=Filing.INDIVIDUAL_INCOME_TAX)
        .exclude(status=WorkStatus.CANCELLED)
        .exists()
    )


def test_a_stale_edit_is_refused_and_changes_nothing(firm):
    services.service_scope_update(
        client=firm.acme, data={"vat": False}, expected_version=0, by=firm.staff.accountant
    )
    with pytest.raises(ConcurrentEditError):
        services.service_scope_update(
            client=firm.acme, data={"stamp_duty": False}, expected_version=0, by=firm.staff.head
        )
    services.service_scope_update(
        client=firm.acme, data={"annual_iit": True}, expected_version=1, by=firm.staff.head
    )
    with pytest.raises(ConcurrentEditError):
        services.service_scope_update(
            client=firm.acme, data={"stamp_duty": False}, expected_version=1, by=firm.staff.head
        )
    scope = ServiceScope.objects.get(client=firm.acme)
    assert scope.version == 2 and scope.stamp_duty and scope.annual_iit and not scope.vat
    update = AuditEvent.objects.get(object_type="delivery.servicescope", action="update")
    assert update.changes == {"annual_iit": [False, True]}


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("accountant", True),
        ("head", True),
        ("admin", True),
        ("tax", False),
        ("service", False),
        ("head2", False),
    ],
)
def test_who_may_edit_the_scope(firm, who, allowed):
    user = getattr(firm.staff, who)
    assert services.can_edit_scope(user, firm.acme) is allowed
    if not allowed:
        with pytest.raises(DomainError):
            services.service_scope_update(
                client=firm.acme, data={"vat": False}, expected_version=0, by=user
            )


# ---------------------------------------------------------------------------------------------
# The tab
# ---------------------------------------------------------------------------------------------


def test_the_tab_shows_the_periods_and_the_scope(client, firm):
    work_generate(period=OCT)
    work_generate(period=NOV)
    bookkeeping = WorkItem.objects.get(client=firm.acme, period=NOV, step=WorkStep.BOOKKEEPING)
    work_services.work_complete(item=bookkeeping, by=firm.staff.accountant)
    client.force_login(firm.staff.accountant)
    response = client.get(tab_url(firm))
    assert response.status_code == 200
    html = response.text
    assert "服务工作" in html and "2026-11" in html and "2026-10" in html
    nov_total = WorkItem.objects.filter(client=firm.acme, period=NOV).count()
    assert f"1/{nov_total}" in html
    assert "/delivery/work/?period=2026-11&amp;q=" in html
    # October's work is all past its deadline on 2026-12-03.
    oct_total = WorkItem.objects.filter(client=firm.acme, period=OCT).count()
    oct_overdue = WorkItem.objects.filter(
        client=firm.acme, period=OCT, due_on__lt=dt.date(2026, 12, 3)
    ).count()
    assert oct_overdue > 0 and f'text-bg-danger">{oct_overdue}<' in html
    assert f"0/{oct_total}" in html
    assert "代理记账" in html and "个税汇算协助" in html and "尚未设置" in html
    assert edit_url(firm) in html


def test_the_tab_on_the_client_page_and_its_query_count(
    client, firm, django_assert_max_num_queries
):
    for period in (OCT, NOV, DEC):
        work_generate(period=period)
    client.force_login(firm.staff.accountant)
    url = reverse("clients:detail", args=[firm.acme.pk]) + "?tab=work"
    with django_assert_max_num_queries(25):
        response = client.get(url)
    assert response.status_code == 200 and "2026-12" in response.text


def test_the_edit_link_is_only_for_editors(client, firm):
    client.force_login(firm.staff.service)
    assert edit_url(firm) not in client.get(tab_url(firm)).text
    assert client.get(edit_url(firm)).status_code == 403
    assert client.post(edit_url(firm), scope_post(0, vat=False)).status_code == 403
    client.force_login(firm.staff.outsider)
    assert client.get(edit_url(firm)).status_code == 404
    client.force_login(firm.staff.head2)
    assert client.get(edit_url(firm)).status_code == 404
    assert not ServiceScope.objects.exists()


# ---------------------------------------------------------------------------------------------
# The editor page
# ---------------------------------------------------------------------------------------------


def test_edit_on_the_page(client, firm):
    client.force_login(firm.staff.accountant)
    html = client.get(edit_url(firm)).text
    assert 'name="version" value="0"' in html and "增值税及附加申报" in html
    response = client.post(edit_url(firm), scope_post(0, annual_iit=True, stamp_duty=False))
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[firm.acme.pk]) + "?tab=work"
    scope = ServiceScope.objects.get(client=firm.acme)
    assert scope.annual_iit and not scope.stamp_duty and scope.vat


def test_a_stale_edit_on_the_page_keeps_what_was_typed(client, firm):
    services.service_scope_update(
        client=firm.acme, data={"vat": False}, expected_version=0, by=firm.staff.head
    )
    client.force_login(firm.staff.accountant)
    response = client.post(edit_url(firm), scope_post(0, annual_iit=True))
    assert response.status_code == 422
    assert "其他人已修改了此客户的服务范围" in response.text
    # The form now carries the saved version and the user's ticks (VAT on, 个税汇算 on).
    assert 'name="version" value="1"' in response.text
    assert "checked" in re.search(r'<input[^>]*name="annual_iit"[^>]*>', response.text).group(0)
    assert "checked" in re.search(r'<input[^>]*name="vat"[^>]*>', response.text).group(0)
    scope = ServiceScope.objects.get(client=firm.acme)
    assert not scope.vat and not scope.annual_iit and scope.version == 1
    response = client.post(edit_url(firm), scope_post(1, annual_iit=True))
    assert response.status_code == 302
    scope.refresh_from_db()
    assert scope.vat and scope.annual_iit and scope.version == 2
