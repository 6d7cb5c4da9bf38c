"""Task items and what they add up to: outputs per kind at every level of the county, the
completion of projects, in one query whatever the number of items; and their admin."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import CatalogueKind, Project, TaskItem
from projects.outputs import output_summary, project_completion
from residents.models import Region
from residents.roles import Role

from .conftest import make_user
from .factories import (
    CommunityFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    RegionFactory,
    TaskItemFactory,
    TownFactory,
)
from .formdata import form_data

pytestmark = pytest.mark.django_db

D = Decimal


def kind(code):
    return CatalogueKind.objects.get(code=code)


def item(project, code, planned, completed="0", budget="0", **kwargs):
    return TaskItemFactory(
        project=project,
        kind=kind(code),
        planned_quantity=D(planned),
        completed_quantity=D(completed),
        budget=D(budget),
        **kwargs,
    )


@pytest.fixture
def county_tree(county):
    """Shiquan county with two towns: 城关镇 (communities A and B) and 池河镇 (community D).

    Community A has two neighbourhoods, A1 and A2; B and D have one each; each neighbourhood
    has one project. Another county's project must never count.
    """
    town1 = TownFactory(parent=county, name="城关镇")
    town2 = TownFactory(parent=county, name="池河镇")
    a, b = CommunityFactory(parent=town1), CommunityFactory(parent=town1)
    d = CommunityFactory(parent=town2)
    n = SimpleNamespace(
        a1=NeighbourhoodFactory(community=a),
        a2=NeighbourhoodFactory(community=a),
        b=NeighbourhoodFactory(community=b),
        d=NeighbourhoodFactory(community=d),
    )
    p = SimpleNamespace(**{key: ProjectFactory(neighbourhood=nbh) for key, nbh in vars(n).items()})
    item(p.a1, "eco_parking", "40", "10", "120000.00")
    item(p.a1, "elevator", "2", "1", "760000.00")
    item(p.a1, "greening", "300.50", "100.25", "45000.10")
    item(p.a2, "eco_parking", "20", "20", "60000.00")
    item(p.a2, "greening", "99.50", "0", "14999.90")
    item(p.b, "eco_parking", "15", "0", "45000.00")
    item(p.d, "greening", "500", "250", "75000.00")
    item(p.d, "gas_pipes", "1200", "1200", "360000.00")
    other_county = RegionFactory(level="county", name="汉阴县")
    elsewhere = NeighbourhoodFactory(community__parent__parent=other_county)
    item(ProjectFactory(neighbourhood=elsewhere), "eco_parking", "999", "999", "999999.00")
    return SimpleNamespace(
        county=county, town1=town1, town2=town2, a=a, b=b, d=d, n=n, p=p, other=other_county
    )


def by_code(rows):
    return {row["code"]: (row["planned"], row["completed"], row["budget"]) for row in rows}


# --- Outputs per kind at each level -------------------------------------------------------


def test_a_projects_outputs_per_kind(county_tree):
    rows = TaskItem.objects.in_project(county_tree.p.a1).outputs_by_kind()
    assert by_code(rows) == {
        "eco_parking": (D("40.00"), D("10.00"), D("120000.00")),
        "elevator": (D("2.00"), D("1.00"), D("760000.00")),
        "greening": (D("300.50"), D("100.25"), D("45000.10")),
    }


def test_a_neighbourhoods_outputs_per_kind(county_tree):
    rows = TaskItem.objects.in_neighbourhood(county_tree.n.a2).outputs_by_kind()
    assert by_code(rows) == {
        "eco_parking": (D("20.00"), D("20.00"), D("60000.00")),
        "greening": (D("99.50"), D("0.00"), D("14999.90")),
    }


def test_a_communitys_outputs_add_up_its_neighbourhoods(county_tree):
    rows = TaskItem.objects.in_region(county_tree.a).outputs_by_kind()
    assert by_code(rows) == {
        "eco_parking": (D("60.00"), D("30.00"), D("180000.00")),
        "elevator": (D("2.00"), D("1.00"), D("760000.00")),
        "greening": (D("400.00"), D("100.25"), D("60000.00")),
    }


def test_a_towns_outputs_add_up_its_communities(county_tree):
    assert by_code(TaskItem.objects.in_region(county_tree.town1).outputs_by_kind()) == {
        "eco_parking": (D("75.00"), D("30.00"), D("225000.00")),
        "elevator": (D("2.00"), D("1.00"), D("760000.00")),
        "greening": (D("400.00"), D("100.25"), D("60000.00")),
    }
    assert by_code(TaskItem.objects.in_region(county_tree.town2).outputs_by_kind()) == {
        "gas_pipes": (D("1200.00"), D("1200.00"), D("360000.00")),
        "greening": (D("500.00"), D("250.00"), D("75000.00")),
    }


def test_the_countys_outputs_add_up_its_towns_and_nothing_else(county_tree):
    rows = list(TaskItem.objects.in_region(county_tree.county).outputs_by_kind())
    assert by_code(rows) == {
        "gas_pipes": (D("1200.00"), D("1200.00"), D("360000.00")),
        "eco_parking": (D("75.00"), D("30.00"), D("225000.00")),
        "elevator": (D("2.00"), D("1.00"), D("760000.00")),
        "greening": (D("900.00"), D("350.25"), D("135000.00")),
    }
    parking = next(row for row in rows if row["code"] == "eco_parking")
    assert (parking["items"], parking["projects"]) == (3, 3)


def test_outputs_come_in_catalogue_order_with_the_kinds_names_and_units(county_tree):
    rows = list(TaskItem.objects.in_region(county_tree.county).outputs_by_kind())
    assert [row["code"] for row in rows] == ["gas_pipes", "elevator", "eco_parking", "greening"]
    parking = rows[2]
    assert parking["name_zh"] == "生态停车位"
    assert parking["name_en"] == "Eco parking spaces"
    assert parking["unit"] == CatalogueKind.Unit.PARKING_SPACE
    assert parking["group"] == CatalogueKind.Group.SPACE
    assert parking["national_class"] == CatalogueKind.NationalClass.IMPROVEMENT
    assert parking["kind"] == kind("eco_parking").pk
    assert all(isinstance(row[key], Decimal) for row in rows for key in ("planned", "budget"))


def test_a_region_without_projects_has_no_outputs(county_tree):
    empty = CommunityFactory(parent=county_tree.town2)
    assert list(TaskItem.objects.in_region(empty).outputs_by_kind()) == []


def test_a_region_of_unknown_level_is_refused():
    with pytest.raises(ValueError, match="level"):
        TaskItem.objects.in_region(Region(level="province"))


def test_scoping_and_rollup_combine(county_tree, registers):
    # A community clerk's own items, rolled up: nothing of Shiquan's tree is theirs.
    user = make_user(Role.COMMUNITY, communities=[county_tree.a])
    rows = TaskItem.objects.visible_to(user).in_region(county_tree.county).outputs_by_kind()
    assert set(by_code(rows)) == {"eco_parking", "elevator", "greening"}


# --- Query counts -------------------------------------------------------------------------


def _spread_items(county, count):
    """``count`` items over ``count // 3`` projects of as many neighbourhoods in the county."""
    town = TownFactory(parent=county)
    codes = ["eco_parking", "greening", "elevator"]
    for i in range(count // 3):
        project = ProjectFactory(neighbourhood__community__parent=town)
        for code in codes:
            item(project, code, "3", str(i % 4), "1000.00")
    return town


@pytest.mark.parametrize("count", [3, 30])
def test_outputs_by_kind_is_one_query_for_any_number_of_items(
    county, count, django_assert_num_queries
):
    _spread_items(county, count)
    # 1: SELECT … GROUP BY kind over the items joined to their region and kind.
    with django_assert_num_queries(1):
        rows = list(TaskItem.objects.in_region(county).outputs_by_kind())
    assert sum(row["items"] for row in rows) == count


@pytest.mark.parametrize("count", [3, 30])
def test_completion_per_project_is_one_query_for_any_number_of_items(
    county, count, django_assert_num_queries
):
    _spread_items(county, count)
    # 1: SELECT project, COUNT, ROUND(AVG(…)) … GROUP BY project.
    with django_assert_num_queries(1):
        rows = list(TaskItem.objects.in_region(county).completion_by_project())
    assert len(rows) == count // 3
    # 1: the projects, each annotated with its completion by a correlated subquery.
    with django_assert_num_queries(1):
        projects = list(Project.objects.annotate(completion=project_completion()))
    assert len(projects) == count // 3


# --- Completion ---------------------------------------------------------------------------


def test_completion_is_the_mean_of_the_items_completion(county_tree):
    # eco parking 10/40 = 0.25, elevator 1/2 = 0.5, greening 100.25/300.50 = 0.33361…
    assert TaskItem.objects.in_project(county_tree.p.a1).completion() == D("0.3612")


def test_an_item_done_beyond_its_plan_counts_as_done_not_more():
    project = ProjectFactory()
    item(project, "greening", "100", "130")
    item(project, "eco_parking", "10", "0")
    assert TaskItem.objects.in_project(project).completion() == D("0.5000")


def test_whole_quantities_divide_exactly():
    # SQLite keeps 1.00 and 3.00 as integers: 1 / 3 must not be 0.
    project = ProjectFactory()
    item(project, "elevator", "3", "1")
    assert TaskItem.objects.in_project(project).completion() == D("0.3333")


def test_completion_rounds_half_up():
    project = ProjectFactory()
    item(project, "eco_parking", "32", "1")  # 0.03125
    assert TaskItem.objects.in_project(project).completion() == D("0.0313")


def test_items_with_nothing_planned_do_not_count_and_no_plan_gives_no_completion():
    project = ProjectFactory()
    item(project, "culture_wall", "0", "5")
    assert TaskItem.objects.in_project(project).completion() is None
    item(project, "greening", "10", "10")
    assert TaskItem.objects.in_project(project).completion() == D("1.0000")
    assert TaskItem.objects.none().completion() is None


def test_completion_of_each_project_and_in_a_project_list(county_tree):
    p = county_tree.p
    expected = {
        p.a1.pk: D("0.3612"),
        p.a2.pk: D("0.5000"),
        p.b.pk: D("0.0000"),
        p.d.pk: D("0.7500"),
    }
    rows = TaskItem.objects.in_region(county_tree.county).completion_by_project()
    assert {row["project"]: row["completion"] for row in rows} == expected
    assert {row["project"]: row["items"] for row in rows} == {
        p.a1.pk: 3,
        p.a2.pk: 2,
        p.b.pk: 1,
        p.d.pk: 2,
    }
    annotated = Project.objects.filter(pk__in=expected).annotate(completion=project_completion())
    assert {project.pk: project.completion for project in annotated} == expected
    assert Project.objects.annotate(c=project_completion()).get(pk=ProjectFactory().pk).c is None


def test_a_projects_outputs_in_three_figures(county_tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        summary = output_summary(county_tree.p.a1)
    assert (summary.items, summary.budget, summary.completion) == (
        3,
        D("925000.10"),
        D("0.3612"),
    )
    assert "925,000.10" in str(summary)
    assert "36.12%" in str(summary)
    empty = output_summary(ProjectFactory())
    assert (empty.items, empty.budget, empty.completion) == (0, D("0.00"), None)


# --- The database refuses what cannot be ----------------------------------------------------


@pytest.mark.parametrize("field", ["planned_quantity", "completed_quantity", "budget"])
def test_the_database_refuses_a_negative_quantity_or_budget(field):
    existing = TaskItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskItemFactory(**{field: D("-0.01")})
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskItem.objects.filter(pk=existing.pk).update(**{field: D("-1")})


# --- Admin: the project page's table of items ----------------------------------------------


@pytest.fixture
def office(client, office_user):
    client.force_login(office_user)
    return client


def _project_url(project):
    return reverse("admin:projects_project_change", args=[project.pk])


def _project_form(page, **changes):
    """The project page posted back; an empty multiple choice is not submitted at all."""
    data = form_data(page, **changes)
    if data.get("merged_neighbourhoods") == "":
        del data["merged_neighbourhoods"]
    return data


def _errors(response):
    return response.context and (
        response.context["adminform"].form.errors,
        [fs.formset.errors for fs in response.context["inline_admin_formsets"]],
    )


def test_the_project_page_saves_a_new_task_item_from_its_table(office):
    project = ProjectFactory()
    item(project, "greening", "100", "40", "10000.00")
    page = office.get(_project_url(project)).content.decode()
    data = _project_form(
        page,
        **{
            "task_items-TOTAL_FORMS": 2,
            "task_items-1-kind": kind("bike_shed").pk,
            "task_items-1-description": "3号楼东侧",
            "task_items-1-planned_quantity": "2",
            "task_items-1-completed_quantity": "0",
            "task_items-1-budget": "36000.50",
            "task_items-1-responsible": "王工",
            "task_items-1-status": "planned",
        },
    )

    response = office.post(_project_url(project), data)

    assert response.status_code == 302, _errors(response)
    shed = TaskItem.objects.get(project=project, kind__code="bike_shed")
    assert (shed.planned_quantity, shed.budget, shed.responsible) == (
        D("2.00"),
        D("36000.50"),
        "王工",
    )
    assert shed.history.count() == 1


def test_the_project_page_refuses_a_negative_quantity_with_a_message(office):
    project = ProjectFactory()
    existing = item(project, "greening", "100", "40")
    page = office.get(_project_url(project)).content.decode()
    response = office.post(
        _project_url(project), _project_form(page, **{"task_items-0-completed_quantity": "-5"})
    )
    assert response.status_code == 200
    items_formset = next(
        fs.formset
        for fs in response.context["inline_admin_formsets"]
        if fs.formset.model is TaskItem
    )
    assert items_formset.errors[0]["__all__"] == [
        str(TaskItem._meta.constraints[0].violation_error_message)
    ]
    existing.refresh_from_db()
    assert existing.completed_quantity == D("40.00")


def test_the_task_table_is_headed_by_the_projects_figures(office, county_tree):
    page = office.get(_project_url(county_tree.p.a1)).content.decode()
    assert "925,000.10" in page
    assert "36.12%" in page


def _project_page_queries(client, project):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(_project_url(project)).status_code == 200
    return len(queries)


def test_the_project_page_costs_the_same_queries_for_3_and_30_items(office):
    from .factories import FundingLineFactory

    few, many = ProjectFactory(), ProjectFactory()
    codes = list(CatalogueKind.objects.values_list("code", flat=True))
    for project, count in ((few, 3), (many, 30)):
        for i in range(count):
            item(project, codes[i % len(codes)], "10", "5")
            FundingLineFactory(project=project)
    assert _project_page_queries(office, few) == _project_page_queries(office, many)


# --- Admin: the list of task items ---------------------------------------------------------


TASK_ITEMS = "admin:projects_taskitem_changelist"


@pytest.fixture
def items_abc(registers):
    """One project with one task item in each of the registers' communities A, B and C."""
    return SimpleNamespace(
        **{
            key: item(
                ProjectFactory(neighbourhood=getattr(registers, key).neighbourhood),
                "eco_parking",
                "10",
            )
            for key in "abc"
        }
    )


def _listed(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def test_community_staff_list_only_their_neighbourhoods_task_items(client, registers, items_abc):
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    response = client.get(reverse(TASK_ITEMS))
    assert response.status_code == 200
    assert _listed(response) == {items_abc.a.pk}
    content = response.content.decode()
    assert registers.a.neighbourhood.name in content
    assert registers.b.neighbourhood.name not in content


def test_community_staff_cannot_open_another_communitys_task_item(client, registers, items_abc):
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    url = reverse("admin:projects_taskitem_change", args=[items_abc.b.pk])
    assert client.get(url).status_code == 302
    assert (
        client.get(reverse("admin:projects_taskitem_change", args=[items_abc.a.pk])).status_code
        == 200
    )


def test_a_task_items_project_is_picked_among_the_users_projects(client, registers, items_abc):
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "projects", "model_name": "taskitem", "field_name": "project"},
    )
    assert {int(r["id"]) for r in response.json()["results"]} == {items_abc.a.project_id}


def test_office_lists_every_task_item_and_filters_them(office, registers, items_abc):
    item(items_abc.b.project, "greening", "5", completed="5")  # done: completed reaches planned
    assert len(_listed(office.get(reverse(TASK_ITEMS)))) == 4
    by_kind = office.get(reverse(TASK_ITEMS), {"kind__id__exact": kind("greening").pk})
    assert {i.kind.code for i in by_kind.context["cl"].result_list} == {"greening"}
    done = office.get(reverse(TASK_ITEMS), {"status__exact": "done"})
    assert {i.kind.code for i in done.context["cl"].result_list} == {"greening"}
    in_b = office.get(reverse(TASK_ITEMS), {"community": registers.b.community.pk})
    assert {i.project_id for i in in_b.context["cl"].result_list} == {items_abc.b.project_id}


@pytest.mark.parametrize("count", [3, 30])
def test_the_task_item_list_costs_the_same_queries_for_3_and_30_items(
    office, county, count, django_assert_num_queries
):
    _spread_items(county, count)
    # The request's savepoint and its release, the session, the user, the user's and the
    # groups' permissions; the choices of the kind filter, of the community filter and of the
    # batch-year filter; the count, the full count; the page of items, with their kind,
    # project and neighbourhood joined in.
    with django_assert_num_queries(12):
        response = office.get(reverse(TASK_ITEMS))
    assert len(response.context["cl"].result_list) == count


def test_visit_team_members_do_not_see_task_items(client, visitor):
    client.force_login(visitor)
    assert client.get(reverse(TASK_ITEMS)).status_code == 403


def test_the_project_admin_may_show_the_figures_as_read_only_fields(county_tree):
    from projects.admin.outputs import ProjectFiguresMixin

    figures = ProjectFiguresMixin()
    assert "36.12%" in figures.outputs_display(county_tree.p.a1)
    assert "0.00" in figures.funds_display(county_tree.p.a1)
    assert figures.outputs_display(Project()) == "—"
