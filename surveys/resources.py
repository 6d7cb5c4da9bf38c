"""Export resources of the consultation's lists, with Chinese headings; the head of household
masked unless the exporting user may see personal data."""

from django.utils.translation import gettext_lazy as _
from import_export import fields

from residents.masking import name_for
from residents.resources import UserAwareResource

from .models import Visit


class VisitResource(UserAwareResource):
    visited_on = fields.Field(attribute="visited_on", column_name=_("visited on"))
    neighbourhood = fields.Field(
        attribute="household__building__neighbourhood__name", column_name=_("neighbourhood")
    )
    building = fields.Field(
        attribute="household__building__number", column_name=_("building number")
    )
    unit = fields.Field(attribute="household__unit", column_name=_("unit"))
    room = fields.Field(attribute="household__room", column_name=_("room"))
    head_name = fields.Field(column_name=_("head of household"))
    outcome = fields.Field(column_name=_("outcome"))
    needs = fields.Field(column_name=_("needs named"))
    supports_renovation = fields.Field(column_name=_("supports renovation"))
    team = fields.Field(attribute="team__name", column_name=_("visit team"))

    class Meta:
        model = Visit
        fields = export_order = (
            "visited_on",
            "neighbourhood",
            "building",
            "unit",
            "room",
            "head_name",
            "outcome",
            "needs",
            "supports_renovation",
            "team",
        )

    def dehydrate_head_name(self, obj):
        return name_for(self.user, obj.household.head_name)

    def dehydrate_outcome(self, obj):
        return obj.get_outcome_display()

    def dehydrate_needs(self, obj):
        return "、".join(kind.name_zh for kind in obj.needs.all())

    def dehydrate_supports_renovation(self, obj):
        return {True: "是", False: "否"}.get(obj.supports_renovation, "")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(
            "household__building__neighbourhood", "team"
        ).prefetch_related("needs")
