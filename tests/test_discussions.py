"""One discussion (一议): a residents' meeting on a project's plan, closed through
``surveys.services.close_discussion`` once its minutes are written and it adopted plan items,
and read-only afterwards; its admin, within each user's scope.

Messages are read in English (``english`` fixture, ``HTTP_ACCEPT_LANGUAGE``).
"""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from residents.roles import Role
from surveys import services
from surveys.models import Discussion
from surveys.services import DiscussionRefused

from .conftest import make_user
from .factories import (
    BuildingHeadFactory,
    CommitteeMemberFactory,
    DiscussionFactory,
    HouseholdFactory,
    ProjectFactory,
    TaskItemFactory,
)
from .formdata import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def texts(reasons):
    return [str(reason) for reason in reasons]


def shown_messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def ready_discussion(**kwargs):
    """An open meeting with minutes that adopted one item of its project's plan."""
    project = kwargs.pop("project", None) or ProjectFactory()
    item = TaskItemFactory(project=project)
    return DiscussionFactory(
        project=project, minutes="一致同意改造方案。", adopted_items=[item], **kwargs
    )


# --- Closing through the service ---------------------------------------------------------------


def test_closing_records_who_and_when(office_user):
    discussion = ready_discussion()

    closed = services.close_discussion(discussion, by=office_user)

    stored = Discussion.objects.get(pk=discussion.pk)
    assert stored.is_closed and discussion.is_closed and closed.is_closed
    assert (stored.closed_by, stored.closed_at) == (office_user, closed.closed_at)
    assert stored.history.first().history_user == office_user


def test_closing_needs_the_minutes(office_user, english):
    discussion = ready_discussion()
    Discussion.objects.filter(pk=discussion.pk).update(minutes="  ")

    with pytest.raises(DiscussionRefused) as refused:
        services.close_discussion(discussion, by=office_user)

    assert texts(refused.value.reasons) == ["The minutes of the meeting have not been written."]
    assert not Discussion.objects.get(pk=discussion.pk).is_closed


def test_closing_needs_an_adopted_plan_item(office_user, english):
    project = ProjectFactory()
    proposed = TaskItemFactory(project=project)
    discussion = DiscussionFactory(
        project=project, minutes="未形成决议。", proposed_items=[proposed]
    )

    with pytest.raises(DiscussionRefused) as refused:
        services.close_discussion(discussion, by=office_user)

    assert texts(refused.value.reasons) == ["The meeting adopted no plan item."]


def test_closing_lists_every_reason_at_once(office_user, english):
    discussion = DiscussionFactory(minutes="")

    with pytest.raises(DiscussionRefused) as refused:
        services.close_discussion(discussion, by=office_user)

    assert texts(refused.value.reasons) == [
        "The minutes of the meeting have not been written.",
        "The meeting adopted no plan item.",
    ]


def test_closing_refuses_items_of_another_project(office_user, english):
    discussion = DiscussionFactory(minutes="纪要", adopted_items=[TaskItemFactory()])

    with pytest.raises(DiscussionRefused) as refused:
        services.close_discussion(discussion, by=office_user)

    assert texts(refused.value.reasons) == ["The meeting adopted plan items of another project."]


def test_a_meeting_is_closed_once(office_user, english):
    discussion = ready_discussion()
    services.close_discussion(discussion, by=office_user)
    first = Discussion.objects.get(pk=discussion.pk).closed_at

    with pytest.raises(DiscussionRefused) as refused:
        services.close_discussion(discussion, by=make_user(Role.OFFICE))

    assert texts(refused.value.reasons) == ["The meeting is already closed."]
    stored = Discussion.objects.get(pk=discussion.pk)
    assert (stored.closed_at, stored.closed_by) == (first, office_user)


def test_a_refusal_is_translated_when_shown(office_user):
    discussion = DiscussionFactory(minutes="")
    with translation.override("en"), pytest.raises(DiscussionRefused) as refused:
        services.close_discussion(discussion, by=office_user)
    with translation.override("en"):
        english_text = str(refused.value.reasons[0])
    assert english_text == "The minutes of the meeting have not been written."


