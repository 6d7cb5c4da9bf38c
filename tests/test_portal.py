"""The portal pages: the home page by role, the login page, the language switcher."""

import pytest
from django.urls import reverse

from residents.roles import Role

from .conftest import make_user
from .factories import CommunityFactory, HouseholdFactory, NeighbourhoodFactory

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_leader_sees_every_neighbourhood_read_only(client):
    for name in ["老冰棍厂小区", "红花小区"]:
        HouseholdFactory(building__neighbourhood__name=name)
    client.force_login(make_user(Role.LEADER))
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert "老冰棍厂小区" in body and "红花小区" in body
    assert reverse("admin:index") not in body  # leaders do not edit


def test_community_staff_see_only_their_communities(client):
    mine, other = CommunityFactory(), CommunityFactory()
    NeighbourhoodFactory(community=mine, name="老物局小区")
    NeighbourhoodFactory(community=other, name="金江百司小区")
    client.force_login(make_user(Role.COMMUNITY, communities=[mine]))
    body = client.get(reverse("home")).content.decode()
    assert "老物局小区" in body
    assert "金江百司小区" not in body


def test_home_counts_the_register_in_a_fixed_number_of_queries(client, django_assert_num_queries):
    client.force_login(make_user(Role.LEADER))
    for _ in range(3):
        HouseholdFactory()
    # session, user, user and group permissions, the totals, the page count, the page of
    # neighbourhoods with their register counts (subqueries); the savepoint and release of
    # the request's transaction
    with django_assert_num_queries(9):
        client.get(reverse("home"))
    for _ in range(10):
        HouseholdFactory()
    with django_assert_num_queries(9):
        client.get(reverse("home"))


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_every_page_has_a_language_switcher(client, url_name):
    body = client.get(reverse(url_name)).content.decode()
    assert 'name="language"' in body
    assert reverse("set_language") in body


def test_admin_pages_have_the_language_switcher(client):
    client.force_login(make_user(Role.OFFICE))
    body = client.get(reverse("admin:index")).content.decode()
    assert reverse("set_language") in body


def test_chinese_by_default_english_on_request(client):
    body = client.get(reverse("login")).content.decode()
    assert "登录" in body
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("login")).content.decode()
    assert "Log in" in body
    assert "登录" not in body.split("<form", 1)[0].split("</title>")[0]
