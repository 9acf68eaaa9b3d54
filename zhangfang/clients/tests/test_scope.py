"""Data scope: each role sees exactly the clients the policy gives it; others' clients are 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zhangfang.clients.selectors import clients_visible_to
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db

# role → (sees "ours", sees "theirs")
MATRIX = {
    "admin": (True, True),
    "finance": (True, True),
    "head1": (True, False),
    "head2": (False, True),
    "sales1": (True, False),
    "acct1": (True, False),
    "acct2": (False, True),
    "tax1": (True, False),
    "service1": (True, False),
}


@pytest.mark.parametrize(("who", "expected"), MATRIX.items())
def test_each_role_sees_only_its_clients(firm, who, expected):
    user = getattr(firm.staff, who)
    visible = set(clients_visible_to(user))
    assert (firm.ours in visible, firm.theirs in visible) == expected


@pytest.mark.parametrize(("who", "expected"), MATRIX.items())
def test_detail_of_a_client_outside_the_scope_answers_404(client, firm, who, expected):
    client.force_login(getattr(firm.staff, who))
    for acme, allowed in zip((firm.ours, firm.theirs), expected, strict=True):
        response = client.get(reverse("clients:detail", args=[acme.pk]))
        assert response.status_code == (200 if allowed else 404)
        edit = client.get(reverse("clients:edit", args=[acme.pk]))
        assert edit.status_code == (200 if allowed else 404)


def test_missing_client_and_foreign_client_get_the_same_answer(client, firm):
    client.force_login(firm.staff.acct1)
    missing = client.get(reverse("clients:detail", args=[999999]))
    foreign = client.get(reverse("clients:detail", args=[firm.theirs.pk]))
    assert missing.status_code == foreign.status_code == 404


def test_list_shows_only_visible_clients(client, firm):
    client.force_login(firm.staff.acct1)
    response = client.get(reverse("clients:list"))
    assert firm.ours.name in response.text
    assert firm.theirs.name not in response.text


def test_a_salesperson_sees_the_prospects_they_own(firm):
    prospect = ClientFactory(status="prospect", sales_owner=firm.staff.sales1, department=None)
    someone_elses = ClientFactory(status="prospect", department=firm.d1)
    visible = set(clients_visible_to(firm.staff.sales1))
    assert prospect in visible
    assert someone_elses not in visible


def test_user_without_role_sees_nothing(firm):
    from zhangfang.staff.tests.factories import UserFactory

    nobody = UserFactory(username="nobody", roles=[])
    assert not clients_visible_to(nobody).exists()


def test_contacts_of_a_foreign_client_are_404(client, firm):
    contact = ContactFactory(client=firm.theirs)
    client.force_login(firm.staff.acct1)
    url = reverse("clients:contact_edit", args=[firm.theirs.pk, contact.pk])
    assert client.get(url).status_code == 404
    # Nor can a contact be reached through a client the user may see.
    url = reverse("clients:contact_edit", args=[firm.ours.pk, contact.pk])
    assert client.get(url).status_code == 404


def test_anonymous_user_is_sent_to_login(client, firm):
    response = client.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login"))
