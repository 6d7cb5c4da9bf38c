"""Admin of the task catalogue, task items and funding lines."""

from django.contrib import admin

from residents.admin import AnjuTabularInline

from ..models import FundingLine, TaskItem


class TaskItemInline(AnjuTabularInline):
    model = TaskItem
    extra = 0


class FundingLineInline(AnjuTabularInline):
    model = FundingLine
    extra = 0


__all__ = ["FundingLineInline", "TaskItemInline", "admin"]
