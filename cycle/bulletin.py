"""一月一通报: the month's bulletin to the county leaders.

``produce_bulletin(month)`` reads what the month close froze — the county's and each project's
figures (``CountySnapshot``, ``ProjectSnapshot``), the month's ranking and its inspection
report — and keeps the bulletin's content as JSON on ``Bulletin`` (one row per month), with
its .docx (``cycle.bulletin_docx``) and .xlsx (``cycle.bulletin_xlsx``). The page, the .docx
and the .xlsx all show that content, so they say the same thing; a later edit of a record
changes none of them. Producing a month again replaces its content and files: the row is
updated, never duplicated, and the old files are removed from storage once the new ones are
committed.

Whatever part is missing (no snapshot, no ranking, no inspection report yet) is left out and
named in ``content["missing"]``; the rest is produced. Changes are against the previous
month's snapshots when they exist. The reads are a fixed handful of queries, whatever the
number of projects.

The content (decimals as strings, to stay exact in JSON)::

    {"month": "2026-11", "year": 2026, "number": 11, "title": …, "issuer": …, "county": …,
     "generated_on": "2026-12-01", "previous_month": "2026-10" | None, "missing": [...],
     "headline": {"projects", "projects_change", "by_status": [{"status", "count", "change"}],
                  "percent_complete", "percent_complete_change",
                  "funds": {"planned", "arrived", "spent"}, "funds_change": {…},
                  "funds_by_source": [{"source", "planned", "arrived", "spent"}],
                  "outputs": [{"kind", "name", "name_en", "unit", "planned", "completed",
                               "percent", "completed_change"}],
                  "households_benefited", "households_benefited_change", "people_benefited",
                  "people_benefited_change", "behind_schedule", "requests", "satisfaction"}
                 | None,
     "projects": [{"id", "name", "neighbourhood", "community", "status", "percent_complete",
                   "percent_change", "planned", "arrived", "spent", "behind_schedule",
                   "late_milestones", "dispatch_reported", "findings_month", "findings_open",
                   "findings_overdue", "requests_overdue", "rank", "total"}],
     "behind_schedule": [{"id", "name", "community", "status", "late_milestones",
                          "percent_complete"}],
     "criteria": [{"code", "name", "weight"}],
     "ranking": [{"rank", "project_id", "name", "community", "total", "scores": {code: str}}],
     "inspection": {"inspections", "by_severity": [{"severity", "count"}],
                    "findings": [{"project_id", "project", "community", "date", "category",
                                  "severity", "description", "deadline", "rectified",
                                  "days_overdue"}],
                    "overdue": [...], "rectified": int} | None}
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import CatalogueKind, FundingLine, Project
from projects.querysets import share_of
from residents.models import Region

from .models import (
    Bulletin,
    CountySnapshot,
    Finding,
    InspectionReport,
    JobRun,
    ProjectSnapshot,
    Ranking,
    RankingCriterion,
)
from .periods import Month

#: The title when the county's name is unknown (no county in the register yet).
NEUTRAL_TITLE = "城镇老旧小区改造工作月度通报"
NEUTRAL_ISSUER = "城镇老旧小区改造工作领导小组办公室"

#: The parts of a bulletin that may be missing, and what the page says about each.
MISSING = {
    "county": _("The county's figures of this month were not frozen."),
    "projects": _("No project's figures were frozen for this month."),
    "ranking": _("This month's ranking has not been made."),
    "inspection": _("This month's inspection report has not been produced."),
}

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


# --- Numbers ----------------------------------------------------------------------------------


def decimal(value) -> Decimal | None:
    """A stored decimal ("312.00", 312, None) as a ``Decimal``; None when there is none."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _change(now, before) -> str | None:
    """``now − before`` as a decimal string, or None when either is unknown."""
    now, before = decimal(now), decimal(before)
    if now is None or before is None:
        return None
    return str(now - before)


def _int_change(now, before) -> int | None:
    if now is None or before is None:
        return None
    return int(now) - int(before)


def percent(part, whole) -> str | None:
    """``part`` as a percentage of ``whole`` to one decimal ("63.5"), None when whole is 0."""
    part, whole = decimal(part), decimal(whole)
    if part is None or not whole:
        return None
    return str((share_of(part, whole, 3) * 100).quantize(TENTH))


