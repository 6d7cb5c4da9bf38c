"""The demo county's projects, for ``seed_demo``.

The 22 renovated neighbourhoods get an accepted project each, in batches from 2019, whose
built quantities add up to what Shiquan County published: 312 eco parking spaces, 27 sheds,
182 access-control and security sets, 159 charging piles, 92 m² of public toilets, 2,327 m²
of greening, 106 illegal structures demolished, and elevators at 老物局小区. 老冰棍厂小区 has
40 parking spaces, 1 shed, 1 access-control set, a 29 m² public toilet and a leisure square,
renovated from the end of 2020. The neighbourhoods of the current batch get projects at the
other stages (draft, consulting, approved, tendering, under construction, awaiting
acceptance), so every flow can be tried.

Every project moves through the lifecycle by ``projects.services`` like any other; its dates
are then set back to when the county did the work. Deterministic and idempotent: a
neighbourhood that already has its project is left alone.
"""

from __future__ import annotations

import datetime
import random
import zlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from residents.demo import CURRENT_BATCH_YEAR, NEIGHBOURHOODS
from residents.models import Neighbourhood

from . import services
from .models import CatalogueKind, FundingLine, Milestone, Project, ProjectTransition, TaskItem

CENT = Decimal("0.01")

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
    "广电局家属院": (Project.Status.CONSULTING, 0),
    "水利局家属院": (Project.Status.APPROVED, 0),
    "建安公司小区": (Project.Status.TENDERING, 0),
    "药材公司家属院": (Project.Status.UNDER_CONSTRUCTION, Decimal("0.45")),
    "五金公司家属院": (Project.Status.UNDER_CONSTRUCTION, Decimal("0.70")),
    "酒厂小区": (Project.Status.COMPLETED, 1),
}

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


def _walk(project: Project, target: str, by) -> None:
    """Move a draft project to ``target`` through the lifecycle's services."""
    for status, step in STEPS:
        if project.status == target:
            return
        if status == Project.Status.COMPLETED:
            TaskItem.objects.filter(project=project).update(
                completed_quantity=F("planned_quantity"), status=TaskItem.Status.DONE
            )
        project = step(project, by=by, note="演示数据")


def _set_dates_back(project: Project) -> None:
    """Date every step the project took on its planned milestone, as the county did it."""
    milestones = dict(Milestone.objects.filter(project=project).values_list("kind", "planned_date"))
    for transition in ProjectTransition.objects.filter(project=project):
        day = milestones.get(STEP_MILESTONE.get(transition.to_status))
        if day is None:
            continue
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        ProjectTransition.objects.filter(pk=transition.pk).update(at=at)
        Milestone.objects.filter(project=project, kind=STEP_MILESTONE[transition.to_status]).update(
            actual_date=day
        )
        Project.objects.filter(pk=project.pk).update(status_changed_at=at)


def _create_project(neighbourhood, demo, kinds, office, *, target, progress, special) -> None:
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
    _walk(project, target, office)
    _set_dates_back(project)


def load_projects() -> ProjectsResult:
    """Create the demo projects that are missing."""
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
