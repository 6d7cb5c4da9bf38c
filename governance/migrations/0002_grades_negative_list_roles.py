"""The county's grades (AAA ≥ 85, AA ≥ 80, A ≥ 70, B ≥ 60, C below: below standard) and a
first negative list, both editable in the admin; and the roles' permissions."""

from decimal import Decimal

from django.db import migrations

from residents.roles import sync_roles_migration

GRADES = [("AAA", 85, False), ("AA", 80, False), ("A", 70, False), ("B", 60, False), ("C", 0, True)]

NEGATIVE_LIST = [
    ("未按合同约定提供保洁、保安、维修服务", 5),
    ("公共区域堆放杂物、乱搭乱建未制止", 3),
    ("消防通道堵塞未及时处理", 5),
    ("居民诉求逾期未答复", 2),
    ("擅自提高收费标准或违规收费", 10),
    ("挪用、侵占公共收益或维修资金", 20),
    ("督查发现问题逾期未整改", 3),
]


def install(apps, schema_editor):
    Grade = apps.get_model("governance", "Grade")
    NegativeItem = apps.get_model("governance", "NegativeItem")
    for name, minimum, below in GRADES:
        Grade.objects.update_or_create(
            name=name, defaults={"minimum": Decimal(minimum), "below_standard": below}
        )
    for behaviour, deduction in NEGATIVE_LIST:
        NegativeItem.objects.get_or_create(
            behaviour=behaviour, defaults={"deduction": Decimal(deduction)}
        )


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
