"""The pages of the monthly cycle for the leaders and staff: the monthly bulletins (一月一通报)
and the quarterly meeting packs, each as a page that reads on a phone and prints on A4, with
its .docx (and, for a bulletin, its .xlsx).

Anonymous visitors go to the login page. A bulletin needs ``cycle.view_bulletin`` and a
meeting pack ``cycle.view_leadershipmeeting`` (the county office, community staff,
inspectors, leaders and auditors hold them); anyone else gets 403. The pages show what was
produced and stored: a past month reads the same whatever was edited since.
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .bulletin import (
    MISSING,
    category_label,
    percent,
    severity_label,
    signed,
    source_label,
    status_label,
    unit_label,
    wan,
)
from .models import Bulletin, LeadershipMeeting, MeetingDecision
from .periods import Month, Quarter

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 24


def _reads(permission: str):
    """Login required (anonymous → the login page), then ``permission`` (else 403)."""

    def decorate(view):
        return login_required(
            permission_required(permission, raise_exception=True)(never_cache(require_safe(view)))
        )

    return decorate


def _plain(value) -> str:
    """A stored quantity without its trailing zeros ("120.00" → "120", "12.50" → "12.5")."""
    if value in (None, ""):
        return "—"
    text = str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _english() -> bool:
    return not (translation.get_language() or "").startswith("zh")


# --- Bulletins -----------------------------------------------------------------------------


def present(content: dict) -> dict:
    """What the bulletin page shows of ``content``, with labels in the reader's language."""
    headline = content.get("headline")
    view = {
        "title": content.get("title", ""),
        "year": content.get("year"),
        "number": content.get("number"),
        "missing": [MISSING[part] for part in content.get("missing", []) if part in MISSING],
        "has_previous": bool(content.get("previous_month")),
        "headline": None,
    }
    if headline:
        funds = headline.get("funds") or {}
        change = headline.get("funds_change") or {}
        view["headline"] = {
            "projects": headline.get("projects"),
            "projects_change": signed(headline.get("projects_change")),
            "percent_complete": headline.get("percent_complete"),
            "percent_complete_change": signed(headline.get("percent_complete_change")),
            "planned": wan(funds.get("planned")),
            "arrived": wan(funds.get("arrived")),
            "arrived_change": signed(wan(change.get("arrived")) if change.get("arrived") else None),
            "arrived_rate": percent(funds.get("arrived"), funds.get("planned")),
            "spent": wan(funds.get("spent")),
            "spent_change": signed(wan(change.get("spent")) if change.get("spent") else None),
            "spent_rate": percent(funds.get("spent"), funds.get("arrived")),
            "households": headline.get("households_benefited"),
            "households_change": signed(headline.get("households_benefited_change")),
            "people": headline.get("people_benefited"),
            "people_change": signed(headline.get("people_benefited_change")),
            "behind_schedule": headline.get("behind_schedule", 0),
            "stages": [
                {
                    "label": status_label(row["status"]),
                    "count": row["count"],
                    "change": signed(row.get("change")),
                }
                for row in headline.get("by_status", [])
            ],
            "sources": [
                {
                    "label": source_label(row["source"]),
                    "planned": wan(row.get("planned")),
                    "arrived": wan(row.get("arrived")),
                    "spent": wan(row.get("spent")),
                }
                for row in headline.get("funds_by_source", [])
            ],
            "outputs": [
                {
                    "name": row.get("name_en") if _english() else row.get("name"),
                    "unit": unit_label(row.get("unit")),
                    "planned": _plain(row.get("planned")),
                    "completed": _plain(row.get("completed")),
                    "percent": row.get("percent"),
                    "change": signed(row.get("completed_change")),
                }
                for row in headline.get("outputs", [])
            ],
        }
    view["projects"] = [
        {
            **row,
            "status_label": status_label(row.get("status")),
            "percent_change_text": signed(row.get("percent_change")),
            "spent_wan": wan(row.get("spent")),
            "arrived_wan": wan(row.get("arrived")),
        }
        for row in content.get("projects", [])
    ]
    view["behind_schedule"] = [
        {**row, "status_label": status_label(row.get("status"))}
        for row in content.get("behind_schedule", [])
    ]
    criteria = content.get("criteria", [])
    view["criteria"] = criteria
    view["ranking"] = [
        {
            **row,
            "score_list": [_plain(row.get("scores", {}).get(c["code"])) for c in criteria],
        }
        for row in content.get("ranking", [])
    ]
    inspection = content.get("inspection")
    if inspection is not None:

        def labelled(rows):
            return [
                {
                    **row,
                    "category_label": category_label(row.get("category")),
                    "severity_label": severity_label(row.get("severity")),
                }
                for row in rows
            ]

        inspection = {
            **inspection,
            "by_severity": [
                {"label": severity_label(row["severity"]), "count": row["count"]}
                for row in inspection.get("by_severity", [])
                if row["count"]
            ],
            "findings": labelled(inspection.get("findings", [])),
            "overdue": labelled(inspection.get("overdue", [])),
        }
    view["inspection"] = inspection
    return view


