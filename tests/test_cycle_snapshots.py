"""Monthly snapshots: each project's and the county's figures as they stood at a month's end,
frozen at the close, so a past month never changes when records are edited later.

The month under test is March 2026 (its end: midnight, 1 April, Asia/Shanghai). Projects reach
their status through transitions dated in February (``project_then``): the figures read a
project's status at the month's end from its transitions, as the lifecycle writes them.
"""

import datetime
from collections import Counter
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
import pytest
from django.db import models
from django.db.models import Case, Value, When
from django.utils import timezone

from acceptance import services as acceptance_services
from acceptance.models import AcceptanceDecision, SurveyRound
from cycle import snapshots
from cycle.models import CountySnapshot, Dispatch, ProjectSnapshot
from cycle.periods import Month
from projects.models import Milestone, Project, ProjectTransition
from projects.workflow import TRANSITIONS
from surveys.models import ResidentRequest

from .factories import (
    CatalogueKindFactory,
    FundingLineFactory,
    HouseholdFactory,
    MilestoneFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    ResidentRequestFactory,
    TaskItemFactory,
    UserFactory,
)
from .test_project_lifecycle import project_at

pytestmark = pytest.mark.django_db

Status = Project.Status
RequestStatus = ResidentRequest.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = Month.parse("2026-03")


