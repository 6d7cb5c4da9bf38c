"""The monthly cycle (五个一): dispatch, inspection, bulletin, ranking, the quarterly meeting.

一月一调度、一月一督查、一月一通报、一月一评比、一季度一次领导小组例会 (rule 4 of DESIGN.md).
At the start of each month the month's dispatch sheets are opened for every active project;
on the 25th whoever has not reported is reminded; once the month is over its inspection
report, ranking and bulletin are produced and the figures the leader pages show are frozen
(``ProjectSnapshot``, ``CountySnapshot``); each quarter the leading group's meeting pack is
prepared. Each of these jobs runs once per period: ``JobRun`` is keyed by (job, period) with a
unique constraint, and every result is unique per period too, so running a job twice, at the
same time, or late, produces one result.

This app sits above the others: the ranking and the bulletin read projects, consultation,
requests and acceptance, so it may import all of them and none of them imports it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from projects.models import Project, TaskItem
from projects.querysets import ProjectRecordQuerySet
from residents.scoping import NeighbourhoodScopedQuerySet

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 1}


class JobRun(models.Model):
    """One run of a scheduled job for one period ("2026-11", "2026-Q4", "2026-11-26").

    The unique (job, period) makes a job run once per period: a second run, a concurrent one
    or a catch-up finds the row done and produces nothing. A run that failed (or whose worker
    died) is not done, and completes when run again.
    """

    class Job(models.TextChoices):
        OPEN_MONTH = "open_month", _("Open the month's dispatch")
        REMIND = "remind", _("Remind those who have not reported")
        CLOSE_MONTH = "close_month", _("Close the month: inspection report, ranking, bulletin")
        QUARTER = "quarter", _("Prepare the quarter's meeting pack")
        DAILY = "daily", _("Daily flags and catch-up")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", pgettext_lazy("job run", "Failed")

    job = models.CharField(_("job"), max_length=20, choices=Job.choices)
    period = models.CharField(_("period"), max_length=10)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RUNNING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("started"), null=True)
    finished_at = models.DateTimeField(_("finished"), null=True)
    summary = models.JSONField(pgettext_lazy("job run", "summary"), default=dict, blank=True)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-period", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="cycle_jobrun_once_per_period")
        ]

    def __str__(self):
        return f"{self.get_job_display()} {self.period}"


# --- 一月一调度: the monthly dispatch ----------------------------------------------------------


class Dispatch(models.Model):
    """The monthly progress report (调度表) of one active project: what was done per task
    item, % complete, funds spent, problems and next month's plan."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="dispatches"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported."))
    percent_complete = models.DecimalField(
        _("percent complete"), **PERCENT, null=True, blank=True, editable=False
    )
    funds_spent = models.DecimalField(
        _("funds spent this month (yuan)"), **MONEY, null=True, blank=True
    )
    problems = models.TextField(_("problems"), blank=True)
    next_month_plan = models.TextField(_("next month's plan"), blank=True)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("reported"), null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True, editable=False)

    objects = ProjectRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("monthly dispatch")
        verbose_name_plural = _("monthly dispatches")
        ordering = ["-month", "project_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "month"],
                name="cycle_dispatch_one_per_project_month",
                violation_error_message=_("The project already has this month's dispatch."),
            )
        ]

    def __str__(self):
        return f"{self.project} {self.month:%Y-%m}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class DispatchLineQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "dispatch__project__neighbourhood"


class DispatchLine(models.Model):
    """One task item on a dispatch: its completed quantity at the end of the month."""

    dispatch = models.ForeignKey(
        Dispatch, verbose_name=_("dispatch"), on_delete=models.CASCADE, related_name="lines"
    )
    task_item = models.ForeignKey(
        TaskItem, verbose_name=_("task item"), on_delete=models.CASCADE, related_name="+"
    )
    completed_before = models.DecimalField(
        _("completed before the month"), **QUANTITY, default=0, editable=False
    )
    completed_to_date = models.DecimalField(_("completed to date"), **QUANTITY, default=0)

    objects = DispatchLineQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dispatch line")
        verbose_name_plural = _("dispatch lines")
        ordering = ["dispatch_id", "task_item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch", "task_item"], name="cycle_dispatchline_one_per_item"
            ),
            models.CheckConstraint(
                condition=Q(completed_to_date__gte=0),
                name="cycle_dispatchline_not_negative",
                violation_error_message=_("A completed quantity cannot be negative."),
            ),
        ]

    def __str__(self):
        return str(self.task_item)

    @property
    def done_this_month(self):
        return self.completed_to_date - self.completed_before


# --- 一月一督查: inspections -----------------------------------------------------------------


