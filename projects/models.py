"""Projects: what is renovated in each neighbourhood, when, with whose money, shown to whom.

The catalogue lists the county's kinds of renovation work. A project renovates one
neighbourhood (optionally with merged compounds) in a yearly batch; it moves through its
lifecycle only by the transition functions of ``projects/services.py``, which keep a
``ProjectTransition`` for each step. Task items, milestones, funding lines, disclosures and
photos belong to a project, and every change to them is kept by django-simple-history.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from residents.models import Neighbourhood
from residents.scoping import NeighbourhoodScopedQuerySet

from .querysets import FundingLineQuerySet, ProjectRecordQuerySet, TaskItemQuerySet

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 2}


class CatalogueKind(models.Model):
    """A kind of renovation work in the county's catalogue (任务清单), e.g. eco parking spaces.

    Grouped by 三治四改一提升 and by the national classes; ``priority`` orders the catalogue by
    两先两后: livelihood and safety first, urgent first (1 comes first).
    """

    class Unit(models.TextChoices):
        PARKING_SPACE = "parking_space", _("parking space")
        SHED = "shed", _("shed")
        SET = "set", _("set")
        CHARGING_PILE = "charging_pile", _("charging pile")
        SQUARE_METRE = "square_metre", _("m²")
        ELEVATOR = "elevator", pgettext_lazy("unit of measure", "elevator")
        STRUCTURE = "structure", _("structure")
        ITEM = "item", _("item")
        METRE = "metre", _("metre")

    class Group(models.TextChoices):
        GOVERNANCE = "governance", _("Clearing up disorder")
        BUILDINGS = "buildings", _("Renovating building appearance")
        INFRASTRUCTURE = "infrastructure", _("Renovating infrastructure")
        SECURITY = "security", _("Renovating security systems")
        SPACE = "space", _("Renovating shared space")
        QUALITY = "quality", _("Raising neighbourhood quality")

    class NationalClass(models.TextChoices):
        BASIC = "basic", _("Basic")
        IMPROVEMENT = "improvement", _("Improvement")
        UPGRADING = "upgrading", _("Upgrading")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=100)
    unit = models.CharField(_("unit of measure"), max_length=20, choices=Unit.choices)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    national_class = models.CharField(
        _("national class"), max_length=12, choices=NationalClass.choices
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=50, help_text=_("1 comes first: livelihood and safety, urgent.")
    )
    livelihood_and_safety = models.BooleanField(_("livelihood and safety"), default=False)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("catalogue kind")
        verbose_name_plural = _("task catalogue")
        ordering = ["priority", "code"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language."""
        language = translation.get_language() or settings.LANGUAGE_CODE
        return self.name_zh if language.startswith("zh") else self.name_en


class PhaseDuration(models.Model):
    """The standard length of a phase, from which milestones are planned backwards from a
    project's deadline (工期倒排)."""

    class Phase(models.TextChoices):
        CONSULTATION = "consultation", pgettext_lazy("phase", "Consultation")
        APPROVAL = "approval", pgettext_lazy("phase", "Approval")
        TENDERING = "tendering", pgettext_lazy("phase", "Tendering")
        CONSTRUCTION = "construction", _("Construction")
        ACCEPTANCE = "acceptance", _("Acceptance")

    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("days"))

    class Meta:
        verbose_name = _("phase duration")
        verbose_name_plural = _("phase durations")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=1000),
                name="projects_phaseduration_days_range",
                violation_error_message=_("A phase lasts from 1 to 1000 days."),
            )
        ]

    def __str__(self):
        return f"{self.get_phase_display()}: {self.days}"


