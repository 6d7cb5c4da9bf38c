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
from leaders.figures import change, percent_of, plain
from leaders.views import milestone_timeline
from projects.models import Milestone, Project, ProjectTransition, TaskItem
from projects.workflow import TRANSITIONS
from residents.roles import Role

from .conftest import UNREACHABLE, make_user
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
from .test_cycle_snapshots import FindingFactory, InspectionFactory
from .test_security import INLINE_SCRIPT

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


def now_key() -> str:
    return Month.current().key


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMUNITY, Role.VISITOR])
def test_roles_without_the_whole_county_are_refused(client, role):
    client.force_login(make_user(role))
    assert client.get("/leaders/").status_code == 403
    assert client.get(reverse("leaders:requests", args=[now_key()])).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.LEADER, Role.OFFICE, Role.AUDITOR, Role.INSPECTOR])
def test_the_county_wide_roles_read_the_overview(client, role):
    client.force_login(make_user(role))
    assert client.get("/leaders/").status_code == 200


def test_the_pages_are_read_only(leader_client):
    assert leader_client.post("/leaders/").status_code == 405
    assert leader_client.post(f"/leaders/{now_key()}/projects/").status_code == 405


# --- The overview -----------------------------------------------------------------------------


def test_the_live_overview_shows_both_batches_with_links_to_their_records(leader_client):
    grow(3)
    response = leader_client.get("/leaders/")
    outputs = {row["code"]: row for row in response.context["outputs"]}
    # Two accepted projects and one under way, 4 of 10 spaces done in each.
    assert outputs[PARKING]["accepted"] == {"planned": "20", "completed": "8"}
    assert outputs[PARKING]["current"] == {"planned": "10", "completed": "4"}
    assert response.context["is_live"]
    assert response.context["behind_count"] == 1  # an accepted project is never behind
    html = response.content.decode()
    key = now_key()
    assert f"/leaders/{key}/outputs/{PARKING}/?batch=accepted" in html
    assert f"/leaders/{key}/funds/?source=county" in html
    assert f"/leaders/{key}/projects/?stage=accepted" in html
    assert f"/leaders/{key}/projects/?behind=1" in html
    assert INLINE_SCRIPT.findall(html) == []  # the charts carry no script, inline or not


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
    assert response.context["requests_change"]["open"] == "±0"  # received now: in neither
    assert [m.key for m in response.context["months"]] == [current.key, last.key, before.key]
    assert leader_client.get(f"/leaders/{before.previous().key}/").status_code == 404
    assert leader_client.get(f"/leaders/{current.next().key}/").status_code == 404
    assert leader_client.get(f"/leaders/{current.next().key}/projects/").status_code == 404


def test_a_past_month_and_its_lists_stay_as_frozen_when_records_change(leader_client):
    last = Month.current().previous()
    projects = grow(2, at=snapshots.month_start(last) + datetime.timedelta(days=2))
    snapshots.freeze_month(last)
    TaskItem.objects.update(completed_quantity=10)  # later work changes nothing frozen

    page = leader_client.get(f"/leaders/{last.key}/")
    outputs = {row["code"]: row for row in page.context["outputs"]}
    assert outputs[PARKING]["accepted"]["completed"] == "4"
    drill = leader_client.get(f"/leaders/{last.key}/outputs/{PARKING}/?batch=accepted")
    assert [row["completed"] for row in drill.context["rows"]] == ["4"]
    assert drill.context["completed"] == "4"
    assert [row["project_id"] for row in drill.context["rows"]] == [projects[0].pk]
    live = leader_client.get(f"/leaders/{now_key()}/outputs/{PARKING}/?batch=accepted")
    assert live.context["completed"] == "10"


def test_change_and_plain_figures():
    assert change(5, 3) == "+2"
    assert change("73.7", "70.2") == "+3.5"
    assert change(1, 2) == "-1"
    assert change(1, None) is None
    assert change(2, 2) == "±0"
    assert plain("312.00") == "312"
    assert plain("12.50") == "12.5"
    assert percent_of(2, 3) == "66.7"
    assert percent_of(1, 0) is None


def test_charts_are_inline_svg_without_any_script_or_declaration():
    svg = charts.stages_chart("阶段", [("施工中", 3), ("已验收", 22)])
    assert svg.startswith("<svg")
    assert "<?xml" not in svg and "<script" not in svg
    assert "kozea.github.io" not in svg
    assert "施工中" in svg
    # Named after what it shows, not after the library that drew it.
    assert "<title>阶段</title>" in svg and "Pygal" not in svg
    funds = charts.funds_chart("资金<到位>", {"计划": [1.0]}, ["县级"])
    assert "<title>资金&lt;到位&gt;</title>" in funds and "Pygal" not in funds


