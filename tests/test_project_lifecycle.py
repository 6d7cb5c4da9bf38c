"""A project's lifecycle, from every door: the service functions (the shell, tasks, commands),
the buttons of the admin change page, the admin's bulk actions, and the ways around them that
must fail (the change form, ``QuerySet.update``, ``save()`` after setting the status).

Messages are read in English (``english`` fixture, ``HTTP_ACCEPT_LANGUAGE``): the Chinese
catalogue is filled in separately, and the English msgids are what these tests can pin.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from projects import services, workflow
from projects.models import Milestone, Project, ProjectStatusLocked, ProjectTransition
from projects.services import TransitionRefused
from projects.workflow import TRANSITIONS, GateResult
from residents.roles import Role

from .conftest import complete_consultation, make_user, pass_acceptance
from .factories import (
    MilestoneFactory,
    NeighbourhoodFactory,
    OwnersCommitteeFactory,
    ProjectFactory,
    PropertyCompanyFactory,
    TaskItemFactory,
)
from .formdata import form_data

pytestmark = pytest.mark.django_db

Status = Project.Status
STEP_IDS = [t.name for t in TRANSITIONS]


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def project_at(status, *, by, acceptance=True, **kwargs):
    """A project brought to ``status`` through the services, ready for its next step: one
    finished task item, a complete consultation once past draft (``complete_consultation``),
    once completed a passed check and a satisfied survey (``pass_acceptance``; not with
    ``acceptance=False``), and a neighbourhood with an owners' committee to hand over to."""
    if "neighbourhood" not in kwargs:
        committee = OwnersCommitteeFactory()
        kwargs["neighbourhood"] = NeighbourhoodFactory(
            community=committee.community, owners_committee=committee
        )
    project = ProjectFactory(**kwargs)
    TaskItemFactory(project=project, planned_quantity=10, completed_quantity=10)
    if status != Status.DRAFT:
        complete_consultation(project)
    for transition in TRANSITIONS:
        if project.status == status:
            break
        project = services.run_transition(project, transition.name, by=by)
        if project.status == Status.COMPLETED and acceptance:
            pass_acceptance(project, by=by)
    assert project.status == status
    return project


def texts(reasons):
    return [str(reason) for reason in reasons]


def change_form_data(html, **changes):
    """The change form as a browser submits it (an empty multiple select sends nothing)."""
    data = form_data(html, **changes)
    if not data.get("merged_neighbourhoods"):
        data.pop("merged_neighbourhoods", None)
    return data


def shown_messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- The service functions ------------------------------------------------------------------


@pytest.mark.parametrize("transition", TRANSITIONS, ids=STEP_IDS)
def test_each_transition_moves_the_project_and_records_who_when_and_why(office_user, transition):
    project = project_at(transition.source, by=office_user)
    step = getattr(services, transition.name)

    moved = step(project, by=office_user, note="县改造办会议决定")

    moved.refresh_from_db()
    assert moved.status == transition.target
    assert moved.status_changed_at is not None
    record = ProjectTransition.objects.get(project=project, to_status=transition.target)
    assert record.from_status == transition.source
    assert record.by == office_user
    assert record.note == "县改造办会议决定"
    assert record.at == moved.status_changed_at
    latest = moved.history.first()
    assert latest.status == transition.target
    assert latest.history_user == office_user
    assert latest.history_change_reason == transition.name


@pytest.mark.parametrize(
    "transition", [t for t in TRANSITIONS if t.milestone], ids=lambda t: t.name
)
def test_each_transition_records_the_actual_date_of_its_milestone(office_user, transition):
    project = project_at(transition.source, by=office_user)
    MilestoneFactory(project=project, kind=transition.milestone, planned_date=None)

    services.run_transition(project, transition.name, by=office_user)

    milestone = Milestone.objects.get(project=project, kind=transition.milestone)
    assert milestone.actual_date == timezone.localdate()
    assert milestone.history.first().history_user == office_user


