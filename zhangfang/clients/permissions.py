"""Who may open, change and reveal what on a client."""

from __future__ import annotations

from django.http import Http404

from zhangfang.clients import selectors
from zhangfang.clients.models import Client, Contact
from zhangfang.core.roles import Role, has_role

#: Roles that may change the team and the department a client is served by.
TEAM_MANAGERS = (Role.ADMIN, Role.DEPARTMENT_HEAD)
#: Roles that may register new clients.
CLIENT_CREATORS = (Role.ADMIN, Role.DEPARTMENT_HEAD, Role.SALES)
#: Roles that may export the client list (a copy of client data leaving the system, 五（三）).
CLIENT_EXPORTERS = (Role.ADMIN, Role.DEPARTMENT_HEAD, Role.FINANCE)
#: Who may see a sensitive field in full (the rest see it masked).
REVEAL_ROLES = {
    "id_number": (Role.ADMIN, Role.DEPARTMENT_HEAD, Role.ACCOUNTANT, Role.TAX_SPECIALIST),
    "bank_account": (Role.ADMIN, Role.DEPARTMENT_HEAD, Role.ACCOUNTANT, Role.FINANCE),
}


def access_client(user, pk: int) -> Client:
    """The client if ``user`` may see it; 404 otherwise, the same answer as for a missing one."""
    client = selectors.client_get(user=user, pk=pk)
    if client is None:
        raise Http404
    return client


def access_contact(user, client: Client, contact_pk: int) -> Contact:
    contact = client.contacts.filter(pk=contact_pk).first()
    if contact is None:
        raise Http404
    return contact


def can_create_client(user) -> bool:
    return has_role(user, *CLIENT_CREATORS)


def can_manage_team(user) -> bool:
    return has_role(user, *TEAM_MANAGERS)


def can_export_clients(user) -> bool:
    return has_role(user, *CLIENT_EXPORTERS)


def can_reveal(user, field: str) -> bool:
    return field in REVEAL_ROLES and has_role(user, *REVEAL_ROLES[field])