class ProjectQuerySet(NeighbourhoodScopedQuerySet):
    """Named reads of projects. A project's status is written only by the transitions of
    ``projects/services.py``: the bulk writes of a queryset refuse to touch it."""

    scope_path = "neighbourhood"

    def update(self, **kwargs):
        if "status" in kwargs:
            raise ProjectStatusLocked
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        if "status" in fields:
            raise ProjectStatusLocked
        return super().bulk_update(objs, fields, *args, **kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        # A project is born a draft; ``update_conflicts`` must not rewrite an existing status.
        objs = list(objs)
        if "status" in (kwargs.get("update_fields") or ()) or any(
            obj.status != Project.Status.DRAFT for obj in objs
        ):
            raise ProjectStatusLocked
        return super().bulk_create(objs, *args, **kwargs)

    def active(self):
        """Projects under way: approved and not yet accepted."""
        return self.filter(status__in=Project.ACTIVE_STATUSES)

    @staticmethod
    def _late_milestone(today):
        """A milestone of the outer project planned before ``today`` that has not happened."""
        return models.Exists(
            Milestone.objects.filter(
                project=models.OuterRef("pk"), planned_date__lt=today, actual_date__isnull=True
            )
        )

    def behind_schedule(self, today=None):
        """Projects not yet accepted with a milestone whose planned date has passed and that
        has not happened (dates of the county's calendar, Asia/Shanghai).

        A milestone planned for ``today`` is not late yet; it is late from the next day on.
        """
        today = today or timezone.localdate()
        return self.exclude(status__in=Project.FINISHED_STATUSES).filter(
            self._late_milestone(today)
        )

    def with_schedule_flag(self, today=None):
        """Each project with ``is_behind_schedule``, the test of ``behind_schedule()``, computed
        in the same query (for lists that show the flag on every row)."""
        today = today or timezone.localdate()
        return self.annotate(
            is_behind_schedule=models.ExpressionWrapper(
                Q(self._late_milestone(today)) & ~Q(status__in=Project.FINISHED_STATUSES),
                output_field=models.BooleanField(),
            )
        )


class ProjectStatusLocked(Exception):
    """A project's status changes only through the transition functions of services.py."""

    def __str__(self):
        return "A project's status changes only through projects.services transitions."


class Project(models.Model):
    """One renovation project for one neighbourhood (or a merged yard) in a yearly batch."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONSULTING = "consulting", _("Consulting residents")
        APPROVED = "approved", _("Approved")
        TENDERING = "tendering", _("Tendering")
        UNDER_CONSTRUCTION = "under_construction", _("Under construction")
        COMPLETED = "completed", _("Completed, awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted")
        HANDED_OVER = "handed_over", _("Handed over")

    ACTIVE_STATUSES = (
        Status.APPROVED,
        Status.TENDERING,
        Status.UNDER_CONSTRUCTION,
        Status.COMPLETED,
    )
    FINISHED_STATUSES = (Status.ACCEPTED, Status.HANDED_OVER)

    neighbourhood = models.ForeignKey(
        Neighbourhood,
        verbose_name=_("neighbourhood"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    merged_neighbourhoods = models.ManyToManyField(
        Neighbourhood,
        verbose_name=_("merged compounds"),
        blank=True,
        related_name="merged_projects",
        help_text=_("Other compounds renovated together with it (拆墙并院)."),
    )
    name = models.CharField(_("name"), max_length=200)
    batch_year = models.PositiveSmallIntegerField(_("batch (year)"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, editable=False)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible staff"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_projects",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["status_changed_at"])

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-batch_year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["neighbourhood", "batch_year"],
                name="projects_project_one_per_neighbourhood_and_batch",
                violation_error_message=_(
                    "This neighbourhood already has a project in this batch."
                ),
            ),
            models.CheckConstraint(
                condition=Q(batch_year__range=(2000, 2100)),
                name="projects_project_batch_year_range",
                violation_error_message=_("The batch year must be between 2000 and 2100."),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Save, refusing a change of status outside a transition of ``projects.services``.

        Outside a transition the status is never written from memory: a row that exists has
        its stored status read under a row lock and kept, so saving a copy loaded before a
        concurrent transition (an admin form, a stale shell object) cannot undo it.
        """
        if getattr(self, "_transition_in_progress", False):
            super().save(*args, **kwargs)
            self._stored_status = self.status
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            refused = self._keep_stored_status(using)
            if not refused:
                super().save(*args, **kwargs)
        if refused:
            raise ProjectStatusLocked
        self._stored_status = self.status

    def _keep_stored_status(self, using) -> bool:
        """Take the stored status (and its time) into this instance; True if this instance
        asks for another status than the stored one."""
        known = getattr(self, "_stored_status", None)
        stored = None
        if self.pk is not None:
            stored = (
                type(self)
                ._base_manager.using(using)
                .select_for_update()
                .filter(pk=self.pk)
                .values_list("status", "status_changed_at")
                .first()
            )
        if stored is None:  # a new project is born a draft
            return self.status != self.Status.DRAFT
        if self.status != (known if known is not None else stored[0]):
            return True
        self.status, self.status_changed_at = stored
        return False

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if "status" in instance.__dict__:  # not deferred: reading it must not cost a query
            instance._stored_status = instance.status
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or "status" in fields:
            self._stored_status = self.status


class ProjectTransition(models.Model):
    """One step of a project's lifecycle: who moved it, when, from where to where, and why."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Project.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Project.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["project_id", "at"]
        constraints = [
            # The lifecycle only moves forward, so a project enters each status once: the
            # last guard against two clerks approving the same project at the same moment.
            models.UniqueConstraint(
                fields=["project", "to_status"],
                name="projects_projecttransition_once_per_status",
                violation_error_message=_("The project has already entered this status."),
            ),
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")),
                name="projects_projecttransition_changes_status",
                violation_error_message=_("A status change must change the status."),
            ),
        ]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class Milestone(models.Model):
    """A dated step of a project: planned (backwards from the deadline) and actual."""

    class Kind(models.TextChoices):
        CONSULTATION_START = "consultation_start", _("Consultation starts")
        APPROVAL = "approval", _("Approval")
        TENDERING_START = "tendering_start", _("Tendering starts")
        CONSTRUCTION_START = "construction_start", _("Construction starts")
        CONSTRUCTION_END = "construction_end", _("Construction ends")
        ACCEPTANCE = "acceptance", _("Acceptance")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    kind = models.CharField(_("milestone"), max_length=20, choices=Kind.choices)
    planned_date = models.DateField(_("planned"), null=True, blank=True)
    actual_date = models.DateField(_("actual"), null=True, blank=True)

    objects = ProjectRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project_id", "planned_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"],
                name="projects_milestone_one_of_each_kind",
                violation_error_message=_("The project already has this milestone."),
            )
        ]

    def __str__(self):
        return self.get_kind_display()


class TaskItem(models.Model):
    """An item of work from the catalogue in one project: planned and completed quantities."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="task_items"
    )
    kind = models.ForeignKey(
        CatalogueKind, verbose_name=_("kind of work"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    planned_quantity = models.DecimalField(_("planned quantity"), **QUANTITY, default=0)
    completed_quantity = models.DecimalField(_("completed quantity"), **QUANTITY, default=0)
    budget = models.DecimalField(_("budget (yuan)"), **MONEY, default=0)
    responsible = models.CharField(_("responsible person"), max_length=50, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.PLANNED,
        editable=False,
        help_text=_("Follows the quantities: done when the completed reaches the planned."),
    )

    objects = TaskItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("task item")
        verbose_name_plural = _("task items")
        ordering = ["project_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_quantity__gte=0, completed_quantity__gte=0, budget__gte=0),
                name="projects_taskitem_amounts_not_negative",
                violation_error_message=_("Quantities and budget cannot be negative."),
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.planned_quantity.normalize():f}"

    def save(self, *args, **kwargs):
        self.status = self.status_from_quantities()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "status"]
        super().save(*args, **kwargs)

    def status_from_quantities(self) -> str:
        if self.planned_quantity > 0 and self.completed_quantity >= self.planned_quantity:
            return self.Status.DONE
        if self.completed_quantity > 0:
            return self.Status.IN_PROGRESS
        return self.Status.PLANNED


class FundingLine(models.Model):
    """Money for a project from one source: planned, arrived and spent, in yuan."""

    class Source(models.TextChoices):
        CENTRAL = "central", _("Central subsidy")
        PROVINCIAL = "provincial", _("Provincial subsidy")
        COUNTY = "county", _("County budget")
        HIGHER_LEVEL = "higher_level", _("Higher-level funds")
        SOCIAL = "social", _("Social financing")
        RESIDENTS = "residents", _("Residents' own money")
        MAINTENANCE_FUND = "maintenance_fund", _("Housing maintenance fund")
        UTILITIES = "utilities", _("Utility companies")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="funding_lines"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    planned = models.DecimalField(_("planned (yuan)"), **MONEY, default=0)
    arrived = models.DecimalField(_("arrived (yuan)"), **MONEY, default=0)
    spent = models.DecimalField(_("spent (yuan)"), **MONEY, default=0)

    objects = FundingLineQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funds")
        ordering = ["project_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned__gte=0, arrived__gte=0, spent__gte=0),
                name="projects_fundingline_amounts_not_negative",
                violation_error_message=_("Amounts cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(spent__lte=models.F("arrived")),
                name="projects_fundingline_spent_within_arrived",
                violation_error_message=_("More cannot be spent than has arrived."),
            ),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.planned}"


class DisclosureQuerySet(ProjectRecordQuerySet):
    def public(self):
        """Documents marked public: the only ones the public pages show."""
        return self.filter(is_public=True)


class Disclosure(models.Model):
    """A document shown to the public (五项重点公开) once it is marked public."""

    class Category(models.TextChoices):
        HOUSEHOLD_RECORDS = "household_records", _("Household records")
        PROCEDURES = "procedures", _("Project procedures")
        TENDER = "tender", _("Tender documents")
        ENGINEERING = "engineering", _("Engineering materials")
        ACCEPTANCE = "acceptance", _("Acceptance checklist")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="disclosures"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="disclosures/%Y/%m/", blank=True)
    is_public = models.BooleanField(_("public"), default=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = DisclosureQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("public disclosure")
        verbose_name_plural = _("public disclosures")
        ordering = ["project_id", "category", "pk"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.is_public and not self.file:
            raise ValidationError(
                {
                    "file": ValidationError(
                        _("A public disclosure needs its document."), code="document_required"
                    )
                }
            )

    def record_publication(self, now=None) -> None:
        """Date the document's publication the first time it is public; the date is kept
        when it is withdrawn and published again. Called before saving a change of
        ``is_public`` (the admin's form does)."""
        if self.is_public and self.published_at is None:
            self.published_at = now or timezone.now()


class Photo(models.Model):
    """A photo of a project before, during or after the work, stored re-encoded without its
    metadata, with a thumbnail."""

    class Stage(models.TextChoices):
        BEFORE = "before", _("Before")
        DURING = "during", _("During")
        AFTER = "after", _("After")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="photos"
    )
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    image = models.ImageField(
        _("photo"), upload_to="photos/%Y/%m/", width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(_("thumbnail"), upload_to="photos/thumbs/%Y/%m/", editable=False)
    width = models.PositiveIntegerField(_("width"), default=0, editable=False)
    height = models.PositiveIntegerField(_("height"), default=0, editable=False)
    taken_on = models.DateField(_("taken on"), null=True, blank=True)
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Shown on the project's public page once checked: look at the caption."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ProjectRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["project_id", "stage", "pk"]

    def __str__(self):
        return self.caption or self.get_stage_display()