@pytest.fixture
def kept_figures(settings):
    """The current month's figures kept in the cache for five minutes, as in production."""
    from django.core.cache import cache

    settings.ANJU_LIVE_FIGURES_SECONDS = 300
    key = f"anju:county-figures:{now_key()}"
    cache.delete(key)
    yield key
    cache.delete(key)


def test_the_live_overview_reads_recent_figures_from_the_cache(
    leader_client, kept_figures, django_assert_num_queries
):
    from cycle.tasks import refresh_figures

    grow(2)
    first = leader_client.get("/leaders/")
    assert first.context["projects_count"] == 2
    taken_at = first.context["taken_at"]
    assert 'id="taken-at"' in first.content.decode()

    grow(1)
    # Within five minutes the page reads what was summed: no sum is run again.
    with django_assert_num_queries(AUTH + 3):
        again = leader_client.get("/leaders/")
    assert again.context["projects_count"] == 2 and again.context["taken_at"] == taken_at

    refresh_figures.delay()  # beat's five-minute run sums them afresh
    assert leader_client.get("/leaders/").context["projects_count"] == 3


def test_stale_or_unreachable_cached_figures_are_summed_afresh(db, kept_figures, settings):
    from django.core.cache import cache

    grow(1)
    figures, at = snapshots.recent_county_figures()
    assert figures["projects"] == 1
    grow(1)
    old = at - datetime.timedelta(seconds=301)
    cache.set(kept_figures, {"at": old, "figures": figures})
    assert snapshots.recent_county_figures()[0]["projects"] == 2  # too old: summed again

    # The production cache, pointed at a port where no Redis listens.
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": UNREACHABLE}
    }
    grow(1)
    assert snapshots.recent_county_figures()[0]["projects"] == 3


# --- The projects, the ranking and the inspection report of a month ------------------------


def test_the_project_list_narrows_by_stage_and_schedule_live_and_frozen(leader_client):
    last = Month.current().previous()
    projects = grow(4, at=snapshots.month_start(last) + datetime.timedelta(days=2))
    snapshots.freeze_month(last)
    for key in (now_key(), last.key):
        everything = leader_client.get(f"/leaders/{key}/projects/")
        assert everything.context["page"].paginator.count == 4
        building = leader_client.get(f"/leaders/{key}/projects/?stage=under_construction")
        assert [row["pk"] for row in building.context["rows"]] == sorted(
            (p.pk for p in projects[1::2]), key=lambda pk: Project.objects.get(pk=pk).name
        )
        behind = leader_client.get(f"/leaders/{key}/projects/?behind=1")
        assert {row["pk"] for row in behind.context["rows"]} == {p.pk for p in projects[1::2]}
        assert all(row["behind_schedule"] for row in behind.context["rows"])
    assert leader_client.get(f"/leaders/{now_key()}/projects/?stage=nowhere").status_code == 404


def test_the_project_list_is_paginated(leader_client, monkeypatch):
    from leaders import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    grow(5)
    first = leader_client.get(f"/leaders/{now_key()}/projects/")
    last = leader_client.get(f"/leaders/{now_key()}/projects/?page=3")
    assert len(first.context["rows"]) == 2 and len(last.context["rows"]) == 1
    names = [row["name"] for row in first.context["rows"]] + [
        row["name"] for row in last.context["rows"]
    ]
    assert len(set(names)) == 3
    assert "page=2" in first.content.decode()


def test_the_ranking_page_shows_the_months_ranking_and_the_latest_by_default(leader_client):
    from cycle.ranking import rank_month

    last = Month.current().previous()
    grow(3, at=snapshots.month_start(last) + datetime.timedelta(days=2))
    assert leader_client.get("/leaders/ranking/").context["page"] is None  # nothing ranked
    snapshots.freeze_month(last)
    rank_month(last)

    response = leader_client.get("/leaders/ranking/")
    assert response.status_code == 302
    assert response["Location"] == f"/leaders/{last.key}/ranking/"
    page = leader_client.get(response["Location"])
    ranks = [row["ranking"].rank for row in page.context["rows"]]
    assert len(ranks) == 3 and ranks == sorted(ranks)
    assert page.context["columns"]
    this_month = leader_client.get(f"/leaders/{now_key()}/ranking/")
    assert this_month.status_code == 200 and not this_month.context["rows"]


