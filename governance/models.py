"""Governance after renovation (后半篇文章): the property companies' credit file (诚信档案),
their points assessment (积分考核) graded against editable thresholds, and the negative list
(负面清单) of behaviours with their deductions.

A firm's score for a year is a documented base plus the points of its good records minus the
points of its bad ones, dated in that year (``governance.scoring``); its grade is the highest
whose minimum the score reaches.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from residents.models import PropertyCompany
from residents.scoping import NeighbourhoodScopedQuerySet
from residents.validators import validate_phone

POINTS = {"max_digits": 6, "decimal_places": 1, "validators": [MinValueValidator(Decimal("0"))]}


class Grade(models.Model):
    """A grade of the points assessment and the lowest score that earns it (AAA ≥ 85, AA ≥ 80,
    A ≥ 70, B ≥ 60, C below), editable by the county office."""

    name = models.CharField(_("grade"), max_length=10, unique=True)
    minimum = models.DecimalField(_("lowest score"), **POINTS)
    below_standard = models.BooleanField(
        _("below standard"),
        default=False,
        help_text=_("A firm of this grade is below standard (不达标): it may be made to exit."),
    )

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["-minimum"]
        constraints = [
            models.UniqueConstraint(
                fields=["minimum"],
                name="governance_grade_unique_minimum",
                violation_error_message=_("Another grade starts at this score."),
            )
        ]

    def __str__(self):
        return f"{self.name} (≥ {self.minimum.normalize():f})"


class NegativeItem(models.Model):
    """A behaviour of the negative list (负面清单) and the points it costs."""

    behaviour = models.CharField(_("behaviour"), max_length=200, unique=True)
    deduction = models.DecimalField(_("points deducted"), **POINTS)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("negative-list behaviour")
        verbose_name_plural = _("negative list")
        ordering = ["-deduction", "behaviour"]

    def __str__(self):
        return f"{self.behaviour} (−{self.deduction.normalize():f})"


class CreditRecord(models.Model):
    """A good or bad record of a firm's credit file (诚信档案), with its source and points."""

    class Kind(models.TextChoices):
        GOOD = "good", _("Good record")
        BAD = "bad", _("Bad record")

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("Inspection")
        EVALUATION = "evaluation", _("Residents' evaluation")
        COMPLAINT = "complaint", _("Complaint")
        AWARD = "award", _("Award")
        OTHER = "other", _("Other")

    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("property company"),
        on_delete=models.CASCADE,
        related_name="credit_records",
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("record"), max_length=4, choices=Kind.choices)
    source = models.CharField(
        pgettext_lazy("credit record", "source"), max_length=12, choices=Source.choices
    )
    points = models.DecimalField(_("points"), **POINTS)
    negative_item = models.ForeignKey(
        NegativeItem,
        verbose_name=_("negative-list behaviour"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.TextField(_("description"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit file")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(negative_item__isnull=True) | Q(kind="bad"),
                name="governance_creditrecord_negative_item_is_bad",
                violation_error_message=_("A negative-list behaviour is a bad record."),
            )
        ]
        indexes = [models.Index(fields=["company", "date"])]

    def __str__(self):
        return f"{self.company} {self.date} {self.signed_points}"

    @property
    def signed_points(self) -> str:
        """The points with their sign: "+3" for a good record, "−5" for a bad one."""
        sign = "+" if self.kind == self.Kind.GOOD else "−"
        return f"{sign}{self.points.normalize():f}"


class Assessment(models.Model):
    """A firm's points assessment for a year, as computed: kept so that a grade stays what it
    was when it was published, whatever records come later."""

    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("property company"),
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    base = models.DecimalField(_("base"), max_digits=6, decimal_places=1)
    good = models.DecimalField(_("good records"), max_digits=7, decimal_places=1)
    bad = models.DecimalField(_("bad records"), max_digits=7, decimal_places=1)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=1)
    grade = models.CharField(_("grade"), max_length=10)
    below_standard = models.BooleanField(_("below standard"), default=False)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("points assessment")
        verbose_name_plural = _("points assessments")
        ordering = ["-year", "-score", "company__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "year"], name="governance_assessment_one_per_company_and_year"
            )
        ]

    def __str__(self):
        return f"{self.company} {self.year}: {self.score} {self.grade}"