def test_a_transition_creates_its_milestone_when_the_schedule_was_never_planned(office_user):
    project = project_at(Status.DRAFT, by=office_user)

    services.start_consultation(project, by=office_user)

    milestone = Milestone.objects.get(project=project)
    assert milestone.kind == Milestone.Kind.CONSULTATION_START
    assert (milestone.planned_date, milestone.actual_date) == (None, timezone.localdate())


def test_a_transition_keeps_an_actual_date_staff_already_recorded(office_user):
    project = project_at(Status.TENDERING, by=office_user)
    started = datetime.date(2026, 4, 1)
    MilestoneFactory(project=project, kind=Milestone.Kind.CONSTRUCTION_START, actual_date=started)

    services.start_construction(project, by=office_user)

    assert Milestone.objects.get(project=project, kind="construction_start").actual_date == started


def test_the_actual_date_is_the_countys_date_not_utcs(office_user, monkeypatch):
    project = project_at(Status.CONSULTING, by=office_user)
    # 23:30 on 28 February in UTC is already 07:30 on 1 March in Shiquan.
    late_evening_utc = datetime.datetime(2026, 2, 28, 23, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late_evening_utc)

    services.approve(project, by=office_user)

    milestone = Milestone.objects.get(project=project, kind=Milestone.Kind.APPROVAL)
    assert milestone.actual_date == datetime.date(2026, 3, 1)


def test_the_whole_lifecycle_leaves_one_transition_per_step_in_order(office_user):
    project = project_at(Status.HANDED_OVER, by=office_user)

    steps = list(project.transitions.values_list("from_status", "to_status"))

    assert steps == [(t.source, t.target) for t in TRANSITIONS]
    assert workflow.available_transitions(project) == []


def test_the_callers_copy_tells_the_new_status(office_user):
    project = project_at(Status.DRAFT, by=office_user)

    returned = services.start_consultation(project, by=office_user)

    assert project.status == returned.status == Status.CONSULTING
    project.summary = "先访后议"
    project.save()  # the caller may go on working with its copy
    assert Project.objects.get(pk=project.pk).status == Status.CONSULTING


@pytest.mark.parametrize(
    ("transition", "status"),
    [(t, s) for t in TRANSITIONS for s in Status if s != t.source],
    ids=lambda value: getattr(value, "name", value),
)
def test_each_transition_is_refused_from_every_other_status(office_user, transition, status):
    project = project_at(status, by=office_user)
    transitions_before = ProjectTransition.objects.count()
    history_before = project.history.count()

    with pytest.raises(TransitionRefused) as refused:
        services.run_transition(project, transition.name, by=office_user)

    assert refused.value.transition is transition
    with translation.override("en"):
        [reason] = texts(refused.value.reasons)
        assert f"The project is “{Status(status).label}”" in reason
    project.refresh_from_db()
    assert project.status == status
    assert ProjectTransition.objects.count() == transitions_before
    assert project.history.count() == history_before


def test_the_refusal_of_a_wrong_status_reads_as_the_office_would_say_it(office_user, english):
    project = project_at(Status.DRAFT, by=office_user)

    with pytest.raises(TransitionRefused) as refused:
        services.approve(project, by=office_user)

    assert texts(refused.value.reasons) == [
        "The project is “Draft”: it cannot be approved directly."
    ]
    assert str(refused.value) == "The project is “Draft”: it cannot be approved directly."


def test_a_refusal_is_translated_when_shown_not_when_raised(office_user):
    project = project_at(Status.DRAFT, by=office_user)
    with translation.override("en"), pytest.raises(TransitionRefused) as refused:
        services.approve(project, by=office_user)
    [reason] = refused.value.reasons
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert f"“{Status.DRAFT.label}”" in str(reason)


