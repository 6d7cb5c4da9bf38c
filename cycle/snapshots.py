"""The figures of a month, per project and for the county, and their freezing at month close.

``project_figures`` and ``county_figures`` compute what the leader pages and the bulletin show;
``live_figures`` gives the current month's (as they stand now); ``freeze_month`` writes a
closed month's figures once and for all (``ProjectSnapshot``, ``CountySnapshot``), so a past
month never changes when records are edited later.

**As of when.** A month's figures are taken *as of its end* (midnight Asia/Shanghai at the
start of the next month), wherever a record says when something happened:

- a project's status is the one it had then (its last ``ProjectTransition`` before the end);
- a milestone is late when planned before the next month and not done within the month;
- requests count once received before the end; a request is closed when answered before the
  end, overdue when due before the next month and not answered by the end;
- findings count when their inspection is dated within or before the month; open when not
  rectified by the end, overdue when open and due before the next month; "month" counts the
  findings of the inspections dated in the month;
- the dispatch counts as reported when submitted before the end;
- satisfaction is the acceptance decision taken before the end, otherwise the latest survey
  round opened before the end (its frozen numbers once closed, its answers while open).

Quantities done, money and the declared households are what they are when the month is
frozen: the close runs in the first hours of the next month (01:30), so that is the month's end.
For the current month "the end" is now.

**Which projects.** Every project that had left the draft by the month's end: those in
consultation, under way and finished. Drafts are plans not yet put to the residents; they are
neither in the snapshots nor in the county's counts. Figures are computed by the database, a
fixed number of queries (about a dozen) whatever the number of projects; the county's are
summed by the database too (``county_figures``), so reading them never loops over projects.

**The shared schema** (read by the bulletin and the leader pages). Decimals are strings
("312.00"), to stay exact in JSON; a percentage has one decimal ("73.7"). PostgreSQL's jsonb
does not keep the order of keys: readers order sources as ``FundingLine.Source`` declares
them, outputs by the catalogue (the county's by their ``order``).

``ProjectSnapshot.figures``: ``name``, ``neighbourhood``, ``community``, ``batch_year``,
``status``, ``percent_complete`` (mean completion of its task items, or null),
``households``, ``people`` (declared, of its neighbourhood and the compounds merged into it),
``funds`` {``planned``, ``arrived``, ``spent``, ``by_source`` {source: {…}}}, ``outputs``
{kind code: {``planned``, ``completed``}}, ``behind_schedule``, ``late_milestones``,
``requests`` {``open``, ``in_handling``, ``closed``, ``overdue``} (of its neighbourhood and
merged compounds), ``satisfaction`` {``households``, ``answered``, ``satisfied``} or null,
``dispatch_reported``, ``findings`` {``month``, ``open``, ``overdue``}.

``CountySnapshot.figures``: ``projects``, ``by_status``, ``percent_complete`` (mean of the
projects under way that have one), ``funds``, ``outputs`` {code: {``order`` (its place in the
catalogue), ``name``, ``name_en``, ``unit`` (a ``CatalogueKind.Unit`` value), ``planned``,
``completed``, ``by_batch`` {``accepted``, ``current``: {``planned``, ``completed``}}}}
(``accepted``: the accepted and handed-over projects; ``current``: the others),
``households_benefited`` and
``people_benefited`` (of the accepted and handed-over projects), ``requests`` (the county's
whole ledger), ``behind_schedule`` (project ids), ``satisfaction`` {``projects``,
``households``, ``answered``, ``satisfied``} (the accepted projects' decisions), ``findings``
(all the county's findings).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from acceptance.models import AcceptanceDecision, Satisfaction, SurveyRound
from projects.models import (
    FundingLine,
    Milestone,
    Project,
    ProjectTransition,
    TaskItem,
)
from projects.querysets import TOTAL, ZERO, average_completion
from surveys.models import ResidentRequest

from .models import CountySnapshot, Finding, ProjectSnapshot
from .periods import Month

Status = Project.Status
RequestStatus = ResidentRequest.Status
ANSWERED = (RequestStatus.ANSWERED, RequestStatus.CLOSED)
PERCENT_PLACES = Decimal("0.1")
MEAN = DecimalField(max_digits=12, decimal_places=6)


@dataclass(frozen=True)
class AsOf:
    """When a month's figures are taken: ``moment`` (records made or changed before it count),
    ``day`` (dates before it have passed: a deadline before it is missed) and ``through`` (the
    last day whose work counts as done)."""

    month: Month
    moment: datetime.datetime
    day: datetime.date
    through: datetime.date

    @classmethod
    def of(cls, month: Month, now: datetime.datetime | None = None) -> "AsOf":
        """The end of ``month``, or ``now`` while the month is not over."""
        now = now or timezone.now()
        end = month_start(month.next())
        if now < end:
            today = timezone.localtime(now, county_zone()).date()
            return cls(month=month, moment=now, day=today, through=today)
        return cls(month=month, moment=end, day=month.next().first, through=month.last)

    @property
    def ended(self) -> bool:
        return self.day > self.month.last


def county_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(month: Month) -> datetime.datetime:
    """Midnight at the start of ``month`` on the county's clock."""
    return datetime.datetime.combine(month.first, datetime.time.min, tzinfo=county_zone())


