"""The county's task catalogue (任务清单): the 24 kinds of renovation work.

Each kind is grouped by 三治四改一提升 and by the national classes of the guideline (国办发
〔2020〕23号): basic (基础类) is what safety and daily life need: pipes, cables, roofs, roads,
fire safety, security, lighting, waste; improvement (完善类) is environment and facilities:
parking, charging, elevators, greening, sheds, sport, barrier-free and elderly-friendly work;
upgrading (提升类) is public services: property-management rooms, culture walls.

``priority`` follows 两先两后 (livelihood and safety first, the urgent first): gas, fire safety,
water and drainage, power cables and roofs lead. ``livelihood_and_safety`` marks the basic class,
and e-bike sheds, which end dangerous indoor and flying-lead charging.

The codes are stable: demo data and the leader pages refer to them. Running the installer again
updates each kind in place (by ``code``) and keeps the priority and "in use" that the county
office may have changed in the admin.
"""

from django.db import migrations

# code, name_zh, name_en, unit, group, national_class, livelihood_and_safety (priority = order)
CATALOGUE = [
    ("gas_pipes", "燃气管道改造", "Gas pipes", "metre", "infrastructure", "basic", True),
    ("fire_safety", "消防设施改造", "Fire safety", "set", "security", "basic", True),
    ("water_drainage", "供排水管网改造", "Water supply and drainage pipes", "metre", "infrastructure", "basic", True),
    ("cable_tidying", "强弱电线缆规整", "Power and telecom cable tidy-up", "metre", "governance", "basic", True),
    ("roof_waterproofing", "屋面防水", "Roof waterproofing", "square_metre", "buildings", "basic", True),
    ("facade_stairwell", "外立面及楼道改造", "Facade and stairwell renovation", "square_metre", "buildings", "basic", True),
    ("road_surfacing", "道路硬化", "Road surfacing", "square_metre", "infrastructure", "basic", True),
    ("street_lighting", "路灯照明", "Street lighting", "set", "infrastructure", "basic", True),
    ("access_control", "门禁及安防设施", "Access control and security", "set", "security", "basic", True),
    ("cctv", "视频监控", "CCTV", "set", "security", "basic", True),
    ("waste_sorting", "垃圾分类收集点", "Waste-sorting points", "item", "governance", "basic", True),
    ("bike_shed", "非机动车棚", "Bicycle and e-bike sheds", "shed", "space", "improvement", True),
    ("illegal_structure_demolition", "拆除违章建筑", "Illegal structures demolished", "structure", "governance", "improvement", False),
    ("public_toilet", "公共厕所", "Public toilets", "square_metre", "governance", "improvement", False),
    ("elevator", "加装电梯", "Elevator installation", "elevator", "buildings", "improvement", False),
    ("elderly_friendly", "适老化及无障碍改造", "Elderly-friendly and barrier-free work", "item", "quality", "improvement", False),
    ("eco_parking", "生态停车位", "Eco parking spaces", "parking_space", "space", "improvement", False),
    ("charging_pile", "新能源汽车充电桩", "EV charging piles", "charging_pile", "infrastructure", "improvement", False),
    ("greening", "绿化景观", "Greening and landscape", "square_metre", "space", "improvement", False),
    ("building_number_plates", "楼栋门牌标识", "Building number plates", "set", "buildings", "improvement", False),
    ("leisure_square", "休闲广场", "Leisure square", "square_metre", "space", "improvement", False),
    ("fitness_facilities", "健身及球类设施", "Fitness and ball-game facilities", "set", "quality", "improvement", False),
    ("property_room", "物业管理用房", "Property-management rooms", "square_metre", "quality", "upgrading", False),
    ("culture_wall", "文化墙及标识标牌", "Culture walls and signage", "square_metre", "quality", "upgrading", False),
]


def install_catalogue(apps, schema_editor):
    CatalogueKind = apps.get_model("projects", "CatalogueKind")
    for priority, (code, name_zh, name_en, unit, group, national_class, safety) in enumerate(
        CATALOGUE, start=1
    ):
        CatalogueKind.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "unit": unit,
                "group": group,
                "national_class": national_class,
                "livelihood_and_safety": safety,
            },
            create_defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "unit": unit,
                "group": group,
                "national_class": national_class,
                "livelihood_and_safety": safety,
                "priority": priority,
                "is_active": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_phase_durations")]

    operations = [migrations.RunPython(install_catalogue, migrations.RunPython.noop)]
