"""The registers of the county: who lives where, and who speaks and works for them.

Regions form the administrative tree (county > town or sub-district > community). Each
neighbourhood belongs to a community; buildings belong to a neighbourhood and households to
a building. Committees, building heads, property companies and visit teams hang off them.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .scoping import (
    NeighbourhoodScopedQuerySet,
    community_scope,
    neighbourhood_scope,
    sees_every_neighbourhood,
)
from .validators import validate_id_number, validate_phone


def count_of(model, fk_name: str):
    """The number of ``model`` rows whose ``fk_name`` points at the outer row, as a subquery.

    Unlike ``Count()`` over a join, it neither groups the outer query (which would drop
    ``Meta.ordering`` and make a paginator count a grouped join) nor counts only the rows a
    multi-valued filter kept, and several of them never multiply each other.
    """
    counted = (
        model.objects.filter(**{fk_name: OuterRef("pk")})
        .order_by()
        .values(fk_name)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


#: Neighbourhoods built up to the end of this year are eligible for renovation.
ELIGIBLE_UNTIL_YEAR = 2000
#: Neighbourhoods built up to this year may be included as an exception.
EXCEPTION_UNTIL_YEAR = 2005


class Region(models.Model):
    """A node of the administrative tree: the county, a town or sub-district, a community."""

    class Level(models.TextChoices):
        COUNTY = "county", _("County")
        TOWN = "town", _("Town or sub-district")
        COMMUNITY = "community", _("Community")

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.CharField(
        _("administrative code"),
        max_length=12,
        blank=True,
        help_text=_("GB/T 2260 code where known, for example 610922 for Shiquan County."),
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="residents_region_unique_name_in_parent",
                violation_error_message=_("A region of this name already exists here."),
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(parent__isnull=True),
                name="residents_region_unique_top_level_name",
                violation_error_message=_("A region of this name already exists here."),
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=~Q(code=""),
                name="residents_region_unique_code",
                violation_error_message=_("Another region has this code."),
            ),
            models.CheckConstraint(
                condition=Q(level="county", parent__isnull=True)
                | Q(level__in=["town", "community"], parent__isnull=False),
                name="residents_region_parent_matches_level",
                violation_error_message=_(
                    "A county has no parent region; a town or community needs one."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        expected_parent_level = {
            self.Level.TOWN: self.Level.COUNTY,
            self.Level.COMMUNITY: self.Level.TOWN,
        }.get(self.level)
        if self.level == self.Level.COUNTY and self.parent_id:
            raise ValidationError({"parent": _("A county has no parent region.")})
        if expected_parent_level and (
            not self.parent or self.parent.level != expected_parent_level
        ):
            raise ValidationError(
                {
                    "parent": _("A %(level)s belongs to a %(parent)s.")
                    % {
                        "level": self.get_level_display(),
                        "parent": self.Level(expected_parent_level).label,
                    }
                }
            )


class PropertyCompany(models.Model):
    """A property-management firm serving one or more neighbourhoods."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[validate_phone]
    )

    class Meta:
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="residents_propertycompany_unique_credit_code",
                violation_error_message=_("Another property company has this credit code."),
            )
        ]

    def __str__(self):
        return self.name


class OwnersCommitteeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(community_scope(user, "community"))

    def in_office(self, today=None):
        """Elected (or registered) committees whose term, when given, is not over."""
        return self.filter(in_office_condition("", today))


def in_office_condition(path: str, today=None) -> Q:
    """The condition that the committee at ``path`` ("" for the committee itself,
    "owners_committee__" from a neighbourhood) is in office on ``today``."""
    today = today or timezone.localdate()
    return ~Q(**{f"{path}stage": "preparing"}) & (
        Q(**{f"{path}term_end__isnull": True}) | Q(**{f"{path}term_end__gte": today})
    )


