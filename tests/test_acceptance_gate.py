"""The acceptance gate (rule 2 of DESIGN.md) and the services that feed it.

Thresholds are inclusive and exact: 3·answered ≥ 2·households, 10·satisfied ≥ 9·answered.
Each boundary is tried on both sides, in pure arithmetic at the county's scale and on real
rounds in the database. The accept door (``projects.services.accept``) refuses what the gate
refuses and keeps a snapshot of what it passes; the admin's doors are tried in
test_acceptance_admin.py, the household link in test_acceptance_resident.py.
"""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.utils import timezone, translation
from django.utils.formats import date_format

from acceptance import rules, services
from acceptance.models import (
    AcceptanceCheck,
    AcceptanceDecision,
    Participant,
    Respondent,
    Result,
    SatisfactionAnswer,
    SurveyRound,
)
from projects import services as project_services
from projects.models import Project, ProjectStatusLocked
from projects.services import Refused, TransitionRefused

from .conftest import make_user
from .factories import BuildingFactory, HouseholdFactory, NeighbourhoodFactory
from .test_project_lifecycle import project_at

pytestmark = pytest.mark.django_db

Status = Project.Status
SATISFIED, BASICALLY, DISSATISFIED = "satisfied", "basically_satisfied", "dissatisfied"


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def office(db):
    return make_user(username="office")


def completed_project(office, households: int, **kwargs) -> Project:
    """A completed project whose neighbourhood has ``households`` registered households, with
    no check and no survey yet."""
    neighbourhood = NeighbourhoodFactory()
    building = BuildingFactory(neighbourhood=neighbourhood)
    HouseholdFactory.create_batch(households, building=building)
    return project_at(
        Status.COMPLETED, by=office, neighbourhood=neighbourhood, acceptance=False, **kwargs
    )


def passed_check(project, office) -> AcceptanceCheck:
    check = services.start_check(project, by=office)
    check.items.update(result=Result.PASSED)
    Participant.objects.create(acceptance_check=check, role="supervisor", name="监理王工")
    return services.conclude_check(check, by=office)


def answer(survey_round, levels, **kwargs) -> None:
    """The first households of the roll answer ``levels`` in order."""
    roll = survey_round.roll.select_related("household").order_by("pk")
    for respondent, level in zip(roll, levels, strict=False):
        services.submit_answer(survey_round, respondent.household, overall=level, **kwargs)


def survey(project, office, *, answered, satisfied, basically=0) -> SurveyRound:
    """Open a round and have ``answered`` households answer: ``satisfied`` satisfied,
    ``basically`` basically satisfied, the rest dissatisfied."""
    survey_round = services.open_round(project, by=office)
    rest = answered - satisfied - basically
    answer(survey_round, [SATISFIED] * satisfied + [BASICALLY] * basically + [DISSATISFIED] * rest)
    return survey_round


# --- The arithmetic -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("households", "needed"),
    [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (7, 5), (100, 67), (1550, 1034), (3100, 2067)],
)
def test_two_thirds_of_the_households_rounds_up(households, needed):
    assert rules.answers_needed(households) == needed
    assert rules.turnout_met(needed, households)
    assert not rules.turnout_met(needed - 1, households)


def test_1550_households_need_1034_answers():
    assert rules.turnout_met(1034, 1550)
    assert not rules.turnout_met(1033, 1550)


@pytest.mark.parametrize(
    ("satisfied", "answered", "met"),
    [
        (9, 10, True),  # exactly 90%
        (18, 20, True),
        (17, 19, False),  # 89.47%
        (931, 1034, True),  # 90.04%
        (930, 1034, False),  # 89.94%
        (899, 999, False),  # 89.99%: "just under" is under
        (1, 1, True),
        (0, 1, False),
    ],
)
def test_ninety_percent_is_inclusive_and_exact(satisfied, answered, met):
    assert rules.satisfaction_met(satisfied, answered) is met
    assert (satisfied >= rules.satisfied_needed(answered)) is met


def test_no_households_or_no_answers_never_pass():
    assert not rules.turnout_met(0, 0)
    assert not rules.satisfaction_met(0, 0)


def test_percentages_round_half_up_with_one_decimal():
    assert rules.percent_text(2, 3) == "66.7%"
    assert rules.percent_text(1034, 1550) == "66.7%"
    assert rules.percent_text(899, 999) == "90.0%"  # shown rounded; the verdict is exact
    assert rules.percent_text(1, 0) == "–"


