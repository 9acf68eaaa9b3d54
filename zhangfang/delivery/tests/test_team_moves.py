"""A client's team changes: the replaced member's open work and requests for that client follow
the client to the new member (the team-change hook), audited on the client; finished work and
other people's work stay where they are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhangfang.clients import services as client_services
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import (
    RequestCategory,
    RequestStatus,
    ServiceRequest,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.tests.factories import WorkItemFactory
from zhangfang.delivery.tests.support import make_firm
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    firm = make_firm()
    firm.acc2 = UserFactory(
        username="acc2", name="会计新", department=firm.d2, roles=["accountant"]
    )
    return firm


def work(firm, step: str, status: str = WorkStatus.TODO, assignee=None, client=None):
    return WorkItemFactory(
        client=client or firm.acme,
        step=step,
        status=status,
        assignee=assignee or firm.staff.accountant,
    )


def service_request(firm, status: str = RequestStatus.NEW, assignee=None, client=None):
    return ServiceRequest.objects.create(
        client=client or firm.acme,
        channel="phone",
        category=RequestCategory.TAX_ADVICE,
        content="咨询",
        assignee=assignee or firm.staff.accountant,
        department=firm.d1,
        status=status,
        respond_by=timezone.now() + dt.timedelta(hours=8),
    )


def assignee_of(record) -> int | None:
    return type(record).objects.values_list("assignee_id", flat=True).get(pk=record.pk)


@pytest.fixture
def records(firm):
    other_client = ClientFactory(department=firm.d1, accountant=firm.staff.accountant)
    return {
        "todo": work(firm, WorkStep.RECEIPTS),
        "in_progress": work(firm, WorkStep.BOOKKEEPING, WorkStatus.IN_PROGRESS),
        "done": work(firm, WorkStep.REVIEW, WorkStatus.DONE),
        "cancelled": work(firm, WorkStep.STATEMENTS, WorkStatus.CANCELLED),
        "tax_work": work(firm, WorkStep.FILING, assignee=firm.staff.tax),
        "other_client_work": work(firm, WorkStep.RECEIPTS, client=other_client),
        "new_request": service_request(firm),
        "reopened_request": service_request(firm, RequestStatus.REOPENED),
        "resolved_request": service_request(firm, RequestStatus.RESOLVED),
        "confirmed_request": service_request(firm, RequestStatus.CONFIRMED),
        "service_request": service_request(firm, assignee=firm.staff.service),
    }


def test_client_update_moves_open_work_and_requests_only(firm, records):
    client_services.client_update(
        client=firm.acme,
        data={"accountant": firm.acc2},
        expected_version=firm.acme.version,
        by=firm.staff.head,
    )
    moved = {name for name, record in records.items() if assignee_of(record) == firm.acc2.pk}
    assert moved == {"todo", "in_progress", "new_request", "reopened_request"}
    # Finished work keeps who did it; other people's and other clients' work is untouched.
    assert assignee_of(records["done"]) == firm.staff.accountant.pk
    assert assignee_of(records["cancelled"]) == firm.staff.accountant.pk
    assert assignee_of(records["resolved_request"]) == firm.staff.accountant.pk
    assert assignee_of(records["tax_work"]) == firm.staff.tax.pk
    assert assignee_of(records["other_client_work"]) == firm.staff.accountant.pk
    assert assignee_of(records["service_request"]) == firm.staff.service.pk
    # A moved request goes to the new member's department, as a reassigned request does.
    assert ServiceRequest.objects.get(pk=records["new_request"].pk).department == firm.d2
    assert WorkItem.objects.get(pk=records["todo"].pk).version == 2


def test_the_move_is_audited_on_the_client_with_the_counts(firm, records):
    client_services.client_update(
        client=firm.acme,
        data={"accountant": firm.acc2},
        expected_version=firm.acme.version,
        by=firm.staff.head,
    )
    events = AuditEvent.objects.filter(
        anchor_type="clients.client", anchor_id=str(firm.acme.pk), detail__contains="转交未完成工作"
    )
    assert events.count() == 1
    event = events.get()
    assert "2 项" in event.detail and "2 条" in event.detail
    assert event.actor == firm.staff.head
    assert list(event.changes.values()) == [["会计乙", "会计新"]]


def test_clients_reassign_moves_the_work_of_each_client(firm, records):
    second = ClientFactory(department=firm.d1, accountant=firm.staff.accountant)
    second_work = work(firm, WorkStep.RECEIPTS, client=second)
    client_services.clients_reassign(
        clients=[firm.acme, second], field="accountant", to=firm.acc2, by=firm.staff.head
    )
    assert assignee_of(records["todo"]) == firm.acc2.pk
    assert assignee_of(records["new_request"]) == firm.acc2.pk
    assert assignee_of(second_work) == firm.acc2.pk
    assert assignee_of(records["done"]) == firm.staff.accountant.pk
    # A client not in the batch keeps its work with the old accountant.
    assert assignee_of(records["other_client_work"]) == firm.staff.accountant.pk


def test_emptying_a_post_moves_nothing(firm, records):
    client_services.client_update(
        client=firm.acme,
        data={"accountant": None},
        expected_version=firm.acme.version,
        by=firm.staff.head,
    )
    assert assignee_of(records["todo"]) == firm.staff.accountant.pk
    assert assignee_of(records["new_request"]) == firm.staff.accountant.pk
    assert not AuditEvent.objects.filter(detail__contains="转交未完成工作").exists()


def test_a_change_of_another_post_moves_only_that_members_work(firm, records):
    tax2 = UserFactory(username="tax2", department=firm.d1, roles=["tax"])
    client_services.client_update(
        client=firm.acme,
        data={"tax_specialist": tax2},
        expected_version=firm.acme.version,
        by=firm.staff.head,
    )
    assert assignee_of(records["tax_work"]) == tax2.pk
    assert assignee_of(records["todo"]) == firm.staff.accountant.pk
