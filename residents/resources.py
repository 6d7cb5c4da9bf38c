"""Export resources of the registers (django-import-export), with Chinese column headers.

Personal data is masked unless the exporting user may see it: the admin passes the user to
the resource (``user=`` keyword).
"""

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from .masking import id_number_for, name_for, phone_for
from .models import Building, Household, Neighbourhood

#: Counts stay numbers in a spreadsheet, so they can be summed.
NUMBER = widgets.IntegerWidget(coerce_to_string=False)


#: A text cell starting with one of these would be run as a formula by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """``value`` as a spreadsheet cell may hold it: text that would start a formula gets a
    leading apostrophe (CSV/formula injection); numbers, dates and None pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class UserAwareResource(resources.ModelResource):
    """A resource that knows who exports (to mask personal data) and writes every text cell
    so that a spreadsheet shows it rather than runs it."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def export_field(self, field, instance, **kwargs):
        return spreadsheet_safe(super().export_field(field, instance, **kwargs))

    @classmethod
    def get_display_name(cls):
        """The list's name (住户, 楼栋…) where the export form names its resource."""
        return str(cls._meta.model._meta.verbose_name_plural)


class NeighbourhoodResource(UserAwareResource):
    community = fields.Field(attribute="community__name", column_name=_("community"))
    name = fields.Field(attribute="name", column_name=_("name"))
    address = fields.Field(attribute="address", column_name=_("address"))
    year_built = fields.Field(attribute="year_built", widget=NUMBER, column_name=_("year built"))
    housing_type = fields.Field(column_name=_("housing type"))
    eligibility = fields.Field(column_name=_("eligibility"))
    building_count = fields.Field(
        attribute="building_count", widget=NUMBER, column_name=_("buildings (declared)")
    )
    household_count = fields.Field(
        attribute="household_count", widget=NUMBER, column_name=_("households (declared)")
    )
    population = fields.Field(
        attribute="population", widget=NUMBER, column_name=_("people (declared)")
    )
    floor_area = fields.Field(
        attribute="floor_area",
        widget=widgets.DecimalWidget(coerce_to_string=False),
        column_name=_("floor area (m²)"),
    )
    property_company = fields.Field(
        attribute="property_company__name", column_name=_("property company")
    )

    class Meta:
        model = Neighbourhood
        fields = export_order = (
            "community",
            "name",
            "address",
            "year_built",
            "housing_type",
            "eligibility",
            "building_count",
            "household_count",
            "population",
            "floor_area",
            "property_company",
        )

    def dehydrate_housing_type(self, obj):
        return obj.get_housing_type_display()

    def dehydrate_eligibility(self, obj):
        return obj.get_eligibility_display()

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("community", "property_company")


class HouseholdResource(UserAwareResource):
    neighbourhood = fields.Field(
        attribute="building__neighbourhood__name", column_name=_("neighbourhood")
    )
    building = fields.Field(attribute="building__number", column_name=_("building number"))
    unit = fields.Field(attribute="unit", widget=NUMBER, column_name=_("unit"))
    floor = fields.Field(attribute="floor", widget=NUMBER, column_name=_("floor"))
    room = fields.Field(attribute="room", column_name=_("room"))
    head_name = fields.Field(column_name=_("head of household"))
    phone = fields.Field(column_name=_("phone"))
    id_number = fields.Field(column_name=_("ID number"))
    people = fields.Field(attribute="people", widget=NUMBER, column_name=_("people"))
    elderly = fields.Field(
        attribute="elderly", widget=NUMBER, column_name=_("elderly members (60+)")
    )
    disabled = fields.Field(
        attribute="disabled", widget=NUMBER, column_name=_("members with disabilities")
    )
    occupancy = fields.Field(column_name=_("occupancy"))

    class Meta:
        model = Household
        fields = export_order = (
            "neighbourhood",
            "building",
            "unit",
            "floor",
            "room",
            "head_name",
            "phone",
            "id_number",
            "people",
            "elderly",
            "disabled",
            "occupancy",
        )

    def dehydrate_head_name(self, obj):
        return name_for(self.user, obj.head_name)

    def dehydrate_phone(self, obj):
        return phone_for(self.user, obj.phone)

    def dehydrate_id_number(self, obj):
        return id_number_for(self.user, obj.id_number)

    def dehydrate_occupancy(self, obj):
        return obj.get_occupancy_display()

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("building__neighbourhood")


class BuildingResource(UserAwareResource):
    neighbourhood = fields.Field(attribute="neighbourhood__name", column_name=_("neighbourhood"))
    number = fields.Field(attribute="number", column_name=_("building number"))
    floors = fields.Field(attribute="floors", widget=NUMBER, column_name=_("floors"))
    units = fields.Field(attribute="units", widget=NUMBER, column_name=_("units (stairwells)"))
    has_elevator = fields.Field(column_name=_("elevator"))

    class Meta:
        model = Building
        fields = export_order = ("neighbourhood", "number", "floors", "units", "has_elevator")

    def dehydrate_has_elevator(self, obj):
        return "是" if obj.has_elevator else "否"

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("neighbourhood")
