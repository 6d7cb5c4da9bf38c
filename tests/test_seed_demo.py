"""``seed_demo``: the Shiquan demo county, its demo accounts, and ``--scale`` synthetic data.

Loading the demo takes about a third of a second, so each test loads its own county.
"""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum

from residents import demo
from residents.models import (
    Building,
    BuildingHead,
    CommitteeMember,
    Household,
    Neighbourhood,
    OwnersCommittee,
    PropertyCompany,
    Region,
    StaffProfile,
    VisitTeam,
)
from residents.roles import ADMIN_ROLES, Role
from residents.validators import validate_id_number, validate_phone

from .factories import UserFactory
from .test_settings import login_request

DEMO_ACCOUNTS = {
    "office": Role.OFFICE,
    "community": Role.COMMUNITY,
    "visitor": Role.VISITOR,
    "inspector": Role.INSPECTOR,
    "leader": Role.LEADER,
    "auditor": Role.AUDITOR,
}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo_county(db):
    """The demo county, loaded with demo mode off (the test settings' default)."""
    return seed()


def demo_neighbourhoods():
    return Neighbourhood.objects.exclude(community__parent__name=demo.SYNTHETIC_TOWN)


def register_of(neighbourhoods):
    return Household.objects.filter(building__neighbourhood__in=neighbourhoods).aggregate(
        households=Count("pk"), people=Sum("people")
    )


def test_demo_has_22_renovated_neighbourhoods_of_about_3100_households_and_17500_people(
    demo_county,
):
    renovated = demo_neighbourhoods().filter(renovation_year__range=(2019, 2025))
    assert renovated.count() == 22
    assert set(renovated.values_list("renovation_year", flat=True)) == set(range(2019, 2026))
    register = register_of(renovated)
    assert register["households"] == pytest.approx(3100, rel=0.03)
    assert register["people"] == pytest.approx(17500, rel=0.03)
    declared = renovated.aggregate(households=Sum("household_count"), people=Sum("population"))
    assert declared == register


def test_every_register_adds_up_to_its_declared_figures(demo_county):
    for n in demo_neighbourhoods().with_register_counts():
        assert (n.registered_buildings, n.registered_households, n.registered_people) == (
            n.building_count,
            n.household_count,
            n.population,
        ), n.name
        assert 68 <= n.floor_area / n.household_count <= 82, n.name


def test_named_neighbourhoods_exist_and_the_ice_lolly_factory_was_built_in_1985(demo_county):
    names = {"老冰棍厂小区", "老物局小区", "金江百司小区", "红花小区"}
    assert set(Neighbourhood.objects.filter(name__in=names).values_list("name", flat=True)) == (
        names
    )
    assert Neighbourhood.objects.get(name="老冰棍厂小区").year_built == 1985


def test_years_built_are_mostly_eligible_with_one_or_two_exceptions(demo_county):
    renovated = demo_neighbourhoods().filter(renovation_year__lte=2025)
    assert renovated.aggregate(Min("year_built"), Max("year_built")) == {
        "year_built__min": 1980,
        "year_built__max": 2004,
    }
    exceptions = [n.name for n in renovated if n.eligibility == Neighbourhood.Eligibility.EXCEPTION]
    assert 1 <= len(exceptions) <= 2
    assert len(set(renovated.values_list("housing_type", flat=True))) >= 4


def test_current_batch_has_seven_neighbourhoods_with_small_registers(demo_county):
    current = demo_neighbourhoods().filter(renovation_year=demo.CURRENT_BATCH_YEAR)
    assert current.count() == 7
    for n in current.with_register_counts():
        assert 10 <= n.registered_households <= 60, n.name


def test_region_tree_is_shiquan_county_its_towns_and_communities(demo_county):
    county = Region.objects.get(parent=None)
    assert (county.name, county.level, county.code) == ("石泉县", "county", "610922")
    towns = county.children.all()
    assert {t.name for t in towns} >= {"城关镇", "饶峰镇", "池河镇", "后柳镇", "云雾山镇"}
    assert len(towns) == 11
    assert all(t.level == Region.Level.TOWN for t in towns)
    chengguan = county.children.get(name="城关镇")
    assert 6 <= chengguan.children.count() <= 8
    assert {"老城社区", "红花社区"} <= set(chengguan.children.values_list("name", flat=True))
    assert not demo_neighbourhoods().exclude(community__level=Region.Level.COMMUNITY).exists()
    in_other_towns = demo_neighbourhoods().exclude(community__parent=chengguan)
    assert {n.community.parent.name for n in in_other_towns} == {"池河镇", "后柳镇"}


