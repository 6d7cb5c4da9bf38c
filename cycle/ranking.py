"""一月一评比: each project's score and rank for a month, frozen when the month closes.

**Who is ranked.** The projects under way at the month's end (approved, tendering, under
construction, completed awaiting acceptance), and those accepted during the month: their last
month of work counts too. Projects still in consultation are not ranked (there is no work yet
to score), nor projects accepted in an earlier month. Statuses are those at the month's end
(see ``cycle.snapshots``).

**The criteria** are the rows of ``RankingCriterion`` in use, each scoring a project from 0 to
100 by the method its row documents (installed by ``cycle/migrations/0002``):

- ``schedule``: 100, less 20 for each milestone late at the month's end (planned before the
  next month, not done within the month); at least 0.
- ``inspection``: 100, less 5, 15 and 30 for each minor, major and critical finding of the
  inspections dated in the month, less 10 for each rectification overdue at the month's end;
  at least 0.
- ``requests``: of the requests of its neighbourhood (and merged compounds) due in the month,
  the share answered by their due date (county calendar) × 100; 100 when none was due.
- ``reporting``: the month's dispatch reported by the 25th (the 25th included, county time):
  100; later but by the month's end: 60; not by the month's end: 0. It applies only to a
  project that was given the month's dispatch sheet (opened on the 1st, or by the daily job
  for a project approved later in the month).
- ``satisfaction``: the satisfied share of the answers × 100, of its acceptance decision or
  its latest survey round (as ``cycle.snapshots.satisfaction``); it applies only to a project
  surveyed with at least one answer.

Each score is rounded half up to 0.1. The **total** is the weighted mean of the scores of the
criteria in use that apply to the project, with the criteria's weights renormalised over them
(a project without a survey is scored on the other criteria alone), rounded half up to 0.1
from the rounded scores, so that anyone can recompute it from what is shown; 0.0 if every
criterion that applies weighs nothing. **Rank** 1 is the best; equal totals share a rank, and
the next rank skips (1, 2, 2, 4); within a rank projects are listed by name.

``rank_month`` writes the month's ``Ranking`` rows (one per project, replacing any), in a fixed
number of queries whatever the number of projects. The job runner calls it once the month is
over, and the month's run is done once: the ranking is then frozen, whatever is edited later.
"""

import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from projects.models import Project, ProjectTransition
from surveys.models import ResidentRequest

from . import snapshots
from .models import Ranking, RankingCriterion
from .periods import Month
from .snapshots import AsOf

Status = Project.Status

#: schedule: points lost per late milestone.
LATE_MILESTONE_POINTS = 20
#: inspection: points lost per finding of the month, by severity, and per overdue rectification.
FINDING_POINTS = {"minor": 5, "major": 15, "critical": 30}
OVERDUE_RECTIFICATION_POINTS = 10
#: reporting: the day of the month by which (that day included) a report is on time; the points.
REPORT_BY_DAY = 25
REPORT_POINTS_ON_TIME = 100
REPORT_POINTS_LATE = 60

FULL = Fraction(100)


def half_up(value: Fraction) -> Decimal:
    """``value`` rounded half up to one decimal, exactly (no binary fraction involved)."""
    tenths = math.floor(value * 10 + Fraction(1, 2))
    return Decimal(tenths).scaleb(-1).quantize(Decimal("0.1"))


@dataclass
class Inputs:
    """What the month's scores are computed from, read in bulk for all ranked projects."""

    as_of: AsOf
    late: dict[int, int]
    findings: dict[int, dict[str, int]]
    requests: dict[int, tuple[int, int]]  # project id: (due in the month, answered on time)
    dispatches: dict[int, datetime.datetime | None]
    satisfaction: dict[int, dict[str, int]]


# --- Each criterion: a score from 0 to 100, or None when it does not apply -------------------


def schedule_score(project: Project, inputs: Inputs) -> Fraction:
    return max(FULL - LATE_MILESTONE_POINTS * inputs.late.get(project.pk, 0), Fraction(0))


def inspection_score(project: Project, inputs: Inputs) -> Fraction:
    found = inputs.findings.get(project.pk, {})
    lost = sum(points * found.get(severity, 0) for severity, points in FINDING_POINTS.items())
    lost += OVERDUE_RECTIFICATION_POINTS * found.get("overdue", 0)
    return max(FULL - lost, Fraction(0))


def requests_score(project: Project, inputs: Inputs) -> Fraction:
    due, on_time = inputs.requests.get(project.pk, (0, 0))
    return FULL * on_time / due if due else FULL


def reporting_score(project: Project, inputs: Inputs) -> Fraction | None:
    if project.pk not in inputs.dispatches:
        return None  # not given the month's sheet: nothing to report
    submitted = inputs.dispatches[project.pk]
    if submitted is None:
        return Fraction(0)
    deadline = datetime.datetime.combine(
        inputs.as_of.month.first.replace(day=REPORT_BY_DAY) + datetime.timedelta(days=1),
        datetime.time.min,
        tzinfo=snapshots.county_zone(),
    )
    return Fraction(REPORT_POINTS_ON_TIME if submitted < deadline else REPORT_POINTS_LATE)


