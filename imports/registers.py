"""The registers' kinds of import: households (the big one), buildings, neighbourhoods and
regions."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from residents.models import Building, Household, Neighbourhood, Region
from residents.validators import validate_id_number, validate_phone

from . import bulk
from .kinds import (
    Column,
    Kind,
    Row,
    building_number,
    choice,
    code_text,
    decimal,
    id_number,
    integer,
    phone_number,
    register,
    text,
    validated,
    yes_no,
)

BATCH = bulk.BATCH


def neighbourhood_key(community: str | None, name: str) -> tuple:
    return (community or "", name)


class NeighbourhoodLookup:
    """The neighbourhoods a file names, read once: by name, and by community and name (a name
    given twice in the county needs its community). Only those the user may write to."""

    def __init__(self, user, names: set[str]):
        rows = Neighbourhood.objects.visible_to(user)
        self.by_name: dict[str, list[tuple[int, str]]] = {}
        for pk, name, community in rows.filter(name__in=names).values_list(
            "pk", "name", "community__name"
        ):
            self.by_name.setdefault(name, []).append((pk, community))

    def find_in(self, kind: Kind, row: Row, values: dict):
        """The id of the neighbourhood a row's 小区 (and 社区) name, or None with the row's
        error added (also when the row names none)."""
        if "neighbourhood" not in values:
            return None
        return self.find(
            row,
            kind.column("neighbourhood"),
            kind.column("community"),
            values["neighbourhood"],
            values.get("community"),
        )

    def find(self, row: Row, column_name: Column, column_community: Column, name, community):
        """The id of the neighbourhood named, or None with the row's error added."""
        found = self.by_name.get(name, [])
        if community:
            found = [(pk, c) for pk, c in found if c == community]
        if not found:
            row.fail(
                column_name,
                _("No neighbourhood “%(name)s”%(where)s that you may import into.")
                % {"name": name, "where": _(" in %(c)s") % {"c": community} if community else ""},
            )
            return None
        if len(found) > 1:
            row.fail(
                column_community,
                _("Several neighbourhoods are called “%(name)s”: give the community.")
                % {"name": name},
            )
            return None
        return found[0][0]


def log_entries(user, model, rows: list[Row], action: int, file_name: str) -> list[dict]:
    """One entry of the admin's change history per record written by the import (as rows
    for ``bulk.insert``): the file, the row and the fields changed, as text the history
    page shows as it is (never the values: the history holds no personal data)."""
    content_type = ContentType.objects.get_for_model(model)
    fields = {field.name: str(field.verbose_name) for field in model._meta.fields}
    now = timezone.now()
    entries = []
    for row in rows:
        if action == ADDITION:
            message = _("Imported from %(file)s, row %(row)s: added.") % {
                "file": file_name,
                "row": row.number,
            }
        else:
            message = _("Imported from %(file)s, row %(row)s: changed %(fields)s.") % {
                "file": file_name,
                "row": row.number,
                "fields": "、".join(fields.get(name, name) for name in row.changed),
            }
        entries.append(
            {
                "action_time": now,
                "user_id": user.pk,
                "content_type_id": content_type.pk,
                "object_id": str(row.existing),
                "object_repr": row.repr[:200],
                "action_flag": action,
                "change_message": message,
            }
        )
    return entries


def write_history(user, model, new: list[Row], updated: list[Row], file_name: str) -> None:
    bulk.insert(
        LogEntry,
        log_entries(user, model, new, ADDITION, file_name)
        + log_entries(user, model, updated, CHANGE, file_name),
    )


#: The columns that locate a row's neighbourhood, shared by the kinds that have them.
COMMUNITY = Column("community", "社区", gettext_lazy("community"), text(100), example="老城社区")
NEIGHBOURHOOD = Column(
    "neighbourhood",
    "小区",
    gettext_lazy("neighbourhood"),
    text(200),
    required=True,
    example="老物局小区",
)


def save_rows(user, model, new: list[Row], updated: list[Row], identity, file_name: str) -> None:
    """Create ``new`` (their natural key from ``identity(row)``) and update the changed fields
    of ``updated``, in batches, with their change history."""
    created = model.objects.bulk_create(
        [model(**identity(row), **row.values) for row in new], batch_size=BATCH
    )
    for row, record in zip(new, created, strict=True):
        row.existing = record.pk
    changed = sorted({name for row in updated for name in row.changed})
    if changed:
        model.objects.bulk_update(
            [model(pk=row.existing, **row.values) for row in updated], changed, batch_size=BATCH
        )
    write_history(user, model, new, updated, file_name)


