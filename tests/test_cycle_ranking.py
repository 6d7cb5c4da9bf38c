"""一月一评比: each criterion at its boundaries, the weighted total and its renormalisation,
ties, who is ranked, writing the month's ranking once, and its admin pages.

The month under test is March 2026, as in ``test_cycle_snapshots``.
"""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation

from acceptance.models import SurveyRound
from cycle import ranking
from cycle.models import Dispatch, Ranking, RankingCriterion
from cycle.periods import Month
from projects.models import Milestone, Project
from residents.roles import Role

from .conftest import make_user
from .factories import (
    MilestoneFactory,
    NeighbourhoodFactory,
    ProjectFactory,
    ResidentRequestFactory,
)
from .test_cycle_snapshots import (
    END,
    MONTH,
    FindingFactory,
    day,
    grow,
    moment,
    project_then,
    reach,
)

pytestmark = pytest.mark.django_db

Status = Project.Status


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def scored(project) -> tuple[dict, Decimal]:
    """The scores and total of ``project`` in March."""
    for one, scores, total in ranking.score_month(MONTH):
        if one.pk == project.pk:
            return scores, total
    raise AssertionError(f"{project} is not ranked")


def score(project, code: str) -> Decimal | None:
    return scored(project)[0].get(code)


def under_way(**kwargs):
    return project_then(Status.UNDER_CONSTRUCTION, **kwargs)


def set_weights(**weights):
    for code, weight in weights.items():
        RankingCriterion.objects.filter(code=code).update(weight=weight)


# --- Each criterion -------------------------------------------------------------------------


def test_the_criteria_are_installed_with_their_weights_and_methods():
    criteria = {c.code: c for c in RankingCriterion.objects.all()}
    assert {code: c.weight for code, c in criteria.items()} == {
        "schedule": 30,
        "inspection": 20,
        "requests": 20,
        "reporting": 15,
        "satisfaction": 15,
    }
    assert set(criteria) == set(ranking.SCORERS)
    assert all(c.method and c.active for c in criteria.values())


@pytest.mark.parametrize(("late", "expected"), [(0, "100.0"), (1, "80.0"), (5, "0.0"), (6, "0.0")])
def test_schedule_loses_20_a_late_milestone_down_to_0(late, expected):
    project = under_way()
    kinds = [kind for kind, _label in Milestone.Kind.choices]
    for i, kind in enumerate(kinds):  # the milestones past ``late`` are due in April
        MilestoneFactory(
            project=project, kind=kind, planned_date=day(3, 31) if i < late else day(4, 1)
        )

    assert score(project, "schedule") == Decimal(expected)


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([], "100.0"),
        ([{"severity": "minor", "deadline": day(4, 10)}], "95.0"),
        ([{"severity": "major", "deadline": day(4, 10)}], "85.0"),
        ([{"severity": "critical", "deadline": day(4, 10)}], "70.0"),
        # Of March, due on the 31st and not rectified: the finding and the overdue rectification.
        ([{"severity": "minor", "deadline": day(3, 31)}], "85.0"),
        # Rectified in the last minute of the month: not overdue.
        ([{"deadline": day(3, 20), "rectified_at": moment(3, 31, 23, 59)}], "95.0"),
        # Rectified at the stroke of April: overdue at the month's end.
        ([{"deadline": day(3, 20), "rectified_at": END}], "85.0"),
        # Of February, overdue at the end of March: the overdue rectification alone.
        ([{"inspection__date": day(2, 10), "deadline": day(2, 28)}], "90.0"),
        # Of February, rectified in February: nothing.
        ([{"inspection__date": day(2, 10), "rectified_at": moment(2, 20)}], "100.0"),
        # Of April: not this month's.
        ([{"inspection__date": day(4, 1), "severity": "critical"}], "100.0"),
        ([{"severity": "critical", "deadline": day(4, 10)}] * 4, "0.0"),
    ],
)
def test_inspection_loses_points_by_severity_and_for_overdue_rectifications(findings, expected):
    project = under_way()
    for finding in findings:
        FindingFactory(inspection__project=project, **finding)

    assert score(project, "inspection") == Decimal(expected)