# --- The admin: closing, then read-only --------------------------------------------------------


def change_url(discussion):
    return reverse("admin:surveys_discussion_change", args=[discussion.pk])


def close_url(discussion):
    return reverse("admin:surveys_discussion_close", args=[discussion.pk])


def changelist_url():
    return reverse("admin:surveys_discussion_changelist")


def test_the_close_button_closes_the_meeting(en_client, registers):
    discussion = ready_discussion(project=ProjectFactory(neighbourhood=registers.a.neighbourhood))
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    en_client.force_login(staff)
    assert close_url(discussion) in en_client.get(change_url(discussion)).content.decode()

    response = en_client.post(close_url(discussion))

    assert response.status_code == 302
    assert response.url == change_url(discussion)
    stored = Discussion.objects.get(pk=discussion.pk)
    assert stored.closed_by == staff
    assert shown_messages(response) == [
        f"“{discussion}” is closed: it counts for the approval and can no longer be changed."
    ]


def test_the_close_button_says_why_it_is_refused(en_client, office_user):
    discussion = DiscussionFactory(minutes="")
    en_client.force_login(office_user)
    page = en_client.get(change_url(discussion)).content.decode()
    assert "The minutes of the meeting have not been written." in page  # said beforehand

    response = en_client.post(close_url(discussion))

    assert not Discussion.objects.get(pk=discussion.pk).is_closed
    assert shown_messages(response) == [
        f"“{discussion}” was not closed: The minutes of the meeting have not been written. "
        "The meeting adopted no plan item."
    ]


def test_the_close_button_takes_only_posts(client, office_user):
    discussion = ready_discussion()
    client.force_login(office_user)
    assert client.get(close_url(discussion)).status_code == 405
    assert not Discussion.objects.get(pk=discussion.pk).is_closed


def test_a_closed_meeting_is_read_only(client, office_user):
    discussion = ready_discussion()
    services.close_discussion(discussion, by=office_user)
    client.force_login(office_user)

    page = client.get(change_url(discussion))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert 'name="minutes"' not in html
    assert close_url(discussion) not in html
    response = client.post(change_url(discussion), {"minutes": "改写的纪要", "place": "别处"})
    assert response.status_code == 403
    assert Discussion.objects.get(pk=discussion.pk).minutes == "一致同意改造方案。"
    delete = reverse("admin:surveys_discussion_delete", args=[discussion.pk])
    assert client.get(delete).status_code == 403


def test_the_bulk_action_closes_what_it_can_and_says_what_it_cannot(en_client, office_user):
    ready = ready_discussion()
    unfinished = DiscussionFactory(minutes="")
    en_client.force_login(office_user)

    response = en_client.post(
        changelist_url(),
        {"action": "close_discussions", "_selected_action": [ready.pk, unfinished.pk]},
    )

    assert response.status_code == 302
    assert Discussion.objects.get(pk=ready.pk).is_closed
    assert not Discussion.objects.get(pk=unfinished.pk).is_closed
    said = " ".join(shown_messages(response))
    assert f"“{ready}” is closed" in said
    assert f"“{unfinished}” was not closed: The minutes" in said


def test_the_close_button_on_a_meeting_out_of_scope_finds_nothing(client, registers):
    discussion = ready_discussion(project=ProjectFactory(neighbourhood=registers.b.neighbourhood))
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    response = client.post(close_url(discussion))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert not Discussion.objects.get(pk=discussion.pk).is_closed


def test_visit_team_members_cannot_close_meetings(client, registers, visitor):
    discussion = ready_discussion(project=ProjectFactory(neighbourhood=registers.c.neighbourhood))
    client.force_login(visitor)

    client.post(close_url(discussion))

    assert not Discussion.objects.get(pk=discussion.pk).is_closed


# --- The admin: scope and the meeting's form ---------------------------------------------------


