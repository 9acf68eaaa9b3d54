"""``manage.py seed_demo`` and the demo-firm builder behind it."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command

from zhangfang.clients.demo import DEMO_PASSWORD, HUAWEI_NAME, build_demo_firm, plan_demo_firm
from zhangfang.clients.models import Client, ClientStatus, Contact, TaxpayerType
from zhangfang.core import sample_data
from zhangfang.core.roles import Role
from zhangfang.core.validators import (
    birth_date_from_resident_id,
    normalize_mobile,
    validate_resident_id,
    validate_uscc,
)
from zhangfang.staff.models import Department, User

DEMO_CLIENTS = 30


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--clients", str(DEMO_CLIENTS), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db) -> str:
    return seed()


def test_creates_the_requested_clients_with_contacts(demo):
    assert Client.objects.count() == DEMO_CLIENTS
    per_client = Counter(Contact.objects.values_list("client_id", flat=True))
    assert set(per_client) == set(Client.objects.values_list("id", flat=True))
    assert set(per_client.values()) <= {1, 2, 3}


def test_staff_in_every_role(demo):
    for role in Role.values:
        assert User.objects.filter(groups__name=role).exists(), role
    service_departments = Department.objects.filter(clients__isnull=False).distinct()
    assert service_departments.count() >= 2
    for department in service_departments:
        heads = department.members.filter(groups__name=Role.DEPARTMENT_HEAD)
        assert heads.exists(), department.name
        accountants = department.members.filter(groups__name=Role.ACCOUNTANT)
        assert accountants.count() >= 2, department.name
    for user in User.objects.all():
        assert user.name and not user.name.isascii()


def test_teams_come_from_the_clients_own_department(demo):
    for client in Client.objects.select_related(
        "sales_owner", "accountant", "tax_specialist", "customer_service"
    ):
        team = [
            client.sales_owner,
            client.accountant,
            client.tax_specialist,
            client.customer_service,
        ]
        for member in team:
            if member is not None:
                assert member.department_id == client.department_id, client.name
        if client.status != ClientStatus.PROSPECT:
            assert None not in team, client.name


def test_every_identifier_passes_the_national_checks(demo):
    for code in Client.objects.values_list("uscc", flat=True):
        assert validate_uscc(code) == code
    contacts = list(Contact.objects.all())
    assert any(contact.id_number for contact in contacts)
    for contact in contacts:
        assert normalize_mobile(contact.mobile) == contact.mobile
        if contact.id_number:
            assert validate_resident_id(contact.id_number) == contact.id_number
            assert contact.birthday == birth_date_from_resident_id(contact.id_number)
        else:
            assert contact.birthday is None
    for user in User.objects.exclude(mobile=""):
        assert normalize_mobile(user.mobile) == user.mobile


def test_industry_matches_the_business_in_the_name(demo):
    industries = dict(sample_data.BUSINESS)
    suffixes = sorted(set(sample_data.SUFFIXES), key=len, reverse=True)
    for name, industry in Client.objects.exclude(name=HUAWEI_NAME).values_list("name", "industry"):
        rest = name.split("市", 1)[1][2:]  # "{city}市{brand of 2}{business}{suffix}"
        suffix = next(s for s in suffixes if rest.endswith(s))
        assert industries[rest.removesuffix(suffix)] == industry, name


def test_huawei_is_there_for_the_pinyin_demo(demo):
    huawei = Client.objects.get(name=HUAWEI_NAME)
    assert huawei.short_name == "华为"
    assert "hwjs" in huawei.search_pinyin
    assert validate_uscc(huawei.uscc) == huawei.uscc
    assert huawei.uscc != "914403001922038216"  # the real one is not ours to use
    assert huawei.accountant.username == "acct1"


def test_prints_the_logins_and_they_work(demo):
    assert "admin / Zhangfang#2026" in demo
    for username in ("finance", "head1", "acct1", "tax1", "service1", "sales1"):
        assert f"{username} / {DEMO_PASSWORD}" in demo
    admin = User.objects.get(username="admin")
    assert admin.groups.filter(name=Role.ADMIN).exists()
    validate_password(DEMO_PASSWORD, admin)
    assert admin.check_password(DEMO_PASSWORD)
    assert User.objects.get(username="acct1").check_password(DEMO_PASSWORD)


def test_second_run_changes_nothing(demo):
    before = (Client.objects.count(), Contact.objects.count(), User.objects.count())
    output = seed()
    assert (Client.objects.count(), Contact.objects.count(), User.objects.count()) == before
    assert "未创建演示数据" in output
    assert "admin / Zhangfang#2026" in output


def _wipe() -> None:
    Client.objects.all().delete()
    User.objects.all().delete()
    Department.objects.all().delete()


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_firm():
    build_demo_firm(clients=DEMO_CLIENTS)
    first = list(
        Client.objects.order_by("name").values_list("name", "uscc", "accountant__username")
    )
    first_contacts = sorted(Contact.objects.values_list("name", "mobile", "id_number"))
    _wipe()
    build_demo_firm(clients=DEMO_CLIENTS)
    again = list(
        Client.objects.order_by("name").values_list("name", "uscc", "accountant__username")
    )
    assert again == first
    assert sorted(Contact.objects.values_list("name", "mobile", "id_number")) == first_contacts
    _wipe()
    build_demo_firm(clients=DEMO_CLIENTS, seed=7)
    other = list(
        Client.objects.order_by("name").values_list("name", "uscc", "accountant__username")
    )
    assert other != first


def test_the_mix_is_realistic_at_scale():
    plan = plan_demo_firm(clients=2000)
    clients = plan["clients"]
    assert len({c["name"] for c in clients}) == len(clients)
    assert len({c["uscc"] for c in clients}) == len(clients)
    statuses = Counter(c["status"] for c in clients)
    assert statuses[ClientStatus.ACTIVE] / len(clients) > 0.7
    assert all(statuses[status] for status in ClientStatus.values)
    small = sum(c["taxpayer_type"] == TaxpayerType.SMALL for c in clients) / len(clients)
    assert 0.6 < small < 0.8
    roles = Counter(member.role for member in plan["staff"])
    assert roles[Role.ADMIN] == 1
    assert roles[Role.ACCOUNTANT] >= 2000 / 60


def test_a_large_firm_has_about_300_staff():
    staff = plan_demo_firm(clients=10_000)["staff"]
    assert 250 <= len(staff) <= 400
    assert len({member.username for member in staff}) == len(staff)
