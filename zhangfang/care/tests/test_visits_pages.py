"""Return-visit pages: the role matrix of each page (404 outside the scope), the visit plan with
its filters, due-soon and overdue marks and pinned query count, recording a visit with problems
on its page, the problem actions, planning by hand through the picker, the problem list, the
visit rate figures (hand-computed), the client section and the home panel."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from zhangfang.care.models import ProblemStatus, ReturnVisit, ReturnVisitStatus, VisitProblem
from zhangfang.care.selectors import visits as selectors
from zhangfang.care.services import visits as services
from zhangfang.care.tests.factories_visits import at, done_visit, make_firm
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.roles import roles_of
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("care:visit_list")
NEW = reverse("care:visit_create")
PROBLEMS = reverse("care:visit_problem_list")
RATE = reverse("care:visit_rate")
TODAY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(at(2026, 3, 10, 10), tick=False) as traveller:
        yield traveller


@pytest.fixture
def firm():
    return make_firm()


def as_user(client, firm, who: str):
    client.force_login(getattr(firm.staff, who))
    return client


def plan(c, due_on: dt.date, staff=None) -> ReturnVisit:
    return ReturnVisit.objects.create(client=c, due_on=due_on, staff=staff or c.customer_service)


def detail(visit: ReturnVisit) -> str:
    return reverse("care:visit_detail", args=[visit.pk])


def record_post(firm, **overrides) -> dict:
    data = {
        "method": "phone",
        "contact": str(firm.contact.pk),
        "visited_at": "2026-03-10T09:30",
        "satisfaction": "4",
        "opinions": "希望每月提前告知税款。",
        "summary": "电话回访财务负责人。",
        "problems-TOTAL_FORMS": "3",
        "problems-INITIAL_FORMS": "0",
        "problems-MIN_NUM_FORMS": "0",
        "problems-MAX_NUM_FORMS": "20",
        "problems-0-description": "",
        "problems-0-department": "",
        "problems-1-description": "",
        "problems-1-department": "",
        "problems-2-description": "",
        "problems-2-department": "",
    }
    data.update(overrides)
    return data


# --- Role matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "list_", "problems", "new", "rate", "see"),
    [
        ("service", 200, 200, 200, 200, 200),  # the client's customer service (owner)
        ("accountant", 200, 200, 403, 403, 200),  # on the client's team
        ("sales", 200, 200, 403, 403, 200),
        ("colleague", 200, 200, 200, 200, 404),  # customer service of the same department
        ("head", 200, 200, 200, 200, 200),
        ("head2", 200, 200, 200, 200, 404),  # another department
        ("outsider", 200, 200, 200, 200, 404),
        ("admin", 200, 200, 200, 200, 200),
    ],
)
def test_role_matrix(client, firm, who, list_, problems, new, rate, see):
    visit = plan(firm.acme, TODAY)
    as_user(client, firm, who)
    assert client.get(LIST).status_code == list_
    assert client.get(PROBLEMS).status_code == problems
    assert client.get(NEW).status_code == new
    assert client.get(RATE).status_code == rate
    assert client.get(detail(visit)).status_code == see
    if see == 404:
        assert client.post(detail(visit), record_post(firm)).status_code == 404
        url = reverse("care:visit_action", args=[visit.pk, "cancel"])
        assert client.post(url, {"cancel-reason": "x"}).status_code == 404
        assert firm.acme.name not in client.get(LIST).content.decode()
        if new == 200:
            assert client.get(NEW, {"client": firm.acme.pk}).status_code == 404


def test_a_user_without_a_role_is_refused_and_anonymous_sent_to_login(client, firm):
    assert "login" in client.get(LIST)["Location"]
    client.force_login(UserFactory(username="norole", roles=[]))
    assert client.get(LIST).status_code == 403
    assert client.get(PROBLEMS).status_code == 403


def test_team_members_who_may_not_record_get_403(client, firm):
    visit = plan(firm.acme, TODAY)
    as_user(client, firm, "accountant")
    page = client.get(detail(visit)).content.decode()
    assert "保存回访记录" not in page
    assert client.post(detail(visit), record_post(firm)).status_code == 403
    url = reverse("care:visit_action", args=[visit.pk, "reschedule"])
    assert client.post(url, {"reschedule-due_on": "2026-04-01"}).status_code == 403
    visit.refresh_from_db()
    assert visit.status == ReturnVisitStatus.PLANNED


# --- The visit plan -----------------------------------------------------------------------------


def test_list_marks_overdue_and_due_soon(client, firm):
    late = ClientFactory(
        name="逾期客户有限公司", department=firm.d1, customer_service=firm.staff.service
    )
    soon = ClientFactory(
        name="临近客户有限公司", department=firm.d1, customer_service=firm.staff.service
    )
    later = ClientFactory(
        name="远期客户有限公司", department=firm.d1, customer_service=firm.staff.service
    )
    plan(late, dt.date(2026, 3, 2))
    plan(soon, dt.date(2026, 3, 17))  # within 7 days
    plan(later, dt.date(2026, 3, 18))
    page = as_user(client, firm, "service").get(LIST).content.decode()
    assert "共 3 次回访" in page
    assert page.count("已逾期</span>") == 1 and page.count("即将到期</span>") == 1
    overdue = client.get(LIST, {"state": "overdue"}).content.decode()
    assert "逾期客户" in overdue and "临近客户" not in overdue
    # The window is a setting.
    from zhangfang.core import policy

    policy.policy_value_set(key="care.visit_due_soon_days", raw="8", by=firm.staff.admin)
    assert client.get(LIST).content.decode().count("即将到期</span>") == 2


def test_list_filters_and_htmx_fragment(client, firm):
    other = ClientFactory(name="南山贸易有限公司", department=firm.d2)
    plan(firm.acme, TODAY)
    plan(other, dt.date(2026, 3, 20), staff=firm.staff.head2)
    done_visit(firm.acme, at(2026, 2, 3, 10), method="on_site")
    done_visit(other, at(2026, 1, 5, 10), method="email", staff=firm.staff.head2)
    as_user(client, firm, "admin")
    assert "共 2 次回访" in client.get(LIST).content.decode()
    assert "共 4 次回访" in client.get(LIST, {"state": "all"}).content.decode()
    done = client.get(LIST, {"state": "done", "method": "on_site"}).content.decode()
    assert "共 1 次回访" in done and "2026-02-03" in done
    fragment = client.get(
        LIST,
        {"state": "done", "date_from": "2026-02-01", "date_to": "2026-02-28"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "共 1 次回访" in fragment and "<html" not in fragment
    dept = client.get(LIST, {"state": "all", "department": firm.d2.pk}).content.decode()
    assert "共 2 次回访" in dept and "顶峰" not in dept
    assert "共 1 次回访" in client.get(LIST, {"date_from": "2026-03-15"}).content.decode()
    assert "共 1 次回访" in client.get(LIST, {"q": "南山"}).content.decode()
    assert (
        "共 2 次回访" in client.get(LIST, {"state": "all", "client": firm.acme.pk}).content.decode()
    )
    assert "没有符合条件的回访" in client.get(LIST, {"q": "不存在"}).content.decode()
    bogus = client.get(LIST, {"state": "bogus", "sort": "-nope", "department": "x"})
    assert "共 2 次回访" in bogus.content.decode()
    as_user(client, firm, "head2")
    assert "共 1 次回访" in client.get(LIST, {"mine": "1"}).content.decode()


def test_list_sorts(client, firm):
    b = ClientFactory(
        name="阿尔法有限公司", department=firm.d1, customer_service=firm.staff.service
    )
    plan(firm.acme, dt.date(2026, 3, 20))
    plan(b, dt.date(2026, 3, 12))
    as_user(client, firm, "service")
    page = client.get(LIST).content.decode()
    assert page.index("阿尔法") < page.index("顶峰")
    page = client.get(LIST, {"sort": "-due"}).content.decode()
    assert page.index("顶峰") < page.index("阿尔法")


def test_list_query_count_is_pinned(client, firm, django_assert_num_queries):
    def rows(n):
        for _ in range(n):
            c = ClientFactory(department=firm.d1, customer_service=firm.staff.service)
            visit = plan(c, TODAY)
            VisitProblem.objects.create(
                visit=visit, description="x", department=firm.d2, due_on=TODAY
            )

    rows(2)
    as_user(client, firm, "head")
    client.get(LIST)
    # session, user, groups; count, ids, rows (with open problems); departments (filter bar).
    with django_assert_num_queries(7):
        client.get(LIST)
    rows(10)
    with django_assert_num_queries(7):
        page = client.get(LIST).content.decode()
    assert "共 12 次回访" in page
    with django_assert_num_queries(6):
        client.get(LIST, {"sort": "client", "page": "1"}, HTTP_HX_REQUEST="true")


# --- Recording on the visit's page --------------------------------------------------------------


def test_record_a_visit_with_problems(client, firm, django_capture_on_commit_callbacks):
    visit = plan(firm.acme, TODAY)
    done_visit(firm.acme, at(2025, 12, 1, 10), summary="上次回访记录")
    as_user(client, firm, "service")
    page = client.get(detail(visit)).content.decode()
    assert "王经理" in page and "上次回访记录" in page and "2026-03-10T10:00" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            detail(visit),
            record_post(
                firm,
                **{
                    "problems-0-description": "发票寄送太慢",
                    "problems-0-department": str(firm.d2.pk),
                },
            ),
        )
    assert response.status_code == 302 and response["Location"] == detail(visit)
    visit.refresh_from_db()
    assert visit.status == ReturnVisitStatus.DONE and visit.contact == firm.contact
    problem = VisitProblem.objects.get()
    assert problem.assignee == firm.staff.head2 and problem.due_on == dt.date(2026, 3, 13)
    following = ReturnVisit.objects.get(client=firm.acme, status=ReturnVisitStatus.PLANNED)
    assert following.due_on == dt.date(2026, 6, 10)
    page = client.get(detail(visit)).content.decode()
    assert "发票寄送太慢" in page and "主管戊" in page and "记录回访" in page


def test_record_errors_keep_the_input(client, firm):
    visit = plan(firm.acme, TODAY)
    as_user(client, firm, "service")
    response = client.post(
        detail(visit),
        record_post(
            firm,
            satisfaction="",
            summary="客户提出两点意见",
            **{"problems-1-description": "只写了问题"},
        ),
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "客户提出两点意见" in page and "只写了问题" in page and "请选择转交部门" in page
    visit.refresh_from_db()
    assert visit.status == ReturnVisitStatus.PLANNED
    response = client.post(detail(visit), record_post(firm, visited_at="2026-03-10T12:00"))
    assert response.status_code == 422 and "回访时间不能晚于现在" in response.content.decode()


def test_reschedule_and_cancel_on_the_page(client, firm):
    visit = plan(firm.acme, TODAY)
    as_user(client, firm, "service")
    url = reverse("care:visit_action", args=[visit.pk, "reschedule"])
    response = client.post(url, {"reschedule-due_on": "2026-03-20"})
    assert response.status_code == 422 and "这个字段是必填项" in response.content.decode()
    response = client.post(url, {"reschedule-due_on": "2026-03-20", "reschedule-reason": "出差"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.due_on == dt.date(2026, 3, 20)
    cancel = reverse("care:visit_action", args=[visit.pk, "cancel"])
    assert client.post(cancel, {"cancel-reason": "客户要求"}).status_code == 302
    visit.refresh_from_db()
    assert visit.status == ReturnVisitStatus.CANCELLED
    page = client.get(detail(visit)).content.decode()
    assert "客户要求" in page and "保存回访记录" not in page
    assert client.post(cancel, {"cancel-reason": "再取消"}).status_code == 302  # with a message
    assert client.get(reverse("care:visit_action", args=[visit.pk, "nope"])).status_code == 405
    assert client.post(reverse("care:visit_action", args=[visit.pk, "nope"])).status_code == 404


def test_problem_result_then_reporting_back_on_the_page(client, firm):
    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    services.visit_record(
        visit=visit,
        data={
            "method": "phone",
            "contact": firm.contact,
            "visited_at": at(2026, 3, 10, 9),
            "satisfaction": 3,
            "summary": "回访",
        },
        problems=[{"description": "发票寄送太慢", "department": firm.d2}],
        by=firm.staff.service,
    )
    problem = VisitProblem.objects.get()
    resolve = reverse("care:visit_problem_action", args=[problem.pk, "resolve"])
    inform = reverse("care:visit_problem_action", args=[problem.pk, "inform"])
    prefix = f"p{problem.pk}"
    # The customer service cannot close it before the department's result.
    as_user(client, firm, "service")
    assert inform not in client.get(detail(visit)).content.decode()
    response = client.post(inform, {f"{prefix}-how": "电话告知"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.FORWARDED
    assert client.post(resolve, {f"{prefix}-result": "x"}).status_code == 403
    # The head of the department it was forwarded to sees the visit and records the result.
    as_user(client, firm, "head2")
    page = client.get(detail(visit)).content.decode()
    assert resolve in page and "保存回访记录" not in page
    response = client.post(resolve, {f"{prefix}-result": ""})
    assert response.status_code == 422
    assert client.post(resolve, {f"{prefix}-result": "改用顺丰寄送"}).status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RESOLVED
    # Then customer service reports back, which closes it.
    as_user(client, firm, "service")
    assert client.post(inform, {f"{prefix}-how": ""}).status_code == 422
    assert client.post(inform, {f"{prefix}-how": "电话告知王经理"}).status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED
    page = client.get(detail(visit)).content.decode()
    assert "改用顺丰寄送" in page and "电话告知王经理" in page
    as_user(client, firm, "outsider")
    assert client.post(inform, {f"{prefix}-how": "x"}).status_code == 404


# --- Planning by hand ---------------------------------------------------------------------------


def test_plan_a_visit_through_the_picker(client, firm):
    as_user(client, firm, "service")
    page = client.get(NEW, {"q": "顶峰"}, HTTP_HX_REQUEST="true").content.decode()
    assert f"?client={firm.acme.pk}" in page
    assert client.get(NEW, {"client": firm.acme.pk}).status_code == 200
    response = client.post(f"{NEW}?client={firm.acme.pk}", {"due_on": "2026-03-09"})
    assert response.status_code == 200 and "不能早于今天" in response.content.decode()
    response = client.post(f"{NEW}?client={firm.acme.pk}", {"due_on": "2026-03-20"})
    visit = ReturnVisit.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(visit)
    assert visit.staff == firm.staff.service and not visit.planned_automatically
    response = client.post(f"{NEW}?client={firm.acme.pk}", {"due_on": "2026-03-25"})
    assert "已有待回访的计划" in response.content.decode()
    as_user(client, firm, "colleague")  # customer service, but not this client's
    assert client.get(NEW, {"client": firm.acme.pk}).status_code == 404


# --- Problem list -------------------------------------------------------------------------------


def _problem(firm, c, *, department, status=ProblemStatus.FORWARDED, due_on=TODAY, assignee=None):
    visit = done_visit(c, at(2026, 3, 2, 10))
    return VisitProblem.objects.create(
        visit=visit,
        description=f"问题{VisitProblem.objects.count() + 1}",
        department=department,
        assignee=assignee,
        due_on=due_on,
        status=status,
    )


def test_problem_list_scopes_and_filters(client, firm):
    other = ClientFactory(name="南山贸易有限公司", department=firm.d2)
    _problem(firm, firm.acme, department=firm.d2, assignee=firm.staff.head2, due_on=TODAY)
    _problem(
        firm, firm.acme, department=firm.d1, assignee=firm.staff.head, due_on=dt.date(2026, 3, 9)
    )
    _problem(firm, firm.acme, department=firm.d1, status=ProblemStatus.RESOLVED)
    _problem(firm, other, department=firm.d2, status=ProblemStatus.CLOSED)
    as_user(client, firm, "head2")
    # Forwarded to my department (two, one of another department's client), none of d1's.
    page = client.get(PROBLEMS).content.decode()
    assert "共 2 个问题" in page and "问题1" in page and "问题4" in page
    assert "共 1 个问题" in client.get(PROBLEMS, {"whose": "mine"}).content.decode()
    as_user(client, firm, "head")
    assert "共 3 个问题" in client.get(PROBLEMS).content.decode()
    overdue = client.get(PROBLEMS, {"overdue": "1"}).content.decode()
    assert "共 1 个问题" in overdue and "问题2" in overdue and "已超期" in overdue
    assert "共 1 个问题" in client.get(PROBLEMS, {"state": "resolved"}).content.decode()
    assert "共 2 个问题" in client.get(PROBLEMS, {"whose": "department"}).content.decode()
    fragment = client.get(PROBLEMS, {"state": "open"}, HTTP_HX_REQUEST="true").content.decode()
    assert "共 2 个问题" in fragment and "<html" not in fragment
    as_user(client, firm, "outsider")
    assert "还没有回访问题" in client.get(PROBLEMS).content.decode()
    assert "没有符合条件的问题" in client.get(PROBLEMS, {"state": "open"}).content.decode()


def test_problem_list_query_count_is_pinned(client, firm, django_assert_num_queries):
    for _ in range(2):
        _problem(firm, firm.acme, department=firm.d1, assignee=firm.staff.head)
    as_user(client, firm, "head")
    client.get(PROBLEMS)
    # session, user, groups; count, ids, rows with visit, client, staff, department, assignee.
    with django_assert_num_queries(6):
        client.get(PROBLEMS)
    for _ in range(8):
        _problem(firm, firm.acme, department=firm.d2, assignee=firm.staff.head2)
    with django_assert_num_queries(6):
        assert "共 10 个问题" in client.get(PROBLEMS).content.decode()


# --- Visit rate ---------------------------------------------------------------------------------


@pytest.fixture
def march(firm):
    """Visits due in March 2026 (and one each side): see the figures in the tests below."""
    s, colleague, outsider = firm.staff.service, firm.staff.colleague, firm.staff.outsider
    b1, b2, b3 = (ClientFactory(department=firm.d1, customer_service=s) for _ in range(3))
    c1 = ClientFactory(department=firm.d1, customer_service=colleague)
    d1, d2 = (ClientFactory(department=firm.d2, customer_service=outsider) for _ in range(2))
    done_visit(firm.acme, at(2026, 3, 5, 10))  # on time
    done_visit(b1, at(2026, 3, 9, 10), due_on=dt.date(2026, 3, 6))  # late
    plan(b2, dt.date(2026, 3, 20))  # open
    # 07:00 in Shanghai on the 13th is still the 12th in UTC: late all the same.
    done_visit(b3, at(2026, 3, 13, 7), due_on=dt.date(2026, 3, 12))
    ReturnVisit.objects.create(
        client=b3, due_on=dt.date(2026, 3, 15), staff=s, status=ReturnVisitStatus.CANCELLED
    )
    done_visit(b1, at(2026, 4, 2, 10))  # due in April
    done_visit(b2, at(2026, 2, 10, 10))  # due in February, on time
    done_visit(c1, at(2026, 3, 10, 9))  # on time
    done_visit(d1, at(2026, 3, 17, 10), due_on=dt.date(2026, 3, 18))  # early: on time
    plan(d2, dt.date(2026, 3, 25))  # open


def test_rate_figures_per_person_and_department(firm, march, django_assert_num_queries):
    admin = firm.staff.admin
    roles_of(admin)
    with django_assert_num_queries(1):
        rates = selectors.visit_rate(
            user=admin, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)
        )
    people = {r.name: (r.due, r.on_time, r.late, r.open, r.rate) for r in rates["people"]}
    assert people == {
        "客服甲": (4, 1, 2, 1, 25.0),
        "客服乙": (1, 1, 0, 0, 100.0),
        "客服己": (2, 1, 0, 1, 50.0),
    }
    departments = {r.name: (r.due, r.on_time, r.late, r.open, r.rate) for r in rates["departments"]}
    assert departments == {"服务一部": (5, 2, 2, 1, 40.0), "服务二部": (2, 1, 0, 1, 50.0)}
    total = rates["total"]
    assert (total.due, total.on_time, total.rate) == (7, 3, 42.9)


def test_rate_page_month_quarter_and_scope(client, firm, march):
    as_user(client, firm, "admin")
    page = client.get(RATE, {"month": "2026-03"}).content.decode()
    assert "25.0%" in page and "100.0%" in page and "40.0%" in page and "42.9%" in page
    quarter = client.get(RATE, {"kind": "quarter", "month": "2026-03"}).content.decode()
    # Q1: 客服甲 also has February's on-time visit: 2 of 5.
    assert "2026-01-01 至 2026-03-31" in quarter and "40.0%" in quarter
    assert "应回访 8 次，按时 4 次，回访率 50.0%" in quarter
    fragment = client.get(
        RATE, {"kind": "month", "month": "2026-02"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in fragment and "100.0%" in fragment
    assert "没有应回访" in client.get(RATE, {"month": "2025-01"}).content.decode()
    assert client.get(RATE, {"month": "garbage", "kind": "x"}).status_code == 200
    as_user(client, firm, "head2")
    page = client.get(RATE, {"month": "2026-03"}).content.decode()
    assert "服务二部" in page and "服务一部" not in page and "50.0%" in page


# --- Client section and home panel --------------------------------------------------------------


def test_client_section(firm):
    visit = services.visit_create(client=firm.acme, due_on=TODAY, by=firm.staff.head)
    services.visit_record(
        visit=visit,
        data={
            "method": "email",
            "visited_at": at(2026, 3, 10, 9),
            "satisfaction": 5,
            "summary": "邮件回访，客户满意",
            "contact": firm.contact,
        },
        problems=[{"description": "希望增加税务培训", "department": firm.d1}],
        by=firm.staff.service,
    )
    for day in range(1, 7):
        done_visit(firm.acme, at(2025, day, 5, 10), summary=f"旧回访{day}")
    data = selectors.client_visits(firm.acme)
    assert data["next"].due_on == dt.date(2026, 6, 10)
    assert len(data["recent"]) == 5 and data["recent"][0].summary == "邮件回访，客户满意"
    assert [p.description for p in data["open_problems"]] == ["希望增加税务培训"]
    html = render_to_string("care/_client_visits.html", {"visits": data, "c": firm.acme})
    assert "2026-06-10" in html and "邮件回访，客户满意" in html and "希望增加税务培训" in html
    assert "旧回访1" not in html and "<html" not in html
    assert f"?client={firm.acme.pk}" in html


def test_home_panel(client, firm):
    plan(firm.acme, dt.date(2026, 3, 2))
    soon = ClientFactory(department=firm.d1, customer_service=firm.staff.service)
    plan(soon, dt.date(2026, 3, 12))
    _problem(firm, firm.acme, department=firm.d1, status=ProblemStatus.RESOLVED)
    as_user(client, firm, "service")
    home = client.get(reverse("core:home")).content.decode()
    assert "1 次回访已逾期" in home and "1 次回访即将到期" in home
    assert "1 个处理结果待告知客户" in home
    _problem(firm, firm.acme, department=firm.d1, assignee=firm.staff.head)
    as_user(client, firm, "head")
    assert "1 个回访问题待我处理" in client.get(reverse("core:home")).content.decode()
    as_user(client, firm, "head2")
    assert "客户回访" not in client.get(reverse("core:home")).content.decode()
