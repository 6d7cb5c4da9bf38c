"""Phone and ID numbers: masked in lists, pages and exports unless the user holds
``residents.view_personal_data``, and never searchable or filterable without it.

The ``registers`` fixture (conftest) gives households in communities A, B and C; the
``visitor`` fixture's visit team is assigned C, so every role below can see C's household.
"""

import csv
import io
import logging

import pytest
from django.urls import reverse

from residents.masking import (
    can_view_personal_data,
    id_number_for,
    mask_id_number,
    mask_name,
    mask_phone,
    name_for,
    phone_for,
)
from residents.resources import HouseholdResource
from residents.roles import Role

from .conftest import make_user

# --- The masking functions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0915-6321234", "0915-***1234"),
        ("029-88881234", "029-****1234"),
        ("09156321234", "091****1234"),
        ("", ""),
        ("5678", "****"),
        ("1234567", "*******"),
        # Short values that are not valid numbers (old imports) lose more than they keep.
        ("12345678", "********"),
        ("123-45678", "*********"),
        # Only a real area code before the dash is kept, not whatever precedes a dash.
        ("01381234567-8", "013******67-8"),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("610922198501011234", "6109**********1234"),
        ("61092219850101123X", "6109**********123X"),
        # A first-generation 15-digit number.
        ("610922850101123", "6109*******1123"),
        ("", ""),
        ("6109221", "*******"),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("王秀英", "王**"), ("欧阳明月", "欧***"), ("李", "*"), ("", ""), (" 张伟 ", "张*")],
)
def test_mask_name_keeps_the_surname_only(value, masked):
    assert mask_name(value) == masked


@pytest.mark.django_db
def test_masking_follows_the_permission():
    clear = make_user(Role.COMMUNITY)
    masked = make_user(Role.INSPECTOR)
    inactive = make_user(Role.OFFICE, is_active=False)
    assert can_view_personal_data(clear)
    assert not can_view_personal_data(masked)
    assert not can_view_personal_data(inactive)
    assert not can_view_personal_data(None)
    assert phone_for(clear, "13812345678") == "13812345678"
    assert phone_for(masked, "13812345678") == "138****5678"
    assert id_number_for(masked, "610922198501011234") == "6109**********1234"
    assert id_number_for(None, "610922198501011234") == "6109**********1234"
    assert name_for(clear, "王秀英") == "王秀英"
    assert name_for(masked, "王秀英") == "王**"


# --- The admin, by role -------------------------------------------------------------------

MASKED_ROLES = [Role.VISITOR, Role.INSPECTOR]
CLEAR_ROLES = [Role.COMMUNITY, Role.OFFICE, Role.AUDITOR]


def _user(role, registers):
    """A user of ``role`` who may see household C."""
    if role is Role.VISITOR:
        from .factories import VisitTeamFactory

        user = make_user(role, username="visitor")
        VisitTeamFactory(neighbourhoods=[registers.c.neighbourhood], members=[user])
        return user
    if role is Role.COMMUNITY:
        return make_user(role, communities=[registers.c.community], username="hp-staff")
    return make_user(role, username=f"user-{role.name.lower()}")


def _export(client):
    data = {"format": "1", "resource": "0"}
    data.update({f"householdresource_{f}": "on" for f in HouseholdResource().get_export_order()})
    response = client.post(reverse("admin:residents_household_export"), data)
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


def _pages(client, household):
    """The household list, the household's change page and its building's page (households
    inline), as one user sees them."""
    return {
        "changelist": client.get(reverse("admin:residents_household_changelist")),
        "change page": client.get(reverse("admin:residents_household_change", args=[household.pk])),
        "building page": client.get(
            reverse("admin:residents_building_change", args=[household.building_id])
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", MASKED_ROLES, ids=lambda role: role.name)
def test_household_phone_and_id_number_are_masked_for_roles_without_the_permission(
    client, registers, role
):
    household = registers.c.household
    client.force_login(_user(role, registers))

    for name, response in _pages(client, household).items():
        assert response.status_code == 200, name
        body = response.content.decode()
        assert household.phone not in body, name
        assert household.id_number not in body, name
        assert household.head_name not in body, name
        assert "138****0003" in body, name
        assert mask_name(household.head_name) in body, name
    body = _pages(client, household)["change page"].content.decode()
    assert mask_id_number(household.id_number) in body

    export = _export(client)
    assert household.phone not in export
    assert household.id_number not in export
    assert household.head_name not in export
    row = next(
        row for row in csv.reader(io.StringIO(export)) if mask_name(household.head_name) in row
    )
    assert "138****0003" in row
    assert mask_id_number(household.id_number) in row


@pytest.mark.django_db
@pytest.mark.parametrize("role", CLEAR_ROLES, ids=lambda role: role.name)
def test_household_phone_and_id_number_are_clear_for_roles_with_the_permission(
    client, registers, role
):
    household = registers.c.household
    client.force_login(_user(role, registers))

    pages = _pages(client, household)
    assert household.phone in pages["changelist"].content.decode()
    assert household.phone in pages["change page"].content.decode()
    assert household.id_number in pages["change page"].content.decode()
    assert household.phone in pages["building page"].content.decode()
    export = _export(client)
    assert household.phone in export
    assert household.id_number in export


@pytest.mark.django_db
@pytest.mark.parametrize("role", MASKED_ROLES, ids=lambda role: role.name)
def test_search_by_phone_does_not_find_the_household_for_a_masked_role(client, registers, role):
    household = registers.c.household
    client.force_login(_user(role, registers))
    url = reverse("admin:residents_household_changelist")

    for term in (household.phone, household.phone[:7], household.id_number):
        response = client.get(url, {"q": term})
        assert list(response.context["cl"].result_list) == [], term

    # The autocomplete searches the same fields.
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "residents",
            "model_name": "buildinghead",
            "field_name": "household",
            "term": household.phone,
        },
    )
    if response.status_code == 200:  # a visitor may not read building heads at all
        assert response.json()["results"] == []