def test_the_inspection_report_page_reads_the_months_report(leader_client):
    from cycle.inspections import produce_report

    last = Month.current().previous()
    project = grow(1)[0]
    inspection = InspectionFactory(project=project, date=last.first + datetime.timedelta(days=3))
    FindingFactory(
        inspection=inspection, deadline=last.first + datetime.timedelta(days=5), severity="major"
    )
    assert leader_client.get(f"/leaders/{last.key}/inspections/").status_code == 404
    produce_report(last)

    page = leader_client.get(f"/leaders/{last.key}/inspections/")
    assert page.context["content"]["findings"]["total"] == 1
    assert len(page.context["overdue"]) == 1
    assert project.name in page.content.decode()
    live = leader_client.get(f"/leaders/{now_key()}/inspections/")
    assert live.status_code == 200 and live.context["is_live"]


def test_the_live_inspection_report_counts_what_is_overdue_today(leader_client):
    project = grow(1)[0]
    today = timezone.localdate()
    inspection = InspectionFactory(project=project, date=today - datetime.timedelta(days=10))
    FindingFactory(inspection=inspection, deadline=today - datetime.timedelta(days=4))
    FindingFactory(inspection=inspection, deadline=today + datetime.timedelta(days=1))
    page = leader_client.get(f"/leaders/{now_key()}/inspections/")
    assert [item["days_overdue"] for item in page.context["overdue"]] == [4]
    assert page.context["overdue_count"] == 1


def test_the_project_list_shows_money_in_ten_thousand_yuan_and_households(leader_client):
    grow(1)  # 50,000 yuan arrived
    row = leader_client.get(f"/leaders/{now_key()}/projects/").context["rows"][0]
    assert str(row["arrived_wan"]) == "5.00"
    assert row["households"] >= 0


def test_a_draft_has_no_leader_page(leader_client):
    draft = ProjectFactory()
    assert leader_client.get(f"/leaders/projects/{draft.pk}/").status_code == 404


# --- The records behind the figures -----------------------------------------------------------


def test_the_output_drill_down_lists_the_items_that_add_up_to_the_total(leader_client):
    grow(4)
    response = leader_client.get(f"/leaders/{now_key()}/outputs/{PARKING}/?batch=current")
    rows = response.context["rows"]
    assert len(rows) == 2
    assert sum(Decimal(row["completed"]) for row in rows) == 8
    assert response.context["completed"] == "8"
    assert leader_client.get(f"/leaders/{now_key()}/outputs/no-such-kind/").status_code == 404


def test_the_funds_drill_down_lists_the_lines_of_a_source(leader_client):
    grow(2)
    FundingLineFactory(project=Project.objects.first(), source="central")
    response = leader_client.get(f"/leaders/{now_key()}/funds/?source=county")
    assert len(response.context["rows"]) == 2
    assert response.context["totals"]["arrived"] == Decimal("100000")
    assert leader_client.get(f"/leaders/{now_key()}/funds/?source=nowhere").status_code == 404


def test_a_past_months_funds_are_the_frozen_ones(leader_client):
    last = Month.current().previous()
    grow(2, at=snapshots.month_start(last) + datetime.timedelta(days=2))
    snapshots.freeze_month(last)
    FundingLineFactory(project=Project.objects.first(), source="county", arrived=Decimal("7"))
    response = leader_client.get(f"/leaders/{last.key}/funds/?source=county")
    assert response.context["totals"]["arrived"] == Decimal("100000.00")
    assert sum(row["arrived"] for row in response.context["rows"]) == Decimal("100000.00")


def test_no_residents_personal_data_on_the_requests_page(leader_client):
    household = HouseholdFactory(head_name="张三丰", phone="13912345678")
    ResidentRequestFactory(
        neighbourhood=household.building.neighbourhood, household=household, text="楼道灯坏了"
    )
    html = leader_client.get(f"/leaders/{now_key()}/requests/").content.decode()
    assert household.building.neighbourhood.name in html
    for secret in ("张三丰", "13912345678", "楼道灯坏了"):
        assert secret not in html


# --- A project's page -------------------------------------------------------------------------


def test_the_project_page_shows_its_timeline_items_and_funds(leader_client):
    project = grow(1)[0]
    today = timezone.localdate()
    MilestoneFactory(
        project=project,
        kind="construction_end",
        planned_date=today - datetime.timedelta(days=20),
        actual_date=today - datetime.timedelta(days=15),
    )
    response = leader_client.get(f"/leaders/projects/{project.pk}/")
    assert response.status_code == 200
    assert len(response.context["items"]) == 1
    assert response.context["funds_total"]["planned"] == Decimal("100000")
    assert response.context["request_counts"]["open"] == 1
    states = [(row["label"], row["state"], row["days"]) for row in response.context["milestones"]]
    assert (str(Milestone.Kind.CONSTRUCTION_END.label), "late", 5) in states
    assert any(state == "overdue" for _label, state, _days in states)  # grow's, of 2020
    html = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and INLINE_SCRIPT.findall(html) == []
    assert leader_client.get("/leaders/projects/999999/").status_code == 404


