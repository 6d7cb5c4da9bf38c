"""The leader pages at 100 times the demo county: every page runs the same number of queries
as at the demo's size (``tests/test_leaders.py`` pins them)."""

import pytest
from django.db import transaction

from cycle.periods import Month
from projects.models import Project
from residents.roles import Role

from .conftest import make_user
from .factories import CatalogueKindFactory, ResidentRequestFactory
from .test_leaders import AUTH, PARKING, QUERIES, close, pages

SCALE = 2200  # the demo county's 22 neighbourhoods, a hundredfold


@pytest.fixture(scope="module")
def scaled_county(django_db_setup, django_db_blocker):
    """2,200 projects spread over the lifecycle (``projects.demo.ensure_synthetic_projects``)
    with last month closed, loaded once for the module and rolled back after it."""
    from projects.demo import ensure_synthetic_projects
    from residents.models import Neighbourhood

    from .factories import CommunityFactory

    with django_db_blocker.unblock(), transaction.atomic():
        community = CommunityFactory()
        for code in ("facade_stairwell", "road_surfacing", PARKING, "charging_pile"):
            CatalogueKindFactory(code=code)
        Neighbourhood.objects.bulk_create(
            Neighbourhood(
                community=community,
                name=f"规模小区{n:05d}",
                address=f"规模路{n}号",
                year_built=1995,
                building_count=8,
                household_count=300,
                population=900,
                renovation_year=2026,
            )
            for n in range(SCALE)
        )
        ensure_synthetic_projects(Neighbourhood.objects.all())
        for neighbourhood in Neighbourhood.objects.order_by("pk")[:: SCALE // 20]:
            ResidentRequestFactory(neighbourhood=neighbourhood)
        close(Month.current().previous())
        yield
        transaction.set_rollback(True)


def test_at_a_hundred_times_the_demo_each_page_runs_the_same_queries(
    scaled_county, db, client, django_assert_num_queries
):
    assert Project.objects.count() == SCALE
    leader = make_user(Role.LEADER)
    client.force_login(leader)
    last = Month.current().previous()
    for name, url in pages(last).items():
        with django_assert_num_queries(AUTH + QUERIES[name], info=name):
            assert client.get(url).status_code == 200, name
    project = Project.objects.order_by("pk").first()
    with django_assert_num_queries(AUTH + 12):
        client.get(f"/leaders/projects/{project.pk}/")
