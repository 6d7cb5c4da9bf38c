"""The leader pages (领导看板): the month at a glance, the records behind every figure, and a
project's page. Read-only.

Who may read: logged-in users holding ``residents.view_all_neighbourhoods`` (the county office,
inspectors, leaders and auditors: those who see the whole county); anonymous visitors go to the
login page, anyone else gets 403. No resident's name or phone is shown anywhere: requests are
counted and listed by neighbourhood, category and status only.

The current month is live (``cycle.snapshots.live_figures``); a past month reads its frozen
snapshots (``CountySnapshot``, ``ProjectSnapshot``). Each page runs a fixed number of queries
whatever the number of projects; the sums by batch are made from the figures already read.
"""

from decimal import Decimal

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from acceptance.models import AcceptanceDecision
from cycle.models import Bulletin, CountySnapshot, Dispatch, Inspection, ProjectSnapshot
from cycle.periods import Month
from cycle.snapshots import live_figures
from projects.models import CatalogueKind, FundingLine, Milestone, Photo, Project, TaskItem
from residents.scoping import ALL_NEIGHBOURHOODS_PERMISSION
from surveys import rules as survey_rules
from surveys.models import Discussion, PublicNotice, ResidentRequest

from . import charts
from .figures import (
    BATCHES,
    change,
    outputs_by_batch,
    plain,
    wan,
)

Status = Project.Status


def leaders_only(view):
    """Login required (anonymous → the login page), then the county-wide view (else 403);
    GET and HEAD only."""
    return login_required(
        permission_required(ALL_NEIGHBOURHOODS_PERMISSION, raise_exception=True)(
            never_cache(require_safe(view))
        )
    )


def _month_figures(month: Month, current: Month) -> tuple[dict, dict] | None:
    """``(county, projects)`` figures of ``month``: live for the current month, else frozen
    (None when the month was never frozen). Two queries for a past month."""
    if month == current:
        live = live_figures(month)
        return live["county"], live["projects"]
    snapshot = CountySnapshot.objects.filter(month=month.first).first()
    if snapshot is None:
        return None
    projects = dict(
        ProjectSnapshot.objects.filter(month=month.first).values_list("project_id", "figures")
    )
    return snapshot.figures, projects