# --- Real rounds at the boundaries ----------------------------------------------------------


@pytest.mark.parametrize(
    ("households", "answered", "passes"),
    [(6, 4, True), (6, 3, False), (7, 5, True), (7, 4, False), (5, 4, True), (5, 3, False)],
)
def test_acceptance_needs_two_thirds_turnout(office, households, answered, passes):
    project = completed_project(office, households)
    passed_check(project, office)
    survey(project, office, answered=answered, satisfied=answered)

    assert bool(rules.acceptance_gate(project)) is passes


@pytest.mark.parametrize(
    ("answered", "satisfied", "passes"), [(10, 9, True), (10, 8, False), (20, 18, True)]
)
def test_acceptance_needs_ninety_percent_satisfied(office, answered, satisfied, passes):
    project = completed_project(office, answered)
    passed_check(project, office)
    survey(project, office, answered=answered, satisfied=satisfied)

    assert bool(rules.acceptance_gate(project)) is passes


def test_basically_satisfied_counts_as_satisfied_by_default(office):
    project = completed_project(office, 10)
    passed_check(project, office)
    survey_round = survey(project, office, answered=10, satisfied=5, basically=4)

    numbers = rules.survey_numbers(survey_round)
    assert (numbers.answered, numbers.satisfied) == (10, 9)
    assert numbers.by_level == {SATISFIED: 5, BASICALLY: 4, DISSATISFIED: 1}
    assert rules.acceptance_gate(project)


def test_a_round_keeps_the_counting_rule_it_opened_with(office):
    project = completed_project(office, 10)
    passed_check(project, office)
    with override_settings(ANJU_BASICALLY_SATISFIED_COUNTS=False):
        survey_round = survey(project, office, answered=10, satisfied=5, basically=4)

    # The setting is back to its default: the round still counts "satisfied" only.
    numbers = rules.survey_numbers(survey_round)
    assert (numbers.answered, numbers.satisfied) == (10, 5)
    assert not rules.acceptance_gate(project)


def test_the_gate_says_which_condition_failed_and_by_how_much(office, english):
    project = completed_project(office, 48)
    passed_check(project, office)
    survey(project, office, answered=30, satisfied=26)

    assert [str(reason) for reason in rules.acceptance_gate(project).missing] == [
        "30 of 48 households answered (62.5%); two thirds need 32: 2 more answers are needed.",
        "26 of 30 answers satisfied (86.7%); 90% needs 27: 1 satisfied answer short.",
    ]


def test_the_gate_asks_for_a_check_and_a_survey_first(office, english):
    project = completed_project(office, 3)

    assert [str(reason) for reason in rules.acceptance_gate(project).missing] == [
        "No completion check has been recorded yet.",
        "No satisfaction survey has been opened yet.",
    ]


def test_a_failed_check_keeps_the_gate_closed_whatever_the_residents_say(office, english):
    project = completed_project(office, 3)
    check = services.start_check(project, by=office)
    check.items.update(result=Result.PASSED)
    check.items.filter(pk=check.items.first().pk).update(result=Result.FAILED)
    Participant.objects.create(acceptance_check=check, role="contractor", name="施工李工")
    services.conclude_check(check, by=office, rectification="外墙空鼓处返工。")
    survey(project, office, answered=3, satisfied=3)

    missing = [str(reason) for reason in rules.acceptance_gate(project).missing]
    assert len(missing) == 1
    assert missing[0].startswith(f"Check 1 of {date_format(check.date)} failed (")
    assert "failed" in missing[0] and check.items.first().title in missing[0]


# --- Answers --------------------------------------------------------------------------------


def test_a_changed_answer_counts_once_and_the_last_one_counts(office):
    project = completed_project(office, 3)
    survey_round = services.open_round(project, by=office)
    household = survey_round.roll.first().household

    services.submit_answer(survey_round, household, overall=DISSATISFIED, comment="楼道灯不亮")
    services.submit_answer(survey_round, household, overall=SATISFIED, content=SATISFIED)

    numbers = rules.survey_numbers(survey_round)
    assert (numbers.answered, numbers.satisfied) == (1, 1)
    answer_row = SatisfactionAnswer.objects.get(respondent__household=household)
    assert (answer_row.overall, answer_row.content) == (SATISFIED, SATISFIED)
    assert answer_row.comment == ""