def as_month(month) -> Month:
    return month if isinstance(month, Month) else Month.of(month)


def money(value: Decimal | None) -> str:
    return str((value or ZERO).quantize(Decimal("0.01")))


def percent(value: Decimal) -> str:
    return str(value.quantize(PERCENT_PLACES, ROUND_HALF_UP))


# --- Which projects, and their status then -------------------------------------------------


def status_then(moment: datetime.datetime, *, project: str = "pk"):
    """A project's status at ``moment``: the target of its last transition before it (NULL
    for a project still a draft then). ``project`` names the outer query's project id (a
    project's own ``pk``, a task item's ``project``)."""
    return Subquery(
        ProjectTransition.objects.filter(project=OuterRef(project), at__lt=moment)
        .order_by("-at", "-pk")
        .values("to_status")[:1]
    )


def status_of(as_of: AsOf, *, project: str = "pk"):
    """A project's status at ``as_of``. While the month is under way (``as_of`` is now), its
    ``status`` column: the transitions write both in one transaction, so they agree, and the
    column is read without a subquery per row. For a month that is over, ``status_then`` its
    end (NULL for a project still a draft then)."""
    if not as_of.ended:
        return F("status" if project == "pk" else f"{project}__status")
    return status_then(as_of.moment, project=project)


def projects_past_draft(as_of: AsOf) -> QuerySet:
    """The projects that had left the draft by ``as_of`` (see the module's docstring),
    with their status then as ``status_then``."""
    return (
        Project.objects.alias(status_then=status_of(as_of))
        .filter(status_then__isnull=False)
        .exclude(status_then=Status.DRAFT)
    )


def _ids(projects: QuerySet):
    """``projects`` as a subquery of ids, whatever it is annotated or ordered with."""
    return projects.order_by().values("pk")


# --- Bulk reads, one query each, keyed by project id ---------------------------------------


def _project_rows(projects: QuerySet, as_of: AsOf) -> list[dict]:
    return list(
        Project.objects.filter(pk__in=_ids(projects))
        .annotate(status_at=Coalesce(status_of(as_of), Value(Status.DRAFT)))
        .values(
            "pk",
            "name",
            "batch_year",
            "status_at",
            "neighbourhood_id",
            neighbourhood_name=F("neighbourhood__name"),
            community_name=F("neighbourhood__community__name"),
            households=F("neighbourhood__household_count"),
            people=F("neighbourhood__population"),
        )
        .order_by("name", "pk")
    )


def merged_compounds(projects: QuerySet) -> dict[int, list[dict]]:
    """The compounds merged into each project (拆墙并院), with their declared figures."""
    through = Project.merged_neighbourhoods.through
    merged = defaultdict(list)
    rows = (
        through.objects.filter(project__in=_ids(projects))
        .values(
            "project_id",
            "neighbourhood_id",
            households=F("neighbourhood__household_count"),
            people=F("neighbourhood__population"),
        )
        .order_by()
    )
    for row in rows:
        merged[row["project_id"]].append(row)
    return merged


