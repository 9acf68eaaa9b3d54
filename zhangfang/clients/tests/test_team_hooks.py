"""The team-change hook: the client services tell registered callbacks which team member was
replaced, inside their transaction (a failing callback undoes the change)."""

from __future__ import annotations

import pytest

from zhangfang.clients import services, team_hooks
from zhangfang.clients.models import Client
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    seen: list[dict] = []

    def callback(**kwargs):
        seen.append(kwargs)

    team_hooks.register(callback)
    yield seen
    team_hooks.unregister(callback)


def test_register_keeps_one_copy_of_a_callback(calls):
    def other(**kwargs):
        calls.append({"other": True})

    team_hooks.register(other)
    team_hooks.register(other)
    try:
        team_hooks.run(client=None, field="accountant", old_user_id=1, new_user=None, by=None)
    finally:
        team_hooks.unregister(other)
    assert calls.count({"other": True}) == 1


def test_client_update_announces_each_changed_team_field(firm, calls):
    acct3 = UserFactory(username="acct3", department=firm.d1, roles=["accountant"])
    services.client_update(
        client=firm.ours,
        data={"accountant": acct3, "customer_service": None, "phone": "0755-1"},
        expected_version=firm.ours.version,
        by=firm.staff.head1,
    )
    by_field = {call["field"]: call for call in calls}
    assert set(by_field) == {"accountant", "customer_service"}
    assert by_field["accountant"]["old_user_id"] == firm.staff.acct1.pk
    assert by_field["accountant"]["new_user"] == acct3
    assert by_field["accountant"]["client"].pk == firm.ours.pk
    assert by_field["accountant"]["by"] == firm.staff.head1
    assert by_field["customer_service"]["old_user_id"] == firm.staff.service1.pk
    assert by_field["customer_service"]["new_user"] is None


def test_client_update_without_team_change_announces_nothing(firm, calls):
    services.client_update(
        client=firm.ours,
        data={"phone": "0755-2", "accountant": firm.staff.acct1},
        expected_version=firm.ours.version,
        by=firm.staff.head1,
    )
    assert calls == []


def test_clients_reassign_announces_each_changed_client(firm, calls):
    already = ClientFactory(department=firm.d1, tax_specialist=firm.staff.tax1)
    other = ClientFactory(department=firm.d1, tax_specialist=None)
    tax2 = UserFactory(username="tax2", department=firm.d1, roles=["tax"])
    services.clients_reassign(
        clients=[firm.ours, other], field="tax_specialist", to=tax2, by=firm.staff.head1
    )
    assert sorted((c["client"].pk, c["old_user_id"]) for c in calls) == sorted(
        [(firm.ours.pk, firm.staff.tax1.pk), (other.pk, None)]
    )
    assert all(c["field"] == "tax_specialist" and c["new_user"] == tax2 for c in calls)
    # Reassigning a client to the person it already has changes nothing and announces nothing.
    services.clients_reassign(clients=[already], field="tax_specialist", to=tax2, by=None)
    assert len(calls) == 3
    services.clients_reassign(clients=[already], field="tax_specialist", to=tax2, by=None)
    assert len(calls) == 3


def test_a_failing_callback_undoes_the_team_change(firm):
    def refuse(**kwargs):
        raise RuntimeError("boom")

    team_hooks.register(refuse)
    try:
        with pytest.raises(RuntimeError):
            services.clients_reassign(
                clients=[firm.ours], field="accountant", to=firm.staff.acct2, by=None
            )
    finally:
        team_hooks.unregister(refuse)
    assert Client.objects.get(pk=firm.ours.pk).accountant_id == firm.staff.acct1.pk
