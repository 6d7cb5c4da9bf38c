"""The acceptance report of a project (竣工验收报告): what its printable page and its .docx
download both show, built once by ``acceptance_report(project)``.

It tells the project, its completion check (the decisive round's checklist and participants,
and every round's date, result and rectification), its satisfaction survey (the decisive
round's numbers, the answers by level for the overall question and the three dimensions,
and every round's results) and the verdict:

- a project accepted has its ``AcceptanceDecision``: the numbers as they were decided, when
  and by whom, shown ever after, whatever happens to the registers later;
- a project not yet accepted has the live gate (``rules.acceptance_panel``), marked "not
  decided", with what is still missing.

Only totals are told of the residents: never a household, its address, its name or phone, nor
what a household answered. The residents' comments are left out: they are free text that may
name a household or a neighbour, or carry a phone number, and the report is printed and passed
around; staff read them in the admin.
"""

import datetime
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.utils import timezone
from django.utils.translation import pgettext_lazy

from projects.models import Project

from . import rules
from .models import (
    AcceptanceCheck,
    AcceptanceDecision,
    CheckItem,
    ChecklistTemplateItem,
    Participant,
    Result,
    Satisfaction,
    SurveyRound,
)
from .rules import CheckLine, SurveyNumbers

#: The labels of the report's tables, the same on the page and in the document; short words
#: are told apart by their context from the same words elsewhere ("Closed" request, meeting).
LABELS = {
    "project": pgettext_lazy("acceptance report", "Project"),
    "neighbourhood": pgettext_lazy("acceptance report", "Neighbourhood"),
    "merged": pgettext_lazy("acceptance report", "Merged compounds"),
    "community": pgettext_lazy("acceptance report", "Community"),
    "address": pgettext_lazy("acceptance report", "Address"),
    "batch": pgettext_lazy("acceptance report", "Batch"),
    "status": pgettext_lazy("acceptance report", "Status"),
    "number": pgettext_lazy("acceptance report", "No."),
    "item": pgettext_lazy("acceptance report", "Item"),
    "category": pgettext_lazy("acceptance report", "Category"),
    "result": pgettext_lazy("acceptance report", "Result"),
    "notes": pgettext_lazy("acceptance report", "Notes"),
    "document": pgettext_lazy("acceptance report", "Document"),
    "round": pgettext_lazy("acceptance report", "Round"),
    "date": pgettext_lazy("acceptance report", "Date"),
    "rectification": pgettext_lazy("acceptance report", "Rectification required"),
    "role": pgettext_lazy("acceptance report", "Taking part as"),
    "name": pgettext_lazy("acceptance report", "Name"),
    "organisation": pgettext_lazy("acceptance report", "Organisation"),
    "signature": pgettext_lazy("acceptance report", "Signature"),
    "households_registered": pgettext_lazy("acceptance report", "Households registered"),
    "households_answered": pgettext_lazy("acceptance report", "Households answered"),
    "turnout": pgettext_lazy("acceptance report", "Turnout"),
    "satisfied_answers": pgettext_lazy("acceptance report", "Satisfied answers"),
    "satisfaction": pgettext_lazy("acceptance report", "Satisfaction"),
    "question": pgettext_lazy("acceptance report", "Question"),
    "opened": pgettext_lazy("acceptance report", "Opened"),
    "closed": pgettext_lazy("acceptance report", "Closed"),
    "households": pgettext_lazy("acceptance report", "Households"),
    "answered": pgettext_lazy("acceptance report", "Answered"),
    "satisfied": pgettext_lazy("acceptance report", "Satisfied"),
    "open": pgettext_lazy("acceptance report", "Open"),
    "thresholds_met": pgettext_lazy("acceptance report", "Thresholds met"),
    "thresholds_not_met": pgettext_lazy("acceptance report", "Thresholds not met"),
    "check_date": pgettext_lazy("acceptance report", "Date of the check"),
    "items_passed": pgettext_lazy("acceptance report", "Checklist items passed"),
    "condition": pgettext_lazy("acceptance report", "Condition"),
    "met": pgettext_lazy("acceptance report", "Met"),
    "detail": pgettext_lazy("acceptance report", "Detail"),
    "yes": pgettext_lazy("acceptance report", "Yes"),
    "no": pgettext_lazy("acceptance report", "No"),
}

