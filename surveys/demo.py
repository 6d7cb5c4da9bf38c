"""The demo county's consultation (一访一议一公示) and residents' requests, for ``seed_demo``.

``consult`` is handed to ``projects.demo.load_projects``: it records the visits, the residents'
meeting and the public notice of a project while it is in consultation, dated on the
project's planned milestones. Every project that went on to approval had all three; 广电局家属院
is still in consultation (about 60% of households visited, a notice open now for objections),
and 五金公司家属院 has finished it and waits for approval. ``load_requests`` adds requests from
every channel at every stage of the ledger.
"""

from __future__ import annotations

import datetime
import random
import zlib

from django.utils import timezone

from projects.models import Milestone, Project, TaskItem
from residents.models import Household, Neighbourhood

from . import services
from .models import Discussion, Objection, PublicNotice, ResidentRequest, Visit

#: Share of households visited so far where the consultation is still under way.
PARTIAL_COVERAGE = 0.6


def _rng(name: str) -> random.Random:
    return random.Random(zlib.crc32(f"consultation:{name}".encode()))


def _planned(project: Project, kind: str, fallback: datetime.date) -> datetime.date:
    day = (
        Milestone.objects.filter(project=project, kind=kind)
        .values_list("planned_date", flat=True)
        .first()
    )
    return day or fallback


def consult(project: Project, *, complete: bool, by) -> None:
    """Record the consultation of ``project``: complete (every household visited, a closed
    meeting adopting the plan, a notice that has passed) or under way."""
    rng = _rng(project.neighbourhood.name)
    today = timezone.localdate()
    approval = _planned(project, Milestone.Kind.APPROVAL, today)
    if complete:
        approval = min(approval, today - datetime.timedelta(days=1))
    start = _planned(project, Milestone.Kind.CONSULTATION_START, approval - datetime.timedelta(30))
    start = min(start, approval - datetime.timedelta(days=20))
    items = list(TaskItem.objects.filter(project=project).select_related("kind"))
    _visit(project, items, rng, start=start, share=1 if complete else PARTIAL_COVERAGE, by=by)
    if complete:
        discussion = Discussion.objects.create(
            project=project,
            held_on=approval - datetime.timedelta(days=14),
            place=f"{project.neighbourhood.name}活动室",
            attendee_count=rng.randint(25, 60),
            agenda="审议改造方案：改造内容、资金筹措、施工安排。",
            minutes="与会居民逐项审议改造内容，表决通过改造方案。",
            votes_for=rng.randint(24, 55),
            votes_against=rng.randint(0, 2),
            votes_abstaining=rng.randint(0, 3),
        )
        discussion.proposed_items.set(items)
        discussion.adopted_items.set(items)
        services.close_discussion(discussion, by=by)
        notice = _notice(project, items, posted_on=approval - datetime.timedelta(days=10))
        objection = Objection.objects.create(
            notice=notice,
            household=Household.objects.filter(building__neighbourhood=project.neighbourhood)
            .order_by("pk")
            .first(),
            channel=Objection.Channel.PAPER,
            text="希望充电桩位置远离单元入口。",
            submitted_on=notice.posted_on + datetime.timedelta(days=2),
            recorded_by=by,
        )
        Objection.objects.filter(pk=objection.pk).update(
            answer="已调整至小区东侧停车区，距单元入口二十米以上。",
            answered_at=timezone.make_aware(
                datetime.datetime.combine(notice.last_day, datetime.time(16))
            ),
            answered_by=by,
        )
    else:
        _notice(project, items, posted_on=today - datetime.timedelta(days=2))


