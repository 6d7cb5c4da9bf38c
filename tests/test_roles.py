"""The six roles exist as groups after the migrations, with the permissions residents/roles.py
gives them; a model added without re-running ``sync_roles`` shows up here."""

import pytest
from django.contrib.auth.models import Group, Permission

from residents.roles import ROLE_PERMISSIONS, Role, permission_names

pytestmark = pytest.mark.django_db


def _held(role: Role) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=role.value).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def _available() -> list[str]:
    return [
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    ]


def test_every_role_exists_as_a_group_after_the_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}
    assert set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.name)
def test_the_groups_hold_exactly_what_roles_py_computes(role):
    # Fails when a model (or a Meta.permissions entry) was added by a migration that did not
    # end with RunPython(sync_roles_migration): its permissions exist, the groups lack them.
    assert _held(role) == permission_names(role, _available())


def test_county_office_may_see_everything_and_personal_data():
    held = _held(Role.OFFICE)
    assert {
        "residents.view_personal_data",
        "residents.view_all_neighbourhoods",
        "residents.delete_neighbourhood",
        "residents.change_household",
        "admin.view_logentry",
    } <= held
    assert "auth.change_user" not in held


def test_community_staff_edit_their_registers_but_neither_delete_neighbourhoods_nor_see_all():
    held = _held(Role.COMMUNITY)
    assert {
        "residents.view_personal_data",
        "residents.add_neighbourhood",
        "residents.change_neighbourhood",
        "residents.add_household",
        "residents.change_household",
        "residents.delete_household",
        "residents.change_buildinghead",
        "residents.change_committeemember",
    } <= held
    assert "residents.view_all_neighbourhoods" not in held
    assert "residents.delete_neighbourhood" not in held
    assert "residents.change_region" not in held
    assert "residents.change_visitteam" not in held
    assert "residents.change_staffprofile" not in held


def test_visit_team_members_read_the_registers_and_record_visits():
    held = _held(Role.VISITOR)
    assert held
    writes = {name for name in held if not name.split(".")[1].startswith("view_")}
    # Visits, recorded one by one or imported from their sheets (their own uploads).
    assert writes == {"surveys.add_visit", "surveys.change_visit", "imports.add_importjob"}
    assert "residents.view_household" in held
    assert "residents.view_personal_data" not in held
    assert "residents.view_all_neighbourhoods" not in held


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.LEADER], ids=lambda role: role.name)
def test_inspectors_and_leaders_read_the_county_without_personal_data(role):
    held = _held(role)
    # Inspectors also record inspections and their findings (一月一督查).
    writes = {"cycle.add_inspection", "cycle.change_inspection", "cycle.add_finding"}
    writes |= {"cycle.change_finding"}
    assert {n for n in held if not n.split(".")[1].startswith("view_")} == (
        writes if role == Role.INSPECTOR else set()
    )
    assert "residents.view_all_neighbourhoods" in held
    assert "residents.view_household" in held
    assert "residents.view_personal_data" not in held


def test_auditors_only_read_and_read_the_change_history():
    held = _held(Role.AUDITOR)
    assert all(name.split(".")[1].startswith("view_") for name in held)
    assert {
        "admin.view_logentry",
        "residents.view_household",
        "residents.view_personal_data",
        "residents.view_all_neighbourhoods",
    } <= held


def test_no_role_may_change_accounts_or_groups():
    for role in Role:
        held = _held(role)
        assert not {"auth.add_user", "auth.change_user", "auth.change_group"} & held, role


def test_permission_names_applies_patterns_in_order_with_removals():
    available = ["residents.view_household", "residents.delete_neighbourhood", "x.view_y"]
    assert permission_names(Role.COMMUNITY, available) == {"residents.view_household"}
    assert permission_names(Role.LEADER, available) == {"residents.view_household"}
