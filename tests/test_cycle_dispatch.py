"""一月一调度: the month's dispatch opened for every project under way, reported by its staff
(moving the task items, with the reporter in their history), the reminders to those who have
not reported, and the admin of dispatches and of the cycle's job runs.

Projects are put under way by a shortcut past their lifecycle (``under_way``): the lifecycle
has its own tests, and the dispatch needs only a project's status and task items.

Messages are read in English: the Chinese catalogue is filled in separately, and the English
msgids are what these tests can pin. The emails go out in the site's language (Chinese): their
dates are formatted the Chinese way whatever the catalogue holds.
"""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation

from cycle import dispatch, jobs
from cycle.dispatch import DispatchRefused, open_dispatches, remind_unreported, submit_dispatch
from cycle.models import Dispatch, DispatchLine, JobRun
from cycle.periods import Month
from projects.models import Project, TaskItem
from residents.roles import Role

from .conftest import make_user
from .factories import (
    CommunityFactory,
    HouseholdFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    TaskItemFactory,
)
from .formdata import form_data

pytestmark = pytest.mark.django_db

Status = Project.Status
THIS_MONTH = Month.current()
LAST_MONTH = THIS_MONTH.previous()
LIST = reverse("admin:cycle_dispatch_changelist")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def set_status(project: Project, status: str) -> Project:
    """Put ``project`` in ``status`` past the transitions (a plain queryset's update: the
    projects' own queryset refuses to write a status)."""
    models.QuerySet(Project).filter(pk=project.pk).update(status=status)
    project.refresh_from_db()
    return project


def under_way(items=((10, 0),), *, status=Status.UNDER_CONSTRUCTION, **kwargs) -> Project:
    """A project in ``status`` with a task item for each (planned, completed) of ``items``."""
    project = ProjectFactory(**kwargs)
    for planned, completed in items:
        TaskItemFactory(project=project, planned_quantity=planned, completed_quantity=completed)
    return set_status(project, status)


def opened(project: Project, month: Month = THIS_MONTH) -> Dispatch:
    open_dispatches(month)
    return Dispatch.objects.get(project=project, month=month.first)


def items_of(project: Project) -> list[TaskItem]:
    return list(project.task_items.order_by("pk"))


def close(month: Month) -> None:
    """Mark ``month`` closed, as its close_month job does when it is done."""
    JobRun.objects.create(job=JobRun.Job.CLOSE_MONTH, period=month.key, state=JobRun.State.DONE)


def texts(refusal) -> list[str]:
    return [str(reason) for reason in refusal.value.reasons]


# --- Opening the month ----------------------------------------------------------------------


def test_opening_a_month_gives_each_project_under_way_one_dispatch_with_its_items():
    building = under_way([(10, 4), (3, 0)])
    completed = under_way([(5, 5)], status=Status.COMPLETED)
    under_way(status=Status.CONSULTING)
    under_way(status=Status.ACCEPTED)

    assert open_dispatches(THIS_MONTH) == {"opened": 2, "existing": 0}
    assert open_dispatches(THIS_MONTH) == {"opened": 0, "existing": 2}

    assert set(Dispatch.objects.values_list("project", "month")) == {
        (building.pk, THIS_MONTH.first),
        (completed.pk, THIS_MONTH.first),
    }
    lines = DispatchLine.objects.filter(dispatch__project=building).order_by("task_item")
    assert [
        (line.task_item_id, line.completed_before, line.completed_to_date) for line in lines
    ] == [
        (item.pk, item.completed_quantity, item.completed_quantity) for item in items_of(building)
    ]
    assert DispatchLine.objects.count() == 3
    dispatch_ = Dispatch.objects.get(project=building)
    assert dispatch_.submitted_at is None and dispatch_.history.count() == 1


def test_a_project_that_gets_under_way_later_in_the_month_is_opened_when_run_again():
    under_way()
    open_dispatches(THIS_MONTH)
    late = under_way(status=Status.APPROVED)
    assert open_dispatches(THIS_MONTH) == {"opened": 1, "existing": 1}
    assert Dispatch.objects.filter(project=late).count() == 1