class OwnersCommittee(models.Model):
    """An owners' committee, from its preparation to its registration; one committee may
    cover several merged compounds (拆墙并院): the neighbourhoods that point at it."""

    class Stage(models.TextChoices):
        PREPARING = "preparing", _("Being prepared")
        ELECTED = "elected", _("Elected")
        REGISTERED = "registered", _("Registered")

    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="owners_committees",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    name = models.CharField(_("name"), max_length=200)
    stage = models.CharField(
        _("formation stage"), max_length=12, choices=Stage.choices, default=Stage.PREPARING
    )
    preparation_started_on = models.DateField(
        _("preparatory group formed on"), null=True, blank=True
    )
    elected_on = models.DateField(_("elected on"), null=True, blank=True)
    registered_on = models.DateField(
        _("registered on"),
        null=True,
        blank=True,
        help_text=_("The day the street office registered the committee (备案)."),
    )
    term_start = models.DateField(_("term starts"), null=True, blank=True)
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    objects = OwnersCommitteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("owners' committee")
        verbose_name_plural = _("owners' committees")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"],
                name="residents_ownerscommittee_unique_name",
                violation_error_message=_("This community already has a committee of this name."),
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gt=models.F("term_start")),
                name="residents_ownerscommittee_term_ends_after_start",
                violation_error_message=_("The term must end after it starts."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.stage in (self.Stage.ELECTED, self.Stage.REGISTERED) and not self.elected_on:
            errors["elected_on"] = _("Give the day the committee was elected.")
        if self.stage == self.Stage.REGISTERED and not self.registered_on:
            errors["registered_on"] = _("Give the day the committee was registered.")
        if self.stage == self.Stage.PREPARING and (self.elected_on or self.registered_on):
            errors["stage"] = _("A committee with an election day is no longer being prepared.")
        if self.stage != self.Stage.PREPARING and not self.term_start:
            errors["term_start"] = _("Give the day the elected committee's term starts.")
        today = timezone.localdate()
        for name in ("preparation_started_on", "elected_on", "registered_on"):
            if (getattr(self, name) or today) > today:
                errors[name] = _("This step has not happened yet: give its day once it has.")
        steps = [self.preparation_started_on, self.elected_on, self.registered_on]
        known = [day for day in steps if day]
        if known != sorted(known):
            errors.setdefault(
                "registered_on" if self.registered_on else "elected_on",
                _("The steps must follow each other: preparation, election, registration."),
            )
        if errors:
            raise ValidationError(errors)

    @property
    def in_office(self) -> bool:
        """Elected, and its term (when given) not over."""
        if self.stage == self.Stage.PREPARING:
            return False
        return self.term_end is None or self.term_end >= timezone.localdate()


class CommitteeMember(models.Model):
    """A member of an owners' committee."""

    class Position(models.TextChoices):
        CHAIR = "chair", _("Chair")
        VICE_CHAIR = "vice_chair", _("Vice chair")
        MEMBER = "member", _("Member")

    committee = models.ForeignKey(
        OwnersCommittee,
        verbose_name=_("owners' committee"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    position = models.CharField(
        _("position"), max_length=12, choices=Position.choices, default=Position.MEMBER
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    party_member = models.BooleanField(_("party member"), default=False)

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["committee_id", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "name"],
                name="residents_committeemember_unique_name",
                violation_error_message=_("This person is already a member of the committee."),
            ),
            models.UniqueConstraint(
                fields=["committee"],
                condition=Q(position="chair"),
                name="residents_committeemember_one_chair",
                violation_error_message=_("A committee has one chair."),
            ),
        ]

    def __str__(self):
        # No name: this text is kept in the change history of the committee.
        return f"{self.committee} · {self.get_position_display()}"


class NeighbourhoodQuerySet(NeighbourhoodScopedQuerySet):
    """The neighbourhoods ``user`` may see: all of them, or those of their communities and
    visit teams (``visible_to``)."""

    scope_path = ""

    def with_register_counts(self):
        """Annotate the live counts of the register: buildings, households and people.

        Each count is a correlated subquery, so a list of neighbourhoods costs one query
        whatever its length and the counts never multiply each other through joins.
        """
        households = (
            Household.objects.filter(building__neighbourhood=OuterRef("pk"))
            .order_by()
            .values("building__neighbourhood")
            .annotate(n=Count("pk"), people_sum=Sum("people"))
        )
        return self.annotate(
            registered_buildings=count_of(Building, "neighbourhood"),
            registered_households=Coalesce(
                Subquery(households.values("n"), output_field=IntegerField()), 0
            ),
            registered_people=Coalesce(
                Subquery(households.values("people_sum"), output_field=IntegerField()), 0
            ),
        )

    def eligible(self):
        return self.filter(year_built__lte=ELIGIBLE_UNTIL_YEAR)


class Neighbourhood(models.Model):
    """A residential compound (小区): the unit that a renovation project works on.

    The declared figures (buildings, households, people, floor area) come from the county's
    survey sheet; the live counts of the register are annotated by
    ``Neighbourhood.objects.with_register_counts()``.
    """

    class HousingType(models.TextChoices):
        REFORMED_PUBLIC = "reformed_public", _("Reformed public housing")
        CO_FUNDED = "co_funded", _("Co-funded housing")
        WELFARE = "welfare", _("Welfare housing")
        COMMERCIAL = "commercial", _("Commercial housing")
        OTHER = "other", _("Other")

    class Eligibility(models.TextChoices):
        ELIGIBLE = "eligible", _("Eligible (built by the end of 2000)")
        EXCEPTION = "exception", _("Exception (built 2001–2005)")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible (built after 2005)")
        UNKNOWN = "unknown", _("Unknown (year built missing)")

    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="neighbourhoods",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    year_built = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    housing_type = models.CharField(
        _("housing type"), max_length=20, choices=HousingType.choices, default=HousingType.OTHER
    )
    building_count = models.PositiveIntegerField(_("buildings (declared)"), default=0)
    household_count = models.PositiveIntegerField(_("households (declared)"), default=0)
    population = models.PositiveIntegerField(_("people (declared)"), default=0)
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=12, decimal_places=2, default=0
    )
    renovation_year = models.PositiveSmallIntegerField(
        _("renovation batch (year)"), null=True, blank=True
    )
    property_company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("property company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="neighbourhoods",
    )
    owners_committee = models.ForeignKey(
        OwnersCommittee,
        verbose_name=_("owners' committee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="neighbourhoods",
    )

    objects = NeighbourhoodQuerySet.as_manager()

    class Meta:
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")
        ordering = ["community_id", "name"]
        permissions = [("view_all_neighbourhoods", _("Can see every neighbourhood of the county"))]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"],
                name="residents_neighbourhood_unique_name",
                violation_error_message=_(
                    "This community already has a neighbourhood of this name."
                ),
            ),
            models.CheckConstraint(
                condition=Q(year_built__isnull=True) | Q(year_built__range=(1900, 2100)),
                name="residents_neighbourhood_year_built_range",
                violation_error_message=_("The year built must be between 1900 and 2100."),
            ),
            models.CheckConstraint(
                condition=Q(renovation_year__isnull=True) | Q(renovation_year__range=(2000, 2100)),
                name="residents_neighbourhood_renovation_year_range",
                violation_error_message=_("The renovation year must be between 2000 and 2100."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def eligibility(self) -> str:
        """Eligibility for the programme, from the year built."""
        if self.year_built is None:
            return self.Eligibility.UNKNOWN
        if self.year_built <= ELIGIBLE_UNTIL_YEAR:
            return self.Eligibility.ELIGIBLE
        if self.year_built <= EXCEPTION_UNTIL_YEAR:
            return self.Eligibility.EXCEPTION
        return self.Eligibility.NOT_ELIGIBLE

    def get_eligibility_display(self) -> str:
        return self.Eligibility(self.eligibility).label

    def clean(self):
        if (
            self.owners_committee_id
            and self.community_id
            and self.owners_committee.community_id != self.community_id
        ):
            raise ValidationError(
                {"owners_committee": _("The owners' committee must be of the same community.")}
            )


class BuildingQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "neighbourhood"


class Building(models.Model):
    """A building (楼栋) of a neighbourhood, with its stairwells (units) and floors."""

    neighbourhood = models.ForeignKey(
        Neighbourhood,
        verbose_name=_("neighbourhood"),
        on_delete=models.CASCADE,
        related_name="buildings",
    )
    number = models.CharField(
        _("building number"), max_length=20, help_text=_("As painted on the building: 1, 2, A…")
    )
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)
    units = models.PositiveSmallIntegerField(_("units (stairwells)"), default=1)
    has_elevator = models.BooleanField(_("elevator"), default=False)

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["neighbourhood_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["neighbourhood", "number"],
                name="residents_building_unique_number",
                violation_error_message=_(
                    "This neighbourhood already has a building with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(floors__gte=1, floors__lte=100),
                name="residents_building_floors_range",
                violation_error_message=_("A building has 1 to 100 floors."),
            ),
            models.CheckConstraint(
                condition=Q(units__gte=1, units__lte=50),
                name="residents_building_units_range",
                violation_error_message=_("A building has 1 to 50 units."),
            ),
        ]

    def __str__(self):
        return _("%(neighbourhood)s, building %(number)s") % {
            "neighbourhood": self.neighbourhood.name,
            "number": self.number,
        }


class HouseholdQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "building__neighbourhood"


class Household(models.Model):
    """One dwelling and the family in it: the unit of every vote and survey.

    Its address (building, unit, room) is unique within its neighbourhood, since a building
    number is unique there.
    """

    class Occupancy(models.TextChoices):
        OWNER = "owner", _("Owner-occupied")
        RENTED = "rented", _("Rented")
        VACANT = "vacant", _("Vacant")

    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.CASCADE,
        related_name="households",
    )
    unit = models.PositiveSmallIntegerField(_("unit"), default=1)
    floor = models.SmallIntegerField(_("floor"), default=1)
    room = models.CharField(_("room"), max_length=10)
    head_name = models.CharField(_("head of household"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    id_number = models.CharField(
        _("ID number"), max_length=18, blank=True, validators=[validate_id_number]
    )
    people = models.PositiveSmallIntegerField(_("people"), default=1)
    elderly = models.PositiveSmallIntegerField(_("elderly members (60+)"), default=0)
    disabled = models.PositiveSmallIntegerField(_("members with disabilities"), default=0)
    occupancy = models.CharField(
        _("occupancy"), max_length=10, choices=Occupancy.choices, default=Occupancy.OWNER
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        # By the address index, without joining the building's own ordering.
        ordering = ["building_id", "unit", "room"]
        permissions = [("view_personal_data", _("Can see residents' phone and ID numbers"))]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"],
                name="residents_household_unique_address",
                violation_error_message=_(
                    "A household is already registered at this address (building, unit and room)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(elderly__lte=models.F("people")),
                name="residents_household_elderly_within_people",
                violation_error_message=_(
                    "Elderly members cannot outnumber the people of the household."
                ),
            ),
            models.CheckConstraint(
                condition=Q(disabled__lte=models.F("people")),
                name="residents_household_disabled_within_people",
                violation_error_message=_(
                    "Members with disabilities cannot outnumber the people of the household."
                ),
            ),
            models.CheckConstraint(
                condition=Q(unit__gte=1),
                name="residents_household_unit_positive",
                violation_error_message=_("Units are numbered from 1."),
            ),
            models.CheckConstraint(
                condition=Q(floor__gte=-5, floor__lte=100),
                name="residents_household_floor_range",
                violation_error_message=_("The floor must be between -5 and 100."),
            ),
        ]

    def __str__(self):
        return self.address

    @property
    def address(self) -> str:
        return _("%(building)s, unit %(unit)s, room %(room)s") % {
            "building": self.building,
            "unit": self.unit,
            "room": self.room,
        }

    def clean(self):
        self.id_number = self.id_number.strip().upper()
        errors = {}
        if self.building_id and self.unit and self.unit > self.building.units:
            errors["unit"] = _("Building %(number)s has only %(units)s units.") % {
                "number": self.building.number,
                "units": self.building.units,
            }
        if self.building_id and self.floor > self.building.floors:
            errors["floor"] = _("Building %(number)s has only %(floors)s floors.") % {
                "number": self.building.number,
                "floors": self.building.floors,
            }
        if errors:
            raise ValidationError(errors)


class BuildingHeadQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "neighbourhood"


class BuildingHead(models.Model):
    """An elected resident who speaks for a building, or for a whole yard, where no owners'
    committee exists (楼院长)."""

    neighbourhood = models.ForeignKey(
        Neighbourhood,
        verbose_name=_("neighbourhood"),
        on_delete=models.CASCADE,
        related_name="building_heads",
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="heads",
        help_text=_("Leave empty when the head speaks for the whole yard."),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    elected_on = models.DateField(_("elected on"), null=True, blank=True)
    party_member = models.BooleanField(_("party member"), default=False)

    objects = BuildingHeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("building head")
        verbose_name_plural = _("building heads")
        ordering = ["neighbourhood_id", "building_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["building"],
                condition=Q(building__isnull=False),
                name="residents_buildinghead_one_per_building",
                violation_error_message=_("This building already has a head."),
            ),
            models.UniqueConstraint(
                fields=["neighbourhood"],
                condition=Q(building__isnull=True),
                name="residents_buildinghead_one_per_yard",
                violation_error_message=_("This yard already has a head."),
            ),
        ]

    def __str__(self):
        # No name: this text is kept in the change history.
        place = self.building or self.neighbourhood
        return _("Head of %(place)s") % {"place": place}

    def clean(self):
        errors = {}
        if self.building_id and self.building.neighbourhood_id != self.neighbourhood_id:
            errors["building"] = _("The building must belong to the chosen neighbourhood.")
        if self.household_id:
            building = self.household.building
            if building.neighbourhood_id != self.neighbourhood_id or (
                self.building_id and building.pk != self.building_id
            ):
                errors["household"] = _("The household must live in that building or yard.")
        if errors:
            raise ValidationError(errors)


class VisitTeamQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The teams ``user`` belongs to or that work in neighbourhoods ``user`` may see.

        Filtered by a subquery of ids, so the rows are not multiplied by the joins and
        counts annotated on the result stay whole.
        """
        if sees_every_neighbourhood(user):
            return self
        team_ids = VisitTeam.objects.filter(
            Q(members=user) | neighbourhood_scope(user, "neighbourhoods")
        ).values("pk")
        return self.filter(pk__in=team_ids)


class VisitTeam(models.Model):
    """One of the civic groups (民间小组) that visit households, with the neighbourhoods it is
    assigned to."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="visit_teams",
    )
    neighbourhoods = models.ManyToManyField(
        Neighbourhood,
        verbose_name=_("assigned neighbourhoods"),
        blank=True,
        related_name="visit_teams",
    )

    objects = VisitTeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit team")
        verbose_name_plural = _("visit teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class StaffProfile(models.Model):
    """What a staff account is responsible for: the communities whose neighbourhoods a
    community-staff account may see and edit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    communities = models.ManyToManyField(
        Region,
        verbose_name=_("communities"),
        blank=True,
        related_name="staff_profiles",
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    is_demo_account = models.BooleanField(_("demo account"), default=False, editable=False)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return str(self.user)
