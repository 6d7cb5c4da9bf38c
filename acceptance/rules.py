"""The acceptance gate (rule 2 of DESIGN.md), read-only: what the project page, the refusal of
``accept`` and the report all show.

A project may be accepted when its latest completion check passed, and in its latest
satisfaction survey round at least two thirds of the households registered when the round
opened answered, and at least nine in ten answers are satisfied. Thresholds are inclusive and
computed in exact integers: ``3·answered ≥ 2·households`` and ``10·satisfied ≥ 9·answered``.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from projects.models import Project
from projects.services import later, say
from projects.workflow import GateResult

from .models import AcceptanceCheck, Result, Satisfaction, SatisfactionAnswer, SurveyRound


def answers_needed(households: int) -> int:
    """The fewest answers that make two thirds of ``households``: ⌈2n/3⌉ (1,550 → 1,034)."""
    return (2 * households + 2) // 3


def satisfied_needed(answered: int) -> int:
    """The fewest satisfied answers that make 90% of ``answered``: ⌈9a/10⌉."""
    return (9 * answered + 9) // 10


def turnout_met(answered: int, households: int) -> bool:
    return households > 0 and 3 * answered >= 2 * households


def satisfaction_met(satisfied: int, answered: int) -> bool:
    return answered > 0 and 10 * satisfied >= 9 * answered


def percent_text(part: int, whole: int) -> str:
    """``part/whole`` as a percentage with one decimal, rounded half up ("89.9%"); "–" for
    nothing to divide."""
    if not whole:
        return "–"
    value = (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value}%"


@dataclass(frozen=True)
class SurveyNumbers:
    """A survey round's numbers: households on its roll, answers, and the answers counted as
    satisfied (by level, too). Live while the round is open, frozen once it is closed."""

    households: int
    answered: int
    satisfied: int
    by_level: dict

    @property
    def answers_needed(self) -> int:
        """Answers still needed to reach two thirds (0 when reached)."""
        return max(0, answers_needed(self.households) - self.answered)

    @property
    def turnout_met(self) -> bool:
        return turnout_met(self.answered, self.households)

    @property
    def satisfaction_met(self) -> bool:
        return satisfaction_met(self.satisfied, self.answered)

    @property
    def passed(self) -> bool:
        return self.turnout_met and self.satisfaction_met

    @property
    def turnout_percent(self) -> str:
        return percent_text(self.answered, self.households)

    @property
    def satisfaction_percent(self) -> str:
        return percent_text(self.satisfied, self.answered)

    @property
    def not_answered(self) -> int:
        return self.households - self.answered


def survey_numbers(survey_round: SurveyRound) -> SurveyNumbers:
    """The numbers of ``survey_round`` (two queries: its roll and its answers by level)."""
    households = survey_round.roll.count()
    levels = survey_round.satisfied_levels
    counts = survey_round.answers.aggregate(
        counted_answers=Count("pk"),
        counted_satisfied=Count("pk", filter=Q(overall__in=levels)),
        **{f"level_{level}": Count("pk", filter=Q(overall=level)) for level in Satisfaction.values},
    )
    return SurveyNumbers(
        households=households,
        answered=counts["counted_answers"],
        satisfied=counts["counted_satisfied"],
        by_level={level: counts[f"level_{level}"] for level in Satisfaction.values},
    )


def dimension_tally(survey_round: SurveyRound) -> list[tuple[str, dict]]:
    """For the report: each question (overall and the three dimensions) with the number of
    answers at each level, "not answered" included for the dimensions (one query)."""
    questions = ("overall", "content", "process", "long_term")
    aggregates = {
        f"{question}_{level or 'blank'}": Count("pk", filter=Q(**{question: level}))
        for question in questions
        for level in [*Satisfaction.values, ""]
    }
    counts = survey_round.answers.aggregate(**aggregates)
    return [
        (
            SatisfactionAnswer._meta.get_field(question).verbose_name,
            {
                level: counts[f"{question}_{level or 'blank'}"]
                for level in [*Satisfaction.values, ""]
            },
        )
        for question in questions
    ]


def latest_check(project: Project) -> AcceptanceCheck | None:
    return project.acceptance_checks.order_by("-number").first()


def latest_round(project: Project) -> SurveyRound | None:
    return project.survey_rounds.order_by("-number").first()


@dataclass(frozen=True)
class CheckLine:
    """One line of the gate's checklist, as the consultation panel shows its own."""

    label: Promise
    ok: bool
    detail: str | Promise