#: The columns of the tally: the three levels, then the questions left unanswered.
TALLY_COLUMNS = [*Satisfaction.labels, pgettext_lazy("acceptance report", "Not answered")]


@dataclass(frozen=True)
class CheckRound:
    """One round of the completion check, as the report lists it."""

    number: int
    date: datetime.date
    result: str
    result_label: str
    rectification: str
    decisive: bool


@dataclass(frozen=True)
class ItemLine:
    """One item of the decisive check's checklist; ``document`` is the file's name only."""

    title: str
    category: str
    result: str
    result_label: str
    notes: str
    document: str


@dataclass(frozen=True)
class ParticipantLine:
    role: str
    name: str
    organisation: str


@dataclass(frozen=True)
class RoundLine:
    """One round of the satisfaction survey with its results: frozen once closed, live while
    open (``passed`` is None then)."""

    number: int
    opened_on: datetime.date
    closed_on: datetime.date | None
    numbers: SurveyNumbers
    passed: bool | None
    decisive: bool

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


@dataclass(frozen=True)
class TallyLine:
    """A question (overall, or one of the three dimensions) and its answers at each level,
    in the order of ``TALLY_COLUMNS``."""

    question: str
    counts: list[int]


@dataclass(frozen=True)
class Verdict:
    """The decision, or the gate as it stands when nothing was decided yet.

    Decided: ``numbers`` are the snapshot's, with ``decided_at``, ``decided_by``, the check's
    date and the items it passed. Not decided: ``checklist`` is the live gate, line by line,
    and ``missing`` what it still lacks."""

    decided: bool
    decided_at: datetime.datetime | None = None
    decided_by: str = ""
    check_date: datetime.date | None = None
    checklist_items: int | None = None
    numbers: SurveyNumbers | None = None
    basically_satisfied_counts: bool = True
    checklist: tuple[CheckLine, ...] = ()
    missing: tuple = ()


@dataclass(frozen=True)
class AcceptanceReport:
    """Everything the acceptance report of one project shows."""

    project: Project
    status: str
    community: str
    neighbourhood: str
    merged: list[str]
    address: str
    batch_year: int
    check: CheckRound | None
    check_rounds: list[CheckRound]
    items: list[ItemLine]
    participants: list[ParticipantLine]
    survey_round: RoundLine | None
    tally: list[TallyLine]
    survey_rounds: list[RoundLine]
    basically_satisfied_counts: bool
    verdict: Verdict
    made_at: datetime.datetime

    @property
    def tally_columns(self):
        return TALLY_COLUMNS

    @property
    def labels(self) -> dict:
        return LABELS


def report_projects():
    """The projects as the report reads them (one query, with the decision and who took it);
    narrow them to the user's scope before picking one."""
    return Project.objects.select_related(
        "neighbourhood__community",
        "acceptance_decision__decided_by",
    ).prefetch_related("merged_neighbourhoods")


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _check_round(check: AcceptanceCheck, decisive: AcceptanceCheck | None) -> CheckRound:
    return CheckRound(
        number=check.number,
        date=check.date,
        result=check.result,
        result_label=check.get_result_display(),
        rectification=check.rectification,
        decisive=decisive is not None and check.pk == decisive.pk,
    )


def _frozen_numbers(survey_round: SurveyRound) -> SurveyNumbers:
    """The numbers a closed round froze (its levels are not kept apart: left empty)."""
    return SurveyNumbers(
        households=survey_round.households,
        answered=survey_round.answered or 0,
        satisfied=survey_round.satisfied or 0,
        by_level={},
    )


def _round_line(survey_round: SurveyRound, numbers: SurveyNumbers, decisive: bool) -> RoundLine:
    return RoundLine(
        number=survey_round.number,
        opened_on=timezone.localdate(survey_round.opened_at),
        closed_on=timezone.localdate(survey_round.closed_at) if survey_round.closed_at else None,
        numbers=numbers,
        passed=survey_round.passed if survey_round.closed_at else None,
        decisive=decisive,
    )


def _tally(survey_round: SurveyRound) -> list[TallyLine]:
    """The answers of ``survey_round`` by level, question by question (one query)."""
    order = [*Satisfaction.values, ""]
    return [
        TallyLine(question=question, counts=[counts[level] for level in order])
        for question, counts in rules.dimension_tally(survey_round)
    ]