def test_each_month_has_its_own_dispatch():
    project = under_way()
    open_dispatches(LAST_MONTH)
    open_dispatches(THIS_MONTH.first)  # a day of the month will do
    assert sorted(project.dispatches.values_list("month", flat=True)) == [
        LAST_MONTH.first,
        THIS_MONTH.first,
    ]


def test_the_month_job_opens_the_dispatch_once():
    under_way()
    first = jobs.open_month(THIS_MONTH)
    under_way()  # the job is done for the month: a second run opens nothing
    second = jobs.open_month(THIS_MONTH)
    assert first.pk == second.pk and second.state == JobRun.State.DONE
    assert second.summary == {"opened": 1, "existing": 0}
    assert Dispatch.objects.count() == 1


def _grow(count: int, items_each: int = 2):
    for _ in range(count):
        under_way([(10, 1)] * items_each)


def test_opening_a_month_runs_a_fixed_number_of_queries(django_assert_num_queries):
    # The savepoint and its release; the active projects; the month's dispatches that exist;
    # the new dispatches (one INSERT); the month's dispatches read back; their history (one
    # INSERT); the task items of the projects under way; the lines (one INSERT).
    _grow(2)
    with django_assert_num_queries(9):
        assert open_dispatches(THIS_MONTH)["opened"] == 2
    _grow(6, items_each=3)
    with django_assert_num_queries(9):
        assert open_dispatches(LAST_MONTH)["opened"] == 8
    assert DispatchLine.objects.filter(dispatch__month=LAST_MONTH.first).count() == 2 * 2 + 6 * 3
    # Nothing to open: the projects and the existing dispatches are read, nothing written.
    with django_assert_num_queries(4):
        assert open_dispatches(LAST_MONTH) == {"opened": 0, "existing": 8}


# --- Reporting ------------------------------------------------------------------------------


def test_reporting_moves_the_task_items_with_the_reporter_in_their_history():
    staff = make_user(Role.COMMUNITY, username="reporter")
    project = under_way([(10, 2), (4, 0), (6, 1)])
    parking, lamps, roofs = items_of(project)
    sheet = opened(project)

    reported = submit_dispatch(
        sheet,
        by=staff,
        lines={parking.pk: Decimal("7"), lamps.pk: Decimal("4")},
        funds_spent=Decimal("120000.50"),
        problems="雨季影响施工",
        next_month_plan="完成屋面防水",
    )

    parking.refresh_from_db(), lamps.refresh_from_db(), roofs.refresh_from_db()
    assert (parking.completed_quantity, parking.status) == (7, TaskItem.Status.IN_PROGRESS)
    assert (lamps.completed_quantity, lamps.status) == (4, TaskItem.Status.DONE)
    assert roofs.completed_quantity == 1  # not reported: as it stands
    for item in (parking, lamps):
        latest = item.history.first()
        assert latest.history_user == staff
        assert latest.history_change_reason == f"dispatch {THIS_MONTH.key}"
    assert roofs.history.count() == 1  # untouched

    sheet.refresh_from_db()
    assert sheet.submitted_by == staff and sheet.submitted_at is not None
    assert sheet.funds_spent == Decimal("120000.50")
    assert (sheet.problems, sheet.next_month_plan) == ("雨季影响施工", "完成屋面防水")
    # (7/10 + 4/4 + 1/6) / 3 = 0.6222 → 62.2%
    assert sheet.percent_complete == Decimal("62.2") == reported.percent_complete
    lines = {line.task_item_id: line for line in sheet.lines.all()}
    assert lines[parking.pk].completed_before == 2
    assert lines[parking.pk].completed_to_date == 7
    assert lines[parking.pk].done_this_month == 5
    assert lines[parking.pk].history.first().history_user == staff
    assert sheet.history.first().history_user == staff