@leaders_only
def overview(request, month: Month | None = None):
    current = Month.current(timezone.localdate())
    month = month or current
    if month > current:
        raise Http404
    found = _month_figures(month, current)
    if found is None:
        raise Http404
    county, projects = found
    previous = (
        CountySnapshot.objects.filter(month=month.previous().first)
        .values_list("figures", flat=True)
        .first()
    )
    months = [
        Month.of(day)
        for day in CountySnapshot.objects.order_by("-month").values_list("month", flat=True)
    ]
    if current not in months:
        months.insert(0, current)
    has_bulletin = Bulletin.objects.filter(month=month.first).exists()

    before = previous["by_status"] if previous else None
    stages = [
        (Status(status).label, count, change(count, before.get(status, 0) if before else None))
        for status, count in county["by_status"].items()
    ]
    funds = county["funds"]
    sources = [
        {
            "source": source,
            "label": FundingLine.Source(source).label,
            **{name: wan(amounts[name]) for name in ("planned", "arrived", "spent")},
        }
        for source, amounts in funds["by_source"].items()
    ]
    outputs = outputs_by_batch(county["outputs"], projects)
    project_rows = sorted(
        (
            {
                "pk": pk,
                "name": one["name"],
                "community": one["community"],
                "stage": Status(one["status"]).label,
                "percent_complete": one["percent_complete"],
                "behind_schedule": one["behind_schedule"],
            }
            for pk, one in projects.items()
        ),
        key=lambda row: (row["name"], row["pk"]),
    )
    satisfaction = county["satisfaction"]
    behind = county["behind_schedule"]
    prev = previous or {}
    context = {
        "month": month,
        "current": current,
        "is_live": month == current,
        "months": months,
        "has_bulletin": has_bulletin,
        "county": county,
        "projects_count": county["projects"],
        "projects_change": change(county["projects"], prev.get("projects")),
        "percent_complete": county["percent_complete"],
        "percent_change": change(county["percent_complete"], prev.get("percent_complete")),
        "stages": stages,
        "funds": {name: wan(funds[name]) for name in ("planned", "arrived", "spent")},
        "funds_change": {
            name: change(wan(funds[name]), wan(prev["funds"][name]) if prev else None)
            for name in ("arrived", "spent")
        },
        "sources": sources,
        "outputs": outputs,
        "project_rows": project_rows,
        "households": county["households_benefited"],
        "households_change": change(
            county["households_benefited"], prev.get("households_benefited")
        ),
        "people": county["people_benefited"],
        "satisfaction": satisfaction,
        "satisfied_percent": _percent(satisfaction["satisfied"], satisfaction["answered"]),
        "turnout_percent": _percent(satisfaction["answered"], satisfaction["households"]),
        "requests": county["requests"],
        "behind_count": len(behind),
        "behind_change": change(len(behind), len(prev["behind_schedule"]) if prev else None),
        "batches": BATCHES,
        "stages_chart": charts.stages_chart(
            str(_("Projects by stage")), [(str(label), count) for label, count, _delta in stages]
        ),
        "funds_chart": charts.funds_chart(
            str(_("Funds by source (10,000 yuan)")),
            {
                str(pgettext_lazy("money", "Planned")): [float(s["planned"]) for s in sources],
                str(_("Arrived")): [float(s["arrived"]) for s in sources],
                str(_("Spent")): [float(s["spent"]) for s in sources],
            },
            [str(s["label"]) for s in sources],
        ),
    }
    return render(request, "leaders/overview.html", context)