class Inspection(models.Model):
    """An inspection of a project (督查): who, when, and what was found."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="inspections"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    date = models.DateField(_("date"))
    summary = models.TextField(pgettext_lazy("inspection", "summary"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ProjectRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"{self.project} {self.date:%Y-%m-%d}"


class FindingQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "inspection__project__neighbourhood"

    def open(self):
        return self.filter(rectified_at__isnull=True)

    def overdue(self, today):
        """Findings not rectified whose deadline is before ``today``."""
        return self.open().filter(deadline__lt=today)


class Finding(models.Model):
    """Something an inspection found, to be rectified by a deadline with proof."""

    class Category(models.TextChoices):
        QUALITY = "quality", _("Quality")
        SAFETY = "safety", _("Safety")
        SCHEDULE = "schedule", pgettext_lazy("finding category", "Schedule")
        SITE = "site", _("Site management and civilised construction")
        FUNDS = "funds", _("Funds")
        RESIDENTS = "residents", _("Residents' concerns")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="findings"
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    description = models.TextField(_("finding"))
    photo = models.ImageField(_("photo"), upload_to="findings/%Y/%m/", blank=True)
    deadline = models.DateField(_("rectify by"))
    rectification = models.TextField(_("rectification done"), blank=True)
    proof = models.ImageField(_("proof of rectification"), upload_to="findings/%Y/%m/", blank=True)
    rectified_at = models.DateTimeField(_("rectified"), null=True, blank=True, editable=False)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rectification confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = FindingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["deadline", "pk"]

    def __str__(self):
        return self.description[:50]


class InspectionReport(models.Model):
    """The month's inspection report (督查通报): findings of the month and the overdue
    rectifications, as they stood when the month closed. One per month; produced again, it
    is replaced."""

    month = models.DateField(_("month"), unique=True)
    generated_at = models.DateTimeField(_("produced"))
    content = models.JSONField(_("content"), default=dict)

    class Meta:
        verbose_name = _("monthly inspection report")
        verbose_name_plural = _("monthly inspection reports")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}"


# --- 一月一评比: the ranking -----------------------------------------------------------------


class RankingCriterion(models.Model):
    """One criterion of the monthly score, with its weight (editable by the county office).
    Each criterion scores a project from 0 to 100; the total is the weighted mean over the
    criteria that apply to it (satisfaction applies only to surveyed projects)."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("criterion"), max_length=100)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    method = models.TextField(_("how it is scored"))
    active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ranking criterion")
        verbose_name_plural = _("ranking criteria")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0),
                name="cycle_criterion_weight",
                violation_error_message=_("A weight cannot be negative."),
            )
        ]

    def __str__(self):
        return self.name


class Ranking(models.Model):
    """A project's score and rank for a month (一月一评比), frozen when the month closes."""

    month = models.DateField(_("month"))
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="rankings"
    )
    scores = models.JSONField(_("scores by criterion"), default=dict)
    total = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    rank = models.PositiveIntegerField(_("rank"))

    objects = ProjectRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly ranking")
        verbose_name_plural = _("monthly rankings")
        ordering = ["-month", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "project"], name="cycle_ranking_one_per_project_month"
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} #{self.rank} {self.project}"


# --- Monthly snapshots -------------------------------------------------------------------------


class ProjectSnapshot(models.Model):
    """A project's figures as they stood when a month closed: the leader pages read past
    months from here, so a later edit never changes a past month."""

    month = models.DateField(_("month"))
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="snapshots"
    )
    figures = models.JSONField(_("figures"), default=dict)

    objects = ProjectRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("project snapshot")
        verbose_name_plural = _("project snapshots")
        ordering = ["-month", "project_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "project"], name="cycle_projectsnapshot_one_per_month"
            )
        ]

    def __str__(self):
        return f"{self.project} {self.month:%Y-%m}"


class CountySnapshot(models.Model):
    """The county's figures as they stood when a month closed (one row per month)."""

    month = models.DateField(_("month"), unique=True)
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("county snapshot")
        verbose_name_plural = _("county snapshots")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}"


# --- 一月一通报: the bulletin ------------------------------------------------------------------


class Bulletin(models.Model):
    """The month's bulletin to the leaders (月度通报), as a page, a .docx and an .xlsx. One per
    month: producing it again replaces it."""

    month = models.DateField(_("month"), unique=True)
    generated_at = models.DateTimeField(_("produced"))
    content = models.JSONField(_("content"), default=dict)
    docx = models.FileField(_(".docx"), upload_to="bulletins/", blank=True)
    xlsx = models.FileField(_(".xlsx"), upload_to="bulletins/", blank=True)

    class Meta:
        verbose_name = _("monthly bulletin")
        verbose_name_plural = _("monthly bulletins")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}"


# --- 季度领导小组例会: the quarterly meeting --------------------------------------------------


class LeadershipMeeting(models.Model):
    """The leading group's quarterly meeting: its pack (the quarter's summary, rankings, open
    problems, earlier decisions still open) and, once held, its minutes and decisions."""

    quarter = models.CharField(_("quarter"), max_length=7, unique=True)
    prepared_at = models.DateTimeField(_("pack prepared"))
    pack = models.JSONField(_("meeting pack"), default=dict)
    docx = models.FileField(_("pack (.docx)"), upload_to="meetings/", blank=True)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("leading group meeting")
        verbose_name_plural = _("leading group meetings")
        ordering = ["-quarter"]

    def __str__(self):
        return self.quarter


class MeetingDecision(models.Model):
    """A decision of a quarterly meeting, with its owner and deadline, followed up in the
    next packs until it is done."""

    meeting = models.ForeignKey(
        LeadershipMeeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    text = models.TextField(_("decision"))
    owner = models.CharField(_("responsible"), max_length=100)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    follow_up = models.TextField(_("follow-up"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")
        ordering = ["meeting_id", "pk"]

    def __str__(self):
        return self.text[:50]
