"""Admin of what the acceptance keeps on record: the answers (the auditor's alone) and the
decisions.

The answers beside their households are readable only with
``acceptance.view_satisfactionanswer``, which no role but the auditor holds (and superusers):
everyone else gets 403 and does not see them in the index. Nobody adds, changes or deletes an
answer here; answers come through ``acceptance.services.submit_answer``. The decisions are the
snapshots ``accept`` saved, read-only for everyone.
"""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from residents.admin import CommunityListFilter, ScopedModelAdmin

from .. import rules
from ..models import AcceptanceDecision, SatisfactionAnswer

#: The longest excerpt of a comment shown in a list.
EXCERPT_CHARS = 40


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SatisfactionAnswer)
class SatisfactionAnswerAdmin(ReadOnlyMixin, ScopedModelAdmin):
    list_display = [
        "household_address",
        "survey_round",
        "overall",
        "content",
        "process",
        "long_term",
        "comment_excerpt",
        "channel",
        "entered_by",
        "answered_at",
    ]
    # No community filter: the auditor, who alone reads this list, reads the whole county and
    # finds a project or a neighbourhood by search.
    list_filter = ["overall", "respondent__channel"]
    list_select_related = [
        "respondent__household__building__neighbourhood",
        "respondent__entered_by",
        "survey_round__project",
    ]
    search_fields = [
        "survey_round__project__name",
        "respondent__household__building__neighbourhood__name",
    ]
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
        return obj.respondent.answered_at


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