def _completion(projects: QuerySet) -> dict[int, Decimal | None]:
    rows = TaskItem.objects.filter(project__in=_ids(projects)).completion_by_project()
    return {row["project"]: row["completion"] for row in rows}


def _outputs(projects: QuerySet) -> dict[int, dict]:
    rows = (
        TaskItem.objects.filter(project__in=_ids(projects))
        .order_by()
        .values("project", code=F("kind__code"))
        .annotate(
            planned=Sum("planned_quantity", output_field=TOTAL),
            completed=Sum("completed_quantity", output_field=TOTAL),
        )
        .order_by("project", "kind__priority", "kind__code")
    )
    outputs = defaultdict(dict)
    for row in rows:
        outputs[row["project"]][row["code"]] = {
            "planned": money(row["planned"]),
            "completed": money(row["completed"]),
        }
    return outputs


def _funds(projects: QuerySet) -> dict[int, dict]:
    rows = (
        FundingLine.objects.filter(project__in=_ids(projects))
        .order_by()
        .values("project", "source")
        .annotate(
            planned_sum=Sum("planned", output_field=TOTAL),
            arrived_sum=Sum("arrived", output_field=TOTAL),
            spent_sum=Sum("spent", output_field=TOTAL),
        )
    )
    by_project = defaultdict(dict)
    for row in rows:
        by_project[row["project"]][row["source"]] = {
            "planned": row["planned_sum"] or ZERO,
            "arrived": row["arrived_sum"] or ZERO,
            "spent": row["spent_sum"] or ZERO,
        }
    return {pk: _funds_figures(sources) for pk, sources in by_project.items()}


def _funds_figures(sources: dict[str, dict[str, Decimal]]) -> dict:
    """``{"planned", "arrived", "spent", "by_source"}`` as strings, from Decimal sums by
    source; sources in the order ``FundingLine.Source`` declares them."""
    totals = {name: sum((s[name] for s in sources.values()), ZERO) for name in AMOUNTS}
    return {
        **{name: money(totals[name]) for name in AMOUNTS},
        "by_source": {
            source: {name: money(sources[source][name]) for name in AMOUNTS}
            for source in FundingLine.Source.values
            if source in sources
        },
    }


AMOUNTS = ("planned", "arrived", "spent")
NO_FUNDS = {**dict.fromkeys(AMOUNTS, "0.00"), "by_source": {}}


def late_milestones(projects: QuerySet, as_of: AsOf) -> dict[int, int]:
    """Per project, its milestones planned before ``as_of.day`` and not done by
    ``as_of.through`` (a milestone done after the month's end was late at its end)."""
    rows = (
        Milestone.objects.filter(project__in=_ids(projects), planned_date__lt=as_of.day)
        .filter(Q(actual_date__isnull=True) | Q(actual_date__gt=as_of.through))
        .order_by()
        .values("project")
        .annotate(late=Count("pk"))
    )
    return {row["project"]: row["late"] for row in rows}


def late_projects(projects: QuerySet, as_of: AsOf) -> QuerySet:
    """Those of ``projects`` behind schedule at ``as_of``: not finished then, with a milestone
    late then (as ``late_milestones`` counts them)."""
    late = Milestone.objects.filter(project=OuterRef("pk"), planned_date__lt=as_of.day).filter(
        Q(actual_date__isnull=True) | Q(actual_date__gt=as_of.through)
    )
    return (
        Project.objects.filter(pk__in=_ids(projects))
        .alias(status_at=status_of(as_of))
        .exclude(status_at__in=Project.FINISHED_STATUSES)
        .filter(Exists(late))
    )


def neighbourhood_map(rows: list[dict], merged: dict[int, list[dict]]) -> dict[int, list[int]]:
    """Per project, the neighbourhoods whose requests are its own: its neighbourhood and the
    compounds merged into it."""
    return {
        row["pk"]: [row["neighbourhood_id"], *(m["neighbourhood_id"] for m in merged[row["pk"]])]
        for row in rows
    }