def test_reporting_again_before_the_close_updates_the_report_and_keeps_the_first_time():
    first_reporter = make_user(Role.COMMUNITY)
    second_reporter = make_user(Role.OFFICE)
    project = under_way([(10, 0)])
    (item,) = items_of(project)
    sheet = opened(project)
    submit_dispatch(sheet, by=first_reporter, lines={item.pk: 3}, funds_spent=Decimal("10"))
    first_time = Dispatch.objects.get(pk=sheet.pk).submitted_at

    submit_dispatch(sheet, by=second_reporter, lines={item.pk: 5}, next_month_plan="收尾")

    sheet.refresh_from_db()
    item.refresh_from_db()
    assert item.completed_quantity == 5
    assert sheet.percent_complete == Decimal("50.0")
    assert (sheet.submitted_at, sheet.submitted_by) == (first_time, first_reporter)
    assert sheet.funds_spent == Decimal("10")  # kept: not given again
    assert sheet.next_month_plan == "收尾"
    assert sheet.history.first().history_user == second_reporter
    assert Dispatch.objects.count() == 1


def test_a_quantity_above_the_plan_or_below_zero_is_refused_and_nothing_changes():
    staff = make_user(Role.COMMUNITY)
    project = under_way([(10, 2), (4, 0)])
    parking, lamps = items_of(project)
    sheet = opened(project)

    with pytest.raises(DispatchRefused) as refusal:
        submit_dispatch(sheet, by=staff, lines={parking.pk: Decimal("10.01"), lamps.pk: -1})
    assert len(texts(refusal)) == 2
    assert "10.01 completed is more than the 10 planned" in texts(refusal)[0]
    assert "cannot be negative" in texts(refusal)[1]

    with pytest.raises(DispatchRefused):
        submit_dispatch(sheet, by=staff, funds_spent=Decimal("-1"))

    parking.refresh_from_db()
    sheet.refresh_from_db()
    assert parking.completed_quantity == 2 and sheet.submitted_at is None
    # Exactly the plan is fine.
    submit_dispatch(sheet, by=staff, lines={parking.pk: Decimal("10"), lamps.pk: 0})
    parking.refresh_from_db()
    assert parking.status == TaskItem.Status.DONE


def test_lowering_a_quantity_needs_the_reason_under_problems():
    staff = make_user(Role.COMMUNITY)
    project = under_way([(10, 6)])
    (item,) = items_of(project)
    sheet = opened(project)

    with pytest.raises(DispatchRefused) as refusal:
        submit_dispatch(sheet, by=staff, lines={item.pk: 5})
    assert texts(refusal) == [
        f"“{item.kind}” would go down from 6 to 5 completed: say why under “problems”."
    ]
    with pytest.raises(DispatchRefused):
        submit_dispatch(sheet, by=staff, lines={item.pk: 5}, problems="   ")

    submit_dispatch(sheet, by=staff, lines={item.pk: 5}, problems="上月多报1处，已更正")
    item.refresh_from_db()
    assert item.completed_quantity == 5
    line = sheet.lines.get()
    assert (line.completed_before, line.completed_to_date, line.done_this_month) == (6, 5, -1)


def test_a_closed_month_is_on_record_and_cannot_be_reported():
    staff = make_user(Role.COMMUNITY)
    project = under_way([(10, 2)])
    (item,) = items_of(project)
    sheet = opened(project, LAST_MONTH)
    submit_dispatch(sheet, by=staff, lines={item.pk: 3})  # late, but before the close: taken
    close(LAST_MONTH)

    with pytest.raises(DispatchRefused) as refusal:
        submit_dispatch(sheet, by=staff, lines={item.pk: 4})
    assert "is closed" in texts(refusal)[0]
    item.refresh_from_db()
    assert item.completed_quantity == 3
    # A failed close does not close the month.
    JobRun.objects.filter(job=JobRun.Job.CLOSE_MONTH).update(state=JobRun.State.FAILED)
    submit_dispatch(sheet, by=staff, lines={item.pk: 4})


