"""Admin of the satisfaction survey rounds: open, follow, enter answers on paper, close.

A round is opened (its add page) and closed (its button, then a confirmation page) through
``acceptance.services``. Its page shows the live numbers of the gate, the households that have
not answered yet (to go and ask them), and a form to enter an answer collected on paper or door
to door on behalf of a household that has not answered (``acceptance.enter_answers``), which
``services.submit_answer`` records with its channel and who entered it.

Who answered is shown; how a household answered never is. No page of this admin reads a
household's answer: the numbers are totals, entering an answer is confirmed without repeating
it, and staff can enter an answer only for a household that has not answered (so they never
replace one, nor see the totals move when they do). While a round is open its page shows only
what the gate needs (households, answers, answers still needed, satisfied answers and their
rate): the answers by level, by question and the comments wait until it is closed, since a
watcher could otherwise tie the next change to the household that just left the list of those
to ask. Only the auditor reads an answer beside its household (``records.py``), and reads the
breakdown of an open round too.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.utils import flatatt
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.admin.history import ScopedHistoryAdmin
from projects.admin.steps import report_step
from projects.models import Project
from projects.services import Refused
from residents.admin import CommunityListFilter, ScopedModelAdmin
from residents.masking import can_view_personal_data, mask_name, name_for
from surveys.links import address_order

from .. import rules, services
from ..models import Respondent, Satisfaction, SatisfactionAnswer, SurveyRound
from .base import (
    ROUND_PARAMETER,
    RoundStateFilter,
    ServiceFormMixin,
    projects_without_open_round,
    refusal_texts,
)
from .panel import level_rows

#: Households listed per page among those that have not answered.
NOT_ANSWERED_PER_PAGE = 100
#: Comments shown on a round's page (the report has them all).
COMMENTS_SHOWN = 100
ENTER_ANSWERS_PERMISSION = "acceptance.enter_answers"
#: Reads each answer beside its household (the auditor): no breakdown is hidden from it.
READ_ANSWERS_PERMISSION = "acceptance.view_satisfactionanswer"
#: What a round's page shows only once it is closed (and its numbers frozen).
FROZEN_FIELDS = ["closed_at", "closed_by", "answered", "satisfied", "passed"]
#: What a round's page reads of each household still to answer: its address and head (read
#: once, for the list of those to ask and for the form).
ROLL_FIELDS = [
    "survey_round_id",
    "answered_at",
    "household__unit",
    "household__room",
    "household__head_name",
    "household__building__number",
    "household__building__neighbourhood__name",
]


def answered_count():
    """The households of the outer round that answered, as a subquery."""
    answered = (
        Respondent.objects.filter(survey_round=OuterRef("pk"), answered_at__isnull=False)
        .order_by()
        .values("survey_round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(answered, output_field=IntegerField()), 0)


class OpenRoundForm(forms.Form):
    project = forms.ModelChoiceField(
        label=capfirst(_("project")),
        queryset=Project.objects.none(),
        help_text=_(
            "Projects whose construction is complete, awaiting acceptance, with no survey "
            "round open."
        ),
        error_messages={
            "invalid_choice": _(
                "Choose a project from the list: this one is not complete, or it has a "
                "survey round open already."
            )
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects_without_open_round(user)


def _optional(choices):
    return [("", pgettext_lazy("satisfaction survey", "Not answered")), *choices]


def household_label(household, clear: bool) -> str:
    """A household by its address and head, the name masked unless ``clear``."""
    name = household.head_name if clear else mask_name(household.head_name)
    return f"{household.address} · {name}"


class RollSelect(forms.Select):
    """A select of the households on a roll, written out directly: Django draws each option
    through a template, which for the 1,500 households of a large neighbourhood takes most of
    the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = str(value[0] if isinstance(value, list | tuple) and value else value or "")

        def options(choices):
            return format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (key, mark_safe(" selected") if str(key) == chosen else "", label)  # nosec B308
                    for key, label in choices
                ),
            )

        groups = [
            format_html('<optgroup label="{}">{}</optgroup>', group, options(members))
            if isinstance(members, list | tuple)
            else options([(group, members)])
            for group, members in self.choices
        ]
        # Each group was escaped by format_html above.
        return format_html(
            "<select{}>{}</select>",
            flatatt(attrs),
            mark_safe("".join(groups)),  # nosec B308 B703
        )


