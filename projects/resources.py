"""Export resources of the projects' lists (django-import-export), with Chinese headings."""

from django.utils.translation import gettext_lazy as _
from import_export import fields, widgets

from residents.resources import UserAwareResource

from .models import TaskItem

AMOUNT = widgets.DecimalWidget(coerce_to_string=False)


class TaskItemResource(UserAwareResource):
    project = fields.Field(attribute="project__name", column_name=_("project"))
    kind = fields.Field(attribute="kind__name_zh", column_name=_("kind of work"))
    description = fields.Field(attribute="description", column_name=_("description"))
    planned_quantity = fields.Field(
        attribute="planned_quantity", widget=AMOUNT, column_name=_("planned quantity")
    )
    completed_quantity = fields.Field(
        attribute="completed_quantity", widget=AMOUNT, column_name=_("completed quantity")
    )
    budget = fields.Field(attribute="budget", widget=AMOUNT, column_name=_("budget (yuan)"))
    status = fields.Field(column_name=_("status"))

    class Meta:
        model = TaskItem
        fields = export_order = (
            "project",
            "kind",
            "description",
            "planned_quantity",
            "completed_quantity",
            "budget",
            "status",
        )

    def dehydrate_status(self, obj):
        return obj.get_status_display()

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("project", "kind")