class CompanyDecision(models.Model):
    """A decision on a firm: blacklisted (黑名单), or made to exit (不达标退出). The
    neighbourhoods it serves must then find a new firm (``needing_new_firm``)."""

    class Kind(models.TextChoices):
        BLACKLIST = "blacklist", _("Blacklisted")
        EXIT = "exit", _("Made to exit (below standard)")

    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("property company"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    kind = models.CharField(pgettext_lazy("firm", "decision"), max_length=10, choices=Kind.choices)
    decided_on = models.DateField(_("decided on"))
    reason = models.TextField(_("reason"))
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("points assessment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The assessment that found the firm below standard, for an exit."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("decision on a firm")
        verbose_name_plural = _("blacklist and exits")
        ordering = ["-decided_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind"],
                name="governance_companydecision_once_per_kind",
                violation_error_message=_("This decision has already been taken on this firm."),
            )
        ]

    def __str__(self):
        return f"{self.company} · {self.get_kind_display()}"


def needing_new_firm():
    """The neighbourhoods whose firm was blacklisted or made to exit: they must find a new
    one."""
    from residents.models import Neighbourhood

    return Neighbourhood.objects.filter(property_company__decisions__isnull=False).distinct()


class Rating(models.TextChoices):
    """The answers of the residents' evaluation of property service (as in the national
    satisfaction survey)."""

    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


#: The answers counted as satisfied.
SATISFIED_RATINGS = (Rating.SATISFIED, Rating.BASICALLY_SATISFIED)


class EvaluationRound(models.Model):
    """A quarter's evaluation of a firm's service by the households it serves (物业服务
    满意度测评), answered through the households' links: one round per firm and quarter, one
    answer per household per round. Opening it counts the households of the firm's
    neighbourhoods (what the turnout is counted of); closing it freezes the results and
    writes them into the firm's credit file as points (``governance.evaluation``)."""

    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("property company"),
        on_delete=models.CASCADE,
        related_name="evaluation_rounds",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), choices=[(1, _("Q1")), (2, _("Q2")), (3, _("Q3")), (4, _("Q4"))]
    )
    closes_on = models.DateField(
        _("answers until"), help_text=_("The last day households may answer.")
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    households = models.PositiveIntegerField(
        _("households served"),
        editable=False,
        help_text=_("The households of the firm's neighbourhoods when the round opened."),
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
    credit_record = models.OneToOneField(
        CreditRecord,
        verbose_name=_("credit record"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="evaluation_round",
    )

    class Meta:
        verbose_name = _("residents' evaluation round")
        verbose_name_plural = _("residents' evaluations")
        ordering = ["-year", "-quarter", "company__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "year", "quarter"],
                name="governance_evaluationround_once_per_quarter",
                violation_error_message=_("This firm is already evaluated for this quarter."),
            ),
            models.CheckConstraint(
                condition=Q(quarter__range=(1, 4)), name="governance_evaluationround_quarter"
            ),
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(closed_at__isnull=True),
                name="governance_evaluationround_one_open_per_company",
                violation_error_message=_("This firm already has a round open: close it first."),
            ),
        ]

    def __str__(self):
        return f"{self.company} · {self.period}"

    @property
    def period(self) -> str:
        return _("%(year)d Q%(quarter)d") % {"year": self.year, "quarter": self.quarter}

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class EvaluationAnswer(models.Model):
    """A household's answer in an evaluation round: one per household per round, changed in
    place while the round is open (the last answer counts). Shown to no one but as totals."""

    evaluation = models.ForeignKey(
        EvaluationRound,
        verbose_name=_("residents' evaluation round"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    household = models.ForeignKey(
        "residents.Household",
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    overall = models.CharField(_("overall"), max_length=20, choices=Rating.choices)
    cleaning = models.CharField(_("cleaning"), max_length=20, choices=Rating.choices, blank=True)
    security = models.CharField(
        _("order and security"), max_length=20, choices=Rating.choices, blank=True
    )
    repairs = models.CharField(_("repairs"), max_length=20, choices=Rating.choices, blank=True)
    greenery = models.CharField(
        _("greenery and facilities"), max_length=20, choices=Rating.choices, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), auto_now=True)

    class Meta:
        verbose_name = _("evaluation answer")
        verbose_name_plural = _("evaluation answers")
        ordering = ["evaluation_id", "household_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "household"],
                name="governance_evaluationanswer_one_per_household",
                violation_error_message=_("This household has already answered."),
            )
        ]

    def __str__(self):
        # No household: the link between a household and its answer is shown to no one.
        return f"{self.evaluation} · {self.pk}"


# --- One file per firm (一企一档) --------------------------------------------------------------


class ServiceContract(models.Model):
    """A firm's contract to serve a neighbourhood (物业服务合同)."""

    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("property company"),
        on_delete=models.CASCADE,
        related_name="contracts",
    )
    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        verbose_name=_("neighbourhood"),
        on_delete=models.CASCADE,
        related_name="service_contracts",
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    fee = models.DecimalField(
        _("service fee (yuan per m² per month)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["company_id", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")),
                name="governance_servicecontract_ends_after_start",
                violation_error_message=_("The contract must end after it starts."),
            )
        ]

    def __str__(self):
        return f"{self.company} · {self.neighbourhood} · {self.starts_on}–{self.ends_on}"


