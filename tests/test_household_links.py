"""Household links: issued as a secret, stored as a hash, revoked by a new issue.

From every door that issues or revokes them: the service functions, the admin list and its
revoke action, the printable QR cards of a building, and the ``household_links`` command.
"""

import base64
import datetime
import io
import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from residents.roles import Role
from surveys import links
from surveys.models import HouseholdLink

from .conftest import make_user
from .factories import BuildingFactory, HouseholdFactory, NeighbourhoodFactory

LINK_PAGE = re.compile(r"https?://[^/\s\"<]+/h/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The resident pages are rate-limited in the (local-memory) cache: start with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def household(registers):
    return registers.a.household


def works(client, token) -> bool:
    return client.get(reverse("surveys:household_home", args=[token])).status_code == 200


# --- The service --------------------------------------------------------------------------


def test_a_token_carries_at_least_128_bits(household):
    token = links.issue_link(household)

    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) * 8 >= 128
    assert links.issue_link(household) != token


def test_only_the_hash_of_the_token_is_stored(household):
    token = links.issue_link(household)

    link = HouseholdLink.objects.get()
    assert link.token_hash == links.hash_token(token)
    assert len(link.token_hash) == 64
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)  # the whole database, as a thief would copy it
    assert token not in dump.getvalue()
    assert link.token_hash in dump.getvalue()


def test_household_for_token_finds_the_household_of_a_link_in_use(household):
    token = links.issue_link(household)

    assert links.household_for_token(token) == household
    assert links.household_for_token(links.new_token()) is None
    assert links.household_for_token(links.hash_token(token)) is None
    assert links.household_for_token("") is None
    assert links.household_for_token("a" * 500) is None


def test_reissuing_a_link_stops_the_old_token(household, office_user):
    old = links.issue_link(household)
    new = links.issue_link(household, by=office_user)

    assert links.household_for_token(old) is None
    assert links.household_for_token(new) == household
    assert HouseholdLink.objects.active().get().created_by == office_user
    assert HouseholdLink.objects.filter(revoked_at__isnull=False).count() == 1


def test_revoke_stops_the_link_and_records_who_did_it(household, office_user):
    token = links.issue_link(household)

    assert links.revoke(household, by=office_user) == 1

    assert links.household_for_token(token) is None
    assert not HouseholdLink.objects.active().exists()
    entry = LogEntry.objects.get()
    assert (entry.user, entry.action_flag) == (office_user, CHANGE)
    assert links.revoke(household, by=office_user) == 0


def test_issuing_for_many_households_gives_each_its_own_link(registers):
    households = [registers.a.household, registers.b.household, registers.c.household]
    links.issue_link(households[0])

    issued = links.issue_links(households)

    assert [household for household, _token in issued] == households
    assert len({token for _household, token in issued}) == 3
    for household, token in issued:
        assert links.household_for_token(token) == household
    assert HouseholdLink.objects.active().count() == 3


def test_last_used_is_written_at_most_once_an_hour(household, django_assert_num_queries):
    token = links.issue_link(household)

    with django_assert_num_queries(2):  # the lookup, and the first use written
        links.household_for_token(token)
    first_use = HouseholdLink.objects.get().last_used_at
    assert first_use is not None

    with django_assert_num_queries(1):  # the lookup alone
        links.household_for_token(token)
    assert HouseholdLink.objects.get().last_used_at == first_use

    HouseholdLink.objects.update(last_used_at=timezone.now() - datetime.timedelta(minutes=61))
    links.household_for_token(token)
    assert HouseholdLink.objects.get().last_used_at > first_use


def test_link_url_is_absolute_with_a_request_or_a_base_url(settings):
    settings.ALLOWED_HOSTS = ["anju.example.cn"]
    token = links.new_token()
    request = RequestFactory().get("/", HTTP_HOST="anju.example.cn")

    assert links.link_url(token) == f"/h/{token}/"
    assert links.link_url(token, request) == f"http://anju.example.cn/h/{token}/"
    assert links.link_url(token, base_url="https://x.cn/") == f"https://x.cn/h/{token}/"


