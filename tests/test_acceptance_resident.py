"""The satisfaction survey from the household's side: ``/h/<token>/satisfaction/`` and its card
on the household's page.

A household on an open round's roll answers through its link; it may answer again while the
round is open and the last answer counts; the page never shows what it answered before. A
closed round, or a household registered after the round opened, is refused with a message.

Messages are read in English (``HTTP_ACCEPT_LANGUAGE``): the Chinese catalogue is filled in
separately, and the English msgids are what these tests can pin.
"""

import logging
import re
import threading
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from acceptance import rules, services
from acceptance.models import Respondent, SatisfactionAnswer, SurveyRound
from projects import services as project_services
from projects.models import Project
from projects.services import Refused
from residents.roles import Role
from surveys import links

from .conftest import make_user
from .factories import HouseholdFactory, ProjectFactory, UserFactory
from .formdata import form_data
from .test_project_lifecycle import project_at
from .test_resident_pages import FROZEN_RATELIMIT_TIME, without_tokens

ANSWER = {
    "overall": "satisfied",
    "content": "basically_satisfied",
    "process": "satisfied",
    "long_term": "dissatisfied",
}


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """The rate limits count in the (local-memory) cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def frozen_ratelimit_clock(monkeypatch):
    import django_ratelimit.core

    monkeypatch.setattr(
        django_ratelimit.core, "time", SimpleNamespace(time=lambda: FROZEN_RATELIMIT_TIME)
    )


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def office(db):
    return make_user(Role.OFFICE, username="office")


@pytest.fixture
def completed(registers, office):
    """桃园小区's project, completed, with no survey round yet; household A has a link."""
    project = project_at(
        Project.Status.COMPLETED,
        by=office,
        acceptance=False,
        neighbourhood=registers.a.neighbourhood,
        name="桃园小区改造",
    )
    household = registers.a.household
    token = links.issue_link(household)
    return SimpleNamespace(
        project=project,
        household=household,
        token=token,
        url=reverse("acceptance:household_survey", args=[token]),
        home_url=reverse("surveys:household_home", args=[token]),
    )


@pytest.fixture
def survey(completed, office):
    """``completed`` with a survey round open: household A and a neighbour on its roll."""
    HouseholdFactory(building=completed.household.building, room="102")
    completed.round = services.open_round(completed.project, by=office)
    return completed


def answer(client, survey, **changes):
    """Open the survey page and send it with ``ANSWER`` and ``changes``, as a browser would."""
    page = client.get(survey.url).content.decode()
    return client.post(survey.url, form_data(page, **{**ANSWER, **changes}))


def shows_form(page: str, survey) -> bool:
    return f'action="{survey.url}"' in page


# --- Answering -------------------------------------------------------------------------------


def test_answering_through_the_link_records_one_answer_by_link(en_client, survey):
    response = answer(en_client, survey, comment=" 楼道灯很亮 ")

    assert response.status_code == 302
    assert response["Location"] == survey.home_url
    stored = SatisfactionAnswer.objects.get()
    assert stored.survey_round == survey.round
    assert stored.respondent.household == survey.household
    assert (stored.overall, stored.content, stored.process, stored.long_term) == (
        "satisfied",
        "basically_satisfied",
        "satisfied",
        "dissatisfied",
    )
    assert stored.comment == "楼道灯很亮"
    respondent = Respondent.objects.get(household=survey.household)
    assert respondent.channel == Respondent.Channel.LINK
    assert respondent.entered_by is None
    assert respondent.answered_at is not None
    home = en_client.get(survey.home_url).content.decode()
    assert "Thank you: your answer was recorded." in home


