"""The writes of the acceptance: completion checks, survey rounds, answers and the decision.

Every door (the admin, the household pages, the shell, the demo) calls these functions. Each
runs in one transaction and locks what it changes; a refusal raises
``projects.services.Refused`` with its reasons in words for people, and writes nothing.

Answers and the closing of a round meet on the roll's rows: an answer locks its household's
row on the roll, then reads whether the round is still open; closing a round locks the round
(a no-key lock, which lets the answers' foreign keys to it through), then every row of its
roll, so it waits for the answers being written and counts them, and any answer after it
finds the round closed. Two answers from one household queue on the same row, so the
household keeps exactly one answer, the later one.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from projects.models import Project
from projects.services import Refused, say
from residents.models import Household
from surveys.rules import project_households

from . import rules
from .models import (
    AcceptanceCheck,
    AcceptanceDecision,
    CheckItem,
    ChecklistTemplateItem,
    Participant,
    Respondent,
    Result,
    Satisfaction,
    SatisfactionAnswer,
    SurveyRound,
)

__all__ = [
    "close_round",
    "conclude_check",
    "open_round",
    "record_decision",
    "start_check",
    "submit_answer",
]


def _locked_project(project: Project) -> Project:
    return Project.objects.select_for_update().get(pk=project.pk)


def _require_completed(project: Project, what) -> None:
    if project.status != Project.Status.COMPLETED:
        raise Refused(
            [
                say(
                    what,
                    project=project.name,
                    status=Project.Status(project.status).label,
                )
            ]
        )


# --- Completion checks ----------------------------------------------------------------------


def start_check(project: Project, *, by, date=None) -> AcceptanceCheck:
    """Start the next round of the completion check of a completed project.

    The first round takes the county's checklist template (the items in use); a round after
    a failed one takes the previous round's checklist and participants, its passed items
    still passed and its failed items to be checked again, plus template items added since.
    """
    with transaction.atomic():
        project = _locked_project(project)
        _require_completed(
            project,
            _(
                "“%(project)s” is “%(status)s”: the completion check starts when the "
                "construction is complete."
            ),
        )
        previous = project.acceptance_checks.order_by("-number").first()
        if previous is not None and not previous.is_concluded:
            raise Refused(
                [
                    say(
                        _("Check %(number)s is still in progress: conclude it first."),
                        number=previous.number,
                    )
                ]
            )
        if previous is not None and previous.result == Result.PASSED:
            raise Refused(
                [
                    say(
                        _("Check %(number)s passed: the work needs no further check."),
                        number=previous.number,
                    )
                ]
            )
        check = AcceptanceCheck(
            project=project,
            number=(previous.number + 1) if previous else 1,
            date=date or timezone.localdate(),
            created_by=by,
        )
        check._history_user = by
        check.save()
        # With their first version in the change history, as a save would write it.
        bulk_create_with_history(_items_for(check, previous), CheckItem, default_user=by)
        if previous is not None:
            participants = [
                Participant(
                    acceptance_check=check,
                    role=participant.role,
                    name=participant.name,
                    organisation=participant.organisation,
                )
                for participant in previous.participants.all()
            ]
            bulk_create_with_history(participants, Participant, default_user=by)
    return check


def _items_for(check: AcceptanceCheck, previous: AcceptanceCheck | None) -> list[CheckItem]:
    items = []
    titles = set()
    if previous is not None:
        for item in previous.items.all():
            passed = item.result == Result.PASSED
            items.append(
                CheckItem(
                    acceptance_check=check,
                    template_item_id=item.template_item_id,
                    title=item.title,
                    category=item.category,
                    order=item.order,
                    result=Result.PASSED if passed else Result.PENDING,
                    notes=item.notes if passed else "",
                    document=item.document if passed else "",
                )
            )
            titles.add(item.title)
    for template in ChecklistTemplateItem.objects.filter(active=True):
        if template.title not in titles:
            items.append(
                CheckItem(
                    acceptance_check=check,
                    template_item=template,
                    title=template.title,
                    category=template.category,
                    order=template.order,
                )
            )
    return items


def conclude_check(check: AcceptanceCheck, *, by, rectification: str | None = None):
    """Conclude a completion check: passed when every item passed, failed when any failed
    (then ``rectification`` must say what is to be put right). Refused while an item is
    still to be checked or nobody is recorded as taking part."""
    with transaction.atomic():
        check = AcceptanceCheck.objects.select_for_update().get(pk=check.pk)
        if check.is_concluded:
            raise Refused(
                [
                    say(
                        _("Check %(number)s was already concluded: %(result)s."),
                        number=check.number,
                        result=check.get_result_display(),
                    )
                ]
            )
        if rectification is not None:
            check.rectification = rectification.strip()
        items = list(check.items.all())
        reasons = []
        if not items:
            reasons.append(_("The checklist is empty: add the items that were checked."))
        pending = [item.title for item in items if item.result == Result.PENDING]
        if pending:
            reasons.append(
                say(_("Items still to be checked: %(items)s."), items="、".join(pending))
            )
        if not check.participants.exists():
            reasons.append(_("Record who took part in the check."))
        failed = [item for item in items if item.result == Result.FAILED]
        if failed and not pending and not check.rectification:
            reasons.append(_("The check failed: say what must be rectified before the next check."))
        if reasons:
            raise Refused(reasons)
        check.result = Result.FAILED if failed else Result.PASSED
        check.concluded_at = timezone.now()
        check.concluded_by = by
        check._history_user = by
        check.save(update_fields=["result", "concluded_at", "concluded_by", "rectification"])
    return check


# --- Survey rounds ----------------------------------------------------------------------------


def open_round(project: Project, *, by) -> SurveyRound:
    """Open the next satisfaction survey round of a completed project and put every
    household registered now (its neighbourhood and merged compounds) on its roll."""
    with transaction.atomic():
        project = _locked_project(project)
        _require_completed(
            project,
            _(
                "“%(project)s” is “%(status)s”: the satisfaction survey opens when the "
                "construction is complete."
            ),
        )
        if project.survey_rounds.filter(closed_at__isnull=True).exists():
            raise Refused([_("A survey round is already open: close it before opening another.")])
        households = list(project_households(project).values_list("pk", flat=True))
        if not households:
            raise Refused(
                [_("No household of the neighbourhood is registered: nobody could answer.")]
            )
        last = project.survey_rounds.aggregate(last=Max("number"))["last"] or 0
        survey_round = SurveyRound(
            project=project,
            number=last + 1,
            opened_at=timezone.now(),
            opened_by=by,
            households=len(households),
            basically_satisfied_counts=settings.ANJU_BASICALLY_SATISFIED_COUNTS,
        )
        survey_round._history_user = by
        survey_round.save()
        Respondent.objects.bulk_create(
            (Respondent(survey_round=survey_round, household_id=pk) for pk in households),
            batch_size=2000,
        )
    return survey_round


def _close(survey_round: SurveyRound, by) -> rules.SurveyNumbers:
    """Close a round locked by the caller: wait for the answers being written, then freeze
    the numbers."""
    list(survey_round.roll.select_for_update().values_list("pk", flat=True))
    numbers = rules.survey_numbers(survey_round)
    survey_round.closed_at = timezone.now()
    survey_round.closed_by = by
    survey_round.answered = numbers.answered
    survey_round.satisfied = numbers.satisfied
    survey_round.passed = numbers.passed
    survey_round._history_user = by
    survey_round.save(update_fields=["closed_at", "closed_by", "answered", "satisfied", "passed"])
    return numbers


def close_round(survey_round: SurveyRound, *, by) -> SurveyRound:
    """Close a survey round: it takes no more answers, and its results are kept as they are."""
    with transaction.atomic():
        survey_round = SurveyRound.objects.select_for_update(no_key=True).get(pk=survey_round.pk)
        if not survey_round.is_open:
            raise Refused(
                [say(_("Round %(number)s is already closed."), number=survey_round.number)]
            )
        _close(survey_round, by)
    return survey_round


def open_round_for(household: Household) -> Respondent | None:
    """The household's place on the roll of an open survey round (the latest), or None."""
    return (
        Respondent.objects.filter(household=household, survey_round__closed_at__isnull=True)
        .select_related("survey_round__project")
        .order_by("-survey_round__opened_at")
        .first()
    )