@register
class Households(Kind):
    code = "households"
    label = gettext_lazy("Households")
    key_description = gettext_lazy(
        "their address (neighbourhood, building, unit, room; the community where two "
        "neighbourhoods share a name)"
    )
    model = Household
    sheet = "住户"
    columns = (
        COMMUNITY,
        NEIGHBOURHOOD,
        Column(
            "building",
            "楼栋号",
            gettext_lazy("building number"),
            building_number,
            required=True,
            example="1",
        ),
        Column("unit", "单元", gettext_lazy("unit"), integer(1, 99), default=1, example=1),
        Column("floor", "楼层", gettext_lazy("floor"), integer(-5, 100), default=1, example=3),
        Column("room", "房号", gettext_lazy("room"), code_text(10), required=True, example="301"),
        Column(
            "head_name",
            "户主姓名",
            gettext_lazy("head of household"),
            text(50),
            required=True,
            example="张三",
            personal=True,
        ),
        Column(
            "phone",
            "联系电话",
            gettext_lazy("phone"),
            validated(phone_number, validate_phone),
            default="",
            example="13800000000",
            personal=True,
        ),
        Column(
            "id_number",
            "身份证号",
            gettext_lazy("ID number"),
            validated(id_number, validate_id_number),
            default="",
            example="",
            personal=True,
        ),
        Column("people", "人口", gettext_lazy("people"), integer(0, 50), default=1, example=3),
        Column(
            "elderly",
            "60岁以上老人",
            gettext_lazy("elderly members (60+)"),
            integer(0, 50),
            default=0,
            example=1,
        ),
        Column(
            "disabled",
            "残疾人",
            gettext_lazy("members with disabilities"),
            integer(0, 50),
            default=0,
            example=0,
        ),
        Column(
            "occupancy",
            "居住情况",
            gettext_lazy("occupancy"),
            choice(Household.Occupancy),
            default=Household.Occupancy.OWNER,
            example="自住",
        ),
    )
    #: The record's own fields set from the row (the others locate it).
    FIELDS = (
        "floor",
        "head_name",
        "phone",
        "id_number",
        "people",
        "elderly",
        "disabled",
        "occupancy",
    )

    def prepare(self, rows: list[Row]) -> None:
        names = {row.cells.get("neighbourhood") for row in rows} - {None}
        self.neighbourhoods = NeighbourhoodLookup(self.user, {str(n) for n in names})
        ids = {pk for found in self.neighbourhoods.by_name.values() for pk, _c in found}
        self.buildings = {
            (building.neighbourhood_id, building.number): building
            for building in Building.objects.filter(neighbourhood__in=ids).only(
                "pk", "neighbourhood_id", "number", "units", "floors"
            )
        }
        self.existing = {
            (one["building_id"], one["unit"], one["room"]): one
            for one in Household.objects.filter(building__neighbourhood__in=ids).values(
                "pk", "building_id", "unit", "room", *self.FIELDS
            )
        }
        self.seen: dict[tuple, int] = {}
        self.elderly_message = _constraint_message("residents_household_elderly_within_people")
        self.disabled_message = _constraint_message("residents_household_disabled_within_people")

    def check(self, row: Row) -> None:
        values = self.parse(row)
        neighbourhood = self.neighbourhoods.find_in(self, row, values)
        building = None
        if neighbourhood is not None and "building" in values:
            building = self.buildings.get((neighbourhood, values["building"]))
            if building is None:
                row.fail(
                    self.column("building"),
                    _("Building %(number)s is not registered in “%(name)s”.")
                    % {"number": values["building"], "name": values["neighbourhood"]},
                )
        if building is not None:
            unit, floor = values.get("unit"), values.get("floor")
            if unit is not None and unit > building.units:
                row.fail(
                    self.column("unit"),
                    _("Building %(number)s has only %(units)s units.")
                    % {"number": building.number, "units": building.units},
                )
            if floor is not None and floor > building.floors:
                row.fail(
                    self.column("floor"),
                    _("Building %(number)s has only %(floors)s floors.")
                    % {"number": building.number, "floors": building.floors},
                )
        people = values.get("people")
        if people is not None:
            if (values.get("elderly") or 0) > people:
                row.fail(self.column("elderly"), self.elderly_message)
            if (values.get("disabled") or 0) > people:
                row.fail(self.column("disabled"), self.disabled_message)
        current = None
        if building is not None and "room" in values and values.get("unit") is not None:
            row.key = (building.pk, values["unit"], values["room"])
            first = self.seen.setdefault(row.key, row.number)
            if first != row.number:
                row.fail(
                    self.column("room"),
                    _("The same address (building, unit, room) as row %(row)s.") % {"row": first},
                )
            current = self.existing.get(row.key)
            row.existing = current["pk"] if current else None
            row.repr = _("%(building)s, unit %(unit)s, room %(room)s") % {
                "building": f"{values['neighbourhood']} {building.number}",
                "unit": values["unit"],
                "room": values["room"],
            }
        row.values = {name: values.get(name) for name in self.FIELDS}
        self.compare(row, current)

    def write(self, new: list[Row], updated: list[Row], *, file_name: str = "") -> None:
        bulk.insert(
            Household,
            [
                {"building_id": row.key[0], "unit": row.key[1], "room": row.key[2], **row.values}
                for row in new
            ],
        )
        if new:  # the new households' ids, by their address, for their change history
            ids = {
                (building, unit, room): pk
                for pk, building, unit, room in Household.objects.filter(
                    building__in={row.key[0] for row in new}
                ).values_list("pk", "building_id", "unit", "room")
            }
            for row in new:
                row.existing = ids[row.key]
        changed_fields = sorted({name for row in updated for name in row.changed})
        if changed_fields:
            Household.objects.bulk_update(
                [Household(pk=row.existing, **row.values) for row in updated],
                changed_fields,
                batch_size=BATCH,
            )
        write_history(self.user, Household, new, updated, file_name)


