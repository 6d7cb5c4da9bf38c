"""The ranking's criteria and weights, the cycle's schedule, and the roles' permissions.

The schedule is a set of django-celery-beat entries in Asia/Shanghai time, editable in the
admin (Periodic tasks): the 1st of each month at 00:05 opens the month's dispatch; the 25th at
09:00 reminds who has not reported; the 1st at 01:30 closes the month just ended; the 1st of
January, April, July and October at 03:00 prepares the quarter's meeting pack; every day at
06:15 the daily flags, and a catch-up of any job that did not run. Running the installer
again updates the entries by name and keeps whether they are enabled.
"""

from django.db import migrations
from django.utils import timezone

from residents.roles import sync_roles_migration

# code, name, weight, how it is scored
CRITERIA = [
    (
        "schedule",
        "工期进度",
        30,
        "月末没有逾期里程碑得100分；每个逾期未完成的里程碑扣20分，最低0分。",
    ),
    (
        "inspection",
        "督查问题",
        20,
        "100分起，当月督查发现的问题一般扣5分、较重扣15分、严重扣30分，月末逾期未整改的每项扣10分，最低0分。",
    ),
    (
        "requests",
        "群众诉求办理",
        20,
        "当月到期的群众诉求中按期答复的比例×100；当月没有到期诉求得100分。",
    ),
    (
        "reporting",
        "按时报送",
        15,
        "月度调度表在25日前报送得100分，月末前报送得60分，月末仍未报送得0分。",
    ),
    (
        "satisfaction",
        "居民满意度",
        15,
        "已开展满意度调查的项目按最近一轮满意率×100计分；未调查的项目不计此项，其余各项按权重折算。",
    ),
]

# name, task, crontab (minute, hour, day_of_month, month_of_year), description
SCHEDULE = [
    ("一月一调度：开启本月调度", "cycle.open_month", ("5", "0", "1", "*"), "每月1日开启本月调度表"),
    ("一月一调度：提醒未报送", "cycle.remind", ("0", "9", "25", "*"), "每月25日提醒未报送的项目"),
    (
        "月末：督查通报、评比、月度通报",
        "cycle.close_month",
        ("30", "1", "1", "*"),
        "每月1日关闭上月：冻结数据、督查通报、评比排名、月度通报",
    ),
    (
        "季度领导小组例会材料",
        "cycle.prepare_quarter",
        ("0", "3", "1", "1,4,7,10"),
        "每季度首日准备上季度领导小组例会材料",
    ),
    ("每日提醒与补跑", "cycle.daily", ("15", "6", "*", "*"), "每日标记逾期事项，并补跑未执行的月度任务"),
]


def install(apps, schema_editor):
    RankingCriterion = apps.get_model("cycle", "RankingCriterion")
    HistoricalRankingCriterion = apps.get_model("cycle", "HistoricalRankingCriterion")
    for code, name, weight, method in CRITERIA:
        criterion, created = RankingCriterion.objects.update_or_create(
            code=code, defaults={"name": name, "weight": weight, "method": method}
        )
        if created:  # its first version, so the first change in the admin shows old → new
            HistoricalRankingCriterion.objects.create(
                id=criterion.pk,
                code=code,
                name=name,
                weight=weight,
                method=method,
                active=criterion.active,
                history_date=timezone.now(),
                history_type="+",
                history_change_reason="安装评比指标",
            )
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, day, month), description in SCHEDULE:
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day,
            month_of_year=month,
            day_of_week="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cycle", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
