"""Consultation (一访一议一公示), household links, and the residents' request ledger.

Residents decide what is renovated (要什么改什么, 缺什么补什么): every household is visited,
a residents' meeting discusses and adopts the plan, the plan is posted for a notice period
during which residents may object, and every objection is answered. Household links let a
household take part from its phone; requests from any channel are tracked to an answer.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from projects.models import CatalogueKind, Project, TaskItem
from projects.querysets import ProjectRecordQuerySet
from residents.models import BuildingHead, CommitteeMember, Household, Neighbourhood, VisitTeam
from residents.scoping import NeighbourhoodScopedQuerySet


def default_notice_days() -> int:
    return settings.ANJU_NOTICE_DAYS


def default_request_due() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=settings.ANJU_REQUEST_DUE_DAYS)


# --- One visit (一访) -----------------------------------------------------------------------


class VisitQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "household__building__neighbourhood"


class Visit(models.Model):
    """One visit to one household by a visit-team member: the outcome, the needs it named.

    A household counts as visited when a visit reached it, or after two failed attempts.
    """

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NOT_AT_HOME = "not_at_home", _("Not at home")
        REFUSED = "refused", _("Refused")

    #: Failed attempts after which a household counts as visited.
    FAILED_ATTEMPTS_THAT_COUNT = 2

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"), default=timezone.localdate)
    team = models.ForeignKey(
        VisitTeam,
        verbose_name=_("visit team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    needs = models.ManyToManyField(
        CatalogueKind, verbose_name=_("needs named"), blank=True, related_name="+"
    )
    needs_text = models.TextField(_("other needs and opinions"), blank=True)
    supports_renovation = models.BooleanField(_("supports renovation"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = VisitQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits (one visit)")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["household", "outcome"])]

    def __str__(self):
        return f"{self.household} · {self.get_outcome_display()}"


# --- One discussion (一议) ------------------------------------------------------------------


class Discussion(models.Model):
    """A residents' meeting on a project's plan; it counts once closed with minutes."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="discussions"
    )
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=200)
    attendee_count = models.PositiveIntegerField(_("attendees"), default=0)
    committee_members = models.ManyToManyField(
        CommitteeMember, verbose_name=_("owners' committee members present"), blank=True
    )
    building_heads = models.ManyToManyField(
        BuildingHead, verbose_name=_("building heads present"), blank=True
    )
    households = models.ManyToManyField(
        Household, verbose_name=_("household representatives present"), blank=True
    )
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    proposed_items = models.ManyToManyField(
        TaskItem, verbose_name=_("plan items put to the meeting"), blank=True, related_name="+"
    )
    adopted_items = models.ManyToManyField(
        TaskItem, verbose_name=_("plan items adopted"), blank=True, related_name="+"
    )
    votes_for = models.PositiveIntegerField(_("votes for"), default=0)
    votes_against = models.PositiveIntegerField(_("votes against"), default=0)
    votes_abstaining = models.PositiveIntegerField(_("abstentions"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = ProjectRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("discussion")
        verbose_name_plural = _("discussions (one discussion)")
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return _("Residents' meeting of %(date)s") % {"date": self.held_on}

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


# --- One public notice (一公示) -------------------------------------------------------------


class PublicNotice(models.Model):
    """The plan posted for residents: content, budget and schedule, on the public page and
    on site, for a notice period during which residents may object.

    Open from ``posted_on`` for ``period_days`` days of the county calendar: with 7 days, a
    notice posted on 1 March is open through 7 March and may pass on 8 March.
    """

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="notices"
    )
    content = models.TextField(_("renovation content"))
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    schedule = models.TextField(pgettext_lazy("plan", "schedule"))
    posted_on = models.DateField(_("posted on"))
    period_days = models.PositiveSmallIntegerField(
        _("notice period (days)"), default=default_notice_days
    )
    site_photo = models.ImageField(
        _("photo of the posted sheet"), upload_to="notices/%Y/%m/", blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ProjectRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices (one public notice)")
        ordering = ["-posted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_days__gte=1, period_days__lte=90),
                name="surveys_publicnotice_period_range",
                violation_error_message=_("A notice period lasts from 1 to 90 days."),
            )
        ]

    def __str__(self):
        return _("Notice of %(date)s") % {"date": self.posted_on}

    @property
    def last_day(self) -> datetime.date:
        """The last day residents may object."""
        return self.posted_on + datetime.timedelta(days=self.period_days - 1)

    def is_open(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.posted_on <= today <= self.last_day

    def period_ended(self, today: datetime.date | None = None) -> bool:
        return (today or timezone.localdate()) > self.last_day


class ObjectionQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "notice__project__neighbourhood"

    def unanswered(self):
        return self.filter(answered_at__isnull=True)


class Objection(models.Model):
    """An objection to a posted plan, from a household link or recorded from paper; every
    objection needs a written answer."""

    class Channel(models.TextChoices):
        LINK = "link", _("Household link")
        PAPER = "paper", _("On paper")

    notice = models.ForeignKey(
        PublicNotice,
        verbose_name=_("public notice"),
        on_delete=models.CASCADE,
        related_name="objections",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objections",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    text = models.TextField(_("objection"))
    submitted_on = models.DateField(_("submitted on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    objects = ObjectionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at"]

    def __str__(self):
        return _("Objection to %(notice)s") % {"notice": self.notice}


# --- The residents' request ledger (民情三本账) ----------------------------------------------


class ResidentRequestQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "neighbourhood"

    def open(self):
        return self.filter(status=ResidentRequest.Status.RECEIVED)

    def in_handling(self):
        return self.filter(status=ResidentRequest.Status.HANDLING)

    def closed(self):
        return self.filter(
            status__in=[ResidentRequest.Status.ANSWERED, ResidentRequest.Status.CLOSED]
        )

    def overdue(self, today: datetime.date | None = None):
        today = today or timezone.localdate()
        return self.filter(
            status__in=[ResidentRequest.Status.RECEIVED, ResidentRequest.Status.HANDLING],
            due_on__lt=today,
        )


class ResidentRequest(models.Model):
    """An opinion, suggestion or complaint from any channel, tracked to an answer."""

    class Channel(models.TextChoices):
        LINK = "link", _("Household link")
        BOX = "box", _("Suggestion box")
        HOTLINE = "hotline", _("Supervision hotline")
        BOOK = "book", _("Opinion book")

    class Category(models.TextChoices):
        OPINION = "opinion", _("Opinion")
        SUGGESTION = "suggestion", _("Suggestion")
        COMPLAINT = "complaint", _("Complaint")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        HANDLING = "handling", _("In handling")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    category = models.CharField(
        pgettext_lazy("request", "category"),
        max_length=12,
        choices=Category.choices,
        default=Category.OPINION,
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood,
        verbose_name=_("neighbourhood"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        help_text=_("Empty for anonymous entries of the suggestion box."),
    )
    needs = models.ManyToManyField(
        CatalogueKind, verbose_name=_("needs named"), blank=True, related_name="+"
    )
    text = models.TextField(_("text"))
    photo = models.ImageField(_("photo"), upload_to="requests/%Y/%m/", blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    due_on = models.DateField(_("due"), default=default_request_due)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = ResidentRequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("resident request")
        verbose_name_plural = _("resident requests")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self):
        return _("%(category)s of %(date)s") % {
            "category": self.get_category_display(),
            "date": timezone.localdate(self.received_at),
        }

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status in (self.Status.RECEIVED, self.Status.HANDLING) and self.due_on < today


# --- Household links --------------------------------------------------------------------------


class HouseholdLinkQuerySet(NeighbourhoodScopedQuerySet):
    scope_path = "household__building__neighbourhood"

    def active(self):
        return self.filter(revoked_at__isnull=True)


class HouseholdLink(models.Model):
    """A household's secret link (``/h/<token>/``). Only a SHA-256 hash of the token is
    stored, so a copy of the database yields no working link; a new link is issued whenever
    cards are printed, which revokes the one before."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="links"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = HouseholdLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("household link")
        verbose_name_plural = _("household links")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(revoked_at__isnull=True),
                name="surveys_householdlink_one_active_per_household",
                violation_error_message=_("The household already has a link in use."),
            )
        ]

    def __str__(self):
        return str(self.household)
