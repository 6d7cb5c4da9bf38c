"""The county's task catalogue: the 24 kinds installed by migration, and their admin."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from projects.admin.outputs import TaskItemForm
from projects.models import CatalogueKind, TaskItem
from residents.roles import Role

from .conftest import make_user
from .factories import ProjectFactory, TaskItemFactory
from .formdata import form_data

pytestmark = pytest.mark.django_db

catalogue_migration = importlib.import_module("projects.migrations.0004_catalogue")

#: The kinds the county's programme names, with the unit each is counted in.
NAMED_KINDS = {
    "facade_stairwell": "square_metre",
    "roof_waterproofing": "square_metre",
    "cable_tidying": "metre",
    "water_drainage": "metre",
    "gas_pipes": "metre",
    "road_surfacing": "square_metre",
    "street_lighting": "set",
    "eco_parking": "parking_space",
    "bike_shed": "shed",
    "charging_pile": "charging_pile",
    "access_control": "set",
    "cctv": "set",
    "fire_safety": "set",
    "public_toilet": "square_metre",
    "greening": "square_metre",
    "leisure_square": "square_metre",
    "fitness_facilities": "set",
    "elevator": "elevator",
    "elderly_friendly": "item",
    "illegal_structure_demolition": "structure",
    "culture_wall": "square_metre",
    "building_number_plates": "set",
    "property_room": "square_metre",
    "waste_sorting": "item",
}


def test_the_catalogue_has_the_countys_24_kinds():
    codes = set(CatalogueKind.objects.values_list("code", flat=True))
    assert len(codes) >= 24
    assert set(NAMED_KINDS) <= codes


def test_each_named_kind_is_counted_in_its_unit():
    units = dict(CatalogueKind.objects.values_list("code", "unit"))
    assert {code: units[code] for code in NAMED_KINDS} == NAMED_KINDS


def test_every_kind_has_a_valid_unit_group_and_class_and_both_names():
    for kind in CatalogueKind.objects.all():
        kind.full_clean()  # choices, lengths, the unique code
        assert kind.name_zh and kind.name_en, kind.code


def test_the_catalogue_covers_every_group_and_every_national_class():
    kinds = CatalogueKind.objects.all()
    assert {k.group for k in kinds} == set(CatalogueKind.Group.values)
    assert {k.national_class for k in kinds} == set(CatalogueKind.NationalClass.values)


@pytest.mark.parametrize(
    ("code", "national_class"),
    [
        ("gas_pipes", "basic"),
        ("water_drainage", "basic"),
        ("cable_tidying", "basic"),
        ("roof_waterproofing", "basic"),
        ("road_surfacing", "basic"),
        ("fire_safety", "basic"),
        ("street_lighting", "basic"),
        ("eco_parking", "improvement"),
        ("charging_pile", "improvement"),
        ("elevator", "improvement"),
        ("greening", "improvement"),
        ("bike_shed", "improvement"),
        ("elderly_friendly", "improvement"),
        ("property_room", "upgrading"),
        ("culture_wall", "upgrading"),
    ],
)
def test_kinds_follow_the_national_classes(code, national_class):
    assert CatalogueKind.objects.get(code=code).national_class == national_class


def test_livelihood_and_safety_come_first_and_the_urgent_lead():
    ordered = list(CatalogueKind.objects.order_by("priority"))
    assert [k.code for k in ordered[:5]] == [
        "gas_pipes",
        "fire_safety",
        "water_drainage",
        "cable_tidying",
        "roof_waterproofing",
    ]
    flags = [k.livelihood_and_safety for k in ordered]
    assert flags == sorted(flags, reverse=True), "every livelihood-and-safety kind comes first"
    assert len({k.priority for k in ordered}) == len(ordered)


def test_every_basic_kind_is_marked_livelihood_and_safety():
    assert not CatalogueKind.objects.filter(national_class="basic", livelihood_and_safety=False)


def test_installing_the_catalogue_twice_changes_nothing():
    before = list(CatalogueKind.objects.order_by("code").values())

    catalogue_migration.install_catalogue(apps, None)
    catalogue_migration.install_catalogue(apps, None)

    assert list(CatalogueKind.objects.order_by("code").values()) == before


def test_installing_again_restores_the_definitions_and_keeps_the_offices_choices():
    CatalogueKind.objects.filter(code="eco_parking").update(
        name_en="Parking", unit="item", priority=3, is_active=False
    )

    catalogue_migration.install_catalogue(apps, None)

    kind = CatalogueKind.objects.get(code="eco_parking")
    assert (kind.name_en, kind.unit) == ("Eco parking spaces", "parking_space")
    assert (kind.priority, kind.is_active) == (3, False)


def test_a_kind_is_named_in_the_readers_language():
    from django.utils import translation

    kind = CatalogueKind.objects.get(code="elevator")
    with translation.override("zh-hans"):
        assert str(kind) == "加装电梯"
    with translation.override("en"):
        assert str(kind) == "Elevator installation"


# --- The admin ----------------------------------------------------------------------------


@pytest.fixture
def office(client, office_user):
    client.force_login(office_user)
    return client


CHANGELIST = "admin:projects_cataloguekind_changelist"


def _listed_codes(response):
    return [kind.code for kind in response.context["cl"].result_list]


def test_the_catalogue_list_shows_every_kind_in_priority_order(office):
    response = office.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert _listed_codes(response) == list(
        CatalogueKind.objects.order_by("priority", "code").values_list("code", flat=True)
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"group": "security"}, {"fire_safety", "access_control", "cctv"}),
        ({"national_class": "upgrading"}, {"property_room", "culture_wall"}),
        ({"unit": "parking_space"}, {"eco_parking"}),
        ({"unit": "structure"}, {"illegal_structure_demolition"}),
    ],
)
def test_the_catalogue_list_filters_by_group_class_and_unit(office, query, expected):
    response = office.get(reverse(CHANGELIST), query)
    assert set(_listed_codes(response)) == expected


def test_the_office_reorders_and_retires_kinds_from_the_list(office):
    page = office.get(reverse(CHANGELIST)).content.decode()
    rows = {kind.code: i for i, kind in enumerate(CatalogueKind.objects.all())}
    greening, cctv = rows["greening"], rows["cctv"]
    data = form_data(page, **{f"form-{greening}-priority": 1, "_save": "Save"})
    data.pop(f"form-{cctv}-is_active")  # an unticked box is not submitted

    response = office.post(reverse(CHANGELIST), data)

    assert response.status_code == 302, response.context and response.context["cl"].formset.errors
    assert CatalogueKind.objects.get(code="greening").priority == 1
    assert CatalogueKind.objects.get(code="cctv").is_active is False


def test_a_kinds_code_is_fixed_once_it_exists(office):
    kind = CatalogueKind.objects.get(code="eco_parking")
    url = reverse("admin:projects_cataloguekind_change", args=[kind.pk])
    page = office.get(url).content.decode()
    assert 'name="code"' not in page

    office.post(url, form_data(page, code="parking", name_en="Eco parking"))

    kind.refresh_from_db()
    assert (kind.code, kind.name_en) == ("eco_parking", "Eco parking")


def test_kinds_are_retired_not_deleted(office):
    kind = CatalogueKind.objects.get(code="cctv")
    response = office.get(reverse("admin:projects_cataloguekind_delete", args=[kind.pk]))
    assert response.status_code == 403
    assert CatalogueKind.objects.filter(code="cctv").exists()


def test_community_staff_read_the_catalogue_without_editing_it(client, registers):
    user = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert response.context["cl"].formset is None
    assert client.post(reverse("admin:projects_cataloguekind_add"), {}).status_code == 403


# --- Kinds offered for a task item --------------------------------------------------------


def test_a_task_item_offers_the_kinds_in_use_named_with_their_unit():
    CatalogueKind.objects.filter(code="cctv").update(is_active=False)
    choices = dict(TaskItemForm().fields["kind"].choices)
    labels = [str(label) for label in choices.values()]
    assert not any("视频监控" in label or "CCTV" in label for label in labels)
    eco_parking = CatalogueKind.objects.get(code="eco_parking")
    assert str(choices[eco_parking.pk]) in {
        "生态停车位 (车位)",
        "生态停车位 (parking space)",
        "Eco parking spaces (parking space)",
    }


def test_an_item_of_a_retired_kind_keeps_its_kind():
    item = TaskItemFactory(kind=CatalogueKind.objects.get(code="cctv"))
    CatalogueKind.objects.filter(code="cctv").update(is_active=False)
    data = {
        "project": item.project_id,
        "kind": item.kind_id,
        "planned_quantity": "12",
        "completed_quantity": "0",
        "budget": "0",
        "status": "planned",
    }
    assert TaskItemForm(data, instance=item).is_valid()
    new = TaskItemForm({**data, "project": ProjectFactory().pk})
    assert not new.is_valid()
    assert "kind" in new.errors


def test_a_kind_in_use_by_items_cannot_be_deleted_from_the_database():
    from django.db.models import ProtectedError

    item = TaskItemFactory(kind=CatalogueKind.objects.get(code="greening"))
    with pytest.raises(ProtectedError):
        item.kind.delete()
    assert TaskItem.objects.filter(pk=item.pk, planned_quantity=Decimal(10)).exists()