def test_approval_is_refused_without_task_items(office_user, english):
    project = project_at(Status.CONSULTING, by=office_user)
    project.task_items.all().delete()

    with pytest.raises(TransitionRefused) as refused:
        services.approve(project, by=office_user)

    # The meeting's adopted items went with them: the consultation gate says so too.
    assert texts(refused.value.reasons) == [
        "The project has no task items: list the work to be done first.",
        "No closed discussion adopted the plan.",
    ]
    assert Project.objects.get(pk=project.pk).status == Status.CONSULTING


def test_approval_is_refused_with_what_the_consultation_gate_says_is_missing(
    office_user, monkeypatch, english
):
    project = project_at(Status.CONSULTING, by=office_user)
    missing = ["3 households have not been visited.", "The plan has not been posted."]
    monkeypatch.setattr(workflow, "consultation_gate", lambda p: GateResult.closed(missing))

    with pytest.raises(TransitionRefused) as refused:
        services.approve(project, by=office_user)

    assert texts(refused.value.reasons) == missing
    assert not Milestone.objects.filter(project=project, kind="approval").exists()


def test_a_closed_gate_that_names_nothing_still_gives_a_reason(office_user, monkeypatch, english):
    project = project_at(Status.CONSULTING, by=office_user)
    monkeypatch.setattr(workflow, "consultation_gate", lambda p: GateResult(passed=False))

    with pytest.raises(TransitionRefused) as refused:
        services.approve(project, by=office_user)

    assert texts(refused.value.reasons) == ["The consultation of the residents is not complete."]


def test_a_gate_result_is_truthy_only_when_open():
    # The gates themselves are their apps': see test_approval_gate.py and
    # test_acceptance_gate.py.
    assert GateResult.open()
    assert (GateResult.open().passed, GateResult.open().missing) == (True, [])
    assert not GateResult.closed(["x"])


def test_completion_is_refused_while_a_task_item_falls_short_by_any_amount(office_user, english):
    project = project_at(Status.UNDER_CONSTRUCTION, by=office_user)
    TaskItemFactory(
        project=project,
        description="生态停车位",
        planned_quantity=Decimal("20"),
        completed_quantity=Decimal("19.99"),
    )

    with pytest.raises(TransitionRefused) as refused:
        services.complete_construction(project, by=office_user)

    assert texts(refused.value.reasons) == ["“生态停车位” is not finished: 19.99 of 20 done."]


def test_completion_passes_when_each_item_reaches_exactly_its_plan(office_user):
    project = project_at(Status.UNDER_CONSTRUCTION, by=office_user)
    TaskItemFactory(project=project, planned_quantity=Decimal("20"), completed_quantity=20)
    TaskItemFactory(project=project, planned_quantity=Decimal("5"), completed_quantity=6)

    services.complete_construction(project, by=office_user)

    assert Project.objects.get(pk=project.pk).status == Status.COMPLETED


def test_completion_is_refused_without_task_items(office_user, english):
    project = project_at(Status.UNDER_CONSTRUCTION, by=office_user)
    project.task_items.all().delete()

    with pytest.raises(TransitionRefused) as refused:
        services.complete_construction(project, by=office_user)

    assert texts(refused.value.reasons) == ["The project has no task items."]


def test_acceptance_is_refused_with_what_the_acceptance_gate_says(office_user, english):
    project = project_at(Status.COMPLETED, by=office_user, acceptance=False)

    with pytest.raises(TransitionRefused) as refused:
        services.accept(project, by=office_user)

    assert texts(refused.value.reasons) == texts(workflow.acceptance_gate(project).missing)
    assert texts(refused.value.reasons) == [
        "No completion check has been recorded yet.",
        "No satisfaction survey has been opened yet.",
    ]
    assert Project.objects.get(pk=project.pk).status == Status.COMPLETED


def test_hand_over_is_refused_with_nobody_to_take_the_project_over(office_user, english):
    neighbourhood = NeighbourhoodFactory(name="老街小区")
    project = project_at(Status.ACCEPTED, by=office_user, neighbourhood=neighbourhood)

    with pytest.raises(TransitionRefused) as refused:
        services.hand_over(project, by=office_user)

    assert texts(refused.value.reasons) == [
        "“老街小区” has neither a property company nor an owners' committee to take the "
        "project over."
    ]


