"""The audit trail of a project (全过程跟踪审计): every change to the project and to its
milestones, task items, funds, disclosures and photos on one page, newest first, with who,
when, what (field: old → new) and why, read within each role's scope.

Pages are read in English (``HTTP_ACCEPT_LANGUAGE``): the Chinese catalogue is filled in
separately, and the English msgids are what these tests can pin.
"""

import datetime
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from projects import services
from projects.audit import Action, project_audit_trail
from projects.models import Photo, Project
from projects.workflow import TRANSITIONS_BY_NAME
from residents.roles import Role

from .conftest import make_user
from .factories import (
    CatalogueKindFactory,
    DisclosureFactory,
    FundingLineFactory,
    MilestoneFactory,
    PhotoFactory,
    ProjectFactory,
    TaskItemFactory,
)
from .test_project_lifecycle import change_form_data, project_at

pytestmark = pytest.mark.django_db

Status = Project.Status


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def audit_url(project):
    return reverse("admin:projects_project_audit", args=[project.pk])


def change_url(project):
    return reverse("admin:projects_project_change", args=[project.pk])


def table_rows(response) -> list[str]:
    """The text of each row of the audit table, tags stripped and spaces collapsed."""
    body = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


def rows_with(rows, *texts) -> list[str]:
    return [row for row in rows if all(text in row for text in texts)]


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return SimpleUploadedFile("IMG_0001.JPG", buffer.getvalue(), content_type="image/jpeg")


def entries_of(project, record_type):
    return [e for e in project_audit_trail(project) if e.record_type == record_type]


# --- What the page lists --------------------------------------------------------------------