def test_requests_score_the_share_answered_by_their_due_date():
    neighbourhood, merged = NeighbourhoodFactory(), NeighbourhoodFactory()
    project = under_way(neighbourhood=neighbourhood)
    project.merged_neighbourhoods.add(merged)
    due = {"received_at": moment(3, 1), "due_on": day(3, 10), "status": "answered"}
    # On time to the last minute of the due day, county time.
    ResidentRequestFactory(neighbourhood=neighbourhood, answered_at=moment(3, 10, 23, 59), **due)
    # A minute late.
    ResidentRequestFactory(neighbourhood=neighbourhood, answered_at=moment(3, 11, 0, 0), **due)
    # Of the merged compound, on time.
    ResidentRequestFactory(neighbourhood=merged, answered_at=moment(3, 2), **due)
    # Due in March, never answered.
    ResidentRequestFactory(neighbourhood=neighbourhood, received_at=moment(3, 1), due_on=day(3, 31))
    # Due in February or April: not this month's.
    ResidentRequestFactory(neighbourhood=neighbourhood, received_at=moment(2, 1), due_on=day(2, 28))
    ResidentRequestFactory(neighbourhood=neighbourhood, received_at=moment(3, 30), due_on=day(4, 1))

    assert score(project, "requests") == Decimal("50.0")


def test_requests_score_100_when_none_was_due():
    project = under_way()
    ResidentRequestFactory(neighbourhood=project.neighbourhood, due_on=day(4, 6))

    assert score(project, "requests") == Decimal("100.0")


def test_requests_share_rounds_half_up_to_a_tenth():
    project = under_way()
    for answered in [moment(3, 5), moment(3, 5), moment(3, 20)]:
        ResidentRequestFactory(
            neighbourhood=project.neighbourhood,
            received_at=moment(3, 1),
            due_on=day(3, 10),
            status="answered",
            answered_at=answered,
        )

    assert score(project, "requests") == Decimal("66.7")


@pytest.mark.parametrize(
    ("submitted_at", "expected"),
    [
        (moment(3, 3), "100.0"),
        (moment(3, 25, 23, 59), "100.0"),  # the 25th counts, to its last minute
        (moment(3, 26, 0, 0), "60.0"),
        (moment(3, 31, 23, 59), "60.0"),
        (END, "0.0"),  # after the month's end
        (None, "0.0"),
    ],
)
def test_reporting_scores_the_dispatch_by_the_25th_by_the_months_end_or_not(submitted_at, expected):
    project = under_way()
    Dispatch.objects.create(project=project, month=MONTH.first, submitted_at=submitted_at)

    assert score(project, "reporting") == Decimal(expected)


def test_reporting_does_not_apply_without_the_months_dispatch_sheet():
    project = under_way()
    Dispatch.objects.create(project=project, month=day(2, 1), submitted_at=moment(2, 3))

    assert "reporting" not in scored(project)[0]


@pytest.mark.parametrize(
    ("answered", "satisfied", "expected"),
    [(40, 36, "90.0"), (40, 38, "95.0"), (3, 2, "66.7"), (7, 7, "100.0"), (0, 0, None)],
)
def test_satisfaction_scores_the_satisfied_share_of_the_latest_round(answered, satisfied, expected):
    project = project_then(Status.COMPLETED)
    closed = {"closed_at": moment(3, 2), "households": 50}
    SurveyRound.objects.create(
        project=project, number=1, opened_at=moment(2, 1), answered=1, satisfied=0, **closed
    )
    SurveyRound.objects.create(
        project=project,
        number=2,
        opened_at=moment(3, 1),
        answered=answered,
        satisfied=satisfied,
        **closed,
    )

    assert score(project, "satisfaction") == (Decimal(expected) if expected else None)


