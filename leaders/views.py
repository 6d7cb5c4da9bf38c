"""The leader pages (领导看板): the month at a glance, the projects, the ranking and the
inspection report of a month, the records behind every figure, and a project's page. Read-only.

Who may read: logged-in users holding ``residents.view_all_neighbourhoods`` (the county office,
inspectors, leaders and auditors: those who see the whole county); anonymous visitors go to the
login page, anyone else gets 403. No resident's name or phone is shown anywhere: requests are
counted by neighbourhood or project, category and status only.

**Which month.** The current month is live: its county figures are summed by the database
(``cycle.snapshots.live_county_figures``), its lists read the records as they stand. A past
month reads what was frozen at its close (``CountySnapshot``, ``ProjectSnapshot``,
``Ranking``, ``InspectionReport``), so its figures and the lists behind them agree and never
change when records are edited later.

**Speed.** No page loops over the county's projects: the overview reads one set of county
figures; every list is paginated and reads one page. Each page runs a fixed number of queries
whatever the number of projects (pinned in ``tests/test_leaders.py``).
"""

import datetime
from decimal import Decimal

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from acceptance.models import AcceptanceDecision
from cycle import snapshots
from cycle.inspections import report_content
from cycle.models import (
    Bulletin,
    CountySnapshot,
    Dispatch,
    Finding,
    Inspection,
    InspectionReport,
    ProjectSnapshot,
    Ranking,
    RankingCriterion,
)
from cycle.periods import Month
from projects.models import CatalogueKind, FundingLine, Milestone, Photo, Project, TaskItem
from residents.scoping import ALL_NEIGHBOURHOODS_PERMISSION
from surveys import rules as survey_rules
from surveys.models import Discussion, PublicNotice, ResidentRequest

from . import charts
from .figures import BATCHES, change, outputs_by_batch, percent_of, plain, wan

Status = Project.Status

#: Rows per page of the lists: long enough to scroll on a phone, short enough to stay fast.
PAGE_SIZE = 50


def leaders_only(view):
    """Login required (anonymous → the login page), then the county-wide view (else 403);
    GET and HEAD only."""
    return login_required(
        permission_required(ALL_NEIGHBOURHOODS_PERMISSION, raise_exception=True)(
            never_cache(require_safe(view))
        )
    )


class Period:
    """The month a page shows and whether it is live (the current month) or frozen."""

    def __init__(self, month: Month | None):
        self.current = Month.current(timezone.localdate())
        self.month = month or self.current
        if self.month > self.current:
            raise Http404
        self.is_live = self.month == self.current

    def context(self) -> dict:
        return {"month": self.month, "current": self.current, "is_live": self.is_live}


def _county(period: Period) -> dict:
    """The county's figures of the period: summed now for the current month, frozen for a
    past one (404 when that month was never closed)."""
    if period.is_live:
        return snapshots.live_county_figures(period.month)
    return _of_month(CountySnapshot, "figures", period)


def _overview_figures(period: Period) -> tuple[dict, object]:
    """The overview's county figures and when they were taken: for the current month, the
    recent ones (at most ``ANJU_LIVE_FIGURES_SECONDS`` old, see
    ``snapshots.recent_county_figures``); for a past month, its snapshot (None: at its close)."""
    if period.is_live:
        return snapshots.recent_county_figures(period.month)
    return _county(period), None


def _of_month(model, field: str, period: Period):
    """``field`` of the month's one ``model`` record (a snapshot, a report), or 404."""
    value = model.objects.filter(month=period.month.first).values_list(field, flat=True).first()
    if value is None:
        raise Http404
    return value