def _document_name(item: CheckItem) -> str:
    return PurePosixPath(item.document.name).name if item.document else ""


def acceptance_report(project: Project) -> AcceptanceReport:
    """The acceptance report of ``project`` (read through ``report_projects()``).

    Queries: the check rounds, the survey rounds, the decisive check's items and participants,
    the decisive round's tally (five); and for a project not yet decided, the live gate
    (``rules.acceptance_panel``, four to six more).
    """
    decision: AcceptanceDecision | None = getattr(project, "acceptance_decision", None)
    checks = list(project.acceptance_checks.order_by("-number"))
    rounds = list(project.survey_rounds.order_by("-number"))
    panel = None if decision is not None else rules.acceptance_panel(project)

    if decision is not None:
        check = next((c for c in checks if c.pk == decision.acceptance_check_id), None)
        survey_round = next((r for r in rounds if r.pk == decision.survey_round_id), None)
    else:
        check = next((c for c in checks if c.is_concluded), None)
        survey_round = rounds[0] if rounds else None

    items, participants = [], []
    if check is not None:
        items = [
            ItemLine(
                title=item.title,
                category=ChecklistTemplateItem.Category(item.category).label
                if item.category in ChecklistTemplateItem.Category.values
                else item.category,
                result=item.result,
                result_label=Result(item.result).label,
                notes=item.notes,
                document=_document_name(item),
            )
            for item in check.items.order_by("order", "pk")
        ]
        participants = [
            ParticipantLine(
                role=participant.get_role_display(),
                name=participant.name,
                organisation=participant.organisation,
            )
            for participant in Participant.objects.filter(acceptance_check=check).order_by(
                "role", "pk"
            )
        ]

    tally: list[TallyLine] = []
    decisive_line = None
    if survey_round is not None:
        # While the round is open, the answers by level would let a reader of two copies
        # tell how the household that answered in between voted: totals only until it closes.
        tally = [] if survey_round.is_open else _tally(survey_round)
        by_level = dict(zip(Satisfaction.values, tally[0].counts, strict=False)) if tally else {}
        if decision is not None:
            # The numbers as decided, whatever the roll and the answers say today.
            numbers = SurveyNumbers(
                households=decision.households,
                answered=decision.answered,
                satisfied=decision.satisfied,
                by_level=by_level,
            )
        else:
            numbers = panel.numbers
        decisive_line = _round_line(survey_round, numbers, decisive=True)

    survey_rounds = [
        decisive_line
        if decisive_line is not None and decisive_line.number == survey_round_.number
        else _round_line(
            survey_round_,
            _frozen_numbers(survey_round_)
            if survey_round_.closed_at
            else rules.survey_numbers(survey_round_),
            decisive=False,
        )
        for survey_round_ in rounds
    ]

    if decision is not None:
        verdict = Verdict(
            decided=True,
            decided_at=decision.decided_at,
            decided_by=_person(decision.decided_by),
            check_date=decision.check_date,
            checklist_items=decision.checklist_items,
            numbers=SurveyNumbers(
                households=decision.households,
                answered=decision.answered,
                satisfied=decision.satisfied,
                by_level={},
            ),
            basically_satisfied_counts=decision.basically_satisfied_counts,
        )
    else:
        verdict = Verdict(
            decided=False,
            numbers=panel.numbers,
            checklist=tuple(panel.checklist),
            missing=tuple(dict.fromkeys(line.detail for line in panel.checklist if not line.ok)),
        )

    neighbourhood = project.neighbourhood
    return AcceptanceReport(
        project=project,
        status=Project.Status(project.status).label,
        community=str(neighbourhood.community),
        neighbourhood=neighbourhood.name,
        merged=[merged.name for merged in project.merged_neighbourhoods.all()],
        address=neighbourhood.address,
        batch_year=project.batch_year,
        check=_check_round(check, check) if check is not None else None,
        check_rounds=[_check_round(c, check) for c in checks],
        items=items,
        participants=participants,
        survey_round=decisive_line,
        tally=tally,
        survey_rounds=survey_rounds,
        basically_satisfied_counts=(
            decision.basically_satisfied_counts
            if decision is not None
            else (survey_round.basically_satisfied_counts if survey_round else True)
        ),
        verdict=verdict,
        made_at=timezone.now(),
    )
