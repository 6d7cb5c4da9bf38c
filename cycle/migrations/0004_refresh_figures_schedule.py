"""Beat sums the current month's county figures every five minutes (``cycle.refresh_figures``),
ahead of the leaders who read them; editable in the admin (Periodic tasks)."""

from django.db import migrations

NAME = "领导看板：刷新本月数据"


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="*/5",
        hour="*",
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "cycle.refresh_figures",
            "crontab": crontab,
            "description": "每5分钟汇总本月全县数据，供领导看板读取",
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("cycle", "0003_county_outputs_by_batch")]

    operations = [migrations.RunPython(install, remove)]