def test_households_are_ordered_by_building_number_naturally(registers):
    neighbourhood = registers.a.neighbourhood
    tenth = HouseholdFactory(building=BuildingFactory(neighbourhood=neighbourhood, number="10"))
    second = HouseholdFactory(building=BuildingFactory(neighbourhood=neighbourhood, number="2"))

    ordered = sorted([tenth, second, registers.a.household], key=links.address_order)

    assert ordered == [registers.a.household, second, tenth]


# --- The admin list -----------------------------------------------------------------------


def test_link_list_shows_only_the_user_s_neighbourhoods(client, registers):
    for register in (registers.a, registers.b):
        links.issue_link(register.household)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    page = client.get(reverse("admin:surveys_householdlink_changelist")).content.decode()

    assert registers.a.household.address in page
    assert registers.b.household.address not in page


def test_link_list_masks_names_without_the_personal_data_permission(client, registers):
    links.issue_link(registers.a.household)
    url = reverse("admin:surveys_householdlink_changelist")

    client.force_login(make_user(Role.INSPECTOR))
    masked = client.get(url).content.decode()
    client.force_login(make_user(Role.OFFICE))
    clear = client.get(url).content.decode()

    assert "张甲户" not in masked and "张**" in masked
    assert "张甲户" in clear
    assert "13811110001" not in masked + clear


def test_link_list_cannot_be_searched_by_name_without_the_permission(client, registers):
    links.issue_link(registers.a.household)
    client.force_login(make_user(Role.INSPECTOR))

    page = client.get(reverse("admin:surveys_householdlink_changelist"), {"q": "张甲户"})

    assert registers.a.household.address not in page.content.decode()


def test_link_list_runs_a_fixed_number_of_queries(client, registers, django_assert_num_queries):
    user = make_user(Role.OFFICE)
    client.force_login(user)
    url = reverse("admin:surveys_householdlink_changelist")
    links.issue_links([registers.a.household, registers.b.household])
    client.get(url)

    # savepoint and release, session, user, the user's permissions (two), the count, the
    # total count, the page of links with household, building, neighbourhood and issuer,
    # and the communities of the filter.
    with django_assert_num_queries(10):
        client.get(url)
    links.issue_links([HouseholdFactory(building=registers.c.building) for _ in range(5)])
    with django_assert_num_queries(10):
        client.get(url)


def test_revoke_action_revokes_the_selected_links(client, registers, office_user):
    old = links.issue_link(registers.a.household)
    kept = links.issue_link(registers.b.household)
    client.force_login(office_user)

    response = client.post(
        reverse("admin:surveys_householdlink_changelist"),
        {
            "action": "revoke_selected",
            "_selected_action": [HouseholdLink.objects.get(household=registers.a.household).pk],
        },
    )

    assert response.status_code == 302
    assert links.household_for_token(old) is None
    assert links.household_for_token(kept) == registers.b.household
    assert LogEntry.objects.filter(user=office_user, action_flag=CHANGE).count() == 1


def test_revoke_action_works_on_a_searched_list(client, registers, office_user):
    token = links.issue_link(registers.a.household)
    client.force_login(office_user)
    link = HouseholdLink.objects.get()

    response = client.post(
        reverse("admin:surveys_householdlink_changelist") + "?q=桃园",
        {"action": "revoke_selected", "_selected_action": [link.pk]},
    )

    assert response.status_code == 302
    assert links.household_for_token(token) is None


