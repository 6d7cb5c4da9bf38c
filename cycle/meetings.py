"""一季度一次领导小组例会: the quarterly meeting of the leading group and its pack.

``prepare_pack(quarter)`` writes the pack of the meeting that follows ``quarter`` on its
``LeadershipMeeting`` (one per quarter; prepared again, the pack and its .docx are replaced,
while the meeting's date, minutes and decisions are kept):

- the three months' county figures, from their ``CountySnapshot`` (a month not frozen is
  named in ``missing``);
- each month's top and bottom of the ranking;
- the problems still open when the pack is prepared: rectifications overdue, projects
  behind schedule, dispatches of the quarter never reported;
- the decisions of earlier meetings not yet done (``MeetingDecision.done_on`` empty), to be
  followed up until they are.

The reads are a fixed number of queries, whatever the number of projects. The pack as JSON::

    {"quarter": "2026-Q4", "year", "number", "title", "issuer", "county", "prepared_on",
     "as_of", "missing": ["2026-10"],
     "months": [{"month", "available", "projects", "by_status", "percent_complete",
                 "funds": {"planned", "arrived", "spent"}, "households_benefited",
                 "people_benefited", "behind_schedule", "requests", "findings"}],
     "rankings": [{"month", "ranked", "top": [{"rank", "project_id", "name", "total"}],
                   "bottom": [...]}],
     "problems": {"overdue_findings": [{"id", "project_id", "project", "community",
                                        "category", "severity", "description", "deadline",
                                        "days_overdue"}],
                  "behind_schedule": [{"id", "name", "community", "status",
                                       "late_milestones"}],
                  "unreported_dispatches": [{"id", "month", "project_id", "project",
                                             "community"}]},
     "decisions": [{"id", "quarter", "text", "owner", "deadline", "follow_up", "overdue"}]}
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation

from projects.models import Project

from .bulletin import category_label, county_name, replace_files, status_label, wan
from .bulletin_docx import (
    chinese_date,
    heading,
    new_document,
    paragraph,
    red_head,
    section_number,
    table,
    to_bytes,
)
from .models import CountySnapshot, Dispatch, Finding, LeadershipMeeting, MeetingDecision, Ranking
from .periods import Month, Quarter

#: How many projects of each end of a month's ranking the pack names.
ENDS = 3
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
TITLE = "城镇老旧小区改造工作领导小组季度例会材料"
ISSUER = "城镇老旧小区改造工作领导小组办公室"


def _month_figures(month: Month, figures: dict | None) -> dict:
    if figures is None:
        return {"month": month.key, "available": False}
    funds = figures.get("funds") or {}
    return {
        "month": month.key,
        "available": True,
        "projects": figures.get("projects"),
        "by_status": figures.get("by_status") or {},
        "percent_complete": figures.get("percent_complete"),
        "funds": {key: funds.get(key) for key in ("planned", "arrived", "spent")},
        "households_benefited": figures.get("households_benefited"),
        "people_benefited": figures.get("people_benefited"),
        "behind_schedule": len(figures.get("behind_schedule") or []),
        "requests": figures.get("requests"),
        "findings": figures.get("findings"),
    }


def _ranked(rows) -> list[dict]:
    return [
        {
            "rank": rank,
            "project_id": project_id,
            "name": name,
            "total": None if total is None else str(total),
        }
        for project_id, name, rank, total in rows
    ]


def _ends_of_ranking(month: Month) -> dict:
    """The top and the bottom ``ENDS`` of ``month``'s ranking (two queries); the bottom
    leaves out whoever is already at the top."""
    ranking = Ranking.objects.filter(month=month.first).values_list(
        "project_id", "project__name", "rank", "total"
    )
    top = _ranked(ranking.order_by("rank", "project_id")[:ENDS])
    bottom = _ranked(reversed(ranking.order_by("-rank", "-project_id")[:ENDS]))
    at_top = {row["project_id"] for row in top}
    return {
        "month": month.key,
        "ranked": bool(top),
        "top": top,
        "bottom": [row for row in bottom if row["project_id"] not in at_top],
    }


def _overdue_findings(today: datetime.date) -> list[dict]:
    rows = (
        Finding.objects.overdue(today)
        .order_by("deadline", "inspection__project__name", "pk")
        .values(
            "pk",
            "category",
            "severity",
            "description",
            "deadline",
            project_id=F("inspection__project_id"),
            project=F("inspection__project__name"),
            community=F("inspection__project__neighbourhood__community__name"),
        )
    )
    return [
        {
            "id": row["pk"],
            "project_id": row["project_id"],
            "project": row["project"],
            "community": row["community"] or "",
            "category": row["category"],
            "severity": row["severity"],
            "description": row["description"],
            "deadline": row["deadline"].isoformat(),
            "days_overdue": (today - row["deadline"]).days,
        }
        for row in rows
    ]


def _behind_schedule(today: datetime.date) -> list[dict]:
    late = Q(milestones__planned_date__lt=today, milestones__actual_date__isnull=True)
    rows = (
        Project.objects.behind_schedule(today)
        .annotate(late=Count("milestones", filter=late))
        .order_by("neighbourhood__community__name", "name", "pk")
        .values("pk", "name", "status", "late", community=F("neighbourhood__community__name"))
    )
    return [
        {
            "id": row["pk"],
            "name": row["name"],
            "community": row["community"] or "",
            "status": row["status"],
            "late_milestones": row["late"],
        }
        for row in rows
    ]


def _unreported(quarter: Quarter) -> list[dict]:
    rows = (
        Dispatch.objects.filter(
            month__in=[month.first for month in quarter.months], submitted_at__isnull=True
        )
        .order_by("month", "project__name", "pk")
        .values(
            "pk",
            "month",
            "project_id",
            project_name=F("project__name"),
            community=F("project__neighbourhood__community__name"),
        )
    )
    return [
        {
            "id": row["pk"],
            "month": Month.of(row["month"]).key,
            "project_id": row["project_id"],
            "project": row["project_name"],
            "community": row["community"] or "",
        }
        for row in rows
    ]


def _open_decisions(quarter: Quarter, today: datetime.date) -> list[dict]:
    rows = (
        MeetingDecision.objects.filter(meeting__quarter__lt=quarter.key, done_on__isnull=True)
        .order_by("meeting__quarter", "pk")
        .values("pk", "text", "owner", "deadline", "follow_up", quarter=F("meeting__quarter"))
    )
    return [
        {
            "id": row["pk"],
            "quarter": row["quarter"],
            "text": row["text"],
            "owner": row["owner"],
            "deadline": row["deadline"].isoformat() if row["deadline"] else None,
            "follow_up": row["follow_up"],
            "overdue": bool(row["deadline"] and row["deadline"] < today),
        }
        for row in rows
    ]


def pack_content(quarter: Quarter) -> dict:
    """The pack of ``quarter``'s meeting (see the module's docstring)."""
    today = timezone.localdate()
    months = quarter.months
    counties = dict(
        CountySnapshot.objects.filter(month__in=[month.first for month in months]).values_list(
            "month", "figures"
        )
    )
    county = county_name()
    return {
        "quarter": quarter.key,
        "year": quarter.year,
        "number": quarter.number,
        "title": f"{county or ''}{TITLE}",
        "issuer": f"{county or ''}{ISSUER}",
        "county": county or "",
        "prepared_on": today.isoformat(),
        "as_of": today.isoformat(),
        "missing": [month.key for month in months if month.first not in counties],
        "months": [_month_figures(month, counties.get(month.first)) for month in months],
        "rankings": [_ends_of_ranking(month) for month in months],
        "problems": {
            "overdue_findings": _overdue_findings(today),
            "behind_schedule": _behind_schedule(today),
            "unreported_dispatches": _unreported(quarter),
        },
        "decisions": _open_decisions(quarter, today),
    }


def prepare_pack(quarter: Quarter) -> dict:
    """Prepare (or prepare again) the pack of ``quarter``'s meeting and its .docx."""
    pack = pack_content(quarter)
    with transaction.atomic():
        meeting, _created = LeadershipMeeting.objects.update_or_create(
            quarter=quarter.key, defaults={"prepared_at": timezone.now(), "pack": pack}
        )
        replace_files(meeting, {"docx": (f"meeting-pack-{quarter.key}.docx", pack_document(pack))})
    return {"meeting": quarter.key, "open_decisions": len(pack["decisions"])}