def test_only_a_project_under_way_reports_its_dispatch():
    staff = make_user(Role.COMMUNITY)
    project = under_way([(10, 10)], status=Status.COMPLETED)
    sheet = opened(project)
    set_status(project, Status.ACCEPTED)
    with pytest.raises(DispatchRefused) as refusal:
        submit_dispatch(Dispatch.objects.get(pk=sheet.pk), by=staff)
    assert texts(refusal) == [
        f"“{project.name}” is “Accepted”: only the dispatch of a project under way is reported."
    ]


def test_a_month_that_has_not_begun_cannot_be_reported():
    project = under_way()
    sheet = opened(project, THIS_MONTH.next())
    with pytest.raises(DispatchRefused) as refusal:
        submit_dispatch(sheet, by=make_user(Role.COMMUNITY))
    assert "has not begun" in texts(refusal)[0]


def test_a_line_of_another_project_is_refused():
    project = under_way()
    other = under_way()
    sheet = opened(project)
    with pytest.raises(DispatchRefused):
        submit_dispatch(sheet, by=make_user(Role.COMMUNITY), lines={items_of(other)[0].pk: 1})


def test_an_item_added_after_the_month_opened_is_reported_too():
    staff = make_user(Role.COMMUNITY)
    project = under_way([(10, 0)])
    sheet = opened(project)
    added = TaskItemFactory(project=project, planned_quantity=8, completed_quantity=0)

    submit_dispatch(sheet, by=staff, lines={added.pk: 2})

    added.refresh_from_db()
    assert added.completed_quantity == 2
    line = sheet.lines.get(task_item=added)
    assert (line.completed_before, line.completed_to_date) == (0, 2)


def test_an_item_moved_since_the_opening_is_reported_as_it_stands():
    staff = make_user(Role.COMMUNITY)
    project = under_way([(10, 1)])
    (item,) = items_of(project)
    sheet = opened(project)
    item.completed_quantity = 4  # reported on the task item's own page meanwhile
    item.save()

    submit_dispatch(sheet, by=staff)

    item.refresh_from_db()
    line = sheet.lines.get()
    assert item.completed_quantity == 4
    assert (line.completed_before, line.completed_to_date) == (1, 4)


# --- Who has not reported, and the reminders -----------------------------------------------


def test_unreported_lists_the_months_dispatches_of_projects_still_under_way():
    reported = under_way()
    waiting = under_way()
    finished = under_way(status=Status.COMPLETED)
    open_dispatches(THIS_MONTH)
    open_dispatches(LAST_MONTH)
    submit_dispatch(
        Dispatch.objects.get(project=reported, month=THIS_MONTH.first), by=make_user(Role.OFFICE)
    )
    set_status(finished, Status.ACCEPTED)

    assert list(dispatch.unreported(THIS_MONTH).values_list("project", flat=True)) == [waiting.pk]
    assert dispatch.unreported(LAST_MONTH).count() == 2


@pytest.fixture
def county_staff(db):
    """Two communities: 老城 with two projects (one responsible person, 甲) and a community
    staff member (乙), 红花 with one project (responsible 丙) and its own staff member (丁);
    county office staff (戊) who see everything but are no community's staff."""
    old_town, red_flower = CommunityFactory(name="老城社区"), CommunityFactory(name="红花社区")
    jia = make_user(Role.COMMUNITY, username="jia", email="jia@example.cn", communities=[old_town])
    yi = make_user(Role.COMMUNITY, username="yi", email="yi@example.cn", communities=[old_town])
    bing = make_user(Role.COMMUNITY, username="bing", email="bing@example.cn")
    ding = make_user(
        Role.COMMUNITY, username="ding", email="ding@example.cn", communities=[red_flower]
    )
    wu = make_user(Role.OFFICE, username="wu", email="wu@example.cn")
    projects = {
        "老冰棍厂": under_way(
            name="老冰棍厂小区改造",
            responsible=jia,
            neighbourhood=NeighbourhoodFactory(community=old_town, name="老冰棍厂小区"),
        ),
        "老物局": under_way(
            name="老物局小区改造",
            responsible=jia,
            neighbourhood=NeighbourhoodFactory(community=old_town, name="老物局小区"),
        ),
        "红花": under_way(
            name="红花小区改造",
            responsible=bing,
            neighbourhood=NeighbourhoodFactory(community=red_flower, name="红花小区"),
        ),
    }
    household = HouseholdFactory(
        building__neighbourhood=projects["老冰棍厂"].neighbourhood,
        head_name="张住户",
        phone="13800001111",
    )
    return {
        "users": {"jia": jia, "yi": yi, "bing": bing, "ding": ding, "wu": wu},
        "projects": projects,
        "household": household,
    }


