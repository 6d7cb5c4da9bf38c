"""The leader pages (/leaders/): who may read them, the month at a glance (live and frozen),
the records behind each figure, a project's page, the charts, and fixed query counts.

The demo's published totals are checked once against the demo county, loaded once for the
module's last tests (see ``demo``)."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from cycle import snapshots
from cycle.models import CountySnapshot
from cycle.periods import Month
from leaders import charts
from leaders.figures import change, plain
from projects.models import Project, ProjectTransition, TaskItem
from projects.workflow import TRANSITIONS
from residents.roles import Role

from .conftest import make_user
from .factories import (
    CatalogueKindFactory,
    FundingLineFactory,
    HouseholdFactory,
    MilestoneFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    ResidentRequestFactory,
    TaskItemFactory,
)

Status = Project.Status


def reach(project, status, *, at=None):
    """Take ``project`` to ``status``: its transitions (dated ``at``, default an hour ago) and
    its status field, as the services would leave them (without their gates)."""
    at = at or timezone.now() - datetime.timedelta(hours=1)
    current = Status.DRAFT
    for transition in TRANSITIONS:
        if current == status:
            break
        if transition.source == current:
            ProjectTransition.objects.create(
                project=project, from_status=current, to_status=transition.target, at=at
            )
            current = transition.target
    assert current == status
    # The status is locked against bulk writes in the app; a test stands in for the services.
    models.QuerySet.update(Project.objects.filter(pk=project.pk), status=status)
    project.status = status
    return project


PARKING = "eco_parking"


def grow(count: int, *, at=None):
    """``count`` projects, alternately accepted and under construction, each with a parking
    item, a funding line, a late milestone and a request."""
    kind = CatalogueKindFactory(code=PARKING)
    projects = []
    for n in range(count):
        neighbourhood = NeighbourhoodFactory()
        status = Status.ACCEPTED if n % 2 == 0 else Status.UNDER_CONSTRUCTION
        project = reach(ProjectFactory(neighbourhood=neighbourhood), status, at=at)
        TaskItemFactory(project=project, kind=kind, planned_quantity=10, completed_quantity=4)
        FundingLineFactory(project=project, arrived=Decimal("50000"), spent=Decimal("20000"))
        MilestoneFactory(project=project, planned_date=datetime.date(2020, 1, 1))
        ResidentRequestFactory(neighbourhood=neighbourhood)
        projects.append(project)
    return projects


@pytest.fixture
def leader(db):
    return make_user(Role.LEADER)


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader)
    return client


# --- Who may read -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/leaders/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/leaders/"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMUNITY, Role.VISITOR])
def test_roles_without_the_whole_county_are_refused(client, role):
    client.force_login(make_user(role))
    assert client.get("/leaders/").status_code == 403
    assert client.get(reverse("leaders:requests")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.LEADER, Role.OFFICE, Role.AUDITOR, Role.INSPECTOR])
def test_the_county_wide_roles_read_the_overview(client, role):
    client.force_login(make_user(role))
    assert client.get("/leaders/").status_code == 200


def test_the_pages_are_read_only(leader_client):
    assert leader_client.post("/leaders/").status_code == 405


# --- The overview -----------------------------------------------------------------------------


def test_the_live_overview_shows_both_batches_with_links_to_their_items(leader_client):
    grow(3)
    response = leader_client.get("/leaders/")
    outputs = {row["code"]: row for row in response.context["outputs"]}
    # Two accepted projects and one under way, 4 of 10 spaces done in each.
    assert outputs[PARKING]["accepted"] == {"planned": "20", "completed": "8"}
    assert outputs[PARKING]["current"] == {"planned": "10", "completed": "4"}
    assert response.context["is_live"]
    assert response.context["behind_count"] == 1  # an accepted project is never behind
    html = response.content.decode()
    assert f"/leaders/outputs/{PARKING}/?batch=accepted" in html
    assert "/leaders/funds/?source=county" in html
    for project in Project.objects.all():
        assert f"/leaders/projects/{project.pk}/" in html
    assert "kozea.github.io" not in html and '<script type="text/javascript" href' not in html


def test_a_past_month_reads_its_snapshot_and_its_change_against_the_month_before(leader_client):
    current = Month.current()
    last, before = current.previous(), current.previous().previous()
    grow(2, at=snapshots.month_start(before) + datetime.timedelta(days=2))
    snapshots.freeze_month(before)
    grow(1, at=snapshots.month_start(last) + datetime.timedelta(days=2))
    snapshots.freeze_month(last)

    response = leader_client.get(f"/leaders/{last.key}/")
    assert response.status_code == 200
    assert not response.context["is_live"]
    assert response.context["projects_count"] == 3
    assert response.context["projects_change"] == "+1"
    assert [m.key for m in response.context["months"]] == [current.key, last.key, before.key]
    assert leader_client.get(f"/leaders/{before.previous().key}/").status_code == 404
    assert leader_client.get(f"/leaders/{current.next().key}/").status_code == 404


def test_change_and_plain_figures():
    assert change(5, 3) == "+2"
    assert change("73.7", "70.2") == "+3.5"
    assert change(1, 2) == "-1"
    assert change(1, None) is None
    assert plain("312.00") == "312"
    assert plain("12.50") == "12.5"


def test_charts_are_inline_svg_without_external_script_or_declaration():
    svg = charts.stages_chart("阶段", [("施工中", 3), ("已验收", 22)])
    assert svg.startswith("<svg")
    assert "<?xml" not in svg and "href=" not in svg.split("</defs>")[0].split("<defs>")[1]
    assert "kozea.github.io" not in svg
    assert "施工中" in svg


# --- The records behind the figures -----------------------------------------------------------


def test_the_output_drill_down_lists_the_items_that_add_up_to_the_total(leader_client):
    grow(4)
    response = leader_client.get(f"/leaders/outputs/{PARKING}/?batch=current")
    items = response.context["items"]
    assert {item.project.status for item in items} == {Status.UNDER_CONSTRUCTION}
    assert sum(item.completed_quantity for item in items) == 8
    assert response.context["completed"] == "8"
    assert leader_client.get("/leaders/outputs/no-such-kind/").status_code == 404


def test_the_funds_drill_down_lists_the_lines_of_a_source(leader_client):
    grow(2)
    FundingLineFactory(project=Project.objects.first(), source="central")
    response = leader_client.get("/leaders/funds/?source=county")
    assert len(response.context["lines"]) == 2
    assert response.context["totals"]["arrived"] == Decimal("100000")
    assert leader_client.get("/leaders/funds/?source=nowhere").status_code == 404


def test_behind_schedule_lists_the_late_projects(leader_client):
    projects = grow(2)
    response = leader_client.get("/leaders/behind/")
    assert [p.pk for p in response.context["projects"]] == [projects[1].pk]


def test_no_residents_personal_data_on_the_requests_page(leader_client):
    household = HouseholdFactory(head_name="张三丰", phone="13912345678")
    ResidentRequestFactory(
        neighbourhood=household.building.neighbourhood, household=household, text="楼道灯坏了"
    )
    html = leader_client.get("/leaders/requests/").content.decode()
    assert household.building.neighbourhood.name in html
    for secret in ("张三丰", "13912345678", "楼道灯坏了"):
        assert secret not in html


# --- A project's page -------------------------------------------------------------------------


def test_the_project_page_shows_its_timeline_items_and_funds(leader_client):
    project = grow(1)[0]
    response = leader_client.get(f"/leaders/projects/{project.pk}/")
    assert response.status_code == 200
    assert len(response.context["items"]) == 1
    assert response.context["funds_total"]["planned"] == Decimal("100000")
    assert response.context["request_counts"]["open"] == 1
    assert leader_client.get("/leaders/projects/999999/").status_code == 404


# --- A fixed number of queries ----------------------------------------------------------------

# Every page: the request's savepoint and its release (ATOMIC_REQUESTS), the session, the
# user, the user's own permissions and their groups' (6).
AUTH = 6


@pytest.mark.parametrize("first, then", [(3, 27)])
def test_the_live_overview_runs_a_fixed_number_of_queries(
    leader_client, django_assert_num_queries, first, then
):
    # The live figures: the projects, merged compounds, completion, outputs, funds, late
    # milestones, requests, findings, dispatches, survey rounds, decisions (11), the
    # catalogue's names, the county's requests and findings (3); the previous month's
    # snapshot, the months frozen, the month's bulletin (3).
    grow(first)
    with django_assert_num_queries(AUTH + 14 + 3):
        leader_client.get("/leaders/")
    grow(then)
    with django_assert_num_queries(AUTH + 14 + 3):
        leader_client.get("/leaders/")


def test_a_past_month_runs_a_fixed_number_of_queries(leader_client, django_assert_num_queries):
    # The county's snapshot and the projects' snapshots (2); the previous month's snapshot,
    # the months frozen, the month's bulletin (3).
    last = Month.current().previous()
    at = snapshots.month_start(last) + datetime.timedelta(days=2)
    for count in (3, 27):
        grow(count, at=at)
        snapshots.freeze_month(last)
        with django_assert_num_queries(AUTH + 2 + 3):
            leader_client.get(f"/leaders/{last.key}/")


def test_the_drill_down_runs_a_fixed_number_of_queries(leader_client, django_assert_num_queries):
    # The kind, the items with their projects, neighbourhoods and communities (2).
    for count in (3, 27):
        grow(count)
        with django_assert_num_queries(AUTH + 2):
            leader_client.get(f"/leaders/outputs/{PARKING}/?batch=accepted")


def test_the_other_lists_run_a_fixed_number_of_queries(leader_client, django_assert_num_queries):
    for count in (3, 27):
        grow(count)
        with django_assert_num_queries(AUTH + 1):  # the lines with their projects
            leader_client.get("/leaders/funds/")
        with django_assert_num_queries(AUTH + 1):  # the late projects, annotated
            leader_client.get("/leaders/behind/")
        with django_assert_num_queries(AUTH + 1):  # the counts by neighbourhood
            leader_client.get("/leaders/requests/")


def test_the_project_page_runs_a_fixed_number_of_queries(leader_client, django_assert_num_queries):
    # The project (with neighbourhood and community), visit coverage, discussions, notices,
    # milestones, dispatches, inspections, the decision, public photos, items, funding
    # lines, request counts (12).
    project = grow(1)[0]
    kind = CatalogueKindFactory(code=PARKING)
    for count in (3, 27):
        for _ in range(count):
            TaskItemFactory(project=project, kind=kind)
            FundingLineFactory(project=project)
            MilestoneFactory(project=project, kind=f"k{TaskItem.objects.count()}")
        with django_assert_num_queries(AUTH + 12):
            leader_client.get(f"/leaders/projects/{project.pk}/")


# --- The demo county --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_county(django_db_setup, django_db_blocker):
    """The demo county, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_county, db):
    """The demo county, each test in a savepoint of it (``db`` also makes pytest-django run
    these tests with the other database tests, before the transactional ones that empty the
    tables)."""


PUBLISHED = {
    "eco_parking": "312",
    "bike_shed": "27",
    "access_control": "182",
    "charging_pile": "159",
    "public_toilet": "92",
    "greening": "2327",
}


def test_the_demo_overview_shows_the_countys_published_totals(demo, client):
    client.force_login(get_user_model().objects.get(username="leader"))
    response = client.get("/leaders/")
    assert response.status_code == 200
    outputs = {row["code"]: row["accepted"]["completed"] for row in response.context["outputs"]}
    for code, total in PUBLISHED.items():
        assert outputs.get(code) == total, code
    # Last month was closed: its page reads its snapshot, and links to its bulletin.
    last = Month.current().previous()
    assert CountySnapshot.objects.filter(month=last.first).exists()
    page = client.get(f"/leaders/{last.key}/")
    assert page.status_code == 200
    assert f"/cycle/bulletins/{last.key}/" in page.content.decode()


def test_the_demo_parking_drill_down_adds_up_to_312(demo, client):
    client.force_login(get_user_model().objects.get(username="leader"))
    response = client.get(f"/leaders/outputs/{PARKING}/?batch=accepted")
    items = response.context["items"]
    assert sum(item.completed_quantity for item in items) == 312
    assert len({item.project_id for item in items}) >= 1
