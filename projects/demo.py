"""The demo county's projects, for ``seed_demo``.

The 22 renovated neighbourhoods get an accepted project each, in batches from 2019, whose
built quantities add up to what Shiquan County published: 312 eco parking spaces, 27 sheds,
182 access-control and security sets, 159 charging piles, 92 m² of public toilets, 2,327 m²
of greening, 106 illegal structures demolished, and elevators at 老物局小区. 老冰棍厂小区 has
40 parking spaces, 1 shed, 1 access-control set, a 29 m² public toilet and a leisure square,
renovated from the end of 2020. The neighbourhoods of the current batch get projects at the
other stages (draft, consulting, approved, under construction, awaiting acceptance), so every
flow can be tried.

Every project moves through the lifecycle by ``projects.services`` like any other; its dates
are then set back to when the county did the work. What other apps record on the way (the
consultation, the acceptance) comes from callbacks that ``seed_demo`` hands in, so this module
reaches for no app above it. Deterministic and idempotent: a neighbourhood that already has
its project is left alone.
"""

from __future__ import annotations

import datetime
import io
import random
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from PIL import Image, ImageDraw

from residents.demo import CURRENT_BATCH_YEAR, NEIGHBOURHOODS
from residents.models import Neighbourhood

from . import services
from .images import process_upload
from .models import (
    CatalogueKind,
    Disclosure,
    FundingLine,
    Milestone,
    Photo,
    Project,
    ProjectTransition,
    TaskItem,
)

CENT = Decimal("0.01")

#: The note on every step the demo took, which tells its steps from those of a demonstrator.
DEMO_NOTE = "演示数据"

#: What the county published for its 22 renovated neighbourhoods, by catalogue code.
PUBLISHED_TOTALS = {
    "eco_parking": 312,
    "bike_shed": 27,
    "access_control": 182,
    "charging_pile": 159,
    "public_toilet": 92,
    "greening": 2327,
    "illegal_structure_demolition": 106,
}

#: Quantities known for particular neighbourhoods; the rest of each total is shared out.
KNOWN = {
    "老冰棍厂小区": {
        "eco_parking": 40,
        "bike_shed": 1,
        "access_control": 1,
        "public_toilet": 29,
        "leisure_square": 320,
    },
    "老物局小区": {"elevator": 2},
    "红花小区": {"public_toilet": 36},
    "丝绸厂小区": {"public_toilet": 27},
}

#: Kinds whose totals go only to the neighbourhoods named in KNOWN.
ONLY_WHERE_KNOWN = {"public_toilet", "elevator", "leisure_square"}

#: Work every renovated neighbourhood had, sized from its households: (code, per household).
BASIC_WORK = (
    ("facade_stairwell", 38),
    ("roof_waterproofing", 9),
    ("cable_tidying", 6),
    ("water_drainage", 4),
    ("road_surfacing", 12),
    ("street_lighting", Decimal("0.12")),
)

#: Typical cost of one unit of each kind, in yuan.
UNIT_COST = {
    "facade_stairwell": 120,
    "roof_waterproofing": 95,
    "cable_tidying": 60,
    "water_drainage": 230,
    "road_surfacing": 160,
    "street_lighting": 2600,
    "eco_parking": 8000,
    "bike_shed": 60000,
    "access_control": 12000,
    "charging_pile": 6000,
    "public_toilet": 4500,
    "greening": 180,
    "illegal_structure_demolition": 3000,
    "elevator": 380000,
    "leisure_square": 350,
}

#: Government subsidy for each elevator installed; residents raise the rest.
ELEVATOR_SUBSIDY = Decimal("100000.00")

#: How the rest of a project's cost is shared among the sources.
FUNDING_SHARES = (
    (FundingLine.Source.CENTRAL, Decimal("0.45")),
    (FundingLine.Source.PROVINCIAL, Decimal("0.10")),
    (FundingLine.Source.COUNTY, Decimal("0.20")),
    (FundingLine.Source.HIGHER_LEVEL, Decimal("0.10")),
    (FundingLine.Source.UTILITIES, Decimal("0.05")),
    (FundingLine.Source.RESIDENTS, Decimal("0.10")),
)