def _page(request, rows):
    """One page of ``rows`` (``?page=``; out of range gives the last page)."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _frozen(period: Period):
    return ProjectSnapshot.objects.filter(month=period.month.first)


# --- The overview ----------------------------------------------------------------------------


@leaders_only
def overview(request, month: Month | None = None):
    period = Period(month)
    county, taken_at = _overview_figures(period)
    previous = (
        CountySnapshot.objects.filter(month=period.month.previous().first)
        .values_list("figures", flat=True)
        .first()
    ) or {}
    months = [
        Month.of(day)
        for day in CountySnapshot.objects.order_by("-month").values_list("month", flat=True)
    ]
    if period.current not in months:
        months.insert(0, period.current)
    has_bulletin = Bulletin.objects.filter(month=period.month.first).exists()

    before = previous.get("by_status")
    stages = [
        {
            "status": status,
            "label": Status(status).label,
            "count": count,
            "change": change(count, before.get(status, 0) if before is not None else None),
        }
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
    satisfaction = county["satisfaction"]
    was = previous.get("satisfaction")
    requests_now, requests_before = county["requests"], previous.get("requests")
    context = {
        **period.context(),
        "page_name": "overview",
        "taken_at": taken_at,
        "months": months,
        "has_bulletin": has_bulletin,
        "projects_count": county["projects"],
        "projects_change": change(county["projects"], previous.get("projects")),
        "percent_complete": county["percent_complete"],
        "percent_change": change(county["percent_complete"], previous.get("percent_complete")),
        "stages": stages,
        "funds": {name: wan(funds[name]) for name in ("planned", "arrived", "spent")},
        "funds_change": {
            name: change(wan(funds[name]), wan(previous["funds"][name]) if previous else None)
            for name in ("arrived", "spent")
        },
        "sources": sources,
        "outputs": outputs_by_batch(county["outputs"]),
        "households": county["households_benefited"],
        "households_change": change(
            county["households_benefited"], previous.get("households_benefited")
        ),
        "people": county["people_benefited"],
        "satisfaction": satisfaction,
        "satisfied_percent": percent_of(satisfaction["satisfied"], satisfaction["answered"]),
        "satisfied_change": change(
            percent_of(satisfaction["satisfied"], satisfaction["answered"]),
            percent_of(was["satisfied"], was["answered"]) if was else None,
        ),
        "requests": requests_now,
        "requests_change": {
            key: change(requests_now[key], requests_before[key] if requests_before else None)
            for key in requests_now
        },
        "findings": county.get("findings"),
        "behind_count": len(county["behind_schedule"]),
        "behind_change": change(
            len(county["behind_schedule"]),
            len(previous["behind_schedule"]) if previous else None,
        ),
        "batches": BATCHES,
        "stages_chart": charts.stages_chart(
            str(_("Projects by stage")), [(str(s["label"]), s["count"]) for s in stages]
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


# --- The projects of a month -----------------------------------------------------------------


@leaders_only
def project_list(request, month: Month):
    """The month's projects, a page at a time, by name; ``?stage=`` narrows to one stage,
    ``?behind=1`` to those behind schedule. Live for the current month (each page's figures
    computed for its projects only), frozen for a past one."""
    period = Period(month)
    stage = request.GET.get("stage") or None
    if stage is not None and stage not in Status.values:
        raise Http404
    behind = request.GET.get("behind") == "1"
    if period.is_live:
        as_of = snapshots.AsOf.of(period.month)
        projects = snapshots.projects_past_draft(as_of)
        if stage:
            projects = projects.filter(status_then=stage)
        if behind:
            projects = projects.filter(pk__in=snapshots.late_projects(projects, as_of))
        page = _page(request, projects.order_by("name", "pk").values_list("pk", flat=True))
        figures = snapshots.project_figures(
            Project.objects.filter(pk__in=list(page.object_list)), period.month
        )
        rows = [{"pk": pk, **one} for pk, one in figures.items()]
    else:
        frozen = _frozen(period)
        if stage:
            frozen = frozen.filter(figures__status=stage)
        if behind:
            frozen = frozen.filter(figures__behind_schedule=True)
        page = _page(request, frozen.order_by("figures__name", "project_id"))
        rows = [{"pk": one.project_id, **one.figures} for one in page.object_list]
    for row in rows:
        row["stage"] = Status(row["status"]).label
        row["arrived_wan"] = wan(row["funds"]["arrived"])
    context = {
        **period.context(),
        "page_name": "projects",
        "page": page,
        "rows": rows,
        "stage": stage,
        "stage_label": Status(stage).label if stage else None,
        "behind": behind,
        "stages": Status.choices[1:],
    }
    return render(request, "leaders/project_list.html", context)


# --- The ranking and the inspection report of a month ------------------------------------


@leaders_only
def ranking(request, month: Month | None = None):
    """The month's ranking, a page at a time; without a month, the latest month ranked."""
    if month is None:
        latest = Ranking.objects.order_by("-month").values_list("month", flat=True).first()
        if latest is None:
            period = Period(None)
            return render(
                request,
                "leaders/ranking.html",
                {**period.context(), "page_name": "ranking", "page": None},
            )
        return redirect("leaders:ranking_month", Month.of(latest).key)
    period = Period(month)
    rows = (
        Ranking.objects.filter(month=period.month.first)
        .select_related("project__neighbourhood__community")
        .order_by("rank", "project__name", "pk")
    )
    page = _page(request, rows)
    criteria = list(RankingCriterion.objects.order_by("pk").values_list("code", "name"))
    used = {code for row in page.object_list for code in row.scores}
    columns = [(code, name) for code, name in criteria if code in used]
    context = {
        **period.context(),
        "page_name": "ranking",
        "page": page,
        "columns": columns,
        "rows": [
            {
                "ranking": row,
                "scores": [row.scores.get(code) for code, _name in columns],
            }
            for row in page.object_list
        ],
        "months": [
            Month.of(day)
            for day in Ranking.objects.order_by("-month")
            .values_list("month", flat=True)
            .distinct()[:24]
        ],
    }
    return render(request, "leaders/ranking.html", context)