def _constraint_message(name: str) -> str:
    for model in (Household, Building, Neighbourhood):
        for constraint in model._meta.constraints:
            if constraint.name == name:
                return str(constraint.violation_error_message)
    raise LookupError(name)


@register
class Buildings(Kind):
    code = "buildings"
    label = gettext_lazy("Buildings")
    key_description = gettext_lazy("their neighbourhood and building number")
    model = Building
    sheet = "楼栋"
    columns = (
        COMMUNITY,
        NEIGHBOURHOOD,
        Column(
            "number",
            "楼栋号",
            gettext_lazy("building number"),
            code_text(20),
            required=True,
            example="1",
        ),
        Column("floors", "层数", gettext_lazy("floors"), integer(1, 100), default=1, example=6),
        Column(
            "units",
            "单元数",
            gettext_lazy("units (stairwells)"),
            integer(1, 99),
            default=1,
            example=3,
        ),
        Column(
            "has_elevator", "电梯", gettext_lazy("elevator"), yes_no, default=False, example="否"
        ),
    )
    FIELDS = ("floors", "units", "has_elevator")

    def prepare(self, rows: list[Row]) -> None:
        names = {str(row.cells["neighbourhood"]) for row in rows if row.cells.get("neighbourhood")}
        self.neighbourhoods = NeighbourhoodLookup(self.user, names)
        ids = {pk for found in self.neighbourhoods.by_name.values() for pk, _c in found}
        self.existing = {
            (one["neighbourhood_id"], one["number"]): one
            for one in Building.objects.filter(neighbourhood__in=ids).values(
                "pk", "neighbourhood_id", "number", *self.FIELDS
            )
        }
        # The highest unit and floor each building's households use: a building cannot shrink
        # below them.
        self.used = {
            one["building"]: one
            for one in Household.objects.filter(building__neighbourhood__in=ids)
            .values("building")
            .annotate(unit=Max("unit"), floor=Max("floor"))
            .order_by()
        }
        self.seen: dict[tuple, int] = {}

    def check(self, row: Row) -> None:
        values = self.parse(row)
        current = None
        neighbourhood = self.neighbourhoods.find_in(self, row, values)
        if neighbourhood is not None and "number" in values:
            row.key = (neighbourhood, values["number"])
            first = self.seen.setdefault(row.key, row.number)
            if first != row.number:
                row.fail(
                    self.column("number"),
                    _("The same building as row %(row)s.") % {"row": first},
                )
            current = self.existing.get(row.key)
            row.existing = current["pk"] if current else None
            row.repr = f"{values['neighbourhood']} {values['number']}"
        used = self.used.get(row.existing) if row.existing else None
        if used:
            if values.get("units") is not None and values["units"] < used["unit"]:
                row.fail(
                    self.column("units"),
                    _("Households are registered in unit %(n)s of this building.")
                    % {"n": used["unit"]},
                )
            if values.get("floors") is not None and values["floors"] < used["floor"]:
                row.fail(
                    self.column("floors"),
                    _("Households are registered on floor %(n)s of this building.")
                    % {"n": used["floor"]},
                )
        row.values = {name: values.get(name) for name in self.FIELDS}
        self.compare(row, current)

    def write(self, new: list[Row], updated: list[Row], *, file_name: str = "") -> None:
        save_rows(
            self.user,
            Building,
            new,
            updated,
            lambda row: {"neighbourhood_id": row.key[0], "number": row.key[1]},
            file_name,
        )


