"""一月一督查: inspections of the projects, their findings, the rectification of each finding,
and the monthly inspection report.

An inspector records an inspection of a project (who, when, a summary) and what it found:
each finding has a category, a severity, a description, a deadline for its rectification (not
before the day of the inspection) and, if any, a photo. The responsible staff (community staff
of the project's neighbourhood, or the county office) record the rectification: what was done,
with a photo as proof; the finding is then rectified (who, when). A finding rectified in name
only may be reopened by an inspector. A finding not rectified is overdue from the day after its
deadline (``FindingQuerySet.overdue``).

Photos, of a finding and of its proof, are stored only as ``projects.images.process_upload``
re-encodes them (the real type read from the file, size and pixel limits, no metadata); an
upload that is not a safe image is refused with the uploader's message and nothing is stored.

Once a month is over, ``produce_report(month)`` writes its ``InspectionReport``: the
inspections of the month, the month's findings by category and severity, the rectifications
overdue as the month closed, and the findings rectified in the month. Producing it again
replaces it. It reads in a fixed number of queries, whatever the number of projects.

Every door (the admin, the shell, the monthly job) calls these functions. A refused step raises
``InspectionRefused``, whose ``reasons`` say why in words for people; nothing is written.
"""

import datetime
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.images import ProcessedImage, process_upload
from projects.models import Project
from projects.services import Refused, locked_step, say

from .models import Finding, Inspection, InspectionReport
from .periods import Month

__all__ = [
    "InspectionRefused",
    "add_finding",
    "finding_refusals",
    "inspection_refusals",
    "overdue_at_close",
    "produce_report",
    "record_inspection",
    "rectification_refusals",
    "rectify",
    "reopen",
]

Category = Finding.Category
Severity = Finding.Severity


class InspectionRefused(Refused):
    """An inspection, a finding or a rectification could not be recorded; ``reasons`` says
    why."""


# --- Checks, shared by the services and the admin's forms that call them ----------------------


def inspection_refusals(*, project: Project | None, date: datetime.date | None) -> list:
    """Why an inspection of ``project`` on ``date`` would be refused (empty: recorded)."""
    reasons = []
    if project is None:
        reasons.append(_("Say which project was inspected."))
    if date is None:
        reasons.append(_("Say on which day the inspection took place."))
    elif date > timezone.localdate():
        reasons.append(_("An inspection cannot be recorded for a day still to come."))
    return reasons


def finding_refusals(
    *,
    inspection_date: datetime.date | None,
    category: str,
    severity: str,
    description: str,
    deadline: datetime.date | None,
) -> list:
    """Why a finding of an inspection held on ``inspection_date`` would be refused."""
    reasons = []
    if category not in Category.values:
        reasons.append(_("Choose the category of the finding."))
    if severity not in Severity.values:
        reasons.append(_("Choose the severity of the finding."))
    if not (description or "").strip():
        reasons.append(_("The finding has no description: write down what was found."))
    reasons += deadline_refusals(inspection_date=inspection_date, deadline=deadline)
    return reasons


def deadline_refusals(
    *, inspection_date: datetime.date | None, deadline: datetime.date | None
) -> list:
    if deadline is None:
        return [_("Set the deadline by which the finding must be rectified.")]
    if inspection_date is not None and deadline < inspection_date:
        return [
            say(
                _("The deadline cannot be before the inspection (%(date)s)."),
                date=inspection_date.isoformat(),
            )
        ]
    return []


def rectification_refusals(finding: Finding, rectification: str) -> list:
    """Why ``rectification`` would be refused as the rectification of ``finding`` now."""
    if finding.rectified_at is not None:
        return [_("The finding is already rectified.")]
    if not (rectification or "").strip():
        return [_("Describe the rectification: what was done, and when.")]
    return []


def _safe_photo(photo):
    """The photo as it is to be stored: the upload re-encoded (a form that already ran
    ``process_upload`` hands its ``ProcessedImage``), or None."""
    if not photo:
        return None
    if isinstance(photo, ProcessedImage):
        return photo.image
    try:
        return process_upload(photo).image
    except ValidationError as refusal:
        raise InspectionRefused(refusal.messages) from refusal


# --- Writes -------------------------------------------------------------------------------


