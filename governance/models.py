"""Governance after renovation (后半篇文章): the property companies' credit file (诚信档案),
their points assessment (积分考核) graded against editable thresholds, and the negative list
(负面清单) of behaviours with their deductions.

A firm's score for a year is a documented base plus the points of its good records minus the
points of its bad ones, dated in that year (``governance.scoring``); its grade is the highest
whose minimum the score reaches.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from residents.models import PropertyCompany

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
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
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
        sign = "+" if self.kind == self.Kind.GOOD else "−"
        return f"{self.company} {self.date} {sign}{self.points.normalize():f}"


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
    kind = models.CharField(_("decision"), max_length=10, choices=Kind.choices)
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
