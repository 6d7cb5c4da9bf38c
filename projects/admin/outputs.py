"""Admin of the task catalogue, task items and funding lines.

The project page shows its task items and funding lines as tables (``TaskItemInline``,
``FundingLineInline``), each headed by the project's figures: how far the work is done and
what it costs; what money is planned, has arrived and is spent, and the residents' share.
"""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from residents.admin import (
    AnjuInlineFormSet,
    AnjuModelAdmin,
    AnjuTabularInline,
    CommunityListFilter,
    RegisterExportMixin,
    ScopedModelAdmin,
)

from ..models import CatalogueKind, FundingLine, Project, TaskItem
from ..outputs import funding_summary, output_summary
from ..resources import TaskItemResource
from .history import ScopedHistoryAdmin


@admin.register(CatalogueKind)
class CatalogueKindAdmin(AnjuModelAdmin):
    """The county's catalogue: the office orders it (priority) and retires kinds ("in use").

    Codes are fixed once a kind exists and kinds are not deleted: task items, the demo data and
    the leader pages refer to them. A kind no longer offered is switched off instead.
    """

    list_display = [
        "priority",
        "name_zh",
        "name_en",
        "code",
        "unit",
        "group",
        "national_class",
        "livelihood_and_safety",
        "is_active",
    ]
    list_display_links = ["name_zh"]
    list_editable = ["priority", "is_active"]
    list_filter = ["group", "national_class", "unit", "livelihood_and_safety", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "code"] if obj is not None else readonly

    def has_delete_permission(self, request, obj=None):
        return False


def kind_label(kind: CatalogueKind) -> str:
    """A kind as offered in a form: its name and its unit, "Eco parking spaces (parking space)"."""
    return _("%(kind)s (%(unit)s)") % {"kind": kind.name, "unit": kind.get_unit_display()}


class TaskItemForm(forms.ModelForm):
    """A task item: its kind is one in use, or the one it already has if since retired.

    ``kinds`` is the catalogue read once for a whole table of items (see ``TaskItemFormSet``).
    """

    class Meta:
        model = TaskItem
        fields = [
            "project",
            "kind",
            "description",
            "planned_quantity",
            "completed_quantity",
            "budget",
            "responsible",
        ]

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("kind")
        if field is None:
            return
        current = self.instance.kind_id
        offered = Q(is_active=True) | Q(pk=current) if current else Q(is_active=True)
        field.queryset = CatalogueKind.objects.filter(offered)
        if kinds is None:
            kinds = list(CatalogueKind.objects.all())
        blank = [("", field.empty_label)] if field.empty_label is not None else []
        field.choices = blank + [
            (kind.pk, kind_label(kind)) for kind in kinds if kind.is_active or kind.pk == current
        ]


class TaskItemFormSet(AnjuInlineFormSet):
    """Reads the catalogue once for the whole table, not once for each row."""

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if not hasattr(self, "_kinds"):
            self._kinds = list(CatalogueKind.objects.all())
        return {**kwargs, "kinds": self._kinds}


class KindUnitMixin:
    @admin.display(description=pgettext_lazy("unit of measure", "unit"))
    def kind_unit(self, obj):
        return obj.kind.get_unit_display() if obj and obj.kind_id else ""


class TaskItemInline(KindUnitMixin, AnjuTabularInline):
    model = TaskItem
    form = TaskItemForm
    formset = TaskItemFormSet
    fields = [
        "kind",
        "description",
        "planned_quantity",
        "completed_quantity",
        "kind_unit",
        "budget",
        "responsible",
        "status",
    ]
    readonly_fields = ["kind_unit", "status"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("kind")

    def has_change_permission(self, request, obj=None):
        # The work of an accepted project is what was accepted: its items are kept as they are.
        if obj is not None and obj.status in Project.FINISHED_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        if obj is not None and obj.status in Project.FINISHED_STATUSES:
            return False
        return super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status in Project.FINISHED_STATUSES:
            return False
        return super().has_delete_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        # Inline instances are made for each request, so the heading may carry its figures.
        if obj is not None and obj.pk:
            self.verbose_name_plural = format_lazy(
                "{} — {}", TaskItem._meta.verbose_name_plural, output_summary(obj)
            )
        return super().get_formset(request, obj, **kwargs)


class FundingLineInline(AnjuTabularInline):
    model = FundingLine
    fields = ["source", "description", "planned", "arrived", "spent"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        if obj is not None and obj.pk:
            self.verbose_name_plural = format_lazy(
                "{} — {}", FundingLine._meta.verbose_name_plural, funding_summary(obj)
            )
        return super().get_formset(request, obj, **kwargs)


class ProjectFiguresMixin:
    """For the project admin: its figures as read-only fields, ``outputs_display`` and
    ``funds_display`` (add them to ``readonly_fields`` and the fields shown)."""

    @admin.display(description=_("outputs"))
    def outputs_display(self, obj):
        return str(output_summary(obj)) if obj is not None and obj.pk else "—"

    @admin.display(description=_("funds"))
    def funds_display(self, obj):
        return str(funding_summary(obj)) if obj is not None and obj.pk else "—"


@admin.register(TaskItem)
class TaskItemAdmin(RegisterExportMixin, KindUnitMixin, ScopedHistoryAdmin, ScopedModelAdmin):
    resource_classes = [TaskItemResource]
    """Every task item the user may see, across projects: to follow one kind of work, or a
    community's, through the county."""

    form = TaskItemForm
    list_display = [
        "kind",
        "project",
        "neighbourhood",
        "planned_quantity",
        "completed_quantity",
        "kind_unit",
        "budget",
        "status",
        "responsible",
    ]
    list_filter = [
        "kind",
        "status",
        CommunityListFilter,
        "kind__group",
        "kind__national_class",
        "project__batch_year",
    ]
    list_select_related = ["kind", "project__neighbourhood"]
    search_fields = ["project__name", "project__neighbourhood__name", "description", "responsible"]
    autocomplete_fields = ["project"]
    fields = [
        "project",
        "kind",
        "description",
        ("planned_quantity", "completed_quantity"),
        "budget",
        "responsible",
        "status",
    ]

    #: The plan of the work is the county office's (who may change projects); others, such as
    #: community staff, report progress only.
    PLAN_FIELDS = ("project", "kind", "description", "planned_quantity", "budget")

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "status"]
        if obj is not None and not request.user.has_perm("projects.change_project"):
            readonly += self.PLAN_FIELDS
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.project.status in Project.FINISHED_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.project.status in Project.FINISHED_STATUSES:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("neighbourhood"), ordering="project__neighbourhood__name")
    def neighbourhood(self, obj):
        return obj.project.neighbourhood


@admin.register(FundingLine)
class FundingLineAdmin(ScopedHistoryAdmin, ScopedModelAdmin):
    """Every funding line the user may see: to follow one source of money through the county."""

    list_display = ["project", "source", "description", "planned", "arrived", "spent"]
    list_filter = ["source", CommunityListFilter, "project__batch_year"]
    list_select_related = ["project"]
    search_fields = ["project__name", "project__neighbourhood__name", "description"]
    autocomplete_fields = ["project"]


__all__ = [
    "CatalogueKindAdmin",
    "FundingLineAdmin",
    "FundingLineInline",
    "ProjectFiguresMixin",
    "TaskItemAdmin",
    "TaskItemInline",
    "admin",
]