def record_inspection(
    project: Project, *, inspector, date: datetime.date, summary: str = "", by=None
) -> Inspection:
    """Record that ``inspector`` inspected ``project`` on ``date`` (not a day to come).
    ``by`` (the inspector by default) is who recorded it, in the change history."""
    reasons = inspection_refusals(project=project, date=date)
    if reasons:
        raise InspectionRefused(reasons)
    with transaction.atomic():
        inspection = Inspection(
            project=project, inspector=inspector, date=date, summary=(summary or "").strip()
        )
        inspection._history_user = by or inspector
        inspection.save()
    return inspection


def add_finding(
    inspection: Inspection,
    *,
    category: str,
    severity: str,
    description: str,
    deadline: datetime.date,
    photo=None,
    by=None,
) -> Finding:
    """Record a finding of ``inspection``, to be rectified by ``deadline`` (not before the
    inspection). ``photo`` is an upload (or a form's ``ProcessedImage``); one that is not a
    safe image is refused and nothing is stored. ``by`` defaults to the inspector."""
    reasons = finding_refusals(
        inspection_date=inspection.date,
        category=category,
        severity=severity,
        description=description,
        deadline=deadline,
    )
    if reasons:
        raise InspectionRefused(reasons)
    stored_photo = _safe_photo(photo)
    with transaction.atomic():
        finding = Finding(
            inspection=inspection,
            category=category,
            severity=severity,
            description=description.strip(),
            deadline=deadline,
            photo=stored_photo,
        )
        finding._history_user = by or inspection.inspector
        finding.save()
    return finding


def _step(finding: Finding, *, by, refusals, change) -> Finding:
    """A step of a finding under its row lock (``projects.services.locked_step``)."""
    return locked_step(finding, by=by, refusals=refusals, change=change, refused=InspectionRefused)


def rectify(finding: Finding, /, *, by, rectification: str, proof=None) -> Finding:
    """Record the rectification of ``finding``: what was done (required) and a photo as
    proof (optional, stored only as a safe image); the finding is rectified by ``by``, now.
    Refused if it is already rectified."""
    reasons = rectification_refusals(finding, rectification)
    if reasons:  # before the photo is processed: a refusal costs no decoding
        raise InspectionRefused(reasons)
    stored_proof = _safe_photo(proof)

    def change(locked):
        locked.rectification = rectification.strip()
        locked.rectified_at = timezone.now()
        locked.rectified_by = by
        fields = ["rectification", "rectified_at", "rectified_by"]
        if stored_proof is not None:
            locked.proof = stored_proof
            fields.append("proof")
        return fields

    return _step(
        finding,
        by=by,
        refusals=lambda locked: rectification_refusals(locked, rectification),
        change=change,
    )


def reopen(finding: Finding, /, *, by, deadline: datetime.date | None = None) -> Finding:
    """The rectification of ``finding`` did not hold: it is open again (the rectification
    recorded stays in its history), due by ``deadline`` when given (not before the
    inspection). Refused if it is not rectified."""

    def refusals(locked):
        if locked.rectified_at is None:
            return [_("The finding is not rectified: there is nothing to reopen.")]
        if deadline is not None:
            return deadline_refusals(inspection_date=locked.inspection.date, deadline=deadline)
        return []

    def change(locked):
        locked.rectified_at = None
        locked.rectified_by = None
        fields = ["rectified_at", "rectified_by"]
        if deadline is not None:
            locked.deadline = deadline
            fields.append("deadline")
        return fields

    return _step(finding, by=by, refusals=refusals, change=change)


