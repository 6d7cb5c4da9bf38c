"""The county's acceptance checklist (竣工验收清单), and the roles' permissions on the new models.

Each line is copied into every new completion check. The codes are stable; running the
installer again updates each line in place (by ``code``) and keeps what the county office may
have switched off in the admin.
"""

from django.db import migrations

from residents.roles import sync_roles_migration

# code, category, title, what is checked
CHECKLIST = [
    ("facade_stairwell", "quality", "外立面及楼道改造质量", "墙面平整无空鼓开裂，涂料均匀，楼道扶手、门窗安装牢固。"),
    ("roof_waterproofing", "quality", "屋面防水工程", "防水层完整，闭水试验合格，无渗漏。"),
    ("roads", "quality", "道路及场地硬化", "路面平整密实，坡度及排水顺畅，无积水。"),
    ("water_drainage", "facilities", "供排水管网", "管道通水、通球试验合格，雨污分流，检查井盖齐全。"),
    ("cables", "facilities", "强弱电线缆规整", "线缆入管入槽，无飞线私拉，标识清楚。"),
    ("gas", "safety", "燃气管道及设施", "燃气管道安装及气密性试验合格，有燃气企业验收意见。"),
    ("fire", "safety", "消防设施及消防通道", "消防设施完好有效，消防通道畅通并有标识。"),
    ("lighting", "facilities", "路灯及公共照明", "灯具安装牢固，照明正常，控制方式合理。"),
    ("parking_charging", "facilities", "停车位、充电设施及非机动车棚", "车位划线清晰，充电设施通电检测合格，车棚牢固。"),
    ("accessibility", "facilities", "无障碍及适老化设施", "坡道、扶手、休息座椅符合规范。"),
    ("greening", "environment", "绿化及环境整治", "苗木成活，场地清洁，建筑垃圾清运完毕。"),
    ("demolition", "environment", "违章建筑拆除", "拆除到位，场地恢复平整。"),
    ("as_built", "records", "工程资料及竣工图纸", "施工、监理资料及竣工图纸齐全，签章完整。"),
    ("settlement", "records", "资金使用及结算资料", "工程量清单、签证及结算资料齐全，与现场一致。"),
]


def install_checklist(apps, schema_editor):
    ChecklistTemplateItem = apps.get_model("acceptance", "ChecklistTemplateItem")
    for order, (code, category, title, standard) in enumerate(CHECKLIST, start=1):
        ChecklistTemplateItem.objects.update_or_create(
            code=code,
            defaults={"category": category, "title": title, "standard": standard, "order": order},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("acceptance", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install_checklist, migrations.RunPython.noop),
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
