"""A resident on a phone: the household's own page by its link, and an opinion sent from it."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from projects import services as project_services
from surveys import links
from surveys.models import ResidentRequest

from ..factories import ProjectFactory, PublicNoticeFactory
from .conftest import assert_fits_the_width, visit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def household_link(registers):
    """Household A of the shared registers (桃园小区), whose plan is posted for objections,
    with a fresh link: its path (``/h/<token>/``)."""
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood, name="桃园小区改造")
    project_services.start_consultation(project, by=None)
    PublicNoticeFactory(
        project=project,
        content="加装电梯两部，更换雨污管网",
        schedule="四月开工，十月完工",
        posted_on=timezone.localdate() - datetime.timedelta(days=1),
        period_days=7,
    )
    cache.clear()  # the rate limits of earlier runs (Redis in CI)
    return links.link_path(links.issue_link(registers.a.household))


def test_a_resident_sends_an_opinion_from_a_phone(pages, shoot, registers, household_link):
    page = pages.open("phone")
    visit(page, household_link)

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator(".household-address").inner_text() == registers.a.household.address
    assert "加装电梯两部" in page.locator("#plan").inner_text()
    assert page.locator("#objection form").is_visible()  # the notice is open
    assert_fits_the_width(page)
    shoot(page, "phone")

    form = page.locator("#opinion form")
    form.locator("input[name=category][value=suggestion]").check()
    form.locator("input[name=needs]").first.check()
    form.locator("textarea[name=text]").fill("希望楼道加装扶手")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    with translation.override("zh-hans"):
        thanks = translation.gettext(
            "Thank you: your opinion was received. The answer will appear below."
        )
    assert page.locator(".messages .success").inner_text() == thanks
    assert "希望楼道加装扶手" in page.locator("#history").inner_text()
    assert page.url.endswith(household_link)
    assert_fits_the_width(page)
    shoot(page, "phone-sent")

    sent = ResidentRequest.objects.get(household=registers.a.household)
    assert sent.channel == ResidentRequest.Channel.LINK
    assert sent.category == "suggestion"
    assert sent.needs.count() == 1
