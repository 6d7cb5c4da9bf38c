"""A project's records as staff keep them: who may change the plan, what is frozen once
accepted, what the figures must respect."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from projects.forms import DisclosureForm
from projects.models import Project, TaskItem
from residents.roles import Role

from .conftest import make_user
from .factories import FundingLineFactory, ProjectFactory, TaskItemFactory
from .formdata import form_data
from .test_project_lifecycle import project_at

pytestmark = pytest.mark.django_db


def _task_item_url(item):
    return reverse("admin:projects_taskitem_change", args=[item.pk])


def test_a_task_items_status_follows_its_quantities():
    item = TaskItemFactory(planned_quantity=10, completed_quantity=0)
    assert item.status == TaskItem.Status.PLANNED
    item.completed_quantity = Decimal("4")
    item.save(update_fields=["completed_quantity"])
    item.refresh_from_db()
    assert item.status == TaskItem.Status.IN_PROGRESS
    item.completed_quantity = Decimal("10")
    item.save()
    assert TaskItem.objects.get(pk=item.pk).status == TaskItem.Status.DONE


def test_community_staff_report_progress_but_do_not_change_the_plan(client, registers):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    item = TaskItemFactory(project=project, planned_quantity=10, budget=Decimal("5000.00"))
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    page = client.get(_task_item_url(item)).content.decode()
    assert 'name="planned_quantity"' not in page and 'name="budget"' not in page
    data = form_data(page, completed_quantity="6", planned_quantity="1", budget="99999")
    response = client.post(_task_item_url(item), data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.completed_quantity == 6
    assert item.planned_quantity == 10 and item.budget == Decimal("5000.00")


def test_the_work_of_an_accepted_project_is_kept_as_accepted(client):
    office = make_user(Role.OFFICE)
    project = project_at(Project.Status.ACCEPTED, by=office)
    item = project.task_items.get()
    client.force_login(office)
    page = client.get(_task_item_url(item)).content.decode()
    assert 'name="_save"' not in page
    response = client.post(_task_item_url(item), form_data(page, completed_quantity="1"))
    assert response.status_code == 403
    project_page = client.get(reverse("admin:projects_project_change", args=[project.pk]))
    assert 'name="task_items-0-completed_quantity"' not in project_page.content.decode()


def test_more_cannot_be_spent_than_has_arrived():
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingLineFactory(arrived=Decimal("100.00"), spent=Decimal("100.01"))
    FundingLineFactory(arrived=Decimal("100.00"), spent=Decimal("100.00"))


def test_a_refused_document_is_explained_once(settings):
    settings.LANGUAGE_CODE = "en"
    project = ProjectFactory()
    fake = SimpleUploadedFile("notice.pdf", b"<html>not a pdf</html>", "application/pdf")
    form = DisclosureForm(
        data={"project": project.pk, "category": "procedures", "title": "方案", "is_public": "on"},
        files={"file": fake},
    )
    assert not form.is_valid()
    assert len(form.errors["file"]) == 1


def test_the_project_list_marks_late_projects_in_words(client):
    import datetime

    project = ProjectFactory(deadline=datetime.date(2020, 1, 31))
    from projects import services

    services.plan_schedule(project)
    client.force_login(make_user(Role.OFFICE))
    body = client.get(reverse("admin:projects_project_changelist")).content.decode()
    assert 'class="behind-schedule"' in body
