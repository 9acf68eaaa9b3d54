"""The holidays the policy names (元旦, 春节, 元宵, 清明, 端午, 中秋, 国庆) and a birthday greeting,
each with a default e-mail template the firm can edit."""

from django.db import migrations

DAYS = [
    # code, name, rule, month, day, subject, body
    ("new_year", "元旦", "solar", 1, 1, "元旦快乐", "{联系人}您好：值此元旦佳节，{公司}祝您和{客户}新年快乐，万事顺意！"),
    ("spring_festival", "春节", "lunar", 1, 1, "新春快乐", "{联系人}您好：{公司}恭祝您和家人新春快乐，阖家幸福，祝{客户}生意兴隆！"),
    ("lantern_festival", "元宵节", "lunar", 1, 15, "元宵节快乐", "{联系人}您好：{公司}祝您元宵节快乐，团团圆圆！"),
    ("qingming", "清明节", "qingming", None, None, "清明时节问候", "{联系人}您好：清明时节，{公司}祝您出行平安，身体健康。"),
    ("dragon_boat", "端午节", "lunar", 5, 5, "端午安康", "{联系人}您好：{公司}祝您端午安康！"),
    ("mid_autumn", "中秋节", "lunar", 8, 15, "中秋快乐", "{联系人}您好：月圆人团圆，{公司}祝您和家人中秋快乐！"),
    ("national_day", "国庆节", "solar", 10, 1, "国庆快乐", "{联系人}您好：{公司}祝您国庆节快乐，假期愉快！"),
]


def seed(apps, schema_editor):
    GreetingDay = apps.get_model("care", "GreetingDay")
    GreetingTemplate = apps.get_model("care", "GreetingTemplate")
    for code, name, rule, month, day, subject, body in DAYS:
        holiday, _ = GreetingDay.objects.get_or_create(
            code=code,
            defaults={"name": name, "rule": rule, "month": month, "day": day, "builtin": True},
        )
        if not GreetingTemplate.objects.filter(kind="holiday", day=holiday).exists():
            GreetingTemplate.objects.create(
                kind="holiday", day=holiday, subject=subject, body=body, channels=["email"]
            )
    if not GreetingTemplate.objects.filter(kind="birthday").exists():
        GreetingTemplate.objects.create(
            kind="birthday",
            subject="生日快乐",
            body="{联系人}您好：今天是您的生日，{公司}全体同仁祝您生日快乐，身体健康，事业顺利！",
            channels=["email"],
        )


def unseed(apps, schema_editor):
    GreetingDay = apps.get_model("care", "GreetingDay")
    GreetingTemplate = apps.get_model("care", "GreetingTemplate")
    GreetingTemplate.objects.filter(kind="birthday", day__isnull=True).delete()
    GreetingDay.objects.filter(code__in=[row[0] for row in DAYS], builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("care", "0001_create_care")]

    operations = [migrations.RunPython(seed, unseed)]