def test_a_link_s_page_is_read_only(client, registers, office_user):
    links.issue_link(registers.a.household, by=office_user)
    client.force_login(office_user)

    response = client.get(
        reverse("admin:surveys_householdlink_change", args=[HouseholdLink.objects.get().pk])
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert registers.a.household.address in page
    assert 'name="household"' not in page
    assert HouseholdLink.objects.get().token_hash not in page


def test_the_link_list_offers_cards_only_to_who_may_print(client, registers):
    url = reverse("admin:surveys_householdlink_changelist")
    cards = reverse("admin:surveys_householdlink_cards")

    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    assert cards in client.get(url).content.decode()
    client.force_login(make_user(Role.INSPECTOR))
    assert cards not in client.get(url).content.decode()


def test_links_cannot_be_added_or_deleted_in_the_admin(client, registers, office_user):
    links.issue_link(registers.a.household)
    link = HouseholdLink.objects.get()
    client.force_login(office_user)

    assert client.get(reverse("admin:surveys_householdlink_add")).status_code == 403
    assert (
        client.get(reverse("admin:surveys_householdlink_delete", args=[link.pk])).status_code == 403
    )


# --- Printable QR cards -------------------------------------------------------------------


def cards_url(building):
    return reverse("admin:surveys_householdlink_building_cards", args=[building.pk])


def confirm_and_print(client, building, households=None):
    """Open the confirmation page, then confirm it (for ``households``, default all)."""
    confirmation = client.get(cards_url(building)).content.decode()
    form_key = re.search(r'name="form_key" value="([^"]+)"', confirmation).group(1)
    chosen = households if households is not None else building.households.all()
    return client.post(
        cards_url(building), {"form_key": form_key, "household": [h.pk for h in chosen]}
    )


def test_card_page_asks_for_confirmation_before_issuing(client, registers):
    old = links.issue_link(registers.a.household)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    response = client.get(cards_url(registers.a.building))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'method="post"' in page
    assert registers.a.household.address in page
    assert 'class="household-card"' not in page
    assert links.household_for_token(old) == registers.a.household  # nothing issued yet


def test_printing_cards_issues_fresh_links_and_revokes_the_old(client, registers):
    building = registers.a.building
    second = HouseholdFactory(building=building, room="102")
    old = links.issue_link(registers.a.household)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    response = confirm_and_print(client, building)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    page = response.content.decode()
    assert page.count('<div class="household-card">') == 2
    assert page.count('<svg width="') == 2  # the QR codes, inline
    assert registers.a.household.address in page and second.address in page
    assert "张甲户" not in page and "13811110001" not in page
    tokens = set(LINK_PAGE.findall(page))
    assert len(tokens) == 2
    assert links.household_for_token(old) is None
    assert {links.household_for_token(token) for token in tokens} == {
        registers.a.household,
        second,
    }
    client.logout()
    assert all(works(client, token) for token in tokens)


def test_printing_only_chosen_households_leaves_the_others_alone(client, registers):
    building = registers.a.building
    neighbour = HouseholdFactory(building=building, room="102")
    neighbour_token = links.issue_link(neighbour)
    client.force_login(make_user(Role.OFFICE))

    response = confirm_and_print(client, building, households=[registers.a.household])

    assert response.content.decode().count('<div class="household-card">') == 1
    assert links.household_for_token(neighbour_token) == neighbour


def test_sending_the_card_form_twice_issues_nothing_more(client, registers):
    client.force_login(make_user(Role.OFFICE))
    confirmation = client.get(cards_url(registers.a.building)).content.decode()
    data = {
        "form_key": re.search(r'name="form_key" value="([^"]+)"', confirmation).group(1),
        "household": [registers.a.household.pk],
    }
    printed = set(
        LINK_PAGE.findall(client.post(cards_url(registers.a.building), data).content.decode())
    )

    again = client.post(cards_url(registers.a.building), data)

    assert again.status_code == 302
    assert HouseholdLink.objects.count() == 1
    assert links.household_for_token(printed.pop()) == registers.a.household


def test_community_staff_cannot_print_another_community_s_building(client, registers):
    token = links.issue_link(registers.b.household)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    assert client.get(cards_url(registers.b.building)).status_code == 404
    response = client.post(
        cards_url(registers.b.building), {"household": [registers.b.household.pk]}
    )

    assert response.status_code == 404
    assert links.household_for_token(token) == registers.b.household


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.AUDITOR, Role.VISITOR])
def test_only_users_who_may_change_links_may_print_cards(client, registers, role):
    user = make_user(role)
    if role == Role.VISITOR:
        from .factories import VisitTeamFactory

        VisitTeamFactory(neighbourhoods=[registers.a.neighbourhood], members=[user])
    client.force_login(user)

    assert client.get(cards_url(registers.a.building)).status_code == 403
    assert client.post(cards_url(registers.a.building), {}).status_code == 403
    assert client.get(reverse("admin:surveys_householdlink_cards")).status_code == 403
    assert not HouseholdLink.objects.exists()


