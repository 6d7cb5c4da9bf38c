"""The demo county's acceptance: one project passes, one fails on turnout, one on satisfaction.

Loading the demo takes several seconds, so the county is loaded once for this module, inside a
transaction rolled back when the module is done; each test runs in a savepoint of it (the
``db`` fixture), so what a test changes is undone before the next.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import translation

from acceptance import rules, services
from acceptance.models import (
    AcceptanceCheck,
    AcceptanceDecision,
    CheckItem,
    ChecklistTemplateItem,
    Participant,
    Respondent,
    Result,
    SatisfactionAnswer,
    SurveyRound,
)
from projects import services as project_services
from projects.models import Project, ProjectTransition
from projects.services import TransitionRefused
from surveys.rules import project_households

Status = Project.Status
Role = Participant.Role
Channel = Respondent.Channel

ACCEPTANCE_MODELS = (
    AcceptanceCheck,
    CheckItem,
    Participant,
    SurveyRound,
    Respondent,
    SatisfactionAnswer,
    AcceptanceDecision,
)


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """The demo county, loaded once for the module and rolled back after it; what
    ``seed_demo`` printed."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_output, db):
    return demo_output


@pytest.fixture
def office(demo):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="office")


def project_of(name: str) -> Project:
    return Project.objects.select_related("neighbourhood").get(neighbourhood__name=name)


def test_every_accepted_demo_project_has_a_decision_whose_numbers_meet_the_gate(demo):
    accepted = Project.objects.filter(status=Status.ACCEPTED).select_related(
        "acceptance_decision__survey_round", "acceptance_decision__acceptance_check"
    )
    assert accepted.count() == 22
    items = ChecklistTemplateItem.objects.filter(active=True).count()
    for project in accepted:
        decision = project.acceptance_decision
        assert rules.turnout_met(decision.answered, decision.households), project.name
        assert rules.satisfaction_met(decision.satisfied, decision.answered), project.name
        # Well over two thirds answered, and nearly all of them are satisfied.
        assert 0.74 <= decision.answered / decision.households <= 0.96, project.name
        assert 0.9 <= decision.satisfied / decision.answered <= 0.995, project.name
        assert decision.households == project_households(project).count()
        survey_round = decision.survey_round
        assert (survey_round.answered, survey_round.satisfied, survey_round.passed) == (
            decision.answered,
            decision.satisfied,
            True,
        )
        assert not survey_round.is_open
        assert survey_round == rules.latest_round(project)
        check = decision.acceptance_check
        assert check.result == Result.PASSED and check == rules.latest_check(project)
        assert decision.checklist_items == items
        assert decision.check_date == check.date
    # Some households were not quite satisfied, and some were not satisfied at all.
    levels = dict(
        SatisfactionAnswer.objects.filter(survey_round__passed=True)
        .values_list("overall")
        .annotate(Count("pk"))
    )
    assert levels["satisfied"] > 10 * levels["basically_satisfied"] > 0
    assert 0 < levels["dissatisfied"] < levels["basically_satisfied"]
    assert sum(levels.values()) == pytest.approx(2600, rel=0.1)


def test_every_demo_check_has_its_items_notes_and_participants(demo):
    checks = AcceptanceCheck.objects.select_related("project__neighbourhood")
    assert checks.count() == 22 + 1 + 2  # one failed first; the two projects left waiting
    for check in checks:
        neighbourhood = check.project.neighbourhood
        roles = set(check.participants.values_list("role", flat=True))
        speaks_for_residents = (
            Role.OWNERS_COMMITTEE if neighbourhood.owners_committee_id else Role.BUILDING_HEAD
        )
        assert roles == {
            Role.COMMUNITY,
            speaks_for_residents,
            Role.CONTRACTOR,
            Role.SUPERVISOR,
            Role.COUNTY_OFFICE,
        }, neighbourhood.name
        assert not check.participants.filter(Q(name="") | Q(organisation="")).exists()
        assert not check.items.filter(notes="").exists()
        assert check.items.count() == ChecklistTemplateItem.objects.filter(active=True).count()
    passed = CheckItem.objects.filter(acceptance_check__result=Result.PASSED)
    assert not passed.exclude(result=Result.PASSED).exists()


