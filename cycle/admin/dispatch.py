"""Admin of 一月一调度 (the monthly dispatch), and of the cycle's job runs.

The list of dispatches shows, within the user's neighbourhoods, each project's sheet per month:
reported or not, % complete, funds spent, when its staff were reminded; it filters by month,
by reported or not and by community, and links to the projects not yet reported this month.

A dispatch's page is its report: the quantity completed to date of each task item (offered as
the item records it now), the funds spent in the month, the problems met and next month's
plan. "Report this dispatch" checks them as ``dispatch.submit_dispatch`` will: a refusal is
shown on the page with what was typed kept, and the report itself goes through that service,
which moves the task items. Dispatches are opened by the month's job, never added or deleted
here; once the month is closed (its ``close_month`` job done), or the project is no longer
under way, the page is read-only.

The job runs (one per job and period) are read-only; the county office may run the jobs that
did not finish again (through their Celery tasks, after the request's transaction commits).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from config import celery
from projects.admin.history import ScopedHistoryAdmin
from projects.admin.steps import report_step
from projects.models import Project
from residents.admin import (
    AnjuInlineFormSet,
    AnjuModelAdmin,
    AnjuTabularInline,
    CommunityListFilter,
    ScopedModelAdmin,
)

from .. import dispatch as service
from .. import tasks
from ..models import Dispatch, DispatchLine, JobRun
from ..periods import Month

# --- Whether a dispatch may still be reported --------------------------------------------------


def closed_reasons(dispatch: Dispatch) -> list:
    """Why ``dispatch`` can no longer be reported (empty: it can), read once per instance."""
    if not hasattr(dispatch, "_closed_reasons"):
        dispatch._closed_reasons = service.state_refusals(dispatch)
    return dispatch._closed_reasons


# --- The list ----------------------------------------------------------------------------------


class MonthFilter(admin.SimpleListFilter):
    """The months the user's dispatches cover, latest first."""

    title = _("month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        months = model_admin.get_queryset(request).order_by().dates("month", "month", order="DESC")
        return [(Month(first).key, str(Month(first))) for first in months]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(month=Month.parse(str(value)).first)
        except ValueError:  # a hand-edited URL: show nothing rather than fail
            return queryset.none()


class ReportedFilter(admin.SimpleListFilter):
    title = _("reported")
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("yes", _("Reported")), ("no", _("Not reported (project under way)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(submitted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(
                submitted_at__isnull=True, project__status__in=Project.ACTIVE_STATUSES
            )
        return queryset


# --- The page: the report with its lines -------------------------------------------------------


class DispatchForm(forms.ModelForm):
    class Meta:
        model = Dispatch
        fields = ["funds_spent", "problems", "next_month_plan"]
        widgets = {
            "problems": forms.Textarea(attrs={"rows": 4}),
            "next_month_plan": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_funds_spent(self):
        funds_spent = self.cleaned_data.get("funds_spent")
        reasons = service.funds_refusals(funds_spent)
        if reasons:
            raise ValidationError(reasons)
        return funds_spent


class DispatchLineForm(forms.ModelForm):
    """One task item's line: the quantity completed to date, offered as the item records it
    now (it may have moved since the month was opened); only a changed quantity is reported,
    the others are taken as the items stand."""

    class Meta:
        model = DispatchLine
        fields = ["completed_to_date"]
        widgets = {"completed_to_date": forms.NumberInput(attrs={"step": "0.01", "min": "0"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "completed_to_date" in self.fields:
            self.initial["completed_to_date"] = self.instance.task_item.completed_quantity

    def reported(self):
        """The quantity this form reports, or None when left as the item stands."""
        if not self.has_changed():
            return None
        return self.cleaned_data.get("completed_to_date")


class DispatchLineFormSet(AnjuInlineFormSet):
    """Checks the lines as ``submit_dispatch`` will, with the problems typed on the same page
    (a lowered quantity needs them)."""

    def reported_lines(self) -> dict:
        return {
            form.instance.task_item_id: form.cleaned_data.get("completed_to_date")
            for form in self.forms
            if form.instance.pk and form.has_changed()
        }

    def clean_rows(self, forms):
        dispatch = self.instance
        # The page was open for reporting (the month not closed), read once for the page.
        reasons = closed_reasons(dispatch) or service.report_refusals(
            dispatch,
            items={form.instance.task_item_id: form.instance.task_item for form in self.forms},
            lines=self.reported_lines(),
            problems=self.data.get("problems", ""),
            closed=False,
        )
        if reasons:
            raise ValidationError(reasons)


class DispatchLineInline(AnjuTabularInline):
    model = DispatchLine
    form = DispatchLineForm
    formset = DispatchLineFormSet
    fields = ["task_item", "planned", "completed_before", "completed_to_date"]
    readonly_fields = ["task_item", "planned", "completed_before"]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("task_item__kind")

    @admin.display(description=_("planned quantity"))
    def planned(self, obj):
        if not obj or not obj.pk:
            return ""
        item = obj.task_item
        return f"{item.planned_quantity.normalize():f} {item.kind.get_unit_display()}"

    def has_add_permission(self, request, obj=None):
        return False  # a dispatch has a line per task item of its project

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and closed_reasons(obj):
            return False
        return super().has_change_permission(request, obj)


@admin.register(Dispatch)
class DispatchAdmin(ScopedHistoryAdmin, ScopedModelAdmin):
    change_list_template = "admin/cycle/dispatch/change_list.html"
    change_form_template = "admin/cycle/dispatch/change_form.html"
    form = DispatchForm
    list_display = [
        "month_display",
        "project",
        "community",
        "reported",
        "percent_complete",
        "funds_spent",
        "reminded_at",
    ]
    list_display_links = ["month_display", "project"]
    list_filter = [MonthFilter, ReportedFilter, CommunityListFilter]
    list_select_related = ["project__neighbourhood__community", "submitted_by"]
    search_fields = ["project__name", "project__neighbourhood__name"]
    fieldsets = [
        (None, {"fields": ["project", "month_display", "percent_complete"]}),
        (
            pgettext_lazy("dispatch", "Report"),
            {"fields": ["funds_spent", "problems", "next_month_plan"]},
        ),
        (None, {"fields": ["submitted_at", "submitted_by", "reminded_at"]}),
    ]
    readonly_fields = [
        "project",
        "month_display",
        "percent_complete",
        "submitted_at",
        "submitted_by",
        "reminded_at",
    ]
    inlines = [DispatchLineInline]

    def get_queryset(self, request):
        # For the pages as for the list (which adds no joins to a queryset that has some).
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_add_permission(self, request):
        return False  # opened by the month's job (``dispatch.open_dispatches``)

    def has_delete_permission(self, request, obj=None):
        return False  # on record, reported or not

    def has_change_permission(self, request, obj=None):
        if obj is not None and closed_reasons(obj):
            return False  # the month is closed, or the project no longer under way
        return super().has_change_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- Columns -----------------------------------------------------------------------

    @admin.display(description=_("month"), ordering="month")
    def month_display(self, obj):
        return str(Month(obj.month)) if obj and obj.month else "—"

    @admin.display(description=_("community"), ordering="project__neighbourhood__community__name")
    def community(self, obj):
        return obj.project.neighbourhood.community.name

    @admin.display(description=_("reported"), ordering="submitted_at")
    def reported(self, obj):
        if obj.submitted_at is None:
            return format_html('<strong class="behind-schedule">{}</strong>', _("Not reported"))
        when = timezone.localtime(obj.submitted_at)
        return _("%(date)s by %(user)s") % {
            "date": when.strftime("%Y-%m-%d %H:%M"),
            "user": obj.submitted_by or "—",
        }

    # --- The list: the projects not yet reported this month ------------------------------

    def changelist_view(self, request, extra_context=None):
        current = Month.current()
        # One query: the user's projects under way that have not reported this month.
        missing = service.unreported(current).visible_to(request.user).count()
        context = {
            "current_month": current,
            "not_reported_count": missing,
            "not_reported_query": (
                f"?{MonthFilter.parameter_name}={current.key}&{ReportedFilter.parameter_name}=no"
            ),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    # --- The page ------------------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["closed_reasons"] = closed_reasons(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- Reporting: the page's save is the report, through ``submit_dispatch`` -------------

    def save_model(self, request, obj, form, change):
        pass  # reported whole by submit_dispatch (save_related)

    def save_related(self, request, form, formsets, change):
        lines = {}
        for formset in formsets:
            formset.save(commit=False)  # names the changed lines for the admin log; no write
            if isinstance(formset, DispatchLineFormSet):
                lines.update(formset.reported_lines())
        data = form.cleaned_data
        request._dispatch_reported = report_step(
            self,
            request,
            lambda: service.submit_dispatch(
                form.instance,
                by=request.user,
                lines=lines,
                funds_spent=data.get("funds_spent"),
                problems=data.get("problems", ""),
                next_month_plan=data.get("next_month_plan", ""),
            ),
            refused=lambda reasons: (
                _("“%(dispatch)s” was not reported: %(reasons)s")
                % {"dispatch": form.instance, "reasons": reasons}
            ),
            done=lambda reported: (
                _("“%(dispatch)s” is reported: %(percent)s%% complete.")
                % {
                    "dispatch": reported,
                    "percent": "—"
                    if reported.percent_complete is None
                    else reported.percent_complete,
                }
            ),
        )

    def log_change(self, request, obj, message):
        if getattr(request, "_dispatch_reported", True):
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request, obj):
        if not getattr(request, "_dispatch_reported", True):
            return HttpResponseRedirect(request.get_full_path())
        return self.response_post_save_change(request, obj)


# --- Job runs -------------------------------------------------------------------------------

Job = JobRun.Job

#: The Celery task that runs each job for a period key.
JOB_TASKS = {
    Job.OPEN_MONTH: tasks.open_month,
    Job.REMIND: tasks.remind,
    Job.CLOSE_MONTH: tasks.close_month,
    Job.QUARTER: tasks.prepare_quarter,
}


@admin.register(JobRun)
class JobRunAdmin(AnjuModelAdmin):
    """Each run of a scheduled job of the cycle: read-only; the jobs that did not finish can be
    run again (the county office)."""

    list_display = ["job", "period", "state", "attempts", "started_at", "finished_at", "error_line"]
    list_filter = ["job", "state"]
    search_fields = ["period"]
    fields = [
        "job",
        "period",
        "state",
        "attempts",
        "started_at",
        "finished_at",
        "summary",
        "error",
    ]
    readonly_fields = fields
    actions = ["run_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # what the jobs recorded

    def has_delete_permission(self, request, obj=None):
        return False  # a deleted run would run again

    def has_rerun_permission(self, request):
        return request.user.has_perm("cycle.change_jobrun")

    @admin.display(description=_("last error"))
    def error_line(self, obj):
        lines = (obj.error or "").strip().splitlines()
        return Truncator(lines[-1]).chars(80) if lines else "—"

    @admin.action(
        description=_("Run the selected jobs again if they did not finish"),
        permissions=["rerun"],
    )
    def run_again(self, request, queryset):
        """Each selected run that is not done goes to its Celery task again: the task finds
        what is done and does the rest; done runs are left as they are. With the task queue
        unreachable, the runs not sent are named (the daily catch-up runs the monthly jobs
        that did not finish once the queue is back)."""
        queued, unsent, skipped = [], [], []
        for run in queryset.order_by("period", "job"):
            # A daily run: that day's flags (and today's catch-up).
            task = tasks.daily if run.job == Job.DAILY else JOB_TASKS.get(run.job)
            if run.state == JobRun.State.DONE or task is None:
                skipped.append(run)
            elif celery.send(task, run.period):
                queued.append(run)
            else:
                unsent.append(run)
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d job will run again: %(runs)s.",
                    "%(count)d jobs will run again: %(runs)s.",
                    len(queued),
                )
                % {"count": len(queued), "runs": ", ".join(str(run) for run in queued)},
                messages.SUCCESS,
            )
        if unsent:
            self.message_user(
                request,
                _(
                    "The task queue is unreachable: not sent %(runs)s. Try again later; the "
                    "daily run catches up the monthly jobs that did not finish."
                )
                % {"runs": ", ".join(str(run) for run in unsent)},
                messages.ERROR,
            )
        if skipped:
            self.message_user(
                request,
                _("Not run again (done already): %(runs)s.")
                % {"runs": ", ".join(str(run) for run in skipped)},
                messages.WARNING,
            )