class CompanyStaff(models.Model):
    """Someone of a firm the county may call: its manager, a site manager, the service desk."""

    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("property company"),
        on_delete=models.CASCADE,
        related_name="staff",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    duty = models.CharField(_("duty"), max_length=50, help_text=_("For example 项目经理, 客服."))
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        verbose_name=_("neighbourhood"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Where this person works, if at one neighbourhood."),
    )

    class Meta:
        verbose_name = _("staff contact")
        verbose_name_plural = _("staff contacts")
        ordering = ["company_id", "duty", "name"]

    def __str__(self):
        # No name: this text is kept in the change history of the firm.
        return f"{self.company} · {self.duty}"


# --- Residents' self-governance (1+3+N) ----------------------------------------------------


class PartyMemberQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "neighbourhood"


class PartyMember(models.Model):
    """A party member who serves the neighbourhood (the "1" of 1+3+N): the secretary of its
    party branch, a member who has reported in to serve where they live, a volunteer."""

    class Role(models.TextChoices):
        SECRETARY = "secretary", _("Party branch secretary")
        REPORTED_IN = "reported_in", _("Member serving where they live (在职党员报到)")
        VOLUNTEER = "volunteer", _("Volunteer")

    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        verbose_name=_("neighbourhood"),
        on_delete=models.CASCADE,
        related_name="party_members",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    since = models.DateField(_("since"), null=True, blank=True)

    objects = PartyMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["neighbourhood_id", "role", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["neighbourhood"],
                condition=Q(role="secretary"),
                name="governance_partymember_one_secretary",
                violation_error_message=_("The neighbourhood already has a branch secretary."),
            )
        ]

    def __str__(self):
        # No name: this text is kept in the change history.
        return f"{self.neighbourhood} · {self.get_role_display()}"


class ResidentsMeetingQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "neighbourhood"


class ResidentsMeeting(models.Model):
    """The residents' convention and its four meetings (一约四会): the convention adopted or
    revised, and each deliberation, hearing, coordination and evaluation meeting held."""

    class Kind(models.TextChoices):
        CONVENTION = "convention", _("Residents' convention (居民公约)")
        DELIBERATION = "deliberation", _("Deliberation meeting (议事会)")
        HEARING = "hearing", _("Hearing (听证会)")
        COORDINATION = "coordination", _("Coordination meeting (协调会)")
        EVALUATION = "evaluation", _("Evaluation meeting (评议会)")

    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        verbose_name=_("neighbourhood"),
        on_delete=models.CASCADE,
        related_name="residents_meetings",
    )
    kind = models.CharField(_("meeting"), max_length=12, choices=Kind.choices)
    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=200)
    participants = models.TextField(
        pgettext_lazy("meeting", "participants"),
        help_text=_("Who took part: committee, residents, firm, community."),
    )
    attendance = models.PositiveIntegerField(
        _("people present"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    outcome = models.TextField(pgettext_lazy("meeting", "outcome"))

    objects = ResidentsMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("convention or meeting (一约四会)")
        verbose_name_plural = _("convention and four meetings")
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return f"{self.neighbourhood} · {self.get_kind_display()} · {self.held_on}"

    def clean(self):
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": _("A meeting is recorded once it has been held.")})


class BigPropertyArea(models.Model):
    """A "big property" area (大物业): scattered compounds that one firm manages together,
    usually the county's own, so that even the smallest gets a service."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    company = models.ForeignKey(
        PropertyCompany,
        verbose_name=_("property company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="big_property_areas",
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)

    class Meta:
        verbose_name = _("big property area (大物业)")
        verbose_name_plural = _("big property areas (大物业)")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AreaNeighbourhood(models.Model):
    """A neighbourhood of a big property area: in one area at most."""

    area = models.ForeignKey(
        BigPropertyArea,
        verbose_name=_("big property area (大物业)"),
        on_delete=models.CASCADE,
        related_name="members",
    )
    neighbourhood = models.OneToOneField(
        "residents.Neighbourhood",
        verbose_name=_("neighbourhood"),
        on_delete=models.CASCADE,
        related_name="big_property_area",
        error_messages={"unique": _("This neighbourhood is already in a big property area.")},
    )

    class Meta:
        verbose_name = _("neighbourhood of the area")
        verbose_name_plural = _("neighbourhoods of the area")
        ordering = ["area_id", "neighbourhood_id"]

    def __str__(self):
        return f"{self.area} · {self.neighbourhood}"