def test_a_transition_and_inline_edits_are_listed_with_their_user_and_old_and_new_values(
    en_client, office_user
):
    project = project_at(Status.APPROVED, by=office_user)
    item = TaskItemFactory(project=project, planned_quantity=8, completed_quantity=0)
    FundingLineFactory(project=project, source="county", arrived=Decimal("0.00"))
    DisclosureFactory(project=project, title="招标文件", is_public=False)
    clerk = make_user(Role.OFFICE, username="clerk")
    en_client.force_login(clerk)
    en_client.post(
        reverse("admin:projects_project_transition", args=[project.pk, "start_tendering"]),
        {"note": "招标公告已发布"},
    )
    data = change_form_data(en_client.get(change_url(project)).content.decode())
    data = {key: value for key, value in data.items() if "__prefix__" not in key}
    items = {data[f"task_items-{i}-id"]: i for i in range(int(data["task_items-TOTAL_FORMS"]))}
    data[f"task_items-{items[str(item.pk)]}-completed_quantity"] = "3"
    data["funding_lines-0-arrived"] = "50000.00"
    data["disclosures-0-is_public"] = "on"
    photos = int(data["photos-TOTAL_FORMS"])
    data.update(
        {
            "photos-TOTAL_FORMS": str(photos + 1),
            f"photos-{photos}-project": str(project.pk),
            f"photos-{photos}-stage": "before",
            f"photos-{photos}-caption": "东门改造前",
            f"photos-{photos}-image": jpeg(),
        }
    )
    response = en_client.post(change_url(project), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    en_client.force_login(make_user(Role.AUDITOR, username="auditor"))

    response = en_client.get(audit_url(project))

    assert response.status_code == 200
    rows = table_rows(response)
    assert rows_with(rows, "clerk", "Project", "Status: Approved → Tendering", "Start tendering")
    assert rows_with(rows, "clerk", "Task item", "Changed", "Completed quantity: 0 → 3")
    assert rows_with(rows, "clerk", "Funding line", "Arrived (yuan): 0 → 50000")
    assert rows_with(rows, "clerk", "Public disclosure", "招标文件", "Public: No → Yes")
    assert rows_with(rows, "clerk", "Photo", "东门改造前", "Created", "Caption: — → 东门改造前")
    assert rows_with(rows, "clerk", "Milestone", "Tendering starts", "Actual: — →")
    assert rows_with(rows, "office", "Project", "Status: Draft → Consulting residents")
    # The form also saved the project itself, unchanged: that is no change to show.
    assert len(rows_with(rows, "clerk", "Project")) == 1


def test_the_trail_is_newest_first(office_user, english):
    project = ProjectFactory(name="东城片区")
    services.start_consultation(project, by=office_user)
    line = FundingLineFactory(project=project)
    line.arrived = Decimal("10")
    line.save()

    entries = project_audit_trail(project)

    assert [(e.record_type, e.action) for e in entries] == [
        ("Funding line", Action.CHANGED),
        ("Funding line", Action.CREATED),
        ("Milestone", Action.CREATED),
        ("Project", Action.CHANGED),
        ("Project", Action.CREATED),
    ]
    assert [e.when for e in entries] == sorted((e.when for e in entries), reverse=True)


def test_a_status_change_shows_the_status_labels_without_the_time_of_the_change(
    office_user, english
):
    project = ProjectFactory()

    services.start_consultation(project, by=office_user)

    (change, _created) = entries_of(project, "Project")
    assert change.changes == [("Status", "Draft", "Consulting residents")]
    assert change.user == "office"


def test_the_reason_is_the_transitions_label_not_its_code(en_client, office_user):
    project = ProjectFactory()
    services.start_consultation(project, by=office_user)
    en_client.force_login(make_user(Role.AUDITOR))

    page = en_client.get(audit_url(project)).content.decode()

    assert "Start the consultation" in page
    assert "start_consultation" not in page


def test_the_reason_carries_the_note_given_with_the_step(office_user, english):
    project = project_at(Status.CONSULTING, by=office_user)

    services.approve(project, by=office_user, note="居民同意率96%")

    latest = entries_of(project, "Project")[0]
    assert latest.reason == "Approve: 居民同意率96%"


def test_the_reason_reads_in_the_readers_language(office_user):
    project = ProjectFactory()
    services.start_consultation(project, by=office_user)
    label = TRANSITIONS_BY_NAME["start_consultation"].label

    with translation.override("zh-hans"):
        chinese = entries_of(project, str(Project._meta.verbose_name))[0]
        assert chinese.reason == str(label)
        assert chinese.changes[0].new == str(Status.CONSULTING.label)
    assert chinese.reason != "Start the consultation"


def test_a_reason_that_is_no_transition_is_shown_as_stored(office_user, english):
    project = ProjectFactory()
    project.summary = "按居民意见调整"
    project._change_reason = "居民议事会决定"
    project.save()

    assert entries_of(project, "Project")[0].reason == "居民议事会决定"


def test_a_later_save_of_the_moved_project_is_not_told_as_the_step(office_user, english):
    project = ProjectFactory()
    moved = services.start_consultation(project, by=office_user)
    moved.summary = "补充说明"
    moved.save()  # the instance still holds the step's name as its change reason

    edit, step, _created = entries_of(project, "Project")

    assert edit.changes == [("Summary", "", "补充说明")]
    assert edit.reason != "Start the consultation"
    assert step.reason == "Start the consultation"


def test_values_read_as_people_read_them(office_user, english):
    kind = CatalogueKindFactory(code="audit-parking", name_en="Eco parking spaces")
    project = ProjectFactory(responsible=office_user, deadline=datetime.date(2026, 11, 30))
    TaskItemFactory(project=project, kind=kind, planned_quantity=Decimal("12.50"))
    line = FundingLineFactory(project=project, source="central", planned=Decimal("100000.00"))
    milestone = MilestoneFactory(project=project, kind="approval")
    milestone.actual_date = datetime.date(2026, 5, 4)
    milestone.save()
    line.delete()

    entries = project_audit_trail(project)

    created = {e.record_type: {c.field: c.new for c in e.changes} for e in entries[::-1]}
    assert created["Project"]["Responsible staff"] == "office"  # the username
    assert created["Project"]["Neighbourhood"] == project.neighbourhood.name
    assert created["Project"]["Deadline"] == "Nov. 30, 2026"
    assert created["Task item"]["Kind of work"] == "Eco parking spaces"
    assert created["Task item"]["Planned quantity"] == "12.5"
    task_item = next(e for e in entries if e.record_type == "Task item")
    assert task_item.record == "Eco parking spaces 12.5"
    (milestone_change,) = [e for e in entries if e.record_type == "Milestone" and e.action == "~"]
    assert milestone_change.changes == [("Actual", "", "May 4, 2026")]
    deleted = next(e for e in entries if e.action == Action.DELETED)
    assert (deleted.record_type, deleted.record) == ("Funding line", "Central subsidy 100000.00")
    assert ("Planned (yuan)", "100000", "") in deleted.changes
    assert ("Source", "Central subsidy", "") in deleted.changes
    fields = {c.field for e in entries for c in e.changes}
    assert not fields & {"ID", "Project", "Status changed", "Created"}


def test_a_photo_is_listed_without_its_thumbnail_and_size(office_user, english):
    project = ProjectFactory()
    photo = PhotoFactory(project=project, caption="", stage="after")

    (entry,) = entries_of(project, "Photo")

    assert (entry.record, entry.action) == ("After", Action.CREATED)
    fields = {c.field for c in entry.changes}
    assert {"Stage", "Photo"} <= fields
    assert not fields & {"Thumbnail", "Width", "Height"}
    assert Photo.history.get(id=photo.pk).width == 64


def test_the_trail_holds_only_this_projects_records(office_user, english):
    project, other = ProjectFactory(), ProjectFactory()
    DisclosureFactory(project=other, title="别家文件")
    TaskItemFactory(project=other)

    records = {(e.record_type, e.record) for e in project_audit_trail(project)}

    assert records == {("Project", project.name)}


# --- Who may read it ------------------------------------------------------------------------


def test_the_change_page_links_to_the_audit_trail(en_client, office_user):
    project = ProjectFactory()
    en_client.force_login(office_user)

    page = en_client.get(change_url(project)).content.decode()

    assert f'href="{audit_url(project)}"' in page


def test_the_auditor_opens_the_audit_trail_of_any_project(en_client, registers, office_user):
    project = project_at(Status.APPROVED, by=office_user, neighbourhood=registers.b.neighbourhood)
    en_client.force_login(make_user(Role.AUDITOR, username="auditor"))

    response = en_client.get(audit_url(project))

    assert response.status_code == 200
    assert rows_with(table_rows(response), "office", "Status: Consulting residents → Approved")


def test_community_staff_open_the_audit_trail_of_their_projects_only(
    client, registers, office_user
):
    mine = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    theirs = ProjectFactory(neighbourhood=registers.b.neighbourhood)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    assert client.get(audit_url(mine)).status_code == 200
    response = client.get(audit_url(theirs))
    assert (response.status_code, response.url) == (302, reverse("admin:index"))
    assert theirs.name not in client.get(audit_url(theirs), follow=True).content.decode()


def test_a_leader_outside_the_admin_is_sent_to_the_login(client, office_user):
    project = ProjectFactory()
    client.force_login(make_user(Role.LEADER))

    response = client.get(audit_url(project))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_audit_page_runs_the_same_queries_for_2_and_20_changes(
    client, office_user, django_assert_num_queries
):
    project = ProjectFactory(responsible=office_user)
    item = TaskItemFactory(project=project, planned_quantity=20)
    line = FundingLineFactory(project=project)
    client.force_login(make_user(Role.AUDITOR))

    def change_both(times):
        for _ in range(times):
            item.completed_quantity += 1
            item.save()
            line.arrived += 1000
            line.save()

    # 4 for every admin page (session, user, the user's permissions held directly and
    # through groups), 2 for the request's savepoint and its release, the project; then the
    # trail: the versions of the project, milestones, task items, funding lines, disclosures
    # and photos, and of the acceptance's checks, their items and participants and survey
    # rounds (one query each, with their users), the rows the versions point at (the
    # neighbourhood, the responsible staff, the kinds of work) and the notes of the steps.
    change_both(1)  # 2 changes
    with django_assert_num_queries(21):
        response = client.get(audit_url(project))
    assert len(response.context["entries"]) == 3 + 2  # and the three records created
    change_both(9)  # 20 changes
    with django_assert_num_queries(21):
        response = client.get(audit_url(project))
    assert len(response.context["entries"]) == 3 + 20


def test_the_trail_tells_the_acceptance_of_the_project(office_user, english):
    project = project_at(Project.Status.ACCEPTED, by=office_user)

    kinds = {entry.record_type.lower() for entry in project_audit_trail(project)}

    assert {"completion check", "checklist item", "participant"} <= kinds
    assert "satisfaction survey round" in kinds
