"""Funds: planned, arrived and spent money by source, summed exactly in the database, and the
residents' share of the plan, for a project and for the county."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from projects.models import CatalogueKind, FundingLine
from projects.outputs import FundingSummary, format_share, format_yuan, funding_summary
from projects.querysets import share_of
from residents.roles import Role

from .conftest import make_user
from .factories import (
    CommunityFactory,
    FundingLineFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    TaskItemFactory,
    TownFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
Source = FundingLine.Source


def line(project, source, planned="0", arrived="0", spent="0"):
    return FundingLineFactory(
        project=project, source=source, planned=D(planned), arrived=D(arrived), spent=D(spent)
    )


@pytest.fixture
def elevator_project():
    """An elevator of 380,000.00 yuan: a 100,000-yuan government subsidy, residents the rest."""
    project = ProjectFactory(name="幸福小区加装电梯")
    TaskItemFactory(
        project=project,
        kind=CatalogueKind.objects.get(code="elevator"),
        planned_quantity=D(1),
        budget=D("380000.00"),
    )
    line(project, Source.COUNTY, planned="100000.00", arrived="100000.00", spent="60000.00")
    line(project, Source.RESIDENTS, planned="280000.00", arrived="140000.00")
    return project


# --- Totals -------------------------------------------------------------------------------


def test_totals_sum_planned_arrived_and_spent(elevator_project):
    assert FundingLine.objects.in_project(elevator_project).totals() == {
        "planned": D("380000.00"),
        "arrived": D("240000.00"),
        "spent": D("60000.00"),
    }


def test_the_totals_of_no_lines_are_zero_not_none():
    totals = FundingLine.objects.in_project(ProjectFactory()).totals()
    assert totals == {"planned": D("0.00"), "arrived": D("0.00"), "spent": D("0.00")}
    assert all(isinstance(value, Decimal) for value in totals.values())


def test_cents_add_up_exactly():
    project = ProjectFactory()
    line(project, Source.COUNTY, planned="0.10", arrived="0.10", spent="0.10")
    line(project, Source.SOCIAL, planned="0.20", arrived="0.20", spent="0.20")
    totals = FundingLine.objects.in_project(project).totals()
    assert totals["planned"] == D("0.30")
    assert str(totals["planned"]) == "0.30"
    assert all(isinstance(value, Decimal) for value in totals.values())


def test_billions_add_up_to_the_cent(county):
    town = TownFactory(parent=county)
    amounts = ["987654321.09", "123456789.01", "999999999.99", "0.01", "888888888.88"]
    for amount in amounts:
        project = ProjectFactory(neighbourhood__community__parent=town)
        line(project, Source.CENTRAL, planned=amount, arrived=amount)
    totals = FundingLine.objects.in_region(county).totals()
    assert totals["planned"] == totals["arrived"] == D("2999999998.98")
    assert str(totals["planned"]) == "2999999998.98"


def test_money_sums_per_source_in_the_order_of_the_sources(elevator_project):
    line(elevator_project, Source.CENTRAL, planned="0.10")
    line(elevator_project, Source.CENTRAL, planned="0.20")
    rows = list(FundingLine.objects.in_project(elevator_project).by_source())
    assert [row["source"] for row in rows] == [Source.CENTRAL, Source.COUNTY, Source.RESIDENTS]
    assert rows[0] == {
        "source": Source.CENTRAL,
        "lines": 2,
        "planned": D("0.30"),
        "arrived": D("0.00"),
        "spent": D("0.00"),
    }
    assert rows[2]["planned"] == D("280000.00")


# --- The residents' share -----------------------------------------------------------------


def test_residents_raising_the_rest_of_an_elevator_hold_its_share(elevator_project):
    share = FundingLine.objects.in_project(elevator_project).residents_share()
    assert share == D("0.7368")
    assert str(share) == "0.7368"


def test_without_a_plan_there_is_no_share():
    project = ProjectFactory()
    assert FundingLine.objects.in_project(project).residents_share() is None
    line(project, Source.RESIDENTS, planned="0", arrived="500.00")
    assert FundingLine.objects.in_project(project).residents_share() is None


def test_without_residents_money_the_share_is_zero():
    project = ProjectFactory()
    line(project, Source.CENTRAL, planned="500000.00")
    line(project, Source.MAINTENANCE_FUND, planned="20000.00")  # not residents' own money
    assert FundingLine.objects.in_project(project).residents_share() == D("0.0000")


def test_the_residents_share_rounds_half_up():
    project = ProjectFactory()
    line(project, Source.RESIDENTS, planned="3125.00")  # 3,125 / 100,000 = 0.03125
    line(project, Source.COUNTY, planned="96875.00")
    assert FundingLine.objects.in_project(project).residents_share() == D("0.0313")


@pytest.mark.parametrize(
    ("part", "whole", "share"),
    [
        ("280000.00", "380000.00", "0.7368"),
        ("1", "3", "0.3333"),
        ("2", "3", "0.6667"),
        ("1", "32", "0.0313"),  # exactly half: up
        ("0.03124", "1", "0.0312"),
        ("0.03125", "1", "0.0313"),
        ("5", "5", "1.0000"),
        ("0", "5", "0.0000"),
        ("999999999999.99", "1000000000000.00", "1.0000"),
        ("1", "0", None),
    ],
)
def test_share_of_is_exact_and_rounds_half_up(part, whole, share):
    result = share_of(D(part), D(whole))
    assert result == (D(share) if share else None)
    if share:
        assert str(result) == share


def test_the_county_share_weighs_each_project_by_its_money(county):
    town = TownFactory(parent=county)
    big = ProjectFactory(neighbourhood__community__parent=town)
    small = ProjectFactory(neighbourhood__community__parent=town)
    line(big, Source.CENTRAL, planned="900000.00")
    line(big, Source.RESIDENTS, planned="100000.00")  # 10% of its plan
    line(small, Source.RESIDENTS, planned="50000.00")  # 100% of its plan
    elsewhere = ProjectFactory()  # another county's project
    line(elsewhere, Source.RESIDENTS, planned="999999.00")

    assert FundingLine.objects.in_region(county).residents_share() == D("0.1429")
    assert FundingLine.objects.in_region(town).totals()["planned"] == D("1050000.00")
    assert FundingLine.objects.in_project(small).residents_share() == D("1.0000")


def test_funds_roll_up_through_neighbourhood_community_and_town(county):
    town = TownFactory(parent=county)
    community = CommunityFactory(parent=town)
    neighbourhood = NeighbourhoodFactory(community=community)
    line(ProjectFactory(neighbourhood=neighbourhood), Source.HIGHER_LEVEL, planned="1.10")
    line(ProjectFactory(neighbourhood=neighbourhood, batch_year=2027), Source.UTILITIES, "2.20")
    for scoped in (
        FundingLine.objects.in_neighbourhood(neighbourhood),
        FundingLine.objects.in_region(community),
        FundingLine.objects.in_region(town),
        FundingLine.objects.in_region(county),
    ):
        assert scoped.totals()["planned"] == D("3.30")


# --- One query, whatever the number of lines ----------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_the_funds_rollups_cost_one_query_each(county, count, django_assert_num_queries):
    town = TownFactory(parent=county)
    for i in range(count):
        project = ProjectFactory(neighbourhood__community__parent=town)
        line(project, list(Source)[i % len(Source)], planned="1000.00", arrived="10.00")
    lines = FundingLine.objects.in_region(county)
    # One aggregate SELECT each (the by-source one grouped by source).
    with django_assert_num_queries(1):
        assert lines.totals()["planned"] == D(1000) * count
    with django_assert_num_queries(1):
        assert lines.residents_share() is not None
    with django_assert_num_queries(1):
        assert sum(row["lines"] for row in lines.by_source()) == count


# --- The project's summary ----------------------------------------------------------------


def test_the_funding_summary_of_a_project(elevator_project, django_assert_num_queries):
    with django_assert_num_queries(1):
        summary = funding_summary(elevator_project)
    assert summary == FundingSummary(
        planned=D("380000.00"),
        arrived=D("240000.00"),
        spent=D("60000.00"),
        residents_planned=D("280000.00"),
    )
    assert summary.residents_share == D("0.7368")
    assert summary.arrived_share == D("0.6316")
    text = str(summary)
    assert "380,000.00" in text
    assert "73.68%" in text


def test_the_funding_summary_of_a_project_without_funds():
    summary = funding_summary(ProjectFactory())
    assert summary.planned == D("0.00")
    assert summary.residents_share is None
    assert "—" in str(summary)


def test_money_and_shares_are_written_plainly():
    assert format_yuan(D("1234567.5")) == "1,234,567.50"
    assert format_share(D("0.7368")) == "73.68%"
    assert format_share(D("1.0000")) == "100.00%"
    assert format_share(None) == "—"


# --- The database refuses what cannot be ----------------------------------------------------


@pytest.mark.parametrize("field", ["planned", "arrived", "spent"])
def test_the_database_refuses_a_negative_amount(field):
    existing = FundingLineFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingLineFactory(**{field: D("-0.01")})
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingLine.objects.filter(pk=existing.pk).update(**{field: D("-100")})


# --- The project page ---------------------------------------------------------------------


def test_the_funds_table_is_headed_by_the_projects_totals_and_residents_share(
    client, office_user, elevator_project
):
    client.force_login(office_user)
    page = client.get(reverse("admin:projects_project_change", args=[elevator_project.pk]))
    content = page.content.decode()
    assert "380,000.00" in content
    assert "240,000.00" in content
    assert "73.68%" in content


def test_community_staff_see_their_projects_funds_without_changing_them(
    client, registers, elevator_project
):
    from projects.models import Project

    Project.objects.filter(pk=elevator_project.pk).update(neighbourhood=registers.a.neighbourhood)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    page = client.get(reverse("admin:projects_project_change", args=[elevator_project.pk]))
    assert page.status_code == 200
    funds = next(
        fs for fs in page.context["inline_admin_formsets"] if fs.formset.model is FundingLine
    )
    assert not funds.has_change_permission
    assert "73.68%" in page.content.decode()
