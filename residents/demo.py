"""The Shiquan demo county (石泉县), and synthetic neighbourhoods for load and benchmark work.

``load_demo()`` loads the county as its survey sheet describes it: the region tree, 22
renovated neighbourhoods (about 3,100 households and 17,500 people, batches 2019–2025), the
seven neighbourhoods of the 2026 batch with small registers to try every flow on, their
buildings and households, the owners' committees, building heads, property companies and
visit teams, and one demo account per role. ``ensure_synthetic(n)`` adds neighbourhoods
合成小区00001 … of realistic size in a synthetic town, in bulk.

Deterministic: every neighbourhood, committee and company draws from its own
``random.Random`` seeded by ``zlib.crc32`` of its name (never ``hash()``, which changes from
one process to the next), so every machine gets the same rows.

Idempotent: rows are found by their natural keys (region parent + name, neighbourhood
community + name, building neighbourhood + number, household building + unit + room) and only
the missing ones are created. What exists is left as it is, so a demonstrator's edits survive
the ``seed_demo`` that ``make run`` runs on every start. The demo accounts are the exception:
their role, staff flag and password follow the settings on every run.

The phone and ID numbers are fake but well-formed: mobiles of 11 digits, resident ID numbers
of Shiquan County (610922) with a correct check character, unique across the demo and up to
about 12,000 synthetic neighbourhoods.
"""

from __future__ import annotations

import random
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.db import connection, reset_queries, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import (
    Building,
    BuildingHead,
    CommitteeMember,
    Household,
    Neighbourhood,
    OwnersCommittee,
    PropertyCompany,
    Region,
    StaffProfile,
    VisitTeam,
)
from .roles import ADMIN_ROLES, Role
from .validators import credit_code_check_char, id_number_check_char

Occupancy = Household.Occupancy
HousingType = Neighbourhood.HousingType

COUNTY_NAME = "石泉县"
COUNTY_CODE = "610922"
#: The batch being prepared now: its neighbourhoods have small registers for trying flows.
CURRENT_BATCH_YEAR = 2026

#: Towns and sub-districts of Shiquan County, with the communities the demo uses.
#: Town codes are left blank: the demo does not claim them.
TOWNS: dict[str, tuple[str, ...]] = {
    "城关镇": ("老城社区", "西城社区", "东城社区", "古堰社区", "江南社区", "红花社区", "新城社区"),
    "饶峰镇": (),
    "两河镇": (),
    "迎丰镇": (),
    "池河镇": ("池河社区",),
    "后柳镇": ("后柳社区",),
    "喜河镇": (),
    "熨斗镇": (),
    "中池镇": (),
    "曾溪镇": (),
    "云雾山镇": (),
}


@dataclass(frozen=True)
class DemoNeighbourhood:
    name: str
    community: str
    address: str
    year_built: int
    housing_type: str
    renovation_year: int
    households: int
    population: int


@dataclass(frozen=True)
class DemoCompany:
    name: str
    org_code: str  # the 8 digits of the organisation code, without its check character
    contact_name: str
    contact_phone: str
    serves: tuple[str, ...]


@dataclass(frozen=True)
class DemoCommittee:
    name: str
    community: str
    term_start: date
    term_years: int
    neighbourhoods: tuple[str, ...]  # of its community; two where compounds were merged


_R, _C, _W, _M, _O = (
    HousingType.REFORMED_PUBLIC,
    HousingType.CO_FUNDED,
    HousingType.WELFARE,
    HousingType.COMMERCIAL,
    HousingType.OTHER,
)