def test_a_closed_round_takes_no_answers(office, english):
    project = completed_project(office, 3)
    survey_round = services.open_round(project, by=office)
    household = survey_round.roll.first().household
    services.close_round(survey_round, by=office)

    with pytest.raises(Refused) as refused:
        services.submit_answer(survey_round, household, overall=SATISFIED)

    assert str(refused.value) == "The survey is closed: it takes no more answers."
    assert not SatisfactionAnswer.objects.exists()
    assert not Respondent.objects.answered().exists()


def test_closing_a_round_freezes_its_results(office):
    project = completed_project(office, 4)
    survey_round = survey(project, office, answered=3, satisfied=3)

    services.close_round(survey_round, by=office)

    survey_round.refresh_from_db()
    assert (survey_round.answered, survey_round.satisfied, survey_round.passed) == (3, 3, True)
    assert survey_round.closed_by == office
    with pytest.raises(Refused):
        services.close_round(survey_round, by=office)


def test_paper_answers_count_and_say_who_entered_them(office):
    community = make_user(username="shequ")
    project = completed_project(office, 3)
    passed_check(project, office)
    survey_round = services.open_round(project, by=office)
    roll = list(survey_round.roll.select_related("household"))
    services.submit_answer(survey_round, roll[0].household, overall=SATISFIED)
    services.submit_answer(
        survey_round,
        roll[1].household,
        overall=BASICALLY,
        channel=Respondent.Channel.PAPER,
        entered_by=community,
    )

    assert rules.acceptance_gate(project)
    paper = Respondent.objects.get(pk=roll[1].pk)
    assert (paper.channel, paper.entered_by) == (Respondent.Channel.PAPER, community)
    assert Respondent.objects.get(pk=roll[0].pk).entered_by is None


def test_a_paper_answer_needs_who_entered_it(office):
    project = completed_project(office, 1)
    survey_round = services.open_round(project, by=office)

    with pytest.raises(Refused):
        services.submit_answer(
            survey_round,
            survey_round.roll.get().household,
            overall=SATISFIED,
            channel=Respondent.Channel.DOOR_TO_DOOR,
        )

    assert not SatisfactionAnswer.objects.exists()


@pytest.mark.parametrize(
    "first_channel", [Respondent.Channel.LINK, Respondent.Channel.PAPER], ids=["link", "paper"]
)
@pytest.mark.parametrize(
    "second_channel",
    [Respondent.Channel.PAPER, Respondent.Channel.DOOR_TO_DOOR],
    ids=["paper", "door_to_door"],
)
def test_staff_cannot_answer_again_for_a_household_that_answered(
    office, english, first_channel, second_channel
):
    community = make_user(username="shequ")
    project = completed_project(office, 2)
    survey_round = services.open_round(project, by=office)
    respondent = survey_round.roll.select_related("household").first()
    entered_by = None if first_channel == Respondent.Channel.LINK else community
    services.submit_answer(
        survey_round,
        respondent.household,
        overall=DISSATISFIED,
        comment="楼道灯不亮",
        channel=first_channel,
        entered_by=entered_by,
    )
    before = Respondent.objects.get(pk=respondent.pk)

    with pytest.raises(Refused) as refused:
        services.submit_answer(
            survey_round,
            respondent.household,
            overall=SATISFIED,
            channel=second_channel,
            entered_by=office,
        )

    assert [str(reason) for reason in refused.value.reasons] == [
        "This household has already answered; only the household itself can change its "
        "answer, through its link."
    ]
    kept = SatisfactionAnswer.objects.get(respondent=respondent)
    assert (kept.overall, kept.comment) == (DISSATISFIED, "楼道灯不亮")
    after = Respondent.objects.get(pk=respondent.pk)
    assert (after.answered_at, after.channel, after.entered_by) == (
        before.answered_at,
        before.channel,
        before.entered_by,
    )


