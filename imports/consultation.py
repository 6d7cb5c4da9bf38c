"""The consultation's kind of import: visit records (一访), one per household and day."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from projects.models import CatalogueKind
from residents.models import Building, Household
from surveys.models import Visit, VisitTeam

from . import bulk
from .kinds import (
    Column,
    Kind,
    Row,
    building_number,
    choice,
    code_text,
    day,
    integer,
    register,
    text,
    yes_no,
)
from .registers import BATCH, COMMUNITY, NEIGHBOURHOOD, NeighbourhoodLookup

#: What separates the needs named in one cell.
NEEDS_SEPARATORS = ("、", "，", ",", ";", "；", "/")


def needs_list(value) -> list[str]:
    """The kinds of work named in one cell, separated by 、 , ; or /."""
    text_value = str(value)
    for separator in NEEDS_SEPARATORS[1:]:
        text_value = text_value.replace(separator, NEEDS_SEPARATORS[0])
    return [part.strip() for part in text_value.split(NEEDS_SEPARATORS[0]) if part.strip()]


needs_list.hint = lambda: _("names of the catalogue's kinds of work, separated by 、")


@register
class Visits(Kind):
    code = "visits"
    label = gettext_lazy("Visits")
    key_description = gettext_lazy("the household's address and the day of the visit")
    model = Visit
    sheet = "走访记录"
    columns = (
        COMMUNITY,
        NEIGHBOURHOOD,
        Column("building", "楼栋号", gettext_lazy("building number"), building_number,
               required=True, example="1"),
        Column("unit", "单元", gettext_lazy("unit"), integer(1, 99), default=1, example=1),
        Column("room", "房号", gettext_lazy("room"), code_text(10), required=True, example="301"),
        Column("visited_on", "走访日期", gettext_lazy("visited on"), day, required=True,
               example="2026-05-01"),
        Column("outcome", "走访结果", gettext_lazy("outcome"), choice(Visit.Outcome),
               required=True, example="已走访到"),
        Column("needs", "改造需求", gettext_lazy("needs named"), needs_list, default=[],
               example="生态停车位、新能源汽车充电桩"),
        Column("needs_text", "其他需求和意见", gettext_lazy("other needs and opinions"),
               text(2000), default="", personal=True),
        Column("supports_renovation", "是否支持改造", gettext_lazy("supports renovation"),
               yes_no, example="是"),
        Column("notes", "备注", gettext_lazy("notes"), text(2000), default="", personal=True),
    )  # fmt: skip
    FIELDS = ("outcome", "needs_text", "supports_renovation", "notes")

    def prepare(self, rows: list[Row]) -> None:
        names = {str(row.cells["neighbourhood"]) for row in rows if row.cells.get("neighbourhood")}
        self.neighbourhoods = NeighbourhoodLookup(self.user, names)
        ids = {pk for found in self.neighbourhoods.by_name.values() for pk, _c in found}
        self.buildings = {
            (neighbourhood, number): pk
            for pk, neighbourhood, number in Building.objects.filter(
                neighbourhood__in=ids
            ).values_list("pk", "neighbourhood_id", "number")
        }
        self.households = {
            (building, unit, room): pk
            for pk, building, unit, room in Household.objects.filter(
                building__neighbourhood__in=ids
            ).values_list("pk", "building_id", "unit", "room")
        }
        self.kinds = {}
        for pk, code, name in CatalogueKind.objects.values_list("pk", "code", "name_zh"):
            self.kinds[code] = self.kinds[name] = pk
        visits = Visit.objects.filter(household__building__neighbourhood__in=ids)
        self.existing = {
            (one["household_id"], one["visited_on"]): {**one, "needs": set()}
            for one in visits.values("pk", "household_id", "visited_on", *self.FIELDS)
        }
        by_pk = {one["pk"]: one for one in self.existing.values()}
        through = Visit.needs.through
        for visit, kind in through.objects.filter(visit__in=visits).values_list(
            "visit_id", "cataloguekind_id"
        ):
            by_pk[visit]["needs"].add(kind)
        teams = list(VisitTeam.objects.filter(members=self.user).values_list("pk", flat=True)[:2])
        self.team = teams[0] if len(teams) == 1 else None
        self.today = timezone.localdate()
        self.seen: dict[tuple, int] = {}

    def check(self, row: Row) -> None:
        values = self.parse(row)
        household = None
        neighbourhood = self.neighbourhoods.find_in(self, row, values)
        if neighbourhood is not None and "building" in values and "room" in values:
            building = self.buildings.get((neighbourhood, values["building"]))
            household = (
                self.households.get((building, values.get("unit"), values["room"]))
                if building
                else None
            )
            if household is None:
                row.fail(
                    self.column("room"),
                    _("No household is registered at this address.")
                    if building
                    else _("Building %(number)s is not registered in “%(name)s”.")
                    % {"number": values["building"], "name": values["neighbourhood"]},
                )
        when = values.get("visited_on")
        if when is not None and when > self.today:
            row.fail(self.column("visited_on"), _("A visit cannot be dated after today."))
        needs = set()
        for name in values.get("needs") or []:
            kind = self.kinds.get(name)
            if kind is None:
                row.fail(
                    self.column("needs"),
                    _("“%(name)s” is not a kind of work of the catalogue.") % {"name": name},
                )
            else:
                needs.add(kind)
        current = None
        if household is not None and when is not None:
            row.key = (household, when)
            first = self.seen.setdefault(row.key, row.number)
            if first != row.number:
                row.fail(
                    self.column("visited_on"),
                    _("The same household and day as row %(row)s.") % {"row": first},
                )
            current = self.existing.get(row.key)
            row.existing = current["pk"] if current else None
        row.values = {name: values.get(name) for name in self.FIELDS}
        row.values["needs"] = needs
        self.compare(row, current)

    def write(self, new: list[Row], updated: list[Row], *, file_name: str = "") -> None:
        reason = _("Imported from %(file)s") % {"file": file_name}
        fields = set(self.FIELDS)
        created = bulk_create_with_history(
            [
                Visit(
                    household_id=row.key[0],
                    visited_on=row.key[1],
                    team_id=self.team,
                    visitor_id=self.user.pk,
                    **{name: row.values[name] for name in fields},
                )
                for row in new
            ],
            Visit,
            batch_size=BATCH,
            default_user=self.user,
            default_change_reason=reason,
        )
        for row, visit in zip(new, created, strict=True):
            row.existing = visit.pk
        changed = sorted({name for row in updated for name in row.changed} & fields)
        if changed:
            bulk.update_with_history(Visit, updated, changed, user=self.user, reason=reason)
        through = Visit.needs.through
        renamed = [row for row in updated if "needs" in row.changed]
        through.objects.filter(visit__in=[row.existing for row in renamed]).delete()
        through.objects.bulk_create(
            [
                through(visit_id=row.existing, cataloguekind_id=kind)
                for row in [*new, *renamed]
                for kind in sorted(row.values["needs"])
            ],
            batch_size=BATCH,
        )