def requests_of(projects: QuerySet) -> Q:
    """The requests of the neighbourhoods of ``projects`` and of the compounds merged in."""
    through = Project.merged_neighbourhoods.through
    return Q(
        neighbourhood__in=Project.objects.filter(pk__in=_ids(projects))
        .order_by()
        .values("neighbourhood_id")
    ) | Q(
        neighbourhood__in=through.objects.filter(project__in=_ids(projects))
        .order_by()
        .values("neighbourhood_id")
    )


def _request_counts(as_of: AsOf) -> dict:
    """The ledger's four counts as they stood at ``as_of`` (aggregates for ``annotate``)."""
    answered = Q(status__in=ANSWERED, answered_at__lt=as_of.moment)
    return {
        "n_open": Count("pk", filter=Q(status=RequestStatus.RECEIVED)),
        # Answered after the end: it was being handled then.
        "n_in_handling": Count(
            "pk", filter=Q(status=RequestStatus.HANDLING) | (Q(status__in=ANSWERED) & ~answered)
        ),
        "n_closed": Count("pk", filter=answered),
        "n_overdue": Count("pk", filter=~answered & Q(due_on__lt=as_of.day)),
    }


def _request_figures(row: dict) -> dict[str, int]:
    return {
        "open": row["n_open"],
        "in_handling": row["n_in_handling"],
        "closed": row["n_closed"],
        "overdue": row["n_overdue"],
    }


NO_REQUESTS = {"open": 0, "in_handling": 0, "closed": 0, "overdue": 0}


def _requests_by_neighbourhood(projects: QuerySet, as_of: AsOf) -> dict[int, dict[str, int]]:
    rows = (
        ResidentRequest.objects.filter(requests_of(projects), received_at__lt=as_of.moment)
        .order_by()
        .values("neighbourhood")
        .annotate(**_request_counts(as_of))
    )
    return {row["neighbourhood"]: _request_figures(row) for row in rows}


def _add_counts(counts: list[dict[str, int]]) -> dict[str, int]:
    total = dict(NO_REQUESTS)
    for one in counts:
        for key in total:
            total[key] += one[key]
    return total


def _finding_counts(as_of: AsOf) -> dict:
    month = as_of.month
    recorded = Q(inspection__date__lte=as_of.through)
    still_open = recorded & (Q(rectified_at__isnull=True) | Q(rectified_at__gte=as_of.moment))
    of_month = Q(inspection__date__gte=month.first, inspection__date__lte=month.last)
    return {
        "n_month": Count("pk", filter=of_month),
        **{
            f"n_{severity}": Count("pk", filter=of_month & Q(severity=severity))
            for severity in Finding.Severity.values
        },
        "n_open": Count("pk", filter=still_open),
        "n_overdue": Count("pk", filter=still_open & Q(deadline__lt=as_of.day)),
    }


def findings(projects: QuerySet, as_of: AsOf) -> dict[int, dict[str, int]]:
    """Per project: ``month`` (findings of its inspections dated in the month), the month's
    findings by severity (``minor``, ``major``, ``critical``), ``open`` and ``overdue`` at
    ``as_of``."""
    rows = (
        Finding.objects.filter(inspection__project__in=_ids(projects))
        .order_by()
        .values(project=F("inspection__project"))
        .annotate(**_finding_counts(as_of))
    )
    return {
        row["project"]: {
            "month": row["n_month"],
            **{severity: row[f"n_{severity}"] for severity in Finding.Severity.values},
            "open": row["n_open"],
            "overdue": row["n_overdue"],
        }
        for row in rows
    }


def dispatches(projects: QuerySet, as_of: AsOf) -> dict[int, datetime.datetime | None]:
    """Per project that has the month's dispatch sheet: when it was reported (None when it
    was not, by ``as_of``)."""
    from .models import Dispatch

    rows = (
        Dispatch.objects.filter(project__in=_ids(projects), month=as_of.month.first)
        .order_by()
        .values_list("project", "submitted_at")
    )
    return {
        project: (submitted if submitted and submitted < as_of.moment else None)
        for project, submitted in rows
    }