#: The county's survey sheet. Households and population are the declared figures; the
#: register created for each neighbourhood adds up to exactly these.
NEIGHBOURHOODS = (
    # name, community, address, year built, housing type, batch, households, people
    DemoNeighbourhood("老冰棍厂小区", "老城社区", "老街86号", 1985, _R, 2020, 96, 541),
    DemoNeighbourhood("粮食局家属院", "东城社区", "东大街41号", 1986, _R, 2019, 104, 590),
    DemoNeighbourhood("县医院家属院", "西城社区", "西城路15号", 1990, _W, 2019, 172, 968),
    DemoNeighbourhood("老物局小区", "老城社区", "汉江大道212号", 1988, _R, 2020, 132, 746),
    DemoNeighbourhood("供销社家属院", "老城社区", "老街120号", 1982, _R, 2020, 88, 497),
    DemoNeighbourhood("电力局家属院", "古堰社区", "古堰路9号", 1995, _C, 2020, 196, 1102),
    DemoNeighbourhood("金江百司小区", "江南社区", "江南路33号", 1993, _C, 2021, 196, 1109),
    DemoNeighbourhood("丝绸厂小区", "江南社区", "江南路58号", 1984, _R, 2021, 248, 1403),
    DemoNeighbourhood("邮电局小区", "西城社区", "汉江大道166号", 1992, _C, 2021, 96, 540),
    DemoNeighbourhood("红花小区", "红花社区", "红花路2号", 1997, _M, 2022, 336, 1893),
    DemoNeighbourhood("农机厂小区", "东城社区", "北环路77号", 1981, _R, 2022, 120, 681),
    DemoNeighbourhood("交通局家属院", "西城社区", "西城路48号", 1994, _C, 2022, 84, 473),
    DemoNeighbourhood("林业局家属院", "古堰社区", "古堰路36号", 1989, _W, 2023, 112, 632),
    DemoNeighbourhood("农行家属院", "老城社区", "汉江大道95号", 1996, _C, 2023, 72, 405),
    DemoNeighbourhood("蚕种场小区", "后柳社区", "后柳镇正街18号", 1998, _O, 2023, 156, 879),
    DemoNeighbourhood("税务局家属院", "东城社区", "东大街103号", 2002, _M, 2024, 96, 540),
    DemoNeighbourhood("城关中学家属院", "西城社区", "南门街21号", 1987, _W, 2024, 160, 906),
    DemoNeighbourhood("汽车站家属院", "东城社区", "汉江大道301号", 1991, _R, 2024, 108, 610),
    DemoNeighbourhood("工商局家属院", "新城社区", "新建路12号", 2004, _M, 2024, 80, 449),
    DemoNeighbourhood("百货公司家属院", "老城社区", "老街47号", 1983, _R, 2025, 124, 701),
    DemoNeighbourhood("食品公司家属院", "红花社区", "红花路61号", 1986, _R, 2025, 92, 518),
    DemoNeighbourhood("水泥厂小区", "池河社区", "池河镇正街56号", 1980, _R, 2025, 232, 1312),
    # The current batch: small registers, so visits, votes and surveys can be tried by hand.
    DemoNeighbourhood("烟草公司家属院", "老城社区", "汉江大道138号", 1993, _C, 2026, 24, 131),
    DemoNeighbourhood("广电局家属院", "红花社区", "红花路27号", 1996, _C, 2026, 12, 65),
    DemoNeighbourhood("水利局家属院", "西城社区", "西城路72号", 1989, _W, 2026, 18, 101),
    DemoNeighbourhood("建安公司小区", "江南社区", "江南路96号", 1991, _R, 2026, 36, 200),
    DemoNeighbourhood("药材公司家属院", "东城社区", "东大街15号", 1984, _R, 2026, 30, 168),
    DemoNeighbourhood("五金公司家属院", "古堰社区", "古堰路52号", 1987, _R, 2026, 20, 112),
    DemoNeighbourhood("酒厂小区", "池河社区", "池河镇正街3号", 2003, _O, 2026, 48, 270),
)

PROPERTY_COMPANIES = (
    DemoCompany(
        "石泉县金江物业服务有限公司",
        "30521847",
        "陈建华",
        "13991523307",
        serves=("县医院家属院", "电力局家属院", "金江百司小区", "丝绸厂小区", "红花小区"),
    ),
    DemoCompany(
        "石泉县汉水物业管理有限公司",
        "56238104",
        "刘海燕",
        "18992581146",
        serves=(
            "邮电局小区",
            "农行家属院",
            "税务局家属院",
            "城关中学家属院",
            "工商局家属院",
            "建安公司小区",
        ),
    ),
)

COMMITTEES = (
    DemoCommittee(
        "老物局供销社院落业主委员会",
        "老城社区",
        date(2021, 4, 18),
        5,
        ("老物局小区", "供销社家属院"),
    ),
    DemoCommittee(
        "金江丝绸院落业主委员会", "江南社区", date(2020, 9, 6), 5, ("金江百司小区", "丝绸厂小区")
    ),
    DemoCommittee("红花小区业主委员会", "红花社区", date(2022, 3, 27), 5, ("红花小区",)),
    DemoCommittee("县医院家属院业主委员会", "西城社区", date(2019, 11, 10), 3, ("县医院家属院",)),
    DemoCommittee("电力局家属院业主委员会", "古堰社区", date(2023, 5, 21), 3, ("电力局家属院",)),
    DemoCommittee(
        "城关中学家属院业主委员会", "西城社区", date(2024, 1, 14), 3, ("城关中学家属院",)
    ),
    DemoCommittee("税务局家属院业主委员会", "东城社区", date(2022, 8, 28), 5, ("税务局家属院",)),
    DemoCommittee("建安公司小区业主委员会", "江南社区", date(2025, 6, 15), 3, ("建安公司小区",)),
)

#: The six civic visiting groups, each with the communities whose neighbourhoods it visits.
VISIT_TEAMS: dict[str, tuple[str, ...]] = {
    "民间小组第一组": ("老城社区",),
    "民间小组第二组": ("西城社区",),
    "民间小组第三组": ("东城社区", "新城社区"),
    "民间小组第四组": ("江南社区",),
    "民间小组第五组": ("红花社区", "古堰社区"),
    "民间小组第六组": ("池河社区", "后柳社区"),
}