def test_community_staff_list_only_the_meetings_of_their_community(client, registers):
    mine = DiscussionFactory(project=ProjectFactory(neighbourhood=registers.a.neighbourhood))
    theirs = DiscussionFactory(project=ProjectFactory(neighbourhood=registers.b.neighbourhood))
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    response = client.get(changelist_url())

    assert {d.pk for d in response.context["cl"].result_list} == {mine.pk}
    assert client.get(change_url(theirs)).status_code == 302


def test_the_form_offers_the_projects_own_items_and_representatives(client, registers):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    item = TaskItemFactory(project=project, description="本项目路灯")
    other_item = TaskItemFactory(
        project=ProjectFactory(neighbourhood=registers.a.neighbourhood, batch_year=2025),
        description="别的项目",
    )
    member = registers.a.committee.members.get()
    other_member = CommitteeMemberFactory(committee=registers.b.committee, name="外区委员")
    discussion = DiscussionFactory(project=project)
    client.force_login(make_user(Role.OFFICE))

    response = client.get(change_url(discussion))

    form = response.context["adminform"].form
    assert list(form.fields["adopted_items"].queryset) == [item]
    assert list(form.fields["proposed_items"].queryset) == [item]
    assert list(form.fields["committee_members"].queryset) == [member]
    page = response.content.decode()
    assert "本项目路灯" in page and "别的项目" not in page
    assert member.name in page and other_member.name not in page
    assert other_item.pk not in {i.pk for i in form.fields["adopted_items"].queryset}


def test_committee_member_names_are_masked_for_roles_without_the_permission(client, registers):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    TaskItemFactory(project=project)
    discussion = DiscussionFactory(project=project)
    member = registers.a.committee.members.get()
    discussion.committee_members.set([member])
    masked_but_may_change = make_user(Role.COMMUNITY, communities=[registers.a.community])
    masked_but_may_change.groups.clear()
    masked_but_may_change.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="surveys", codename__endswith="_discussion"
        )
    )
    client.force_login(masked_but_may_change)

    page = client.get(change_url(discussion)).content.decode()

    assert 'name="committee_members"' in page
    assert member.name not in page
    assert member.name[:1] + "**" in page
    client.force_login(make_user(Role.INSPECTOR))  # read-only: members by position only
    assert member.name not in client.get(change_url(discussion)).content.decode()


def _discussion_form(client, discussion, **changes):
    return form_data(client.get(change_url(discussion)).content.decode(), **changes)


def test_the_form_refuses_a_household_of_another_neighbourhood(client, registers):
    discussion = DiscussionFactory(project=ProjectFactory(neighbourhood=registers.a.neighbourhood))
    client.force_login(make_user(Role.OFFICE))
    data = _discussion_form(client, discussion, households=str(registers.b.household.pk))

    response = client.post(change_url(discussion), data)

    assert response.status_code == 200
    assert "households" in response.context["adminform"].form.errors
    assert not discussion.households.exists()


