"""The invariants of the registers: database constraints (the last guard, whatever the door),
the models' clean() and the validators of phone and ID numbers."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from residents.models import Building, Household, Neighbourhood, Region
from residents.validators import id_number_check_char, validate_id_number, validate_phone

from .factories import (
    BuildingFactory,
    BuildingHeadFactory,
    CommitteeMemberFactory,
    CommunityFactory,
    HouseholdFactory,
    NeighbourhoodFactory,
    OwnersCommitteeFactory,
    RegionFactory,
    TownFactory,
    valid_id_number,
)


def _refused():
    """The database refuses the write; the atomic block keeps the test's transaction usable."""
    return pytest.raises(IntegrityError)


# --- Households ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_household_address_is_unique_within_its_building():
    household = HouseholdFactory(unit=1, room="101")
    with _refused(), transaction.atomic():
        HouseholdFactory(building=household.building, unit=1, room="101")


@pytest.mark.django_db
def test_the_same_room_may_exist_in_another_unit_or_another_building():
    household = HouseholdFactory(unit=1, room="101")
    HouseholdFactory(building=household.building, unit=2, room="101")
    other = BuildingFactory(neighbourhood=household.building.neighbourhood, number="东2")
    HouseholdFactory(building=other, unit=1, room="101")
    assert Household.objects.filter(room="101").count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["elderly", "disabled"])
def test_elderly_and_disabled_members_cannot_outnumber_the_household(field):
    HouseholdFactory(people=3, **{field: 3})
    with _refused(), transaction.atomic():
        HouseholdFactory(people=3, **{field: 4})


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("unit", 0), ("floor", -6), ("floor", 101)])
def test_household_unit_and_floor_stay_in_range(field, value):
    with _refused(), transaction.atomic():
        HouseholdFactory(**{field: value})


@pytest.mark.django_db
def test_household_clean_rejects_a_unit_or_floor_the_building_does_not_have():
    building = BuildingFactory(number="3", units=2, floors=6)
    household = HouseholdFactory.build(building=building, unit=3, floor=7, room="701")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        household.full_clean()
    assert refused.value.message_dict["unit"] == ["Building 3 has only 2 units."]
    assert refused.value.message_dict["floor"] == ["Building 3 has only 6 floors."]


@pytest.mark.django_db
def test_household_clean_accepts_the_top_floor_and_last_unit_and_a_basement():
    building = BuildingFactory(units=2, floors=6)
    HouseholdFactory.build(building=building, unit=2, floor=6, room="602").full_clean()
    HouseholdFactory.build(building=building, unit=1, floor=-1, room="B1").full_clean()


@pytest.mark.django_db
def test_household_full_clean_checks_phone_and_id_number():
    household = HouseholdFactory.build(
        building=BuildingFactory(), phone="12345", id_number="610922198501011230"
    )
    with pytest.raises(ValidationError) as refused:
        household.full_clean()
    assert set(refused.value.error_dict) == {"phone", "id_number"}


# --- Buildings and neighbourhoods ---------------------------------------------------------


@pytest.mark.django_db
def test_a_building_number_is_unique_within_its_neighbourhood():
    building = BuildingFactory(number="1")
    BuildingFactory(number="1")  # in another neighbourhood
    with _refused(), transaction.atomic():
        BuildingFactory(neighbourhood=building.neighbourhood, number="1")
    assert Building.objects.filter(number="1").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("floors", 0), ("floors", 101), ("units", 0)])
def test_building_floors_and_units_stay_in_range(field, value):
    with _refused(), transaction.atomic():
        BuildingFactory(**{field: value})


@pytest.mark.django_db
def test_a_neighbourhood_name_is_unique_within_its_community():
    neighbourhood = NeighbourhoodFactory(name="电力局家属院")
    NeighbourhoodFactory(name="电力局家属院")  # in another community
    with _refused(), transaction.atomic():
        NeighbourhoodFactory(community=neighbourhood.community, name="电力局家属院")
    assert Neighbourhood.objects.filter(name="电力局家属院").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("year", [1899, 2101])
def test_year_built_outside_1900_to_2100_is_refused(year):
    with _refused(), transaction.atomic():
        NeighbourhoodFactory(year_built=year)


@pytest.mark.django_db
@pytest.mark.parametrize("year", [1900, 2100, None])
def test_year_built_at_the_bounds_or_unknown_is_accepted(year):
    assert NeighbourhoodFactory(year_built=year).pk


@pytest.mark.django_db
def test_neighbourhood_clean_refuses_a_committee_of_another_community():
    neighbourhood = NeighbourhoodFactory.build(
        community=CommunityFactory(), owners_committee=OwnersCommitteeFactory()
    )
    with pytest.raises(ValidationError) as refused:
        neighbourhood.full_clean()
    assert "owners_committee" in refused.value.message_dict


@pytest.mark.django_db
def test_building_head_clean_refuses_a_building_of_another_neighbourhood():
    head = BuildingHeadFactory.build(
        neighbourhood=NeighbourhoodFactory(), building=BuildingFactory(), phone=""
    )
    with pytest.raises(ValidationError) as refused:
        head.full_clean()
    assert "building" in refused.value.message_dict


@pytest.mark.django_db
def test_owners_committee_term_must_end_after_it_starts():
    import datetime

    day = datetime.date(2024, 1, 1)
    OwnersCommitteeFactory(term_start=day, term_end=None)
    with _refused(), transaction.atomic():
        OwnersCommitteeFactory(term_start=day, term_end=day)


# --- Regions ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_community_without_a_parent_is_refused():
    with _refused(), transaction.atomic():
        Region.objects.create(name="无主社区", level=Region.Level.COMMUNITY, parent=None)