def wan(yuan) -> str:
    """Yuan as 万元 to two decimals ("31.25" for 312,500 yuan), "—" when unknown."""
    amount = decimal(yuan)
    if amount is None:
        return "—"
    return str((amount / 10000).quantize(CENT, ROUND_HALF_UP))


def signed(change) -> str:
    """A change with its sign ("+3", "-1.5", "0"); "—" when there is nothing to compare."""
    value = decimal(change)
    if value is None:
        return "—"
    text = f"{value.normalize():f}" if value == value.to_integral() else str(value)
    if value > 0:
        return f"+{text}"
    return "0" if value == 0 else text


# --- Labels (in the active language) ----------------------------------------------------------


def _label(choices, code) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code or "")


def status_label(code) -> str:
    return _label(Project.Status, code)


def source_label(code) -> str:
    return _label(FundingLine.Source, code)


def unit_label(code) -> str:
    return _label(CatalogueKind.Unit, code)


def category_label(code) -> str:
    return _label(Finding.Category, code)


def severity_label(code) -> str:
    return _label(Finding.Severity, code)


# --- The content ------------------------------------------------------------------------------


def county_name() -> str | None:
    return (
        Region.objects.filter(level=Region.Level.COUNTY, parent__isnull=True)
        .order_by("pk")
        .values_list("name", flat=True)
        .first()
    )


def titles(county: str | None) -> tuple[str, str]:
    """The bulletin's title and issuer: the county's own ("石泉县城镇老旧小区改造工作月度通报")
    or, with no county in the register, a neutral one."""
    if not county:
        return NEUTRAL_TITLE, NEUTRAL_ISSUER
    return f"{county}{NEUTRAL_TITLE}", f"{county}{NEUTRAL_ISSUER}"


def _ordered(codes, order) -> list:
    """``codes`` in the order of ``order``, unknown codes after them in their own order."""
    rank = {code: index for index, code in enumerate(order)}
    return sorted(codes, key=lambda code: (rank.get(code, len(rank)), str(code)))


def _funds(figures) -> dict:
    funds = (figures or {}).get("funds") or {}
    return {key: funds.get(key) for key in ("planned", "arrived", "spent")}


def _headline(county: dict, before: dict | None) -> dict:
    before = before or {}
    by_status, before_status = county.get("by_status") or {}, before.get("by_status")
    statuses = set(by_status) | set(before_status or {})
    funds, before_funds = _funds(county), _funds(before) if before else None
    by_source = (county.get("funds") or {}).get("by_source") or {}
    outputs, before_outputs = county.get("outputs") or {}, before.get("outputs")
    output_order = list(outputs)  # the snapshot keeps the catalogue's order
    return {
        "projects": county.get("projects"),
        "projects_change": _int_change(county.get("projects"), before.get("projects")),
        "by_status": [
            {
                "status": status,
                "count": by_status.get(status, 0),
                "change": None
                if before_status is None
                else by_status.get(status, 0) - before_status.get(status, 0),
            }
            for status in _ordered(statuses, Project.Status.values)
        ],
        "percent_complete": county.get("percent_complete"),
        "percent_complete_change": _change(
            county.get("percent_complete"), before.get("percent_complete")
        ),
        "funds": funds,
        "funds_change": {
            key: _change(value, before_funds[key]) if before_funds else None
            for key, value in funds.items()
        },
        "funds_by_source": [
            {"source": source, **{key: by_source[source].get(key) for key in funds}}
            for source in _ordered(by_source, FundingLine.Source.values)
        ],
        "outputs": [
            {
                "kind": kind,
                "name": outputs[kind].get("name") or kind,
                "name_en": outputs[kind].get("name_en") or outputs[kind].get("name") or kind,
                "unit": outputs[kind].get("unit") or "",
                "planned": outputs[kind].get("planned"),
                "completed": outputs[kind].get("completed"),
                "percent": percent(outputs[kind].get("completed"), outputs[kind].get("planned")),
                "completed_change": _change(
                    outputs[kind].get("completed"),
                    (before_outputs.get(kind) or {}).get("completed", "0")
                    if before_outputs is not None
                    else None,
                ),
            }
            for kind in output_order
        ],
        "households_benefited": county.get("households_benefited"),
        "households_benefited_change": _int_change(
            county.get("households_benefited"), before.get("households_benefited")
        ),
        "people_benefited": county.get("people_benefited"),
        "people_benefited_change": _int_change(
            county.get("people_benefited"), before.get("people_benefited")
        ),
        "behind_schedule": len(county.get("behind_schedule") or []),
        "requests": county.get("requests"),
        "satisfaction": county.get("satisfaction"),
    }


