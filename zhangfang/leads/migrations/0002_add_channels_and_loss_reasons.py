"""Ship the policy's channels (二(二)) and common loss reasons; administrators edit them later."""

from django.db import migrations

CHANNELS = [
    ("website", "官方网站"),
    ("wechat", "微信"),
    ("weibo", "微博"),
    ("douyin", "抖音"),
    ("forum", "行业论坛/社区"),
    ("exhibition", "展会/研讨会"),
    ("partner", "合作机构推荐"),
    ("flyer", "宣传资料"),
    ("referral", "老客户推荐"),
    ("walk_in", "上门咨询"),
]
LOSS_REASONS = ["价格因素", "选择了其他代账公司", "暂无需求", "联系不上", "自行记账", "其他"]


def create(apps, schema_editor):
    Channel = apps.get_model("leads", "Channel")
    LossReason = apps.get_model("leads", "LossReason")
    for order, (code, name) in enumerate(CHANNELS, start=1):
        Channel.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order * 10})
    for order, name in enumerate(LOSS_REASONS, start=1):
        LossReason.objects.get_or_create(name=name, defaults={"sort_order": order * 10})


def remove(apps, schema_editor):
    apps.get_model("leads", "Channel").objects.filter(
        code__in=[code for code, _ in CHANNELS], prospects__isnull=True
    ).delete()
    apps.get_model("leads", "LossReason").objects.filter(
        name__in=LOSS_REASONS, prospect__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