@pytest.mark.django_db
def test_a_county_with_a_parent_is_refused():
    with _refused(), transaction.atomic():
        Region.objects.create(name="石泉县", level=Region.Level.COUNTY, parent=TownFactory())


@pytest.mark.django_db
def test_region_clean_wants_a_town_above_a_community():
    county = RegionFactory()
    with pytest.raises(ValidationError) as refused:
        Region(name="城关社区", level=Region.Level.COMMUNITY, parent=county).full_clean()
    assert "parent" in refused.value.message_dict


@pytest.mark.django_db
def test_a_region_code_is_unique_when_given_and_may_be_blank_twice():
    RegionFactory(code="610922")
    RegionFactory(code="")
    RegionFactory(code="")
    with _refused(), transaction.atomic():
        RegionFactory(code="610922")


@pytest.mark.django_db
def test_a_region_name_is_unique_under_its_parent():
    town = TownFactory()
    CommunityFactory(parent=town, name="城关社区")
    CommunityFactory(name="城关社区")  # under another town
    with _refused(), transaction.atomic():
        CommunityFactory(parent=town, name="城关社区")


# --- Validators ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone", ["13812345678", "19912345678", "0915-6321234", "09156321234", "029-88881234"]
)
def test_validate_phone_accepts_mobiles_and_landlines_with_area_code(phone):
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "12812345678",  # no mobile prefix starts with 12
        "1381234567",  # ten digits
        "138123456789",  # twelve digits
        "6321234",  # landline without its area code
        "0915-632123",  # six-digit local number
        "138 1234 5678",
        "+8613812345678",
        "",
    ],
)
def test_validate_phone_refuses_anything_else(phone):
    with pytest.raises(ValidationError) as refused:
        validate_phone(phone)
    assert refused.value.code == "invalid_phone"


def test_id_number_check_char_follows_gb_11643():
    # The worked example of GB 11643-1999: 11010519491231002X.
    assert id_number_check_char("11010519491231002") == "X"
    assert id_number_check_char("44052418800101001") == "4"


def test_validate_id_number_accepts_a_correct_check_character():
    validate_id_number(valid_id_number())
    validate_id_number("11010519491231002X")
    validate_id_number("11010519491231002x")  # people type the X in lower case


@pytest.mark.django_db
def test_household_stores_the_id_check_character_in_upper_case():
    from .factories import BuildingFactory

    household = Household(
        building=BuildingFactory(), room="101", head_name="王秀英", id_number="11010519491231002x"
    )
    household.full_clean()
    assert household.id_number == "11010519491231002X"


@pytest.mark.parametrize(
    "id_number",
    [
        "110105194912310021",  # wrong check character (X expected)
        "110105491231002",  # first-generation 15-digit number
        "1101051949123100",
        "11010519491231002XX",
        "",
    ],
)
def test_validate_id_number_refuses_a_wrong_or_malformed_number(id_number):
    with pytest.raises(ValidationError) as refused:
        validate_id_number(id_number)
    assert refused.value.code == "invalid_id_number"


def test_validate_id_number_catches_every_single_digit_typo():
    good = valid_id_number()
    for position in range(17):
        digit = good[position]
        typo = good[:position] + str((int(digit) + 1) % 10) + good[position + 1 :]
        with pytest.raises(ValidationError):
            validate_id_number(typo)


@pytest.mark.django_db
def test_a_top_level_region_name_is_unique():
    RegionFactory(name="石泉县", parent=None)
    with _refused(), transaction.atomic():
        RegionFactory(name="石泉县", parent=None)


@pytest.mark.django_db
def test_a_committee_has_one_chair_and_distinct_members():
    committee = OwnersCommitteeFactory()
    CommitteeMemberFactory(committee=committee, name="张建国", position="chair")
    CommitteeMemberFactory(committee=committee, name="李秀兰", position="vice_chair")
    with _refused(), transaction.atomic():
        CommitteeMemberFactory(committee=committee, name="王德明", position="chair")
    with _refused(), transaction.atomic():
        CommitteeMemberFactory(committee=committee, name="张建国", position="member")


@pytest.mark.django_db
def test_a_building_or_a_yard_has_one_head():
    building = BuildingFactory()
    yard = building.neighbourhood
    BuildingHeadFactory(neighbourhood=yard, building=building)
    BuildingHeadFactory(neighbourhood=yard, building=None)
    with _refused(), transaction.atomic():
        BuildingHeadFactory(neighbourhood=yard, building=building)
    with _refused(), transaction.atomic():
        BuildingHeadFactory(neighbourhood=yard, building=None)
    BuildingHeadFactory(neighbourhood=yard, building=BuildingFactory(neighbourhood=yard))


@pytest.mark.django_db
def test_building_head_clean_wants_the_household_in_that_building():
    head = BuildingHeadFactory.build(
        neighbourhood=(building := BuildingFactory()).neighbourhood,
        building=building,
        household=HouseholdFactory(),  # lives in another neighbourhood
    )
    with pytest.raises(ValidationError) as refused:
        head.clean()
    assert "household" in refused.value.message_dict


def test_validate_credit_code_checks_gb_32100():
    from residents.validators import credit_code_check_char, validate_credit_code

    first17 = "91610922MA70AB12C"
    code = first17 + credit_code_check_char(first17)
    validate_credit_code(code)
    wrong = first17 + ("0" if code[-1] != "0" else "1")
    for bad in [wrong, code[:-1], code + "1", "9161092200000000I" + "0"]:
        with pytest.raises(ValidationError):
            validate_credit_code(bad)
