"""One visit (一访): who counts as visited, the coverage of each neighbourhood, a team's work
list, what residents asked for, and the visits' admin within each user's scope.

The ``registers`` fixture (conftest) gives communities A, B and C with one household each;
community staff work in A, the ``visitor`` fixture's team is assigned C. Messages are read in
English (``HTTP_ACCEPT_LANGUAGE``): the Chinese catalogue is filled in separately.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from residents.models import Neighbourhood
from residents.roles import Role
from surveys import rules, services
from surveys.models import Visit

from .conftest import make_user
from .factories import (
    BuildingFactory,
    CatalogueKindFactory,
    HouseholdFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    TaskItemFactory,
    VisitFactory,
    VisitTeamFactory,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning"),
]

REACHED, NOT_AT_HOME, REFUSED = (
    Visit.Outcome.REACHED,
    Visit.Outcome.NOT_AT_HOME,
    Visit.Outcome.REFUSED,
)


def _is_visited(household) -> bool:
    return rules.visited(type(household).objects.filter(pk=household.pk)).exists()


# --- Who counts as visited ---------------------------------------------------------------------


def test_a_household_never_visited_is_not_visited():
    assert not _is_visited(HouseholdFactory())


def test_a_visit_that_reached_the_household_counts():
    household = HouseholdFactory()
    VisitFactory(household=household, outcome=REACHED)
    assert _is_visited(household)


@pytest.mark.parametrize("outcome", [NOT_AT_HOME, REFUSED])
def test_one_failed_attempt_does_not_count(outcome):
    household = HouseholdFactory()
    VisitFactory(household=household, outcome=outcome)
    assert not _is_visited(household)


@pytest.mark.parametrize(
    "outcomes",
    [(NOT_AT_HOME, NOT_AT_HOME), (NOT_AT_HOME, REFUSED), (REFUSED, REFUSED)],
    ids=lambda outcomes: "+".join(outcomes),
)
def test_two_failed_attempts_count_as_visited_refusals_included(outcomes):
    household = HouseholdFactory()
    for outcome in outcomes:
        VisitFactory(household=household, outcome=outcome)
    assert Visit.FAILED_ATTEMPTS_THAT_COUNT == 2
    assert _is_visited(household)


def test_failed_attempts_at_other_households_do_not_add_up():
    building = BuildingFactory()
    first, second = HouseholdFactory.create_batch(2, building=building)
    VisitFactory(household=first, outcome=NOT_AT_HOME)
    VisitFactory(household=second, outcome=NOT_AT_HOME)
    assert not _is_visited(first)
    assert not _is_visited(second)


def test_visited_and_not_visited_split_the_households():
    building = BuildingFactory()
    reached, twice_missed, once_missed, untouched = HouseholdFactory.create_batch(
        4, building=building
    )
    VisitFactory(household=reached)
    VisitFactory(household=twice_missed, outcome=NOT_AT_HOME)
    VisitFactory(household=twice_missed, outcome=REFUSED)
    VisitFactory(household=once_missed, outcome=NOT_AT_HOME)
    households = rules.households_of(building.neighbourhood)

    assert set(rules.visited(households)) == {reached, twice_missed}
    assert set(rules.not_visited(households)) == {once_missed, untouched}


# --- Coverage ----------------------------------------------------------------------------------


def _neighbourhood_with(outcomes_per_household):
    """A neighbourhood whose households had the visits listed, one tuple per household."""
    building = BuildingFactory()
    for outcomes in outcomes_per_household:
        household = HouseholdFactory(building=building)
        for outcome in outcomes:
            VisitFactory(household=household, outcome=outcome)
    return building.neighbourhood


def test_coverage_counts_visited_households_out_of_all(django_assert_num_queries):
    neighbourhood = _neighbourhood_with(
        [(REACHED,), (REACHED, REACHED), (NOT_AT_HOME,), (NOT_AT_HOME, REFUSED), ()]
    )
    _neighbourhood_with([(REACHED,), (REACHED,)])  # another neighbourhood: not counted

    with django_assert_num_queries(1):
        assert rules.coverage(neighbourhood) == (3, 5)


def test_coverage_of_a_neighbourhood_without_households_is_zero_of_zero():
    assert rules.coverage(NeighbourhoodFactory()) == (0, 0)


def test_coverage_by_neighbourhood_annotates_a_list_in_one_query(django_assert_num_queries):
    first = _neighbourhood_with([(REACHED,), (NOT_AT_HOME,), ()])
    second = _neighbourhood_with([(NOT_AT_HOME, NOT_AT_HOME), (REACHED,)])
    empty = NeighbourhoodFactory()

    with django_assert_num_queries(1):
        rows = {
            n.pk: (n.households_visited, n.households_total)
            for n in rules.coverage_by_neighbourhood(Neighbourhood.objects.all())
        }

    assert rows == {first.pk: (1, 3), second.pk: (2, 2), empty.pk: (0, 0)}


def test_coverage_percent_reaches_100_only_when_complete():
    assert rules.percent(199, 200) == 99
    assert rules.percent(200, 200) == 100
    assert rules.percent(0, 0) is None


# --- The coverage page -------------------------------------------------------------------------


def coverage_url():
    return reverse("admin:surveys_visit_coverage")


def test_the_coverage_page_lists_each_visible_neighbourhood_with_its_coverage(client, registers):
    VisitFactory(household=registers.a.household)
    HouseholdFactory(building=registers.a.building)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    response = client.get(coverage_url(), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.name, r.households_visited, r.households_total) for r in rows] == [
        (registers.a.neighbourhood.name, 1, 2)
    ]
    page = response.content.decode()
    assert "50%" in page
    assert registers.b.neighbourhood.name not in page


def test_the_coverage_page_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page (session, user, the user's permissions held directly and
    # through groups), 2 for the request's savepoint and its release, and the neighbourhoods
    # with their community and both counts in one query.
    client.force_login(office_user)
    _neighbourhood_with([(REACHED,), ()])
    with django_assert_num_queries(7):
        assert len(client.get(coverage_url()).context["rows"]) == 1
    for _ in range(5):
        _neighbourhood_with([(REACHED,), (NOT_AT_HOME, REFUSED), ()])
    with django_assert_num_queries(7):
        assert len(client.get(coverage_url()).context["rows"]) == 6


def test_users_without_visits_permission_cannot_open_the_coverage_page(client):
    client.force_login(make_user(Role.LEADER))  # not a staff account: no admin at all
    assert client.get(coverage_url()).status_code == 302


# --- The work list -----------------------------------------------------------------------------


def work_list_url():
    return reverse("admin:surveys_visit_work_list")


def test_the_work_list_names_the_households_still_to_visit_by_building(client, registers):
    neighbourhood = registers.a.neighbourhood
    team = VisitTeamFactory(neighbourhoods=[neighbourhood])
    building_3 = BuildingFactory(neighbourhood=neighbourhood, number="3")
    building_10 = BuildingFactory(neighbourhood=neighbourhood, number="10")
    to_visit = [
        HouseholdFactory(building=building_10, unit=1, room="101", head_name="陈十户"),
        HouseholdFactory(building=building_3, unit=2, room="502", head_name="刘三户"),
        HouseholdFactory(building=building_3, unit=2, room="501", head_name="黄三户"),
    ]
    missed_once = to_visit[1]
    VisitFactory(household=missed_once, outcome=NOT_AT_HOME)
    done = HouseholdFactory(building=building_3, unit=1, room="101", head_name="已访户")
    VisitFactory(household=done)
    twice_missed = HouseholdFactory(building=building_3, unit=1, room="102", head_name="两次户")
    VisitFactory(household=twice_missed, outcome=REFUSED)
    VisitFactory(household=twice_missed, outcome=NOT_AT_HOME)
    VisitFactory(household=registers.a.household)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    response = client.get(work_list_url(), {"team": team.pk}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    households = response.context["households"]
    # Walking order: building 3 before building 10, then unit and room.
    assert [h.short_address for h in households] == ["3-2-501", "3-2-502", "10-1-101"]
    assert [h.failed_attempts for h in households] == [0, 1, 0]
    page = response.content.decode()
    for name in ("黄三户", "刘三户", "陈十户"):
        assert name in page
    for name in ("已访户", "两次户", registers.a.household.head_name):
        assert name not in page
    assert page.index("3-2-501") < page.index("10-1-101")
    assert "@media print" in page
    assert "3 households still to visit." in page


def test_the_work_list_masks_names_and_phones_for_visit_team_members(client, registers, visitor):
    client.force_login(visitor)

    response = client.get(work_list_url())  # their only team is chosen for them

    assert response.status_code == 200
    page = response.content.decode()
    household = registers.c.household
    assert [h.pk for h in response.context["households"]] == [household.pk]
    assert household.head_name not in page
    assert "王**" in page
    assert household.phone not in page
    assert "138****0003" in page


def test_the_work_list_can_be_narrowed_to_one_neighbourhood_of_the_team(client, office_user):
    first, second = BuildingFactory(), BuildingFactory()
    team = VisitTeamFactory(neighbourhoods=[first.neighbourhood, second.neighbourhood])
    mine = HouseholdFactory(building=first)
    HouseholdFactory(building=second)
    client.force_login(office_user)

    response = client.get(
        work_list_url(), {"team": team.pk, "neighbourhood": first.neighbourhood.pk}
    )

    assert [h.pk for h in response.context["households"]] == [mine.pk]


def test_the_work_list_refuses_a_neighbourhood_the_team_does_not_visit(client, office_user):
    team = VisitTeamFactory(neighbourhoods=[BuildingFactory().neighbourhood])
    other = BuildingFactory().neighbourhood
    VisitTeamFactory(neighbourhoods=[other])
    client.force_login(office_user)

    response = client.get(
        work_list_url(), {"team": team.pk, "neighbourhood": other.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.context["households"] is None
    assert "The team is not assigned to this neighbourhood." in response.content.decode()


def test_the_work_list_offers_no_team_outside_the_users_scope(client, registers, visitor):
    other_team = VisitTeamFactory(neighbourhoods=[registers.a.neighbourhood])
    client.force_login(visitor)

    response = client.get(work_list_url(), {"team": other_team.pk})

    assert response.context["households"] is None
    assert registers.a.household.head_name[:1] + "**" not in response.content.decode()


def test_the_work_list_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page, 2 for the request's savepoint and its release; the team chosen,
    # the households (with building, neighbourhood and failed attempts); the choices of the
    # team and neighbourhood selects; the user's permission to see names is already cached.
    building = BuildingFactory()
    team = VisitTeamFactory(neighbourhoods=[building.neighbourhood])
    HouseholdFactory.create_batch(2, building=building)
    client.force_login(office_user)
    with django_assert_num_queries(10):
        assert len(client.get(work_list_url(), {"team": team.pk}).context["households"]) == 2
    for number in ("7", "8", "9"):
        HouseholdFactory.create_batch(
            3, building=BuildingFactory(neighbourhood=building.neighbourhood, number=number)
        )
    with django_assert_num_queries(10):
        assert len(client.get(work_list_url(), {"team": team.pk}).context["households"]) == 11


# --- What residents asked for ------------------------------------------------------------------


def test_the_demand_tally_counts_each_household_once_per_kind(django_assert_num_queries):
    parking, lights, lift = (
        CatalogueKindFactory(code="t-parking"),
        CatalogueKindFactory(code="t-lights"),
        CatalogueKindFactory(code="t-lift"),
    )
    building = BuildingFactory()
    first, second, third = HouseholdFactory.create_batch(3, building=building)
    VisitFactory(household=first, outcome=NOT_AT_HOME, needs=[parking])
    VisitFactory(household=first, needs=[parking, lights])  # parking again: still one household
    VisitFactory(household=second, needs=[parking])
    VisitFactory(household=third, needs=[lift])
    VisitFactory(household=HouseholdFactory(), needs=[lift, lights])  # elsewhere: not counted

    with django_assert_num_queries(1):
        tally = [
            (kind.code, kind.households) for kind in rules.demand_tally(building.neighbourhood)
        ]

    assert tally[0] == ("t-parking", 2)
    assert sorted(tally[1:]) == [("t-lift", 1), ("t-lights", 1)]


def test_the_demand_beside_the_plan_shows_planned_kinds_nobody_asked_for(
    django_assert_num_queries,
):
    asked, planned_and_asked, planned_only = (
        CatalogueKindFactory(code="d-asked"),
        CatalogueKindFactory(code="d-both"),
        CatalogueKindFactory(code="d-plan"),
    )
    building = BuildingFactory()
    project = ProjectFactory(neighbourhood=building.neighbourhood)
    TaskItemFactory(project=project, kind=planned_and_asked)
    TaskItemFactory(project=project, kind=planned_only)
    first, second = HouseholdFactory.create_batch(2, building=building)
    VisitFactory(household=first, needs=[asked, planned_and_asked])
    VisitFactory(household=second, needs=[planned_and_asked])

    with django_assert_num_queries(1):
        rows = [(k.code, k.households, k.in_plan) for k in rules.demand_beside_plan(project)]

    assert rows == [("d-both", 2, True), ("d-asked", 1, False), ("d-plan", 0, True)]


# --- The visits' admin -------------------------------------------------------------------------


def changelist_url():
    return reverse("admin:surveys_visit_changelist")


def change_url(visit):
    return reverse("admin:surveys_visit_change", args=[visit.pk])


@pytest.fixture
def visits(registers):
    """One visit in each of A, B and C."""
    return {key: VisitFactory(household=getattr(registers, key).household) for key in "abc"}


def _listed(response):
    return {visit.pk for visit in response.context["cl"].result_list}


def test_community_staff_list_only_the_visits_of_their_community(client, registers, visits):
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    response = client.get(changelist_url())

    assert _listed(response) == {visits["a"].pk}
    page = response.content.decode()
    assert registers.a.household.head_name in page  # community staff may see names
    assert registers.b.household.head_name not in page


def test_community_staff_cannot_open_another_communitys_visit_by_url(client, registers, visits):
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    response = client.get(change_url(visits["b"]))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    for view in ("history", "delete"):
        url = reverse(f"admin:surveys_visit_{view}", args=[visits["b"].pk])
        assert client.get(url).status_code in (302, 403)
    assert client.get(change_url(visits["a"])).status_code == 200


def test_visit_team_members_see_their_teams_visits_with_names_masked(
    client, registers, visitor, visits
):
    client.force_login(visitor)

    response = client.get(changelist_url())

    assert _listed(response) == {visits["c"].pk}
    for page in (response, client.get(change_url(visits["c"]))):
        html = page.content.decode()
        assert registers.c.household.head_name not in html
        assert "王**" in html


def test_a_masked_role_cannot_find_a_visit_by_the_residents_name(
    client, registers, visitor, visits
):
    client.force_login(visitor)

    response = client.get(changelist_url(), {"q": registers.c.household.head_name})

    assert _listed(response) == set()


def test_the_visit_list_filters_by_outcome_community_and_team(client, registers, office_user):
    team = VisitTeamFactory()
    reached = VisitFactory(household=registers.a.household, team=team)
    missed = VisitFactory(household=registers.b.household, outcome=NOT_AT_HOME)
    client.force_login(office_user)

    def listed(**params):
        return _listed(client.get(changelist_url(), params))

    assert listed(outcome__exact=NOT_AT_HOME) == {missed.pk}
    assert listed(community=registers.a.community.pk) == {reached.pk}
    assert listed(team=team.pk) == {reached.pk}
    assert listed(neighbourhood=registers.b.neighbourhood.pk) == {missed.pk}
    assert listed(team="abc") == set()


def test_the_visit_list_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page, 2 for the request's savepoint and its release; the choices of
    # the community, neighbourhood and team filters; 2 counts; the page (households,
    # buildings, neighbourhoods, teams and visitors joined) and the needs of its visits.
    client.force_login(office_user)
    kind = CatalogueKindFactory()
    VisitFactory.create_batch(2, needs=[kind])
    with django_assert_num_queries(13):
        assert len(client.get(changelist_url()).context["cl"].result_list) == 2
    VisitFactory.create_batch(8, needs=[kind], team=VisitTeamFactory(), visitor=office_user)
    with django_assert_num_queries(13):
        assert len(client.get(changelist_url()).context["cl"].result_list) == 10


def _visit_form(household, **changes):
    data = {
        "household": household.pk,
        "visited_on": "2026-03-02",
        "team": "",
        "outcome": REACHED,
        "needs_text": "希望加装路灯",
        "supports_renovation": "true",
        "notes": "",
    }
    return {**data, **changes}


def test_a_visit_recorded_in_the_admin_is_kept_with_who_recorded_it(client, registers, visitor):
    lights = CatalogueKindFactory(code="v-lights")
    client.force_login(visitor)

    response = client.post(
        reverse("admin:surveys_visit_add"),
        _visit_form(registers.c.household, needs=[lights.pk]),
    )

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    visit = Visit.objects.get()
    assert visit.visitor == visitor
    assert visit.household == registers.c.household
    assert list(visit.needs.all()) == [lights]
    assert visit.history.first().history_user == visitor


def test_a_visit_cannot_be_recorded_for_a_household_out_of_scope(client, registers, visitor):
    client.force_login(visitor)

    response = client.post(reverse("admin:surveys_visit_add"), _visit_form(registers.a.household))

    assert response.status_code == 200
    assert "household" in response.context["adminform"].form.errors
    assert not Visit.objects.exists()


def test_a_visit_cannot_be_dated_after_today(client, registers, office_user):
    client.force_login(office_user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client.post(
        reverse("admin:surveys_visit_add"),
        _visit_form(registers.a.household, visited_on=tomorrow.isoformat()),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "A visit cannot be dated after today." in response.content.decode()


def test_the_needs_are_ticked_among_the_kinds_in_use(client, registers, office_user):
    in_use = CatalogueKindFactory(code="n-in-use", name_zh="在用改造内容")
    retired = CatalogueKindFactory(code="n-retired", name_zh="停用改造内容", is_active=False)
    kept = CatalogueKindFactory(code="n-kept", name_zh="已选停用内容", is_active=False)
    visit = VisitFactory(household=registers.a.household, needs=[kept])
    client.force_login(office_user)

    add_page = client.get(reverse("admin:surveys_visit_add")).content.decode()
    change_page = client.get(change_url(visit)).content.decode()

    assert 'type="checkbox" name="needs"' in add_page
    assert in_use.name_zh in add_page and retired.name_zh not in add_page
    assert kept.name_zh in change_page  # a retired kind already named is not lost on edit


def test_the_household_autocomplete_offers_only_households_in_scope(client, registers, visitor):
    client.force_login(visitor)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "surveys", "model_name": "visit", "field_name": "household"},
    )

    assert response.status_code == 200
    assert {int(r["id"]) for r in response.json()["results"]} == {registers.c.household.pk}


def test_a_team_member_records_for_their_own_team_by_default(client, registers, visitor):
    client.force_login(visitor)
    response = client.get(reverse("admin:surveys_visit_add"))
    team = visitor.visit_teams.get()
    assert response.context["adminform"].form.initial["team"] == team.pk


def test_record_visit_keeps_the_visitor_and_the_needs(registers, visitor):
    lights = CatalogueKindFactory(code="r-lights")

    visit = services.record_visit(
        registers.c.household, by=visitor, outcome=NOT_AT_HOME, needs=[lights]
    )

    assert visit.visitor == visitor
    assert visit.visited_on == timezone.localdate()
    assert list(visit.needs.all()) == [lights]
    assert not _is_visited(registers.c.household)


def test_two_failed_entries_of_one_day_are_one_attempt():
    import datetime

    from surveys.rules import coverage

    from .factories import HouseholdFactory, VisitFactory

    household = HouseholdFactory()
    day = datetime.date(2026, 11, 20)
    VisitFactory.create_batch(2, household=household, outcome="not_at_home", visited_on=day)
    assert coverage(household.building.neighbourhood) == (0, 1)
    VisitFactory(household=household, outcome="not_at_home", visited_on=day.replace(day=23))
    assert coverage(household.building.neighbourhood) == (1, 1)