def test_answering_twice_counts_once_and_the_last_answer_counts(en_client, survey):
    answer(en_client, survey, overall="dissatisfied", comment="第一次")
    first_answered_at = Respondent.objects.get(household=survey.household).answered_at

    response = answer(en_client, survey, overall="basically_satisfied", comment="第二次")

    assert response.status_code == 302
    stored = SatisfactionAnswer.objects.get()
    assert (stored.overall, stored.comment) == ("basically_satisfied", "第二次")
    numbers = rules.survey_numbers(survey.round)
    assert (numbers.households, numbers.answered, numbers.satisfied) == (2, 1, 1)
    assert numbers.by_level == {"satisfied": 0, "basically_satisfied": 1, "dissatisfied": 0}
    respondent = Respondent.objects.get(household=survey.household)
    assert respondent.answered_at >= first_answered_at


def test_the_page_never_shows_the_earlier_answer(en_client, survey):
    answer(en_client, survey, overall="dissatisfied", comment="只写给调查的话")

    page = en_client.get(survey.url).content.decode()

    assert shows_form(page, survey)
    assert "You answered on" in page and "the last answer counts" in page
    assert "checked" not in page  # no level pre-chosen, the earlier one least of all
    assert "只写给调查的话" not in page
    assert "只写给调查的话" not in en_client.get(survey.home_url).content.decode()


def test_the_form_starts_with_nothing_chosen(client, survey):
    page = client.get(survey.url).content.decode()

    assert shows_form(page, survey)
    for name in ("overall", "content", "process", "long_term"):
        assert len(re.findall(rf'<input type="radio" name="{name}"', page)) == 3
    assert "checked" not in page
    assert f'name="survey_round" value="{survey.round.pk}"' in page


