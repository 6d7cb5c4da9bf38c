"""Two people at the same moment: the same answer sent twice, the same project approved twice,
the same record edited by two staff. The races run on PostgreSQL, in threads that each have
their own connection; the stale edit is also shown one save after the other (any database).
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from acceptance.models import Respondent, SatisfactionAnswer
from projects import services
from projects.models import Project, ProjectTransition
from projects.services import TransitionRefused
from residents.models import Household
from residents.roles import Role

from .conftest import complete_consultation, make_user
from .formdata import form_data
from .test_acceptance_resident import ANSWER, completed, office, survey  # noqa: F401
from .test_project_lifecycle import change_form_data, project_at
from .test_project_lifecycle import change_url as project_url

STALE = "This record was changed by someone else after you opened it"


def at_once(*calls):
    """Run ``calls`` in threads released together; their results (or exceptions), in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the caller asserts on it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def household_url(household):
    return reverse("admin:residents_household_change", args=[household.pk])


def staff_client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


# --- A household's answer sent twice ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_answer_posted_twice_at_once_is_recorded_once(survey):  # noqa: F811
    page = Client().get(survey.url).content.decode()
    first = form_data(page, **{**ANSWER, "comment": "第一次"})
    second = form_data(page, **{**ANSWER, "overall": "dissatisfied", "comment": "第二次"})

    responses = at_once(
        lambda: Client().post(survey.url, first), lambda: Client().post(survey.url, second)
    )

    assert [r.status_code for r in responses] == [302, 302]
    # One answer of the household in the round: the last one written.
    stored = SatisfactionAnswer.objects.get()
    assert (stored.overall, stored.comment) in {("satisfied", "第一次"), ("dissatisfied", "第二次")}
    respondent = Respondent.objects.get(household=survey.household)
    assert respondent.answered_at is not None and respondent.answer == stored


# --- A project approved twice -----------------------------------------------------------------


@pytest.fixture
def consulting(db):
    staff = make_user(Role.OFFICE, username="office-race")
    return project_at(Project.Status.CONSULTING, by=staff), staff


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_project_approved_twice_at_once_is_approved_once(consulting):
    project, staff = consulting

    results = at_once(
        lambda: services.approve(project, by=staff), lambda: services.approve(project, by=staff)
    )

    assert sorted(type(r).__name__ for r in results) == ["Project", "TransitionRefused"]
    project.refresh_from_db()
    assert project.status == Project.Status.APPROVED
    assert ProjectTransition.objects.filter(project=project, to_status="approved").count() == 1
    approvals = project.history.filter(history_change_reason="approve")
    assert approvals.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_approvals_at_once_still_need_the_consultation(db):
    staff = make_user(Role.OFFICE, username="office-gate")
    project = project_at(Project.Status.DRAFT, by=staff)
    services.start_consultation(project, by=staff)  # no visits, meeting or notice yet

    results = at_once(
        lambda: services.approve(project, by=staff), lambda: services.approve(project, by=staff)
    )

    assert all(isinstance(r, TransitionRefused) for r in results)
    assert Project.objects.get(pk=project.pk).status == Project.Status.CONSULTING
    complete_consultation(project)
    assert services.approve(project, by=staff).status == Project.Status.APPROVED


# --- The same record edited by two staff -------------------------------------------------------


def test_a_household_saved_by_someone_else_after_the_form_was_opened_is_not_overwritten(
    registers,
):
    household = registers.a.household
    first, second = (staff_client(make_user(Role.OFFICE)) for _ in range(2))
    first_form = form_data(first.get(household_url(household)).content.decode(), people=4)
    second_form = form_data(second.get(household_url(household)).content.decode(), elderly=2)

    assert first.post(household_url(household), first_form).status_code == 302
    refused = second.post(household_url(household), second_form)

    assert refused.status_code == 200
    page = refused.content.decode()
    assert STALE in page
    assert 'name="elderly" value="2"' in page  # what was typed is kept
    household.refresh_from_db()
    assert (household.people, household.elderly) == (4, registers.a.household.elderly)

    # Reloaded, the change is made.
    again = form_data(second.get(household_url(household)).content.decode(), elderly=2)
    assert second.post(household_url(household), again).status_code == 302
    household.refresh_from_db()
    assert (household.people, household.elderly) == (4, 2)


def test_a_project_form_is_not_refused_for_a_step_taken_meanwhile(db):
    staff = make_user(Role.OFFICE, username="office-step")
    project = project_at(Project.Status.CONSULTING, by=staff)
    client = staff_client(staff)
    data = change_form_data(client.get(project_url(project)).content.decode(), summary="纪要")
    services.approve(project, by=staff)  # the status is not a field of the form

    assert client.post(project_url(project), data).status_code == 302
    project.refresh_from_db()
    assert (project.summary, project.status) == ("纪要", Project.Status.APPROVED)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_saving_one_household_at_once_keep_one_change_and_are_told(registers):
    household = registers.a.household
    first, second = (staff_client(make_user(Role.OFFICE)) for _ in range(2))
    first_form = form_data(first.get(household_url(household)).content.decode(), people=4)
    second_form = form_data(second.get(household_url(household)).content.decode(), people=5)

    responses = at_once(
        lambda: first.post(household_url(household), first_form),
        lambda: second.post(household_url(household), second_form),
    )

    assert sorted(r.status_code for r in responses) == [200, 302]
    saved = next(
        form
        for form, r in zip((first_form, second_form), responses, strict=True)
        if r.status_code == 302
    )
    refused = next(r for r in responses if r.status_code == 200)
    assert STALE in refused.content.decode()
    assert Household.objects.get(pk=household.pk).people == int(saved["people"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_saving_one_project_at_once_keep_one_change_and_are_told(consulting):
    project, _ = consulting
    first, second = (staff_client(make_user(Role.OFFICE)) for _ in range(2))
    forms = [
        change_form_data(client.get(project_url(project)).content.decode(), summary=summary)
        for client, summary in ((first, "甲的纪要"), (second, "乙的纪要"))
    ]

    responses = at_once(
        lambda: first.post(project_url(project), forms[0]),
        lambda: second.post(project_url(project), forms[1]),
    )

    assert sorted(r.status_code for r in responses) == [200, 302]
    saved = forms[[r.status_code for r in responses].index(302)]
    assert STALE in next(r for r in responses if r.status_code == 200).content.decode()
    assert Project.objects.get(pk=project.pk).summary == saved["summary"]


# --- The same opinion sent twice at once ----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_opinion_sent_twice_at_once_is_recorded_once(registers):
    from surveys import ledger
    from surveys.models import ResidentRequest

    household = registers.a.household

    def send():
        return ledger.submit_request(household, text="楼道灯坏了", category="opinion").pk

    first, second = at_once(send, send)

    assert first == second  # both taps answered with the one request
    assert ResidentRequest.objects.filter(household=household).count() == 1