@register
class Neighbourhoods(Kind):
    code = "neighbourhoods"
    label = gettext_lazy("Neighbourhoods")
    key_description = gettext_lazy("their community and name")
    model = Neighbourhood
    sheet = "小区"
    columns = (
        Column("community", "社区", gettext_lazy("community"), text(100), required=True,
               example="老城社区"),
        Column("name", "小区名称", gettext_lazy("name"), text(100), required=True,
               example="老物局小区"),
        Column("address", "地址", gettext_lazy("address"), text(200), default="",
               example="城关镇西街12号"),
        Column("year_built", "建成年份", gettext_lazy("year built"), integer(1900, 2100),
               example=1995),
        Column("housing_type", "房屋性质", gettext_lazy("housing type"),
               choice(Neighbourhood.HousingType), default=Neighbourhood.HousingType.OTHER,
               example="房改房"),
        Column("building_count", "楼栋数", gettext_lazy("buildings (declared)"),
               integer(0, 10_000), default=0, example=6),
        Column("household_count", "户数", gettext_lazy("households (declared)"),
               integer(0, 1_000_000), default=0, example=120),
        Column("population", "人口", gettext_lazy("people (declared)"), integer(0, 10_000_000),
               default=0, example=360),
        Column("floor_area", "建筑面积（平方米）", gettext_lazy("floor area (m²)"), decimal(2),
               default=Decimal("0.00"), example=8600),
    )  # fmt: skip
    FIELDS = (
        "address",
        "year_built",
        "housing_type",
        "building_count",
        "household_count",
        "population",
        "floor_area",
    )

    def prepare(self, rows: list[Row]) -> None:
        from residents.models import Region
        from residents.scoping import community_scope, sees_every_neighbourhood

        communities = Region.objects.filter(level=Region.Level.COMMUNITY)
        if not sees_every_neighbourhood(self.user):
            communities = communities.filter(community_scope(self.user))
        self.communities: dict[str, list[int]] = {}
        for pk, name in communities.values_list("pk", "name"):
            self.communities.setdefault(name, []).append(pk)
        self.existing = {
            (one["community_id"], one["name"]): one
            for one in Neighbourhood.objects.filter(
                community__in=[pk for pks in self.communities.values() for pk in pks]
            ).values("pk", "community_id", "name", *self.FIELDS)
        }
        self.seen: dict[tuple, int] = {}

    def check(self, row: Row) -> None:
        values = self.parse(row)
        current = None
        found = self.communities.get(values.get("community"), []) if "community" in values else []
        if "community" in values and not found:
            row.fail(
                self.column("community"),
                _("No community “%(name)s” that you may import into.")
                % {"name": values["community"]},
            )
        elif len(found) > 1:
            row.fail(
                self.column("community"),
                _("Several communities are called “%(name)s”.") % {"name": values["community"]},
            )
        elif found and "name" in values:
            row.key = (found[0], values["name"])
            first = self.seen.setdefault(row.key, row.number)
            if first != row.number:
                row.fail(
                    self.column("name"),
                    _("The same neighbourhood as row %(row)s.") % {"row": first},
                )
            current = self.existing.get(row.key)
            row.existing = current["pk"] if current else None
            row.repr = values["name"]
        row.values = {name: values.get(name) for name in self.FIELDS}
        self.compare(row, current)

    def write(self, new: list[Row], updated: list[Row], *, file_name: str = "") -> None:
        save_rows(
            self.user,
            Neighbourhood,
            new,
            updated,
            lambda row: {"community_id": row.key[0], "name": row.key[1]},
            file_name,
        )


