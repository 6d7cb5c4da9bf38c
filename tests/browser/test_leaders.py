"""A county leader on a phone and at a desk: last month's bulletin and the leader overview,
on the demo county.

``seed_demo`` takes about 7 s, and runs once per test that needs it rather than once per
module: the live server makes every test transactional, and the database is emptied after
each. So each test covers both widths of its page.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from cycle.models import Bulletin
from cycle.periods import Month

from .conftest import assert_fits_the_width, log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LEADER, PASSWORD = "leader", "anju-demo"


@pytest.fixture
def demo(settings):
    """The demo county, with the demo accounts' published password (demo mode)."""
    settings.ANJU_DEMO = True
    call_command("seed_demo", stdout=StringIO())


def url_or_skip(name: str, *args) -> str:
    """The path of URL ``name``, or a skip while the page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        pytest.skip(f"the URL {name!r} does not exist yet")


def test_a_leader_reads_last_months_bulletin_on_a_phone_and_a_desktop(pages, shoot, demo):
    month = Month.current().previous()
    bulletin = Bulletin.objects.get(month=month.first)
    path = f"/cycle/bulletins/{month.key}/"
    first_ranked = bulletin.content["ranking"][0]["name"]

    for viewport in ("phone", "desktop"):
        page = pages.open(viewport)
        log_in(page, LEADER, PASSWORD, next_path=path)

        assert page.url.endswith(path)
        assert page.locator("h1").inner_text() == bulletin.content["title"]
        assert page.locator("#overview .cards").is_visible()
        assert first_ranked in page.locator("#ranking").inner_text()
        assert page.locator("a[href$='/docx/']").is_visible()
        assert page.locator("a[href$='/xlsx/']").is_visible()
        assert page.locator("a[href^='/admin/']").count() == 0  # leaders have no admin
        if viewport == "phone":
            assert_fits_the_width(page)
        shoot(page, viewport)


def test_a_leader_reads_the_overview_and_drills_into_a_figure(request, pages, shoot):
    path = url_or_skip("leaders:overview")
    request.getfixturevalue("demo")  # seeded only once the page exists

    opened = {}
    for viewport in ("phone", "desktop"):
        page = opened[viewport] = pages.open(viewport)
        log_in(page, LEADER, PASSWORD, next_path=path)

        assert page.url.endswith(path)
        text = page.locator("main").inner_text()
        # The published totals of the 22 accepted projects (issue 7): parking spaces,
        # access-control sets, charging piles.
        for total in ("312", "182", "159"):
            assert total in text, f"the overview does not show {total}"
        if viewport == "phone":
            assert_fits_the_width(page)
        shoot(page, viewport)

    # Every figure opens the records that make it up: the charging piles, on the phone.
    page = opened["phone"]
    with page.expect_navigation() as navigation:
        page.locator("a[href*='/outputs/charging_pile']").first.click()
    assert navigation.value.ok, f"{page.url} answered {navigation.value.status}"
    assert "充电桩" in page.locator("main").inner_text()
    assert_fits_the_width(page)
    shoot(page, "phone-drill")

    # From a record to its project's page: the milestones drawn on a timeline.
    with page.expect_navigation():
        page.locator("a[href^='/leaders/projects/']").first.click()
    assert page.locator("svg.timeline-chart").is_visible()
    assert_fits_the_width(page)
    shoot(page, "phone-project")

    # The month's ranking, from the leader pages' own navigation.
    with page.expect_navigation():
        page.locator("nav.pages a[href*='ranking']").click()
    assert page.locator("table.ranking tbody tr").count() >= 1
    assert_fits_the_width(page)
    shoot(page, "phone-ranking")
