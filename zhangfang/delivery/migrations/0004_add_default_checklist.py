"""The firm's starting quality checklist (policy 三（二）4); the administrator edits it."""

from django.db import migrations

DEFAULT_ITEMS = [
    ("原始凭证齐全合规", "凭证后附发票、收据、银行回单齐全，票据真实合规", 15),
    ("会计科目使用正确", "科目选用符合企业会计准则或小企业会计准则", 15),
    ("账务处理准确", "金额、方向、期间正确，结转完整", 20),
    ("银行余额核对一致", "银行存款账面余额与对账单一致", 10),
    ("报表勾稽关系正确", "资产负债表、利润表勾稽一致，与总账相符", 15),
    ("申报数据与账簿一致", "各税种申报表数据与账簿、报表一致", 15),
    ("资料归档完整", "凭证、账簿、报表、申报表按期装订归档", 10),
]


def add_items(apps, schema_editor):
    ChecklistItem = apps.get_model("delivery", "ChecklistItem")
    for position, (name, description, score) in enumerate(DEFAULT_ITEMS, start=1):
        ChecklistItem.objects.get_or_create(
            name=name,
            defaults={"description": description, "max_score": score, "position": position * 10},
        )


def remove_items(apps, schema_editor):
    ChecklistItem = apps.get_model("delivery", "ChecklistItem")
    ChecklistItem.objects.filter(name__in=[name for name, _, _ in DEFAULT_ITEMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("delivery", "0003_add_monthly_work_quality_surveys")]

    operations = [migrations.RunPython(add_items, remove_items)]