@register
class Regions(Kind):
    """Towns (镇街) and communities (社区) under the county, by their parent's name and their
    own. A parent is an existing region or one on an earlier row of the same file."""

    code = "regions"
    label = gettext_lazy("Regions")
    key_description = gettext_lazy("their parent region and name")
    sheet = "行政区划"
    columns = (
        Column("parent", "上级", gettext_lazy("parent region"), text(100), required=True,
               example="石泉县"),
        Column("name", "名称", gettext_lazy("name"), text(100), required=True, example="城关镇"),
        Column("level", "级别", gettext_lazy("level"), choice(Region.Level), required=True,
               example="镇（街道）"),
        Column("code", "区划代码", gettext_lazy("administrative code"), code_text(12),
               default="", example="610922100"),
    )  # fmt: skip
    model = Region
    FIELDS = ("level", "code")
    PARENT_LEVEL = {
        Region.Level.TOWN: Region.Level.COUNTY,
        Region.Level.COMMUNITY: Region.Level.TOWN,
    }

    def prepare(self, rows: list[Row]) -> None:
        self.regions: dict[str, list[dict]] = {}
        for one in Region.objects.values("pk", "name", "level", "parent_id", "code"):
            self.regions.setdefault(one["name"], []).append(one)
        self.codes = {
            one["code"]: one["pk"] for ones in self.regions.values() for one in ones if one["code"]
        }
        self.in_file: dict[str, tuple[int, str]] = {}  # name → (row number, level)
        self.file_codes: dict[str, int] = {}
        self.seen: dict[tuple, int] = {}

    def check(self, row: Row) -> None:
        values = self.parse(row)
        level, parent_name = values.get("level"), values.get("parent")
        current = None
        if level == Region.Level.COUNTY:
            row.fail(
                self.column("level"), _("Counties are not imported: only towns and communities.")
            )
        elif level and parent_name:
            wanted = self.PARENT_LEVEL[level]
            existing = [p for p in self.regions.get(parent_name, []) if p["level"] == wanted]
            earlier = self.in_file.get(parent_name)
            if len(existing) > 1:
                row.fail(
                    self.column("parent"),
                    _("Several regions are called “%(name)s”.") % {"name": parent_name},
                )
            elif existing:
                row.key = ("id", existing[0]["pk"], values.get("name"))
            elif earlier and earlier[1] == wanted:
                row.key = ("row", parent_name, values.get("name"))
            else:
                row.fail(
                    self.column("parent"),
                    _("No %(level)s called “%(name)s” (above this row or already registered).")
                    % {"level": Region.Level(wanted).label, "name": parent_name},
                )
        if row.key and "name" in values:
            first = self.seen.setdefault(row.key, row.number)
            if first != row.number:
                row.fail(self.column("name"), _("The same region as row %(row)s.") % {"row": first})
            if row.key[0] == "id":
                current = next(
                    (
                        one
                        for one in self.regions.get(values["name"], [])
                        if one["parent_id"] == row.key[1]
                    ),
                    None,
                )
            self.in_file.setdefault(values["name"], (row.number, level))
            row.existing = current["pk"] if current else None
            row.repr = values["name"]
        code = values.get("code")
        if code and self.codes.get(code, row.existing) != row.existing:
            row.fail(self.column("code"), _("Another region has this code."))
        elif code and self.file_codes.setdefault(code, row.number) != row.number:
            row.fail(
                self.column("code"),
                _("The same code as row %(row)s.") % {"row": self.file_codes[code]},
            )
        row.values = {name: values.get(name) for name in self.FIELDS}
        self.compare(row, current)

    def write(self, new: list[Row], updated: list[Row], *, file_name: str = "") -> None:
        created: dict[str, int] = {}
        for row in sorted(new, key=lambda r: r.number):  # a parent is above its children
            kind, parent, name = row.key
            parent_id = parent if kind == "id" else created[parent]
            region = Region.objects.create(parent_id=parent_id, name=name, **row.values)
            created[name] = row.existing = region.pk
        for row in updated:
            Region.objects.filter(pk=row.existing).update(**row.values)
        write_history(self.user, Region, new, updated, file_name)
