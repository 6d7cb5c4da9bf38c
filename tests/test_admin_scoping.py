"""Who reaches which rows of the registers in the admin: lists, direct URLs, autocompletes,
form choices and exports all read through the models' ``visible_to(user)`` filters.

The ``registers`` fixture (conftest) gives three communities A, B and C with one register each;
community staff work in A, the ``visitor`` fixture's visit team is assigned C.
"""

import csv
import io

import pytest
from django.urls import reverse

from residents.models import Household
from residents.roles import Role

from .conftest import make_user
from .factories import (
    BuildingFactory,
    BuildingHeadFactory,
    CommitteeMemberFactory,
    HouseholdFactory,
    NeighbourhoodFactory,
    OwnersCommitteeFactory,
    PropertyCompanyFactory,
    StaffProfileFactory,
)

pytestmark = [
    pytest.mark.django_db,
    # An autocomplete pages through the target admin's get_queryset(): it must stay ordered.
    pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning"),
]

CHANGELISTS = [
    # (admin URL name, attribute of a register, a text that names the row on the page)
    ("admin:residents_neighbourhood_changelist", "neighbourhood", "name"),
    ("admin:residents_building_changelist", "building", "neighbourhood.name"),
    ("admin:residents_household_changelist", "household", "head_name"),
    ("admin:residents_buildinghead_changelist", "building_head", "name"),
    ("admin:residents_ownerscommittee_changelist", "committee", "name"),
]


def _label(register, attribute, text):
    value = getattr(register, attribute)
    for part in text.split("."):
        value = getattr(value, part)
    return value


def _listed(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def _change_url(obj):
    return reverse(f"admin:residents_{obj._meta.model_name}_change", args=[obj.pk])


def _export_csv(client, model_name, resource):
    """POST the export form of import-export 4.4 (``SelectableFieldsExportForm``): the format
    is the index in the admin's ``formats`` (1 = CSV), each exported field a checkbox named
    ``<resource class, lower case>_<field>``."""
    data = {"format": "1", "resource": "0"}
    prefix = resource.__name__.lower()
    data.update({f"{prefix}_{field}": "on" for field in resource().get_export_order()})
    response = client.post(reverse(f"admin:residents_{model_name}_export"), data)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def community_user(registers):
    return make_user(Role.COMMUNITY, communities=[registers.a.community], username="cg-staff")


# --- Community staff: their own community, nothing else -----------------------------------


@pytest.mark.parametrize(("url_name", "attribute", "text"), CHANGELISTS)
def test_community_staff_changelists_list_only_their_community(
    client, registers, community_user, url_name, attribute, text
):
    client.force_login(community_user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert _listed(response) == {getattr(registers.a, attribute).pk}
    content = response.content.decode()
    assert _label(registers.a, attribute, text) in content
    assert _label(registers.b, attribute, text) not in content
    assert _label(registers.c, attribute, text) not in content


@pytest.mark.parametrize("attribute", ["neighbourhood", "building", "household", "building_head"])
def test_community_staff_cannot_open_another_communitys_row_by_url(
    client, registers, community_user, attribute
):
    client.force_login(community_user)
    other = getattr(registers.b, attribute)

    response = client.get(_change_url(other))

    # Django admin treats a row outside get_queryset() as missing: back to the index.
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    followed = client.get(_change_url(other), follow=True).content.decode()
    assert registers.b.neighbourhood.name not in followed
    assert registers.b.household.head_name not in followed


def test_community_staff_cannot_change_another_communitys_household_by_post(
    client, registers, community_user
):
    client.force_login(community_user)
    household = registers.b.household
    response = client.post(
        _change_url(household),
        {"building": household.building_id, "unit": 1, "floor": 1, "room": "999"},
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.room == "101"


def test_community_staff_cannot_delete_or_read_history_of_another_communitys_household(
    client, registers, community_user
):
    # The delete and history views go through the same get_object() as the change view.
    client.force_login(community_user)
    other = registers.b.household
    for view in ("delete", "history"):
        url = reverse(f"admin:residents_household_{view}", args=[other.pk])
        assert client.get(url).status_code == 302
    assert Household.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize(
    ("model_name", "field_name", "attribute"),
    [
        ("buildinghead", "household", "household"),
        ("buildinghead", "building", "building"),
        ("buildinghead", "neighbourhood", "neighbourhood"),
        ("household", "building", "building"),
        ("neighbourhood", "owners_committee", "committee"),
        ("neighbourhood", "community", "community"),
    ],
)
def test_community_staff_autocomplete_offers_only_their_community(
    client, registers, community_user, model_name, field_name, attribute
):
    # app_label, model_name and field_name name the SOURCE field; the target's admin answers.
    client.force_login(community_user)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "residents", "model_name": model_name, "field_name": field_name},
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == {getattr(registers.a, attribute).pk}


def test_community_staff_autocomplete_search_does_not_reach_another_community(
    client, registers, community_user
):
    client.force_login(community_user)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "residents",
            "model_name": "buildinghead",
            "field_name": "household",
            "term": registers.b.household.head_name,
        },
    )
    assert response.json()["results"] == []


