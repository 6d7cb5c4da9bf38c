"""The backward schedule (工期倒排): milestones planned back from the deadline by the standard
phase durations, and the "behind schedule" flag, on the county's calendar (Asia/Shanghai).

The standard durations installed by migration 0003 are consultation 30, approval 15,
tendering 30, construction 150 and acceptance 20 days.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from projects import services
from projects.models import Milestone, PhaseDuration, Project
from projects.services import ScheduleRefused, planned_dates
from residents.roles import Role

from .conftest import make_user
from .factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

Kind = Milestone.Kind
D = datetime.date


def days(**overrides):
    standard = {
        "consultation": 30,
        "approval": 15,
        "tendering": 30,
        "construction": 150,
        "acceptance": 20,
    }
    return {**standard, **overrides}


def planned(project):
    return dict(Milestone.objects.filter(project=project).values_list("kind", "planned_date"))


def at_utc(*args):
    moment = datetime.datetime(*args, tzinfo=datetime.UTC)
    return lambda: moment


# --- Counting back ------------------------------------------------------------------------


def test_the_milestones_are_counted_back_from_the_deadline_phase_by_phase():
    assert planned_dates(D(2026, 12, 31), days()) == {
        Kind.ACCEPTANCE: D(2026, 12, 31),
        Kind.CONSTRUCTION_END: D(2026, 12, 11),  # − 20 days of acceptance
        Kind.CONSTRUCTION_START: D(2026, 7, 14),  # − 150 days of construction
        Kind.TENDERING_START: D(2026, 6, 14),  # − 30 days of tendering
        Kind.APPROVAL: D(2026, 5, 30),  # − 15 days of approval
        Kind.CONSULTATION_START: D(2026, 4, 30),  # − 30 days of consultation
    }


def test_counting_back_over_a_leap_day_lands_on_29_february():
    dates = planned_dates(D(2028, 3, 20), days(acceptance=20))
    assert dates[Kind.CONSTRUCTION_END] == D(2028, 2, 29)
    dates = planned_dates(D(2028, 3, 1), days(acceptance=1, construction=366))
    assert dates[Kind.CONSTRUCTION_END] == D(2028, 2, 29)
    assert dates[Kind.CONSTRUCTION_START] == D(2027, 2, 28)


def test_counting_back_in_a_common_year_skips_from_1_march_to_28_february():
    dates = planned_dates(D(2027, 3, 1), days(acceptance=1))
    assert dates[Kind.CONSTRUCTION_END] == D(2027, 2, 28)


def test_counting_back_across_month_ends_uses_calendar_days():
    dates = planned_dates(D(2026, 3, 31), days(acceptance=31, construction=30, tendering=1))
    assert dates[Kind.CONSTRUCTION_END] == D(2026, 2, 28)
    assert dates[Kind.CONSTRUCTION_START] == D(2026, 1, 29)
    assert dates[Kind.TENDERING_START] == D(2026, 1, 28)
    dates = planned_dates(D(2027, 1, 1), days(acceptance=1))
    assert dates[Kind.CONSTRUCTION_END] == D(2026, 12, 31)


# --- plan_schedule ---------------------------------------------------------------------------


def test_planning_creates_the_six_milestones(office_user):
    project = ProjectFactory(deadline=D(2026, 12, 31))

    milestones = services.plan_schedule(project, by=office_user)

    assert [m.kind for m in milestones] == [
        Kind.ACCEPTANCE,
        Kind.CONSTRUCTION_END,
        Kind.CONSTRUCTION_START,
        Kind.TENDERING_START,
        Kind.APPROVAL,
        Kind.CONSULTATION_START,
    ]
    assert planned(project) == planned_dates(D(2026, 12, 31), days())


def test_planning_again_moves_the_planned_dates_and_keeps_the_actual_ones(office_user):
    project = ProjectFactory(deadline=D(2026, 12, 31))
    MilestoneFactory(
        project=project, kind=Kind.CONSULTATION_START, planned_date=None, actual_date=D(2026, 4, 2)
    )
    services.plan_schedule(project, by=office_user)

    Project.objects.filter(pk=project.pk).update(deadline=D(2027, 1, 31))
    services.plan_schedule(project, by=office_user)

    assert planned(project) == planned_dates(D(2027, 1, 31), days())
    consultation = Milestone.objects.get(project=project, kind=Kind.CONSULTATION_START)
    assert consultation.actual_date == D(2026, 4, 2)
    assert Milestone.objects.filter(project=project).count() == 6


def test_planning_twice_writes_nothing_the_second_time(office_user):
    project = ProjectFactory(deadline=D(2026, 12, 31))
    services.plan_schedule(project, by=office_user)
    records = Milestone.history.filter(project=project).count()

    services.plan_schedule(project, by=office_user)

    assert Milestone.history.filter(project=project).count() == records


def test_planning_follows_the_standard_durations_the_office_set(office_user):
    PhaseDuration.objects.filter(phase="acceptance").update(days=10)
    project = ProjectFactory(deadline=D(2026, 12, 31))

    services.plan_schedule(project, by=office_user)

    assert planned(project)[Kind.CONSTRUCTION_END] == D(2026, 12, 21)


def test_planning_without_a_deadline_is_refused(office_user):
    project = ProjectFactory(deadline=None)

    with pytest.raises(ScheduleRefused) as refused, translation.override("en"):
        services.plan_schedule(project, by=office_user)
    with translation.override("en"):
        assert str(refused.value) == "The project has no deadline to plan back from."
    assert not Milestone.objects.exists()


def test_planning_without_a_standard_duration_is_refused(office_user):
    PhaseDuration.objects.filter(phase="tendering").delete()
    project = ProjectFactory(deadline=D(2026, 12, 31))

    with pytest.raises(ScheduleRefused) as refused:
        services.plan_schedule(project, by=office_user)
    with translation.override("en"):
        assert [str(r) for r in refused.value.reasons] == [
            "The phase “Tendering” has no standard duration."
        ]
    assert not Milestone.objects.exists()


# --- behind_schedule -----------------------------------------------------------------------


def project_with(kind, planned_date, actual_date=None, **kwargs):
    project = ProjectFactory(**kwargs)
    MilestoneFactory(project=project, kind=kind, planned_date=planned_date, actual_date=actual_date)
    return project


def behind(today=None):
    return set(Project.objects.behind_schedule(today=today))


def test_a_milestone_is_late_from_the_day_after_its_planned_date():
    project = project_with(Kind.APPROVAL, D(2026, 5, 30))

    assert behind(today=D(2026, 5, 30)) == set()
    assert behind(today=D(2026, 5, 31)) == {project}


def test_a_milestone_that_happened_is_not_late_whenever_it_happened():
    project_with(Kind.APPROVAL, D(2026, 5, 30), actual_date=D(2026, 6, 20))

    assert behind(today=D(2026, 7, 1)) == set()


def test_a_milestone_without_a_planned_date_is_never_late():
    project_with(Kind.APPROVAL, None)

    assert behind(today=D(2030, 1, 1)) == set()


def test_an_accepted_or_handed_over_project_is_never_behind(office_user):
    from .test_project_lifecycle import project_at

    flagged = []
    for status in Project.Status:
        project = project_at(status, by=office_user)
        # An overdue milestone with no actual date, whatever the lifecycle recorded.
        Milestone.objects.update_or_create(
            project=project,
            kind=Kind.ACCEPTANCE,
            defaults={"planned_date": D(2020, 1, 1), "actual_date": None},
        )
        if status not in Project.FINISHED_STATUSES:
            flagged.append(project)

    assert behind(today=D(2026, 1, 1)) == set(flagged)


def test_a_project_with_several_late_milestones_is_listed_once():
    project = project_with(Kind.APPROVAL, D(2026, 5, 1))
    MilestoneFactory(project=project, kind=Kind.TENDERING_START, planned_date=D(2026, 5, 2))

    assert list(Project.objects.behind_schedule(today=D(2026, 6, 1))) == [project]


def test_behind_schedule_reads_todays_date_on_the_countys_calendar(monkeypatch):
    project = project_with(Kind.APPROVAL, D(2026, 2, 28))

    # 15:59 UTC on 28 February is 23:59 in Shiquan: the milestone is due today, not late.
    monkeypatch.setattr(timezone, "now", at_utc(2026, 2, 28, 15, 59))
    assert behind() == set()
    # 23:30 UTC on 28 February is already 1 March in Shiquan (in UTC it would still be due).
    monkeypatch.setattr(timezone, "now", at_utc(2026, 2, 28, 23, 30))
    assert timezone.localdate() == D(2026, 3, 1)
    assert behind() == {project}


def test_behind_schedule_on_the_last_day_of_february_in_a_leap_year(monkeypatch):
    project = project_with(Kind.CONSTRUCTION_END, D(2028, 2, 28))

    monkeypatch.setattr(timezone, "now", at_utc(2028, 2, 28, 16, 0))  # 29 Feb, 00:00 local
    assert timezone.localdate() == D(2028, 2, 29)
    assert behind() == {project}
    assert behind(today=D(2028, 2, 28)) == set()


def test_the_schedule_flag_of_a_list_agrees_with_behind_schedule(office_user):
    late = project_with(Kind.APPROVAL, D(2026, 5, 1))
    due_today = project_with(Kind.APPROVAL, D(2026, 6, 1))
    done = project_with(Kind.APPROVAL, D(2026, 5, 1), actual_date=D(2026, 5, 3))
    unplanned = ProjectFactory()

    flags = {p.pk: p.is_behind_schedule for p in Project.objects.with_schedule_flag(D(2026, 6, 1))}

    assert flags == {late.pk: True, due_today.pk: False, done.pk: False, unplanned.pk: False}
    assert behind(today=D(2026, 6, 1)) == {late}


# --- The admin -------------------------------------------------------------------------------


def test_the_admin_action_plans_the_selected_projects_and_names_those_it_cannot(
    client, office_user
):
    with_deadline = ProjectFactory(name="桃园小区改造", deadline=D(2026, 12, 31))
    without = ProjectFactory(name="江南小区改造", deadline=None)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(office_user)

    response = client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "plan_schedule", "_selected_action": [with_deadline.pk, without.pk]},
    )

    assert response.status_code == 302
    assert planned(with_deadline) == planned_dates(D(2026, 12, 31), days())
    assert planned(without) == {}
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [
        "The schedule of “桃园小区改造” is planned backwards from Dec. 31, 2026.",
        "The schedule of “江南小区改造” was not planned: The project has no deadline to plan "
        "back from.",
    ]


def test_the_change_page_button_plans_the_schedule(client, office_user):
    project = ProjectFactory(deadline=D(2026, 12, 31))
    client.force_login(office_user)

    response = client.post(reverse("admin:projects_project_plan_schedule", args=[project.pk]))

    assert response.status_code == 302
    assert len(planned(project)) == 6
    assert (
        client.get(reverse("admin:projects_project_plan_schedule", args=[project.pk])).status_code
        == 405
    )


def test_community_staff_cannot_plan_a_schedule(client, registers):
    project = ProjectFactory(neighbourhood=registers.a.neighbourhood, deadline=D(2026, 12, 31))
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    response = client.post(reverse("admin:projects_project_plan_schedule", args=[project.pk]))

    assert response.status_code == 403
    assert planned(project) == {}


def test_the_project_list_flags_and_filters_projects_behind_schedule(client, office_user):
    today = timezone.localdate()
    late = project_with(Kind.APPROVAL, today - datetime.timedelta(days=1), name="迟了的项目")
    on_track = project_with(Kind.APPROVAL, today, name="按期的项目")
    client.force_login(office_user)
    url = reverse("admin:projects_project_changelist")

    rows = {p.pk: p.is_behind_schedule for p in client.get(url).context["cl"].result_list}
    assert rows == {late.pk: True, on_track.pk: False}

    def listed(value):
        return {p.pk for p in client.get(url, {"schedule": value}).context["cl"].result_list}

    assert listed("behind") == {late.pk}
    assert listed("on_track") == {on_track.pk}


def test_the_office_edits_the_standard_durations_in_the_list(client, office_user):
    client.force_login(office_user)
    url = reverse("admin:projects_phaseduration_changelist")
    rows = list(PhaseDuration.objects.order_by("pk"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "1",
    }
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = str(row.pk)
        data[f"form-{i}-days"] = "45" if row.phase == "tendering" else str(row.days)

    response = client.post(url, data)

    assert response.status_code == 302
    assert PhaseDuration.objects.get(phase="tendering").days == 45
    assert client.get(reverse("admin:projects_phaseduration_add")).status_code == 403


def test_a_standard_duration_outside_1_to_1000_days_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PhaseDuration.objects.filter(phase="tendering").update(days=0)