def satisfaction(projects: QuerySet, as_of: AsOf) -> dict[int, dict[str, int]]:
    """Per surveyed project: ``households``, ``answered``, ``satisfied`` of its acceptance
    decision when it was taken by ``as_of``, otherwise of its latest survey round opened by
    then (the numbers frozen at its close, or its answers so far while open). Two queries."""
    figures = {}
    later_round = SurveyRound.objects.filter(
        project=OuterRef("project"), number__gt=OuterRef("number"), opened_at__lt=as_of.moment
    )
    satisfied = Q(answers__overall=Satisfaction.SATISFIED)
    basically = Q(answers__overall=Satisfaction.BASICALLY_SATISFIED)
    rounds = (
        SurveyRound.objects.filter(project__in=_ids(projects), opened_at__lt=as_of.moment)
        .filter(~Exists(later_round))
        .order_by()
        .values(
            "project",
            "households",
            "closed_at",
            "answered",
            "satisfied",
            "basically_satisfied_counts",
        )
        .annotate(
            live_answered=Count("answers"),
            live_satisfied=Count("answers", filter=satisfied),
            live_basically=Count("answers", filter=basically),
        )
    )
    for row in rounds:
        if row["closed_at"] is not None and row["closed_at"] < as_of.moment:
            answered, happy = row["answered"], row["satisfied"]
        else:
            answered = row["live_answered"]
            happy = row["live_satisfied"]
            if row["basically_satisfied_counts"]:
                happy += row["live_basically"]
        figures[row["project"]] = {
            "households": row["households"],
            "answered": answered or 0,
            "satisfied": happy or 0,
        }
    decisions = AcceptanceDecision.objects.filter(
        project__in=_ids(projects), decided_at__lt=as_of.moment
    ).values_list("project", "households", "answered", "satisfied")
    for project, households, answered, happy in decisions.order_by():
        figures[project] = {"households": households, "answered": answered, "satisfied": happy}
    return figures


# --- The figures -----------------------------------------------------------------------------


def project_figures(projects: QuerySet, month, *, now=None) -> dict[int, dict]:
    """The figures of each of ``projects`` for ``month`` (see the module's docstring), keyed
    by project id, in the order of the projects' names. Eleven queries, whatever their number.
    """
    as_of = AsOf.of(as_month(month), now)
    rows = _project_rows(projects, as_of)
    merged = merged_compounds(projects)
    completion = _completion(projects)
    outputs = _outputs(projects)
    funds = _funds(projects)
    late = late_milestones(projects, as_of)
    requests = _requests_by_neighbourhood(projects, as_of)
    found = findings(projects, as_of)
    reported = dispatches(projects, as_of)
    surveyed = satisfaction(projects, as_of)
    neighbourhoods = neighbourhood_map(rows, merged)

    figures = {}
    for row in rows:
        pk = row["pk"]
        done = completion.get(pk)
        project_findings = found.get(pk, {})
        figures[pk] = {
            "name": row["name"],
            "neighbourhood": row["neighbourhood_name"],
            "community": row["community_name"],
            "batch_year": row["batch_year"],
            "status": row["status_at"],
            "percent_complete": None if done is None else percent(done * 100),
            "households": row["households"] + sum(m["households"] for m in merged[pk]),
            "people": row["people"] + sum(m["people"] for m in merged[pk]),
            "funds": funds.get(pk, NO_FUNDS),
            "outputs": outputs.get(pk, {}),
            "behind_schedule": bool(late.get(pk))
            and row["status_at"] not in Project.FINISHED_STATUSES,
            "late_milestones": late.get(pk, 0),
            "requests": _add_counts(
                [requests[n] for n in dict.fromkeys(neighbourhoods[pk]) if n in requests]
            ),
            "satisfaction": surveyed.get(pk),
            # None: the project had no sheet that month (not under way), nothing to report.
            "dispatch_reported": (reported[pk] is not None) if pk in reported else None,
            "findings": {
                "month": project_findings.get("month", 0),
                "open": project_findings.get("open", 0),
                "overdue": project_findings.get("overdue", 0),
            },
        }
    return figures


#: The two batches the county's outputs are summed by: the projects accepted (and handed
#: over), and the current batch (every other project past the draft).
BATCHES = ("accepted", "current")


