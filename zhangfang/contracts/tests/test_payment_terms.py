"""Payment terms (付款方式): the usual ones exist from installation; finance and administrators
keep them, edits are audited and a stale save is refused; a discount or free months that would
make a cycle free or negative is refused naming the field."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from zhangfang.contracts.models import PaymentCycle, PaymentTerm
from zhangfang.contracts.tests.factories import ContractFactory
from zhangfang.core.errors import DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("contracts:payment_term_list")
NEW = reverse("contracts:payment_term_create")
migration = importlib.import_module("zhangfang.contracts.migrations.0003_add_default_payment_terms")


def term_data(**changes) -> dict:
    data = {
        "name": "两年付八五折",
        "cycle": "annual",
        "discount_percent": "15",
        "free_months": "0",
        "due_days": "10",
        "sort_order": "60",
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_the_usual_terms_exist_after_installation():
    terms = {
        t.name: (t.cycle, t.discount_percent, t.free_months) for t in PaymentTerm.objects.all()
    }
    assert terms == {
        "按月付": (PaymentCycle.MONTHLY, Decimal("0.00"), 0),
        "按季付": (PaymentCycle.QUARTERLY, Decimal("0.00"), 0),
        "按半年付": (PaymentCycle.SEMIANNUAL, Decimal("0.00"), 0),
        "年付九折": (PaymentCycle.ANNUAL, Decimal("10.00"), 0),
        "年付送一个月": (PaymentCycle.ANNUAL, Decimal("0.00"), 1),
    }


def test_the_data_migration_reverses_and_keeps_terms_in_use():
    in_use = ContractFactory(payment_term=PaymentTerm.objects.get(name="按季付")).payment_term
    PaymentTerm.objects.create(name="自定义", cycle=PaymentCycle.MONTHLY)
    migration.remove_default_terms(apps, None)
    assert set(PaymentTerm.objects.values_list("name", flat=True)) == {"按季付", "自定义"}
    in_use.discount_percent = Decimal(5)
    in_use.save()
    migration.add_default_terms(apps, None)
    assert PaymentTerm.objects.count() == 6
    # A term the firm changed is left as the firm made it.
    assert PaymentTerm.objects.get(name="按季付").discount_percent == Decimal("5.00")


@pytest.mark.parametrize(
    ("role", "can_edit"),
    [("finance", True), ("admin", True), ("sales", False), ("accountant", False)],
)
def test_everyone_reads_only_finance_and_admins_keep_them(client, role, can_edit):
    term = PaymentTerm.objects.get(name="年付九折")
    client.force_login(UserFactory(roles=[role]))
    page = client.get(LIST)
    assert page.status_code == 200 and "年付九折" in page.text and "10.0%" in page.text
    edit = reverse("contracts:payment_term_edit", args=[term.pk])
    assert (edit in page.text) == can_edit
    assert client.get(NEW).status_code == (200 if can_edit else 403)
    assert client.get(edit).status_code == (200 if can_edit else 403)
    response = client.post(NEW, term_data())
    assert response.status_code == (302 if can_edit else 403)
    assert PaymentTerm.objects.filter(name="两年付八五折").exists() == can_edit
    if can_edit:
        event = AuditEvent.objects.get(action="create", object_type="contracts.paymentterm")
        assert event.changes["discount_percent"] == [None, "15.00"]


def test_a_missing_term_answers_404(client):
    client.force_login(UserFactory(roles=["finance"]))
    assert client.get(reverse("contracts:payment_term_edit", args=[999])).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"discount_percent": "100"}, "discount_percent"),
        ({"discount_percent": "-1"}, "discount_percent"),
        ({"cycle": "quarterly", "free_months": "3"}, "free_months"),
        ({"cycle": "monthly", "free_months": "1"}, "free_months"),
        ({"name": "年付九折"}, "name"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(client, changes, field):
    client.force_login(UserFactory(roles=["finance"]))
    before = PaymentTerm.objects.count()
    response = client.post(NEW, term_data(**changes))
    assert response.status_code == 200 and field in response.context["form"].errors
    assert response.context["form"]["cycle"].value() == changes.get("cycle", "annual")
    assert PaymentTerm.objects.count() == before


def test_free_months_short_of_a_cycle_are_fine(client):
    client.force_login(UserFactory(roles=["admin"]))
    response = client.post(NEW, term_data(name="季付送两个月", cycle="quarterly", free_months="2"))
    assert response.status_code == 302


def test_the_service_refuses_what_the_form_would(client):
    from zhangfang.contracts.services.prices import payment_term_create

    with pytest.raises(DomainError) as caught:
        payment_term_create(
            data={"name": "白送", "cycle": "annual", "free_months": 12}, by=UserFactory()
        )
    assert caught.value.field == "free_months"


def test_stale_edit_is_refused_and_the_first_kept(client):
    term = PaymentTerm.objects.get(name="年付九折")
    client.force_login(UserFactory(roles=["finance"]))
    url = reverse("contracts:payment_term_edit", args=[term.pk])
    data = term_data(name="年付九折", discount_percent="12", version=term.version)
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "discount_percent": "20"})
    assert "其他人已修改" in response.text
    assert response.context["form"]["discount_percent"].value() == "20"
    term.refresh_from_db()
    assert term.discount_percent == Decimal("12.00") and term.version == 2
    event = AuditEvent.objects.get(action="update", object_type="contracts.paymentterm")
    assert event.changes["discount_percent"] == ["10.00", "12.00"]


@pytest.mark.parametrize("extra", [0, 10])
def test_list_query_count_does_not_grow_with_terms(client, django_assert_num_queries, extra):
    for n in range(extra):
        PaymentTerm.objects.create(name=f"方式{n}", cycle=PaymentCycle.MONTHLY)
    client.force_login(UserFactory(roles=["sales"]))
    client.get(LIST)
    with django_assert_num_queries(4):  # session, user, roles, the terms
        assert client.get(LIST).status_code == 200