@leaders_only
def inspections(request, month: Month | None = None):
    """The month's inspection report: as produced at its close for a past month, as it
    stands so far for the current one."""
    period = Period(month)
    if period.is_live:
        content = report_content(period.month)
    else:
        content = _of_month(InspectionReport, "content", period)
    categories = [
        {
            "label": Finding.Category(code).label,
            "total": counts["total"],
            "by_severity": [counts[severity] for severity in Finding.Severity.values],
        }
        for code, counts in content["findings"]["by_category"].items()
        if counts["total"]
    ]
    overdue = []
    today = timezone.localdate()
    for item in content["overdue"]["items"]:
        if period.is_live:
            # The report counts to the month's end; so far, what is overdue is due before today.
            deadline = datetime.date.fromisoformat(item["deadline"])
            if deadline >= today:
                continue
            item = {**item, "days_overdue": (today - deadline).days}
        overdue.append(
            {
                **item,
                "category_label": Finding.Category(item["category"]).label,
                "severity_label": Finding.Severity(item["severity"]).label,
            }
        )
    context = {
        **period.context(),
        "page_name": "inspections",
        "content": content,
        "severities": Finding.Severity.labels,
        "categories": categories,
        "overdue": overdue,
        "overdue_count": len(overdue),
    }
    return render(request, "leaders/inspections.html", context)


# --- Drill-downs: the records behind a figure ------------------------------------------------


def _batch(request) -> str:
    batch = request.GET.get("batch", "accepted")
    return batch if batch in BATCHES else "accepted"


@leaders_only
def output_items(request, month: Month, code: str):
    """What adds up to a kind of work's total in one batch: the task items as they stand
    (the current month), or the projects' quantities as frozen (a past month)."""
    period = Period(month)
    kind = get_object_or_404(CatalogueKind, code=code)
    batch = _batch(request)
    statuses = BATCHES[batch]["statuses"]
    if period.is_live:
        projects = snapshots.projects_past_draft(snapshots.AsOf.of(period.month)).filter(
            status_then__in=statuses
        )
        items = TaskItem.objects.filter(kind=kind, project__in=projects.values("pk"))
        totals = items.aggregate(
            planned=Sum("planned_quantity", default=0),
            completed=Sum("completed_quantity", default=0),
            count=Count("pk"),
        )
        page = _page(
            request,
            items.select_related("project__neighbourhood__community").order_by(
                "project__name", "pk"
            ),
        )
        rows = [
            {
                "project_id": item.project_id,
                "project": item.project.name,
                "community": item.project.neighbourhood.community.name,
                "description": item.description,
                "planned": plain(item.planned_quantity),
                "completed": plain(item.completed_quantity),
            }
            for item in page.object_list
        ]
    else:
        county = _county(period)
        frozen = _frozen(period).filter(
            figures__status__in=list(statuses), **{"figures__outputs__has_key": code}
        )
        page = _page(request, frozen.order_by("figures__name", "project_id"))
        rows = [
            {
                "project_id": one.project_id,
                "project": one.figures["name"],
                "community": one.figures["community"],
                "description": "",
                "planned": plain(one.figures["outputs"][code]["planned"]),
                "completed": plain(one.figures["outputs"][code]["completed"]),
            }
            for one in page.object_list
        ]
        summed = county["outputs"].get(code, {}).get("by_batch", {}).get(batch, {})
        totals = {
            "planned": summed.get("planned", 0),
            "completed": summed.get("completed", 0),
            "count": page.paginator.count,
        }
    context = {
        **period.context(),
        "described": any(row["description"] for row in rows),
        "kind": kind,
        "batch": batch,
        "batch_label": BATCHES[batch]["label"],
        "batches": BATCHES,
        "page": page,
        "rows": rows,
        "planned": plain(totals["planned"]),
        "completed": plain(totals["completed"]),
        "count": totals["count"],
    }
    return render(request, "leaders/output_items.html", context)


