"""What a county clerk meets in the admin: clear errors, a readable history, usable exports."""

import io

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import translation

from residents.models import Household
from residents.resources import HouseholdResource
from residents.roles import Role

from .conftest import make_user
from .factories import BuildingHeadFactory, CommitteeMemberFactory, HouseholdFactory
from .formdata import form_data

pytestmark = pytest.mark.django_db


def _household_form(client, household, **changes):
    """The change form's values for ``household``, with the version of the page as opened."""
    page = client.get(_change_url(household)).content.decode()
    data = {
        "stored_version": form_data(page)["stored_version"],
        "building": household.building_id,
        "unit": household.unit,
        "floor": household.floor,
        "room": household.room,
        "head_name": household.head_name,
        "phone": household.phone,
        "id_number": household.id_number,
        "people": household.people,
        "elderly": household.elderly,
        "disabled": household.disabled,
        "occupancy": household.occupancy,
    }
    return {**data, **changes}


def _change_url(household):
    return reverse("admin:residents_household_change", args=[household.pk])


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:residents_household_changelist",
        "admin:residents_neighbourhood_changelist",
        "admin:residents_building_changelist",
        "admin:residents_household_export",
    ],
)
def test_a_hand_edited_community_filter_shows_nothing_instead_of_failing(client, url_name):
    HouseholdFactory()
    client.force_login(make_user(Role.OFFICE))
    response = client.get(reverse(url_name), {"community": "abc"})
    assert response.status_code == 200


def test_a_broken_rule_is_explained_in_chinese_and_the_form_keeps_the_input(client):
    household = HouseholdFactory(people=2, elderly=0)
    client.force_login(make_user(Role.OFFICE))
    response = client.post(_change_url(household), _household_form(client, household, elderly=5))
    body = response.content.decode()
    assert response.status_code == 200
    assert "老年人数不能超过家庭人数" in body
    assert "residents_household_elderly_within_people" not in body
    assert 'name="elderly" value="5"' in body
    household.refresh_from_db()
    assert household.elderly == 0


def test_a_duplicate_address_is_explained_plainly(client):
    first = HouseholdFactory(unit=1, room="101")
    second = HouseholdFactory(building=first.building, unit=1, room="102")
    client.force_login(make_user(Role.OFFICE))
    response = client.post(_change_url(second), _household_form(client, second, room="101"))
    assert "该地址（楼栋、单元、房号）已登记住户" in response.content.decode()
    assert Household.objects.get(pk=second.pk).room == "102"


def test_the_change_history_names_the_fields_in_the_readers_language(client):
    household = HouseholdFactory(people=2)
    client.force_login(make_user(Role.OFFICE))
    response = client.post(_change_url(household), _household_form(client, household, people=3))
    assert response.status_code == 302
    entry = LogEntry.objects.get(object_id=str(household.pk))
    with translation.override("zh-hans"):
        assert "人数" in entry.get_change_message()
    with translation.override("en"):
        assert "people" in entry.get_change_message()


def test_the_export_is_ready_for_a_spreadsheet(client):
    HouseholdFactory(people=4, elderly=1)
    client.force_login(make_user(Role.OFFICE))
    fields = {f"householdresource_{f}": "on" for f in HouseholdResource().get_export_order()}

    form = client.get(reverse("admin:residents_household_export")).content.decode()
    assert "户主" in form and "Head Name" not in form

    xlsx = client.post(
        reverse("admin:residents_household_export"), {"format": "0", "resource": "0", **fields}
    )
    assert xlsx["Content-Disposition"].startswith('attachment; filename="anju-households-')
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    header, row = [cell.value for cell in sheet[1]], [cell.value for cell in sheet[2]]
    assert row[header.index("人数")] == 4  # a number, so the column can be summed

    csv = client.post(
        reverse("admin:residents_household_export"), {"format": "1", "resource": "0", **fields}
    )
    assert csv.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8


def test_the_admin_login_points_leaders_to_the_portal(client):
    body = client.get(reverse("admin:login")).content.decode()
    assert reverse("login") in body