#: The stage each neighbourhood of the current batch has reached, and how far its work is.
CURRENT_STAGES = {
    "烟草公司家属院": (Project.Status.DRAFT, 0),
    "广电局家属院": (Project.Status.CONSULTING, 0),  # consultation under way
    "五金公司家属院": (Project.Status.CONSULTING, 0),  # consultation complete: ready to approve
    "水利局家属院": (Project.Status.APPROVED, 0),
    "建安公司小区": (Project.Status.COMPLETED, 1),
    "药材公司家属院": (Project.Status.UNDER_CONSTRUCTION, Decimal("0.45")),
    "酒厂小区": (Project.Status.COMPLETED, 1),
}

#: Projects left in consultation with everything done, for trying the approval.
READY_FOR_APPROVAL = {"五金公司家属院"}

#: How the acceptance of some demo projects stands (``acceptance.demo.Outcome``): one
#: accepted after a failed check and a failed survey round, and the completed projects of the
#: current batch waiting, one short of the two-thirds turnout, one short of 90% satisfied.
#: Every other renovated project passed at its first check and survey round.
ACCEPTANCE_OUTCOMES = {
    "百货公司家属院": "passed_after_rectification",
    "酒厂小区": "short_of_turnout",
    "建安公司小区": "short_of_satisfaction",
}
#: The outcome of every other renovated project.
ACCEPTANCE_PASSED = "passed"

#: A step planned for a day still to come, or for the last two weeks, that the demo has
#: already taken is dated this long before today: the completed projects of the current batch
#: then had time for their completion check and satisfaction survey.
TAKEN_EARLY = datetime.timedelta(days=14)

#: The steps from draft to each status, in order.
STEPS = (
    (Project.Status.CONSULTING, services.start_consultation),
    (Project.Status.APPROVED, services.approve),
    (Project.Status.TENDERING, services.start_tendering),
    (Project.Status.UNDER_CONSTRUCTION, services.start_construction),
    (Project.Status.COMPLETED, services.complete_construction),
    (Project.Status.ACCEPTED, services.accept),
)

#: The milestone each step records, to set its date back to when it happened.
STEP_MILESTONE = {
    Project.Status.CONSULTING: Milestone.Kind.CONSULTATION_START,
    Project.Status.APPROVED: Milestone.Kind.APPROVAL,
    Project.Status.TENDERING: Milestone.Kind.TENDERING_START,
    Project.Status.UNDER_CONSTRUCTION: Milestone.Kind.CONSTRUCTION_START,
    Project.Status.COMPLETED: Milestone.Kind.CONSTRUCTION_END,
    Project.Status.ACCEPTED: Milestone.Kind.ACCEPTANCE,
}


@dataclass
class ProjectsResult:
    created: int
    existing: int