def test_visit_teams_committees_building_heads_and_property_companies(demo_county):
    teams = VisitTeam.objects.annotate(n=Count("neighbourhoods"))
    assert teams.count() == 6
    assert all(team.n > 0 for team in teams)
    assert not demo_neighbourhoods().filter(visit_teams=None).exists()

    assert OwnersCommittee.objects.count() == 8
    for committee in OwnersCommittee.objects.annotate(members_n=Count("members")):
        assert 3 <= committee.members_n <= 5, committee.name
        assert committee.members.filter(position=CommitteeMember.Position.CHAIR).count() == 1
        assert committee.term_start < committee.term_end
        covered = committee.neighbourhoods.all()
        assert 1 <= len(covered) <= 2
        assert {n.community_id for n in covered} == {committee.community_id}
    assert OwnersCommittee.objects.annotate(n=Count("neighbourhoods")).filter(n=2).exists()

    heads = BuildingHead.objects.select_related("neighbourhood", "building", "household")
    assert heads.exists()
    for head in heads:
        assert head.neighbourhood.owners_committee_id is None
        assert head.household.building.neighbourhood_id == head.neighbourhood_id
        assert head.building is None or head.building == head.household.building
        assert head.name == head.household.head_name
    without_committee = demo_neighbourhoods().filter(owners_committee=None)
    assert not without_committee.filter(building_heads=None).exists()

    companies = PropertyCompany.objects.annotate(n=Count("neighbourhoods"))
    assert companies.count() == 2
    for company in companies:
        assert len(company.credit_code) == 18 and company.credit_code.startswith("91610922")
        assert company.n > 0
        validate_phone(company.contact_phone)


def test_demo_data_refers_only_to_neighbourhoods_and_communities_it_defines():
    by_name = {n.name: n for n in demo.NEIGHBOURHOODS}
    assert len(by_name) == len(demo.NEIGHBOURHOODS)
    communities = {c for names in demo.TOWNS.values() for c in names}
    assert {n.community for n in demo.NEIGHBOURHOODS} <= communities
    for committee in demo.COMMITTEES:
        assert {by_name[n].community for n in committee.neighbourhoods} == {committee.community}
    served = [n for company in demo.PROPERTY_COMPANIES for n in company.serves]
    assert set(served) <= set(by_name) and len(served) == len(set(served))
    teams = [c for names in demo.VISIT_TEAMS.values() for c in names]
    assert sorted(teams) == sorted(communities)


def test_demo_accounts_are_in_their_role_groups_with_demo_profiles(demo_county):
    User = get_user_model()
    for username, role in DEMO_ACCOUNTS.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role.value]
        assert user.is_staff == (role in ADMIN_ROLES)
        assert not user.is_superuser
        assert user.staff_profile.is_demo_account
    community = StaffProfile.objects.get(user__username="community")
    assert set(community.communities.values_list("name", flat=True)) == {"老城社区", "红花社区"}
    visitor = User.objects.get(username="visitor")
    assert visitor.visit_teams.count() == 1
    assert Neighbourhood.objects.visible_to(visitor).exists()
    assert not User.objects.filter(is_superuser=True).exists()


def residents_snapshot():
    """Every row of every residents model and of the M2M tables, and the accounts."""
    snapshot = {}
    for model in apps.get_app_config("residents").get_models():
        snapshot[model._meta.label] = list(model.objects.order_by("pk").values_list())
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            snapshot[through._meta.label] = list(through.objects.order_by("pk").values_list())
    User = get_user_model()
    snapshot["users"] = list(User.objects.order_by("pk").values_list())
    snapshot["groups"] = list(User.groups.through.objects.order_by("pk").values_list())
    return snapshot


def test_second_run_changes_and_duplicates_nothing(demo_county):
    before = residents_snapshot()
    output = seed()
    assert residents_snapshot() == before
    assert "already loaded, nothing created" in output


def test_second_run_keeps_what_a_demonstrator_changed(demo_county):
    n = Neighbourhood.objects.get(name="老冰棍厂小区")
    Neighbourhood.objects.filter(pk=n.pk).update(address="老街88号")
    # A household of a neighbourhood whose project is still a draft: elsewhere the demo's
    # visits, objections, requests and survey rolls refer to the households, and keep them.
    Household.objects.filter(building__neighbourhood__name="烟草公司家属院").last().delete()
    households = Household.objects.count()
    seed()
    assert Neighbourhood.objects.get(pk=n.pk).address == "老街88号"
    assert Household.objects.count() == households


def natural_register():
    return sorted(
        Household.objects.values_list(
            "building__neighbourhood__name",
            "building__number",
            "building__floors",
            "building__units",
            "unit",
            "floor",
            "room",
            "head_name",
            "phone",
            "id_number",
            "people",
            "elderly",
            "disabled",
            "occupancy",
        )
    )


def test_loading_is_deterministic(db):
    with transaction.atomic():
        seed()
        first = natural_register()
        transaction.set_rollback(True)
    assert not Household.objects.exists()
    seed()
    assert natural_register() == first


