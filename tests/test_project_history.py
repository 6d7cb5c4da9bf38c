"""Everything traceable (rule 6): every write path to a project and its records leaves a
django-simple-history record naming who made it, and the history reads within each role's
scope: the auditor sees every project's, community staff only their own."""

import datetime

import pytest
from django.urls import reverse

from projects import services
from projects.models import Milestone, Project, TaskItem
from residents.roles import Role

from .conftest import make_user
from .factories import FundingLineFactory, ProjectFactory, TaskItemFactory
from .formdata import form_data
from .test_project_lifecycle import change_form_data, project_at

pytestmark = pytest.mark.django_db

Status = Project.Status


def history_url(project):
    return reverse("admin:projects_project_history", args=[project.pk])


def version_url(project, record):
    return reverse("admin:projects_project_simple_history", args=[project.pk, record.history_id])


# --- Every write path keeps history with its user -------------------------------------------


def test_a_transition_from_the_shell_is_kept_with_the_user_who_made_it(office_user):
    project = ProjectFactory()

    services.start_consultation(project, by=office_user, note="开始入户走访")

    latest = project.history.first()
    assert (latest.status, latest.history_type) == (Status.CONSULTING, "~")
    assert latest.history_user == office_user
    assert latest.history_change_reason == "start_consultation"
    milestone = Milestone.history.get(project_id=project.pk)
    assert milestone.history_user == office_user


def test_a_bulk_action_on_three_projects_leaves_a_record_for_each_with_the_user(
    client, office_user
):
    projects = [project_at(Status.APPROVED, by=office_user) for _ in range(3)]
    before = {p.pk: p.history.count() for p in projects}
    clerk = make_user(Role.OFFICE, username="clerk")
    client.force_login(clerk)

    client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "start_tendering", "_selected_action": [p.pk for p in projects]},
    )

    for project in projects:
        assert project.history.count() == before[project.pk] + 1
        latest = project.history.first()
        assert (latest.status, latest.history_user) == (Status.TENDERING, clerk)
        tendering = Milestone.history.filter(project_id=project.pk, kind="tendering_start")
        assert tendering.first().history_user == clerk


def test_planning_schedules_in_bulk_keeps_each_milestones_history(client, office_user):
    projects = ProjectFactory.create_batch(3, deadline=datetime.date(2026, 12, 31))
    client.force_login(office_user)

    client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "plan_schedule", "_selected_action": [p.pk for p in projects]},
    )

    records = Milestone.history.filter(project_id__in=[p.pk for p in projects])
    assert records.count() == 18
    assert set(records.values_list("history_user", flat=True)) == {office_user.pk}


def test_the_change_form_and_its_inlines_keep_history_with_the_user(client, office_user):
    project = project_at(Status.APPROVED, by=office_user)
    item = TaskItemFactory(project=project, planned_quantity=8, completed_quantity=0)
    client.force_login(office_user)
    page = client.get(reverse("admin:projects_project_change", args=[project.pk]))
    data = change_form_data(page.content.decode(), summary="按居民意见调整")
    items = {data[f"task_items-{i}-id"]: i for i in range(int(data["task_items-TOTAL_FORMS"]))}
    data[f"task_items-{items[str(item.pk)]}-completed_quantity"] = "3"
    data.update(
        {
            "milestones-TOTAL_FORMS": str(int(data["milestones-TOTAL_FORMS"]) + 1),
            **{
                f"milestones-{data['milestones-TOTAL_FORMS']}-{field}": value
                for field, value in {
                    "project": project.pk,
                    "kind": "construction_end",
                    "planned_date": "2026-11-30",
                }.items()
            },
        }
    )

    response = client.post(reverse("admin:projects_project_change", args=[project.pk]), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    latest = project.history.first()
    assert (latest.summary, latest.status, latest.history_user) == (
        "按居民意见调整",
        Status.APPROVED,
        office_user,
    )
    assert TaskItem.history.filter(id=item.pk).first().history_user == office_user
    added = Milestone.history.get(project_id=project.pk, kind="construction_end")
    assert (added.history_type, added.history_user) == ("+", office_user)


# --- Who reads the history -------------------------------------------------------------------


def test_the_auditor_opens_the_history_of_any_project(client, registers, office_user):
    project = project_at(Status.APPROVED, by=office_user, neighbourhood=registers.b.neighbourhood)
    auditor = make_user(Role.AUDITOR, username="auditor")
    client.force_login(auditor)

    response = client.get(history_url(project))

    assert response.status_code == 200
    page = response.content.decode()
    assert "office" in page  # who moved it
    assert str(Status.CONSULTING.label) in page  # the status change, by label
    assert str(Status.APPROVED.label) in page
    record = project.history.last()
    assert client.get(version_url(project, record)).status_code == 200


def test_community_staff_open_the_history_of_their_projects_only(client, registers, office_user):
    mine = project_at(Status.CONSULTING, by=office_user, neighbourhood=registers.a.neighbourhood)
    theirs = project_at(Status.CONSULTING, by=office_user, neighbourhood=registers.b.neighbourhood)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    assert client.get(history_url(mine)).status_code == 200
    response = client.get(history_url(theirs))
    assert (response.status_code, response.url) == (302, reverse("admin:index"))
    response = client.get(version_url(theirs, theirs.history.first()))
    assert (response.status_code, response.url) == (302, reverse("admin:index"))
    followed = client.get(history_url(theirs), follow=True).content.decode()
    assert theirs.name not in followed


def test_an_old_version_cannot_be_restored_over_the_lifecycle(client, office_user):
    project = project_at(Status.APPROVED, by=office_user)
    draft = project.history.last()  # as created, a draft
    client.force_login(office_user)
    page = client.get(version_url(project, draft))
    assert page.status_code == 200

    response = client.post(version_url(project, draft), form_data(page.content.decode()))

    assert response.status_code == 403
    assert Project.objects.get(pk=project.pk).status == Status.APPROVED


@pytest.mark.parametrize(
    ("model_name", "factory"),
    [("taskitem", TaskItemFactory), ("fundingline", FundingLineFactory)],
)
def test_the_history_of_a_projects_records_is_read_within_scope(client, model_name, factory):
    record = factory()
    url = reverse(f"admin:projects_{model_name}_history", args=[record.pk])
    client.force_login(make_user(Role.AUDITOR))
    assert client.get(url).status_code == 200
    client.force_login(make_user(Role.COMMUNITY, communities=[]))
    response = client.get(url)
    assert response.status_code == 302  # not in this user's communities: as if missing
    assert response["Location"] == reverse("admin:index")
