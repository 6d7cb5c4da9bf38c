"""Admin of projects and their lifecycle."""

from django.contrib import admin

from residents.admin import ScopedModelAdmin

from ..models import Project
from .media import DisclosureInline, PhotoInline
from .outputs import FundingLineInline, TaskItemInline


@admin.register(Project)
class ProjectAdmin(ScopedModelAdmin):
    list_display = ["name", "neighbourhood", "batch_year", "status"]
    list_select_related = ["neighbourhood"]
    search_fields = ["name", "neighbourhood__name"]
    autocomplete_fields = ["neighbourhood"]
    inlines = [TaskItemInline, FundingLineInline, DisclosureInline, PhotoInline]
