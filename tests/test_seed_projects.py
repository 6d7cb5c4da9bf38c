"""The demo county's projects: the published figures, every stage, loaded once."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from projects.demo import PUBLISHED_TOTALS, share_out
from projects.models import FundingLine, Milestone, Project, ProjectTransition, TaskItem
from residents.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.ANJU_DEMO = True
    call_command("seed_demo", verbosity=0)


def _accepted_outputs():
    rows = TaskItem.objects.filter(project__status=Project.Status.ACCEPTED).outputs_by_kind()
    return {row["code"]: row["completed"] for row in rows}


def test_share_out_meets_the_total_exactly():
    assert share_out(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert sum(share_out(272, {str(i): i + 50 for i in range(21)}).values()) == 272


def test_the_accepted_projects_built_what_the_county_published(seeded):
    county = Region.objects.get(parent=None, name="石泉县")
    assert Project.objects.filter(status=Project.Status.ACCEPTED).count() == 22
    outputs = _accepted_outputs()
    for code, total in PUBLISHED_TOTALS.items():
        assert outputs[code] == Decimal(total), code
    assert outputs["illegal_structure_demolition"] > 100
    county_outputs = {
        row["code"]: row["completed"]
        for row in TaskItem.objects.in_region(county)
        .filter(project__status=Project.Status.ACCEPTED)
        .outputs_by_kind()
    }
    assert county_outputs == outputs


def test_laobinggun_factory_compound_as_the_report_tells_it(seeded):
    project = Project.objects.get(neighbourhood__name="老冰棍厂小区")
    built = {
        row["code"]: row["completed"]
        for row in TaskItem.objects.in_project(project).outputs_by_kind()
    }
    assert built["eco_parking"] == 40
    assert built["bike_shed"] == 1
    assert built["access_control"] == 1
    assert built["public_toilet"] == 29
    assert built["leisure_square"] > 0
    started = Milestone.objects.get(project=project, kind=Milestone.Kind.CONSTRUCTION_START)
    assert datetime.date(2020, 11, 1) <= started.actual_date <= datetime.date(2020, 12, 31)


def test_elevators_at_laowuju_are_paid_by_subsidy_and_residents(seeded):
    project = Project.objects.get(neighbourhood__name="老物局小区")
    assert TaskItem.objects.get(project=project, kind__code="elevator").completed_quantity == 2
    subsidy = FundingLine.objects.get(
        project=project, source=FundingLine.Source.HIGHER_LEVEL, description__contains="电梯"
    )
    residents = FundingLine.objects.get(
        project=project, source=FundingLine.Source.RESIDENTS, description__contains="电梯"
    )
    assert subsidy.planned == Decimal("200000.00")
    assert subsidy.planned + residents.planned == Decimal("760000.00")
    totals = FundingLine.objects.in_project(project).totals()
    budget = sum(item.budget for item in TaskItem.objects.filter(project=project))
    assert totals["planned"] == budget


def test_the_current_batch_has_a_project_at_every_stage_up_to_acceptance(seeded):
    statuses = set(
        Project.objects.filter(batch_year=2026).values_list("status", flat=True).distinct()
    )
    # Nothing is left tendering: 建安公司小区 went on to completion, to wait for its acceptance
    # beside 酒厂小区 (tests/test_seed_acceptance.py).
    assert statuses == {
        Project.Status.DRAFT,
        Project.Status.CONSULTING,
        Project.Status.APPROVED,
        Project.Status.UNDER_CONSTRUCTION,
        Project.Status.COMPLETED,
    }
    assert set(
        Project.objects.filter(status=Project.Status.COMPLETED).values_list(
            "neighbourhood__name", flat=True
        )
    ) == {"酒厂小区", "建安公司小区"}


def test_no_demo_step_is_dated_in_the_future(seeded):
    from django.utils import timezone

    latest = timezone.now() - datetime.timedelta(days=13)
    assert not ProjectTransition.objects.filter(at__gt=latest).exists()
    assert not Milestone.objects.filter(actual_date__gt=latest.date()).exists()


def test_every_demo_project_reached_its_stage_through_the_lifecycle(seeded):
    order = [status for status, _label in Project.Status.choices]
    for project in Project.objects.all():
        steps = list(
            ProjectTransition.objects.filter(project=project)
            .order_by("at")
            .values_list("to_status", flat=True)
        )
        assert steps == order[1 : order.index(project.status) + 1], project.name


def test_loading_twice_creates_no_second_project(seeded):
    counts = (Project.objects.count(), TaskItem.objects.count(), FundingLine.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Project.objects.count(), TaskItem.objects.count(), FundingLine.objects.count()) == (
        counts
    )


def test_accepted_projects_publish_their_five_documents_and_some_photos(seeded, client):
    from projects.models import Disclosure, Photo

    project = Project.objects.get(neighbourhood__name="老冰棍厂小区")
    documents = Disclosure.objects.filter(project=project, is_public=True)
    assert set(documents.values_list("category", flat=True)) == set(Disclosure.Category.values)
    assert all(document.file.read(5) == b"%PDF-" for document in documents)
    assert Photo.objects.filter(project=project).count() == 2
    index = client.get("/notices/").content.decode()
    assert "老冰棍厂小区" in index
    page = client.get(f"/notices/{project.pk}/").content.decode()
    assert "竣工验收清单" in page


def test_synthetic_projects_are_whole_consistent_and_made_once(db):
    from cycle import snapshots
    from projects.demo import ensure_synthetic_projects
    from residents.models import Neighbourhood

    from .factories import CatalogueKindFactory, NeighbourhoodFactory

    for code in ("facade_stairwell", "eco_parking", "charging_pile"):
        CatalogueKindFactory(code=code)
    for _ in range(40):
        NeighbourhoodFactory(household_count=120)
    today = datetime.date(2026, 11, 20)

    assert ensure_synthetic_projects(Neighbourhood.objects.all(), today=today) == 40
    assert ensure_synthetic_projects(Neighbourhood.objects.all(), today=today) == 0

    projects = Project.objects.all()
    assert projects.count() == 40
    assert len({p.status for p in projects}) >= 5  # spread over the lifecycle
    for project in projects.prefetch_related("transitions", "task_items", "funding_lines"):
        steps = sorted(project.transitions.all(), key=lambda t: t.at)
        assert (steps[-1].to_status if steps else Project.Status.DRAFT) == project.status
        assert all(t.at.date() < today for t in steps)
        assert project.task_items.count() >= 2
        for item in project.task_items.all():
            assert item.status == item.status_from_quantities()
            if project.status in Project.FINISHED_STATUSES:
                assert item.completed_quantity == item.planned_quantity
        for line in project.funding_lines.all():
            assert line.spent <= line.arrived <= line.planned
    assert Milestone.objects.filter(project__status=Project.Status.DRAFT).count() == 6 * (
        projects.filter(status=Project.Status.DRAFT).count()
    )
    county = snapshots.live_county_figures()
    assert county["projects"] == projects.exclude(status=Project.Status.DRAFT).count()
    assert county["outputs"]["facade_stairwell"]["planned"] != "0.00"