#: One account per role. ``community`` works in two communities; ``visitor`` in one team.
DEMO_ACCOUNTS: tuple[tuple[str, Role], ...] = (
    ("office", Role.OFFICE),
    ("community", Role.COMMUNITY),
    ("visitor", Role.VISITOR),
    ("inspector", Role.INSPECTOR),
    ("leader", Role.LEADER),
    ("auditor", Role.AUDITOR),
)
DEMO_COMMUNITY_ACCOUNT_COMMUNITIES = ("老城社区", "红花社区")
DEMO_VISITOR_TEAM = "民间小组第一组"

SYNTHETIC_TOWN = "合成镇"
SYNTHETIC_NEIGHBOURHOODS_PER_COMMUNITY = 10


# --- Deterministic generators -------------------------------------------------------------


def stable_seed(*parts: str) -> int:
    """A seed that is the same in every process and on every machine."""
    return zlib.crc32("/".join(parts).encode())


def _table(weights: dict, size: int = 256) -> tuple:
    """A lookup table of ``size`` entries in which each value fills its share of the weights,
    so that one byte of randomness picks a value."""
    total = sum(weights.values())
    bounds = list(accumulate(weights.values()))
    values = list(weights)
    table, j = [], 0
    for i in range(size):
        while (i + 0.5) * total / size > bounds[j]:
            j += 1
        table.append(values[j])
    return tuple(table)


_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
# fmt: off
_GIVEN_NAMES = (
    "建国", "建华", "建军", "国强", "国华", "志强", "志刚", "志明", "德明", "德华",
    "永红", "永刚", "永平", "海军", "文华", "文斌", "新民", "卫东", "卫国", "红军",
    "明亮", "春生", "长青", "宏伟", "福林", "金山", "玉林", "学军", "晓东", "小平",
    "伟", "军", "勇", "强", "磊", "涛", "斌", "杰", "鹏", "平", "刚", "辉",
    "波", "健", "超", "秀英", "桂兰", "玉兰", "秀兰", "桂英", "玉梅", "春梅",
    "红霞", "海燕", "丽华", "淑珍", "凤英", "秀珍", "翠兰", "美玲", "晓燕", "丽娟",
    "红梅", "小红", "芳", "敏", "静", "丽", "艳", "娟", "霞", "燕", "萍",
    "玲", "娜"
)
# fmt: on


def _name_pool(size: int = 4096) -> tuple[str, ...]:
    rng = random.Random(stable_seed("names"))
    surname_weights = [1 / (rank + 4) for rank in range(len(_SURNAMES))]
    surnames = rng.choices(_SURNAMES, weights=surname_weights, k=size)
    return tuple(surname + rng.choice(_GIVEN_NAMES) for surname in surnames)


NAMES = _name_pool()
# fmt: off
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181",
    "182", "183", "186", "187", "188", "189"
)  # 32: five bits pick one
# fmt: on
_OCCUPANCY = _table({Occupancy.VACANT: 3, Occupancy.RENTED: 10, Occupancy.OWNER: 87})
# The county counts about 5.6 people a household (everyone registered at the address).
_PEOPLE = _table({1: 2, 2: 3, 3: 5, 4: 8, 5: 15, 6: 27, 7: 40})
_ELDERLY = _table({0: 40, 1: 30, 2: 30})
_DISABLED = _table({0: 94, 1: 5, 2: 1})
_NO_PHONE = 10  # of 256: about 4% of households left no phone number
_WITH_ID = 85  # of 256: about a third of households gave an ID number
_FLOORS = _table({4: 1, 5: 3, 6: 4, 7: 2})
_UNITS = _table({1: 1, 2: 3, 3: 3, 4: 2})

# Resident ID numbers: a household's serial number (neighbourhood serial × 2048 + index) is
# spread over birth dates × sequence codes by a multiplication that is a bijection modulo the
# size of that space, so they look random and never repeat.
_ID_FIRST_BIRTHDAY = date(1936, 1, 1)
_ID_DAYS = (date(2004, 12, 31) - _ID_FIRST_BIRTHDAY).days + 1
_ID_SPACE = _ID_DAYS * 1000
_ID_STRIDE = 7_654_321  # coprime with _ID_SPACE
_HOUSEHOLDS_PER_SERIAL = 2048  # more than a neighbourhood ever holds (30 × 60 = 1,800)
_SYNTHETIC_SERIAL_BASE = 100  # demo neighbourhoods take serials 1–99
_birthdays: list[str] = []


def fake_id_number(serial: int) -> str:
    """An 18-character resident ID number of Shiquan County for household ``serial``."""
    if not _birthdays:
        _birthdays.extend(
            (_ID_FIRST_BIRTHDAY + timedelta(days=d)).strftime("%Y%m%d") for d in range(_ID_DAYS)
        )
    day, sequence = divmod(serial * _ID_STRIDE % _ID_SPACE, 1000)
    first17 = f"{COUNTY_CODE}{_birthdays[day]}{sequence:03d}"
    return first17 + id_number_check_char(first17)


