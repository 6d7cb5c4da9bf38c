"""Acceptance (竣工验收): the completion check, the satisfaction survey and the verdict.

A completed project is accepted only when the work passed and the residents say so (rule 2 of
DESIGN.md). The work is checked in rounds (``AcceptanceCheck``): each round goes through the
county's checklist (``ChecklistTemplateItem`` → ``CheckItem``) with its participants; a failed
round leads to rectification and a new round. The residents answer a satisfaction survey, also
in rounds (``SurveyRound``).

Who answered is kept apart from what was answered: a round's roll (``Respondent``) lists the
households registered when it opened and whether, when and how each answered; the answers
(``SatisfactionAnswer``) hold what was said. Staff see the roll and the totals, never a
household's answer; only the auditor's permission (``acceptance.view_satisfactionanswer``)
reads an answer beside its household. Answers carry no change history on purpose: a history
would keep every earlier answer of a household, and only the last one counts.

When a project is accepted, ``AcceptanceDecision`` keeps the numbers of that moment for good.
Every write goes through ``acceptance/services.py``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from projects.models import Project
from projects.querysets import ProjectRecordQuerySet
from residents.models import Household
from residents.scoping import NeighbourhoodScopedQuerySet


class ChecklistTemplateItem(models.Model):
    """One line of the county's acceptance checklist (竣工验收清单), copied into every new
    completion check; editing it changes checks started afterwards, never earlier ones."""

    class Category(models.TextChoices):
        QUALITY = "quality", _("Quality of the work")
        SAFETY = "safety", _("Safety and fire protection")
        FACILITIES = "facilities", _("Facilities and utilities")
        ENVIRONMENT = "environment", _("Environment and greening")
        RECORDS = "records", _("Records and documents")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(pgettext_lazy("checklist", "item"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    standard = models.TextField(_("what is checked"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("Only items in use are copied into new checks.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("checklist template item")
        verbose_name_plural = _("acceptance checklist template")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.title


class Result(models.TextChoices):
    """The result of a completion check, or of one of its items."""

    PENDING = "pending", _("To be checked")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class AcceptanceCheck(models.Model):
    """One round of the technical completion check of a project: its date, its checklist and
    who took part. Concluded, it passed (every item passed) or failed (rectify, then check
    again in a new round); rounds are numbered and all kept."""

    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="acceptance_checks",
    )
    number = models.PositiveSmallIntegerField(_("round"), editable=False)
    date = models.DateField(_("date of the check"))
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.PENDING, editable=False
    )
    notes = models.TextField(_("notes"), blank=True)
    rectification = models.TextField(
        _("rectification required"),
        blank=True,
        help_text=_("When the check fails: what must be put right before the next check."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    concluded_at = models.DateTimeField(_("concluded"), null=True, editable=False)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("concluded by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )

    objects = ProjectRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("completion check")
        verbose_name_plural = _("completion checks")
        ordering = ["project_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="acceptance_check_unique_round"
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(result="pending"),
                name="acceptance_check_one_open_per_project",
                violation_error_message=_("The project already has a check in progress."),
            ),
        ]

    def __str__(self):
        return _("%(project)s, completion check %(number)s") % {
            "project": self.project,
            "number": self.number,
        }

    @property
    def is_concluded(self) -> bool:
        return self.result != Result.PENDING


class CheckItemQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "acceptance_check__project__neighbourhood"


class CheckItem(models.Model):
    """One line of a completion check: what was checked, the result, notes and a document
    (a report, a test certificate, photos in a PDF)."""

    acceptance_check = models.ForeignKey(
        AcceptanceCheck,
        verbose_name=_("completion check"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    template_item = models.ForeignKey(
        ChecklistTemplateItem,
        verbose_name=_("template item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    title = models.CharField(pgettext_lazy("checklist", "item"), max_length=200)
    category = models.CharField(
        _("category"), max_length=20, choices=ChecklistTemplateItem.Category.choices
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    notes = models.TextField(_("notes"), blank=True)
    document = models.FileField(_("document"), upload_to="acceptance/%Y/%m/", blank=True)

    objects = CheckItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist")
        ordering = ["acceptance_check_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["acceptance_check", "title"],
                name="acceptance_checkitem_unique_title",
                violation_error_message=_("This item is already on the checklist."),
            )
        ]

    def __str__(self):
        return self.title


class Participant(models.Model):
    """Someone who took part in a completion check, and for whom."""

    class Role(models.TextChoices):
        COMMUNITY = "community", _("Community")
        OWNERS_COMMITTEE = "owners_committee", _("Owners' committee member")
        BUILDING_HEAD = "building_head", _("Building head")
        CONTRACTOR = "contractor", _("Contractor")
        SUPERVISOR = "supervisor", _("Supervisor")
        COUNTY_OFFICE = "county_office", _("County office")
        DESIGNER = "designer", _("Designer")
        RESIDENT = "resident", _("Residents' representative")

    acceptance_check = models.ForeignKey(
        AcceptanceCheck,
        verbose_name=_("completion check"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    role = models.CharField(_("taking part as"), max_length=20, choices=Role.choices)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)

    objects = CheckItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["acceptance_check_id", "role", "pk"]

    def __str__(self):
        return f"{self.get_role_display()}：{self.name}"


class Satisfaction(models.TextChoices):
    """The answers of the national satisfaction survey, for the overall question and each of
    its three dimensions."""

    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class SurveyRound(models.Model):
    """One round of a project's satisfaction survey. Opening it puts every household then
    registered on its roll (that number is what two thirds are counted of); closing it
    freezes its results, and a closed round takes no answers."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="survey_rounds"
    )
    number = models.PositiveSmallIntegerField(_("round"), editable=False)
    opened_at = models.DateTimeField(_("opened"), editable=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    households = models.PositiveIntegerField(
        _("households registered"),
        editable=False,
        help_text=_("The households of the neighbourhood when the round opened."),
    )
    basically_satisfied_counts = models.BooleanField(
        _("“basically satisfied” counts as satisfied"), default=True, editable=False
    )
    closed_at = models.DateTimeField(
        pgettext_lazy("survey round", "closed"), null=True, editable=False
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("survey round", "closed by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    # Frozen when the round closes.
    answered = models.PositiveIntegerField(_("households answered"), null=True, editable=False)
    satisfied = models.PositiveIntegerField(_("satisfied answers"), null=True, editable=False)
    passed = models.BooleanField(_("thresholds met"), null=True, editable=False)

    objects = ProjectRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("satisfaction survey round")
        verbose_name_plural = _("satisfaction survey rounds")
        permissions = [
            ("enter_answers", _("Can enter answers collected on paper or door to door")),
        ]
        ordering = ["project_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="acceptance_surveyround_unique_round"
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(closed_at__isnull=True),
                name="acceptance_surveyround_one_open_per_project",
                violation_error_message=_("The project already has a survey round open."),
            ),
        ]

    def __str__(self):
        return _("%(project)s, satisfaction survey %(number)s") % {
            "project": self.project,
            "number": self.number,
        }

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def satisfied_levels(self) -> tuple[str, ...]:
        """The answers counted as satisfied in this round."""
        if self.basically_satisfied_counts:
            return (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)
        return (Satisfaction.SATISFIED,)


class RespondentQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "household__building__neighbourhood"

    def answered(self):
        return self.filter(answered_at__isnull=False)

    def not_answered(self):
        return self.filter(answered_at__isnull=True)


class Respondent(models.Model):
    """A household on a survey round's roll: whether it answered, when, and how (its link, a
    paper form, a door-to-door visit, with who entered it), never what it answered."""

    class Channel(models.TextChoices):
        LINK = "link", _("Household link")
        PAPER = "paper", _("Paper form")
        DOOR_TO_DOOR = "door_to_door", _("Door-to-door")

    survey_round = models.ForeignKey(
        SurveyRound, verbose_name=_("survey round"), on_delete=models.CASCADE, related_name="roll"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, editable=False)
    channel = models.CharField(
        _("channel"), max_length=12, choices=Channel.choices, blank=True, editable=False
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )

    objects = RespondentQuerySet.as_manager()

    class Meta:
        verbose_name = _("household on the roll")
        verbose_name_plural = _("households on the roll")
        ordering = ["survey_round_id", "household_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey_round", "household"],
                name="acceptance_respondent_one_per_household",
                violation_error_message=_("The household is already on this round's roll."),
            )
        ]

    def __str__(self):
        return str(self.household)


class SatisfactionAnswerQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "respondent__household__building__neighbourhood"


class SatisfactionAnswer(models.Model):
    """What a household answered in a survey round: overall satisfaction, the three dimensions
    of the national survey, a comment. One per household per round (the one-to-one with the
    roll); changed in place while the round is open, so the last answer is the one that
    counts."""

    respondent = models.OneToOneField(
        Respondent, verbose_name=_("household"), on_delete=models.CASCADE, related_name="answer"
    )
    survey_round = models.ForeignKey(
        SurveyRound,
        verbose_name=_("survey round"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    overall = models.CharField(
        _("overall satisfaction"), max_length=20, choices=Satisfaction.choices
    )
    content = models.CharField(
        _("renovation content"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    process = models.CharField(
        _("process management"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    long_term = models.CharField(
        _("long-term management"), max_length=20, choices=Satisfaction.choices, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)

    objects = SatisfactionAnswerQuerySet.as_manager()

    class Meta:
        verbose_name = _("satisfaction answer")
        verbose_name_plural = _("satisfaction answers")
        ordering = ["survey_round_id", "respondent_id"]

    def __str__(self):
        return str(self.respondent)


class AcceptanceDecision(models.Model):
    """The verdict of a project's acceptance, with the numbers of the moment it was decided:
    shown ever after, whatever happens to the registers and the answers later."""

    project = models.OneToOneField(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="acceptance_decision",
    )
    decided_at = models.DateTimeField(_("decided"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    acceptance_check = models.ForeignKey(
        AcceptanceCheck,
        verbose_name=_("completion check"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    survey_round = models.ForeignKey(
        SurveyRound, verbose_name=_("survey round"), on_delete=models.PROTECT, related_name="+"
    )
    check_date = models.DateField(_("date of the check"))
    checklist_items = models.PositiveSmallIntegerField(_("checklist items passed"))
    households = models.PositiveIntegerField(_("households registered"))
    answered = models.PositiveIntegerField(_("households answered"))
    satisfied = models.PositiveIntegerField(_("satisfied answers"))
    basically_satisfied_counts = models.BooleanField(_("“basically satisfied” counts as satisfied"))

    objects = ProjectRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("acceptance decision")
        verbose_name_plural = _("acceptance decisions")
        ordering = ["-decided_at"]
        constraints = [
            # Rule 2 of DESIGN.md as the database's last word, in exact integers: a decision
            # has households, two thirds of them answering, nine in ten answers satisfied.
            models.CheckConstraint(
                condition=Q(households__gt=0)
                & Q(answered__lte=F("households"))
                & Q(satisfied__lte=F("answered"))
                & Q(GreaterThanOrEqual(F("answered") * 3, F("households") * 2))
                & Q(GreaterThanOrEqual(F("satisfied") * 10, F("answered") * 9)),
                name="acceptance_decision_meets_the_gate",
            ),
        ]

    def __str__(self):
        return str(self.project)
