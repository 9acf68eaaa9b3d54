"""The audit log: append-only events, history of a record, and the administrator's log page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from zhangfang.core import audit
from zhangfang.core.models import AuditEvent
from zhangfang.core.selectors import audit_event_list, audit_history_for
from zhangfang.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

LOG = reverse("core:audit_log")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(db):
    return UserFactory(username="boss", name="管理员", department=None, roles=["admin"])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _event(**kwargs) -> AuditEvent:
    kwargs.setdefault("action", "update")
    kwargs.setdefault("object_type", "staff.department")
    kwargs.setdefault("object_id", "1")
    kwargs.setdefault("object_repr", "代账一部")
    return audit.record(**kwargs)


# -- append-only -----------------------------------------------------------------------------------


def test_events_cannot_be_changed_or_deleted(admin):
    event = _event(by=admin, changes={"name": ["甲", "乙"]})
    event.detail = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.detail == "" and event.changes == {"name": ["甲", "乙"]}


def test_log_page_is_read_only(admin_client, admin):
    _event(by=admin)
    assert admin_client.post(LOG).status_code == 405
    html = admin_client.get(LOG).content.decode()
    assert 'method="post"' not in html.split('id="audit-table"')[1]
    assert AuditEvent.objects.count() >= 1


# -- history of a record ---------------------------------------------------------------------------


def test_audit_history_for_returns_events_anchored_on_the_record(admin):
    department = DepartmentFactory(name="代账一部")
    other = DepartmentFactory(name="代账二部")
    user = UserFactory(username="member", department=department)
    first = audit.record(action="create", by=admin, obj=department)
    second = audit.record(action="update", by=admin, obj=user, anchor=department)
    audit.record(action="update", by=admin, obj=other)
    audit.record(action="update", by=admin, object_type="staff.department", object_id="999")
    assert audit_history_for(department) == [second, first]
    assert audit_history_for(department, limit=1) == [second]
    assert audit_history_for(user) == []


# -- the log page ----------------------------------------------------------------------------------


@pytest.fixture
def events(admin):
    zhang = UserFactory(username="zhang", name="张三")
    with time_machine.travel(dt.datetime(2026, 3, 14, 23, 30, tzinfo=SHANGHAI), tick=False):
        late = _event(
            by=zhang,
            object_type="clients.client",
            object_id="42",
            object_repr="华为技术有限公司",
            changes={"name": ["华为", "华为技术"]},
        )
    with time_machine.travel(dt.datetime(2026, 3, 15, 0, 30, tzinfo=SHANGHAI), tick=False):
        early = _event(by=admin, action="create", object_repr="代账一部")
        login = audit.record(action="login", by=admin, obj=admin)
    return {"zhang": zhang, "late": late, "early": early, "login": login}


def _ids(response) -> list[int]:
    return [event.pk for event in response.context["page"].object_list]


def test_log_lists_newest_first(admin_client, events):
    ids = _ids(admin_client.get(LOG))
    # The newest is the login of this test's client itself.
    assert ids[-3:] == [events["login"].pk, events["early"].pk, events["late"].pk]
    assert AuditEvent.objects.get(pk=ids[0]).action == "login"


def test_log_filters(admin_client, events):
    zhang = events["zhang"]
    assert _ids(admin_client.get(LOG, {"actor": zhang.pk})) == [events["late"].pk]
    assert _ids(admin_client.get(LOG, {"action": "create"})) == [events["early"].pk]
    assert _ids(admin_client.get(LOG, {"object_type": "clients.client"})) == [events["late"].pk]
    assert _ids(admin_client.get(LOG, {"q": "42"})) == [events["late"].pk]
    assert _ids(admin_client.get(LOG, {"q": "华为"})) == [events["late"].pk]
    # Dates are days in Shanghai: 23:30 on the 14th is the 14th there (15:30 UTC).
    assert _ids(admin_client.get(LOG, {"date_to": "2026-03-14"})) == [events["late"].pk]
    assert events["late"].pk not in _ids(admin_client.get(LOG, {"date_from": "2026-03-15"}))
    both = _ids(admin_client.get(LOG, {"date_from": "2026-03-14", "date_to": "2026-03-15"}))
    assert set(both) == {events["late"].pk, events["early"].pk, events["login"].pk}
    # A malformed filter is ignored rather than an error page.
    assert len(_ids(admin_client.get(LOG, {"actor": "x", "date_from": "soon"}))) >= 3


def test_selector_matches_the_page(events):
    assert list(audit_event_list(actor=events["zhang"].pk)) == [events["late"]]
    assert list(audit_event_list(date_from=dt.date(2026, 3, 15), date_to=dt.date(2026, 3, 15))) == [
        events["login"],
        events["early"],
    ]


def test_log_shows_changes_before_and_after(admin_client, events):
    html = admin_client.get(LOG, {"object_type": "clients.client"}).content.decode()
    assert '<span class="zf-diff-before">华为</span>' in html
    assert '<span class="zf-diff-after">华为技术</span>' in html


def test_htmx_gets_the_table_and_the_url_keeps_the_filters(admin_client, events):
    for _ in range(60):
        _event(by=events["zhang"], action="delete")
    response = admin_client.get(LOG, {"action": "delete"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "<form" not in html
    assert len(response.context["page"].object_list) == 50
    assert "action=delete&amp;page=2" in html
    page2 = admin_client.get(LOG, {"action": "delete", "page": 2})
    assert len(page2.context["page"].object_list) == 10
    full = admin_client.get(LOG).content.decode()
    assert 'hx-target="#audit-table"' in full and 'hx-push-url="true"' in full


# session, user, roles, actor options, count, page ids, rows
LOG_QUERIES = 7


@pytest.mark.parametrize("rows", [5, 30])
def test_log_query_count_is_constant(admin_client, admin, django_assert_num_queries, rows):
    for n in range(rows):
        _event(by=admin, object_id=str(n), changes={"name": [f"{n}", f"{n + 1}"]})
    admin_client.get(LOG)
    with django_assert_num_queries(LOG_QUERIES):
        admin_client.get(LOG)
    with django_assert_num_queries(LOG_QUERIES):
        admin_client.get(LOG, {"action": "update", "q": "1"}, HTTP_HX_REQUEST="true")


def test_timeline_shows_stored_moments_in_local_time_not_iso():
    """A regression: a recorded 回访时间 showed as "2026-11-27T19:16:00+08:00" on the timeline."""
    from types import SimpleNamespace

    from zhangfang.core.templatetags.zhangfang import audit_rows

    event = SimpleNamespace(
        object_type="care.returnvisit",
        changes={
            "visited_at": [None, "2026-11-27T11:16:00+00:00"],
            "due_on": ["2026-11-30", "2026-12-01"],
            "summary": ["", "T10:00 开会"],
        },
    )
    rows = {row["label"]: row for row in audit_rows(event)}
    assert rows["回访时间"]["after"] == "2026-11-27 19:16"
    assert (rows["计划回访日期"]["before"], rows["计划回访日期"]["after"]) == (
        "2026-11-30",
        "2026-12-01",
    )
    assert rows["回访记录"]["after"] == "T10:00 开会"