def fake_mobile(rng: random.Random) -> str:
    return f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(100_000_000):08d}"


def _credit_code(org_code8: str, region: str = COUNTY_CODE) -> str:
    """A unified social credit code (GB 32100) of an enterprise (91) registered in ``region``,
    with the check characters of its organisation code (GB 11714) and of the whole code."""
    org_total = sum(int(c) * w for c, w in zip(org_code8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    org_check = {10: "X", 11: "0"}.get(11 - org_total % 11, str(11 - org_total % 11))
    first17 = f"91{region}{org_code8}{org_check}"
    return first17 + credit_code_check_char(first17)


@dataclass(frozen=True)
class BuildingPlan:
    number: str
    floors: int
    units: int
    doors: int  # dwellings on each landing (一梯两户 …)
    has_elevator: bool

    @property
    def capacity(self) -> int:
        return self.floors * self.units * self.doors


def _household_rows(
    rng: random.Random, plan: BuildingPlan, count: int, first_serial: int
) -> list[list]:
    """``count`` households of a building, as lists of
    [unit, floor, room, head_name, phone, id_number, people, elderly, disabled, occupancy].

    Valid by construction (unit ≤ units, floor ≤ floors, elderly and disabled ≤ people), so
    no ``full_clean`` is needed; one draw of 96 random bits makes a household.
    """
    capacity = plan.capacity
    if count >= capacity:
        chosen = range(capacity)
    elif count > capacity // 2:
        skipped = set(rng.sample(range(capacity), capacity - count))
        chosen = [slot for slot in range(capacity) if slot not in skipped]
    else:
        chosen = sorted(rng.sample(range(capacity), count))
    per_unit = plan.floors * plan.doors
    rows = []
    for index, slot in enumerate(chosen):
        unit, rest = divmod(slot, per_unit)
        floor, door = divmod(rest, plan.doors)
        bits = rng.getrandbits(96)
        occupancy = _OCCUPANCY[bits >> 12 & 0xFF]
        if occupancy == Occupancy.VACANT:
            people = elderly = disabled = 0
        else:
            people = _PEOPLE[bits >> 20 & 0xFF]
            elderly = min(_ELDERLY[bits >> 28 & 0xFF], people)
            disabled = min(_DISABLED[bits >> 36 & 0xFF], people)
        if (bits >> 44 & 0xFF) < _NO_PHONE:
            phone = ""
        else:
            phone = f"{_MOBILE_PREFIXES[bits >> 52 & 31]}{(bits >> 65) % 100_000_000:08d}"
        id_number = fake_id_number(first_serial + index) if (bits >> 57 & 0xFF) < _WITH_ID else ""
        rows.append(
            [
                unit + 1,
                floor + 1,
                f"{floor + 1}{door + 1:02d}",
                NAMES[bits & 0xFFF],
                phone,
                id_number,
                people,
                elderly,
                disabled,
                occupancy,
            ]
        )
    return rows


def _fit_people(rng: random.Random, rows: list[list], population: int) -> None:
    """Move people between the occupied households of ``rows`` until they add up to
    ``population``, or as near as 1–7 people a household allow; elderly and disabled members
    stay within the people of their household."""
    occupied = [row for row in rows if row[9] != Occupancy.VACANT]
    population = max(len(occupied), min(population, 7 * len(occupied)))
    missing = population - sum(row[6] for row in occupied)
    while missing:
        row = rng.choice(occupied)
        if missing > 0 and row[6] < 7:
            row[6] += 1
            missing -= 1
        elif missing < 0 and row[6] > 1:
            row[6] -= 1
            row[7], row[8] = min(row[7], row[6]), min(row[8], row[6])
            missing += 1


def _new_households(building_id: int, rows: Sequence[list]) -> Iterator[Household]:
    for unit, floor, room, head_name, phone, id_number, people, elderly, disabled, occ in rows:
        yield Household(
            building_id=building_id,
            unit=unit,
            floor=floor,
            room=room,
            head_name=head_name,
            phone=phone,
            id_number=id_number,
            people=people,
            elderly=elderly,
            disabled=disabled,
            occupancy=occ,
        )


_HOUSEHOLD_COLUMNS = (
    "building_id, unit, floor, room, head_name, phone, id_number, people, elderly, disabled, "
    "occupancy"
)


def _write_households(pairs, batch_size: int) -> int:
    """Write the households of ``(building, rows)`` pairs; the number written.

    On PostgreSQL they stream in through COPY, several times faster than INSERT; elsewhere
    ``bulk_create`` batches them. The rows are valid by construction, and the table's
    constraints still check every one.
    """
    if connection.vendor == "postgresql":
        written = 0
        with connection.cursor() as cursor:
            table = Household._meta.db_table
            with cursor.cursor.copy(f"COPY {table} ({_HOUSEHOLD_COLUMNS}) FROM STDIN") as copy:
                for building, rows_of_building in pairs:
                    for row in rows_of_building:
                        copy.write_row((building.pk, *row))
                        written += 1
        return written
    new = [
        household
        for building, rows_of_building in pairs
        for household in _new_households(building.pk, rows_of_building)
    ]
    Household.objects.bulk_create(new, batch_size=batch_size)
    return len(new)


# --- The demo county ------------------------------------------------------------------------


def _plan_demo_buildings(rng: random.Random, households: int) -> list[BuildingPlan]:
    """Buildings of 4–7 floors and 1–4 units, enough for ``households`` and not much more."""
    plans: list[BuildingPlan] = []
    capacity = 0
    while capacity < households:
        floors, units = _FLOORS[rng.randrange(256)], _UNITS[rng.randrange(256)]
        doors = 3 if rng.random() < 0.15 else 2
        remaining = households - capacity
        while units > 1 and floors * units * doors > remaining * 1.25:
            units -= 1
        while floors > 4 and floors * units * doors > remaining * 1.25:
            floors -= 1
        has_elevator = floors >= 6 and rng.random() < 0.06  # retrofitted, and rare
        plans.append(BuildingPlan(str(len(plans) + 1), floors, units, doors, has_elevator))
        capacity += floors * units * doors
    return plans


def _committee_members(committee: DemoCommittee) -> list[dict]:
    rng = random.Random(stable_seed("committee", committee.name))
    size = rng.randint(3, 5)
    names: list[str] = []
    while len(names) < size:
        name = rng.choice(NAMES)
        if name not in names:
            names.append(name)
    positions = [CommitteeMember.Position.CHAIR, CommitteeMember.Position.VICE_CHAIR]
    positions += [CommitteeMember.Position.MEMBER] * (size - 2)
    # The chair is a party member, as the county asks (党员担任业委会主任), and now and
    # then another member.
    return [
        {
            "name": name,
            "position": position,
            "phone": fake_mobile(rng),
            "party_member": position == CommitteeMember.Position.CHAIR or rng.random() < 0.25,
        }
        for name, position in zip(names, positions, strict=True)
    ]


def _committee_term(committee: DemoCommittee, today: date) -> dict:
    """The committee's current term: first elected on its ``term_start``, re-elected at the
    end of each term since, registered three weeks after its latest election."""
    start = committee.term_start
    while _add_years(start, committee.term_years) <= today:
        start = _add_years(start, committee.term_years)
    return {
        "stage": OwnersCommittee.Stage.REGISTERED,
        "preparation_started_on": start - timedelta(days=75),
        "elected_on": start,
        "registered_on": min(start + timedelta(days=21), today),
        "term_start": start,
        "term_end": _add_years(start, committee.term_years) - timedelta(days=1),
    }


def _floor_area(rng: random.Random, households: int) -> Decimal:
    """About 75 m² a dwelling: 68–82 m² on average, to the hundredth of a square metre."""
    return Decimal(households * rng.randint(6800, 8200)) / 100


def _add_years(day: date, years: int) -> date:
    return day.replace(year=day.year + years)


class _Loader:
    """Loads the demo county, counting what it creates."""

    def __init__(self):
        self.created: Counter[str] = Counter()

    def get_or_create(self, model, defaults=None, **keys):
        obj, created = model.objects.get_or_create(defaults=defaults or {}, **keys)
        self.created[model._meta.model_name] += created
        return obj

    def regions(self) -> dict[str, Region]:
        county = self.get_or_create(
            Region,
            parent=None,
            name=COUNTY_NAME,
            defaults={"level": Region.Level.COUNTY, "code": COUNTY_CODE},
        )
        communities = {}
        for town_name, community_names in TOWNS.items():
            town = self.get_or_create(
                Region, parent=county, name=town_name, defaults={"level": Region.Level.TOWN}
            )
            for name in community_names:
                communities[name] = self.get_or_create(
                    Region, parent=town, name=name, defaults={"level": Region.Level.COMMUNITY}
                )
        return communities

    def companies(self) -> dict[str, PropertyCompany]:
        """The property companies, by the name of each neighbourhood they serve."""
        serving = {}
        for demo in PROPERTY_COMPANIES:
            company = self.get_or_create(
                PropertyCompany,
                name=demo.name,
                defaults={
                    "credit_code": _credit_code(demo.org_code),
                    "contact_name": demo.contact_name,
                    "contact_phone": demo.contact_phone,
                },
            )
            serving.update(dict.fromkeys(demo.serves, company))
        return serving

    def committees(self, communities) -> dict[str, OwnersCommittee]:
        """The owners' committees and their members, by the name of each neighbourhood."""
        speaking_for = {}
        for demo in COMMITTEES:
            committee = self.get_or_create(
                OwnersCommittee,
                community=communities[demo.community],
                name=demo.name,
                defaults=_committee_term(demo, timezone.localdate()),
            )
            if not committee.members.exists():
                members = [
                    CommitteeMember(committee=committee, **member)
                    for member in _committee_members(demo)
                ]
                CommitteeMember.objects.bulk_create(members)
                self.created["committeemember"] += len(members)
            speaking_for.update(dict.fromkeys(demo.neighbourhoods, committee))
        return speaking_for

    def neighbourhood(self, serial, demo, communities, companies, committees) -> Neighbourhood:
        rng = random.Random(stable_seed("neighbourhood", demo.name))
        plans = _plan_demo_buildings(rng, demo.households)
        neighbourhood = self.get_or_create(
            Neighbourhood,
            community=communities[demo.community],
            name=demo.name,
            defaults={
                "address": demo.address,
                "year_built": demo.year_built,
                "housing_type": demo.housing_type,
                "building_count": len(plans),
                "household_count": demo.households,
                "population": demo.population,
                "floor_area": _floor_area(rng, demo.households),
                "renovation_year": demo.renovation_year,
                "property_company": companies.get(demo.name),
                "owners_committee": committees.get(demo.name),
            },
        )
        buildings = {b.number: b for b in neighbourhood.buildings.all()}
        missing = [
            Building(
                neighbourhood=neighbourhood,
                number=plan.number,
                floors=plan.floors,
                units=plan.units,
                has_elevator=plan.has_elevator,
            )
            for plan in plans
            if plan.number not in buildings
        ]
        for building in Building.objects.bulk_create(missing):
            buildings[building.number] = building
        self.created["building"] += len(missing)

        if Household.objects.filter(building__neighbourhood=neighbourhood).exists():
            return neighbourhood
        # Fill each planned building as far as it really is (an edited building keeps its
        # size), then spread the declared population over the households.
        rows_by_building = []
        remaining = demo.households
        next_serial = serial * _HOUSEHOLDS_PER_SERIAL
        for plan in plans:
            building = buildings[plan.number]
            real = BuildingPlan(
                plan.number, building.floors, building.units, plan.doors, plan.has_elevator
            )
            share = min(remaining, real.capacity)
            rows = _household_rows(rng, real, share, next_serial)
            rows_by_building.append((building, rows))
            remaining -= share
            next_serial += share
        all_rows = [row for _building, rows in rows_by_building for row in rows]
        _fit_people(rng, all_rows, demo.population)
        households = [
            household
            for building, rows in rows_by_building
            for household in _new_households(building.pk, rows)
        ]
        Household.objects.bulk_create(households, batch_size=2000)
        self.created["household"] += len(households)
        return neighbourhood

    def building_heads(self, neighbourhood: Neighbourhood) -> None:
        """Where no owners' committee speaks for a neighbourhood, a resident of each building
        does; a yard of one or two buildings has a single head for the whole yard. Created
        only for a neighbourhood that has none."""
        if neighbourhood.owners_committee_id or neighbourhood.building_heads.exists():
            return
        rng = random.Random(stable_seed("building heads", neighbourhood.name))
        buildings = list(neighbourhood.buildings.order_by("number"))
        candidates = (
            Household.objects.filter(
                building__neighbourhood=neighbourhood, occupancy=Occupancy.OWNER
            )
            .exclude(phone="")
            .order_by("building_id", "unit", "floor", "room")
        )
        by_building: dict[int, list[Household]] = {}
        for household in candidates:
            by_building.setdefault(household.building_id, []).append(household)
        whole_yard = len(buildings) <= 2
        heads = []
        for building in buildings[:1] if whole_yard else buildings:
            if households := by_building.get(building.pk):
                household = rng.choice(households)
                heads.append(
                    BuildingHead(
                        neighbourhood=neighbourhood,
                        building=None if whole_yard else building,
                        name=household.head_name,
                        phone=household.phone,
                        household=household,
                        elected_on=date(2019, 3, 1) + timedelta(days=rng.randrange(5 * 365)),
                        party_member=rng.random() < 0.3,
                    )
                )
        BuildingHead.objects.bulk_create(heads)
        self.created["buildinghead"] += len(heads)

    def visit_teams(self, neighbourhoods: dict[str, Neighbourhood]) -> dict[str, VisitTeam]:
        teams = {}
        for name, community_names in VISIT_TEAMS.items():
            team = self.get_or_create(VisitTeam, name=name)
            team.neighbourhoods.add(
                *(
                    neighbourhoods[demo.name]
                    for demo in NEIGHBOURHOODS
                    if demo.community in community_names
                )
            )
            teams[name] = team
        return teams


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    password: str  # what to print: the password, or why there is none


class _DemoPassword:
    """The demo password, hashed once and shared by the demo accounts, so that a run costs one
    hash check instead of one per account (a hash takes a fifth of a second by design)."""

    def __init__(self):
        self._checked: dict[str, bool] = {}
        self._encoded = ""

    def matches(self, encoded: str) -> bool:
        if encoded not in self._checked:
            self._checked[encoded] = check_password(settings.DEMO_PASSWORD, encoded)
        return self._checked[encoded]

    @property
    def encoded(self) -> str:
        if not self._encoded:
            self._encoded = make_password(settings.DEMO_PASSWORD)
            self._checked[self._encoded] = True
        return self._encoded


def ensure_demo_accounts(communities, teams, *, demo_mode: bool) -> list[DemoAccount]:
    """One account per role, in its group, with a demo staff profile.

    With ``demo_mode`` they get the published demo password; without it they have no usable
    password (one that still holds the demo password loses it), and an account whose password
    someone has since set keeps it. A user of the same name that is not a demo account is
    left alone.
    """
    User = get_user_model()
    demo_password = _DemoPassword()
    accounts = []
    for username, role in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if (
            user is not None
            and not StaffProfile.objects.filter(user=user, is_demo_account=True).exists()
        ):
            accounts.append(DemoAccount(username, role, "(not a demo account: left alone)"))
            continue
        changed = []
        if user is None:
            user = User(username=username, is_staff=role in ADMIN_ROLES)
            user.set_unusable_password()
            changed.append("new")
        if user.is_staff != (role in ADMIN_ROLES):
            user.is_staff = role in ADMIN_ROLES
            changed.append("is_staff")
        has_demo_password = user.has_usable_password() and demo_password.matches(user.password)
        if demo_mode and not has_demo_password:
            user.password = demo_password.encoded
            changed.append("password")
        elif not demo_mode and has_demo_password:
            user.set_unusable_password()
            changed.append("password")
        if "new" in changed:
            user.save()
        elif changed:
            user.save(update_fields=changed)
        user.groups.add(Group.objects.get(name=role.value))
        profile, _created = StaffProfile.objects.get_or_create(
            user=user, defaults={"is_demo_account": True}
        )
        if role == Role.COMMUNITY:
            profile.communities.add(*(communities[n] for n in DEMO_COMMUNITY_ACCOUNT_COMMUNITIES))
        if role == Role.VISITOR:
            teams[DEMO_VISITOR_TEAM].members.add(user)
        if demo_mode:
            password = settings.DEMO_PASSWORD
        elif user.has_usable_password():
            password = "(its own password, kept)"  # nosec B105
        else:
            password = "(no password: ANJU_DEMO is off)"  # nosec B105
        accounts.append(DemoAccount(username, role, password))
    return accounts


@dataclass(frozen=True)
class DemoResult:
    created: Counter[str]
    accounts: list[DemoAccount]


@transaction.atomic
def load_demo(*, demo_mode: bool | None = None) -> DemoResult:
    """Load the Shiquan demo county: create what is missing, leave what exists.

    ``demo_mode`` (default ``settings.ANJU_DEMO``) decides whether the demo accounts get the
    published demo password.
    """
    if demo_mode is None:
        demo_mode = settings.ANJU_DEMO
    loader = _Loader()
    communities = loader.regions()
    companies = loader.companies()
    committees = loader.committees(communities)
    neighbourhoods = {}
    for serial, demo in enumerate(NEIGHBOURHOODS, start=1):
        neighbourhood = loader.neighbourhood(serial, demo, communities, companies, committees)
        loader.building_heads(neighbourhood)
        neighbourhoods[demo.name] = neighbourhood
    teams = loader.visit_teams(neighbourhoods)
    accounts = ensure_demo_accounts(communities, teams, demo_mode=demo_mode)
    return DemoResult(created=loader.created, accounts=accounts)


# --- Synthetic neighbourhoods ---------------------------------------------------------------


def synthetic_name(k: int) -> str:
    return f"合成小区{k:05d}"


def synthetic_community_name(k: int) -> str:
    return f"合成社区{(k - 1) // SYNTHETIC_NEIGHBOURHOODS_PER_COMMUNITY + 1:04d}"


@dataclass
class _SyntheticPlan:
    k: int
    neighbourhood: Neighbourhood
    buildings: list[tuple[BuildingPlan, list[list]]]


def _plan_synthetic(k: int, community_id: int) -> _SyntheticPlan:
    """Synthetic neighbourhood ``k``: 4–30 buildings of 20–60 households each."""
    name = synthetic_name(k)
    rng = random.Random(stable_seed("synthetic", name))
    serial = (_SYNTHETIC_SERIAL_BASE + k) * _HOUSEHOLDS_PER_SERIAL
    buildings = []
    for number in range(1, rng.randint(4, 30) + 1):
        count = rng.randint(20, 60)
        floors, units, doors = _FLOORS[rng.randrange(256)], _UNITS[rng.randrange(256)], 2
        while floors * units * doors < count:
            if units < 4:
                units += 1
            else:
                doors += 1
        while units > 1 and floors * (units - 1) * doors >= count:
            units -= 1
        plan = BuildingPlan(str(number), floors, units, doors, floors >= 6 and rng.random() < 0.05)
        buildings.append((plan, _household_rows(rng, plan, count, serial)))
        serial += count
    households = sum(len(rows) for _plan, rows in buildings)
    year_built = rng.randint(1980, 2000) if rng.random() < 0.9 else rng.randint(2001, 2005)
    neighbourhood = Neighbourhood(
        community_id=community_id,
        name=name,
        address=f"合成路{k}号",
        year_built=year_built,
        housing_type=rng.choice(HousingType.values),
        building_count=len(buildings),
        household_count=households,
        population=sum(row[6] for _plan, rows in buildings for row in rows),
        floor_area=_floor_area(rng, households),
        renovation_year=rng.randint(2019, CURRENT_BATCH_YEAR),
    )
    return _SyntheticPlan(k, neighbourhood, buildings)


@dataclass(frozen=True)
class SyntheticProgress:
    done: int
    total: int
    households: int
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def ensure_synthetic(
    n: int,
    *,
    chunk_size: int = 25,
    batch_size: int = 5000,
    progress: Callable[[SyntheticProgress], None] | None = None,
) -> SyntheticProgress:
    """Make sure synthetic neighbourhoods 1 … ``n`` exist (only the missing ones are created).

    They live in the synthetic town 合成镇 of the demo county, ten to a community. Each chunk
    of ``chunk_size`` neighbourhoods is generated in memory and written in one transaction
    with ``bulk_create``, so memory stays bounded and an interrupted run leaves whole
    neighbourhoods only.
    """
    county = Region.objects.get(parent=None, name=COUNTY_NAME)
    town, _created = Region.objects.get_or_create(
        parent=county, name=SYNTHETIC_TOWN, defaults={"level": Region.Level.TOWN}
    )
    existing = set(
        Neighbourhood.objects.filter(community__parent=town).values_list("name", flat=True)
    )
    missing = [k for k in range(1, n + 1) if synthetic_name(k) not in existing]
    communities = dict(Region.objects.filter(parent=town).values_list("name", "pk"))
    new_communities = sorted({synthetic_community_name(k) for k in missing} - set(communities))
    Region.objects.bulk_create(
        Region(parent=town, name=name, level=Region.Level.COMMUNITY) for name in new_communities
    )
    communities = dict(Region.objects.filter(parent=town).values_list("name", "pk"))

    started = time.monotonic()
    households = rows = 0
    report = SyntheticProgress(0, len(missing), 0, 0, 0.0)
    chunks = range(0, len(missing), chunk_size)
    report_every = max(1, len(chunks) // 20)  # about twenty progress reports in all
    for chunk_number, start in enumerate(chunks, start=1):
        plans = [
            _plan_synthetic(k, communities[synthetic_community_name(k)])
            for k in missing[start : start + chunk_size]
        ]
        with transaction.atomic():
            Neighbourhood.objects.bulk_create([plan.neighbourhood for plan in plans])
            pairs = [
                (
                    Building(
                        neighbourhood_id=plan.neighbourhood.pk,
                        number=building.number,
                        floors=building.floors,
                        units=building.units,
                        has_elevator=building.has_elevator,
                    ),
                    rows_of_building,
                )
                for plan in plans
                for building, rows_of_building in plan.buildings
            ]
            Building.objects.bulk_create([building for building, _rows in pairs])
            written = _write_households(pairs, batch_size)
        households += written
        rows += len(plans) + len(pairs) + written
        reset_queries()  # with DEBUG on, the connection keeps every query's SQL otherwise
        report = SyntheticProgress(
            start + len(plans), len(missing), households, rows, time.monotonic() - started
        )
        if progress and (chunk_number % report_every == 0 or chunk_number == len(chunks)):
            progress(report)
    return report


# --- Summary ----------------------------------------------------------------------------------


def county_counts() -> dict[str, int]:
    """What the database holds, for the summary the command prints."""
    neighbourhoods = Neighbourhood.objects.aggregate(
        total=Count("pk"),
        synthetic=Count("pk", filter=_synthetic_q()),
    )
    demo = Neighbourhood.objects.exclude(_synthetic_q())
    register = Household.objects.aggregate(households=Count("pk"), people=Sum("people"))
    return {
        "regions": Region.objects.count(),
        "neighbourhoods": neighbourhoods["total"],
        "  demo, renovated": demo.filter(renovation_year__lt=CURRENT_BATCH_YEAR).count(),
        f"  demo, {CURRENT_BATCH_YEAR} batch": demo.filter(
            renovation_year=CURRENT_BATCH_YEAR
        ).count(),
        "  synthetic": neighbourhoods["synthetic"],
        "buildings": Building.objects.count(),
        "households": register["households"],
        "people in them": register["people"] or 0,
        "owners' committees": OwnersCommittee.objects.count(),
        "committee members": CommitteeMember.objects.count(),
        "building heads": BuildingHead.objects.count(),
        "property companies": PropertyCompany.objects.count(),
        "visit teams": VisitTeam.objects.count(),
    }


def synthetic_neighbourhoods():
    """The synthetic neighbourhoods (``ensure_synthetic``)."""
    return Neighbourhood.objects.filter(_synthetic_q())


def _synthetic_q() -> Q:
    return Q(community__parent__name=SYNTHETIC_TOWN, community__parent__parent__name=COUNTY_NAME)