def _score(value) -> str | None:
    """A criterion's score as the ranking stored it: a number, or ``{"score": …}``."""
    if isinstance(value, dict):
        value = value.get("score")
    return _text(decimal(value))


def _finding(item, names: dict) -> dict:
    """One finding of the inspection report, in the bulletin's words (the report's shape is
    read loosely: a missing key is left empty)."""
    item = item if isinstance(item, dict) else {"description": str(item)}
    project = item.get("project")
    project_id = item.get("project_id") or (project if isinstance(project, int) else None)
    if isinstance(project, dict):
        project_id = project_id or project.get("id")
        project = project.get("name")
    name = item.get("project_name") or (project if isinstance(project, str) else None)
    return {
        "project_id": project_id,
        "project": name or names.get(project_id, ""),
        "community": item.get("community") or "",
        "date": item.get("inspected_on") or item.get("date") or "",
        "category": item.get("category") or "",
        "severity": item.get("severity") or "",
        "description": item.get("description") or item.get("finding") or "",
        "deadline": item.get("deadline") or "",
        "rectified": bool(item.get("rectified_on") or item.get("rectified")),
        "days_overdue": item.get("days_overdue"),
    }


def _items(part) -> list:
    """The rows of a part of the report: ``{"items": [...]}`` or a plain list."""
    if isinstance(part, dict):
        part = part.get("items")
    return part if isinstance(part, list) else []


def _inspection(content: dict | None, names: dict) -> dict | None:
    """The month's inspection report (``cycle.inspections.report_content``) as the bulletin
    shows it: how many inspections, the findings by severity, the findings and the overdue
    rectifications, and how many were rectified in the month."""
    if content is None:
        return None
    inspections = content.get("inspections")
    if isinstance(inspections, list):
        inspections = len(inspections)
    findings, overdue = content.get("findings") or {}, content.get("overdue") or {}
    rectified = content.get("rectified") or {}
    by_severity = findings.get("by_severity") if isinstance(findings, dict) else None
    return {
        "inspections": inspections if isinstance(inspections, int) else None,
        "by_severity": [
            {"severity": severity, "count": by_severity[severity]}
            for severity in _ordered(by_severity, Finding.Severity.values)
        ]
        if by_severity
        else [],
        "findings": [_finding(item, names) for item in _items(findings)],
        "overdue": [_finding(item, names) for item in _items(overdue)],
        "rectified": len(_items(rectified)),
    }