def sent_to() -> dict[str, mail.EmailMessage]:
    return {message.to[0].split("@")[0]: message for message in mail.outbox}


def test_reminders_go_once_to_each_person_listing_their_unreported_projects(county_staff):
    projects = county_staff["projects"]
    open_dispatches(THIS_MONTH)
    submit_dispatch(
        Dispatch.objects.get(project=projects["红花"]), by=county_staff["users"]["bing"]
    )

    summary = remind_unreported(THIS_MONTH)

    assert summary == {"unreported": 2, "reminded": 2, "emails": 2, "without_recipient": 0}
    emails = sent_to()
    assert set(emails) == {"jia", "yi"}  # 红花 reported; the office is no community's staff
    for message in emails.values():
        assert "老冰棍厂小区改造" in message.body and "老物局小区改造" in message.body
        assert "红花" not in message.body
        assert message.body.count("/admin/cycle/dispatch/") == 2
    assert set(
        Dispatch.objects.filter(reminded_at__isnull=False).values_list("project", flat=True)
    ) == {projects["老冰棍厂"].pk, projects["老物局"].pk}


def test_reminders_are_in_chinese_and_name_no_resident(county_staff):
    open_dispatches(THIS_MONTH)
    remind_unreported(THIS_MONTH)
    month = f"{THIS_MONTH.first.year}年{THIS_MONTH.first.month}月"
    household = county_staff["household"]
    for message in mail.outbox:
        assert month in message.subject and month in message.body
        assert household.head_name not in message.body
        assert household.phone not in message.body
    assert translation.get_language() == "en"  # the caller's language is left as it was


def test_a_dispatch_is_reminded_once_even_when_reminding_twice(county_staff):
    projects = county_staff["projects"]
    open_dispatches(THIS_MONTH)
    remind_unreported(THIS_MONTH)
    sent = len(mail.outbox)

    assert remind_unreported(THIS_MONTH) == {
        "unreported": 3,
        "reminded": 0,
        "emails": 0,
        "without_recipient": 0,
    }
    assert len(mail.outbox) == sent == 4  # jia, yi, bing, ding
    # A project opened since is reminded on its own.
    late = under_way(
        name="广电局家属院改造",
        responsible=county_staff["users"]["bing"],
        neighbourhood=projects["红花"].neighbourhood,
        batch_year=2025,
    )
    open_dispatches(THIS_MONTH)
    assert remind_unreported(THIS_MONTH)["emails"] == 2  # bing and ding
    assert "广电局家属院改造" in mail.outbox[-1].body and "红花小区改造" not in mail.outbox[-1].body
    assert Dispatch.objects.get(project=late).reminded_at is not None


def test_the_reminder_job_runs_once_a_month(county_staff):
    open_dispatches(THIS_MONTH)
    first = jobs.remind(THIS_MONTH)
    Dispatch.objects.update(reminded_at=None)  # even so, the job is done for the month
    jobs.remind(THIS_MONTH)
    assert len(mail.outbox) == 4
    assert JobRun.objects.get(pk=first.pk).summary["emails"] == 4


def test_nobody_to_remind_is_counted_and_the_dispatch_stays_unreminded():
    silent = make_user(Role.COMMUNITY, email="")  # no address
    project = under_way(responsible=silent)
    under_way()  # nobody responsible, no community staff
    open_dispatches(THIS_MONTH)
    assert remind_unreported(THIS_MONTH) == {
        "unreported": 2,
        "reminded": 0,
        "emails": 0,
        "without_recipient": 2,
    }
    assert Dispatch.objects.get(project=project).reminded_at is None