def test_a_household_changes_through_its_link_an_answer_entered_on_paper(office):
    community = make_user(username="shequ")
    project = completed_project(office, 1)
    survey_round = services.open_round(project, by=office)
    household = survey_round.roll.get().household
    services.submit_answer(
        survey_round,
        household,
        overall=DISSATISFIED,
        channel=Respondent.Channel.PAPER,
        entered_by=community,
    )

    services.submit_answer(survey_round, household, overall=SATISFIED)

    respondent = survey_round.roll.get()
    assert (respondent.channel, respondent.entered_by) == (Respondent.Channel.LINK, None)
    assert SatisfactionAnswer.objects.get(respondent=respondent).overall == SATISFIED
    assert rules.survey_numbers(survey_round).satisfied == 1


@pytest.mark.parametrize("level", ["", "very_satisfied", None])
def test_an_answer_outside_the_three_levels_is_refused(office, level):
    project = completed_project(office, 1)
    survey_round = services.open_round(project, by=office)

    with pytest.raises(Refused):
        services.submit_answer(survey_round, survey_round.roll.get().household, overall=level)

    assert not SatisfactionAnswer.objects.exists()


def test_households_are_counted_as_registered_when_the_round_opened(office):
    project = completed_project(office, 3)
    survey_round = services.open_round(project, by=office)
    building = project.neighbourhood.buildings.first()
    newcomer = HouseholdFactory(building=building)

    with pytest.raises(Refused):
        services.submit_answer(survey_round, newcomer, overall=SATISFIED)

    assert survey_round.households == 3
    assert rules.survey_numbers(survey_round).households == 3