def _check_line(check: AcceptanceCheck | None) -> CheckLine:
    label = _("The completion check passed")
    if check is None:
        return CheckLine(label, False, _("No completion check has been recorded yet."))
    if check.result == Result.PASSED:
        return CheckLine(
            label,
            True,
            say(
                _("Check %(number)s of %(date)s passed."),
                number=check.number,
                date=date_format(check.date),
            ),
        )
    if check.result == Result.FAILED:
        failed = ", ".join(check.items.filter(result=Result.FAILED).values_list("title", flat=True))
        return CheckLine(
            label,
            False,
            say(
                _(
                    "Check %(number)s of %(date)s failed (%(items)s): rectify the work and "
                    "start a new check."
                ),
                number=check.number,
                date=date_format(check.date),
                items=failed,
            ),
        )
    pending = check.items.filter(result=Result.PENDING).count()
    return CheckLine(
        label,
        False,
        later(
            lambda: (
                ngettext(
                    "Check %(number)s is not concluded: %(pending)s item still to check.",
                    "Check %(number)s is not concluded: %(pending)s items still to check.",
                    pending,
                )
                % {"number": check.number, "pending": pending}
            )
        ),
    )


def _survey_lines(survey_round: SurveyRound | None, numbers: SurveyNumbers | None):
    turnout = _("Two thirds of the households answered the satisfaction survey")
    # xgettext:no-python-format
    satisfaction = _("At least 90% of the answers are satisfied")
    if survey_round is None:
        missing = _("No satisfaction survey has been opened yet.")
        return [CheckLine(turnout, False, missing), CheckLine(satisfaction, False, missing)]
    if numbers.households == 0:
        return [
            CheckLine(
                turnout,
                False,
                _("No household was registered when the survey opened: nobody could answer."),
            ),
            CheckLine(satisfaction, False, _("There are no answers.")),
        ]
    turnout_detail = say(
        _(
            "%(answered)s of %(households)s households answered (%(percent)s); two thirds "
            "need %(needed)s"
        ),
        answered=numbers.answered,
        households=numbers.households,
        percent=numbers.turnout_percent,
        needed=answers_needed(numbers.households),
    )
    if not numbers.turnout_met:
        turnout_detail = later(
            lambda detail=turnout_detail, short=numbers.answers_needed: (
                ngettext(
                    "%(detail)s: %(short)s more answer is needed.",
                    "%(detail)s: %(short)s more answers are needed.",
                    short,
                )
                % {"detail": detail, "short": short}
            )
        )
    if numbers.answered == 0:
        satisfaction_detail = _("There are no answers yet.")
    else:
        satisfaction_detail = say(
            _(
                "%(satisfied)s of %(answered)s answers satisfied (%(percent)s); 90%% needs "
                "%(needed)s"
            ),
            satisfied=numbers.satisfied,
            answered=numbers.answered,
            percent=numbers.satisfaction_percent,
            needed=satisfied_needed(numbers.answered),
        )
        if not numbers.satisfaction_met:
            short = satisfied_needed(numbers.answered) - numbers.satisfied
            satisfaction_detail = later(
                lambda detail=satisfaction_detail, short=short: (
                    ngettext(
                        "%(detail)s: %(short)s satisfied answer short.",
                        "%(detail)s: %(short)s satisfied answers short.",
                        short,
                    )
                    % {"detail": detail, "short": short}
                )
            )
    return [
        CheckLine(turnout, numbers.turnout_met, turnout_detail),
        CheckLine(satisfaction, numbers.satisfaction_met, satisfaction_detail),
    ]


@dataclass(frozen=True)
class AcceptancePanel:
    """What the project page shows of the acceptance: the latest check and survey round, the
    round's live numbers and the gate's checklist."""

    check: AcceptanceCheck | None
    survey_round: SurveyRound | None
    numbers: SurveyNumbers | None
    checklist: list[CheckLine]

    @property
    def passed(self) -> bool:
        return all(line.ok for line in self.checklist)


def acceptance_panel(project: Project) -> AcceptancePanel:
    """The acceptance of ``project`` line by line (at most six queries)."""
    check = latest_check(project)
    survey_round = latest_round(project)
    numbers = survey_numbers(survey_round) if survey_round is not None else None
    return AcceptancePanel(
        check=check,
        survey_round=survey_round,
        numbers=numbers,
        checklist=[_check_line(check), *_survey_lines(survey_round, numbers)],
    )


def acceptance_gate(project: Project) -> GateResult:
    """Whether ``project`` may be accepted: its latest completion check passed and its latest
    survey round meets both thresholds. Otherwise ``missing`` says which condition failed and
    by how much ("31 of 48 households answered (64.6%); two thirds need 32: 1 more answer is
    needed.")."""
    panel = acceptance_panel(project)
    if panel.passed:
        return GateResult.open()
    missing = [line.detail for line in panel.checklist if not line.ok]
    return GateResult.closed(dict.fromkeys(missing))  # one "no survey yet" for two lines