def test_inactive_staff_and_staff_without_the_permission_are_not_reminded():
    community = CommunityFactory()
    make_user(Role.COMMUNITY, email="gone@example.cn", communities=[community], is_active=False)
    make_user(Role.VISITOR, email="visitor@example.cn", communities=[community])
    under_way(neighbourhood=NeighbourhoodFactory(community=community))
    open_dispatches(THIS_MONTH)
    assert remind_unreported(THIS_MONTH)["emails"] == 0


def test_reminding_runs_a_fixed_number_of_queries(django_assert_num_queries):
    # The savepoint and its release; the month's unreported dispatches counted; those not yet
    # reminded, with their projects and neighbourhoods; the community staff who may report;
    # the accounts to email; the dispatches marked reminded.
    def grow(month, count):
        for n in range(count):
            community = CommunityFactory()
            make_user(Role.COMMUNITY, email=f"{month.key}-{n}@example.cn", communities=[community])
            under_way(
                neighbourhood=NeighbourhoodFactory(community=community),
                responsible=make_user(Role.COMMUNITY, email=f"r-{month.key}-{n}@example.cn"),
            )
        open_dispatches(month)

    grow(LAST_MONTH, 2)
    with django_assert_num_queries(7):
        assert remind_unreported(LAST_MONTH)["emails"] == 4
    grow(THIS_MONTH, 5)
    with django_assert_num_queries(7):
        assert remind_unreported(THIS_MONTH)["emails"] == 14


# --- The admin of dispatches ---------------------------------------------------------------


def change_url(sheet: Dispatch) -> str:
    return reverse("admin:cycle_dispatch_change", args=[sheet.pk])


def test_the_dispatch_pages_render_for_the_county_office(client, office_user):
    project = under_way([(10, 2)], name="老冰棍厂小区改造")
    sheet = opened(project)
    client.force_login(office_user)

    listing = client.get(LIST)
    assert listing.status_code == 200
    assert "老冰棍厂小区改造" in listing.text
    page = client.get(change_url(sheet))
    assert page.status_code == 200
    assert 'name="lines-0-completed_to_date"' in page.text
    assert 'name="problems"' in page.text
    assert client.get(reverse("admin:cycle_dispatch_history", args=[sheet.pk])).status_code == 200
    assert client.get(reverse("admin:cycle_dispatch_add")).status_code == 403


def test_community_staff_see_and_report_only_their_own_dispatches(client):
    mine, theirs = CommunityFactory(), CommunityFactory()
    staff = make_user(Role.COMMUNITY, communities=[mine])
    own = opened(under_way(name="本社区项目", neighbourhood=NeighbourhoodFactory(community=mine)))
    other = opened(
        under_way(name="外社区项目", neighbourhood=NeighbourhoodFactory(community=theirs))
    )
    client.force_login(staff)

    listing = client.get(LIST)
    assert [d.pk for d in listing.context["cl"].result_list] == [own.pk]
    community_filter = next(
        spec for spec in listing.context["cl"].filter_specs if spec.parameter_name == "community"
    )
    assert [pk for pk, _name in community_filter.lookup_choices] == [mine.pk]
    assert client.get(change_url(own)).status_code == 200
    assert client.get(change_url(other)).status_code == 302  # as missing


def test_reporting_from_the_admin_moves_the_items(en_client):
    community = CommunityFactory()
    staff = make_user(Role.COMMUNITY, communities=[community])
    project = under_way([(10, 2), (4, 1)], neighbourhood=NeighbourhoodFactory(community=community))
    parking, lamps = items_of(project)
    sheet = opened(project)
    en_client.force_login(staff)
    page = en_client.get(change_url(sheet))
    assert "Report this dispatch" in page.text

    data = form_data(
        page.text,
        **{
            "lines-0-completed_to_date": "6",
            "funds_spent": "50000",
            "problems": "",
            "next_month_plan": "安装路灯",
        },
    )
    response = en_client.post(change_url(sheet), data, follow=True)

    assert response.redirect_chain[-1][0].startswith(LIST)
    parking.refresh_from_db(), lamps.refresh_from_db()
    assert (parking.completed_quantity, lamps.completed_quantity) == (6, 1)
    assert parking.history.first().history_user == staff
    sheet.refresh_from_db()
    assert sheet.submitted_by == staff and sheet.next_month_plan == "安装路灯"
    assert sheet.percent_complete == Decimal("42.5")  # (0.6 + 0.25) / 2
    assert any("is reported: 42.5% complete" in str(m) for m in response.context["messages"])
    assert "Report again" in en_client.get(change_url(sheet)).text