def _checked_level(value, *, required: bool):
    if value in Satisfaction.values:
        return value
    if not value and not required:
        return ""
    raise Refused([_("Choose one of: satisfied, basically satisfied, dissatisfied.")])


def submit_answer(
    survey_round: SurveyRound,
    household: Household,
    *,
    overall: str,
    content: str = "",
    process: str = "",
    long_term: str = "",
    comment: str = "",
    channel: str = Respondent.Channel.LINK,
    entered_by=None,
) -> Respondent:
    """Record the household's answer in ``survey_round``, replacing any earlier answer of it
    in that round (the last answer counts). ``channel`` says how it came: the household's
    link, or a paper form or a door-to-door visit entered by staff (``entered_by``).

    An answer on the household's behalf (paper, door to door) is taken only from a household
    that has not answered yet in the round, by any channel: staff never replace a household's
    answer, so none can learn it by watching the totals move. Only the household itself,
    through its link, changes its answer."""
    values = {
        "overall": _checked_level(overall, required=True),
        "content": _checked_level(content, required=False),
        "process": _checked_level(process, required=False),
        "long_term": _checked_level(long_term, required=False),
        "comment": (comment or "").strip(),
    }
    if channel not in Respondent.Channel.values:
        raise Refused([_("Unknown channel.")])
    if channel != Respondent.Channel.LINK and entered_by is None:
        raise Refused([_("Say who entered the answer on the household's behalf.")])
    with transaction.atomic():
        # One row at most (unique): read without an ORDER BY, which costs a compile per answer.
        found = Respondent.objects.select_for_update().filter(
            survey_round=survey_round, household=household
        )
        respondent = next(iter(found.order_by()[:1]), None)
        if respondent is None:
            raise Refused(
                [
                    _(
                        "This household is not on the survey's roll: it was not registered "
                        "when the survey opened."
                    )
                ]
            )
        # Read after the lock: a round closed meanwhile takes no answer.
        closed_at = SurveyRound.objects.filter(pk=survey_round.pk).values_list(
            "closed_at", flat=True
        )[0]
        if closed_at is not None:
            raise Refused([_("The survey is closed: it takes no more answers.")])
        if channel != Respondent.Channel.LINK and respondent.answered_at is not None:
            # Staff never overwrite (nor, by comparing before and after, observe) what a
            # household answered: entered on its behalf once, changed only by itself.
            raise Refused(
                [
                    _(
                        "This household has already answered; only the household itself can "
                        "change its answer, through its link."
                    )
                ]
            )
        # The respondent's row is locked: no other answer of the household runs meanwhile,
        # so an UPDATE, or an INSERT when there is nothing to update, is enough.
        answer = {"survey_round_id": survey_round.pk, **values}
        if not SatisfactionAnswer.objects.filter(respondent=respondent).update(**answer):
            SatisfactionAnswer.objects.create(respondent=respondent, **answer)
        respondent.answered_at = timezone.now()
        respondent.channel = channel
        respondent.entered_by = entered_by if channel != Respondent.Channel.LINK else None
        respondent.save(update_fields=["answered_at", "channel", "entered_by"])
    return respondent


# --- The decision -----------------------------------------------------------------------------


def record_decision(project: Project, *, by) -> AcceptanceDecision:
    """Keep the verdict of the acceptance of ``project`` with the numbers of this moment.

    Called by ``projects.services.accept`` inside its transaction, after the project's row
    was locked: the latest survey round is closed if it is still open (its answers counted
    under lock), the gate is checked again on those numbers, and refused if it fails.
    """
    with transaction.atomic():
        check = rules.latest_check(project)
        survey_round = (
            SurveyRound.objects.select_for_update(no_key=True)
            .filter(project=project)
            .order_by("-number")
        ).first()
        if survey_round is not None and survey_round.is_open:
            _close(survey_round, by)
        gate = rules.acceptance_gate(project)
        if not gate:
            raise Refused(gate.missing)
        return AcceptanceDecision.objects.create(
            project=project,
            decided_at=timezone.now(),
            decided_by=by,
            acceptance_check=check,
            survey_round=survey_round,
            check_date=check.date,
            checklist_items=check.items.count(),
            households=survey_round.households,
            answered=survey_round.answered,
            satisfied=survey_round.satisfied,
            basically_satisfied_counts=survey_round.basically_satisfied_counts,
        )