def test_satisfaction_does_not_apply_to_a_project_not_surveyed():
    project = under_way()

    assert "satisfaction" not in scored(project)[0]


def test_a_round_opened_after_the_months_end_is_not_counted():
    project = project_then(Status.COMPLETED)
    SurveyRound.objects.create(
        project=project, number=1, opened_at=END, households=5, answered=5, satisfied=5
    )

    assert "satisfaction" not in scored(project)[0]


# --- The total ------------------------------------------------------------------------------


REPORTED_LATE = moment(3, 28)


def a_project_scoring(name="项目", *, late=1, reported_at=REPORTED_LATE, survey=(40, 38), **kwargs):
    """Schedule 80 (``late`` late milestones: one), inspection 100, requests 100, reporting 60
    (after the 25th), satisfaction 95 (38 of 40) unless ``survey=None``."""
    project = under_way(name=name, **kwargs)
    for kind, _label in Milestone.Kind.choices[:late]:
        MilestoneFactory(project=project, kind=kind, planned_date=day(3, 31))
    Dispatch.objects.create(project=project, month=MONTH.first, submitted_at=reported_at)
    if survey:
        SurveyRound.objects.create(
            project=project,
            number=1,
            opened_at=moment(3, 1),
            closed_at=moment(3, 5),
            households=50,
            answered=survey[0],
            satisfied=survey[1],
        )
    return project


def test_the_total_is_the_weighted_mean_rounded_half_up():
    project = a_project_scoring()

    scores, total = scored(project)

    assert scores == {
        "schedule": Decimal("80.0"),
        "inspection": Decimal("100.0"),
        "requests": Decimal("100.0"),
        "reporting": Decimal("60.0"),
        "satisfaction": Decimal("95.0"),
    }
    # (30·80 + 20·100 + 20·100 + 15·60 + 15·95) / 100 = 87.25, rounded half up.
    assert total == Decimal("87.3")


def test_the_weights_change_the_total():
    project = a_project_scoring()
    set_weights(schedule=0, reporting=0)

    # (20·100 + 20·100 + 15·95) / 55 = 98.636…
    assert scored(project)[1] == Decimal("98.6")

    set_weights(schedule=70, inspection=0, requests=0, reporting=30, satisfaction=0)
    # (70·80 + 30·60) / 100
    assert scored(project)[1] == Decimal("74.0")


def test_a_criterion_not_in_use_is_neither_scored_nor_weighed():
    project = a_project_scoring()
    RankingCriterion.objects.filter(code="reporting").update(active=False)

    scores, total = scored(project)

    assert "reporting" not in scores
    # (30·80 + 20·100 + 20·100 + 15·95) / 85 = 92.06…
    assert total == Decimal("92.1")


def test_without_a_survey_the_other_weights_are_renormalised():
    project = a_project_scoring(survey=None)

    scores, total = scored(project)

    assert "satisfaction" not in scores
    # (30·80 + 20·100 + 20·100 + 15·60) / 85 = 85.88…
    assert total == Decimal("85.9")


def test_a_project_whose_criteria_all_weigh_nothing_totals_zero():
    project = a_project_scoring()
    RankingCriterion.objects.update(weight=0)

    assert scored(project)[1] == Decimal("0.0")


# --- Ranks --------------------------------------------------------------------------------


def test_ranks_skip_after_a_tie():
    assert ranking.ranks([Decimal(x) for x in ["99", "90", "90", "80", "80", "80", "1"]]) == [
        1,
        2,
        2,
        4,
        4,
        4,
        7,
    ]
    assert ranking.ranks([]) == []