def test_a_refused_report_in_the_admin_shows_why_and_keeps_what_was_typed(en_client):
    community = CommunityFactory()
    staff = make_user(Role.COMMUNITY, communities=[community])
    project = under_way([(10, 5)], neighbourhood=NeighbourhoodFactory(community=community))
    (item,) = items_of(project)
    sheet = opened(project)
    en_client.force_login(staff)
    page = en_client.get(change_url(sheet))

    for typed, reason in [
        ("12", "12 completed is more than the 10 planned"),
        ("3", "would go down from 5 to 3 completed"),
    ]:
        data = form_data(
            page.text,
            **{"lines-0-completed_to_date": typed, "next_month_plan": "下月计划草稿"},
        )
        response = en_client.post(change_url(sheet), data)
        assert response.status_code == 200
        assert reason in response.text
        assert f'value="{typed}"' in response.text and "下月计划草稿" in response.text

    item.refresh_from_db()
    sheet.refresh_from_db()
    assert item.completed_quantity == 5 and sheet.submitted_at is None

    # With the reason, the correction is taken.
    data = form_data(page.text, **{"lines-0-completed_to_date": "3", "problems": "上月多报"})
    en_client.post(change_url(sheet), data)
    item.refresh_from_db()
    assert item.completed_quantity == 3


def test_the_dispatch_page_is_read_only_once_the_month_is_closed(en_client, office_user):
    project = under_way([(10, 2)])
    sheet = opened(project, LAST_MONTH)
    close(LAST_MONTH)
    en_client.force_login(office_user)

    page = en_client.get(change_url(sheet))
    assert page.status_code == 200
    assert 'name="lines-0-completed_to_date"' not in page.text
    assert "Report this dispatch" not in page.text
    assert "is closed: its dispatch is on record as it stands" in page.text
    data = {"funds_spent": "1", "problems": "", "next_month_plan": ""}
    assert en_client.post(change_url(sheet), data).status_code == 403


def test_the_list_links_to_the_projects_not_reported_this_month(en_client, office_user):
    waiting = opened(under_way(name="未报项目"))
    done = opened(under_way(name="已报项目"))
    submit_dispatch(done, by=office_user)
    opened(under_way(name="上月项目"), LAST_MONTH)
    en_client.force_login(office_user)

    listing = en_client.get(LIST)
    assert listing.context["not_reported_count"] == 1
    query = listing.context["not_reported_query"]
    assert query in listing.text.replace("&amp;", "&")
    filtered = en_client.get(LIST + query)
    assert [d.pk for d in filtered.context["cl"].result_list] == [waiting.pk]
    reported = en_client.get(LIST + "?reported=yes")
    assert [d.pk for d in reported.context["cl"].result_list] == [done.pk]
    assert en_client.get(LIST + "?month=not-a-month").context["cl"].result_count == 0


def test_the_dispatch_list_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page (session, user, permissions direct and through groups), 2 for the
    # request's savepoint and its release, this month's unreported count, the month filter's
    # choices, the community filter's choices, 2 counts (the paginator, the "N total") and the
    # page with its projects, neighbourhoods, communities and reporters joined.
    client.force_login(office_user)
    _grow(2)
    open_dispatches(THIS_MONTH)
    with django_assert_num_queries(12):
        assert len(client.get(LIST).context["cl"].result_list) == 2
    _grow(4)
    open_dispatches(THIS_MONTH)
    open_dispatches(LAST_MONTH)
    submit_dispatch(Dispatch.objects.first(), by=office_user)
    with django_assert_num_queries(12):
        assert len(client.get(LIST).context["cl"].result_list) == 12