def _percent(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return f"{Decimal(part * 100) / Decimal(whole):.1f}"


# --- Drill-downs: the records behind a figure (live) ---------------------------------------


@leaders_only
def output_items(request, code: str):
    """The task items of one catalogue kind that add up to its total, for one batch."""
    kind = get_object_or_404(CatalogueKind, code=code)
    batch = request.GET.get("batch", "accepted")
    if batch not in BATCHES:
        batch = "accepted"
    items = list(
        TaskItem.objects.filter(kind=kind, project__status__in=BATCHES[batch]["statuses"])
        .select_related("project__neighbourhood__community")
        .order_by("project__name", "pk")
    )
    context = {
        "kind": kind,
        "batch": batch,
        "batch_label": BATCHES[batch]["label"],
        "batches": BATCHES,
        "items": items,
        "planned": plain(sum((i.planned_quantity for i in items), Decimal(0))),
        "completed": plain(sum((i.completed_quantity for i in items), Decimal(0))),
    }
    return render(request, "leaders/output_items.html", context)


@leaders_only
def funding_lines(request):
    """The funding lines behind the money figures, optionally of one source (live: the
    projects past the draft)."""
    source = request.GET.get("source") or None
    if source is not None and source not in FundingLine.Source.values:
        raise Http404
    lines = FundingLine.objects.exclude(project__status=Status.DRAFT)
    if source:
        lines = lines.filter(source=source)
    lines = list(lines.select_related("project__neighbourhood").order_by("project__name", "pk"))
    context = {
        "source": source,
        "source_label": FundingLine.Source(source).label if source else None,
        "lines": lines,
        "totals": {
            name: sum((getattr(line, name) for line in lines), Decimal(0))
            for name in ("planned", "arrived", "spent")
        },
    }
    return render(request, "leaders/funding_lines.html", context)


@leaders_only
def behind_schedule(request):
    """The projects behind their plan today, with their late milestones."""
    today = timezone.localdate()
    projects = list(
        Project.objects.behind_schedule(today)
        .select_related("neighbourhood__community")
        .annotate(
            late=Count(
                "milestones",
                filter=Q(milestones__planned_date__lt=today, milestones__actual_date__isnull=True),
            )
        )
        .order_by("name", "pk")
    )
    return render(request, "leaders/behind_schedule.html", {"projects": projects})


REQUEST_GROUPS = {
    "open": Q(status=ResidentRequest.Status.RECEIVED),
    "in_handling": Q(status=ResidentRequest.Status.HANDLING),
    "closed": Q(status__in=(ResidentRequest.Status.ANSWERED, ResidentRequest.Status.CLOSED)),
}


@leaders_only
def requests(request):
    """Residents' requests counted by neighbourhood and status (no personal data): the rows
    behind the overview's request figures, as they stand now."""
    today = timezone.localdate()
    answered = REQUEST_GROUPS["closed"]
    rows = list(
        ResidentRequest.objects.order_by()
        .values("neighbourhood", neighbourhood_name=F("neighbourhood__name"))
        .annotate(
            open=Count("pk", filter=REQUEST_GROUPS["open"]),
            in_handling=Count("pk", filter=REQUEST_GROUPS["in_handling"]),
            closed=Count("pk", filter=answered),
            overdue=Count("pk", filter=~answered & Q(due_on__lt=today)),
        )
        .order_by("neighbourhood__name")
    )
    totals = {
        key: sum(row[key] for row in rows) for key in ("open", "in_handling", "closed", "overdue")
    }
    return render(request, "leaders/requests.html", {"rows": rows, "totals": totals})


# --- A project's page ------------------------------------------------------------------------


@leaders_only
def project_detail(request, pk: int):
    project = get_object_or_404(Project.objects.select_related("neighbourhood__community"), pk=pk)
    visited, households = survey_rules.household_coverage(survey_rules.project_households(project))
    discussions = list(Discussion.objects.filter(project=project).order_by("held_on", "pk"))
    notices = list(PublicNotice.objects.filter(project=project).order_by("posted_on", "pk"))
    milestones = list(Milestone.objects.filter(project=project).order_by("planned_date", "pk"))
    dispatches = list(Dispatch.objects.filter(project=project).order_by("month"))
    inspections = list(
        Inspection.objects.filter(project=project)
        .annotate(findings_count=Count("findings"))
        .order_by("date", "pk")
    )
    decision = AcceptanceDecision.objects.filter(project=project).first()
    photos = list(Photo.objects.filter(project=project, is_public=True).order_by("stage", "pk"))
    items = list(
        TaskItem.objects.filter(project=project)
        .select_related("kind")
        .order_by("kind__priority", "pk")
    )
    funds = list(FundingLine.objects.filter(project=project).order_by("pk"))
    neighbourhoods = Q(neighbourhood=project.neighbourhood_id) | Q(
        neighbourhood__in=project.merged_neighbourhoods.values("pk")
    )
    answered = REQUEST_GROUPS["closed"]
    request_counts = ResidentRequest.objects.filter(neighbourhoods).aggregate(
        open=Count("pk", filter=REQUEST_GROUPS["open"]),
        in_handling=Count("pk", filter=REQUEST_GROUPS["in_handling"]),
        closed=Count("pk", filter=answered),
        overdue=Count("pk", filter=~answered & Q(due_on__lt=timezone.localdate())),
    )
    context = {
        "project": project,
        "visited": visited,
        "households": households,
        "discussions": discussions,
        "notices": notices,
        "milestones": milestones,
        "dispatches": dispatches,
        "inspections": inspections,
        "decision": decision,
        "before": [p for p in photos if p.stage == Photo.Stage.BEFORE],
        "after": [p for p in photos if p.stage == Photo.Stage.AFTER],
        "items": items,
        "funds": funds,
        "funds_total": {
            name: sum((getattr(line, name) for line in funds), Decimal(0))
            for name in ("planned", "arrived", "spent")
        },
        "request_counts": request_counts,
    }
    return render(request, "leaders/project_detail.html", context)