def test_equal_totals_share_a_rank_and_are_listed_by_name():
    best = a_project_scoring("甲", late=0, reported_at=moment(3, 2))
    tied_b = a_project_scoring("丙")
    tied_a = a_project_scoring("乙")
    last = a_project_scoring("丁", late=3)

    ranking.rank_month(MONTH)

    rows = list(Ranking.objects.filter(month=MONTH.first).order_by("rank", "project__name"))
    listed = [(row.project_id, row.rank) for row in rows]
    ordered_ties = sorted([tied_a, tied_b], key=lambda p: p.name)
    assert listed == [(best.pk, 1), *((p.pk, 2) for p in ordered_ties), (last.pk, 4)]
    results = ranking.score_month(MONTH)
    assert [p.pk for p, _, _ in results] == [best.pk, *(p.pk for p in ordered_ties), last.pk]


# --- Who is ranked, and the month's ranking -------------------------------------------------


def test_the_projects_under_way_and_those_accepted_in_the_month_are_ranked():
    ranked = {
        project_then(Status.APPROVED),
        project_then(Status.TENDERING),
        under_way(),
        project_then(Status.COMPLETED),
        reach(project_then(Status.COMPLETED), Status.ACCEPTED, on=moment(3, 1, 0, 0)),
        reach(project_then(Status.COMPLETED), Status.HANDED_OVER, on=moment(3, 20)),
    }
    ProjectFactory()
    project_then(Status.CONSULTING)
    project_then(Status.ACCEPTED)  # accepted in February
    reach(project_then(Status.CONSULTING), Status.APPROVED, on=END)  # approved in April
    reach(project_then(Status.COMPLETED), Status.ACCEPTED, on=moment(2, 28, 23, 59))

    assert {p.pk for p, _, _ in ranking.score_month(MONTH)} == {p.pk for p in ranked}


def test_ranking_a_month_writes_one_row_per_project_and_replaces_a_former_run():
    first = a_project_scoring("甲")
    second = a_project_scoring("乙", late=0)

    summary = ranking.rank_month(MONTH)
    assert summary == {
        "projects": 2,
        "weights": {
            "schedule": "30.00",
            "inspection": "20.00",
            "requests": "20.00",
            "reporting": "15.00",
            "satisfaction": "15.00",
        },
    }
    row = Ranking.objects.get(month=MONTH.first, project=first)
    assert (row.rank, row.total) == (2, Decimal("87.3"))
    assert row.scores == {
        "schedule": "80.0",
        "inspection": "100.0",
        "requests": "100.0",
        "reporting": "60.0",
        "satisfaction": "95.0",
    }

    second.delete()
    ranking.rank_month(MONTH)

    assert Ranking.objects.filter(month=MONTH.first).count() == 1
    assert Ranking.objects.get(month=MONTH.first).rank == 1


def test_a_ranked_month_is_not_changed_by_later_edits_nor_by_other_months():
    project = a_project_scoring()
    ranking.rank_month(MONTH)
    before = list(Ranking.objects.values("project", "scores", "total", "rank"))

    FindingFactory(inspection__project=project, severity="critical")
    set_weights(schedule=0)

    assert list(Ranking.objects.values("project", "scores", "total", "rank")) == before
    assert scored(project)[1] != before[0]["total"]  # what it would be if scored again
    ranking.rank_month(Month.parse("2026-02"))
    assert list(Ranking.objects.filter(month=MONTH.first).values("project", "total")) == [
        {"project": project.pk, "total": Decimal("87.3")}
    ]


def test_a_month_not_over_is_not_ranked():
    under_way()
    with pytest.raises(ValueError, match="not over"):
        ranking.rank_month(Month.current())
    assert not Ranking.objects.exists()


def test_ranking_a_month_runs_a_fixed_number_of_queries(django_assert_num_queries):
    # The savepoint and its release; the criteria in use; the ranked projects (their status
    # at the end and their acceptance in the month as subqueries); late milestones; findings;
    # the requests due and the merged compounds; dispatches; survey rounds and decisions; the
    # month's old rows deleted, the new ones inserted.
    grow(3)
    with django_assert_num_queries(13):
        assert ranking.rank_month(MONTH)["projects"] == 3
    grow(27)
    with django_assert_num_queries(13):
        assert ranking.rank_month(MONTH)["projects"] == 30
    assert Ranking.objects.count() == 30


