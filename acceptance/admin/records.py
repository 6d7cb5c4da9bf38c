"""Admin of what the acceptance keeps on record: the answers (the auditor's alone) and the
decisions.

The answers beside their households are readable only with
``acceptance.view_satisfactionanswer``, which no role but the auditor holds (and superusers):
everyone else gets 403 and does not see them in the index. Nobody adds, changes or deletes an
answer here; answers come through ``acceptance.services.submit_answer``. The decisions are the
snapshots ``accept`` saved, read-only for everyone.
"""

from django.contrib import admin
from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.models import Project
from residents.admin import CommunityListFilter, ScopedModelAdmin

from .. import rules
from ..models import AcceptanceDecision, SatisfactionAnswer, SurveyRound
from .base import ROUND_PARAMETER, RoundStateFilter

#: The longest excerpt of a comment shown in a list.
EXCERPT_CHARS = 20
#: The most projects the answers' project filter lists; beyond, the project is found by search.
MAX_PROJECT_CHOICES = 200


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def local_time(value) -> str:
    """An aware datetime in the county's time, formatted for the reader's language."""
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


class AnswerCommunityFilter(CommunityListFilter):
    """The answers by the community of their round's project (a merged compound's household
    is found under the project's community, with the project's other answers)."""

    @staticmethod
    def community_path(queryset) -> str:
        return "survey_round__project__neighbourhood__community"


class AnswerRoundStateFilter(RoundStateFilter):
    title = _("state of the survey round")
    closed_path = "survey_round__closed_at"


class AnswerProjectFilter(admin.SimpleListFilter):
    """The answers of one project: the projects that had a survey, listed while they are few
    (beyond, the chosen one alone; a project is then found by search)."""

    title = _("project")
    parameter_name = "project"

    def lookups(self, request, model_admin):
        surveyed = (
            Project.objects.visible_to(request.user)
            .filter(pk__in=SurveyRound.objects.values("project_id"))
            .order_by("name", "pk")
        )
        choices = list(surveyed.values_list("pk", "name")[: MAX_PROJECT_CHOICES + 1])
        if len(choices) > MAX_PROJECT_CHOICES:
            value = str(self.value() or "")
            chosen = surveyed.filter(pk=value) if value.isdigit() else surveyed.none()
            choices = list(chosen.values_list("pk", "name"))
        return [(str(pk), name) for pk, name in choices]

    def queryset(self, request, queryset):
        value = str(self.value() or "")
        if value.isdigit():
            return queryset.filter(survey_round__project__pk=value)
        if value:  # a hand-edited URL: show nothing rather than fail
            return queryset.none()
        return queryset


class AnswerRoundFilter(admin.SimpleListFilter):
    """The answers of one survey round: offered once a project is chosen (its rounds), or
    when a round's page links here."""

    title = _("survey round")
    parameter_name = ROUND_PARAMETER

    def lookups(self, request, model_admin):
        project = str(request.GET.get(AnswerProjectFilter.parameter_name) or "")
        value = str(self.value() or "")
        if project.isdigit():
            rounds = SurveyRound.objects.filter(project_id=project)
        elif value.isdigit():
            rounds = SurveyRound.objects.filter(pk=value)
        else:
            return []
        rounds = rounds.visible_to(request.user).select_related("project").order_by("-number")
        return [
            (
                str(survey_round.pk),
                round_label(survey_round, with_project=not project.isdigit()),
            )
            for survey_round in rounds
        ]

    def queryset(self, request, queryset):
        value = str(self.value() or "")
        if value.isdigit():
            return queryset.filter(survey_round__pk=value)
        if value:
            return queryset.none()
        return queryset


def round_label(survey_round, *, with_project=True) -> str:
    """A round in few words: "幸福小区改造 · round 2", or "Round 2"."""
    if with_project:
        return _("%(project)s · round %(number)s") % {
            "project": survey_round.project.name,
            "number": survey_round.number,
        }
    return _("Round %(number)s") % {"number": survey_round.number}


