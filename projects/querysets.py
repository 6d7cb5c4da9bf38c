"""Named reads of a project's records: scoping, and the rollups of outputs and funds.

Every rollup is computed by the database in one query, whatever the number of rows; sums of
quantities and money come back as ``Decimal``. Scope first, then roll up::

    TaskItem.objects.in_region(county).outputs_by_kind()
    FundingLine.objects.in_project(project).residents_share()
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Avg, Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Cast, Round

from residents.models import Region
from residents.scoping import NeighbourhoodScopedQuerySet


class QuantizedDecimalField(models.DecimalField):
    """The output of a sum or ratio, quantized to its places on every database.

    PostgreSQL sums numerics exactly (0.1 + 0.2 is 0.30). SQLite, the embedded default, sums
    in floating point and Django hands the sum back as it came (0.300000000000000); quantized
    to cents it is the same 0.30, and stays exact to the cent for a county's sums (billions of
    yuan over thousands of lines), though not for sums a thousand times larger.
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return Decimal(value).quantize(Decimal(1).scaleb(-self.decimal_places), ROUND_HALF_UP)


#: Sums of quantities and money: wider than any one row, so a county's total fits.
TOTAL = QuantizedDecimalField(max_digits=20, decimal_places=2)
#: A ratio between 0 and 1, to four places (0.7368 is 73.68%).
RATIO = QuantizedDecimalField(max_digits=9, decimal_places=4)
RATIO_PLACES = 4
ZERO = Decimal("0.00")

#: From a neighbourhood to its region of each level (county > town > community).
REGION_PATHS = {
    Region.Level.COMMUNITY: "community",
    Region.Level.TOWN: "community__parent",
    Region.Level.COUNTY: "community__parent__parent",
}


def share_of(part: Decimal, whole: Decimal, places: int = RATIO_PLACES) -> Decimal | None:
    """``part ÷ whole`` rounded half-up to ``places`` decimals, or None when ``whole`` is zero.

    Computed exactly, as a quotient and remainder of decimals, so that a share falling exactly
    on a half (0.03125) always rounds up (0.0313) and no binary fraction is involved.
    """
    if not whole:
        return None
    quotient, remainder = divmod(Decimal(part).scaleb(places), Decimal(whole))
    if 2 * remainder >= whole:
        quotient += 1
    return quotient.scaleb(-places).quantize(Decimal(1).scaleb(-places))


class Ratio(models.Func):
    """``numerator / denominator`` of two decimal columns, as a decimal.

    SQLite stores a whole-number decimal (3.00) as the INTEGER 3 and would divide 1 / 3 to 0,
    so there the numerator is made REAL first; PostgreSQL divides its numerics exactly.
    """

    arg_joiner = " / "
    template = "(%(expressions)s)"
    output_field = models.DecimalField(max_digits=30, decimal_places=10)

    def as_sqlite(self, compiler, connection, **extra_context):
        clone = self.copy()
        numerator, denominator = clone.get_source_expressions()
        clone.set_source_expressions([Cast(numerator, models.FloatField()), denominator])
        return models.Func.as_sql(clone, compiler, connection, **extra_context)


def item_completion():
    """How far one task item is done, from 0 to 1: completed ÷ planned, at most 1.

    NULL for an item with nothing planned, so averages leave it out.
    """
    return Case(
        When(
            planned_quantity__gt=0,
            completed_quantity__gte=F("planned_quantity"),
            then=Value(Decimal(1)),
        ),
        When(
            planned_quantity__gt=0,
            then=Ratio(F("completed_quantity"), F("planned_quantity")),
        ),
        default=None,
        output_field=Ratio.output_field,
    )


def average_completion():
    """The mean completion of the task items aggregated, rounded half-up to four places
    (by the database: exactly on PostgreSQL, from the floating-point mean on SQLite).

    Each item counts alike, whatever its unit: quantities of different kinds (parking spaces,
    square metres) cannot be added up.
    """
    return Round(
        Avg(item_completion(), output_field=Ratio.output_field), RATIO_PLACES, output_field=RATIO
    )


class ProjectRecordQuerySet(NeighbourhoodScopedQuerySet):
    """Records that belong to a project, scoped by the project's neighbourhood."""

    scope_path = "project__neighbourhood"


class ProjectRollupQuerySet(ProjectRecordQuerySet):
    """A project's records that roll up: narrowed to a project, a neighbourhood or a region.

    A project counts under its own neighbourhood (and that neighbourhood's community, town and
    county); compounds merged into it (拆墙并院) do not count it a second time.
    """

    def in_project(self, project):
        """The records of ``project`` (a project or its id)."""
        return self.filter(project=project)

    def in_neighbourhood(self, neighbourhood):
        """The records of the projects of ``neighbourhood`` (a neighbourhood or its id)."""
        return self.filter(project__neighbourhood=neighbourhood)

    def in_region(self, region: Region):
        """The records of the projects in ``region``: a county, a town or a community."""
        try:
            path = REGION_PATHS[region.level]
        except KeyError:
            raise ValueError(f"Unknown region level: {region.level!r}") from None
        return self.filter(**{f"{self.scope_path}__{path}": region})