# --- The admin --------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"admin:cycle_{name}", args=args)


def test_the_office_changes_a_weight_and_the_change_is_kept_in_the_history(client, english):
    office = make_user(Role.OFFICE)
    client.force_login(office)
    criterion = RankingCriterion.objects.get(code="schedule")

    response = client.post(
        url("rankingcriterion_change", criterion.pk),
        {"name": criterion.name, "weight": "40", "method": criterion.method, "active": "on"},
    )

    assert response.status_code == 302
    criterion.refresh_from_db()
    assert criterion.weight == Decimal("40")
    assert criterion.history.first().history_user == office
    history = client.get(url("rankingcriterion_history", criterion.pk))
    assert history.status_code == 200


def test_a_weight_cannot_be_negative(client, english):
    client.force_login(make_user(Role.OFFICE))
    criterion = RankingCriterion.objects.get(code="schedule")

    response = client.post(
        url("rankingcriterion_change", criterion.pk),
        {"name": criterion.name, "weight": "-1", "method": criterion.method, "active": "on"},
    )

    assert response.status_code == 200
    criterion.refresh_from_db()
    assert criterion.weight == 30


def test_criteria_are_neither_added_nor_deleted_in_the_admin(client):
    client.force_login(make_user(Role.OFFICE))
    criterion = RankingCriterion.objects.first()

    assert client.get(url("rankingcriterion_add")).status_code == 403
    assert client.get(url("rankingcriterion_delete", criterion.pk)).status_code == 403


def test_only_the_office_changes_the_criteria(client):
    criterion = RankingCriterion.objects.first()
    for role in (Role.COMMUNITY, Role.INSPECTOR, Role.AUDITOR):
        client.force_login(make_user(role))
        response = client.post(
            url("rankingcriterion_change", criterion.pk),
            {"name": "x", "weight": "1", "method": "x", "active": "on"},
        )
        assert response.status_code == 403
    criterion.refresh_from_db()
    assert criterion.weight == 30


def test_the_ranking_list_shows_each_criterion_in_rank_order(client, english):
    a_project_scoring("甲", late=0, reported_at=moment(3, 2))
    a_project_scoring("乙", survey=None)
    ranking.rank_month(MONTH)
    client.force_login(make_user(Role.INSPECTOR))

    response = client.get(url("ranking_changelist"), {"month": "2026-03"})

    assert response.status_code == 200
    rows = response.context["cl"].result_list
    assert [row.project.name for row in rows] == ["甲", "乙"]
    text = response.content.decode()
    for criterion in RankingCriterion.objects.all():
        assert criterion.name in text
    assert "85.9" in text and "95.0" in text


def test_the_ranking_is_read_only_for_everyone(client):
    project = a_project_scoring()
    ranking.rank_month(MONTH)
    row = Ranking.objects.get(project=project)
    client.force_login(make_user(Role.OFFICE))

    assert client.get(url("ranking_add")).status_code == 403
    response = client.post(
        url("ranking_change", row.pk), {"total": "100", "rank": "1", "scores": "{}"}
    )
    assert response.status_code == 403
    assert client.get(url("ranking_change", row.pk)).status_code == 200
    row.refresh_from_db()
    assert row.total == Decimal("87.3")


def test_community_staff_see_the_ranking_of_their_projects_only(client, registers):
    mine = a_project_scoring("甲", neighbourhood=registers.a.neighbourhood)
    a_project_scoring("乙", neighbourhood=registers.b.neighbourhood)
    ranking.rank_month(MONTH)
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))

    response = client.get(url("ranking_changelist"))

    assert [row.project_id for row in response.context["cl"].result_list] == [mine.pk]