@admin.register(SatisfactionAnswer)
class SatisfactionAnswerAdmin(ReadOnlyMixin, ScopedModelAdmin):
    """Each answer beside its household, for the auditor. The list keeps few, short columns so
    that the address reads on one line: the round by its number (the neighbourhood in the
    address names the project), the three dimensions in one column; who entered a paper
    answer is on the answer's page."""

    list_display = [
        "household_address",
        "round_short",
        "overall",
        "dimensions",
        "comment_excerpt",
        "channel",
        "answered_at",
    ]
    list_filter = [
        AnswerCommunityFilter,
        AnswerProjectFilter,
        AnswerRoundFilter,
        AnswerRoundStateFilter,
        "overall",
        "respondent__channel",
    ]
    list_select_related = [
        "respondent__household__building__neighbourhood",
        "survey_round__project",
    ]
    search_fields = [
        "survey_round__project__name",
        "respondent__household__building__neighbourhood__name",
        "respondent__household__building__number",
        "respondent__household__room",
    ]
    search_help_text = _("A project, a neighbourhood, a building number or a room.")
    fields = [
        "household_address",
        "survey_round",
        "overall",
        "content",
        "process",
        "long_term",
        "comment",
        "channel",
        "entered_by",
        "answered_at",
        "round_opened_at",
        "round_closed_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "respondent__household__building__neighbourhood",
                "respondent__entered_by",
                "survey_round__project",
            )
        )

    @admin.display(
        description=_("address"),
        ordering="respondent__household__building__neighbourhood__name",
    )
    def household_address(self, obj):
        return obj.respondent.household.address

    @admin.display(description=_("survey round"), ordering="survey_round__number")
    def round_short(self, obj):
        # The project is plain from the neighbourhood in the address, and in the filters.
        return round_label(obj.survey_round, with_project=False)

    @admin.display(description=_("content / process / long-term"))
    def dimensions(self, obj):
        return " · ".join(
            str(getattr(obj, f"get_{name}_display")() or "—")
            for name in ("content", "process", "long_term")
        )

    @admin.display(description=_("comment"))
    def comment_excerpt(self, obj):
        return Truncator(obj.comment).chars(EXCERPT_CHARS) or "—"

    @admin.display(description=_("channel"), ordering="respondent__channel")
    def channel(self, obj):
        return obj.respondent.get_channel_display()

    @admin.display(description=_("entered by"))
    def entered_by(self, obj):
        return obj.respondent.entered_by or "—"

    @admin.display(description=_("answered"), ordering="respondent__answered_at")
    def answered_at(self, obj):
        return local_time(obj.respondent.answered_at)

    @admin.display(description=_("round opened"))
    def round_opened_at(self, obj):
        return local_time(obj.survey_round.opened_at)

    @admin.display(description=_("round closed"))
    def round_closed_at(self, obj):
        if obj.survey_round.closed_at is None:
            return pgettext_lazy("survey round", "Open")
        return local_time(obj.survey_round.closed_at)


@admin.register(AcceptanceDecision)
class AcceptanceDecisionAdmin(ReadOnlyMixin, ScopedModelAdmin):
    """The numbers each acceptance was decided on, as they were at that moment."""

    list_display = [
        "project",
        "decided_at",
        "decided_by",
        "households",
        "answered",
        "turnout",
        "satisfied",
        "satisfaction",
    ]
    list_filter = [CommunityListFilter]
    list_select_related = ["project", "decided_by"]
    search_fields = ["project__name", "project__neighbourhood__name"]
    fields = [
        "project",
        "decided_at",
        "decided_by",
        "acceptance_check",
        "check_date",
        "checklist_items",
        "survey_round",
        "households",
        "answered",
        "turnout",
        "satisfied",
        "satisfaction",
        "basically_satisfied_counts",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "project", "decided_by", "acceptance_check__project", "survey_round__project"
            )
        )

    @admin.display(description=_("turnout"))
    def turnout(self, obj):
        return rules.percent_text(obj.answered, obj.households)

    @admin.display(description=_("satisfaction"))
    def satisfaction(self, obj):
        return rules.percent_text(obj.satisfied, obj.answered)
