"""Handing over what a member of staff holds: clients through clients_reassign (their open work
follows them), the rest to the colleague named per kind, all or nothing, audited, optionally the
account deactivated; afterwards nothing open points at the person. And the page: role matrix,
refusals beside their field, "已全部交接", a pinned query count."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from zhangfang.clients.models import Client, ClientStatus
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.delivery.models import (
    FollowUp,
    FollowUpStatus,
    QualityCheck,
    Rectification,
    RectificationStatus,
    RequestCategory,
    RequestStatus,
    ServiceRequest,
    WorkItem,
    WorkStatus,
    WorkStep,
)
from zhangfang.delivery.services.staff_handover import staff_handover
from zhangfang.delivery.tests.factories import (
    DoneWorkItemFactory,
    FollowUpFactory,
    QualitySampleFactory,
    SurveyFactory,
    WorkItemFactory,
)
from zhangfang.delivery.tests.support import at, make_firm
from zhangfang.leads.models import Prospect, Stage
from zhangfang.leads.tests.factories import ProspectFactory
from zhangfang.notifications.models import Notification
from zhangfang.staff.models import User
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        yield


def url(person) -> str:
    return reverse("delivery:staff_handover", args=[person.pk])


def service_request(client, assignee, status=RequestStatus.NEW):
    return ServiceRequest.objects.create(
        client=client,
        channel="phone",
        category=RequestCategory.TAX_ADVICE,
        content="咨询",
        assignee=assignee,
        department=assignee.department,
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


def open_left(person: User) -> dict[str, int]:
    """Every open record of every kind that still points at ``person`` (read independently of
    the selectors the service uses)."""
    team = Q(accountant=person) | Q(tax_specialist=person)
    team |= Q(customer_service=person) | Q(sales_owner=person)
    return {
        "clients": Client.objects.filter(team).exclude(status=ClientStatus.TERMINATED).count(),
        "work": WorkItem.objects.filter(
            assignee=person, status__in=[WorkStatus.TODO, WorkStatus.IN_PROGRESS]
        ).count(),
        "requests": ServiceRequest.objects.filter(
            assignee=person,
            status__in=["new", "responded", "in_progress", "reopened"],
        ).count(),
        "rectifications": Rectification.objects.filter(
            assignee=person, status__in=["open", "done"]
        ).count(),
        "follow_ups": FollowUp.objects.filter(assignee=person, status="open").count(),
        "prospects": Prospect.objects.filter(
            owner=person, stage__in=["lead", "assessment", "visit", "negotiation"]
        ).count(),
    }


NOTHING = dict.fromkeys(
    ["clients", "work", "requests", "rectifications", "follow_ups", "prospects"], 0
)


@pytest.fixture
def firm():
    """The accountant 会计乙 leaves. They hold: acme and ``second`` as accountant (acme's open
    work follows the client), a stray open step and request on ``other`` (someone else's client),
    two open rectifications, a follow-up and a prospect; plus finished things that stay."""
    firm = make_firm()
    s = firm.staff
    leaver = s.accountant
    firm.acc2 = UserFactory(
        username="acc2", name="会计辛", department=firm.d1, roles=["accountant"]
    )
    firm.acc_d2 = UserFactory(
        username="acc3", name="会计壬", department=firm.d2, roles=["accountant"]
    )
    firm.second = ClientFactory(department=firm.d1, accountant=leaver, customer_service=s.service)
    firm.other = ClientFactory(department=firm.d1, accountant=firm.acc2, customer_service=s.service)
    firm.terminated = ClientFactory(
        department=firm.d1, accountant=leaver, status=ClientStatus.TERMINATED
    )
    firm.acme_work = WorkItemFactory(client=firm.acme, assignee=leaver, step=WorkStep.RECEIPTS)
    firm.second_work = WorkItemFactory(
        client=firm.second, assignee=leaver, step=WorkStep.BOOKKEEPING, status="in_progress"
    )
    firm.stray_work = WorkItemFactory(client=firm.other, assignee=leaver, step=WorkStep.REVIEW)
    firm.done_work = DoneWorkItemFactory(client=firm.acme, assignee=leaver, step=WorkStep.REVIEW)
    firm.acme_request = service_request(firm.acme, leaver)
    firm.stray_request = service_request(firm.other, leaver, RequestStatus.IN_PROGRESS)
    firm.resolved_request = service_request(firm.other, leaver, RequestStatus.RESOLVED)
    firm.rect_open = rectification(firm.done_work, leaver)
    firm.rect_done = rectification(firm.done_work, leaver, RectificationStatus.DONE)
    firm.rect_verified = rectification(firm.done_work, leaver, RectificationStatus.VERIFIED)
    firm.follow_up = FollowUpFactory(survey=SurveyFactory(client=firm.other), assignee=leaver)
    firm.closed_follow_up = FollowUpFactory(
        survey=SurveyFactory(client=firm.other), assignee=leaver, status=FollowUpStatus.CLOSED
    )
    firm.prospect = ProspectFactory(owner=leaver)
    firm.won_prospect = ProspectFactory(owner=leaver, stage=Stage.WON)
    return firm


def colleagues(firm, **overrides) -> dict:
    s = firm.staff
    to = {
        "accountant": firm.acc2,
        "work": s.tax,
        "requests": s.service,
        "rectifications": firm.acc2,
        "follow_ups": s.service,
        "prospects": s.sales,
    }
    to.update(overrides)
    return {k: v for k, v in to.items() if v is not None}


def assignee_of(record) -> int | None:
    field = "owner_id" if isinstance(record, Prospect) else "assignee_id"
    return type(record).objects.values_list(field, flat=True).get(pk=record.pk)


# --- The service ------------------------------------------------------------------------------


def test_handover_moves_everything_and_leaves_nothing_open(firm):
    s = firm.staff
    leaver = s.accountant
    moved = staff_handover(user=leaver, to=colleagues(firm), deactivate=False, by=s.head)

    assert open_left(leaver) == NOTHING
    # Clients to the new accountant, and their open work and requests with them.
    for c in (firm.acme, firm.second):
        assert Client.objects.get(pk=c.pk).accountant == firm.acc2
    assert assignee_of(firm.acme_work) == firm.acc2.pk
    assert assignee_of(firm.second_work) == firm.acc2.pk
    assert assignee_of(firm.acme_request) == firm.acc2.pk
    # The rest to the colleague named for each kind.
    assert assignee_of(firm.stray_work) == s.tax.pk
    assert assignee_of(firm.stray_request) == s.service.pk
    assert assignee_of(firm.rect_open) == firm.acc2.pk
    assert assignee_of(firm.rect_done) == firm.acc2.pk
    assert assignee_of(firm.follow_up) == s.service.pk
    assert assignee_of(firm.prospect) == s.sales.pk
    # Finished records keep who did them; a terminated client keeps its last team.
    assert assignee_of(firm.done_work) == leaver.pk
    assert assignee_of(firm.resolved_request) == leaver.pk
    assert assignee_of(firm.rect_verified) == leaver.pk
    assert assignee_of(firm.closed_follow_up) == leaver.pk
    assert assignee_of(firm.won_prospect) == leaver.pk
    assert Client.objects.get(pk=firm.terminated.pk).accountant == leaver

    assert moved == {
        "accountant": 2,
        "tax_specialist": 0,
        "customer_service": 0,
        "sales_owner": 0,
        "work": 3,
        "requests": 2,
        "rectifications": 2,
        "follow_ups": 1,
        "prospects": 1,
    }
    assert User.objects.get(pk=leaver.pk).is_active  # not asked to deactivate


def test_handover_is_audited(firm):
    s = firm.staff
    leaver = s.accountant
    staff_handover(user=leaver, to=colleagues(firm), deactivate=False, by=s.head)

    summary = AuditEvent.objects.get(object_type="staff.user", object_id=str(leaver.pk))
    assert summary.actor == s.head
    assert summary.detail == "离岗交接：共转交 11 项"
    assert summary.changes["主办会计的客户"] == ["会计乙", "会计辛（2）"]
    assert summary.changes["未完成的服务工作"] == ["会计乙", "税务丙（1）；随客户转交 2"]
    assert summary.changes["跟进中的潜在客户"] == ["会计乙", "业务庚（1）"]
    # One event per client from clients_reassign, each with the hook's move on the client.
    for c in (firm.acme, firm.second):
        events = AuditEvent.objects.filter(anchor_type="clients.client", anchor_id=str(c.pk))
        assert events.filter(detail="批量调整服务团队").count() == 1
        assert events.filter(detail__contains="转交未完成工作").count() == 1
    # One event per record given to a named colleague, in its client's (or prospect's) history.
    per_record = AuditEvent.objects.filter(detail="离岗交接")
    assert sorted(per_record.values_list("object_type", flat=True)) == sorted(
        [
            "delivery.workitem",
            "delivery.servicerequest",
            "delivery.rectification",
            "delivery.rectification",
            "delivery.followup",
            "leads.prospect",
        ]
    )
    stray = per_record.get(object_type="delivery.workitem")
    assert stray.anchor_type == "clients.client" and stray.anchor_id == str(firm.other.pk)
    assert stray.changes == {"assignee": ["会计乙", "税务丙"]}


def test_colleagues_are_notified_after_commit(firm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_handover(
            user=firm.staff.accountant, to=colleagues(firm), deactivate=False, by=firm.staff.head
        )
    note = Notification.objects.get(recipient=firm.staff.service)
    assert "会计乙" in note.title and "未办结的客户需求 1" in note.title
    assert Notification.objects.filter(recipient=firm.acc2).count() == 1


def test_admin_may_deactivate_the_account(firm):
    leaver = firm.staff.accountant
    staff_handover(user=leaver, to=colleagues(firm), deactivate=True, by=firm.staff.admin)
    leaver = User.objects.get(pk=leaver.pk)
    assert not leaver.is_active
    assert leaver.groups.filter(name="accountant").exists()  # roles kept, only the login closed
    event = AuditEvent.objects.get(
        object_type="staff.user", object_id=str(leaver.pk), changes__has_key="is_active"
    )
    assert event.changes["is_active"] == [True, False]


def snapshot(firm) -> dict:
    return {
        "clients": list(Client.objects.order_by("pk").values_list("pk", "accountant_id")),
        "work": list(WorkItem.objects.order_by("pk").values_list("pk", "assignee_id")),
        "requests": list(ServiceRequest.objects.order_by("pk").values_list("pk", "assignee_id")),
        "rect": list(Rectification.objects.order_by("pk").values_list("pk", "assignee_id")),
        "prospects": list(Prospect.objects.order_by("pk").values_list("pk", "owner_id")),
        "active": User.objects.get(pk=firm.staff.accountant.pk).is_active,
        "events": AuditEvent.objects.count(),
    }


def test_refused_when_a_needed_colleague_is_missing_and_nothing_changes(firm):
    before = snapshot(firm)
    with pytest.raises(DomainError) as refusal:
        staff_handover(
            user=firm.staff.accountant,
            to=colleagues(firm, rectifications=None),
            deactivate=True,
            by=firm.staff.admin,
        )
    assert refusal.value.field == "rectifications"
    assert "2 项" in refusal.value.message
    assert snapshot(firm) == before


def test_work_that_follows_the_clients_needs_no_colleague(firm):
    WorkItem.objects.filter(pk=firm.stray_work.pk).update(status=WorkStatus.DONE)
    leaver = firm.staff.accountant
    staff_handover(
        user=leaver, to=colleagues(firm, work=None), deactivate=False, by=firm.staff.head
    )
    assert open_left(leaver) == NOTHING


@pytest.mark.parametrize(
    ("kind", "who", "message"),
    [
        ("accountant", "service", "不是会计"),
        ("prospects", "tax", "不是业务人员"),
        ("work", "accountant", "请选择其他同事"),
    ],
)
def test_a_colleague_without_the_role_is_refused(firm, kind, who, message):
    before = snapshot(firm)
    with pytest.raises(DomainError) as refusal:
        staff_handover(
            user=firm.staff.accountant,
            to=colleagues(firm, **{kind: getattr(firm.staff, who)}),
            deactivate=False,
            by=firm.staff.head,
        )
    assert refusal.value.field == kind
    assert message in refusal.value.message
    assert snapshot(firm) == before


def test_an_inactive_colleague_is_refused(firm):
    User.objects.filter(pk=firm.acc2.pk).update(is_active=False)
    firm.acc2.refresh_from_db()
    with pytest.raises(DomainError) as refusal:
        staff_handover(
            user=firm.staff.accountant, to=colleagues(firm), deactivate=False, by=firm.staff.head
        )
    assert refusal.value.field == "accountant"


def test_a_head_hands_over_within_their_department_only(firm):
    with pytest.raises(DomainError) as refusal:
        staff_handover(
            user=firm.staff.accountant,
            to=colleagues(firm, accountant=firm.acc_d2),
            deactivate=False,
            by=firm.staff.head,
        )
    assert refusal.value.field == "accountant"
    # An administrator may hand over across departments.
    staff_handover(
        user=firm.staff.accountant,
        to=colleagues(firm, accountant=firm.acc_d2),
        deactivate=False,
        by=firm.staff.admin,
    )
    assert Client.objects.get(pk=firm.acme.pk).accountant == firm.acc_d2


def test_only_an_administrator_deactivates(firm):
    before = snapshot(firm)
    with pytest.raises(DomainError) as refusal:
        staff_handover(
            user=firm.staff.accountant, to=colleagues(firm), deactivate=True, by=firm.staff.head
        )
    assert refusal.value.field == "deactivate"
    assert snapshot(firm) == before


def test_a_salesperson_hands_over_clients_and_prospects(firm):
    s = firm.staff
    sales2 = UserFactory(username="sales2", name="业务癸", department=firm.d1, roles=["sales"])
    prospect = ProspectFactory(owner=s.sales)
    staff_handover(
        user=s.sales,
        to={"sales_owner": sales2, "prospects": sales2},
        deactivate=False,
        by=s.head,
    )
    assert Client.objects.get(pk=firm.acme.pk).sales_owner == sales2
    assert assignee_of(prospect) == sales2.pk
    assert open_left(s.sales) == NOTHING


# --- The page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("head", 200),
        ("head2", 404),
        ("accountant", 403),
        ("tax", 403),
        ("service", 403),
        ("outsider", 403),
        ("sales", 403),
    ],
)
def test_role_matrix(client, firm, who, status):
    client.force_login(getattr(firm.staff, who))
    assert client.get(url(firm.staff.accountant)).status_code == status
    assert client.post(url(firm.staff.accountant), {}).status_code == status


def test_missing_person_is_404(client, firm):
    client.force_login(firm.staff.admin)
    assert client.get(reverse("delivery:staff_handover", args=[999999])).status_code == 404


def test_page_lists_what_the_person_holds(client, firm):
    client.force_login(firm.staff.head)
    response = client.get(url(firm.staff.accountant))
    html = response.content.decode()
    assert firm.acme.name in html and firm.second.name in html
    assert firm.terminated.name not in html
    assert firm.prospect.company_name in html and firm.won_prospect.company_name not in html
    assert "其中 2 项随客户转交" in html
    form = response.context["form"]
    # A field per kind that needs a colleague; no deactivation for a head.
    assert set(form.fields) == {
        "accountant",
        "work",
        "requests",
        "rectifications",
        "follow_ups",
        "prospects",
    }
    # Only active accountants of the department are offered for the clients.
    assert list(form.fields["accountant"].people.values()) == [firm.acc2]
    assert "已全部交接" not in html


def form_data(firm, **overrides) -> dict:
    return {kind: str(user.pk) for kind, user in colleagues(firm, **overrides).items()}


def test_post_hands_over_and_the_page_then_says_all_done(client, firm):
    client.force_login(firm.staff.admin)
    leaver = firm.staff.accountant
    response = client.post(url(leaver), {**form_data(firm), "deactivate": "on"})
    assert response.status_code == 302
    assert response["Location"] == url(leaver)
    assert open_left(leaver) == NOTHING
    assert not User.objects.get(pk=leaver.pk).is_active
    page = client.get(url(leaver)).content.decode()
    assert "已全部交接" in page
    assert "已停用" in page


def test_post_without_a_needed_colleague_shows_the_field(client, firm):
    client.force_login(firm.staff.head)
    before = snapshot(firm)
    response = client.post(url(firm.staff.accountant), form_data(firm, follow_ups=None))
    assert response.status_code == 200
    form = response.context["form"]
    assert "follow_ups" in form.errors
    assert snapshot(firm) == before


def test_post_of_a_colleague_not_offered_is_refused(client, firm):
    client.force_login(firm.staff.head)
    response = client.post(url(firm.staff.accountant), form_data(firm, accountant=firm.acc_d2))
    assert response.status_code == 200
    assert "accountant" in response.context["form"].errors
    assert Client.objects.get(pk=firm.acme.pk).accountant == firm.staff.accountant


QUERIES = 15


def test_page_query_count_does_not_grow(client, firm, django_assert_num_queries):
    client.force_login(firm.staff.admin)
    leaver = firm.staff.accountant
    client.get(url(leaver))  # the first request of a session records its activity time
    # session, user, roles, the person; the client counts, the work and request counts; rows of
    # each kind held (rectifications, follow-ups and prospects with their count); the colleagues
    # and their roles.
    with django_assert_num_queries(QUERIES):
        client.get(url(leaver))
    for _n in range(5):
        extra = ClientFactory(department=firm.d1, accountant=leaver)
        WorkItemFactory(client=extra, assignee=leaver, step=WorkStep.RECEIPTS)
        WorkItemFactory(
            client=firm.other,
            assignee=leaver,
            step=WorkStep.PAYMENT,
            period=dt.date(2026, 1 + _n, 1),
        )
        service_request(extra, leaver)
        ProspectFactory(owner=leaver)
    with django_assert_num_queries(QUERIES):
        client.get(url(leaver))


def test_page_lists_the_first_rows_and_counts_them_all(client, firm, monkeypatch):
    from zhangfang.delivery.selectors import workload as selectors

    monkeypatch.setattr(selectors, "LISTED", 1)
    client.force_login(firm.staff.head)
    response = client.get(url(firm.staff.accountant))
    kinds = {h.kind: h for h in response.context["holdings"]}
    assert (kinds["rectifications"].count, len(kinds["rectifications"].rows)) == (2, 1)
    assert (kinds["work"].count, len(kinds["work"].rows)) == (3, 1)
    assert (kinds["accountant"].count, len(kinds["accountant"].rows)) == (2, 1)
    assert "另有 1 项未列出" in response.content.decode()