def test_the_dispatch_page_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page, 2 for the savepoint, the dispatch with its project and reporter,
    # whether its month is closed, the lines with their items and kinds, and the content type
    # of the History link.
    from django.contrib.contenttypes.models import ContentType

    client.force_login(office_user)
    small = opened(under_way([(10, 1)] * 2))
    large = opened(under_way([(10, 1)] * 9))
    for sheet in (small, large):
        ContentType.objects.clear_cache()
        with django_assert_num_queries(10):
            assert client.get(change_url(sheet)).status_code == 200


# --- The admin of job runs --------------------------------------------------------------------

RUNS = reverse("admin:cycle_jobrun_changelist")


def test_job_runs_are_read_only_and_hidden_from_community_staff(client, office_user):
    run = JobRun.objects.create(
        job=JobRun.Job.CLOSE_MONTH,
        period=LAST_MONTH.key,
        state=JobRun.State.FAILED,
        attempts=1,
        error="Traceback …\nValueError: boom",
    )
    client.force_login(office_user)
    listing = client.get(RUNS)
    assert listing.status_code == 200 and "ValueError: boom" in listing.text
    page = client.get(reverse("admin:cycle_jobrun_change", args=[run.pk]))
    assert page.status_code == 200 and 'name="state"' not in page.text
    assert client.get(reverse("admin:cycle_jobrun_add")).status_code == 403
    assert client.get(reverse("admin:cycle_jobrun_delete", args=[run.pk])).status_code == 403

    client.force_login(make_user(Role.COMMUNITY, communities=[CommunityFactory()]))
    assert client.get(RUNS).status_code == 403


def test_the_office_runs_a_failed_job_again_and_done_ones_are_left(en_client, office_user):
    project = under_way()
    failed = JobRun.objects.create(
        job=JobRun.Job.OPEN_MONTH, period=THIS_MONTH.key, state=JobRun.State.FAILED, attempts=1
    )
    done = JobRun.objects.create(
        job=JobRun.Job.REMIND, period=LAST_MONTH.key, state=JobRun.State.DONE, attempts=1
    )
    en_client.force_login(office_user)
    data = {"action": "run_again", "_selected_action": [failed.pk, done.pk]}

    response = en_client.post(RUNS, data, follow=True)

    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (JobRun.State.DONE, 2)
    assert Dispatch.objects.filter(project=project, month=THIS_MONTH.first).exists()
    shown = [str(m) for m in response.context["messages"]]
    assert any("1 job will run again" in m for m in shown)
    assert any("Not run again" in m and LAST_MONTH.key in m for m in shown)


def test_only_the_office_may_run_jobs_again(en_client):
    auditor = make_user(Role.AUDITOR)
    en_client.force_login(auditor)
    response = en_client.get(RUNS)
    assert response.status_code == 200
    assert "run_again" not in response.text


def test_the_job_run_list_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page, 2 for the savepoint, 2 counts and the page.
    client.force_login(office_user)
    for month in (LAST_MONTH, THIS_MONTH):
        JobRun.objects.create(job=JobRun.Job.OPEN_MONTH, period=month.key, state="done")
    with django_assert_num_queries(9):
        client.get(RUNS)
    for n in range(1, 6):
        JobRun.objects.create(job=JobRun.Job.DAILY, period=f"2026-01-0{n}", state="failed")
    with django_assert_num_queries(9):
        assert len(client.get(RUNS).context["cl"].result_list) == 7


def test_reminded_dispatches_show_when_in_the_list(client, office_user):
    project = under_way(responsible=make_user(Role.COMMUNITY, email="r@example.cn"))
    sheet = opened(project)
    remind_unreported(THIS_MONTH, now=timezone.now() - datetime.timedelta(days=1))
    client.force_login(office_user)
    listing = client.get(LIST)
    row = listing.context["cl"].result_list[0]
    assert row.pk == sheet.pk and row.reminded_at is not None