def test_scoped_staff_see_their_neighbourhoods_under_their_own_heading(client, registers):
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    assert "我负责的小区" in client.get(reverse("home")).content.decode()
    client.force_login(make_user(Role.LEADER))
    assert "全县概况" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_exported_text_is_never_run_as_a_formula(evil):
    from residents.resources import HouseholdResource

    household = HouseholdFactory(head_name=evil[:50])
    dataset = HouseholdResource(user=make_user(Role.OFFICE)).export(
        Household.objects.filter(pk=household.pk)
    )
    assert dataset.dict[0]["户主"] == "'" + evil[:50]


def _post_back(client, url, **changes):
    page = client.get(url).content.decode()
    return client.post(url, form_data(page, **changes))


def test_a_second_chair_in_the_members_table_is_refused_not_a_crash(client, registers):
    committee = registers.a.committee
    member = committee.members.get()
    CommitteeMemberFactory(committee=committee, name="新主任", position="member")
    client.force_login(make_user(Role.OFFICE))
    url = reverse("admin:residents_ownerscommittee_change", args=[committee.pk])
    response = _post_back(
        client, url, **{"members-0-position": "chair", "members-1-position": "chair"}
    )
    assert response.status_code == 200
    assert "一个业主委员会只能有一名主任" in response.content.decode()
    member.refresh_from_db()
    assert committee.members.filter(position="chair").count() <= 1


def test_a_second_yard_head_in_the_heads_table_is_refused_not_a_crash(client, registers):
    neighbourhood = registers.a.neighbourhood
    BuildingHeadFactory(neighbourhood=neighbourhood, building=None, name="院长甲")
    client.force_login(make_user(Role.OFFICE))
    url = reverse("admin:residents_neighbourhood_change", args=[neighbourhood.pk])
    page = client.get(url).content.decode()
    data = form_data(page)
    total = int(data["building_heads-TOTAL_FORMS"])
    data.update(
        {
            "building_heads-TOTAL_FORMS": str(total + 1),
            f"building_heads-{total}-name": "院长乙",
            f"building_heads-{total}-building": "",
            f"building_heads-{total}-neighbourhood": str(neighbourhood.pk),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "该院落已有院长" in response.content.decode()
    assert neighbourhood.building_heads.filter(building=None).count() == 1


def test_duplicate_rooms_in_the_households_table_are_named_in_chinese(client):
    first = HouseholdFactory(unit=1, room="101")
    HouseholdFactory(building=first.building, unit=1, room="102")
    client.force_login(make_user(Role.OFFICE))
    url = reverse("admin:residents_building_change", args=[first.building_id])
    response = _post_back(client, url, **{"households-1-room": "101"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "请修改重复的楼栋，单元 和 房号" in body
    assert "unit" not in body.split('class="errorlist nonform"><li>')[1].split("</li>")[0]


def test_after_a_failed_save_the_page_is_titled_by_the_stored_record(client):
    household = HouseholdFactory(unit=1, room="101", people=2)
    client.force_login(make_user(Role.OFFICE))
    response = client.post(
        _change_url(household), _household_form(client, household, room="999", elderly=9)
    )
    assert response.context["subtitle"] == str(household)
    assert "999室" not in response.content.decode().split("<title>")[1].split("</title>")[0]


def test_office_can_pick_visit_team_members_among_user_accounts(client):
    make_user(Role.VISITOR, username="team-member")
    client.force_login(make_user(Role.OFFICE))
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "residents",
            "model_name": "visitteam",
            "field_name": "members",
            "term": "team",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["team-member"]


def test_error_pages_speak_to_the_clerk_in_chinese(client):
    client.force_login(make_user(Role.LEADER))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_the_admin_can_count_facets_of_the_community_filter(client, registers):
    client.force_login(make_user(Role.OFFICE))
    for url_name in ["admin:residents_household_changelist", "admin:residents_building_changelist"]:
        response = client.get(reverse(url_name), {"_facets": "True"})
        assert response.status_code == 200