def moment(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A moment of 2026 on the county's clock."""
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def day(month: int, day_: int) -> datetime.date:
    return datetime.date(2026, month, day_)


BEFORE = moment(2, 10)
END = moment(4, 1, 0, 0)


class InspectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cycle.Inspection"

    project = factory.SubFactory(ProjectFactory)
    inspector = factory.SubFactory(UserFactory)
    date = day(3, 10)


class FindingFactory(factory.django.DjangoModelFactory):
    """A minor finding of an inspection of 10 March, to rectify by 20 March."""

    class Meta:
        model = "cycle.Finding"

    inspection = factory.SubFactory(InspectionFactory)
    category = "quality"
    severity = "minor"
    description = factory.Sequence(lambda n: f"问题{n}")
    deadline = day(3, 20)


def reach(project, status, *, on=BEFORE):
    """Write the transitions that take ``project`` on to ``status``, dated ``on``, and its
    status."""
    current = (
        ProjectTransition.objects.filter(project=project)
        .order_by("-at", "-pk")
        .values_list("to_status", flat=True)
        .first()
    ) or Status.DRAFT
    for transition in TRANSITIONS:
        if current == status:
            break
        if transition.source == current:
            ProjectTransition.objects.create(
                project=project, from_status=current, to_status=transition.target, at=on
            )
            current = transition.target
    assert current == status
    # And the status column, as the services write it with the transition (the app refuses
    # bulk status writes; a test stands in for the services here).
    models.QuerySet.update(Project.objects.filter(pk=project.pk), status=status)
    project.status = status
    return project


def project_then(status, *, on=BEFORE, **kwargs):
    """A project whose lifecycle reached ``status`` on ``on`` (February by default)."""
    return reach(ProjectFactory(**kwargs), status, on=on)


def backdate(to=BEFORE):
    """Date every lifecycle step, acceptance decision and survey round ``to`` (for projects
    taken through the real services today)."""
    ProjectTransition.objects.update(at=to)
    AcceptanceDecision.objects.update(decided_at=to)
    SurveyRound.objects.update(
        opened_at=to, closed_at=Case(When(closed_at__isnull=True, then=None), default=Value(to))
    )
    Milestone.objects.filter(actual_date__isnull=False).update(actual_date=to.date())


def frozen(project) -> dict:
    return ProjectSnapshot.objects.get(month=MONTH.first, project=project).figures


def county() -> dict:
    return CountySnapshot.objects.get(month=MONTH.first).figures


# --- A project's figures -----------------------------------------------------------------


def test_a_projects_figures_follow_the_shared_schema():
    neighbourhood = NeighbourhoodFactory(name="桃园小区", household_count=40, population=120)
    merged = NeighbourhoodFactory(household_count=10, population=30)
    project = project_then(
        Status.UNDER_CONSTRUCTION, name="桃园小区改造", neighbourhood=neighbourhood, batch_year=2026
    )
    project.merged_neighbourhoods.add(merged)
    parking = CatalogueKindFactory(code="parking", priority=1)
    lighting = CatalogueKindFactory(code="lighting", priority=2)
    TaskItemFactory(project=project, kind=parking, planned_quantity=10, completed_quantity=5)
    TaskItemFactory(project=project, kind=lighting, planned_quantity=4, completed_quantity=4)
    FundingLineFactory(
        project=project,
        source="residents",
        planned=Decimal("10.50"),
        arrived=Decimal("10.50"),
        spent=Decimal("0"),
    )
    FundingLineFactory(
        project=project,
        source="central",
        planned=Decimal("100"),
        arrived=Decimal("50"),
        spent=Decimal("20.25"),
    )
    MilestoneFactory(project=project, kind="construction_end", planned_date=day(3, 31))
    # The ledger at the month's end: 2 open (one of the merged compound), 2 in handling (one
    # answered only after the end), 1 closed; 2 overdue; one received after the end.
    requests = {"neighbourhood": neighbourhood, "received_at": moment(3, 20)}
    ResidentRequestFactory(**requests, due_on=day(3, 31))
    ResidentRequestFactory(**requests, status=RequestStatus.HANDLING, due_on=day(4, 5))
    ResidentRequestFactory(
        **requests, status=RequestStatus.CLOSED, due_on=day(3, 27), answered_at=moment(3, 25)
    )
    ResidentRequestFactory(
        **requests, status=RequestStatus.ANSWERED, due_on=day(3, 30), answered_at=moment(4, 2)
    )
    ResidentRequestFactory(neighbourhood=neighbourhood, received_at=moment(4, 3))
    ResidentRequestFactory(neighbourhood=merged, received_at=moment(3, 2), due_on=day(4, 10))
    ResidentRequestFactory(received_at=moment(3, 2))  # another neighbourhood's
    # Findings: two of March (one overdue at the end), one of February rectified, one of April.
    FindingFactory(inspection__project=project)
    FindingFactory(inspection__project=project, severity="major", deadline=day(4, 10))
    FindingFactory(
        inspection__project=project,
        inspection__date=day(2, 10),
        deadline=day(2, 20),
        rectified_at=moment(2, 18),
    )
    FindingFactory(inspection__project=project, inspection__date=day(4, 2))
    Dispatch.objects.create(project=project, month=MONTH.first, submitted_at=moment(3, 24))
    SurveyRound.objects.create(
        project=project,
        number=1,
        opened_at=moment(3, 1),
        closed_at=moment(3, 15),
        households=50,
        answered=40,
        satisfied=38,
    )

    snapshots.freeze_month(MONTH)

    assert frozen(project) == {
        "name": "桃园小区改造",
        "neighbourhood": "桃园小区",
        "community": neighbourhood.community.name,
        "batch_year": 2026,
        "status": "under_construction",
        "percent_complete": "75.0",
        "households": 50,
        "people": 150,
        "funds": {
            "planned": "110.50",
            "arrived": "60.50",
            "spent": "20.25",
            "by_source": {
                "central": {"planned": "100.00", "arrived": "50.00", "spent": "20.25"},
                "residents": {"planned": "10.50", "arrived": "10.50", "spent": "0.00"},
            },
        },
        "outputs": {
            "parking": {"planned": "10.00", "completed": "5.00"},
            "lighting": {"planned": "4.00", "completed": "4.00"},
        },
        "behind_schedule": True,
        "late_milestones": 1,
        "requests": {"open": 2, "in_handling": 2, "closed": 1, "overdue": 2},
        "satisfaction": {"households": 50, "answered": 40, "satisfied": 38},
        "dispatch_reported": True,
        "findings": {"month": 2, "open": 2, "overdue": 1},
    }


def test_a_project_without_records_has_empty_figures():
    project = project_then(Status.CONSULTING)

    snapshots.freeze_month(MONTH)

    figures = frozen(project)
    assert figures["percent_complete"] is None
    assert figures["funds"] == {
        "planned": "0.00",
        "arrived": "0.00",
        "spent": "0.00",
        "by_source": {},
    }
    assert figures["outputs"] == {}
    assert figures["requests"] == {"open": 0, "in_handling": 0, "closed": 0, "overdue": 0}
    assert figures["satisfaction"] is None
    assert figures["dispatch_reported"] is None  # no sheet that month: nothing to report
    assert figures["findings"] == {"month": 0, "open": 0, "overdue": 0}
    assert (figures["behind_schedule"], figures["late_milestones"]) == (False, 0)


def test_only_projects_that_left_the_draft_by_the_months_end_are_frozen():
    draft = ProjectFactory()
    consulting = project_then(Status.CONSULTING)
    later = project_then(Status.CONSULTING, on=END)  # left the draft at the stroke of April
    accepted = project_then(Status.HANDED_OVER)

    assert snapshots.freeze_month(MONTH) == {"projects": 2}

    kept = set(ProjectSnapshot.objects.values_list("project", flat=True))
    assert kept == {consulting.pk, accepted.pk}
    assert draft.pk not in kept and later.pk not in kept


def test_the_status_is_the_one_the_project_had_at_the_months_end():
    project = project_then(Status.APPROVED, on=moment(3, 31, 23, 59))
    reach(project, Status.UNDER_CONSTRUCTION, on=END)

    snapshots.freeze_month(MONTH)

    assert frozen(project)["status"] == "approved"
    assert county()["by_status"] == {"approved": 1}


@pytest.mark.parametrize(
    ("planned", "actual", "late"),
    [
        (day(3, 31), None, 1),  # due on the last day and not done: late at the end
        (day(4, 1), None, 0),  # due the next month: not yet
        (day(3, 31), day(3, 31), 0),  # done on its last day
        (day(3, 15), day(4, 1), 1),  # done only after the end: late at the end
        (None, None, 0),  # never planned
    ],
)
def test_a_milestone_is_late_when_not_done_by_the_months_end(planned, actual, late):
    project = project_then(Status.UNDER_CONSTRUCTION)
    MilestoneFactory(project=project, planned_date=planned, actual_date=actual)

    snapshots.freeze_month(MONTH)

    assert frozen(project)["late_milestones"] == late
    assert frozen(project)["behind_schedule"] is bool(late)
    assert county()["behind_schedule"] == ([project.pk] if late else [])


def test_a_finished_project_is_not_behind_schedule_whatever_its_milestones():
    project = project_then(Status.ACCEPTED)
    MilestoneFactory(project=project, planned_date=day(3, 1))

    snapshots.freeze_month(MONTH)

    assert frozen(project)["late_milestones"] == 1
    assert frozen(project)["behind_schedule"] is False


@pytest.mark.parametrize(
    ("submitted_at", "reported"),
    [(moment(3, 31, 23, 59), True), (END, False), (None, False)],
)
def test_the_dispatch_counts_as_reported_when_submitted_by_the_months_end(submitted_at, reported):
    project = project_then(Status.UNDER_CONSTRUCTION)
    Dispatch.objects.create(project=project, month=MONTH.first, submitted_at=submitted_at)
    Dispatch.objects.create(project=project, month=day(2, 1), submitted_at=moment(2, 20))

    snapshots.freeze_month(MONTH)

    assert frozen(project)["dispatch_reported"] is reported


def test_satisfaction_of_an_open_round_counts_its_answers_so_far(office_user):
    project = project_at(Status.COMPLETED, by=office_user, acceptance=False)
    HouseholdFactory.create_batch(3, building__neighbourhood=project.neighbourhood)
    survey_round = acceptance_services.open_round(project, by=office_user)
    roll = survey_round.roll.select_related("household")[:3]
    for respondent, level in zip(
        roll, ["satisfied", "basically_satisfied", "dissatisfied"], strict=True
    ):
        acceptance_services.submit_answer(survey_round, respondent.household, overall=level)
    backdate()

    snapshots.freeze_month(MONTH)

    assert frozen(project)["satisfaction"] == {"households": 4, "answered": 3, "satisfied": 2}


def test_an_accepted_project_shows_its_decision_and_counts_as_benefited(office_user):
    accepted = project_at(Status.ACCEPTED, by=office_user)
    accepted.neighbourhood.household_count, accepted.neighbourhood.population = 60, 200
    accepted.neighbourhood.save()
    decision = AcceptanceDecision.objects.get(project=accepted)
    backdate()
    under_way = project_then(Status.UNDER_CONSTRUCTION)
    TaskItemFactory(project=under_way, planned_quantity=4, completed_quantity=1)
    other = project_then(Status.COMPLETED)
    TaskItemFactory(project=other, planned_quantity=3, completed_quantity=2)
    project_then(Status.CONSULTING)

    snapshots.freeze_month(MONTH)

    assert frozen(accepted)["satisfaction"] == {
        "households": decision.households,
        "answered": decision.answered,
        "satisfied": decision.satisfied,
    }
    figures = county()
    assert figures["projects"] == 4
    assert figures["by_status"] == {
        "consulting": 1,
        "under_construction": 1,
        "completed": 1,
        "accepted": 1,
    }
    # The mean of the projects under way, 1/4 and 2/3 (the accepted one's 100% left out):
    # 45.8333…%, taken from their completions before rounding.
    assert figures["percent_complete"] == "45.8"
    assert (figures["households_benefited"], figures["people_benefited"]) == (60, 200)
    assert figures["satisfaction"] == {
        "projects": 1,
        "households": decision.households,
        "answered": decision.answered,
        "satisfied": decision.satisfied,
    }


def test_the_countys_funds_and_outputs_add_up_its_projects():
    parking = CatalogueKindFactory(code="parking", name_zh="停车位", unit="parking_space")
    lighting = CatalogueKindFactory(code="lighting", name_zh="路灯", unit="set", priority=1)
    for planned, completed in [(10, 5), (6, 6)]:
        project = project_then(Status.UNDER_CONSTRUCTION)
        TaskItemFactory(
            project=project, kind=parking, planned_quantity=planned, completed_quantity=completed
        )
        TaskItemFactory(project=project, kind=lighting, planned_quantity=2, completed_quantity=0)
        FundingLineFactory(project=project, source="county", planned=Decimal("0.10"))
        FundingLineFactory(project=project, source="central", planned=Decimal("0.20"))
    accepted = project_then(Status.ACCEPTED)
    TaskItemFactory(project=accepted, kind=parking, planned_quantity=4, completed_quantity=4)
    draft = ProjectFactory()
    TaskItemFactory(project=draft, kind=parking, planned_quantity=100)

    snapshots.freeze_month(MONTH)

    figures = county()
    assert figures["funds"] == {
        "planned": "0.60",
        "arrived": "0.00",
        "spent": "0.00",
        "by_source": {
            "central": {"planned": "0.40", "arrived": "0.00", "spent": "0.00"},
            "county": {"planned": "0.20", "arrived": "0.00", "spent": "0.00"},
        },
    }
    assert sorted(figures["outputs"], key=lambda code: figures["outputs"][code]["order"]) == [
        "lighting",
        "parking",
    ]  # in catalogue order
    assert figures["outputs"]["parking"] == {
        "order": 2,
        "name": "停车位",
        "name_en": parking.name_en,
        "unit": "parking_space",
        "planned": "20.00",
        "completed": "15.00",
        "by_batch": {
            "accepted": {"planned": "4.00", "completed": "4.00"},
            "current": {"planned": "16.00", "completed": "11.00"},
        },
    }
    assert figures["outputs"]["lighting"]["by_batch"]["accepted"] == {
        "planned": "0.00",
        "completed": "0.00",
    }


def test_the_countys_requests_and_findings_are_its_whole_ledger():
    ResidentRequestFactory(received_at=moment(3, 2), due_on=day(3, 9))  # no project there
    ResidentRequestFactory(received_at=moment(4, 2))  # after the end
    project = project_then(Status.UNDER_CONSTRUCTION)
    FindingFactory(inspection__project=project)
    FindingFactory(inspection__project=project, rectified_at=moment(3, 18))

    snapshots.freeze_month(MONTH)

    figures = county()
    assert figures["requests"] == {"open": 1, "in_handling": 0, "closed": 0, "overdue": 1}
    assert figures["findings"] == {"month": 2, "open": 1, "overdue": 1}


# --- Freezing -------------------------------------------------------------------------------


def test_a_month_not_over_is_not_frozen():
    with pytest.raises(ValueError, match="not over"):
        snapshots.freeze_month(Month.current())
    assert not ProjectSnapshot.objects.exists()


def test_freezing_a_month_twice_leaves_one_set_with_the_latest_figures():
    project = project_then(Status.UNDER_CONSTRUCTION)
    item = TaskItemFactory(project=project, planned_quantity=10, completed_quantity=2)
    gone = project_then(Status.CONSULTING)
    snapshots.freeze_month(MONTH)
    item.completed_quantity = 4
    item.save()
    gone.delete()

    assert snapshots.freeze_month(MONTH) == {"projects": 1}

    assert ProjectSnapshot.objects.count() == 1
    assert CountySnapshot.objects.count() == 1
    assert frozen(project)["percent_complete"] == "40.0"
    assert county()["projects"] == 1


def test_other_months_are_left_alone_when_a_month_is_frozen():
    project = project_then(Status.UNDER_CONSTRUCTION, on=moment(1, 10))
    snapshots.freeze_month(Month.parse("2026-02"))
    snapshots.freeze_month(MONTH)
    snapshots.freeze_month(MONTH)

    assert ProjectSnapshot.objects.filter(project=project).count() == 2
    assert CountySnapshot.objects.count() == 2


def test_a_frozen_month_does_not_change_when_records_are_edited_later():
    project = project_then(Status.UNDER_CONSTRUCTION)
    item = TaskItemFactory(project=project, planned_quantity=10, completed_quantity=2)
    line = FundingLineFactory(project=project, planned=Decimal("100.00"))
    snapshots.freeze_month(MONTH)
    before, county_before = frozen(project), county()

    item.completed_quantity = 9
    item.save()
    line.planned = Decimal("250.00")
    line.save()
    ResidentRequestFactory(neighbourhood=project.neighbourhood, received_at=moment(3, 5))

    assert frozen(project) == before
    assert county() == county_before
    assert before["percent_complete"] == "20.0"
    live = snapshots.live_figures()
    assert live["projects"][project.pk]["percent_complete"] == "90.0"
    assert live["projects"][project.pk]["funds"]["planned"] == "250.00"
    assert live["projects"][project.pk]["requests"]["open"] == 1
    assert live["county"]["funds"]["planned"] == "250.00"


def test_live_figures_take_the_current_month_as_it_stands_now():
    project = project_then(Status.UNDER_CONSTRUCTION)
    current = Month.current()
    Dispatch.objects.create(project=project, month=current.first, submitted_at=timezone.now())
    today = timezone.localdate()
    MilestoneFactory(project=project, kind="construction_end", planned_date=today)
    ResidentRequestFactory(neighbourhood=project.neighbourhood, due_on=today)

    figures = snapshots.live_figures()["projects"][project.pk]

    assert figures["dispatch_reported"] is True
    assert figures["late_milestones"] == 0  # due today: not late yet
    assert figures["requests"]["overdue"] == 0
    assert not ProjectSnapshot.objects.exists()


def test_live_figures_can_be_narrowed_to_some_projects():
    mine = project_then(Status.UNDER_CONSTRUCTION)
    project_then(Status.UNDER_CONSTRUCTION)

    live = snapshots.live_figures(projects=Project.objects.filter(pk=mine.pk))

    assert list(live["projects"]) == [mine.pk]
    assert live["county"]["projects"] == 1


def test_the_job_freezes_through_the_close_of_the_month(monkeypatch):
    """``close_month`` calls ``freeze_month`` first (the other steps are other helpers')."""
    from cycle import jobs

    project = project_then(Status.UNDER_CONSTRUCTION)
    calls = []
    for module, name in [
        ("inspections", "produce_report"),
        ("ranking", "rank_month"),
        ("bulletin", "produce_bulletin"),
    ]:
        try:
            target = __import__(f"cycle.{module}", fromlist=[name])
        except ImportError:
            pytest.skip(f"cycle.{module} is not there yet")
        monkeypatch.setattr(target, name, lambda month, name=name: calls.append(name) or {})

    run = jobs.close_month(MONTH)

    assert run.summary["snapshots"] == {"projects": 1}
    assert ProjectSnapshot.objects.filter(project=project).exists()


# --- A fixed number of queries --------------------------------------------------------------


def grow(count: int):
    """``count`` projects under way, each with a record of every kind the figures read."""
    kind = CatalogueKindFactory()
    for _ in range(count):
        neighbourhood = NeighbourhoodFactory()
        project = project_then(Status.UNDER_CONSTRUCTION, neighbourhood=neighbourhood)
        project.merged_neighbourhoods.add(NeighbourhoodFactory())
        TaskItemFactory(project=project, kind=kind, completed_quantity=5)
        FundingLineFactory(project=project)
        MilestoneFactory(project=project, planned_date=day(3, 1))
        ResidentRequestFactory(neighbourhood=neighbourhood, received_at=moment(3, 5))
        FindingFactory(inspection__project=project)
        Dispatch.objects.create(project=project, month=MONTH.first, submitted_at=moment(3, 20))
        SurveyRound.objects.create(project=project, number=1, opened_at=moment(3, 1), households=9)


def test_freezing_a_month_runs_a_fixed_number_of_queries(django_assert_num_queries):
    # The savepoint and its release; the projects (with their status at the end, their
    # neighbourhood and community), the merged compounds, completion, outputs, funds, late
    # milestones, requests, findings, dispatches, survey rounds, decisions (11); the county's
    # sums: projects by status, mean completion, declared households of the finished projects
    # and of their merged compounds, funds, decisions, late projects, outputs, requests and
    # findings (10); the old snapshots deleted, the new ones inserted (2); the county's old
    # snapshot deleted, the new one inserted (2).
    grow(3)
    with django_assert_num_queries(27):
        assert snapshots.freeze_month(MONTH) == {"projects": 3}
    grow(27)
    with django_assert_num_queries(27):
        assert snapshots.freeze_month(MONTH) == {"projects": 30}
    assert ProjectSnapshot.objects.count() == 30


def test_a_snapshot_reads_back_exactly_the_figures_computed():
    grow(2)
    projects = snapshots.projects_past_draft(snapshots.AsOf.of(MONTH))
    figures = snapshots.project_figures(projects, MONTH)

    snapshots.freeze_month(MONTH)

    assert {s.project_id: s.figures for s in ProjectSnapshot.objects.all()} == figures
    assert county() == snapshots.county_figures(projects, MONTH)


def test_the_countys_figures_are_the_sums_of_its_projects_figures(office_user):
    """The county's figures are summed by the database, apart from its projects' figures:
    both must tell the same story."""
    project_at(Status.ACCEPTED, by=office_user)
    backdate()
    grow(3)
    completed = project_then(Status.COMPLETED)
    TaskItemFactory(project=completed, planned_quantity=3, completed_quantity=2)
    FundingLineFactory(project=completed, source="residents", arrived=Decimal("12.34"))
    project_then(Status.CONSULTING).merged_neighbourhoods.add(NeighbourhoodFactory())
    ProjectFactory()  # a draft: in neither

    projects = snapshots.projects_past_draft(snapshots.AsOf.of(MONTH))
    each = snapshots.project_figures(projects, MONTH).values()
    total = snapshots.county_figures(projects, MONTH)

    def add(values):
        return str(sum((Decimal(v) for v in values), Decimal(0)).quantize(Decimal("0.01")))

    finished = [one for one in each if one["status"] in Project.FINISHED_STATUSES]
    assert total["projects"] == len(each) == 6
    assert total["by_status"] == dict(Counter(one["status"] for one in each))
    for name in ("planned", "arrived", "spent"):
        assert total["funds"][name] == add(one["funds"][name] for one in each)
    for code, kind in total["outputs"].items():
        for name in ("planned", "completed"):
            assert kind[name] == add(one["outputs"].get(code, {}).get(name, 0) for one in each)
            assert kind["by_batch"]["accepted"][name] == add(
                one["outputs"].get(code, {}).get(name, 0) for one in finished
            )
    assert total["households_benefited"] == sum(one["households"] for one in finished) > 0
    assert total["people_benefited"] == sum(one["people"] for one in finished)
    assert total["behind_schedule"] == sorted(
        pk
        for pk, one in snapshots.project_figures(projects, MONTH).items()
        if one["behind_schedule"]
    )
    assert total["satisfaction"]["answered"] == sum(
        one["satisfaction"]["answered"] for one in finished
    )
    under_way = [
        Decimal(one["percent_complete"])
        for one in each
        if one["status"] in Project.ACTIVE_STATUSES and one["percent_complete"] is not None
    ]
    assert abs(Decimal(total["percent_complete"]) - sum(under_way) / len(under_way)) <= Decimal(
        "0.1"
    )