def test_card_picker_lists_the_user_s_neighbourhoods_and_buildings(client, registers):
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    url = reverse("admin:surveys_householdlink_cards")

    neighbourhoods = client.get(url).content.decode()
    buildings = client.get(url, {"neighbourhood": registers.a.neighbourhood.pk}).content.decode()
    foreign = client.get(url, {"neighbourhood": registers.b.neighbourhood.pk}).content.decode()

    assert "桃园小区" in neighbourhoods and "江南小区" not in neighbourhoods
    assert cards_url(registers.a.building) in buildings
    assert cards_url(registers.b.building) not in foreign


# --- The command --------------------------------------------------------------------------


def run_command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("household_links", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_prints_a_fresh_link_for_every_household(client, registers):
    second = HouseholdFactory(building=registers.a.building, room="102")
    old = links.issue_link(registers.a.household)

    out, err = run_command("--neighbourhood", "桃园小区", "--base-url", "https://anju.example.cn")

    lines = [line.split("\t") for line in out.splitlines()]
    assert [address for address, _url in lines] == [registers.a.household.address, second.address]
    tokens = [LINK_PAGE.fullmatch(url).group(1) for _address, url in lines]
    assert all(url.startswith("https://anju.example.cn/h/") for _address, url in lines)
    assert [links.household_for_token(token) for token in tokens] == [registers.a.household, second]
    assert links.household_for_token(old) is None
    assert "2" in err and "桃园小区" in err  # it says it re-issued the links
    assert all(works(client, token) for token in tokens)


def test_command_without_base_url_prints_paths(registers):
    out, err = run_command("--neighbourhood", "桃园小区")

    assert re.fullmatch(r".+\t/h/[A-Za-z0-9_-]{43}/\n", out)
    assert "--base-url" in err


def test_command_refuses_an_unknown_neighbourhood(registers):
    with pytest.raises(CommandError, match="桃源小区") as refusal:
        run_command("--neighbourhood", "桃源小区")

    assert not HouseholdLink.objects.exists()
    assert "桃园小区" not in str(refusal.value)  # no similar name contains the typo


def test_command_suggests_similar_names(registers):
    with pytest.raises(CommandError, match="桃园小区"):
        run_command("--neighbourhood", "桃园")


def test_command_refuses_an_ambiguous_name_and_takes_a_community(registers):
    NeighbourhoodFactory(community=registers.b.community, name="桃园小区")

    with pytest.raises(CommandError, match="--community") as refusal:
        run_command("--neighbourhood", "桃园小区")
    assert "城关社区" in str(refusal.value) and "江南社区" in str(refusal.value)
    assert not HouseholdLink.objects.exists()

    out, _err = run_command("--neighbourhood", "桃园小区", "--community", "城关社区")
    assert out.startswith(registers.a.household.address + "\t")


def test_command_refuses_a_base_url_that_is_not_http(registers):
    with pytest.raises(CommandError, match="--base-url"):
        run_command("--neighbourhood", "桃园小区", "--base-url", "anju.example.cn")
    assert not HouseholdLink.objects.exists()