def test_hand_over_to_a_property_company(office_user):
    neighbourhood = NeighbourhoodFactory(property_company=PropertyCompanyFactory())
    project = project_at(Status.ACCEPTED, by=office_user, neighbourhood=neighbourhood)

    services.hand_over(project, by=office_user)

    assert Project.objects.get(pk=project.pk).status == Status.HANDED_OVER


def test_refusal_reasons_preview_what_a_step_would_say(office_user, english):
    project = project_at(Status.CONSULTING, by=office_user)
    project.task_items.all().delete()

    assert texts(services.refusal_reasons(project, "approve")) == [
        "The project has no task items: list the work to be done first.",
        "No closed discussion adopted the plan.",
    ]
    assert services.refusal_reasons(project, "start_consultation") != []
    with pytest.raises(ValueError):
        services.refusal_reasons(project, "demolish")


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_available_transitions_offer_the_one_next_step(office_user, status):
    project = project_at(status, by=office_user)

    names = [t.name for t in workflow.available_transitions(project)]

    expected = [t.name for t in TRANSITIONS if t.source == status]
    assert names == expected
    assert len(names) == (0 if status == Status.HANDED_OVER else 1)


# --- The ways around the services are closed ------------------------------------------------


def test_setting_the_status_and_saving_is_refused(office_user):
    project = project_at(Status.DRAFT, by=office_user)

    project.status = Status.APPROVED
    with pytest.raises(ProjectStatusLocked):
        project.save()

    assert Project.objects.get(pk=project.pk).status == Status.DRAFT
    assert ProjectTransition.objects.filter(project=project).count() == 0


def test_queryset_update_of_the_status_is_refused(office_user):
    project = project_at(Status.DRAFT, by=office_user)

    with pytest.raises(ProjectStatusLocked):
        Project.objects.filter(pk=project.pk).update(status=Status.ACCEPTED)
    project.status = Status.ACCEPTED
    with pytest.raises(ProjectStatusLocked):
        Project.objects.bulk_update([project], ["status"])

    assert Project.objects.get(pk=project.pk).status == Status.DRAFT
    assert Project.objects.filter(pk=project.pk).update(summary="可以") == 1


def test_a_project_cannot_be_born_past_draft():
    with pytest.raises(ProjectStatusLocked):
        ProjectFactory(status=Status.APPROVED)
    with pytest.raises(ProjectStatusLocked):
        Project.objects.bulk_create([ProjectFactory.build(status=Status.ACCEPTED)])
    assert not Project.objects.exists()


def test_saving_a_copy_read_before_a_transition_does_not_undo_it(office_user):
    project = project_at(Status.CONSULTING, by=office_user)
    stale = Project.objects.get(pk=project.pk)
    services.approve(project, by=office_user)

    stale.summary = "改后的说明"
    stale.save()

    stored = Project.objects.get(pk=project.pk)
    assert (stored.status, stored.summary) == (Status.APPROVED, "改后的说明")
    assert stored.history.first().status == Status.APPROVED


def test_a_copy_built_by_hand_cannot_reset_the_status(office_user):
    project = project_at(Status.APPROVED, by=office_user)
    copy = Project(
        pk=project.pk,
        neighbourhood=project.neighbourhood,
        name=project.name,
        batch_year=project.batch_year,
    )

    with pytest.raises(ProjectStatusLocked):
        copy.save()

    assert Project.objects.get(pk=project.pk).status == Status.APPROVED


def test_a_refreshed_copy_saves_normally(office_user):
    project = project_at(Status.CONSULTING, by=office_user)
    other = Project.objects.get(pk=project.pk)
    services.approve(other, by=office_user)

    project.refresh_from_db()
    project.name = "新名称"
    project.save()

    assert Project.objects.get(pk=project.pk).status == Status.APPROVED