def _visit(project, items, rng, *, start, share, by) -> None:
    households = list(
        Household.objects.filter(building__neighbourhood=project.neighbourhood).order_by("pk")
    )
    visited = households[: round(len(households) * share)]
    kinds = [item.kind for item in items]
    visits, needs = [], []
    for household in visited:
        day = start + datetime.timedelta(days=rng.randint(0, 14))
        if rng.random() < 0.12:  # not at home once, reached later
            visits.append(
                (Visit(household=household, visited_on=day, outcome="not_at_home", visitor=by), [])
            )
            day += datetime.timedelta(days=rng.randint(1, 4))
        asked = rng.sample(kinds, k=min(len(kinds), rng.randint(1, 3))) if kinds else []
        visits.append(
            (
                Visit(
                    household=household,
                    visited_on=day,
                    outcome=Visit.Outcome.REACHED,
                    supports_renovation=rng.random() < 0.95,
                    visitor=by,
                ),
                asked,
            )
        )
    Visit.objects.bulk_create([visit for visit, _asked in visits])
    Through = Visit.needs.through
    for visit, asked in visits:
        needs += [Through(visit_id=visit.pk, cataloguekind_id=kind.pk) for kind in asked]
    Through.objects.bulk_create(needs)


def _notice(project, items, *, posted_on) -> PublicNotice:
    budget = sum((item.budget for item in items), start=0)
    content = "；".join(
        f"{item.kind.name_zh}{item.planned_quantity.normalize():f}{item.kind.get_unit_display()}"
        for item in items
    )
    return PublicNotice.objects.create(
        project=project,
        content=f"改造内容：{content}。",
        budget=budget,
        schedule=f"计划{project.deadline:%Y年%m月%d日}前完工。" if project.deadline else "",
        posted_on=posted_on,
    )


#: Requests of the demo: (neighbourhood, channel, category, text, stage, days ago).
REQUESTS = (
    ("老冰棍厂小区", "hotline", "complaint", "3号楼雨后楼顶渗水，请尽快检修。", "handling", 3),
    ("红花小区", "box", "suggestion", "建议在小区东门增设一处电动车充电桩。", "received", 2),
    ("金江百司小区", "link", "opinion", "希望保留院内的两棵老槐树。", "answered", 20),
    ("老物局小区", "book", "complaint", "电梯运行有异响。", "closed", 40),
    ("广电局家属院", "link", "suggestion", "单元门禁希望支持刷卡和人脸两种方式。", "received", 12),
    ("药材公司家属院", "hotline", "complaint", "夜间施工噪音扰民。", "handling", 10),
)


def load_requests(*, by) -> int:
    """The demo's resident requests, once: one for each (neighbourhood, text)."""
    created = 0
    today = timezone.localdate()
    neighbourhoods = {
        n.name: n
        for n in Neighbourhood.objects.filter(name__in=[name for name, *_rest in REQUESTS])
    }
    for name, channel, category, text, stage, days_ago in REQUESTS:
        neighbourhood = neighbourhoods.get(name)
        if (
            neighbourhood is None
            or ResidentRequest.objects.filter(neighbourhood=neighbourhood, text=text).exists()
        ):
            continue
        received = today - datetime.timedelta(days=days_ago)
        household = (
            None
            if channel == "box"
            else Household.objects.filter(building__neighbourhood=neighbourhood)
            .order_by("pk")
            .first()
        )
        request = ResidentRequest.objects.create(
            channel=channel,
            category=category,
            neighbourhood=neighbourhood,
            household=household,
            text=text,
            received_at=timezone.make_aware(datetime.datetime.combine(received, datetime.time(9))),
            due_on=received + datetime.timedelta(days=7),
            assignee=by if stage != "received" else None,
        )
        answer = {
            "answered": "已与物业公司确认，两棵老槐树原址保留并加设护栏。",
            "closed": "已请电梯维保单位检修，异响已排除。",
        }.get(stage, "")
        ResidentRequest.objects.filter(pk=request.pk).update(
            status=stage,
            answer=answer,
            answered_at=timezone.now() if answer else None,
            answered_by=by if answer else None,
        )
        created += 1
    return created


def households_to_try(count: int = 3) -> list[Household]:
    """A few households of 广电局家属院, whose notice is open for objections."""
    return list(
        Household.objects.filter(building__neighbourhood__name="广电局家属院")
        .select_related("building__neighbourhood")
        .order_by("pk")[:count]
    )