# --- The pack as a Word document ---------------------------------------------------------------


def _or_dash(value) -> str:
    return "—" if value in (None, "") else str(value)


def _month_name(key: str) -> str:
    month = Month.parse(key)
    return f"{month.first.year}年{month.first.month}月"


def _quarter_name(key: str) -> str:
    quarter = Quarter.parse(key)
    return f"{quarter.year}年{QUARTER_NAMES[quarter.number]}"


def _named(rows) -> str:
    return "、".join(f"{row['name']}（{_or_dash(row['total'])}分）" for row in rows) or "—"


def _pack_body(document, pack: dict) -> None:
    heading(document, f"{section_number(1)}、本季度工作进展")
    months = [row for row in pack["months"] if row["available"]]
    if pack["missing"]:
        paragraph(
            document,
            "以下月份的数据尚未冻结："
            + "、".join(_month_name(key) for key in pack["missing"])
            + "。",
        )
    if months:
        table(
            document,
            [
                "月份",
                "项目数",
                "平均进度（%）",
                "到位资金（万元）",
                "已支付（万元）",
                "惠及户数",
                "滞后项目",
            ],
            [
                (
                    _month_name(row["month"]),
                    _or_dash(row["projects"]),
                    _or_dash(row["percent_complete"]),
                    wan(row["funds"].get("arrived")),
                    wan(row["funds"].get("spent")),
                    _or_dash(row["households_benefited"]),
                    str(row["behind_schedule"]),
                )
                for row in months
            ],
            widths=(26, 18, 22, 26, 24, 20, 20),
            numeric=(1, 2, 3, 4, 5, 6),
        )

    heading(document, f"{section_number(2)}、月度评比情况")
    for index, ranking in enumerate(pack["rankings"], start=1):
        name = _month_name(ranking["month"])
        if not ranking["ranked"]:
            paragraph(document, f"（{section_number(index)}）{name}：评比排名尚未生成。")
            continue
        top, bottom = ranking["top"], ranking["bottom"]
        text = f"（{section_number(index)}）{name}：前{len(top)}名为{_named(top)}"
        if bottom:
            text += f"；后{len(bottom)}名为{_named(bottom)}"
        paragraph(document, text + "。")

    problems = pack["problems"]
    heading(document, f"{section_number(3)}、需研究解决的问题")
    heading(document, "（一）逾期未整改的督查问题", level=2)
    if problems["overdue_findings"]:
        table(
            document,
            ["序号", "项目名称", "类别", "问题描述", "整改期限", "逾期天数"],
            [
                (
                    str(index),
                    row["project"],
                    category_label(row["category"]),
                    row["description"],
                    row["deadline"],
                    str(row["days_overdue"]),
                )
                for index, row in enumerate(problems["overdue_findings"], start=1)
            ],
            widths=(12, 34, 20, 48, 24, 18),
            numeric=(0, 4, 5),
        )
    else:
        paragraph(document, "无。")
    heading(document, "（二）进度滞后的项目", level=2)
    if problems["behind_schedule"]:
        table(
            document,
            ["序号", "项目名称", "所属社区", "阶段", "逾期节点（个）"],
            [
                (
                    str(index),
                    row["name"],
                    row["community"],
                    status_label(row["status"]),
                    str(row["late_milestones"]),
                )
                for index, row in enumerate(problems["behind_schedule"], start=1)
            ],
            widths=(12, 48, 36, 32, 28),
            numeric=(0, 4),
        )
    else:
        paragraph(document, "无。")
    heading(document, "（三）未报送月度调度的项目", level=2)
    if problems["unreported_dispatches"]:
        table(
            document,
            ["序号", "月份", "项目名称", "所属社区"],
            [
                (str(index), _month_name(row["month"]), row["project"], row["community"])
                for index, row in enumerate(problems["unreported_dispatches"], start=1)
            ],
            widths=(12, 30, 68, 46),
            numeric=(0, 1),
        )
    else:
        paragraph(document, "无。")

    heading(document, f"{section_number(4)}、前次会议议定事项落实情况")
    if pack["decisions"]:
        table(
            document,
            ["序号", "会议", "议定事项", "责任单位", "完成时限", "落实情况"],
            [
                (
                    str(index),
                    _quarter_name(row["quarter"]),
                    row["text"],
                    row["owner"],
                    _or_dash(row["deadline"]) + ("（已逾期）" if row["overdue"] else ""),
                    row["follow_up"] or "未办结",
                )
                for index, row in enumerate(pack["decisions"], start=1)
            ],
            widths=(12, 28, 40, 24, 24, 28),
            numeric=(0, 1, 4),
        )
    else:
        paragraph(document, "前次会议议定事项均已办结。")


def pack_document(pack: dict) -> bytes:
    """The .docx of a meeting ``pack``: a red head, then the quarter, the rankings, the open
    problems and the decisions to follow up (in Chinese, as an official document)."""
    with translation.override(settings.LANGUAGE_CODE):
        issue = f"{pack['year']}年{QUARTER_NAMES[pack['number']]}"
        document = new_document(f"{pack['title']}（{issue}）", "领导小组例会材料")
        red_head(
            document,
            title=pack["title"],
            issue=issue,
            issuer=pack["issuer"],
            day=datetime.date.fromisoformat(pack["prepared_on"]),
        )
        document.add_paragraph(
            f"{pack['year']}年{QUARTER_NAMES[pack['number']]}城镇老旧小区改造工作情况",
            style="Anju Title",
        )
        paragraph(
            document,
            f"截至{chinese_date(datetime.date.fromisoformat(pack['as_of']))}，"
            f"本季度工作情况、存在问题和前次会议议定事项落实情况如下，请领导小组研究。",
        )
        _pack_body(document, pack)
        return to_bytes(document)
