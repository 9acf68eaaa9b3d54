"""The payment terms most firms offer (DOMAIN.md §4): monthly, quarterly, half-yearly, and an
annual prepayment with 10% off or one month free. Finance edits or disables them afterwards."""

from decimal import Decimal

from django.db import migrations

DEFAULT_TERMS = [
    # name, cycle, discount %, free months, sort order
    ("按月付", "monthly", Decimal(0), 0, 10),
    ("按季付", "quarterly", Decimal(0), 0, 20),
    ("按半年付", "semiannual", Decimal(0), 0, 30),
    ("年付九折", "annual", Decimal(10), 0, 40),
    ("年付送一个月", "annual", Decimal(0), 1, 50),
]


def add_default_terms(apps, schema_editor):
    PaymentTerm = apps.get_model("contracts", "PaymentTerm")
    for name, cycle, discount, free_months, order in DEFAULT_TERMS:
        # A term the firm already has under this name is left as the firm made it.
        PaymentTerm.objects.get_or_create(
            name=name,
            defaults={
                "cycle": cycle,
                "discount_percent": discount,
                "free_months": free_months,
                "sort_order": order,
            },
        )


def remove_default_terms(apps, schema_editor):
    PaymentTerm = apps.get_model("contracts", "PaymentTerm")
    ServicePlanVersion = apps.get_model("contracts", "ServicePlanVersion")
    Contract = apps.get_model("contracts", "Contract")
    # Plans and contracts keep the term they were made with; only unused terms are removed.
    used = set(ServicePlanVersion.objects.values_list("payment_term_id", flat=True))
    used |= set(Contract.objects.values_list("payment_term_id", flat=True))
    PaymentTerm.objects.filter(name__in=[term[0] for term in DEFAULT_TERMS]).exclude(
        pk__in=used
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0002_add_plans_contracts_and_fee_terms")]

    operations = [migrations.RunPython(add_default_terms, remove_default_terms)]
