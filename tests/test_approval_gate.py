"""The approval gate (rule 1, 一访一议一公示): a project is approved only when every household
was visited, a closed residents' meeting adopted the plan, and the plan's latest notice was
posted for the notice period, which has ended (county calendar, Asia/Shanghai), with every
objection answered in writing. Each missing piece is refused, and named, from every door: the
service (the shell, tasks, commands), the admin's button and its bulk action.

Messages are read in English (``english`` fixture, ``HTTP_ACCEPT_LANGUAGE``).
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.functional import Promise

from projects import services, workflow
from projects.models import Project
from projects.services import TransitionRefused
from residents.roles import Role
from surveys import rules
from surveys.models import Discussion, PublicNotice, Visit

from .conftest import make_user
from .factories import (
    BuildingFactory,
    CatalogueKindFactory,
    DiscussionFactory,
    HouseholdFactory,
    NeighbourhoodFactory,
    ObjectionFactory,
    ProjectFactory,
    PublicNoticeFactory,
    TaskItemFactory,
    VisitFactory,
)
from .test_project_lifecycle import project_at

pytestmark = pytest.mark.django_db

Status = Project.Status
D = datetime.date


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def texts(reasons):
    return [str(reason) for reason in reasons]


def shown(day: datetime.date) -> str:
    """A date as an English message shows it."""
    with translation.override("en"):
        return formats.date_format(day)


def consulting(office_user, **kwargs):
    """A project in consultation whose consultation is complete (see ``complete_consultation``)."""
    return project_at(Status.CONSULTING, by=office_user, **kwargs)


# --- Each missing piece, from each door --------------------------------------------------------


def _households_not_visited(project):
    building = BuildingFactory(neighbourhood=project.neighbourhood, number="99")
    HouseholdFactory(building=building, unit=1, room="902")
    HouseholdFactory(building=building, unit=1, room="901")
    return "2 households not visited: 99-1-901, 99-1-902"


def _meeting_not_closed(project):
    Discussion.objects.filter(project=project).update(closed_at=None)
    return "No closed discussion adopted the plan."


def _no_notice(project):
    PublicNotice.objects.filter(project=project).delete()
    return "No public notice has been posted."


def _notice_period_running(project):
    today = timezone.localdate()
    PublicNoticeFactory(project=project, posted_on=today - datetime.timedelta(days=2))
    return f"The notice period runs until {shown(today + datetime.timedelta(days=4))}."


def _objection_unanswered(project):
    ObjectionFactory(notice=PublicNotice.objects.get(project=project))
    return "1 objection has no written answer."


MISSING_PIECES = [
    _households_not_visited,
    _meeting_not_closed,
    _no_notice,
    _notice_period_running,
    _objection_unanswered,
]


def _by_service(client, user, project):
    try:
        services.approve(project, by=user)
    except TransitionRefused as refused:
        return " ".join(texts(refused.reasons))
    return "approved"


def _by_button(client, user, project):
    client.force_login(user)
    url = reverse("admin:projects_project_transition", args=[project.pk, "approve"])
    response = client.post(url)
    assert response.status_code == 302
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _by_bulk_action(client, user, project):
    client.force_login(user)
    response = client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "approve", "_selected_action": [project.pk]},
    )
    assert response.status_code == 302
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


DOORS = [_by_service, _by_button, _by_bulk_action]


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.__name__.strip("_"))
@pytest.mark.parametrize("missing", MISSING_PIECES, ids=lambda piece: piece.__name__.strip("_"))
def test_each_missing_piece_is_refused_and_named_from_each_door(
    client, office_user, english, door, missing
):
    project = consulting(office_user)
    expected = missing(project)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    said = door(client, office_user, project)

    # The service's reasons, or the admin's message about them: the one piece, and only it.
    assert said in {expected, f"Approve refused for “{project.name}”: {expected}"}
    assert Project.objects.get(pk=project.pk).status == Status.CONSULTING
    assert not project.transitions.filter(to_status=Status.APPROVED).exists()


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.__name__.strip("_"))
def test_a_complete_consultation_lets_each_door_approve(client, office_user, english, door):
    project = consulting(office_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    said = door(client, office_user, project)

    assert "refused" not in said, said
    assert Project.objects.get(pk=project.pk).status == Status.APPROVED


def test_the_gate_names_exactly_what_is_missing(office_user, english):
    project = consulting(office_user)
    assert rules.consultation_gate(project) == workflow.consultation_gate(project)
    assert rules.consultation_gate(project).passed

    expected = [piece(project) for piece in (_households_not_visited, _meeting_not_closed)]
    expected.append(_notice_period_running(project))

    result = workflow.consultation_gate(project)
    assert not result
    assert texts(result.missing) == expected


def test_a_bare_project_is_told_everything_it_lacks(english):
    project = ProjectFactory(neighbourhood=BuildingFactory(number="3").neighbourhood)
    TaskItemFactory(project=project)
    HouseholdFactory(building=project.neighbourhood.buildings.get(), unit=2, room="501")

    assert texts(workflow.consultation_gate(project).missing) == [
        "1 household not visited: 3-2-501",
        "No closed discussion adopted the plan.",
        "No public notice has been posted.",
    ]


def test_the_unvisited_households_are_named_ten_at_most(office_user, english):
    building = BuildingFactory(number="3")
    project = consulting(office_user, neighbourhood=building.neighbourhood)
    for room in range(501, 513):
        HouseholdFactory(building=building, unit=2, room=str(room))

    [missing] = texts(workflow.consultation_gate(project).missing)

    named = ", ".join(f"3-2-{room}" for room in range(501, 511))
    assert missing == f"12 households not visited: {named}, …"


def test_one_failed_attempt_leaves_a_household_missing_two_do_not(office_user, english):
    building = BuildingFactory(number="5")
    project = consulting(office_user, neighbourhood=building.neighbourhood)
    household = HouseholdFactory(building=building, unit=1, room="202")

    VisitFactory(household=household, outcome=Visit.Outcome.NOT_AT_HOME)
    assert texts(workflow.consultation_gate(project).missing) == [
        "1 household not visited: 5-1-202"
    ]
    VisitFactory(household=household, outcome=Visit.Outcome.REFUSED)
    assert workflow.consultation_gate(project)


def test_the_households_of_merged_compounds_must_be_visited_too(office_user, english):
    project = consulting(office_user)
    merged = BuildingFactory(neighbourhood=NeighbourhoodFactory(name="并院小区"), number="2")
    project.merged_neighbourhoods.add(merged.neighbourhood)
    HouseholdFactory(building=merged, unit=1, room="101")

    assert texts(workflow.consultation_gate(project).missing) == [
        "1 household not visited: 并院小区 2-1-101"
    ]


def test_a_neighbourhood_without_registered_households_cannot_pass(office_user, english):
    project = ProjectFactory()
    TaskItemFactory(project=project)

    assert texts(workflow.consultation_gate(project).missing)[0] == (
        "No household of the neighbourhood is registered: nobody can be visited."
    )


def test_a_meeting_counts_only_when_closed_with_items_of_this_plan(office_user, english):
    project = consulting(office_user)
    Discussion.objects.filter(project=project).delete()
    DiscussionFactory(project=project, minutes="纪要", closed_at=timezone.now())  # adopted nothing
    DiscussionFactory(project=project, adopted_items=list(project.task_items.all()))  # open
    assert texts(workflow.consultation_gate(project).missing) == [
        "No closed discussion adopted the plan."
    ]

    DiscussionFactory(
        project=project, adopted_items=list(project.task_items.all()), closed_at=timezone.now()
    )
    assert workflow.consultation_gate(project)


# --- The notice period -------------------------------------------------------------------------


def _project_with_notice(office_user, **notice):
    project = consulting(office_user)
    PublicNotice.objects.filter(project=project).delete()
    return project, PublicNoticeFactory(project=project, **notice)


def test_the_notice_period_ends_after_its_last_day(office_user, english):
    project, _ = _project_with_notice(office_user, posted_on=D(2026, 3, 1), period_days=7)

    on_the_last_day = rules.consultation_gate(project, today=D(2026, 3, 7))
    on_the_next_day = rules.consultation_gate(project, today=D(2026, 3, 8))

    assert texts(on_the_last_day.missing) == [
        f"The notice period runs until {shown(D(2026, 3, 7))}."
    ]
    assert on_the_next_day


def test_the_notice_period_ends_on_the_countys_calendar_not_utcs(office_user, monkeypatch, english):
    project, _ = _project_with_notice(office_user, posted_on=D(2026, 3, 1), period_days=7)

    # 15:30 UTC on 7 March is 23:30 in Shiquan: still the last day of the notice.
    monkeypatch.setattr(
        timezone, "now", lambda: datetime.datetime(2026, 3, 7, 15, 30, tzinfo=datetime.UTC)
    )
    with pytest.raises(TransitionRefused) as refused:
        services.approve(project, by=office_user)
    assert texts(refused.value.reasons) == [f"The notice period runs until {shown(D(2026, 3, 7))}."]

    # 16:30 UTC on 7 March is already 00:30 on 8 March in Shiquan.
    monkeypatch.setattr(
        timezone, "now", lambda: datetime.datetime(2026, 3, 7, 16, 30, tzinfo=datetime.UTC)
    )
    services.approve(project, by=office_user)
    assert Project.objects.get(pk=project.pk).status == Status.APPROVED


def test_an_unanswered_objection_blocks_until_it_is_answered(office_user, english):
    project, notice = _project_with_notice(office_user, posted_on=D(2026, 3, 1), period_days=7)
    ObjectionFactory(notice=notice, answer="已答复", answered_at=timezone.now())
    waiting = ObjectionFactory.create_batch(2, notice=notice)

    assert texts(rules.consultation_gate(project, today=D(2026, 3, 8)).missing) == [
        "2 objections have no written answer."
    ]
    for objection in waiting:
        objection.answer = "已书面答复"
        objection.answered_at = timezone.now()
        objection.save(update_fields=["answer", "answered_at"])
    assert rules.consultation_gate(project, today=D(2026, 3, 8))


def test_the_latest_notice_is_the_one_that_counts(office_user, english):
    project, first = _project_with_notice(office_user, posted_on=D(2026, 2, 1), period_days=7)
    ObjectionFactory(notice=first)  # to the plan as first posted: superseded
    PublicNoticeFactory(project=project, posted_on=D(2026, 3, 1), period_days=7)

    assert texts(rules.consultation_gate(project, today=D(2026, 3, 5)).missing) == [
        f"The notice period runs until {shown(D(2026, 3, 7))}."
    ]
    assert rules.consultation_gate(project, today=D(2026, 3, 8))


def test_a_notice_period_shorter_than_required_does_not_count(office_user, english, settings):
    settings.ANJU_NOTICE_DAYS = 7
    project, _ = _project_with_notice(office_user, posted_on=D(2026, 3, 1), period_days=5)

    assert texts(rules.consultation_gate(project, today=D(2026, 4, 1)).missing) == [
        "The notice period of 5 days is shorter than the 7 days required."
    ]
    settings.ANJU_NOTICE_DAYS = 5
    assert rules.consultation_gate(project, today=D(2026, 4, 1))


def test_the_gates_words_are_translated_when_shown(office_user):
    project, _ = _project_with_notice(office_user, posted_on=D(2026, 3, 1), period_days=7)
    with translation.override("en"):
        [reason] = rules.consultation_gate(project, today=D(2026, 3, 2)).missing

    assert isinstance(reason, Promise)
    with translation.override("zh-hans"):
        assert "2026年3月7日" in str(reason)
    with translation.override("en"):
        assert str(reason) == f"The notice period runs until {shown(D(2026, 3, 7))}."


# --- The panel on the project page -------------------------------------------------------------


def change_url(project):
    return reverse("admin:projects_project_change", args=[project.pk])


def test_the_project_page_shows_the_checklist_and_the_demand_beside_the_plan(client, office_user):
    parking = CatalogueKindFactory(code="g-parking", name_en="Eco parking test")
    lights = CatalogueKindFactory(code="g-lights", name_en="Street lights test")
    project = consulting(office_user)
    TaskItemFactory(project=project, kind=parking)
    household = project.neighbourhood.buildings.get().households.get()
    VisitFactory(household=household, needs=[parking, lights])
    ObjectionFactory(notice=PublicNotice.objects.get(project=project))
    client.force_login(office_user)

    response = client.get(change_url(project), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert 'id="consultation-panel"' in page
    assert "1 household visited." in page
    assert "1 objection has no written answer." in page
    assert "Street lights test" in page and "No: asked for, not planned" in page
    panel = response.context["consultation_panel"]
    assert not panel.passed
    assert {(k.code, k.households, k.in_plan) for k in panel.demand} == {
        ("g-parking", 1, True),
        ("g-lights", 1, False),
        (project.task_items.first().kind.code, 0, True),
    }
    assert page.index('id="project-lifecycle"') < page.index('id="consultation-panel"')


def test_community_staff_see_the_panel_without_buttons(client, registers, office_user):
    project = consulting(office_user, neighbourhood=registers.a.neighbourhood)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    page = client.get(change_url(project)).content.decode()

    assert 'id="consultation-panel"' in page
    assert 'id="project-lifecycle"' not in page


def test_the_panel_is_gone_once_the_project_is_approved(client, office_user):
    project = project_at(Status.APPROVED, by=office_user)
    client.force_login(office_user)
    assert 'id="consultation-panel"' not in client.get(change_url(project)).content.decode()


@pytest.mark.parametrize("households", [2, 20])
def test_the_panel_costs_a_fixed_number_of_queries(
    office_user, households, django_assert_num_queries
):
    # The coverage, the first unvisited addresses, the adopting meeting, the latest notice
    # with its objections counted, and the demand tally beside the plan.
    project = consulting(office_user)
    building = project.neighbourhood.buildings.get()
    kinds = [CatalogueKindFactory() for _ in range(3)]
    for number in range(households):
        household = HouseholdFactory(building=building, room=f"A{700 + number}")
        VisitFactory(household=household, outcome=Visit.Outcome.NOT_AT_HOME, needs=kinds)
        TaskItemFactory(project=project, kind=kinds[number % 3])
    ObjectionFactory.create_batch(households, notice=PublicNotice.objects.get(project=project))

    with django_assert_num_queries(5):
        panel = workflow.consultation_panel(project)

    assert (panel.visited, panel.households) == (1, households + 1)
    assert len(panel.demand) >= 3


@pytest.mark.parametrize(
    ("adopt_all", "votes_for", "votes_against", "adopted"),
    [(True, 30, 2, True), (False, 30, 2, False), (True, 5, 20, False), (True, 10, 10, False)],
)
def test_the_meeting_must_adopt_the_whole_plan_by_a_majority(
    adopt_all, votes_for, votes_against, adopted
):
    from .factories import DiscussionFactory, ProjectFactory, TaskItemFactory

    project = ProjectFactory()
    items = TaskItemFactory.create_batch(3, project=project)
    DiscussionFactory(
        project=project,
        minutes="表决结果见附件。",
        adopted_items=items if adopt_all else items[:2],
        votes_for=votes_for,
        votes_against=votes_against,
        closed_at=timezone.now(),
    )
    assert rules.adopting_discussions(project).exists() is adopted