# --- The monthly report -------------------------------------------------------------------


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` on the county's calendar (Asia/Shanghai)."""
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone()
    )


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def overdue_at_close(month: Month):
    """The findings overdue as ``month`` closed: due by its last day and not rectified by
    the end of it (rectified later, or not yet). The same as ``Finding.objects.overdue`` of
    the next month's first day when read on that day, and still true when read later."""
    closed_at = _start_of(month.next().first)
    return Finding.objects.filter(deadline__lt=month.next().first).filter(
        Q(rectified_at__isnull=True) | Q(rectified_at__gte=closed_at)
    )


_FINDING_RELATED = ["inspection__project__neighbourhood__community"]


def _project_fields(project: Project) -> dict:
    neighbourhood = project.neighbourhood
    return {
        "project_id": project.pk,
        "project": project.name,
        "neighbourhood": neighbourhood.name,
        "community": neighbourhood.community.name if neighbourhood.community_id else "",
    }


def _finding_row(finding: Finding) -> dict:
    return {
        "id": finding.pk,
        **_project_fields(finding.inspection.project),
        "inspection_id": finding.inspection_id,
        "inspected_on": finding.inspection.date.isoformat(),
        "category": finding.category,
        "severity": finding.severity,
        "description": finding.description,
        "deadline": finding.deadline.isoformat(),
    }


def _county_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment, timezone.get_default_timezone())


def _local_day(moment: datetime.datetime | None) -> str | None:
    return _county_day(moment).isoformat() if moment else None


def report_content(month: Month) -> dict:
    """The content of ``month``'s inspection report, read in four queries.

    Only staff names appear (inspectors, who confirmed a rectification): no resident's data.
    Categories and severities are kept as codes (``Finding.Category``, ``Finding.Severity``)
    and named in the reader's language when shown.
    """
    first, next_first = month.first, month.next().first
    inspections = list(
        Inspection.objects.filter(date__gte=first, date__lt=next_first)
        .select_related("project__neighbourhood__community", "inspector")
        .annotate(n_findings=Count("findings"))
        .order_by("date", "project__name", "pk")
    )
    findings = list(
        Finding.objects.filter(inspection__date__gte=first, inspection__date__lt=next_first)
        .select_related(*_FINDING_RELATED)
        .order_by("inspection__date", "inspection__project__name", "pk")
    )
    overdue = list(
        overdue_at_close(month)
        .select_related(*_FINDING_RELATED)
        .order_by("deadline", "inspection__project__name", "pk")
    )
    rectified = list(
        Finding.objects.filter(
            rectified_at__gte=_start_of(first), rectified_at__lt=_start_of(next_first)
        )
        .select_related(*_FINDING_RELATED, "rectified_by")
        .order_by("rectified_at", "pk")
    )

    by_pair = Counter((finding.category, finding.severity) for finding in findings)
    by_category = {
        category: {
            "total": sum(by_pair[category, severity] for severity in Severity.values),
            **{severity: by_pair[category, severity] for severity in Severity.values},
        }
        for category in Category.values
    }
    by_severity = {
        severity: sum(by_pair[category, severity] for category in Category.values)
        for severity in Severity.values
    }
    return {
        "month": month.key,
        "first": first.isoformat(),
        "last": month.last.isoformat(),
        "inspections": [
            {
                "id": inspection.pk,
                **_project_fields(inspection.project),
                "date": inspection.date.isoformat(),
                "inspector": _person(inspection.inspector),
                "summary": inspection.summary,
                "findings": inspection.n_findings,
            }
            for inspection in inspections
        ],
        "findings": {
            "total": len(findings),
            "by_category": by_category,
            "by_severity": by_severity,
            "items": [
                {
                    **_finding_row(finding),
                    "rectified_on": _local_day(finding.rectified_at),
                }
                for finding in findings
            ],
        },
        "overdue": {
            "as_of": month.last.isoformat(),
            "count": len(overdue),
            "items": [
                {
                    **_finding_row(finding),
                    # Days past the deadline when the month closed: due on the last day, one.
                    "days_overdue": (next_first - finding.deadline).days,
                }
                for finding in overdue
            ],
        },
        "rectified": {
            "count": len(rectified),
            "items": [
                {
                    **_finding_row(finding),
                    "rectified_on": _local_day(finding.rectified_at),
                    "rectified_by": _person(finding.rectified_by),
                    "late": _county_day(finding.rectified_at) > finding.deadline,
                }
                for finding in rectified
            ],
        },
    }


def produce_report(month: Month | datetime.date) -> dict:
    """Write ``month``'s inspection report (one per month: produced again, it is replaced)
    and return a summary: how many inspections and findings the month had, and how many
    rectifications were overdue as it closed."""
    if not isinstance(month, Month):
        month = Month.of(month)
    content = report_content(month)
    # One transaction of its own (the close of the month runs it inside its own).
    InspectionReport.objects.update_or_create(
        month=month.first, defaults={"generated_at": timezone.now(), "content": content}
    )
    return {
        "inspections": len(content["inspections"]),
        "findings": content["findings"]["total"],
        "overdue": content["overdue"]["count"],
    }