def bulletin_content(month: Month) -> dict:
    """The content of ``month``'s bulletin, from what the month close froze."""
    previous = month.previous()
    counties = dict(
        CountySnapshot.objects.filter(month__in=[month.first, previous.first]).values_list(
            "month", "figures"
        )
    )
    county, before = counties.get(month.first), counties.get(previous.first)
    snapshots = list(
        ProjectSnapshot.objects.filter(month=month.first).values_list("project_id", "figures")
    )
    before_percent = dict(
        ProjectSnapshot.objects.filter(month=previous.first).values_list(
            "project_id", "figures__percent_complete"
        )
    )
    ranking = list(
        Ranking.objects.filter(month=month.first)
        .order_by("rank", "project_id")
        .values_list("project_id", "project__name", "rank", "total", "scores")
    )
    criteria = list(
        RankingCriterion.objects.filter(active=True).values_list("code", "name", "weight")
    )
    # The weights the month's ranking was scored with (kept on its close's run), not those
    # of today, when the bulletin is produced again after a weight was changed.
    used = (
        JobRun.objects.filter(job=JobRun.Job.CLOSE_MONTH, period=month.key, state="done")
        .values_list("summary", flat=True)
        .first()
    ) or {}
    used = (used.get("ranking") or {}).get("weights")
    if used:
        names = dict(RankingCriterion.objects.order_by("pk").values_list("code", "name"))
        order = {code: index for index, code in enumerate(names)}
        criteria = [
            (code, names.get(code, code), Decimal(weight))
            for code, weight in sorted(used.items(), key=lambda item: order.get(item[0], 99))
        ]
    report = (
        InspectionReport.objects.filter(month=month.first).values_list("content", flat=True)
    ).first()
    region = county_name()
    title, issuer = titles(region)

    by_project = {project_id: figures or {} for project_id, figures in snapshots}
    ranks = {row[0]: (row[2], row[3]) for row in ranking}
    behind_ids = set((county or {}).get("behind_schedule") or [])
    projects = []
    for project_id, figures in by_project.items():
        funds = _funds(figures)
        findings = figures.get("findings") or {}
        rank, total = ranks.get(project_id, (None, None))
        projects.append(
            {
                "id": project_id,
                "name": figures.get("name") or "",
                "neighbourhood": figures.get("neighbourhood") or "",
                "community": figures.get("community") or "",
                "status": figures.get("status") or "",
                "percent_complete": figures.get("percent_complete"),
                "percent_change": _change(
                    figures.get("percent_complete"), before_percent.get(project_id)
                ),
                **funds,
                "behind_schedule": bool(figures.get("behind_schedule")) or project_id in behind_ids,
                "late_milestones": figures.get("late_milestones") or 0,
                "dispatch_reported": figures.get("dispatch_reported"),
                "findings_month": findings.get("month", 0),
                "findings_open": findings.get("open", 0),
                "findings_overdue": findings.get("overdue", 0),
                "requests_overdue": (figures.get("requests") or {}).get("overdue", 0),
                "rank": rank,
                "total": _text(decimal(total)),
            }
        )
    projects.sort(key=lambda row: (row["community"], row["name"], row["id"]))
    names = {row["id"]: row["name"] for row in projects}
    communities = {row["id"]: row["community"] for row in projects}

    missing = [
        part
        for part, absent in (
            ("county", county is None),
            ("projects", not projects),
            ("ranking", not ranking),
            ("inspection", report is None),
        )
        if absent
    ]
    scored = {code for row in ranking for code in (row[4] or {})}
    return {
        "month": month.key,
        "year": month.first.year,
        "number": month.first.month,
        "title": title,
        "issuer": issuer,
        "county": region or "",
        "generated_on": timezone.localdate().isoformat(),
        "previous_month": previous.key if before is not None else None,
        "missing": missing,
        "headline": _headline(county, before) if county is not None else None,
        "projects": projects,
        "behind_schedule": [
            {
                key: row[key]
                for key in (
                    "id",
                    "name",
                    "community",
                    "status",
                    "late_milestones",
                    "percent_complete",
                )
            }
            for row in projects
            if row["behind_schedule"]
        ],
        "criteria": [
            {"code": code, "name": name, "weight": _text(weight)}
            for code, name, weight in criteria
            if code in scored or not scored
        ],
        "ranking": [
            {
                "rank": rank,
                "project_id": project_id,
                "name": names.get(project_id) or name,
                "community": communities.get(project_id, ""),
                "total": _text(decimal(total)),
                "scores": {code: _score(value) for code, value in (scores or {}).items()},
            }
            for project_id, name, rank, total, scores in ranking
        ],
        "inspection": _inspection(report, names),
    }


# --- Producing it -----------------------------------------------------------------------------


def file_stem(month_key: str) -> str:
    return f"bulletin-{month_key}"


def replace_files(instance, files: dict[str, tuple[str, bytes]]) -> None:
    """Store ``files`` ({field: (name, bytes)}) on ``instance`` and save them; the files they
    replace are deleted from storage once the transaction commits (if it rolls back, the row
    keeps pointing at the old files, which are still there)."""
    old = []
    for field, (name, data) in files.items():
        current = getattr(instance, field)
        if current.name:
            old.append((current.storage, current.name))
        current.save(name, ContentFile(data), save=False)
    instance.save(update_fields=list(files))
    kept = {getattr(instance, field).name for field in files}

    def delete_old():
        for storage, name in old:
            if name not in kept:
                storage.delete(name)

    transaction.on_commit(delete_old)


def produce_bulletin(month: Month) -> dict:
    """Produce ``month``'s bulletin (content, .docx, .xlsx), replacing any earlier one."""
    from .bulletin_docx import bulletin_document
    from .bulletin_xlsx import bulletin_workbook

    content = bulletin_content(month)
    with transaction.atomic():
        bulletin, _created = Bulletin.objects.update_or_create(
            month=month.first, defaults={"generated_at": timezone.now(), "content": content}
        )
        stem = file_stem(month.key)
        replace_files(
            bulletin,
            {
                "docx": (f"{stem}.docx", bulletin_document(content)),
                "xlsx": (f"{stem}.xlsx", bulletin_workbook(content)),
            },
        )
    return {"bulletin": month.key}
