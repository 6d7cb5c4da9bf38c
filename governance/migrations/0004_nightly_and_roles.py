"""Beat runs governance's nightly task (``governance.nightly``): it closes the residents'
evaluations whose last day has passed and keeps this year's points assessment up to date;
editable in the admin (Periodic tasks). And the roles' permissions on the new models."""

from django.db import migrations

from residents.roles import sync_roles_migration

NAME = "物业考核：关闭到期测评并更新本年积分"


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="2",
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "governance.nightly",
            "crontab": crontab,
            "description": "每天凌晨关闭已到期的物业服务满意度测评、计入诚信档案，并重算本年度积分考核",
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0003_evaluation_firm_file_self_governance"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(install, remove),
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