def test_community_staff_export_contains_only_their_community(client, registers, community_user):
    from residents.resources import HouseholdResource, NeighbourhoodResource

    client.force_login(community_user)

    households = _export_csv(client, "household", HouseholdResource)
    assert [row[5] for row in households[1:]] == [registers.a.household.head_name]

    neighbourhoods = _export_csv(client, "neighbourhood", NeighbourhoodResource)
    assert [row[1] for row in neighbourhoods[1:]] == [registers.a.neighbourhood.name]


def test_community_staff_export_ignores_a_filter_on_another_community(
    client, registers, community_user
):
    from residents.resources import HouseholdResource

    client.force_login(community_user)
    data = {"format": "1", "resource": "0"}
    data.update({f"householdresource_{f}": "on" for f in HouseholdResource().get_export_order()})
    url = reverse("admin:residents_household_export")
    response = client.post(f"{url}?community={registers.b.community.pk}", data)
    assert registers.b.household.head_name not in response.content.decode("utf-8-sig")


@pytest.mark.filterwarnings(
    "ignore:The 'get_valid_export_item_pks\\(\\)' method:DeprecationWarning"
)
def test_community_staff_export_ignores_chosen_items_of_another_community(
    client, registers, community_user
):
    # import-export validates ``export_items`` against every row of the table; the export
    # itself reads from the scoped queryset, so another community's pk yields nothing.
    client.force_login(community_user)
    response = client.post(
        reverse("admin:residents_household_export"),
        {
            "format": "1",
            "resource": "0",
            "householdresource_head_name": "on",
            "export_items": [registers.b.household.pk],
        },
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1:] == []