class TaskItemQuerySet(ProjectRollupQuerySet):
    def outputs_by_kind(self):
        """The outputs per catalogue kind, in catalogue order (priority, code), one query.

        Rows are dicts: ``kind`` (id), ``code``, ``name_zh``, ``name_en``, ``unit``, ``group``,
        ``national_class``, ``priority``; ``items`` and ``projects`` (counts); ``planned``,
        ``completed`` (quantities in the kind's unit) and ``budget`` (yuan), all ``Decimal``.
        Kinds without any item are left out.
        """
        return (
            self.order_by()
            .values(
                "kind",
                code=F("kind__code"),
                name_zh=F("kind__name_zh"),
                name_en=F("kind__name_en"),
                unit=F("kind__unit"),
                group=F("kind__group"),
                national_class=F("kind__national_class"),
                priority=F("kind__priority"),
            )
            .annotate(
                items=Count("pk"),
                projects=Count("project", distinct=True),
                planned=Sum("planned_quantity", output_field=TOTAL),
                completed=Sum("completed_quantity", output_field=TOTAL),
                budget=Sum("budget", output_field=TOTAL),
            )
            .order_by("priority", "code")
        )

    def figures(self) -> dict:
        """``{"items": int, "budget": Decimal, "completion": Decimal | None}``: how many items,
        their budget in yuan (0.00 when none) and their ``completion()``, one query."""
        return self.aggregate(
            items=Count("pk"),
            budget=Sum("budget", output_field=TOTAL, default=ZERO),
            completion=average_completion(),
        )

    def completion(self) -> Decimal | None:
        """The mean completion of the items (0 to 1, four places), or None when no item has a
        planned quantity. One query."""
        return self.aggregate(completion=average_completion())["completion"]

    def completion_by_project(self):
        """Completion per project, one query: dicts of ``project`` (id), ``items`` (count) and
        ``completion`` (``Decimal`` 0 to 1, four places, or None when nothing is planned)."""
        return (
            self.order_by()
            .values("project")
            .annotate(items=Count("pk"), completion=average_completion())
            .order_by("project")
        )


class FundingLineQuerySet(ProjectRollupQuerySet):
    def totals(self) -> dict[str, Decimal]:
        """``{"planned", "arrived", "spent"}``: the sums in yuan (0.00 when there are none)."""
        return self._sums("planned", "arrived", "spent")

    def totals_with_residents(self) -> dict[str, Decimal]:
        """The ``totals()`` and ``residents_planned`` (what residents are to raise), one query."""
        return self._sums("planned", "arrived", "spent", "residents_planned")

    def _sums(self, *names: str) -> dict[str, Decimal]:
        residents = Q(source=self.model.Source.RESIDENTS)
        sums = {
            "planned": Sum("planned", output_field=TOTAL, default=ZERO),
            "arrived": Sum("arrived", output_field=TOTAL, default=ZERO),
            "spent": Sum("spent", output_field=TOTAL, default=ZERO),
            "residents_planned": Sum("planned", filter=residents, output_field=TOTAL, default=ZERO),
        }
        # Aliased apart from the fields they sum, which an aggregate may not shadow.
        row = self.aggregate(**{f"{name}_sum": sums[name] for name in names})
        return {name: row[f"{name}_sum"] for name in names}

    def by_source(self):
        """The sums per source, in the order the sources are declared, one query: dicts of
        ``source`` (a ``FundingLine.Source`` value), ``lines`` (count), ``planned``,
        ``arrived`` and ``spent`` (yuan). Sources without a line are left out."""
        declared_order = Case(
            *(When(source=source, then=Value(i)) for i, source in enumerate(self.model.Source)),
            default=Value(len(self.model.Source)),
        )
        return (
            self.order_by()
            .values("source")
            .annotate(
                lines=Count("pk"),
                planned=Sum("planned", output_field=TOTAL),
                arrived=Sum("arrived", output_field=TOTAL),
                spent=Sum("spent", output_field=TOTAL),
            )
            .order_by(declared_order)
        )

    def residents_share(self) -> Decimal | None:
        """Residents' own money (居民自筹) as a share of all planned money: a ``Decimal`` from 0
        to 1 rounded half-up to four places, or None when nothing is planned. One query."""
        sums = self.totals_with_residents()
        return share_of(sums["residents_planned"], sums["planned"])