def test_every_dimension_is_required_and_the_typed_answers_are_kept(en_client, survey):
    page = en_client.get(survey.url).content.decode()
    data = form_data(page, **ANSWER, comment="电梯很好用")
    del data["process"]

    response = en_client.post(survey.url, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="form-errors"' in page
    assert "Choose one answer." in page
    assert "电梯很好用</textarea>" in page
    assert re.search(r'name="overall" value="satisfied"[^>]*checked', page)
    assert re.search(r'name="long_term" value="dissatisfied"[^>]*checked', page)
    assert not SatisfactionAnswer.objects.exists()
    assert not Respondent.objects.answered().exists()


def test_too_long_comment_is_refused_and_kept(en_client, survey):
    comment = "长" * 2001

    response = answer(en_client, survey, comment=comment)

    assert response.status_code == 200
    assert f"{comment}</textarea>" in response.content.decode()
    assert not SatisfactionAnswer.objects.exists()


def test_an_unknown_level_is_refused(en_client, survey):
    response = answer(en_client, survey, overall="very_satisfied")

    assert response.status_code == 200
    assert not SatisfactionAnswer.objects.exists()


# --- Refusals --------------------------------------------------------------------------------


def test_a_closed_round_refuses_the_answer_and_keeps_the_comment(en_client, survey, office):
    page = en_client.get(survey.url).content.decode()
    services.close_round(survey.round, by=office)

    response = en_client.post(survey.url, form_data(page, **ANSWER, comment="希望多种树"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "The survey is closed: it takes no more answers." in page
    assert "希望多种树" in page  # shown, so it is not lost
    assert not shows_form(page, survey)
    assert not SatisfactionAnswer.objects.exists()
    assert not Respondent.objects.answered().exists()
    survey.round.refresh_from_db()
    assert (survey.round.answered, survey.round.satisfied) == (0, 0)


def test_a_closed_round_shows_no_form(en_client, survey, office):
    services.close_round(survey.round, by=office)

    page = en_client.get(survey.url).content.decode()

    assert "The survey closed on" in page
    assert not shows_form(page, survey)


def test_a_household_registered_after_the_round_opened_is_refused(en_client, survey):
    newcomer = HouseholdFactory(building=survey.household.building, room="103")
    token = links.issue_link(newcomer)
    url = reverse("acceptance:household_survey", args=[token])

    page = en_client.get(url).content.decode()
    response = en_client.post(url, {**ANSWER, "survey_round": survey.round.pk})

    assert "Your household is not on this survey's list" in page
    assert f'action="{url}"' not in page
    assert response.status_code == 200
    assert "This household is not on the survey" in response.content.decode()
    assert not SatisfactionAnswer.objects.exists()
    assert not survey.round.roll.filter(household=newcomer).exists()


def test_no_round_opened_yet_shows_no_form(en_client, completed):
    page = en_client.get(completed.url).content.decode()

    assert "No satisfaction survey is open for your neighbourhood now." in page
    assert not shows_form(page, completed)


def test_an_answer_for_a_round_closed_meanwhile_is_not_moved_to_the_new_round(
    en_client, survey, office
):
    """The page was read for round 1; round 1 closed and round 2 opened before it was sent:
    nothing is recorded, and the household's own typing is kept in round 2's form."""
    page = en_client.get(survey.url).content.decode()
    services.close_round(survey.round, by=office)
    second = services.open_round(survey.project, by=office)

    response = en_client.post(survey.url, form_data(page, **ANSWER, comment="第二轮"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "A new survey is open: check your answers and send them again." in page
    assert f'name="survey_round" value="{second.pk}"' in page
    assert "第二轮</textarea>" in page
    assert not SatisfactionAnswer.objects.exists()


# --- Links that do not work, headers, CSRF, rate limits ---------------------------------------


def test_a_bad_token_gets_the_household_pages_404_without_the_token_in_the_log(
    client, survey, caplog
):
    unknown = links.new_token()
    links.revoke(survey.household)

    with caplog.at_level(logging.INFO):
        revoked = client.get(survey.url)
        posted = client.post(survey.url, {**ANSWER, "survey_round": survey.round.pk})
        guessed = client.get(f"/h/{unknown}/satisfaction/")

    assert revoked.status_code == posted.status_code == guessed.status_code == 404
    for response in (revoked, posted, guessed):
        assert response.templates[0].name == "surveys/household_not_found.html"
    assert without_tokens(guessed.content.decode()) == without_tokens(revoked.content.decode())
    assert survey.token not in caplog.text and unknown not in caplog.text
    assert "Not Found: /h/…/satisfaction/" in caplog.text
    assert not SatisfactionAnswer.objects.exists()


def test_the_survey_page_is_not_cached_and_sends_no_referrer(client, survey):
    response = client.get(survey.url)

    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_the_survey_form_is_csrf_protected(survey):
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(survey.url, {**ANSWER, "survey_round": survey.round.pk})

    assert response.status_code == 403
    assert not SatisfactionAnswer.objects.exists()


def test_a_browser_post_with_its_page_s_csrf_token_is_taken(survey):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(survey.url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    response = browser.post(
        survey.url,
        {"csrfmiddlewaretoken": token, **form_data(page, **ANSWER)},
        HTTP_ORIGIN="http://testserver",
    )

    assert response.status_code == 302
    assert SatisfactionAnswer.objects.count() == 1


def test_a_household_s_sixth_answer_within_a_minute_is_refused(
    client, survey, frozen_ratelimit_clock
):
    page = client.get(survey.url).content.decode()
    for _ in range(5):
        assert client.post(survey.url, form_data(page, **ANSWER)).status_code == 302

    response = client.post(survey.url, form_data(page, **{**ANSWER, "overall": "dissatisfied"}))

    assert response.status_code == 429
    assert 'class="household"' in response.content.decode()
    assert SatisfactionAnswer.objects.get().overall == "satisfied"


def test_six_households_on_one_address_can_each_answer(
    client, completed, office, frozen_ratelimit_clock
):
    """Households answering from one community centre's Wi-Fi, or one carrier's shared
    address, do not use up each other's turns."""
    building = completed.household.building
    neighbours = [HouseholdFactory(building=building, room=f"3{n:02d}") for n in range(2, 7)]
    services.open_round(completed.project, by=office)
    urls = [completed.url] + [
        reverse("acceptance:household_survey", args=[links.issue_link(household)])
        for household in neighbours
    ]

    for url in urls:
        page = client.get(url).content.decode()
        assert client.post(url, form_data(page, **ANSWER)).status_code == 302

    assert SatisfactionAnswer.objects.count() == 6
    assert Respondent.objects.answered().count() == 6


def test_121st_survey_page_within_a_minute_from_one_address_is_refused(
    client, survey, frozen_ratelimit_clock
):
    for _ in range(120):
        assert client.get(survey.url).status_code == 200

    assert client.get(survey.url).status_code == 429


# --- The card on the household's page ---------------------------------------------------------


def test_the_survey_card_invites_while_the_round_is_open_and_thanks_once_it_closed(
    en_client, completed, office
):
    def card(page):
        return f'href="{completed.url}"' in page

    assert not card(en_client.get(completed.home_url).content.decode())

    survey_round = services.open_round(completed.project, by=office)
    page = en_client.get(completed.home_url).content.decode()
    assert card(page)
    assert "Answer the survey" in page
    assert "桃园小区改造" in page

    services.submit_answer(survey_round, completed.household, overall="satisfied")
    page = en_client.get(completed.home_url).content.decode()
    assert card(page)
    assert "You answered on" in page
    assert "Answer the survey" not in page

    services.close_round(survey_round, by=office)
    page = en_client.get(completed.home_url).content.decode()
    assert not card(page)
    assert "The satisfaction survey is closed. Thank you." in page


def test_the_card_is_not_shown_to_a_household_not_on_the_roll(en_client, survey, office):
    newcomer = HouseholdFactory(building=survey.household.building, room="103")
    token = links.issue_link(newcomer)
    url = reverse("surveys:household_home", args=[token])

    page = en_client.get(url).content.decode()
    assert 'id="satisfaction"' not in page and "/satisfaction/" not in page

    services.close_round(survey.round, by=office)
    assert 'id="satisfaction"' not in en_client.get(url).content.decode()


def test_once_the_project_is_accepted_the_card_says_the_survey_is_closed(
    en_client, registers, office
):
    project = project_at(
        Project.Status.ACCEPTED, by=office, neighbourhood=registers.a.neighbourhood
    )
    token = links.issue_link(registers.a.household)

    page = en_client.get(reverse("surveys:household_home", args=[token])).content.decode()

    assert 'id="satisfaction"' in page
    assert project.name in page
    assert "The satisfaction survey is closed. Thank you." in page
    assert "/satisfaction/" not in page


def test_the_closed_card_speaks_of_the_latest_round_of_the_current_project(
    en_client, survey, office
):
    """A failed round, then a new one: open, the card invites again; once the neighbourhood
    has a newer project, the old project's survey is no longer the household's news."""
    services.close_round(survey.round, by=office)
    second = services.open_round(survey.project, by=office)
    page = en_client.get(survey.home_url).content.decode()
    assert "Answer the survey" in page
    assert "The satisfaction survey is closed." not in page

    services.close_round(second, by=office)
    assert "The satisfaction survey is closed." in en_client.get(survey.home_url).content.decode()

    newer = ProjectFactory(
        neighbourhood=survey.household.building.neighbourhood,
        batch_year=survey.project.batch_year + 1,
        name="桃园小区二期",
    )
    project_services.start_consultation(newer, by=office)
    page = en_client.get(survey.home_url).content.decode()
    assert 'id="satisfaction"' not in page


# --- Query counts ------------------------------------------------------------------------------


def test_survey_page_runs_a_fixed_number_of_queries(client, survey, django_assert_num_queries):
    services.submit_answer(survey.round, survey.household, overall="satisfied")
    client.get(survey.url)  # the first visit of the hour writes ``last_used_at``

    # 1 savepoint and 1 release (ATOMIC_REQUESTS), 1 the link with household, building and
    # neighbourhood, 1 the household's place on the open round's roll with round and project.
    with django_assert_num_queries(4):
        response = client.get(survey.url)
    assert response.status_code == 200


def test_survey_page_without_an_open_round_runs_a_fixed_number_of_queries(
    client, survey, office, django_assert_num_queries
):
    services.close_round(survey.round, by=office)
    client.get(survey.url)

    # 1 savepoint and 1 release, 1 the link, 1 the place on an open round's roll (none),
    # 1 the neighbourhood's latest round with its project.
    with django_assert_num_queries(5):
        response = client.get(survey.url)
    assert response.status_code == 200


def test_household_page_with_the_survey_card_runs_a_fixed_number_of_queries(
    client, survey, django_assert_num_queries
):
    services.submit_answer(survey.round, survey.household, overall="satisfied")
    client.get(survey.home_url)

    # 1 savepoint and 1 release, 1 the link, 1 the survey card (the place on the open
    # round's roll with round and project), 1 the current project, 1 its notices, 1 the
    # unanswered objections to its notice (its period is over), 1 the household's requests,
    # 1 its objections; no needs offered in the form (the project is past consultation).
    with django_assert_num_queries(9):
        response = client.get(survey.home_url)
    assert 'id="satisfaction"' in response.content.decode()


def test_household_page_with_the_closed_survey_card_runs_a_fixed_number_of_queries(
    client, survey, office, django_assert_num_queries
):
    services.close_round(survey.round, by=office)
    client.get(survey.home_url)

    # The same 9: the card's one query finds the place on the roll of the latest closed
    # round of the current project (with round and project) instead of an open round's.
    with django_assert_num_queries(9):
        response = client.get(survey.home_url)
    assert "满意度调查已结束" in response.content.decode()  # the page speaks Chinese


# --- Concurrency, on PostgreSQL ------------------------------------------------------------------


def _run_together(*targets):
    """Run each target in its own thread and connection, released together by a barrier."""
    barrier = threading.Barrier(len(targets))
    outcomes = []

    def run(target):
        try:
            barrier.wait(timeout=10)
            outcomes.append(target())
        except Refused:
            outcomes.append("refused")
        except Exception as error:  # a deadlock, say: shown in the failed assertion
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_answers_from_one_household_leave_one_answer():
    office = UserFactory(username="office-a")  # no role: a flush may have taken the groups
    project = project_at(Project.Status.COMPLETED, by=office, acceptance=False)
    survey_round = services.open_round(project, by=office)
    household = survey_round.roll.get().household

    def submit(level):
        def target():
            copy = SurveyRound.objects.get(pk=survey_round.pk)
            services.submit_answer(copy, household, overall=level, comment=level)
            return level

        return target

    outcomes = _run_together(submit("satisfied"), submit("dissatisfied"))

    assert sorted(outcomes) == ["dissatisfied", "satisfied"]
    stored = SatisfactionAnswer.objects.get(survey_round=survey_round)
    assert stored.overall == stored.comment  # one whole answer, not a mix of the two
    assert survey_round.roll.answered().count() == 1
    assert rules.survey_numbers(survey_round).answered == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_answer_racing_the_close_is_either_counted_or_refused():
    """Closing a round and an answer at the same moment, several times over: the answer is
    either in the frozen numbers or refused, never stored after the close and missed."""
    office = UserFactory(username="office-b")
    project = project_at(Project.Status.COMPLETED, by=office, acceptance=False)
    outcomes = []

    for _attempt in range(6):
        survey_round = services.open_round(project, by=office)
        household = survey_round.roll.get().household

        def submit(survey_round=survey_round, household=household):
            services.submit_answer(survey_round, household, overall="satisfied")
            return "answered"

        def close(survey_round=survey_round):
            services.close_round(survey_round, by=office)
            return "closed"

        results = _run_together(submit, close)

        assert "closed" in results
        survey_round.refresh_from_db()
        stored = SatisfactionAnswer.objects.filter(survey_round=survey_round).count()
        answered = survey_round.roll.answered().count()
        if "answered" in results:
            assert (stored, answered, survey_round.answered, survey_round.satisfied) == (
                1,
                1,
                1,
                1,
            )
        else:
            assert results == ["closed", "refused"] or results == ["refused", "closed"]
            assert (stored, answered, survey_round.answered) == (0, 0, 0)
        outcomes.append("answered" in results)

    assert len(outcomes) == 6
