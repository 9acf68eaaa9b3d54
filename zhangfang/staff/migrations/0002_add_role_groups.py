"""Create one auth group per role of DESIGN.md; role membership is group membership."""

from django.db import migrations

ROLE_CODES = ["sales", "service", "accountant", "tax", "finance", "dept_head", "admin"]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for code in ROLE_CODES:
        Group.objects.get_or_create(name=code)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=ROLE_CODES, user__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("staff", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