def satisfaction_score(project: Project, inputs: Inputs) -> Fraction | None:
    numbers = inputs.satisfaction.get(project.pk)
    if not numbers or not numbers["answered"]:
        return None
    return FULL * numbers["satisfied"] / numbers["answered"]


SCORERS: dict[str, Callable[[Project, Inputs], Fraction | None]] = {
    "schedule": schedule_score,
    "inspection": inspection_score,
    "requests": requests_score,
    "reporting": reporting_score,
    "satisfaction": satisfaction_score,
}


# --- The month's ranking -------------------------------------------------------------------


def ranked_projects(as_of: AsOf) -> QuerySet:
    """The projects ranked for ``as_of``'s month: under way at its end, or accepted in it."""
    start = snapshots.month_start(as_of.month)
    accepted_in_month = ProjectTransition.objects.filter(
        project=OuterRef("pk"), to_status=Status.ACCEPTED, at__gte=start, at__lt=as_of.moment
    )
    return (
        Project.objects.alias(status_at=snapshots.status_of(as_of))
        .filter(
            Q(status_at__in=Project.ACTIVE_STATUSES)
            | (Q(status_at__in=Project.FINISHED_STATUSES) & Exists(accepted_in_month))
        )
        .order_by("name", "pk")
    )


def _requests_due(
    projects: list[Project], queryset: QuerySet, as_of: AsOf
) -> dict[int, tuple[int, int]]:
    """Per project: its requests due in the month, and those answered by their due date."""
    month = as_of.month
    ids = [{"pk": p.pk, "neighbourhood_id": p.neighbourhood_id} for p in projects]
    rows = (
        ResidentRequest.objects.filter(
            snapshots.requests_of(queryset), due_on__gte=month.first, due_on__lte=month.last
        )
        .alias(answered_on=TruncDate("answered_at", tzinfo=snapshots.county_zone()))
        .order_by()
        .values("neighbourhood")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(answered_on__lte=F("due_on"))),
        )
    )
    by_neighbourhood = {row["neighbourhood"]: (row["due"], row["on_time"]) for row in rows}
    neighbourhoods = snapshots.neighbourhood_map(ids, snapshots.merged_compounds(queryset))
    counts = {}
    for pk, own in neighbourhoods.items():
        pairs = [by_neighbourhood[n] for n in dict.fromkeys(own) if n in by_neighbourhood]
        counts[pk] = (sum(due for due, _ in pairs), sum(on_time for _, on_time in pairs))
    return counts


Result = tuple[Project, dict[str, Decimal], Decimal]


def score_month(month) -> list[Result]:
    """Each ranked project of ``month`` with its scores by criterion code (only the criteria
    in use that apply to it) and its total, best first (ties by name). Nine queries."""
    return _score(snapshots.as_month(month))[1]


def _score(month: Month) -> tuple[list[RankingCriterion], list[Result]]:
    as_of = AsOf.of(month)
    criteria = [c for c in RankingCriterion.objects.filter(active=True) if c.code in SCORERS]
    queryset = ranked_projects(as_of)
    projects = list(queryset)
    inputs = Inputs(
        as_of=as_of,
        late=snapshots.late_milestones(queryset, as_of),
        findings=snapshots.findings(queryset, as_of),
        requests=_requests_due(projects, queryset, as_of),
        dispatches=snapshots.dispatches(queryset, as_of),
        satisfaction=snapshots.satisfaction(queryset, as_of),
    )
    results = []
    for project in projects:
        scores, weighted, weights = {}, Fraction(0), Fraction(0)
        for criterion in criteria:
            score = SCORERS[criterion.code](project, inputs)
            if score is None:
                continue
            scores[criterion.code] = half_up(score)
            weighted += Fraction(criterion.weight) * Fraction(scores[criterion.code])
            weights += Fraction(criterion.weight)
        total = half_up(weighted / weights) if weights else Decimal("0.0")
        results.append((project, scores, total))
    results.sort(key=lambda result: (-result[2], result[0].name, result[0].pk))
    return criteria, results


def ranks(totals: list[Decimal]) -> list[int]:
    """Competition ranks of ``totals`` sorted best first: 1, 2, 2, 4."""
    out = []
    for i, total in enumerate(totals):
        out.append(out[-1] if i and total == totals[i - 1] else i + 1)
    return out


def rank_month(month) -> dict:
    """Score and rank ``month``'s projects and write its ``Ranking`` rows, replacing any of
    that month: one row per project, whatever ran before. Returns ``{"projects": n,
    "weights": {code: weight}}`` (the weights used, kept with the job's run)."""
    month = snapshots.as_month(month)
    if not AsOf.of(month).ended:
        raise ValueError(f"{month.key} is not over yet: only a closed month is ranked.")
    with transaction.atomic():
        criteria, results = _score(month)
        Ranking.objects.filter(month=month.first).delete()
        Ranking.objects.bulk_create(
            Ranking(
                month=month.first,
                project=project,
                scores={code: str(score) for code, score in scores.items()},
                total=total,
                rank=rank,
            )
            for (project, scores, total), rank in zip(
                results, ranks([total for _, _, total in results]), strict=True
            )
        )
    return {
        "projects": len(results),
        "weights": {criterion.code: str(criterion.weight) for criterion in criteria},
    }