@leaders_only
def funding_lines(request, month: Month):
    """The money behind the funds' figures, optionally of one source: the funding lines as
    they stand (the current month) or each project's frozen amounts (a past month)."""
    period = Period(month)
    source = request.GET.get("source") or None
    if source is not None and source not in FundingLine.Source.values:
        raise Http404
    if period.is_live:
        projects = snapshots.projects_past_draft(snapshots.AsOf.of(period.month))
        lines = FundingLine.objects.filter(project__in=projects.values("pk"))
        if source:
            lines = lines.filter(source=source)
        totals = lines.totals()
        page = _page(request, lines.select_related("project").order_by("project__name", "pk"))
        rows = [
            {
                "project_id": line.project_id,
                "project": line.project.name,
                "source": line.get_source_display(),
                "description": line.description,
                "planned": line.planned,
                "arrived": line.arrived,
                "spent": line.spent,
            }
            for line in page.object_list
        ]
    else:
        county = _county(period)
        frozen = _frozen(period)
        if source:
            frozen = frozen.filter(**{"figures__funds__by_source__has_key": source})
        page = _page(request, frozen.order_by("figures__name", "project_id"))
        rows = []
        for one in page.object_list:
            funds = one.figures["funds"]
            amounts = funds["by_source"][source] if source else funds
            rows.append(
                {
                    "project_id": one.project_id,
                    "project": one.figures["name"],
                    "source": FundingLine.Source(source).label if source else _("All sources"),
                    "description": "",
                    **{name: Decimal(amounts[name]) for name in ("planned", "arrived", "spent")},
                }
            )
        summed = county["funds"]["by_source"].get(source, {}) if source else county["funds"]
        totals = {name: Decimal(summed.get(name, 0)) for name in ("planned", "arrived", "spent")}
    context = {
        **period.context(),
        "described": any(row["description"] for row in rows),
        "source": source,
        "source_label": FundingLine.Source(source).label if source else None,
        "sources": FundingLine.Source.choices,
        "page": page,
        "rows": rows,
        "totals": totals,
    }
    return render(request, "leaders/funding_lines.html", context)


REQUEST_GROUPS = {
    "open": Q(status=ResidentRequest.Status.RECEIVED),
    "in_handling": Q(status=ResidentRequest.Status.HANDLING),
    "closed": Q(status__in=(ResidentRequest.Status.ANSWERED, ResidentRequest.Status.CLOSED)),
}


def _request_counts(today) -> dict:
    answered = REQUEST_GROUPS["closed"]
    return {
        "open": Count("pk", filter=REQUEST_GROUPS["open"]),
        "in_handling": Count("pk", filter=REQUEST_GROUPS["in_handling"]),
        "closed": Count("pk", filter=answered),
        "overdue": Count("pk", filter=~answered & Q(due_on__lt=today)),
    }