def test_generated_phones_and_id_numbers_are_valid_and_ids_unique(demo_county):
    phones = [
        *Household.objects.values_list("phone", flat=True),
        *CommitteeMember.objects.values_list("phone", flat=True),
        *BuildingHead.objects.values_list("phone", flat=True),
    ]
    assert sum(1 for p in phones if p) > 0.9 * len(phones)
    for phone in filter(None, phones):
        validate_phone(phone)
        assert phone[:2] in {"13", "14", "15", "16", "17", "18", "19"} and len(phone) == 11
    ids = list(Household.objects.exclude(id_number="").values_list("id_number", flat=True))
    assert 0.28 < len(ids) / Household.objects.count() < 0.38
    assert len(set(ids)) == len(ids)
    for id_number in ids:
        assert id_number.startswith("610922")
        validate_id_number(id_number)


def test_households_fit_their_buildings(demo_county):
    assert not Household.objects.filter(
        Q(unit__gt=F("building__units")) | Q(floor__gt=F("building__floors")) | Q(floor__lt=1)
    ).exists()
    for household in Household.objects.all():
        assert household.room[:-2] == str(household.floor) and household.room[-2:] != "00"
        if household.occupancy == Household.Occupancy.VACANT:
            assert household.people == 0
        else:
            assert 1 <= household.people <= 7
        assert household.elderly <= household.people
        assert household.disabled <= household.people
    buildings = Building.objects.aggregate(
        Min("floors"),
        Max("floors"),
        Min("units"),
        Max("units"),
        lifts=Count("pk", Q(has_elevator=True)),
    )
    assert 4 <= buildings["floors__min"] <= buildings["floors__max"] <= 7
    assert 1 <= buildings["units__min"] <= buildings["units__max"] <= 4
    assert buildings["lifts"] < 0.1 * Building.objects.count()
    occupancy = dict(Household.objects.values_list("occupancy").annotate(Count("pk")))
    assert occupancy["owner"] > occupancy["rented"] > occupancy["vacant"] > 0


def test_demo_accounts_cannot_log_in_with_the_demo_password_when_demo_mode_is_off(settings, db):
    settings.ANJU_DEMO = False
    output = seed()
    User = get_user_model()
    for username in DEMO_ACCOUNTS:
        assert not User.objects.get(username=username).has_usable_password()
        assert (
            authenticate(login_request(), username=username, password=settings.DEMO_PASSWORD)
            is None
        )
    assert output.count("(no password: ANJU_DEMO is off)") == len(DEMO_ACCOUNTS)
    assert "anju-demo" not in output


def test_demo_accounts_log_in_with_the_demo_password_in_demo_mode(settings, db):
    settings.ANJU_DEMO = True
    output = seed()
    for username in DEMO_ACCOUNTS:
        user = authenticate(login_request(), username=username, password="anju-demo")
        assert user is not None and user.username == username
    assert output.count("anju-demo") == len(DEMO_ACCOUNTS)


def test_turning_demo_mode_off_takes_the_demo_password_away_but_keeps_an_own_one(settings, db):
    settings.ANJU_DEMO = True
    seed()
    office = get_user_model().objects.get(username="office")
    office.set_password("a password of my own")
    office.save()
    settings.ANJU_DEMO = False
    seed()
    assert (
        authenticate(login_request(), username="office", password="a password of my own") == office
    )
    settings.ANJU_DEMO = True  # the backend would refuse it anyway; the hash must be gone too
    assert authenticate(login_request(), username="leader", password="anju-demo") is None
    assert not get_user_model().objects.get(username="leader").has_usable_password()


def test_a_user_of_the_same_name_that_is_not_a_demo_account_is_left_alone(settings, db):
    settings.ANJU_DEMO = True
    office = UserFactory(username="office", is_staff=False)
    output = seed()
    office.refresh_from_db()
    assert office.check_password("correct horse battery")
    assert not office.is_staff and not office.groups.exists()
    assert not StaffProfile.objects.filter(user=office).exists()
    assert "not a demo account: left alone" in output
    assert Group.objects.get(name=Role.LEADER.value).user_set.filter(username="leader").exists()


def test_scale_adds_synthetic_neighbourhoods_of_realistic_size_once(demo_county):
    output = seed(scale=3)
    synthetic = Neighbourhood.objects.filter(community__parent__name=demo.SYNTHETIC_TOWN)
    assert sorted(synthetic.values_list("name", flat=True)) == [
        "合成小区00001",
        "合成小区00002",
        "合成小区00003",
    ]
    assert "Synthetic neighbourhoods created: 3/3," in output
    for n in synthetic.with_register_counts():
        assert 4 <= n.registered_buildings <= 30
        assert n.registered_buildings == n.building_count
        assert (n.registered_households, n.registered_people) == (n.household_count, n.population)
    per_building = Building.objects.filter(neighbourhood__in=synthetic).annotate(
        n=Count("households")
    )
    assert all(20 <= b.n <= 60 for b in per_building)
    assert not Household.objects.filter(
        Q(unit__gt=F("building__units")) | Q(floor__gt=F("building__floors"))
    ).exists()

    before = residents_snapshot()
    output = seed(scale=3)
    assert "all 3 already exist" in output
    seed(scale=2)
    assert residents_snapshot() == before


def test_negative_scale_is_refused(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        seed(scale=-1)
