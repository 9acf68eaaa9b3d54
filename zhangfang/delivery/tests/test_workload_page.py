"""The service team's workload page: figures per person and department (hand-computed), who sees
which departments, links to the client list and the handover, and a query count that does not
grow with staff and clients."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.delivery.models import (
    FollowUpStatus,
    QualityCheck,
    Rectification,
    RectificationStatus,
    RequestCategory,
    RequestStatus,
    ServiceRequest,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.selectors.workload import Load
from zhangfang.delivery.tests.factories import (
    DoneWorkItemFactory,
    FollowUpFactory,
    QualitySampleFactory,
    SurveyFactory,
    WorkItemFactory,
)
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("delivery:workload")
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        yield


def open_work(client, assignee, *, step: str, due_on: dt.date, status=WorkStatus.TODO):
    return WorkItemFactory(
        client=client, assignee=assignee, step=step, due_on=due_on, status=status
    )


def service_request(client, assignee, status=RequestStatus.NEW):
    return ServiceRequest.objects.create(
        client=client,
        channel="phone",
        category=RequestCategory.TAX_ADVICE,
        content="咨询",
        assignee=assignee,
        status=status,
        respond_by=timezone.now() + dt.timedelta(hours=8),
    )


def rectification(item, assignee, status=RectificationStatus.OPEN):
    check = QualityCheck.objects.create(
        sample=QualitySampleFactory(), item=item, reviewee=assignee, status="rectify"
    )
    return Rectification.objects.create(
        quality_check=check,
        description="凭证摘要不规范",
        assignee=assignee,
        due_on=dt.date(2026, 11, 30),
        status=status,
    )


@pytest.fixture
def firm():
    firm = make_firm()
    s = firm.staff
    # A second client in 一部 (accountant and customer service as acme) and one terminated.
    firm.second = ClientFactory(
        department=firm.d1, accountant=s.accountant, customer_service=s.service
    )
    ClientFactory(department=firm.d1, accountant=s.accountant, status=ClientStatus.TERMINATED)
    # 二部: one client served by its own customer service member (the "outsider").
    firm.theirs = ClientFactory(department=firm.d2, customer_service=s.outsider)

    # Work: the accountant has 3 open (one overdue, one in progress) and 1 done; tax 1 overdue.
    open_work(firm.acme, s.accountant, step=WorkStep.RECEIPTS, due_on=dt.date(2026, 11, 19))
    open_work(
        firm.acme,
        s.accountant,
        step=WorkStep.BOOKKEEPING,
        due_on=TODAY,
        status=WorkStatus.IN_PROGRESS,
    )
    open_work(firm.second, s.accountant, step=WorkStep.RECEIPTS, due_on=dt.date(2026, 12, 15))
    done = DoneWorkItemFactory(client=firm.acme, assignee=s.accountant, step=WorkStep.REVIEW)
    open_work(firm.acme, s.tax, step=WorkStep.FILING, due_on=dt.date(2026, 11, 16))
    open_work(firm.theirs, s.outsider, step=WorkStep.NOTIFY, due_on=dt.date(2026, 11, 30))

    # Requests: customer service 2 open (one reopened), 1 resolved; outsider 1 open.
    service_request(firm.acme, s.service)
    service_request(firm.second, s.service, RequestStatus.REOPENED)
    service_request(firm.acme, s.service, RequestStatus.RESOLVED)
    service_request(firm.theirs, s.outsider)

    # Rectifications: the accountant has one to do and one awaiting re-check; one verified.
    rectification(done, s.accountant)
    rectification(done, s.accountant, RectificationStatus.DONE)
    rectification(done, s.accountant, RectificationStatus.VERIFIED)

    # Survey follow-ups: customer service one open, one closed.
    FollowUpFactory(survey=SurveyFactory(client=firm.acme), assignee=s.service)
    FollowUpFactory(
        survey=SurveyFactory(client=firm.second), assignee=s.service, status=FollowUpStatus.CLOSED
    )
    return firm


def table_of(response):
    assert response.status_code == 200
    return response.context["table"]


def rows_by_name(table) -> dict[str, Load]:
    return {row.person.username: row.load for group in table.groups for row in group.rows}


def test_figures_per_person(client, firm):
    client.force_login(firm.staff.head)
    rows = rows_by_name(table_of(client.get(URL)))
    assert rows["acc"] == Load(
        clients_accountant=2, work_open=3, work_overdue=1, rectifications_open=2
    )
    assert rows["tax"] == Load(clients_tax=1, work_open=1, work_overdue=1)
    assert rows["cs"] == Load(clients_service=2, requests_open=2, follow_ups_open=1)
    assert rows["sales"] == Load()
    assert rows["head1"] == Load()


def test_head_sees_their_department_with_its_total(client, firm):
    client.force_login(firm.staff.head)
    table = table_of(client.get(URL))
    assert [group.department for group in table.groups] == [firm.d1]
    assert set(rows_by_name(table)) == {"cs", "acc", "tax", "head1", "sales"}
    assert table.groups[0].total == Load(
        clients_accountant=2,
        clients_tax=1,
        clients_service=2,
        work_open=4,
        work_overdue=2,
        requests_open=2,
        rectifications_open=2,
        follow_ups_open=1,
    )


def test_admin_sees_every_department_and_filters_one(client, firm):
    client.force_login(firm.staff.admin)
    table = table_of(client.get(URL))
    # Two departments by name, and the staff without one (the administrator) last.
    assert [group.department for group in table.groups] == [firm.d1, firm.d2, None]
    d2 = table.groups[1]
    assert d2.total == Load(clients_service=1, work_open=1, requests_open=1)
    assert table.total.work_open == 5
    assert table.total.requests_open == 3

    only_d2 = table_of(client.get(URL, {"department": firm.d2.pk}))
    assert [group.department for group in only_d2.groups] == [firm.d2]
    assert set(rows_by_name(only_d2)) == {"head2", "out"}


def test_a_head_cannot_look_at_another_department(client, firm):
    client.force_login(firm.staff.head)
    table = table_of(client.get(URL, {"department": firm.d2.pk}))
    assert [group.department for group in table.groups] == [firm.d1]


def test_inactive_staff_are_listed_only_while_they_hold_something(client, firm):
    leaver = UserFactory(username="gone", department=firm.d1, roles=["accountant"], is_active=False)
    UserFactory(username="gone2", department=firm.d1, roles=["accountant"], is_active=False)
    open_work(firm.acme, leaver, step=WorkStep.ARCHIVE, due_on=dt.date(2026, 12, 1))
    client.force_login(firm.staff.head)
    rows = rows_by_name(table_of(client.get(URL)))
    assert rows["gone"] == Load(work_open=1)
    assert "gone2" not in rows


def test_rows_link_to_the_client_list_and_the_handover(client, firm):
    client.force_login(firm.staff.head)
    html = client.get(URL).content.decode()
    accountant = firm.staff.accountant
    assert f'href="{reverse("clients:list")}?staff={accountant.pk}"' in html
    assert f'href="{reverse("delivery:staff_handover", args=[accountant.pk])}"' in html
    # The client list link shows that person's clients.
    listed = client.get(reverse("clients:list"), {"staff": accountant.pk})
    assert firm.acme.name in listed.content.decode()


def test_filter_fragment_for_htmx(client, firm):
    client.force_login(firm.staff.admin)
    response = client.get(URL, {"department": firm.d1.pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<table" in html and "<html" not in html
    assert "主管戊" not in html


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("head", 200),
        ("head2", 200),
        ("accountant", 403),
        ("tax", 403),
        ("service", 403),
        ("sales", 403),
    ],
)
def test_role_matrix(client, firm, who, status):
    client.force_login(getattr(firm.staff, who))
    assert client.get(URL).status_code == status


def test_anonymous_is_sent_to_login(client, firm):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


# session, user, roles, three client counts (one per post), open work with overdue, requests,
# rectifications, follow-ups, the staff rows, and (administrators) the department filter.
QUERIES = 12


def test_query_count_is_pinned_and_does_not_grow(client, firm, django_assert_num_queries):
    client.force_login(firm.staff.admin)
    client.get(URL)  # the first request of a session records its activity time
    with django_assert_num_queries(QUERIES):
        client.get(URL)
    for _n in range(6):
        person = UserFactory(department=firm.d2, roles=["accountant"])
        extra = ClientFactory(department=firm.d2, accountant=person, customer_service=person)
        open_work(extra, person, step=WorkStep.RECEIPTS, due_on=dt.date(2026, 11, 1))
        service_request(extra, person)
    with django_assert_num_queries(QUERIES):
        response = client.get(URL)
    assert response.context["table"].staff_count == 8 + 6
    # A head's page has no department filter: one query fewer.
    client.force_login(firm.staff.head)
    client.get(URL)
    with django_assert_num_queries(QUERIES - 1):
        client.get(URL)
