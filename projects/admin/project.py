"""Admin of projects and their lifecycle.

The status is never a form field. It moves by the buttons of the change page (one small form
per available step, posted to ``<id>/transition/<name>/``) and by the bulk actions of the list,
both of which call the transition functions of ``projects.services`` and report what was done
or why it was refused. Running a step needs ``projects.change_project`` (the county office);
every page reads through the user's scope. The change history is django-simple-history's,
read-only here.
"""

import itertools

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from residents.admin import (
    AnjuModelAdmin,
    AnjuTabularInline,
    CommunityListFilter,
    ScopedModelAdmin,
    StaleEditMixin,
)

from .. import services, workflow
from ..models import Milestone, PhaseDuration, Project, ProjectTransition
from ..workflow import TRANSITIONS, TRANSITIONS_BY_NAME, Transition, available_transitions
from .history import ScopedHistoryAdmin
from .media import DisclosureInline, PhotoInline
from .outputs import FundingLineInline, TaskItemInline
from .steps import report_step


class MilestoneInline(AnjuTabularInline):
    model = Milestone
    fields = ["kind", "planned_date", "actual_date"]
    extra = 0
    max_num = len(Milestone.Kind.choices)


class ProjectTransitionInline(AnjuTabularInline):
    """The project's status changes, as the transition functions recorded them."""

    model = ProjectTransition
    fields = ["at", "from_status", "to_status", "by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScheduleFilter(admin.SimpleListFilter):
    """Behind its backward plan or not (``ProjectQuerySet.behind_schedule``)."""

    title = _("schedule")
    parameter_name = "schedule"

    def lookups(self, request, model_admin):
        return [("behind", _("Behind schedule")), ("on_track", _("On schedule"))]

    def queryset(self, request, queryset):
        if self.value() == "behind":
            return queryset.filter(is_behind_schedule=True)
        if self.value() == "on_track":
            return queryset.filter(is_behind_schedule=False)
        return queryset


def _transition_action(transition: Transition):
    """The bulk action of one step: the step is tried on each selected project in turn."""

    def action(modeladmin, request, queryset):
        for project in queryset.order_by("pk"):
            modeladmin.take_transition(request, project, transition)

    action.__name__ = transition.name
    return admin.action(description=transition.action_label, permissions=["change"])(action)


@admin.register(Project)
class ProjectAdmin(StaleEditMixin, ScopedHistoryAdmin, ScopedModelAdmin):
    list_display = [
        "name",
        "status",
        "batch_year",
        "neighbourhood",
        "deadline",
        "behind_schedule",
    ]
    list_filter = ["status", "batch_year", CommunityListFilter, ScheduleFilter]
    list_select_related = ["neighbourhood"]
    search_fields = ["name", "neighbourhood__name"]
    autocomplete_fields = ["neighbourhood", "merged_neighbourhoods", "responsible"]
    fields = [
        "name",
        "neighbourhood",
        "merged_neighbourhoods",
        "batch_year",
        "deadline",
        "responsible",
        "summary",
        "status",
        "status_changed_at",
    ]
    readonly_fields = ["status", "status_changed_at"]
    inlines = [
        MilestoneInline,
        TaskItemInline,
        FundingLineInline,
        DisclosureInline,
        PhotoInline,
        ProjectTransitionInline,
    ]
    actions = ["plan_schedule", *(_transition_action(t) for t in TRANSITIONS)]

    def get_queryset(self, request):
        return super().get_queryset(request).with_schedule_flag()

    def has_delete_permission(self, request, obj=None):
        # Only a draft may be deleted: once residents were consulted, its record is kept.
        if obj is not None and obj.status != Project.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would delete projects past draft too
        return actions

    @admin.display(description=_("behind schedule"), ordering="is_behind_schedule")
    def behind_schedule(self, obj):
        if getattr(obj, "is_behind_schedule", False):
            return format_html('<strong class="behind-schedule">{}</strong>', _("Behind"))
        return "—"

    # --- The lifecycle: buttons on the change page, bulk actions on the list --------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            path(
                "<path:object_id>/plan-schedule/",
                view(self.plan_schedule_view),
                name="{}_{}_plan_schedule".format(*info),
            ),
            path(
                "<path:object_id>/audit/",
                view(self.audit_view),
                name="{}_{}_audit".format(*info),
            ),
            *super().get_urls(),
        ]

    def _changeable_object(self, request, object_id):
        """The project, if the user may see it (else None) and move it (else 403)."""
        project = self.get_object(request, unquote(object_id))
        if project is not None and not self.has_change_permission(request, project):
            raise PermissionDenied
        return project

    def _back_to(self, project):
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:projects_project_change", args=[project.pk])
        )

    def transition_view(self, request, object_id, name):
        """POST: take the step ``name`` with the optional ``note``, then back to the page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        transition = TRANSITIONS_BY_NAME.get(name)
        if transition is None:
            raise Http404
        project = self._changeable_object(request, object_id)
        if project is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        self.take_transition(request, project, transition, note=request.POST.get("note", ""))
        return self._back_to(project)

    def take_transition(self, request, project, transition, note=""):
        """Take one step through the service and tell the user what came of it."""
        return report_step(
            self,
            request,
            lambda: services.run_transition(
                project, transition.name, by=request.user, note=note.strip()
            ),
            refused=lambda reasons: (
                _("%(transition)s refused for “%(project)s”: %(reasons)s")
                % {"transition": transition.label, "project": project, "reasons": reasons}
            ),
            done=lambda moved: (
                _("%(transition)s: “%(project)s” is now “%(status)s”.")
                % {
                    "transition": transition.label,
                    "project": moved,
                    "status": Project.Status(moved.status).label,
                }
            ),
        )

    def plan_schedule_view(self, request, object_id):
        """POST: plan the project's milestones backwards from its deadline."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        project = self._changeable_object(request, object_id)
        if project is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        self.plan_project_schedule(request, project)
        return self._back_to(project)

    @admin.action(
        description=_("Plan the schedule backwards from the deadline"), permissions=["change"]
    )
    def plan_schedule(self, request, queryset):
        for project in queryset.order_by("pk"):
            self.plan_project_schedule(request, project)

    def plan_project_schedule(self, request, project):
        return report_step(
            self,
            request,
            lambda: services.plan_schedule(project, by=request.user),
            refused=lambda reasons: (
                _("The schedule of “%(project)s” was not planned: %(reasons)s")
                % {"project": project, "reasons": reasons}
            ),
            done=lambda _milestones: (
                _("The schedule of “%(project)s” is planned backwards from %(deadline)s.")
                % {"project": project, "deadline": formats.date_format(project.deadline)}
            ),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and self.has_change_permission(request, obj):
            context["lifecycle_steps"] = [
                {
                    "transition": transition,
                    "reasons": services.refusal_reasons(obj, transition.name),
                    "url": reverse(
                        f"{self.admin_site.name}:projects_project_transition",
                        args=[obj.pk, transition.name],
                    ),
                }
                for transition in available_transitions(obj)
            ]
            context["plan_schedule_url"] = reverse(
                f"{self.admin_site.name}:projects_project_plan_schedule", args=[obj.pk]
            )
        if (
            change
            and obj is not None
            and obj.status in (Project.Status.DRAFT, Project.Status.CONSULTING)
        ):
            # Before the approval: what the consultation still lacks, and what residents
            # asked for beside the plan (要什么改什么).
            context["consultation_panel"] = workflow.consultation_panel(obj)
        if change and obj is not None:
            # From completion on: the acceptance gate and its numbers, or, once accepted, the
            # numbers it was accepted on. The acceptance app renders its own panel.
            context["acceptance"] = workflow.acceptance_page(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- Change history: the status changes shown by label ------------------------------

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        # simple-history diffs editable fields only; show the status changes too, by label.
        records = list(historical_records)  # newest first
        label = capfirst(Project._meta.get_field("status").verbose_name)
        for newer, older in itertools.pairwise(records):
            if newer.status != older.status:
                change = {
                    "field": label,
                    "old": Project.Status(older.status).label,
                    "new": Project.Status(newer.status).label,
                }
                newer.history_delta_changes = [change, *getattr(newer, "history_delta_changes", [])]

    def audit_view(self, request, object_id):
        """The project's full audit trail (全过程跟踪审计): every change to it and its records,
        newest first, for anyone who may view the project within their scope."""
        from django.template.response import TemplateResponse

        from ..audit import project_audit_trail

        project = self.get_object(request, unquote(object_id))
        if project is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, project):
            raise PermissionDenied
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": _("Audit trail"),
            "subtitle": str(project),
            "opts": self.opts,
            "original": project,
            "entries": project_audit_trail(project),
        }
        return TemplateResponse(request, "admin/projects/project/audit.html", context)


@admin.register(PhaseDuration)
class PhaseDurationAdmin(AnjuModelAdmin):
    """The standard days of each phase, from which schedules are planned backwards."""

    list_display = ["phase", "days"]
    list_editable = ["days"]
    list_display_links = None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
