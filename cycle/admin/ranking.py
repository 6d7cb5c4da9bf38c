"""Admin of 一月一评比 and of the monthly snapshots.

The county office sets the criteria's weights and whether each is in use (every change kept in
the History); criteria are neither added nor deleted here, since the scoring knows each one by
its code (``cycle.ranking.SCORERS``). The monthly rankings and the snapshots are what a month's
close wrote: read-only for everyone, the rankings in rank order with a column per criterion,
community staff seeing the rows of their own neighbourhoods.
"""

import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from projects.admin.history import ScopedHistoryAdmin
from projects.models import Project
from residents.admin import AnjuModelAdmin, CommunityListFilter, ScopedModelAdmin

from ..models import CountySnapshot, ProjectSnapshot, Ranking, RankingCriterion
from ..periods import Month
from .dispatch import MonthFilter

NOT_SCORED = "—"


class ReadOnlyMixin:
    """What a month's close wrote: viewed, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _month(obj) -> str:
    return str(Month(obj.month))


def _figures(figures: dict):
    """The frozen figures as they are stored, for the record's page."""
    text = json.dumps(figures, ensure_ascii=False, indent=2, sort_keys=False)
    return format_html('<pre class="anju-figures">{}</pre>', text)


# --- The criteria ----------------------------------------------------------------------------


@admin.register(RankingCriterion)
class RankingCriterionAdmin(ScopedHistoryAdmin, AnjuModelAdmin):
    list_display = ["name", "code", "weight", "active"]
    list_display_links = ["name"]
    fields = ["code", "name", "weight", "active", "method"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- The monthly ranking ---------------------------------------------------------------------


def _score_column(criterion: RankingCriterion):
    """A list column with ``criterion``'s score, or a dash where it did not apply."""

    def score(obj):
        return obj.scores.get(criterion.code, NOT_SCORED)

    score.__name__ = f"score_{criterion.code}"
    return admin.display(description=criterion.name)(score)


@admin.register(Ranking)
class RankingAdmin(ReadOnlyMixin, ScopedModelAdmin):
    """The month's ranking, best first: rank, project, total and each criterion's score."""

    list_display = ["month_display", "rank", "project", "total"]
    list_display_links = ["project"]
    list_filter = [MonthFilter, CommunityListFilter]
    list_select_related = ["project"]
    search_fields = ["project__name", "project__neighbourhood__name"]
    ordering = ["-month", "rank", "project__name"]
    fields = ["month_display", "project", "rank", "total", "scores_display"]
    readonly_fields = fields

    def criteria(self, request) -> list[RankingCriterion]:
        """All criteria, in use or not (a past month may have been scored on one since set
        aside), read once per request."""
        if not hasattr(request, "_ranking_criteria"):
            request._ranking_criteria = list(RankingCriterion.objects.order_by("pk"))
        return request._ranking_criteria

    def get_list_display(self, request):
        return [*self.list_display, *(_score_column(c) for c in self.criteria(request))]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "criteria": self.criteria(request)}
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")

    @admin.display(description=_("month"), ordering="month")
    def month_display(self, obj):
        return _month(obj)

    @admin.display(description=_("scores by criterion"))
    def scores_display(self, obj):
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            (
                (criterion.name, obj.scores.get(criterion.code, NOT_SCORED))
                for criterion in RankingCriterion.objects.order_by("pk")
            ),
        )
        return format_html("<table>{}</table>", rows)


# --- The snapshots ---------------------------------------------------------------------------


@admin.register(ProjectSnapshot)
class ProjectSnapshotAdmin(ReadOnlyMixin, ScopedModelAdmin):
    """A project's figures as they stood when a month closed."""

    list_display = [
        "month_display",
        "project",
        "status",
        "percent_complete",
        "behind_schedule",
        "dispatch_reported",
    ]
    list_display_links = ["project"]
    list_filter = [MonthFilter, CommunityListFilter]
    list_select_related = ["project"]
    search_fields = ["project__name", "project__neighbourhood__name"]
    ordering = ["-month", "project__name"]
    fields = ["month_display", "project", "figures_display"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")

    @admin.display(description=_("month"), ordering="month")
    def month_display(self, obj):
        return _month(obj)

    @admin.display(description=_("status"))
    def status(self, obj):
        value = obj.figures.get("status")
        return Project.Status(value).label if value in Project.Status.values else value

    @admin.display(description=_("percent complete"))
    def percent_complete(self, obj):
        return obj.figures.get("percent_complete") or NOT_SCORED

    @admin.display(description=_("behind schedule"), boolean=True)
    def behind_schedule(self, obj):
        return obj.figures.get("behind_schedule")

    @admin.display(description=_("reported"), boolean=True)
    def dispatch_reported(self, obj):
        return obj.figures.get("dispatch_reported")

    @admin.display(description=_("figures"))
    def figures_display(self, obj):
        return _figures(obj.figures)


@admin.register(CountySnapshot)
class CountySnapshotAdmin(ReadOnlyMixin, AnjuModelAdmin):
    """The county's figures as they stood when a month closed."""

    list_display = ["month_display", "projects", "percent_complete", "households_benefited"]
    ordering = ["-month"]
    fields = ["month_display", "figures_display"]
    readonly_fields = fields

    @admin.display(description=_("month"), ordering="month")
    def month_display(self, obj):
        return _month(obj)

    @admin.display(description=_("projects"))
    def projects(self, obj):
        return obj.figures.get("projects")

    @admin.display(description=_("percent complete"))
    def percent_complete(self, obj):
        return obj.figures.get("percent_complete") or NOT_SCORED

    @admin.display(description=_("households benefited"))
    def households_benefited(self, obj):
        return obj.figures.get("households_benefited")

    @admin.display(description=_("figures"))
    def figures_display(self, obj):
        return _figures(obj.figures)