class AnswerForm(forms.Form):
    """An answer collected on paper or door to door, for a household on the round's roll that
    has not answered yet.

    The households are offered from ``roll`` (one query, made by the caller), those that have
    answered left out: only the household itself, through its link, changes its answer
    (``services.submit_answer`` refuses the others, should one answer meanwhile).
    """

    household = forms.TypedChoiceField(
        label=capfirst(_("household")),
        coerce=int,
        widget=RollSelect,
        help_text=_("The households that have not answered yet."),
        error_messages={
            "invalid_choice": _(
                "This household is not among those still to answer: it may have answered "
                "meanwhile. Only the household itself can change its answer, through its link."
            )
        },
    )
    channel = forms.ChoiceField(
        label=capfirst(_("channel")),
        choices=[
            (Respondent.Channel.PAPER, Respondent.Channel.PAPER.label),
            (Respondent.Channel.DOOR_TO_DOOR, Respondent.Channel.DOOR_TO_DOOR.label),
        ],
        widget=forms.RadioSelect,
    )
    overall = forms.ChoiceField(
        label=capfirst(SatisfactionAnswer._meta.get_field("overall").verbose_name),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    content = forms.ChoiceField(
        label=capfirst(SatisfactionAnswer._meta.get_field("content").verbose_name),
        choices=_optional(Satisfaction.choices),
        required=False,
        widget=forms.RadioSelect,
    )
    process = forms.ChoiceField(
        label=capfirst(SatisfactionAnswer._meta.get_field("process").verbose_name),
        choices=_optional(Satisfaction.choices),
        required=False,
        widget=forms.RadioSelect,
    )
    long_term = forms.ChoiceField(
        label=capfirst(SatisfactionAnswer._meta.get_field("long_term").verbose_name),
        choices=_optional(Satisfaction.choices),
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=capfirst(SatisfactionAnswer._meta.get_field("comment").verbose_name),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, roll, user, **kwargs):
        super().__init__(*args, **kwargs)
        waiting = [respondent for respondent in roll if not respondent.answered_at]
        self.roll = {respondent.pk: respondent for respondent in waiting}
        clear = can_view_personal_data(user)
        self.fields["household"].choices = [
            ("", "---------"),
            *((r.pk, household_label(r.household, clear)) for r in waiting),
        ]
        for name in ("content", "process", "long_term"):
            self.fields[name].initial = ""

    @property
    def respondent(self) -> Respondent:
        return self.roll[self.cleaned_data["household"]]


@admin.register(SurveyRound)
class SurveyRoundAdmin(ServiceFormMixin, ScopedHistoryAdmin, ScopedModelAdmin):
    list_display = [
        "project",
        "number",
        "opened_at",
        "households",
        "answered_total",
        "closed_at",
        "outcome",
    ]
    list_display_links = ["project", "number"]
    list_filter = [RoundStateFilter, "passed", CommunityListFilter]
    list_select_related = ["project"]
    search_fields = ["project__name", "project__neighbourhood__name"]
    fields = [
        "project",
        "number",
        "opened_at",
        "opened_by",
        "households",
        "basically_satisfied_counts",
        "closed_at",
        "closed_by",
        "answered",
        "satisfied",
        "passed",
    ]
    readonly_fields = fields

    def get_fields(self, request, obj=None):
        if obj is not None and obj.is_open:
            # Nothing is frozen yet: no "closed: -", "households answered: -" while open.
            return [name for name in self.fields if name not in FROZEN_FIELDS]
        return self.fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("project", "opened_by", "closed_by")
            .annotate(n_answered=answered_count())
        )

    def has_change_permission(self, request, obj=None):
        # A round has nothing to edit by hand: its page is read-only, and its buttons and
        # forms go through the services (closing asks for the change permission, below).
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def may_close(self, request, survey_round) -> bool:
        return survey_round.is_open and super().has_change_permission(request, survey_round)

    @staticmethod
    def may_enter_answers(request, survey_round) -> bool:
        return survey_round.is_open and request.user.has_perm(ENTER_ANSWERS_PERMISSION)

    def has_delete_permission(self, request, obj=None):
        return False  # every round's results are kept

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("households answered"), ordering="n_answered")
    def answered_total(self, obj):
        return obj.n_answered

    @admin.display(description=_("result"), ordering="passed")
    def outcome(self, obj):
        if obj.is_open:
            return pgettext_lazy("survey round", "Open")
        return _("Thresholds met") if obj.passed else _("Thresholds not met")

    # --- Opening a round: the add page ---------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = OpenRoundForm(
            request.POST if request.method == "POST" else None,
            user=request.user,
            initial=self.get_changeform_initial_data(request),
        )
        return self.service_form_view(
            request,
            form,
            title=_("Open a satisfaction survey round"),
            intro=_(
                "Every household registered now in the project's neighbourhood (and its merged "
                "compounds) is put on the round's roll: two thirds of them must answer. Each "
                "answers through its household link; answers collected on paper or door to "
                "door are entered on the round's page."
            ),
            submit_label=_("Open the round"),
            run=lambda data: services.open_round(data["project"], by=request.user),
            done=lambda opened: (
                _(
                    "Satisfaction survey round %(number)s of “%(project)s” is open: "
                    "%(households)s households on its roll."
                )
                % {
                    "number": opened.number,
                    "project": opened.project,
                    "households": opened.households,
                }
            ),
        )

    # --- The round's page: numbers, households to ask, paper answers ---------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/close/", view(self.close_view), name="{}_{}_close".format(*info)
            ),
            path(
                "<path:object_id>/answer/",
                view(self.answer_view),
                name="{}_{}_answer".format(*info),
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def roll_of(request, survey_round) -> list[Respondent]:
        """The households of the round's roll that have not answered, as the user may see
        them, in address order (one query): the list of those to ask, and the households an
        answer may be entered for. The answers are not read."""
        roll = list(
            survey_round.roll.visible_to(request.user)
            .not_answered()
            .select_related("household__building__neighbourhood")
            .only(*ROLL_FIELDS)
            .order_by()
        )
        roll.sort(
            key=lambda r: (r.household.building.neighbourhood.name, *address_order(r.household))
        )
        return roll

    @staticmethod
    def shows_breakdown(request, survey_round) -> bool:
        """Whether the answers by level, by question and the comments are shown: once the
        round is closed, or to the auditor, who reads each answer anyway."""
        return not survey_round.is_open or request.user.has_perm(READ_ANSWERS_PERMISSION)

    def may_open_next(self, request, survey_round) -> bool:
        """Whether the page offers to open the next round: this one is the project's latest,
        closed without meeting the thresholds, and the project still awaits acceptance."""
        return (
            not survey_round.is_open
            and not survey_round.passed
            and survey_round.project.status == Project.Status.COMPLETED
            and self.has_add_permission(request)
            and not SurveyRound.objects.filter(
                project_id=survey_round.project_id, number__gt=survey_round.number
            ).exists()
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            roll = self.roll_of(request, obj)
            page = Paginator(roll, NOT_ANSWERED_PER_PAGE).get_page(request.GET.get("page"))
            may_enter = self.may_enter_answers(request, obj)
            numbers = rules.survey_numbers(obj)
            breakdown = self.shows_breakdown(request, obj)
            comments = (
                list(
                    obj.answers.exclude(comment="")
                    .order_by("comment")
                    .values_list("comment", flat=True)[: COMMENTS_SHOWN + 1]
                )
                if breakdown
                else []
            )
            context.update(
                numbers=numbers,
                breakdown=breakdown,
                level_rows=level_rows(numbers) if breakdown else [],
                levels=Satisfaction.choices,
                tally_rows=[
                    (question, [counts[value] for value in Satisfaction.values], counts[""])
                    for question, counts in rules.dimension_tally(obj)
                ]
                if breakdown and numbers.answered
                else [],
                not_answered=page,
                not_answered_rows=[
                    (respondent, name_for(request.user, respondent.household.head_name))
                    for respondent in page
                ],
                comments=comments[:COMMENTS_SHOWN],
                more_comments=len(comments) > COMMENTS_SHOWN,
                shown=COMMENTS_SHOWN,
                may_close=self.may_close(request, obj),
                may_open_next=self.may_open_next(request, obj),
                answers_url=(
                    reverse("admin:acceptance_satisfactionanswer_changelist")
                    + "?"
                    + urlencode({ROUND_PARAMETER: obj.pk})
                    if request.user.has_perm(READ_ANSWERS_PERMISSION)
                    else None
                ),
                may_enter=may_enter,
                answer_form=(
                    AnswerForm(
                        initial={"household": request.GET.get("household", "")},
                        roll=roll,
                        user=request.user,
                    )
                    if may_enter
                    else None
                ),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _round_or_redirect(self, request, object_id):
        survey_round = self.get_object(request, unquote(object_id))
        if survey_round is None:
            return None, self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return survey_round, None

    def close_view(self, request, object_id):
        """Close the round, in two steps: the page (GET, or a POST without ``confirm``) says
        what closing does and shows the numbers it would freeze; its POST with ``confirm``
        closes the round through ``services.close_round``, then goes back to its page."""
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        survey_round, missing = self._round_or_redirect(request, object_id)
        if missing:
            return missing
        if not super().has_change_permission(request, survey_round):
            raise PermissionDenied
        if request.method != "POST" or request.POST.get("confirm") != "yes":
            if not survey_round.is_open:
                self.message_user(
                    request,
                    _("Round %(number)s is already closed.") % {"number": survey_round.number},
                    messages.WARNING,
                )
                return HttpResponseRedirect(self.change_url(survey_round))
            request.current_app = self.admin_site.name
            context = {
                **self.admin_site.each_context(request),
                "title": _("Close the round?"),
                "subtitle": str(survey_round),
                "opts": self.opts,
                "original": survey_round,
                "numbers": rules.survey_numbers(survey_round),
                "has_view_permission": True,
            }
            return TemplateResponse(
                request, "admin/acceptance/surveyround/close_confirmation.html", context
            )
        report_step(
            self,
            request,
            lambda: services.close_round(survey_round, by=request.user),
            refused=lambda reasons: (
                _("“%(round)s” was not closed: %(reasons)s")
                % {"round": survey_round, "reasons": reasons}
            ),
            done=lambda closed: (
                _(
                    "“%(round)s” is closed: %(answered)s of %(households)s households "
                    "answered, %(satisfied)s satisfied; %(verdict)s"
                )
                % {
                    "round": closed,
                    "answered": closed.answered,
                    "households": closed.households,
                    "satisfied": closed.satisfied,
                    "verdict": _("the thresholds are met.")
                    if closed.passed
                    else _("the thresholds are not met."),
                }
            ),
        )
        return HttpResponseRedirect(self.change_url(survey_round))

    def answer_view(self, request, object_id):
        """POST: record an answer collected on paper or door to door. Recorded, back to the
        round's page with a confirmation that does not repeat the answer; refused or
        mistyped, this page shows the form again as it was filled in, with why."""
        survey_round, missing = self._round_or_redirect(request, object_id)
        if missing:
            return missing
        if not request.user.has_perm(ENTER_ANSWERS_PERMISSION):
            raise PermissionDenied
        back = self.change_url(survey_round) + "#answer-entry"
        if request.method != "POST":
            return HttpResponseRedirect(back)
        form = AnswerForm(request.POST, roll=self.roll_of(request, survey_round), user=request.user)
        if form.is_valid():
            respondent = form.respondent
            data = form.cleaned_data
            try:
                services.submit_answer(
                    survey_round,
                    respondent.household,
                    overall=data["overall"],
                    content=data["content"],
                    process=data["process"],
                    long_term=data["long_term"],
                    comment=data["comment"],
                    channel=data["channel"],
                    entered_by=request.user,
                )
            except Refused as refusal:
                form.add_error(None, refusal_texts(refusal))
            else:
                self.message_user(
                    request,
                    _("The answer of %(household)s is recorded (%(channel)s).")
                    % {
                        "household": respondent.household.address,
                        "channel": Respondent.Channel(data["channel"]).label,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(back)
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": _("Enter an answer collected on paper or door to door"),
            "subtitle": str(survey_round),
            "opts": self.opts,
            "original": survey_round,
            "answer_form": form,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/acceptance/surveyround/answer.html", context)
