"""Community staff's scope on the doors ``test_admin_scoping`` leaves: admin actions applied
to another community's rows, and an import naming another community's neighbourhood.

The ``registers`` fixture (conftest) gives communities A, B and C; staff work in A.
"""

import pytest
from django.urls import reverse

from imports.models import ImportJob
from residents.models import Household
from residents.roles import Role
from surveys.links import issue_link
from surveys.models import Discussion, HouseholdLink

from .conftest import make_user
from .factories import DiscussionFactory, ProjectFactory
from .test_imports import confirm, household, register_state, upload, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, registers):
    user = make_user(Role.COMMUNITY, communities=[registers.a.community], username="cg-doors")
    client.force_login(user)
    return user


def _act(client, model, action, rows):
    return client.post(
        reverse(f"admin:surveys_{model}_changelist"),
        {"action": action, "_selected_action": [row.pk for row in rows]},
    )


def test_closing_another_communitys_discussion_by_its_id_does_nothing(client, registers, staff):
    theirs = DiscussionFactory(project=ProjectFactory(neighbourhood=registers.b.neighbourhood))
    _act(client, "discussion", "close_discussions", [theirs])
    assert Discussion.objects.get(pk=theirs.pk).closed_at is None


def test_revoking_another_communitys_household_link_by_its_id_does_nothing(
    client, registers, staff
):
    issue_link(registers.b.household)
    issue_link(registers.a.household)
    links = list(HouseholdLink.objects.all())
    _act(client, "householdlink", "revoke_selected", links)
    revoked = set(HouseholdLink.objects.filter(revoked_at__isnull=False).values_list("pk"))
    assert revoked == set(
        HouseholdLink.objects.filter(household=registers.a.household).values_list("pk")
    )


def test_an_import_naming_only_another_communitys_neighbourhood_is_refused(
    client, registers, staff
):
    before = register_state()
    job = upload(
        client,
        xlsx([household("901", name="越界户", **{"社区": "江南社区", "小区": "江南小区"})]),
    )
    assert job.counts.get("new", 0) == 0 and job.counts["invalid"] == 1
    [[column, reason]] = job.preview["rows"]["invalid"][0]["errors"]
    assert column == "小区" and reason
    page = client.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    assert reason in page
    assert not job.importable
    assert confirm(client, job).state != ImportJob.State.DONE
    assert register_state() == before
    assert not Household.objects.filter(head_name="越界户").exists()