def test_the_form_records_the_representatives_and_the_decision(client, registers):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    item = TaskItemFactory(project=project)
    discussion = DiscussionFactory(project=project)
    head = registers.a.building_head
    member = registers.a.committee.members.get()
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    data = _discussion_form(
        client,
        discussion,
        households=str(registers.a.household.pk),
        building_heads=str(head.pk),
        committee_members=str(member.pk),
        proposed_items=str(item.pk),
        adopted_items=str(item.pk),
        minutes="通过",
        votes_for="30",
        votes_against="2",
    )

    response = client.post(change_url(discussion), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    discussion.refresh_from_db()
    assert list(discussion.households.all()) == [registers.a.household]
    assert list(discussion.building_heads.all()) == [head]
    assert list(discussion.committee_members.all()) == [member]
    assert list(discussion.adopted_items.all()) == [item]
    assert discussion.project == project


def test_more_votes_than_attendees_are_refused(en_client, registers):
    discussion = DiscussionFactory(
        project=ProjectFactory(neighbourhood=registers.a.neighbourhood), attendee_count=10
    )
    en_client.force_login(make_user(Role.OFFICE))
    data = _discussion_form(en_client, discussion, votes_for="8", votes_against="3")

    response = en_client.post(change_url(discussion), data)

    assert response.status_code == 200
    assert "11 votes were counted but only 10 people attended." in response.content.decode()


def test_a_new_meeting_offers_the_items_of_the_project_it_is_opened_for(client, registers):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    item = TaskItemFactory(project=project)
    client.force_login(make_user(Role.OFFICE))

    with_project = client.get(reverse("admin:surveys_discussion_add"), {"project": project.pk})
    without = client.get(reverse("admin:surveys_discussion_add"))

    assert list(with_project.context["adminform"].form.fields["adopted_items"].queryset) == [item]
    assert list(without.context["adminform"].form.fields["adopted_items"].queryset) == []


def test_a_new_meeting_is_recorded_for_a_project_in_scope(client, registers):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood)
    item = TaskItemFactory(project=project)
    other = ProjectFactory(neighbourhood=registers.b.neighbourhood)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    base = {
        "held_on": "2026-02-20",
        "place": "社区活动室",
        "attendee_count": "25",
        "votes_for": "20",
        "votes_against": "0",
        "votes_abstaining": "5",
        "agenda": "",
        "minutes": "",
    }

    refused = client.post(reverse("admin:surveys_discussion_add"), {**base, "project": other.pk})
    created = client.post(
        reverse("admin:surveys_discussion_add"),
        {**base, "project": project.pk, "adopted_items": [item.pk]},
    )

    assert refused.status_code == 200
    assert "project" in refused.context["adminform"].form.errors
    assert created.status_code == 302
    discussion = Discussion.objects.get()
    assert discussion.project == project
    assert list(discussion.adopted_items.all()) == [item]


def test_the_meeting_stays_with_its_project(client, registers):
    discussion = DiscussionFactory(project=ProjectFactory(neighbourhood=registers.a.neighbourhood))
    other = ProjectFactory(neighbourhood=registers.a.neighbourhood, batch_year=2025)
    client.force_login(make_user(Role.OFFICE))
    data = _discussion_form(client, discussion, project=str(other.pk))

    client.post(change_url(discussion), data)

    assert Discussion.objects.get(pk=discussion.pk).project_id == discussion.project_id


def test_the_meeting_list_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page, 2 for the request's savepoint and its release; the community
    # filter's choices; 2 counts; the page (projects joined, adopted items counted inside).
    client.force_login(office_user)
    ready_discussion()
    with django_assert_num_queries(10):
        assert len(client.get(changelist_url()).context["cl"].result_list) == 1
    for _ in range(6):
        ready_discussion()
    with django_assert_num_queries(10):
        assert len(client.get(changelist_url()).context["cl"].result_list) == 7


def test_a_closed_meetings_page_reads_its_lists_in_a_fixed_number_of_queries(
    client, office_user, registers, django_assert_num_queries
):
    def closed_meeting(size):
        project = ProjectFactory(neighbourhood=registers.a.neighbourhood, batch_year=2000 + size)
        items = [TaskItemFactory(project=project) for _ in range(size)]
        households = [HouseholdFactory(building=registers.a.building) for _ in range(size)]
        heads = [BuildingHeadFactory(neighbourhood=registers.a.neighbourhood) for _ in range(size)]
        discussion = DiscussionFactory(
            project=project, minutes="纪要", proposed_items=items, adopted_items=items
        )
        discussion.households.set(households)
        discussion.building_heads.set(heads)
        discussion.committee_members.set(registers.a.committee.members.all())
        services.close_discussion(discussion, by=office_user)
        return discussion

    # 4 for every admin page, 2 for the request's savepoint and its release; the meeting with
    # its adopted-items count, then each of its five lists (members with their committee,
    # heads and households with their building and neighbourhood, items with their kind),
    # who closed it, and the project: the same for one row in each list as for six.
    small, large = closed_meeting(1), closed_meeting(6)
    client.force_login(office_user)
    client.get(change_url(small))  # warm the caches (content types)
    with django_assert_num_queries(14):
        client.get(change_url(small))
    with django_assert_num_queries(14):
        client.get(change_url(large))