def county_figures(projects: QuerySet, month, *, now=None) -> dict:
    """The county's figures for ``month`` over ``projects`` (those past the draft, as
    ``projects_past_draft`` gives them), summed by the database: ten queries whatever the
    number of projects, and no loop over them."""
    as_of = AsOf.of(as_month(month), now)
    moment = as_of.moment
    ids = _ids(projects)
    by_status = dict(
        Project.objects.filter(pk__in=ids)
        .annotate(status_at=status_of(as_of))
        .order_by()
        .values("status_at")
        .annotate(n=Count("pk"))
        .values_list("status_at", "n")
    )
    finished = Project.objects.filter(pk__in=ids).alias(status_at=status_of(as_of))
    active = finished.filter(status_at__in=Project.ACTIVE_STATUSES)
    finished = finished.filter(status_at__in=Project.FINISHED_STATUSES)
    completion = (
        TaskItem.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(completion=average_completion())
        .values("completion")
    )
    mean = active.annotate(completion=Subquery(completion)).aggregate(
        mean=Avg("completion", output_field=MEAN)
    )["mean"]
    declared = finished.aggregate(
        households=Sum("neighbourhood__household_count", default=0),
        people=Sum("neighbourhood__population", default=0),
    )
    merged = Project.merged_neighbourhoods.through.objects.filter(
        project__in=_ids(finished)
    ).aggregate(
        households=Sum("neighbourhood__household_count", default=0),
        people=Sum("neighbourhood__population", default=0),
    )
    sources = {
        row["source"]: {name: row[f"{name}_sum"] or ZERO for name in AMOUNTS}
        for row in FundingLine.objects.filter(project__in=ids)
        .order_by()
        .values("source")
        .annotate(
            planned_sum=Sum("planned", output_field=TOTAL),
            arrived_sum=Sum("arrived", output_field=TOTAL),
            spent_sum=Sum("spent", output_field=TOTAL),
        )
    }
    decided = AcceptanceDecision.objects.filter(
        project__in=_ids(finished), decided_at__lt=moment
    ).aggregate(
        projects=Count("pk"),
        households=Sum("households", default=0),
        answered=Sum("answered", default=0),
        satisfied=Sum("satisfied", default=0),
    )
    behind = list(late_projects(projects, as_of).order_by("pk").values_list("pk", flat=True))
    requests = ResidentRequest.objects.filter(received_at__lt=moment).aggregate(
        **_request_counts(as_of)
    )
    found = Finding.objects.aggregate(**_finding_counts(as_of))
    return {
        "projects": sum(by_status.values()),
        "by_status": {s: by_status[s] for s in Status.values if by_status.get(s)},
        "percent_complete": None if mean is None else percent(mean * 100),
        "funds": _funds_figures(sources) if sources else NO_FUNDS,
        "outputs": _county_outputs(projects, as_of),
        "households_benefited": declared["households"] + merged["households"],
        "people_benefited": declared["people"] + merged["people"],
        "requests": _request_figures(requests),
        "behind_schedule": behind,
        "satisfaction": decided,
        "findings": {
            "month": found["n_month"],
            "open": found["n_open"],
            "overdue": found["n_overdue"],
        },
    }


def _county_outputs(projects: QuerySet, as_of: AsOf) -> dict:
    """Per catalogue kind that has task items: its place in the catalogue, names and unit, the
    quantities planned and completed, and the same by batch. One query."""
    finished = Q(status_at__in=Project.FINISHED_STATUSES)
    rows = (
        TaskItem.objects.filter(project__in=_ids(projects))
        .annotate(status_at=status_of(as_of, project="project"))
        .order_by()
        .values(
            "kind__code",
            "kind__priority",
            "kind__name_zh",
            "kind__name_en",
            "kind__unit",
            batch=Case(When(finished, then=Value("accepted")), default=Value("current")),
        )
        .annotate(
            planned=Sum("planned_quantity", output_field=TOTAL),
            completed=Sum("completed_quantity", output_field=TOTAL),
        )
        .order_by("kind__priority", "kind__code", "batch")
    )
    outputs = {}
    for row in rows:  # one row per kind and batch: at most twice the catalogue
        kind = outputs.setdefault(
            row["kind__code"],
            {
                "order": len(outputs) + 1,
                "name": row["kind__name_zh"],
                "name_en": row["kind__name_en"],
                "unit": row["kind__unit"],
                "planned": ZERO,
                "completed": ZERO,
                "by_batch": {batch: {"planned": "0.00", "completed": "0.00"} for batch in BATCHES},
            },
        )
        for name in ("planned", "completed"):
            kind[name] += row[name] or ZERO
            kind["by_batch"][row["batch"]][name] = money(row[name])
    for kind in outputs.values():
        kind["planned"], kind["completed"] = money(kind["planned"]), money(kind["completed"])
    return outputs