def _bulletin(month: Month) -> Bulletin:
    return get_object_or_404(Bulletin, month=month.first)


@_reads("cycle.view_bulletin")
def bulletin_list(request):
    """Every bulletin, the latest first."""
    bulletins = Bulletin.objects.defer("content").order_by("-month")
    page = Paginator(bulletins, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cycle/bulletin_list.html", {"page": page})


@_reads("cycle.view_bulletin")
def bulletin_detail(request, month: Month):
    """The month's bulletin as a page."""
    bulletin = _bulletin(month)
    context = {"bulletin": bulletin, "month": month, "view": present(bulletin.content)}
    return render(request, "cycle/bulletin_detail.html", context)


def _download(field, filename: str, content_type: str):
    if not field.name:
        raise Http404("This file was not produced.")
    try:
        handle = field.open("rb")
    except FileNotFoundError as missing:
        raise Http404("This file is missing from storage.") from missing
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)


def _filename(content: dict, month: Month, extension: str) -> str:
    title = content.get("title") or "月度通报"
    return f"{title}（{month.first.year}年第{month.first.month}期）.{extension}"


@_reads("cycle.view_bulletin")
def bulletin_docx(request, month: Month):
    bulletin = _bulletin(month)
    return _download(bulletin.docx, _filename(bulletin.content, month, "docx"), DOCX)


@_reads("cycle.view_bulletin")
def bulletin_xlsx(request, month: Month):
    bulletin = _bulletin(month)
    return _download(bulletin.xlsx, _filename(bulletin.content, month, "xlsx"), XLSX)


# --- Meeting packs -------------------------------------------------------------------------


def present_pack(pack: dict) -> dict:
    """What the meeting page shows of ``pack``, with labels in the reader's language."""
    problems = pack.get("problems") or {}
    return {
        "months": [
            {
                **row,
                "month": Month.parse(row["month"]),
                "arrived": wan((row.get("funds") or {}).get("arrived")),
                "spent": wan((row.get("funds") or {}).get("spent")),
            }
            for row in pack.get("months", [])
        ],
        "missing": [Month.parse(key) for key in pack.get("missing", [])],
        "rankings": [
            {**row, "month": Month.parse(row["month"])} for row in pack.get("rankings", [])
        ],
        "overdue_findings": [
            {**row, "category_label": category_label(row.get("category"))}
            for row in problems.get("overdue_findings", [])
        ],
        "behind_schedule": [
            {**row, "status_label": status_label(row.get("status"))}
            for row in problems.get("behind_schedule", [])
        ],
        "unreported": [
            {**row, "month": Month.parse(row["month"])}
            for row in problems.get("unreported_dispatches", [])
        ],
        "decisions": [
            {**row, "quarter": Quarter.parse(row["quarter"])} for row in pack.get("decisions", [])
        ],
    }


@_reads("cycle.view_leadershipmeeting")
def meeting_list(request):
    """Every quarterly meeting, the latest first."""
    meetings = LeadershipMeeting.objects.defer("pack").order_by("-quarter")
    page = Paginator(meetings, PER_PAGE).get_page(request.GET.get("page"))
    for meeting in page.object_list:
        meeting.period = Quarter.parse(meeting.quarter)
    return render(request, "cycle/meeting_list.html", {"page": page})


@_reads("cycle.view_leadershipmeeting")
def meeting_detail(request, quarter: Quarter):
    """The quarter's meeting pack, and the meeting's minutes and decisions once held."""
    meeting = get_object_or_404(LeadershipMeeting, quarter=quarter.key)
    decisions = MeetingDecision.objects.filter(meeting=meeting).order_by("pk")
    context = {
        "meeting": meeting,
        "quarter": quarter,
        "view": present_pack(meeting.pack),
        "decisions": decisions,
    }
    return render(request, "cycle/meeting_detail.html", context)


@_reads("cycle.view_leadershipmeeting")
def meeting_docx(request, quarter: Quarter):
    meeting = get_object_or_404(LeadershipMeeting, quarter=quarter.key)
    title = meeting.pack.get("title") or "领导小组例会材料"
    return _download(meeting.docx, f"{title}（{quarter.key}）.docx", DOCX)