def test_the_milestone_timeline_places_dates_and_judges_them():
    today = datetime.date(2026, 6, 30)
    milestones = [
        Milestone(
            kind="approval",
            planned_date=datetime.date(2026, 1, 1),
            actual_date=datetime.date(2026, 1, 1),
        ),
        Milestone(
            kind="construction_start",
            planned_date=datetime.date(2026, 3, 1),
            actual_date=datetime.date(2026, 3, 11),
        ),
        Milestone(kind="construction_end", planned_date=datetime.date(2026, 6, 1)),
        Milestone(kind="acceptance", planned_date=datetime.date(2026, 12, 27)),
    ]
    timeline = milestone_timeline(milestones, today)
    rows = timeline["rows"]
    assert [(r["state"], r["days"]) for r in rows] == [
        ("done", 0),
        ("late", 10),
        ("overdue", 29),
        ("pending", 0),
    ]
    assert rows[0]["planned_at"] == 0 and rows[3]["planned_at"] == 100
    assert 0 < timeline["today_at"] < 100
    svg = charts.timeline_chart(
        rows,
        today_at=timeline["today_at"],
        ticks=timeline["ticks"],
        labels={"title": "t", "today": "今天"},
    )
    assert timeline["ticks"][0][1] == "26-02"
    assert svg.count("<circle") == 4 + 2  # four plans, two done
    assert "今天" in svg and "<script" not in svg


# --- A fixed number of queries, at any size -------------------------------------------------

# Every page: the request's savepoint and its release (ATOMIC_REQUESTS), the session, the
# user, the user's own permissions and their groups' (6).
AUTH = 6

#: Each page's queries beyond ``AUTH``, whatever the number of projects.
QUERIES = {
    # The county's sums (10: see cycle.snapshots.county_figures); the previous month's
    # snapshot, the months frozen, the month's bulletin (3).
    "overview": 10 + 3,
    # The county's snapshot; the previous month's, the months frozen, the bulletin (3).
    "past overview": 1 + 3,
    # The count and the page of ids; the figures of the page's projects (11).
    "projects": 2 + 11,
    # The count and the page of snapshots.
    "past projects": 2,
    # The kind; the totals; the count and the page of items with their projects.
    "outputs": 4,
    # The kind, the county's snapshot, the count and the page of snapshots.
    "past outputs": 4,
    # The totals, the count, the page of lines with their projects.
    "funds": 3,
    # The totals, the count, the page of counts by neighbourhood.
    "requests": 3,
    # The count, the page with projects and communities, the criteria, the months ranked.
    "ranking": 4,
    # The month's report.
    "past inspections": 1,
    # The inspections, findings, overdue and rectified of the month (4).
    "inspections": 4,
}


def pages(last: Month) -> dict[str, str]:
    key = now_key()
    return {
        "overview": "/leaders/",
        "past overview": f"/leaders/{last.key}/",
        "projects": f"/leaders/{key}/projects/",
        "past projects": f"/leaders/{last.key}/projects/?stage=accepted",
        "outputs": f"/leaders/{key}/outputs/{PARKING}/?batch=accepted",
        "past outputs": f"/leaders/{last.key}/outputs/{PARKING}/?batch=accepted",
        "funds": f"/leaders/{key}/funds/",
        "requests": f"/leaders/{key}/requests/",
        "ranking": f"/leaders/{last.key}/ranking/",
        "past inspections": f"/leaders/{last.key}/inspections/",
        "inspections": f"/leaders/{key}/inspections/",
    }


def close(month: Month):
    from cycle.inspections import produce_report
    from cycle.ranking import rank_month

    snapshots.freeze_month(month)
    rank_month(month)
    produce_report(month)


@pytest.mark.parametrize("count", [3, 27])
def test_each_page_runs_its_fixed_number_of_queries(
    leader_client, django_assert_num_queries, count
):
    last = Month.current().previous()
    grow(count, at=snapshots.month_start(last) + datetime.timedelta(days=2))
    close(last)
    for name, url in pages(last).items():
        with django_assert_num_queries(AUTH + QUERIES[name], info=name):
            assert leader_client.get(url).status_code == 200, name


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
    response = client.get(f"/leaders/{now_key()}/outputs/{PARKING}/?batch=accepted")
    rows = response.context["rows"]
    assert sum(Decimal(row["completed"]) for row in rows) == 312
    assert response.context["completed"] == "312"
    assert len({row["project_id"] for row in rows}) >= 1