def test_the_answers_are_real_rows_that_agree_with_the_roll(demo):
    rounds = SurveyRound.objects.annotate(
        on_roll=Count("roll", distinct=True),
        marked=Count("roll", filter=Q(roll__answered_at__isnull=False), distinct=True),
        answer_rows=Count("answers", distinct=True),
    )
    assert rounds.count() == 22 + 1 + 2
    for survey_round in rounds:
        assert survey_round.on_roll == survey_round.households
        assert survey_round.marked == survey_round.answer_rows > 0
        if not survey_round.is_open:
            assert survey_round.answered == survey_round.answer_rows
    # One answer for each household marked as answered, of the same round, and none for
    # the others.
    assert not SatisfactionAnswer.objects.exclude(survey_round=F("respondent__survey_round"))
    assert not SatisfactionAnswer.objects.filter(respondent__answered_at__isnull=True).exists()
    assert not Respondent.objects.answered().filter(answer__isnull=True).exists()
    answered = Respondent.objects.answered()
    assert not answered.filter(channel="").exists()
    assert not Respondent.objects.not_answered().exclude(channel="").exists()
    assert not answered.filter(channel=Channel.LINK, entered_by__isnull=False).exists()
    assert not answered.exclude(channel=Channel.LINK).filter(entered_by__isnull=True).exists()
    by_channel = dict(answered.values_list("channel").annotate(Count("pk")))
    assert by_channel[Channel.LINK] > by_channel[Channel.PAPER] > by_channel[Channel.DOOR_TO_DOOR]
    staff_entered = by_channel[Channel.PAPER] + by_channel[Channel.DOOR_TO_DOOR]
    assert staff_entered > 0.15 * sum(by_channel.values())
    # The community account entered the paper answers of its communities.
    community = answered.filter(
        household__building__neighbourhood__community__name__in=["老城社区", "红花社区"]
    ).exclude(channel=Channel.LINK)
    assert community.exists()
    assert set(community.values_list("entered_by__username", flat=True)) == {"community"}
    assert SatisfactionAnswer.objects.exclude(comment="").count() > 100


def test_the_demo_acceptance_happened_in_order_between_completion_and_acceptance(demo):
    steps = {
        (project_id, status): at
        for project_id, status, at in ProjectTransition.objects.filter(
            to_status__in=[Status.COMPLETED, Status.ACCEPTED]
        ).values_list("project_id", "to_status", "at")
    }
    for project in Project.objects.filter(survey_rounds__isnull=False).distinct():
        moments = [steps[(project.pk, Status.COMPLETED)]]
        checks = {check.number: check for check in project.acceptance_checks.all()}
        rounds = {r.number: r for r in project.survey_rounds.all()}
        for number in sorted(checks):
            check, survey_round = checks[number], rounds[number]
            answers = survey_round.roll.answered().order_by("answered_at")
            moments += [
                check.created_at,
                check.concluded_at,
                survey_round.opened_at,
                answers.first().answered_at,
                answers.last().answered_at,
            ]
            if survey_round.closed_at:
                moments.append(survey_round.closed_at)
        if project.status == Status.ACCEPTED:
            decided = project.acceptance_decision.decided_at
            assert decided == steps[(project.pk, Status.ACCEPTED)]
            moments.append(decided)
        assert moments == sorted(moments), project.name


def waiting_line(panel, label: str):
    with translation.override("en"):
        return next(line for line in panel.checklist if label in str(line.label))


