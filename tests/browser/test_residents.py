"""A resident on a phone: the household's own page by its link, an opinion sent from it while
the plan is posted, and, months later when the works are done, the satisfaction survey
answered through the same link."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from acceptance import services as acceptance_services
from acceptance.models import Respondent, SatisfactionAnswer
from projects import services as project_services
from projects.models import Project
from projects.workflow import TRANSITIONS
from residents.roles import Role
from surveys import links
from surveys.models import PublicNotice, ResidentRequest

from ..conftest import complete_consultation, make_user
from ..factories import ProjectFactory, PublicNoticeFactory, TaskItemFactory
from .conftest import assert_fits_the_width, visit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

#: The household's satisfaction answer: each question of the survey, and the level chosen.
ANSWER = {
    "overall": "satisfied",
    "content": "satisfied",
    "process": "basically_satisfied",
    "long_term": "satisfied",
}


@pytest.fixture
def project(registers):
    """桃园小区's project (household A's neighbourhood), its plan posted for objections since
    yesterday."""
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood, name="桃园小区改造")
    TaskItemFactory(project=project, planned_quantity=10, completed_quantity=10)
    project_services.start_consultation(project, by=None)
    PublicNoticeFactory(
        project=project,
        content="加装电梯两部，更换雨污管网",
        schedule="四月开工，十月完工",
        posted_on=timezone.localdate() - datetime.timedelta(days=1),
        period_days=7,
    )
    cache.clear()  # the rate limits of earlier runs (Redis in CI)
    return project


@pytest.fixture
def household_link(registers, project):
    """Household A's fresh link: its path (``/h/<token>/``)."""
    return links.link_path(links.issue_link(registers.a.household))


def works_done_and_survey_open(project) -> Project:
    """Months later: the notice period long over, the consultation complete, the works done
    (each step through the services, as the county office takes it), and the satisfaction
    survey open."""
    office = make_user(Role.OFFICE, username="office")
    PublicNotice.objects.filter(project=project).update(posted_on=datetime.date(2020, 1, 1))
    complete_consultation(project)
    for transition in TRANSITIONS:
        if project.status == Project.Status.COMPLETED:
            break
        if transition.source == project.status:
            project = project_services.run_transition(project, transition.name, by=office)
    assert project.status == Project.Status.COMPLETED
    acceptance_services.open_round(project, by=office)
    return project


def in_chinese(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


def test_a_resident_sends_an_opinion_and_later_answers_the_satisfaction_survey_on_a_phone(
    pages, shoot, registers, project, household_link
):
    page = pages.open("phone")
    visit(page, household_link)

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator(".household-address").inner_text() == registers.a.household.address
    assert "加装电梯两部" in page.locator("#plan").inner_text()
    assert page.locator("#objection form").is_visible()  # the notice is open
    assert page.locator("#satisfaction").count() == 0  # no survey before the works
    assert_fits_the_width(page)
    shoot(page, "phone")

    form = page.locator("#opinion form")
    form.locator("input[name=category][value=suggestion]").check()
    form.locator("input[name=needs]").first.check()
    form.locator("textarea[name=text]").fill("希望楼道加装扶手")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    thanks = in_chinese("Thank you: your opinion was received. The answer will appear below.")
    assert page.locator(".messages .success").inner_text() == thanks
    assert "希望楼道加装扶手" in page.locator("#history").inner_text()
    assert page.url.endswith(household_link)
    assert_fits_the_width(page)
    shoot(page, "phone-sent")

    sent = ResidentRequest.objects.get(household=registers.a.household)
    assert sent.channel == ResidentRequest.Channel.LINK
    assert sent.category == "suggestion"
    assert sent.needs.count() == 1

    # Later: the works are done and the satisfaction survey is open. The same link shows it.
    works_done_and_survey_open(project)
    cache.clear()
    visit(page, household_link)
    card = page.locator("#satisfaction")
    assert "桃园小区改造" in card.inner_text()
    assert_fits_the_width(page)
    shoot(page, "phone-survey-card")

    with page.expect_navigation():
        card.locator("a.button").click()
    assert page.url.endswith(f"{household_link}satisfaction/")
    assert page.locator(".household-address").inner_text() == registers.a.household.address
    survey = page.locator("#satisfaction form")
    for field, level in ANSWER.items():
        survey.locator(f"input[name={field}][value={level}]").check()
    survey.locator("textarea[name=comment]").fill("电梯很好用")
    assert_fits_the_width(page)
    shoot(page, "phone-survey")
    with page.expect_navigation():
        survey.locator("button[type=submit]").click()

    assert page.url.endswith(household_link)
    recorded = in_chinese(
        "Thank you: your answer was recorded. You may change it while the survey is "
        "open; the last answer counts."
    )
    assert page.locator(".messages .success").inner_text() == recorded
    # The card now says the household answered, and offers to change the answer.
    assert page.locator("#satisfaction .badge").is_visible()
    assert "satisfaction/" in page.locator("#satisfaction a.button").get_attribute("href")
    assert_fits_the_width(page)
    shoot(page, "phone-answered")

    answer = SatisfactionAnswer.objects.get()
    assert answer.respondent.household == registers.a.household
    assert answer.survey_round.project == project
    assert {field: getattr(answer, field) for field in ANSWER} == ANSWER
    assert answer.comment == "电梯很好用"
    assert Respondent.objects.get(household=registers.a.household).channel == (
        Respondent.Channel.LINK
    )