def test_one_answer_per_household_per_round_is_a_database_constraint(office):
    project = completed_project(office, 1)
    survey_round = services.open_round(project, by=office)
    respondent = survey_round.roll.get()
    SatisfactionAnswer.objects.create(
        respondent=respondent, survey_round=survey_round, overall=SATISFIED
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        SatisfactionAnswer.objects.create(
            respondent=respondent, survey_round=survey_round, overall=DISSATISFIED
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Respondent.objects.create(survey_round=survey_round, household=respondent.household)


# --- Rounds and checks ----------------------------------------------------------------------


def test_a_round_opens_only_for_a_completed_project_and_one_at_a_time(office):
    project = completed_project(office, 2)
    services.open_round(project, by=office)

    with pytest.raises(Refused):
        services.open_round(project, by=office)

    under_way = project_at(Status.UNDER_CONSTRUCTION, by=office)
    with pytest.raises(Refused):
        services.open_round(under_way, by=office)
    with pytest.raises(Refused):
        services.start_check(under_way, by=office)


def test_a_failed_round_leads_to_a_new_round_and_both_results_are_kept(office):
    project = completed_project(office, 10)
    passed_check(project, office)
    first = survey(project, office, answered=10, satisfied=7)
    services.close_round(first, by=office)
    second = survey(project, office, answered=10, satisfied=10)

    first.refresh_from_db()
    assert (first.number, first.passed, first.satisfied) == (1, False, 7)
    assert second.number == 2
    assert rules.acceptance_gate(project)  # the latest round decides


def test_a_check_concludes_only_when_every_item_was_checked_by_someone(office, english):
    project = completed_project(office, 1)
    check = services.start_check(project, by=office)
    assert check.items.count() >= 10  # the county's checklist template

    with pytest.raises(Refused) as refused:
        services.conclude_check(check, by=office)

    reasons = [str(reason) for reason in refused.value.reasons]
    assert reasons[0].startswith("Items still to be checked: ")
    assert reasons[1] == "Record who took part in the check."
    assert AcceptanceCheck.objects.get(pk=check.pk).result == Result.PENDING


def test_a_failed_check_needs_its_rectification_and_leads_to_a_recheck(office):
    project = completed_project(office, 1)
    check = services.start_check(project, by=office)
    check.items.update(result=Result.PASSED)
    failing = check.items.order_by("order").first()
    check.items.filter(pk=failing.pk).update(result=Result.FAILED, notes="闭水试验渗漏")
    Participant.objects.create(acceptance_check=check, role="county_office", name="张主任")

    with pytest.raises(Refused):
        services.conclude_check(check, by=office)
    failed = services.conclude_check(check, by=office, rectification="屋面重做防水层。")
    recheck = services.start_check(project, by=office)

    assert failed.result == Result.FAILED
    assert recheck.number == 2
    assert recheck.items.get(title=failing.title).result == Result.PENDING
    assert not recheck.items.exclude(title=failing.title).exclude(result=Result.PASSED).exists()
    assert list(recheck.participants.values_list("name", flat=True)) == ["张主任"]
    with pytest.raises(Refused):  # one check in progress at a time
        services.start_check(project, by=office)


def test_a_passed_check_needs_no_further_check(office):
    project = completed_project(office, 1)
    passed_check(project, office)

    with pytest.raises(Refused):
        services.start_check(project, by=office)


# --- The accept door ------------------------------------------------------------------------


def test_accept_is_refused_when_the_gate_fails_and_nothing_is_written(office, english):
    project = completed_project(office, 6)
    passed_check(project, office)
    survey_round = survey(project, office, answered=3, satisfied=3)

    with pytest.raises(TransitionRefused) as refused:
        project_services.accept(project, by=office)

    assert [str(r) for r in refused.value.reasons] == [
        "3 of 6 households answered (50.0%); two thirds need 4: 1 more answer is needed."
    ]
    assert Project.objects.get(pk=project.pk).status == Status.COMPLETED
    assert SurveyRound.objects.get(pk=survey_round.pk).is_open
    assert not AcceptanceDecision.objects.exists()


def test_no_orm_door_marks_a_project_accepted(office):
    project = completed_project(office, 1)

    with pytest.raises(ProjectStatusLocked):
        Project.objects.filter(pk=project.pk).update(status=Status.ACCEPTED)
    project.status = Status.ACCEPTED
    with pytest.raises(ProjectStatusLocked):
        project.save()
    assert Project.objects.get(pk=project.pk).status == Status.COMPLETED


def test_accept_closes_the_round_and_keeps_the_numbers_of_the_moment(office):
    project = completed_project(office, 7)
    check = passed_check(project, office)
    survey_round = survey(project, office, answered=6, satisfied=5, basically=1)

    project_services.accept(project, by=office, note="验收通过")

    decision = AcceptanceDecision.objects.get(project=project)
    assert (decision.households, decision.answered, decision.satisfied) == (7, 6, 6)
    assert (decision.acceptance_check, decision.survey_round) == (check, survey_round)
    assert decision.decided_by == office
    assert decision.checklist_items == check.items.count()
    survey_round.refresh_from_db()
    assert not survey_round.is_open and survey_round.answered == 6
    # Later changes to the registers do not touch the decision.
    HouseholdFactory.create_batch(5, building=project.neighbourhood.buildings.first())
    decision.refresh_from_db()
    assert (decision.households, decision.answered) == (7, 6)


def test_the_database_refuses_a_decision_that_fails_the_gate(office):
    project = completed_project(office, 6)
    check = passed_check(project, office)
    survey_round = survey(project, office, answered=3, satisfied=3)

    with pytest.raises(IntegrityError), transaction.atomic():
        AcceptanceDecision.objects.create(
            project=project,
            decided_at=timezone.now(),
            acceptance_check=check,
            survey_round=survey_round,
            check_date=check.date,
            checklist_items=1,
            households=6,
            answered=3,
            satisfied=3,
            basically_satisfied_counts=True,
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_answer_racing_the_acceptance_is_counted_or_refused(office):
    """An answer sent while the project is being accepted either lands before the round is
    closed (and is in the snapshot) or finds the round closed: never stored and uncounted."""
    project = completed_project(office, 9)
    passed_check(project, office)
    survey_round = survey(project, office, answered=6, satisfied=6)
    late = survey_round.roll.not_answered().select_related("household").first().household
    barrier = threading.Barrier(2)
    outcomes = {}

    def accept():
        try:
            barrier.wait(timeout=10)
            project_services.accept(Project.objects.get(pk=project.pk), by=office)
            outcomes["accept"] = "accepted"
        finally:
            connection.close()

    def answer_late():
        try:
            barrier.wait(timeout=10)
            services.submit_answer(survey_round, late, overall=SATISFIED)
            outcomes["answer"] = "stored"
        except Refused:
            outcomes["answer"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=accept), threading.Thread(target=answer_late)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    decision = AcceptanceDecision.objects.get(project=project)
    stored = SatisfactionAnswer.objects.filter(survey_round=survey_round).count()
    assert outcomes["accept"] == "accepted"
    assert decision.answered == stored == (7 if outcomes["answer"] == "stored" else 6)