def test_jiuchang_waits_with_too_few_answers(demo, office):
    project = project_of("酒厂小区")
    assert project.status == Status.COMPLETED
    panel = rules.acceptance_panel(project)
    assert panel.survey_round.is_open and panel.check.result == Result.PASSED
    numbers = panel.numbers
    assert (numbers.households, numbers.answered, numbers.satisfied) == (48, 19, 19)
    assert (numbers.turnout_met, numbers.satisfaction_met) == (False, True)
    assert numbers.answers_needed == 13
    gate = rules.acceptance_gate(project)
    with translation.override("en"):
        assert [str(reason) for reason in gate.missing] == [
            "19 of 48 households answered (39.6%); two thirds need 32: 13 more answers are needed."
        ]
    with pytest.raises(TransitionRefused):
        project_services.accept(project, by=office)
    assert "酒厂小区 turnout short by 13" in demo


def test_jianan_waits_with_too_few_satisfied(demo, office):
    project = project_of("建安公司小区")
    assert project.status == Status.COMPLETED
    panel = rules.acceptance_panel(project)
    assert panel.survey_round.is_open and panel.check.result == Result.PASSED
    numbers = panel.numbers
    assert numbers.turnout_met and not numbers.satisfaction_met
    assert 0.75 < numbers.satisfied / numbers.answered < 0.85
    gate = rules.acceptance_gate(project)
    with translation.override("en"):
        [reason] = [str(reason) for reason in gate.missing]
    assert reason.startswith(f"{numbers.satisfied} of {numbers.answered} answers satisfied")
    assert reason.endswith("satisfied answers short.")
    with pytest.raises(TransitionRefused):
        project_services.accept(project, by=office)
    assert f"建安公司小区 satisfaction {numbers.satisfaction_percent}" in demo
    # It has an owners' committee: once accepted it can be handed over.
    assert project.neighbourhood.owners_committee_id is not None


def test_staff_can_fill_jiuchang_with_paper_answers_and_accept_it(demo):
    from django.contrib.auth import get_user_model

    project = project_of("酒厂小区")
    staff = get_user_model().objects.get(username="office")
    survey_round = rules.latest_round(project)
    for respondent in survey_round.roll.not_answered().select_related("household")[:13]:
        services.submit_answer(
            survey_round,
            respondent.household,
            overall="satisfied",
            channel=Channel.PAPER,
            entered_by=staff,
        )
    project_services.accept(project, by=staff)
    decision = AcceptanceDecision.objects.get(project=project)
    assert (decision.households, decision.answered, decision.satisfied) == (48, 32, 32)


def test_baihuo_passed_the_second_time_and_keeps_its_history(demo):
    project = project_of("百货公司家属院")
    assert project.batch_year == 2025 and project.status == Status.ACCEPTED
    first_check, second_check = project.acceptance_checks.order_by("number")
    assert (first_check.result, second_check.result) == (Result.FAILED, Result.PASSED)
    assert "防水" in first_check.rectification
    assert set(first_check.items.filter(result=Result.FAILED).values_list("title", flat=True)) == {
        "屋面防水工程",
        "消防设施及消防通道",
    }
    assert not second_check.items.exclude(result=Result.PASSED).exists()
    assert second_check.items.filter(notes__startswith="整改后复验").count() == 2
    first_round, second_round = project.survey_rounds.order_by("number")
    assert first_round.passed is False and not first_round.is_open
    assert rules.turnout_met(first_round.answered, first_round.households)
    assert not rules.satisfaction_met(first_round.satisfied, first_round.answered)
    assert first_round.answers.count() == first_round.answered
    assert second_round.passed is True
    decision = project.acceptance_decision
    assert (decision.acceptance_check, decision.survey_round) == (second_check, second_round)
    assert first_check.concluded_at < first_round.closed_at < second_check.created_at


def test_seeding_twice_creates_no_acceptance_row(demo):
    counts = [model.objects.count() for model in ACCEPTANCE_MODELS]
    decided = list(AcceptanceDecision.objects.order_by("pk").values_list("decided_at"))
    output = seed()
    assert [model.objects.count() for model in ACCEPTANCE_MODELS] == counts
    assert list(AcceptanceDecision.objects.order_by("pk").values_list("decided_at")) == decided
    assert "Acceptance to try: 酒厂小区 turnout short by 13" in output