def live_county_figures(month=None, *, now=None) -> dict:
    """The county's figures of ``month`` (default: the current one) as they stand now."""
    now = now or timezone.now()
    month = as_month(month) if month is not None else Month.current(timezone.localdate(now))
    return county_figures(projects_past_draft(AsOf.of(month, now)), month, now=now)


def recent_county_figures(
    month=None, *, max_age: int | None = None, refresh: bool = False
) -> tuple[dict, datetime.datetime]:
    """The county's figures of ``month`` (default: the current one) as they stood at most
    ``max_age`` seconds ago (default ``settings.ANJU_LIVE_FIGURES_SECONDS``), and when they
    were taken: read from the cache when recent enough, else summed now and kept there.

    So the leader overview reads a snapshot whatever the size of the province, and is never
    staler than ``max_age``; the ``cycle.refresh_figures`` task sums them ahead of readers.
    ``refresh`` sums them now whatever the cache holds. ``max_age`` 0 never caches. With the
    cache unreachable (Redis down) the figures are summed for each reader: slower, not lost.
    """
    now = timezone.now()
    month = as_month(month) if month is not None else Month.current(timezone.localdate(now))
    if max_age is None:
        max_age = settings.ANJU_LIVE_FIGURES_SECONDS
    key = f"anju:county-figures:{month.key}"
    if max_age > 0 and not refresh:
        kept = cache.get(key)  # None when Redis is unreachable (config/cache.py)
        if kept and now - kept["at"] <= datetime.timedelta(seconds=max_age):
            return kept["figures"], kept["at"]
    figures = live_county_figures(month, now=now)
    if max_age > 0:
        # Kept twice as long as it is fresh, so the refresh task's next run finds it there.
        cache.set(key, {"at": now, "figures": figures}, timeout=2 * max_age)
    return figures, now


def live_figures(month=None, *, projects: QuerySet | None = None, now=None) -> dict:
    """The figures of ``month`` (default: the current one) as they stand now:
    ``{"projects": {id: figures}, "county": figures}``. ``projects`` narrows the projects
    (a leader's or a community's scope); the county figures are then those of the narrowed
    projects, but the requests and findings are still the whole county's."""
    now = now or timezone.now()
    month = as_month(month) if month is not None else Month.current(timezone.localdate(now))
    selected = projects_past_draft(AsOf.of(month, now))
    if projects is not None:
        selected = selected.filter(pk__in=_ids(projects))
    return {
        "projects": project_figures(selected, month, now=now),
        "county": county_figures(selected, month, now=now),
    }


def freeze_month(month) -> dict:
    """Write the figures of ``month``, which must be over, as its snapshots: one
    ``ProjectSnapshot`` per project past the draft at its end and its ``CountySnapshot``,
    replacing any of that month (a run again after a failure or a correction leaves one set).
    A fixed number of queries, whatever the number of projects (the inserts are batched by the
    database's limit on parameters). Returns ``{"projects": n}``."""
    month = as_month(month)
    as_of = AsOf.of(month)
    if not as_of.ended:
        raise ValueError(f"{month.key} is not over yet: only a closed month is frozen.")
    with transaction.atomic():
        projects = projects_past_draft(as_of)
        figures = project_figures(projects, month)
        county = county_figures(projects, month)
        ProjectSnapshot.objects.filter(month=month.first).delete()
        ProjectSnapshot.objects.bulk_create(
            ProjectSnapshot(month=month.first, project_id=pk, figures=one)
            for pk, one in figures.items()
        )
        CountySnapshot.objects.filter(month=month.first).delete()
        CountySnapshot.objects.create(month=month.first, figures=county)
    return {"projects": len(figures)}