def share_out(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` split in whole units in proportion to ``weights`` (largest remainders)."""
    weight_sum = sum(weights.values())
    exact = {name: Decimal(total) * weight / weight_sum for name, weight in weights.items()}
    shares = {name: int(value) for name, value in exact.items()}
    leftover = total - sum(shares.values())
    by_remainder = sorted(exact, key=lambda name: (shares[name] - exact[name], name))
    for name in by_remainder[:leftover]:
        shares[name] += 1
    return shares


def renovated_quantities() -> dict[str, dict[str, int]]:
    """The built quantities of each renovated neighbourhood's special work, by code.

    The published totals are met exactly: known quantities first, the rest shared out in
    proportion to households among the neighbourhoods not named for that kind.
    """
    renovated = [n for n in NEIGHBOURHOODS if n.renovation_year < CURRENT_BATCH_YEAR]
    quantities: dict[str, dict[str, int]] = {n.name: {} for n in renovated}
    for name, known in KNOWN.items():
        quantities[name].update(known)
    for code, total in PUBLISHED_TOTALS.items():
        taken = sum(known.get(code, 0) for known in KNOWN.values())
        if code in ONLY_WHERE_KNOWN:
            continue
        others = {n.name: n.households for n in renovated if code not in KNOWN.get(n.name, {})}
        for name, quantity in share_out(total - taken, others).items():
            if quantity:
                quantities[name][code] = quantity
    return quantities


def _rng(name: str) -> random.Random:
    return random.Random(zlib.crc32(f"project:{name}".encode()))


def _yuan(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _deadline(batch_year: int, name: str) -> datetime.date:
    if name == "老冰棍厂小区":  # renovated from the end of 2020
        return datetime.date(2021, 5, 20)
    return datetime.date(batch_year, 12, 20)


def _items(households: int, special: dict[str, int], rng) -> list[tuple[str, Decimal]]:
    items = [
        (code, _yuan(Decimal(households) * Decimal(per) * Decimal(rng.uniform(0.8, 1.2))))
        for code, per in BASIC_WORK
    ]
    items = [(code, max(quantity.quantize(Decimal("1")), Decimal(1))) for code, quantity in items]
    items += [(code, Decimal(quantity)) for code, quantity in special.items()]
    return items


def _funding(project: Project, budget: Decimal, elevators: int) -> list[FundingLine]:
    lines = []
    rest = budget
    if elevators:
        elevator_cost = _yuan(UNIT_COST["elevator"] * elevators)
        subsidy = ELEVATOR_SUBSIDY * elevators
        lines += [
            FundingLine(
                project=project,
                source=FundingLine.Source.HIGHER_LEVEL,
                description="加装电梯政府补助（每部10万元）",
                planned=subsidy,
            ),
            FundingLine(
                project=project,
                source=FundingLine.Source.RESIDENTS,
                description="加装电梯居民自筹",
                planned=elevator_cost - subsidy,
            ),
        ]
        rest -= elevator_cost
    shares = [_yuan(rest * share) for _source, share in FUNDING_SHARES]
    shares[0] += rest - sum(shares)  # the cents left by rounding go to the central subsidy
    lines += [
        FundingLine(project=project, source=source, planned=amount)
        for (source, _share), amount in zip(FUNDING_SHARES, shares, strict=True)
    ]
    return lines


#: Demo documents of an accepted project, by category.
DOCUMENTS = (
    (Disclosure.Category.HOUSEHOLD_RECORDS, "入户调查汇总表"),
    (Disclosure.Category.PROCEDURES, "改造方案及审批文件"),
    (Disclosure.Category.TENDER, "施工招标公告及中标结果"),
    (Disclosure.Category.ENGINEERING, "主要材料进场检验记录"),
    (Disclosure.Category.ACCEPTANCE, "竣工验收清单"),
)

#: How many of the accepted projects get before-and-after photos in the demo.
PHOTOGRAPHED = 6


def _pdf(text: str) -> bytes:
    """A one-page PDF saying ``text`` (ASCII), enough to stand for a scanned document."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _picture(rng, *, after: bool) -> ContentFile:
    """A made-up photo: grey blocks before the work, coloured ones after."""
    image = Image.new("RGB", (1200, 800), (200, 200, 195) if not after else (214, 234, 248))
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.randrange(0, 1100), rng.randrange(0, 700)
        colour = (
            tuple(rng.randrange(90, 150) for _ in range(3))
            if not after
            else (rng.randrange(40, 120), rng.randrange(140, 200), rng.randrange(60, 140))
        )
        draw.rectangle((x, y, x + rng.randrange(60, 300), y + rng.randrange(40, 200)), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="demo.png")


def _add_media(project: Project, rng, *, photographed: bool) -> None:
    for category, title in DOCUMENTS:
        document = Disclosure(
            project=project,
            category=category,
            title=f"{project.neighbourhood.name}{title}",
            file=ContentFile(_pdf(f"Anju demo: {project.pk} {category}"), name=f"{category}.pdf"),
            is_public=True,
        )
        document.record_publication(now=project.status_changed_at)
        document.save()
    if not photographed:
        return
    for stage, caption in ((Photo.Stage.BEFORE, "改造前"), (Photo.Stage.AFTER, "改造后")):
        processed = process_upload(_picture(rng, after=stage == Photo.Stage.AFTER))
        Photo.objects.create(
            project=project,
            stage=stage,
            caption=f"{project.neighbourhood.name}{caption}",
            image=processed.image,
            thumbnail=processed.thumbnail,
            is_public=True,
        )


def _walk(
    project: Project,
    target: str,
    by,
    consult=None,
    accept_ready=None,
    *,
    ready: bool = True,
    outcome: str | None = None,
) -> None:
    """Move a draft project to ``target`` through the lifecycle's services.

    ``consult(project, complete=…, by=…)`` records the consultation (visits, discussion,
    notice) once the project is in consultation; ``accept_ready(project, by=…, outcome=…,
    completed_on=…, accept_on=…)`` records the completion check and the satisfaction survey
    once it is completed, so that its acceptance stands as ``outcome`` says (ready to be
    accepted on ``accept_on``, or waiting when the walk stops at completion). They belong to
    the surveys and acceptance apps, which the caller (``seed_demo``) hands in, so this
    module does not reach upwards for them.
    """
    for status, step in STEPS:
        if project.status == Project.Status.CONSULTING and consult is not None:
            consult(project, complete=target != Project.Status.CONSULTING or ready, by=by)
            consult = None
        if project.status == Project.Status.COMPLETED and accept_ready and outcome:
            days = _step_days(project)
            accept_ready(
                project,
                by=by,
                outcome=outcome,
                completed_on=days[Project.Status.COMPLETED],
                accept_on=days[Project.Status.ACCEPTED]
                if target == Project.Status.ACCEPTED
                else None,
            )
            accept_ready = None
        if project.status == target:
            return
        if status == Project.Status.COMPLETED:
            TaskItem.objects.filter(project=project).update(
                completed_quantity=F("planned_quantity"), status=TaskItem.Status.DONE
            )
        project = step(project, by=by, note=DEMO_NOTE)


def _step_days(project: Project) -> dict[str, datetime.date]:
    """The day each step of ``project`` is dated on: its planned milestone, or two weeks
    before today when that is later (``TAKEN_EARLY``)."""
    latest = timezone.localdate() - TAKEN_EARLY
    planned = dict(Milestone.objects.filter(project=project).values_list("kind", "planned_date"))
    return {
        status: min(planned[kind], latest)
        for status, kind in STEP_MILESTONE.items()
        if planned.get(kind) is not None
    }


def _set_dates_back(project: Project) -> None:
    """Date every step the project took on its planned milestone, as the county did it (two
    weeks ago at the latest: ``_step_days``)."""
    days = _step_days(project)
    for transition in ProjectTransition.objects.filter(project=project):
        day = days.get(transition.to_status)
        if day is None:
            continue
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        ProjectTransition.objects.filter(pk=transition.pk).update(at=at)
        Milestone.objects.filter(project=project, kind=STEP_MILESTONE[transition.to_status]).update(
            actual_date=day
        )
        Project.objects.filter(pk=project.pk).update(status_changed_at=at)


def _create_project(
    neighbourhood,
    demo,
    kinds,
    office,
    *,
    target,
    progress,
    special,
    photographed=False,
    consult=None,
    accept_ready=None,
) -> None:
    rng = _rng(demo.name)
    project = Project.objects.create(
        neighbourhood=neighbourhood,
        name=f"{demo.name}老旧小区改造项目",
        batch_year=demo.renovation_year,
        deadline=_deadline(demo.renovation_year, demo.name),
        summary="按照“要什么改什么、缺什么补什么”，经一访一议一公示确定改造内容。",
        responsible=office,
    )
    budget = Decimal(0)
    items = []
    for code, quantity in _items(demo.households, special, rng):
        cost = _yuan(quantity * UNIT_COST[code])
        budget += cost
        completed = (quantity * Decimal(progress)).quantize(Decimal("1"))
        items.append(
            TaskItem(
                project=project,
                kind=kinds[code],
                planned_quantity=quantity,
                completed_quantity=completed,
                budget=cost,
                responsible="县改造办",
                status=TaskItem.Status.DONE
                if completed >= quantity and progress
                else (TaskItem.Status.IN_PROGRESS if completed else TaskItem.Status.PLANNED),
            )
        )
    TaskItem.objects.bulk_create(items)
    FundingLine.objects.bulk_create(_funding(project, budget, special.get("elevator", 0)))
    if target == Project.Status.ACCEPTED:
        FundingLine.objects.filter(project=project).update(arrived=F("planned"), spent=F("planned"))
    services.plan_schedule(project)
    _walk(
        project,
        target,
        office,
        consult,
        accept_ready,
        ready=demo.name in READY_FOR_APPROVAL,
        outcome=ACCEPTANCE_OUTCOMES.get(
            demo.name, ACCEPTANCE_PASSED if target == Project.Status.ACCEPTED else None
        ),
    )
    _set_dates_back(project)
    project.refresh_from_db()
    if target == Project.Status.ACCEPTED:
        _add_media(project, rng, photographed=photographed)


def load_projects(consult=None, accept_ready=None) -> ProjectsResult:
    """Create the demo projects that are missing; ``consult`` records their consultation and
    ``accept_ready`` their completion check and satisfaction survey (see ``_walk``)."""
    kinds = {kind.code: kind for kind in CatalogueKind.objects.all()}
    office = get_user_model().objects.filter(username="office").first()
    neighbourhoods = {
        n.name: n
        for n in Neighbourhood.objects.filter(name__in=[d.name for d in NEIGHBOURHOODS])
        .exclude(community__parent__name="合成镇")
        .select_related("community")
    }
    with_project = set(
        Project.objects.filter(neighbourhood__in=neighbourhoods.values()).values_list(
            "neighbourhood__name", flat=True
        )
    )
    quantities = renovated_quantities()
    created = 0
    photographed = {n.name for n in NEIGHBOURHOODS[:PHOTOGRAPHED]}
    for demo in NEIGHBOURHOODS:
        neighbourhood = neighbourhoods.get(demo.name)
        if neighbourhood is None or demo.name in with_project:
            continue
        if demo.renovation_year < CURRENT_BATCH_YEAR:
            target, progress, special = Project.Status.ACCEPTED, 1, quantities[demo.name]
        else:
            target, progress = CURRENT_STAGES[demo.name]
            special = _current_batch_work(demo)
        with transaction.atomic():
            _create_project(
                neighbourhood,
                demo,
                kinds,
                office,
                target=target,
                progress=progress,
                special=special,
                photographed=demo.name in photographed,
                consult=consult,
                accept_ready=accept_ready,
            )
        created += 1
    return ProjectsResult(created=created, existing=len(with_project))


def _current_batch_work(demo) -> dict[str, int]:
    rng = _rng(demo.name)
    return {
        "eco_parking": rng.randint(4, 12),
        "access_control": rng.randint(1, 4),
        "charging_pile": rng.randint(2, 8),
        "greening": rng.randint(40, 160),
    }


# --- Synthetic projects, for load and benchmark work -----------------------------------------

#: How the synthetic projects are spread over the lifecycle (weights in %).
SYNTHETIC_STAGES = (
    (Project.Status.DRAFT, 5),
    (Project.Status.CONSULTING, 10),
    (Project.Status.APPROVED, 5),
    (Project.Status.TENDERING, 5),
    (Project.Status.UNDER_CONSTRUCTION, 30),
    (Project.Status.COMPLETED, 10),
    (Project.Status.ACCEPTED, 25),
    (Project.Status.HANDED_OVER, 10),
)
LIFECYCLE = [status for status, _weight in SYNTHETIC_STAGES]


@dataclass
class _SyntheticProject:
    project: Project
    transitions: list[ProjectTransition]
    milestones: list[Milestone]
    items: list[TaskItem]
    lines: list[FundingLine]


def _plan_synthetic_project(neighbourhood, kinds: dict, today: datetime.date) -> _SyntheticProject:
    """One project for a synthetic neighbourhood: its stage drawn from ``SYNTHETIC_STAGES``,
    its lifecycle dated over the months before ``today``, work sized by its households, funds
    shared as the demo county's are, some milestones late."""
    rng = _rng(f"synthetic:{neighbourhood.name}")
    target = rng.choices(LIFECYCLE, weights=[w for _s, w in SYNTHETIC_STAGES])[0]
    steps = LIFECYCLE[1 : LIFECYCLE.index(target) + 1]
    finished = target in Project.FINISHED_STATUSES
    batch_year = today.year - rng.randint(1, 3) if finished else today.year
    # The steps a month or so apart, the last of them at least a day before today.
    begin = today - datetime.timedelta(days=30 * len(steps) + rng.randint(1, 60))
    if finished:
        begin = min(begin, datetime.date(batch_year, 3, 1))
    days = [begin + datetime.timedelta(days=30 * n + rng.randint(0, 20)) for n in range(len(steps))]
    days = [min(day, today - datetime.timedelta(days=1)) for day in days]
    zone = timezone.get_default_timezone()
    moments = [datetime.datetime.combine(day, datetime.time(10), tzinfo=zone) for day in days]
    project = Project(
        neighbourhood=neighbourhood,
        name=f"{neighbourhood.name}改造",
        batch_year=batch_year,
        status=target,
        status_changed_at=moments[-1] if moments else None,
        deadline=datetime.date(batch_year, 12, 20),
        summary=DEMO_NOTE,
    )
    transitions = [
        ProjectTransition(project=project, from_status=before, to_status=after, at=moment)
        for before, after, moment in zip(LIFECYCLE, steps, moments, strict=False)
    ]
    reached = dict(zip(steps, days, strict=True))
    planned = begin
    milestones = []
    for status, kind in STEP_MILESTONE.items():
        planned += datetime.timedelta(days=30)
        milestones.append(
            Milestone(
                project=project, kind=kind, planned_date=planned, actual_date=reached.get(status)
            )
        )
    progress = {
        Project.Status.UNDER_CONSTRUCTION: Decimal(rng.randint(10, 90)) / 100,
        Project.Status.COMPLETED: Decimal(1),
    }.get(target, Decimal(1) if finished else Decimal(0))
    special = {
        "eco_parking": rng.randint(0, 20),
        "access_control": rng.randint(0, 6),
        "charging_pile": rng.randint(0, 10),
        "greening": rng.randint(0, 200),
    }
    items = []
    budget = Decimal(0)
    for code, quantity in _items(neighbourhood.household_count, special, rng):
        if not quantity or code not in kinds:
            continue
        item = TaskItem(
            project=project,
            kind=kinds[code],
            planned_quantity=quantity,
            completed_quantity=(quantity * progress).quantize(CENT, rounding=ROUND_HALF_UP),
            budget=_yuan(quantity * UNIT_COST.get(code, 100)),
        )
        item.status = item.status_from_quantities()
        items.append(item)
        budget += item.budget
    lines = _funding(project, budget, 0)
    arrived = Decimal(1) if finished else Decimal(rng.randint(0, 80)) / 100 if steps else 0
    for line in lines:
        line.arrived = _yuan(line.planned * arrived)
        line.spent = min(_yuan(line.planned * progress * arrived), line.arrived)
    return _SyntheticProject(project, transitions, milestones, items, lines)


def ensure_synthetic_projects(
    neighbourhoods, *, today: datetime.date | None = None, chunk_size: int = 500
) -> int:
    """Give each of ``neighbourhoods`` (synthetic ones, for load and benchmark work) a project
    of its own when it has none, with its lifecycle, milestones, task items and funding
    lines, written with ``bulk_create`` a chunk at a time. Deterministic; returns how many
    projects were created. No change history is written for them, as for any bulk load."""
    today = today or timezone.localdate()
    kinds = {kind.code: kind for kind in CatalogueKind.objects.all()}
    missing = list(
        neighbourhoods.filter(projects__isnull=True)
        .order_by("pk")
        .only("pk", "name", "household_count")
    )
    for start in range(0, len(missing), chunk_size):
        plans = [
            _plan_synthetic_project(neighbourhood, kinds, today)
            for neighbourhood in missing[start : start + chunk_size]
        ]
        with transaction.atomic():
            # Written straight to the table, status and all: each project's transitions are
            # written with it, so its status is still the target of its last one.
            QuerySet(model=Project).bulk_create([plan.project for plan in plans])
            for model, name in (
                (ProjectTransition, "transitions"),
                (Milestone, "milestones"),
                (TaskItem, "items"),
                (FundingLine, "lines"),
            ):
                rows = [row for plan in plans for row in getattr(plan, name)]
                for row in rows:
                    row.project_id = row.project.pk
                model.objects.bulk_create(rows, batch_size=2000)
    return len(missing)