@leaders_only
def requests(request, month: Month):
    """Residents' requests counted, no personal data: by neighbourhood as they stand (the
    current month), or by project as frozen (a past month; the requests of neighbourhoods
    without a project count in the county's total only)."""
    period = Period(month)
    if period.is_live:
        counts = _request_counts(timezone.localdate())
        totals = ResidentRequest.objects.aggregate(**counts)
        page = _page(
            request,
            ResidentRequest.objects.order_by()
            .values("neighbourhood", name=F("neighbourhood__name"))
            .annotate(**counts)
            .order_by("neighbourhood__name", "neighbourhood"),
        )
        rows = list(page.object_list)
    else:
        totals = _county(period)["requests"]
        page = _page(request, _frozen(period).order_by("figures__name", "project_id"))
        rows = [
            {"project_id": one.project_id, "name": one.figures["name"], **one.figures["requests"]}
            for one in page.object_list
        ]
    context = {**period.context(), "page": page, "rows": rows, "totals": totals}
    return render(request, "leaders/requests.html", context)


# --- A project's page ------------------------------------------------------------------------


def milestone_timeline(milestones, today) -> dict:
    """Each milestone against its plan, and today's place: ``rows`` with ``state`` ``done``
    (on time), ``late`` (done after its plan), ``overdue`` (planned before today, not done) or
    ``pending``, ``days`` late or overdue, and ``planned_at`` / ``actual_at`` placing its
    dates along the timeline (0–100); ``today_at`` places today."""
    dates = [d for m in milestones for d in (m.planned_date, m.actual_date) if d] + [today]
    first, last = min(dates), max(dates)
    span = max((last - first).days, 1)

    def position(day):
        return None if day is None else round((day - first).days * 100 / span, 1)

    rows = []
    for m in milestones:
        planned, actual = m.planned_date, m.actual_date
        if actual is not None:
            days = (actual - planned).days if planned else 0
            state = "late" if days > 0 else "done"
        elif planned is not None and planned < today:
            days, state = (today - planned).days, "overdue"
        else:
            days, state = 0, "pending"
        rows.append(
            {
                "milestone": m,
                "label": m.get_kind_display(),
                "state": state,
                "days": max(days, 0),
                "planned_at": position(planned),
                "actual_at": position(actual),
                "planned_title": f"{m.get_kind_display()} · {_('planned')} {planned or '—'}",
                "actual_title": f"{m.get_kind_display()} · {_('actual')} {actual or '—'}",
            }
        )
    ticks, month = [], Month.of(first).next()
    while month.first <= last:
        ticks.append((position(month.first), month.first.strftime("%y-%m")))
        month = month.next()
    step = max(1, len(ticks) // 5)  # about five months named along the axis
    return {"rows": rows, "today_at": position(today), "ticks": ticks[::step]}


@leaders_only
def project_detail(request, pk: int):
    project = get_object_or_404(
        Project.objects.select_related("neighbourhood__community").exclude(status=Status.DRAFT),
        pk=pk,
    )
    today = timezone.localdate()
    visited, households = survey_rules.household_coverage(survey_rules.project_households(project))
    discussions = list(Discussion.objects.filter(project=project).order_by("held_on", "pk"))
    notices = list(PublicNotice.objects.filter(project=project).order_by("posted_on", "pk"))
    milestones = list(Milestone.objects.filter(project=project).order_by("planned_date", "pk"))
    dispatches = list(Dispatch.objects.filter(project=project).order_by("month"))
    inspections_done = list(
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
    timeline = milestone_timeline(milestones, today)
    neighbourhoods = Q(neighbourhood=project.neighbourhood_id) | Q(
        neighbourhood__in=project.merged_neighbourhoods.values("pk")
    )
    request_counts = ResidentRequest.objects.filter(neighbourhoods).aggregate(
        **_request_counts(today)
    )
    context = {
        **Period(None).context(),
        "project": project,
        "visited": visited,
        "households": households,
        "visited_percent": percent_of(visited, households),
        "discussions": discussions,
        "notices": notices,
        "milestones": timeline["rows"],
        "timeline_chart": charts.timeline_chart(
            timeline["rows"],
            today_at=timeline["today_at"],
            ticks=timeline["ticks"],
            labels={"title": _("Milestones, planned and actual"), "today": _("today")},
        )
        if milestones
        else None,
        "dispatches": dispatches,
        "inspections": inspections_done,
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