def test_the_ranking_list_filters_by_month(client):
    a_project_scoring()
    ranking.rank_month(MONTH)
    ranking.rank_month(Month.parse("2026-02"))
    client.force_login(make_user(Role.OFFICE))

    response = client.get(url("ranking_changelist"), {"month": "2026-02"})

    assert {row.month for row in response.context["cl"].result_list} == {day(2, 1)}
    everything = client.get(url("ranking_changelist"))
    assert len(everything.context["cl"].result_list) == 2
    assert client.get(url("ranking_changelist"), {"month": "junk"}).status_code == 200


def test_the_snapshot_lists_and_pages_show_the_frozen_figures(client):
    from cycle import snapshots
    from cycle.models import CountySnapshot, ProjectSnapshot

    project = a_project_scoring("甲")
    snapshots.freeze_month(MONTH)
    client.force_login(make_user(Role.AUDITOR))

    listed = client.get(url("projectsnapshot_changelist"), {"month": "2026-03"})
    assert [s.project_id for s in listed.context["cl"].result_list] == [project.pk]
    snapshot = ProjectSnapshot.objects.get()
    page = client.get(url("projectsnapshot_change", snapshot.pk))
    assert page.status_code == 200
    assert "under_construction" in page.content.decode()
    county = CountySnapshot.objects.get()
    assert client.get(url("countysnapshot_changelist")).status_code == 200
    assert client.get(url("countysnapshot_change", county.pk)).status_code == 200
    assert client.get(url("projectsnapshot_add")).status_code == 403


def _grow_rankings(count):
    for i in range(count):
        a_project_scoring(f"项目{i:03d}", late=i % 3)
    ranking.rank_month(MONTH)


def test_the_ranking_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    # 4 for every admin page (session, user, the user's permissions held directly and through
    # groups), 2 for the request's savepoint and its release, the criteria (the columns and
    # the methods above the list), the months of the month filter, the community filter's
    # choices, 2 counts (the paginator, the "N total") and the page with its projects.
    client.force_login(make_user(Role.OFFICE))
    _grow_rankings(3)
    with django_assert_num_queries(12):
        assert len(client.get(url("ranking_changelist")).context["cl"].result_list) == 3
    Ranking.objects.all().delete()
    _grow_rankings(9)
    with django_assert_num_queries(12):
        assert len(client.get(url("ranking_changelist")).context["cl"].result_list) == 12


def test_the_snapshot_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    # As the ranking list, without the criteria: 4 + 2 + the months, the communities, 2
    # counts and the page with its projects.
    from cycle import snapshots

    client.force_login(make_user(Role.OFFICE))
    grow(3)
    snapshots.freeze_month(MONTH)
    with django_assert_num_queries(11):
        assert len(client.get(url("projectsnapshot_changelist")).context["cl"].result_list) == 3
    grow(7)
    snapshots.freeze_month(MONTH)
    with django_assert_num_queries(11):
        assert len(client.get(url("projectsnapshot_changelist")).context["cl"].result_list) == 10


def test_the_criteria_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    # 4 for every admin page, 2 for the savepoint and its release, 2 counts and the page.
    client.force_login(make_user(Role.OFFICE))
    ContentType.objects.clear_cache()
    with django_assert_num_queries(9):
        client.get(url("rankingcriterion_changelist"))


def test_the_ranking_and_snapshot_pages_run_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    # 4 for every admin page (session, user, permissions direct and through groups), 2 for
    # the request's savepoint and its release, the row with its project, and for the ranking
    # the criteria naming its scores. (Each page is read once first: the content type of the
    # History link is then cached.)
    from cycle import snapshots
    from cycle.models import CountySnapshot, ProjectSnapshot

    grow(3)
    ranking.rank_month(MONTH)
    snapshots.freeze_month(MONTH)
    client.force_login(make_user(Role.OFFICE))
    pages = {
        url("ranking_change", Ranking.objects.first().pk): 8,
        url("projectsnapshot_change", ProjectSnapshot.objects.first().pk): 7,
        url("countysnapshot_change", CountySnapshot.objects.get().pk): 7,
    }
    for page, queries in pages.items():
        client.get(page)
        with django_assert_num_queries(queries):
            assert client.get(page).status_code == 200