@pytest.mark.django_db
def test_search_by_phone_finds_the_household_for_a_role_with_the_permission(client, registers):
    client.force_login(_user(Role.OFFICE, registers))
    response = client.get(
        reverse("admin:residents_household_changelist"), {"q": registers.c.household.phone}
    )
    assert list(response.context["cl"].result_list) == [registers.c.household]


@pytest.mark.django_db
@pytest.mark.parametrize("role", MASKED_ROLES, ids=lambda role: role.name)
@pytest.mark.parametrize(
    "lookup", ["phone", "phone__startswith", "id_number__startswith", "id_number__contains"]
)
def test_a_masked_role_cannot_probe_personal_data_through_url_filters(
    client, registers, role, lookup
):
    household = registers.c.household
    client.force_login(_user(role, registers))
    value = household.phone[:4] if lookup.startswith("phone") else household.id_number[6:14]
    if lookup == "phone":
        value = household.phone

    response = client.get(reverse("admin:residents_household_changelist"), {lookup: value})
    # Django admin answers a disallowed lookup with 400 (DisallowedModelAdminLookup).
    assert response.status_code == 400
    response = client.post(
        reverse("admin:residents_household_export") + f"?{lookup}={value}",
        {"format": "1", "resource": "0", "householdresource_head_name": "on"},
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_role_with_the_permission_may_filter_by_phone(client, registers):
    client.force_login(_user(Role.OFFICE, registers))
    response = client.get(
        reverse("admin:residents_household_changelist"),
        {"phone__startswith": registers.c.household.phone[:9]},
    )
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [registers.c.household]


@pytest.mark.django_db
def test_building_head_and_committee_member_names_and_phones_are_masked_for_an_inspector(
    client, registers
):
    client.force_login(_user(Role.INSPECTOR, registers))
    head = registers.c.building_head
    member = registers.c.committee.members.get()
    pages = [
        client.get(reverse("admin:residents_buildinghead_changelist")),
        client.get(reverse("admin:residents_buildinghead_change", args=[head.pk])),
        client.get(reverse("admin:residents_neighbourhood_change", args=[head.neighbourhood_id])),
        client.get(reverse("admin:residents_ownerscommittee_change", args=[member.committee_id])),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert head.phone not in body
        assert member.phone not in body
        assert head.name not in body
        assert member.name not in body
    assert mask_name(head.name) in pages[0].content.decode()
    assert mask_name(member.name) in pages[3].content.decode()
    assert "139****0033" in pages[0].content.decode()
    assert "139****0033" in pages[1].content.decode()
    assert "139****0033" in pages[2].content.decode()
    assert "137****0333" in pages[3].content.decode()

    response = client.get(reverse("admin:residents_buildinghead_changelist"), {"q": head.phone})
    assert list(response.context["cl"].result_list) == []


@pytest.mark.django_db
def test_building_head_and_committee_member_phones_are_clear_for_community_staff(client, registers):
    client.force_login(_user(Role.COMMUNITY, registers))
    head = registers.c.building_head
    member = registers.c.committee.members.get()
    assert (
        head.phone
        in client.get(reverse("admin:residents_buildinghead_changelist")).content.decode()
    )
    committee_page = client.get(
        reverse("admin:residents_ownerscommittee_change", args=[member.committee_id])
    )
    assert member.phone in committee_page.content.decode()


# --- Never in the logs -----------------------------------------------------------------------


def test_no_name_phone_or_id_number_reaches_the_logs(client, registers, caplog):
    """Every log record of a busy morning, at every level: an import with a bad row, an
    export, a refused page, a household form with errors, a resident's message quoting a
    phone, a failed login under a phone number. None holds a name, a phone or an ID number."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from surveys.links import issue_link

    from .test_imports import xlsx

    household = registers.a.household
    personal = [
        household.head_name,
        household.phone,
        household.id_number,
        registers.b.household.head_name,
        registers.b.household.phone,
        "13955550001",
        "冯新户",
    ]
    office = make_user(Role.OFFICE)
    with caplog.at_level(logging.DEBUG):
        client.force_login(office)
        row = ["城关社区", "桃园小区", "1", 1, 2, "909", "冯新户", "13955550001", "不是身份证号",
               "很多", 1, 0, "自住"]  # fmt: skip
        client.post(
            reverse("admin:imports_importjob_upload", args=["households"]),
            {"file": SimpleUploadedFile("住户.xlsx", xlsx([row]))},
        )
        client.post(
            reverse("admin:residents_household_export"),
            {"format": "0", "resource": "0", "householdresource_phone": "on"},
        )
        client.post(
            reverse("admin:residents_household_change", args=[household.pk]),
            {"head_name": household.head_name, "phone": f"{household.phone}x", "people": "-1"},
        )
        client.force_login(make_user(Role.COMMUNITY, communities=[registers.b.community]))
        client.get(reverse("admin:residents_household_change", args=[household.pk]))
        client.logout()
        token = issue_link(household)
        client.post(
            reverse("surveys:household_opinion", args=[token]),
            {"category": "opinion", "text": f"请回电 {household.phone}，{household.head_name}"},
        )
        for _ in range(6):
            client.post("/login/", {"username": household.phone, "password": "wrong"})
    assert caplog.records, "the morning's work logged nothing: the test would prove nothing"
    logged = caplog.text + "".join(str(record.__dict__) for record in caplog.records)
    assert [value for value in personal if value in logged] == []
    assert token not in logged
