"""The household's satisfaction survey (``/h/<token>/satisfaction/``) and its card on the
household's page.

The page is one of the household pages of ``surveys.views``: reached by the household's link,
rate-limited, never cached, logged without the token, and an unknown token gets the same
friendly 404 (``surveys.views.household_page``). It asks the questions of the national survey
while a round is open and the household is on its roll; otherwise it says why not.

The rules are not here: ``acceptance.services.submit_answer`` records the answer (the last one
counts, a closed round refuses), and this module only calls it.
"""

from django.contrib import messages
from django.db.models import F, Q, Subquery
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from projects.services import Refused
from surveys import links
from surveys.views import household_page, neighbourhood_projects

from . import services
from .forms import SatisfactionForm
from .models import Respondent, SurveyRound

LEVEL_FIELDS = ("overall", "content", "process", "long_term")


class State:
    """What the survey page can show a household."""

    OPEN = "open"  # a round is open and the household is on its roll: the form
    NOT_ON_ROLL = "not_on_roll"  # a round is open, but the household was registered after
    CLOSED = "closed"  # the latest round is closed
    NONE = "none"  # no round was ever opened for the household's neighbourhood


def survey_url(token: str) -> str:
    return reverse("acceptance:household_survey", args=[token])


def _latest_round(household) -> SurveyRound | None:
    """The latest survey round of a project of the household's neighbourhood (its own or one
    it was merged into), open or closed (one query)."""
    neighbourhood = household.building.neighbourhood_id
    return (
        SurveyRound.objects.filter(
            Q(project__neighbourhood=neighbourhood)
            | Q(project__merged_neighbourhoods=neighbourhood)
        )
        .select_related("project")
        .order_by("-opened_at")
        .first()
    )


def _render(request, household, token, *, respondent: Respondent | None, form=None, kept=""):
    """The survey page: the form for ``respondent``'s round, or why there is none (then
    ``kept`` is a comment the household typed and could not send, shown so it is not lost)."""
    if respondent is not None:
        survey_round, state = respondent.survey_round, State.OPEN
        if form is None:
            # Never pre-filled with the household's earlier answer, nor told what it was:
            # whoever holds the link (a relative, a neighbour, the staff who printed the
            # card) would read how the household voted, and only the auditor may link a
            # household to its answer. Answering again replaces the earlier answer unseen.
            form = SatisfactionForm(initial={"survey_round": survey_round.pk})
    else:
        survey_round = _latest_round(household)
        if survey_round is None:
            state = State.NONE
        elif survey_round.is_open:
            state = State.NOT_ON_ROLL
        else:
            state = State.CLOSED
        form = None
    context = {
        "address": household.address,
        "state": state,
        "survey_round": survey_round,
        "project": survey_round.project if survey_round is not None else None,
        "answered_at": respondent.answered_at if respondent is not None else None,
        "form": form,
        "level_fields": [form[name] for name in LEVEL_FIELDS] if form is not None else [],
        "kept": kept,
        "action_url": survey_url(token),
        "home_url": links.link_path(token),
    }
    return render(request, "acceptance/household_survey.html", context)


@household_page
def household_survey(request, household, token):
    """GET the survey form; POST an answer, then back to the household's page."""
    if request.method != "POST":
        return _render(request, household, token, respondent=services.open_round_for(household))
    form = SatisfactionForm(request.POST)
    if not form.is_valid():
        return _render(
            request,
            household,
            token,
            respondent=services.open_round_for(household),
            form=form,
            kept=request.POST.get("comment", ""),
        )
    data = form.cleaned_data
    # The round the page was shown for: an answer never slips into a round opened since.
    survey_round = next(iter(SurveyRound.objects.filter(pk=data["survey_round"]).order_by()), None)
    try:
        if survey_round is None:
            raise Refused([_("The survey has changed since you opened the page.")])
        services.submit_answer(
            survey_round,
            household,
            overall=data["overall"],
            content=data["content"],
            process=data["process"],
            long_term=data["long_term"],
            comment=data["comment"],
            channel=Respondent.Channel.LINK,
        )
    except Refused as refusal:
        for reason in refusal.reasons:
            messages.error(request, reason)
        respondent = services.open_round_for(household)
        if respondent is not None and respondent.survey_round_id != data["survey_round"]:
            # A new round opened while the household was answering: its own answers, just
            # typed, are kept in the new round's form to check and send again.
            messages.info(
                request, _("A new survey is open: check your answers and send them again.")
            )
            form = SatisfactionForm(
                {**data, "survey_round": respondent.survey_round_id}, auto_id=form.auto_id
            )
        return _render(
            request, household, token, respondent=respondent, form=form, kept=data["comment"]
        )
    messages.success(
        request,
        _(
            "Thank you: your answer was recorded. You may change it while the survey is "
            "open; the last answer counts."
        ),
    )
    return redirect(links.link_path(token))


def _card_place(household) -> Respondent | None:
    """The household's place on the roll the survey card speaks of (one query): on an open
    round's roll (the latest), else on the roll of the latest closed round of its current
    project (``surveys.views.neighbourhood_projects``); None when on neither."""
    current_project = neighbourhood_projects(household.building.neighbourhood_id).values("pk")[:1]
    latest_closed = (
        SurveyRound.objects.filter(project=Subquery(current_project), closed_at__isnull=False)
        .order_by("-opened_at")
        .values("pk")[:1]
    )
    return (
        Respondent.objects.filter(household=household)
        .filter(Q(survey_round__closed_at__isnull=True) | Q(survey_round=Subquery(latest_closed)))
        .select_related("survey_round__project")
        .order_by(F("survey_round__closed_at").desc(nulls_first=True), "-survey_round__opened_at")
        .first()
    )


def survey_card(household, token):
    """The household page's section (``surveys.household_sections``): an invitation to
    answer while the household is on an open round's roll, or that it answered; once the
    round of its current project closed (the project accepted, say), that the survey is
    closed, with thanks (one query)."""
    respondent = _card_place(household)
    if respondent is None:
        return None
    survey_round = respondent.survey_round
    return "acceptance/household_survey_card.html", {
        "project": survey_round.project,
        "is_open": survey_round.is_open,
        "answered_at": respondent.answered_at,
        "url": survey_url(token),
    }