def test_household_add_form_refuses_a_building_of_another_community(
    client, registers, community_user
):
    client.force_login(community_user)
    response = client.post(
        reverse("admin:residents_household_add"),
        {
            "building": registers.b.building.pk,
            "unit": 1,
            "floor": 1,
            "room": "102",
            "head_name": "越界户",
            "people": 1,
            "elderly": 0,
            "disabled": 0,
            "occupancy": Household.Occupancy.OWNER,
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["building"]] == ["invalid_choice"]
    assert not Household.objects.filter(head_name="越界户").exists()


def test_household_add_form_accepts_a_building_of_their_own_community(
    client, registers, community_user
):
    client.force_login(community_user)
    response = client.post(
        reverse("admin:residents_household_add"),
        {
            "building": registers.a.building.pk,
            "unit": 1,
            "floor": 1,
            "room": "102",
            "head_name": "新住户",
            "phone": "0915-6321234",
            "people": 2,
            "elderly": 0,
            "disabled": 0,
            "occupancy": Household.Occupancy.OWNER,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Household.objects.get(head_name="新住户").building == registers.a.building


def test_neighbourhood_add_form_refuses_another_community(client, registers, community_user):
    client.force_login(community_user)
    response = client.post(
        reverse("admin:residents_neighbourhood_add"),
        {
            "community": registers.b.community.pk,
            "name": "越界小区",
            "housing_type": "other",
            "building_count": 0,
            "household_count": 0,
            "population": 0,
            "floor_area": "0",
            "buildings-TOTAL_FORMS": 0,
            "buildings-INITIAL_FORMS": 0,
            "building_heads-TOTAL_FORMS": 0,
            "building_heads-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["community"]] == ["invalid_choice"]


def test_community_staff_cannot_delete_a_neighbourhood(client, registers, community_user):
    client.force_login(community_user)
    url = reverse("admin:residents_neighbourhood_delete", args=[registers.a.neighbourhood.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403


# --- Visit teams: their assigned neighbourhoods, read-only --------------------------------


@pytest.mark.parametrize(
    ("url_name", "attribute"),
    [
        ("admin:residents_neighbourhood_changelist", "neighbourhood"),
        ("admin:residents_building_changelist", "building"),
        ("admin:residents_household_changelist", "household"),
    ],
)
def test_visit_team_member_sees_only_the_teams_neighbourhoods(
    client, registers, visitor, url_name, attribute
):
    client.force_login(visitor)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert _listed(response) == {getattr(registers.c, attribute).pk}
    content = response.content.decode()
    assert registers.a.neighbourhood.name not in content
    assert registers.b.neighbourhood.name not in content


def test_visit_team_member_reads_a_household_without_a_save_button(client, registers, visitor):
    client.force_login(visitor)
    response = client.get(_change_url(registers.c.household))
    assert response.status_code == 200
    assert registers.c.household.address in response.content.decode()
    assert 'name="_save"' not in response.content.decode()


def test_visit_team_member_cannot_change_or_add(client, registers, visitor):
    client.force_login(visitor)
    household = registers.c.household
    response = client.post(
        _change_url(household),
        {"building": household.building_id, "unit": 1, "floor": 1, "room": "999"},
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:residents_household_add")).status_code == 403
    household.refresh_from_db()
    assert household.room == "101"


def test_visit_team_member_cannot_open_a_neighbourhood_outside_the_team(client, registers, visitor):
    client.force_login(visitor)
    response = client.get(_change_url(registers.a.household))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


# --- County office, leaders, auditors -------------------------------------------------------


@pytest.mark.parametrize(("url_name", "attribute", "text"), CHANGELISTS)
def test_county_office_sees_every_community(
    client, registers, office_user, url_name, attribute, text
):
    client.force_login(office_user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert _listed(response) == {
        getattr(registers.a, attribute).pk,
        getattr(registers.b, attribute).pk,
        getattr(registers.c, attribute).pk,
    }


def test_leader_is_sent_to_the_admin_login(client, registers):
    leader = make_user(Role.LEADER, username="leader")
    assert not leader.is_staff
    client.force_login(leader)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    response = client.get(reverse("admin:residents_household_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_auditor_reads_everything_and_changes_nothing(client, registers):
    auditor = make_user(Role.AUDITOR, username="auditor")
    client.force_login(auditor)

    response = client.get(reverse("admin:residents_household_changelist"))
    assert _listed(response) == {
        registers.a.household.pk,
        registers.b.household.pk,
        registers.c.household.pk,
    }

    household = registers.b.household
    response = client.get(_change_url(household))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    response = client.post(
        _change_url(household),
        {"building": household.building_id, "unit": 1, "floor": 1, "room": "999"},
    )
    assert response.status_code == 403
    response = client.post(_change_url(registers.b.neighbourhood), {"name": "改名"})
    assert response.status_code == 403


def test_auditor_opens_the_change_history(client, registers, office_user):
    from django.contrib.admin.models import CHANGE, LogEntry

    LogEntry.objects.log_actions(
        user_id=office_user.pk,
        queryset=[registers.a.household],
        action_flag=CHANGE,
        change_message="changed room",
    )
    client.force_login(make_user(Role.AUDITOR, username="auditor"))
    response = client.get(reverse("admin:admin_logentry_changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1


def test_community_staff_cannot_open_the_change_history(client, registers, community_user):
    client.force_login(community_user)
    assert client.get(reverse("admin:admin_logentry_changelist")).status_code == 403


# --- Query counts -------------------------------------------------------------------------


def _grow(n):
    """n more neighbourhoods, each in a new community with its owners' committee (two members),
    a building of two households and a building head."""
    for _ in range(n):
        committee = OwnersCommitteeFactory()
        CommitteeMemberFactory.create_batch(2, committee=committee)
        neighbourhood = NeighbourhoodFactory(
            community=committee.community,
            owners_committee=committee,
            property_company=PropertyCompanyFactory(),
        )
        building = BuildingFactory(neighbourhood=neighbourhood)
        HouseholdFactory.create_batch(2, building=building)
        BuildingHeadFactory(neighbourhood=neighbourhood, building=building)


# Every admin page begins with 4 queries: the session, the user, and the user's permissions
# (held directly, held through groups); the request's transaction (ATOMIC_REQUESTS) adds its
# savepoint and release inside a test. Every changelist then counts twice (the paginator and
# the "N total" figure) and reads one page of rows with its related rows joined and its
# counts as subqueries.
REGISTER_CHANGELISTS = [
    # + community filter choices, property companies (their filter), distinct renovation
    #   years (their filter), 2 counts, the page (communities and companies joined).
    ("admin:residents_neighbourhood_changelist", 12),
    # + community filter choices, 2 counts, the page (neighbourhoods joined).
    ("admin:residents_building_changelist", 10),
    # + community filter choices, neighbourhood filter choices, 2 counts, the page
    #   (buildings and neighbourhoods joined).
    ("admin:residents_household_changelist", 11),
    # + community filter choices, 2 counts, the page (neighbourhoods and buildings joined).
    ("admin:residents_buildinghead_changelist", 10),
    # + community filter choices, 2 counts, the page (communities joined).
    ("admin:residents_ownerscommittee_changelist", 10),
]


@pytest.mark.parametrize(("url_name", "queries"), REGISTER_CHANGELISTS)
def test_register_changelists_run_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries, url_name, queries
):
    client.force_login(office_user)
    _grow(3)
    with django_assert_num_queries(queries):
        assert client.get(reverse(url_name)).status_code == 200
    _grow(7)
    with django_assert_num_queries(queries):
        response = client.get(reverse(url_name))
    assert len(response.context["cl"].result_list) >= 10


@pytest.mark.parametrize("role", [Role.COMMUNITY, Role.VISITOR], ids=lambda role: role.name)
def test_scoped_and_masked_household_changelist_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, role
):
    # The same 11 queries as the county office's: the scope is a subquery inside the counts and
    # the page, and masking happens in Python.
    from residents.models import Neighbourhood, Region

    from .factories import VisitTeamFactory

    user = make_user(role, communities=[], username="scoped")
    team = VisitTeamFactory(members=[user])
    profile = StaffProfileFactory(user=user)

    def give_user_everything():
        if role is Role.COMMUNITY:
            profile.communities.set(Region.objects.filter(level=Region.Level.COMMUNITY))
        else:
            team.neighbourhoods.set(Neighbourhood.objects.all())

    client.force_login(user)
    url = reverse("admin:residents_household_changelist")
    _grow(3)
    give_user_everything()
    with django_assert_num_queries(11):
        assert len(client.get(url).context["cl"].result_list) == 6
    _grow(7)
    give_user_everything()
    with django_assert_num_queries(11):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 20
    shown = "13812345678" if role is Role.COMMUNITY else "138****5678"
    assert shown in response.content.decode()


def test_visit_team_counts_are_the_whole_teams_whoever_reads_them(client, registers):
    from .factories import UserFactory, VisitTeamFactory

    team = VisitTeamFactory(
        neighbourhoods=[registers.a.neighbourhood, registers.b.neighbourhood],
        members=UserFactory.create_batch(3),
    )
    for user in (
        make_user(Role.COMMUNITY, communities=[registers.a.community], username="cg-staff"),
        make_user(Role.OFFICE, username="office"),
    ):
        client.force_login(user)
        response = client.get(reverse("admin:residents_visitteam_changelist"))
        [listed] = response.context["cl"].result_list
        assert listed == team
        assert (listed.n_members, listed.n_neighbourhoods) == (3, 2)


def test_every_community_filter_finds_the_community_of_its_rows(client, office_user, registers):
    """Each admin list filtered by community reaches the community along its rows' own path
    (``CommunityListFilter.community_path``): a wrong path would fail or show other rows."""
    from django.contrib import admin as django_admin

    from residents.admin import CommunityListFilter

    client.force_login(office_user)
    community = registers.a.community
    lists = [
        model
        for model, model_admin in django_admin.site._registry.items()
        if CommunityListFilter in model_admin.list_filter
    ]
    assert len(lists) >= 12
    for model in lists:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url, {"community": community.pk})
        assert response.status_code == 200, model
        path = CommunityListFilter.community_path(model._default_manager.all())
        shown = response.context["cl"].result_list
        assert all(
            model._default_manager.filter(pk=row.pk, **{path: community}).exists() for row in shown
        ), model