def test_reading_projects_without_their_status_costs_no_extra_query(django_assert_num_queries):
    ProjectFactory.create_batch(3)
    with django_assert_num_queries(1):
        names = [p.name for p in Project.objects.only("name")]
    assert len(names) == 3


def test_the_database_lets_a_project_enter_a_status_once(office_user):
    project = project_at(Status.CONSULTING, by=office_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectTransition.objects.create(
            project=project, from_status=Status.DRAFT, to_status=Status.CONSULTING
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectTransition.objects.create(
            project=project, from_status=Status.CONSULTING, to_status=Status.CONSULTING
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_approving_the_same_project_at_once_leave_one_transition():
    """Two connections approve at the same moment: the row lock makes the second wait, see
    the project approved, and be refused."""
    office = make_user(Role.OFFICE, username="office-a")
    project = project_at(Status.CONSULTING, by=office)
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(note):
        try:
            copy = Project.objects.get(pk=project.pk)
            barrier.wait(timeout=10)
            services.approve(copy, by=office, note=note)
            outcomes.append("approved")
        except TransitionRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(note,)) for note in ("甲", "乙")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["approved", "refused"]
    assert ProjectTransition.objects.filter(project=project, to_status=Status.APPROVED).count() == 1
    assert Milestone.objects.filter(project=project, kind="approval").count() == 1
    assert Project.objects.get(pk=project.pk).status == Status.APPROVED


# --- The admin: buttons on the change page ------------------------------------------------


def transition_url(project, name):
    return reverse("admin:projects_project_transition", args=[project.pk, name])


def change_url(project):
    return reverse("admin:projects_project_change", args=[project.pk])


@pytest.mark.parametrize("transition", TRANSITIONS, ids=STEP_IDS)
def test_the_admin_button_takes_each_step(en_client, office_user, transition):
    project = project_at(transition.source, by=office_user)
    en_client.force_login(office_user)

    response = en_client.post(transition_url(project, transition.name), {"note": " 已核实 "})

    assert response.status_code == 302
    assert response.url == change_url(project)
    project.refresh_from_db()
    assert project.status == transition.target
    record = project.transitions.get(to_status=transition.target)
    assert (record.by, record.note) == (office_user, "已核实")
    assert shown_messages(response) == [
        f"{transition.label}: “{project.name}” is now “{Status(transition.target).label}”."
    ]


def test_the_admin_button_shows_why_a_step_is_refused(en_client, office_user):
    project = project_at(Status.UNDER_CONSTRUCTION, by=office_user)
    TaskItemFactory(project=project, description="屋面防水", planned_quantity=5)
    en_client.force_login(office_user)

    response = en_client.post(transition_url(project, "complete_construction"))

    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).status == Status.UNDER_CONSTRUCTION
    assert shown_messages(response) == [
        f"Complete construction refused for “{project.name}”: "
        "“屋面防水” is not finished: 0 of 5 done."
    ]


def test_the_admin_button_refuses_a_step_from_the_wrong_status(en_client, office_user):
    project = project_at(Status.DRAFT, by=office_user)
    en_client.force_login(office_user)

    response = en_client.post(transition_url(project, "accept"), follow=True)

    assert Project.objects.get(pk=project.pk).status == Status.DRAFT
    page = response.content.decode()
    assert "The project is “Draft”: it cannot be accepted directly." in page


def test_the_admin_button_takes_only_posts_and_known_steps(client, office_user):
    project = project_at(Status.DRAFT, by=office_user)
    client.force_login(office_user)

    assert client.get(transition_url(project, "start_consultation")).status_code == 405
    assert client.post(transition_url(project, "demolish")).status_code == 404
    assert Project.objects.get(pk=project.pk).status == Status.DRAFT


def test_community_staff_cannot_press_a_button(client, registers, office_user):
    project = project_at(Status.DRAFT, by=office_user, neighbourhood=registers.a.neighbourhood)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    assert client.post(transition_url(project, "start_consultation")).status_code == 403

    assert Project.objects.get(pk=project.pk).status == Status.DRAFT


def test_a_button_on_a_project_out_of_scope_finds_nothing(client, registers, office_user):
    project = project_at(Status.DRAFT, by=office_user, neighbourhood=registers.b.neighbourhood)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    response = client.post(transition_url(project, "start_consultation"))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert Project.objects.get(pk=project.pk).status == Status.DRAFT


def test_the_change_page_offers_the_next_step_with_what_would_block_it(en_client, office_user):
    project = project_at(Status.CONSULTING, by=office_user)
    project.task_items.all().delete()
    en_client.force_login(office_user)

    page = en_client.get(change_url(project)).content.decode()

    assert f'action="{transition_url(project, "approve")}"' in page
    assert "The project has no task items: list the work to be done first." in page
    for other in TRANSITIONS:
        if other.name != "approve":
            assert transition_url(project, other.name) not in page
    assert reverse("admin:projects_project_plan_schedule", args=[project.pk]) in page


def test_community_staff_see_the_project_without_buttons(client, registers, office_user):
    project = project_at(Status.DRAFT, by=office_user, neighbourhood=registers.a.neighbourhood)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    response = client.get(change_url(project))

    assert response.status_code == 200
    page = response.content.decode()
    assert "/transition/" not in page
    assert 'id="project-lifecycle"' not in page


# --- The admin: the change form never carries the status ------------------------------------


def test_the_change_form_has_no_status_field_and_ignores_a_posted_status(client, office_user):
    project = project_at(Status.DRAFT, by=office_user)
    client.force_login(office_user)
    page = client.get(change_url(project))
    assert "status" not in page.context["adminform"].form.fields

    data = change_form_data(page.content.decode(), name="改名后的项目", status=Status.ACCEPTED)
    response = client.post(change_url(project), data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    project.refresh_from_db()
    assert (project.name, project.status) == ("改名后的项目", Status.DRAFT)


def test_a_form_saved_after_a_concurrent_transition_keeps_the_new_status(client, office_user):
    project = project_at(Status.CONSULTING, by=office_user)
    client.force_login(office_user)
    data = change_form_data(client.get(change_url(project)).content.decode(), summary="会议纪要")
    services.approve(project, by=office_user)  # someone presses "Approve" meanwhile

    assert client.post(change_url(project), data).status_code == 302

    project.refresh_from_db()
    assert (project.status, project.summary) == (Status.APPROVED, "会议纪要")


# --- The admin: bulk actions ----------------------------------------------------------------


def changelist_url():
    return reverse("admin:projects_project_changelist")


@pytest.mark.parametrize("transition", TRANSITIONS, ids=STEP_IDS)
def test_a_bulk_action_takes_the_step_where_it_can_and_says_where_it_cannot(
    en_client, office_user, transition
):
    ready = [project_at(transition.source, by=office_user) for _ in range(2)]
    wrong_status = Status.HANDED_OVER if transition.source != Status.HANDED_OVER else Status.DRAFT
    stuck = project_at(wrong_status, by=office_user)
    en_client.force_login(office_user)

    response = en_client.post(
        changelist_url(),
        {"action": transition.name, "_selected_action": [p.pk for p in [*ready, stuck]]},
    )

    assert response.status_code == 302
    for project in ready:
        project.refresh_from_db()
        assert project.status == transition.target
    stuck.refresh_from_db()
    assert stuck.status == wrong_status
    said = shown_messages(response)
    assert len(said) == 3
    for project in ready:
        assert f"{transition.label}: “{project.name}” is now" in " ".join(said)
    assert (
        f"{transition.label} refused for “{stuck.name}”: The project is "
        f"“{Status(wrong_status).label}”" in " ".join(said)
    )


def test_a_bulk_approval_reports_each_failed_guard(en_client, office_user):
    good = project_at(Status.CONSULTING, by=office_user)
    empty = project_at(Status.CONSULTING, by=office_user)
    empty.task_items.all().delete()
    en_client.force_login(office_user)

    response = en_client.post(
        changelist_url(), {"action": "approve", "_selected_action": [good.pk, empty.pk]}
    )

    assert Project.objects.get(pk=good.pk).status == Status.APPROVED
    assert Project.objects.get(pk=empty.pk).status == Status.CONSULTING
    assert (
        f"Approve refused for “{empty.name}”: The project has no task items: list the work "
        "to be done first. No closed discussion adopted the plan." in shown_messages(response)
    )


def test_community_staff_are_offered_no_lifecycle_actions(client, registers, office_user):
    project = project_at(Status.DRAFT, by=office_user, neighbourhood=registers.a.neighbourhood)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    response = client.get(changelist_url())
    assert response.context["action_form"] is None  # no action at all: no action bar

    client.post(
        changelist_url(), {"action": "start_consultation", "_selected_action": [project.pk]}
    )
    assert Project.objects.get(pk=project.pk).status == Status.DRAFT


# --- The admin list ---------------------------------------------------------------------------


def test_community_staff_list_only_their_projects(client, registers, office_user):
    mine = project_at(Status.DRAFT, by=office_user, neighbourhood=registers.a.neighbourhood)
    project_at(Status.DRAFT, by=office_user, neighbourhood=registers.b.neighbourhood)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    response = client.get(changelist_url())

    assert [p.pk for p in response.context["cl"].result_list] == [mine.pk]


def test_the_list_filters_by_status_batch_and_community(client, registers, office_user):
    a = project_at(Status.APPROVED, by=office_user, neighbourhood=registers.a.neighbourhood)
    b = project_at(Status.DRAFT, by=office_user, neighbourhood=registers.b.neighbourhood)
    c = project_at(
        Status.DRAFT, by=office_user, neighbourhood=registers.c.neighbourhood, batch_year=2025
    )
    client.force_login(office_user)

    def listed(**params):
        response = client.get(changelist_url(), params)
        return {p.pk for p in response.context["cl"].result_list}

    assert listed(status__exact="approved") == {a.pk}
    assert listed(batch_year__exact=2025) == {c.pk}
    assert listed(community=registers.b.community.pk) == {b.pk}


def _grow_projects(count, office_user):
    for _ in range(count):
        project = ProjectFactory(deadline=datetime.date(2026, 12, 31))
        services.plan_schedule(project, by=office_user)


def test_the_project_list_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page (session, user, the user's permissions held directly and through
    # groups), 2 for the request's savepoint and its release (ATOMIC_REQUESTS in a test), the
    # community filter's choices, the batch filter's distinct years, 2 counts (the paginator,
    # the "N total") and the page: neighbourhoods joined, the "behind schedule" flag an EXISTS
    # subquery in the same SELECT.
    client.force_login(office_user)
    _grow_projects(3, office_user)
    with django_assert_num_queries(11):
        assert len(client.get(changelist_url()).context["cl"].result_list) == 3
    _grow_projects(7, office_user)
    with django_assert_num_queries(11):
        response = client.get(changelist_url())
    assert len(response.context["cl"].result_list) == 10


def test_only_a_draft_project_can_be_deleted_in_the_admin(client):
    from projects.models import Project

    from .conftest import make_user
    from .factories import ProjectFactory

    draft = ProjectFactory()
    consulting = ProjectFactory()
    from projects import services

    services.start_consultation(consulting, by=None)
    client.force_login(make_user(Role.OFFICE))
    url = "admin:projects_project_delete"
    assert client.get(reverse(url, args=[consulting.pk])).status_code == 403
    assert client.get(reverse(url, args=[draft.pk])).status_code == 200
    changelist = client.get(reverse("admin:projects_project_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    assert Project.objects.filter(pk=consulting.pk).exists()
