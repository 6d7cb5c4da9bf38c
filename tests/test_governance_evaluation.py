"""The residents' evaluation of property service (物业服务满意度测评): opened per firm and
quarter, answered once per household through its link, closed into the firm's credit file,
where it changes the firm's score."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from governance import evaluation, scoring
from governance.models import CreditRecord, EvaluationAnswer, EvaluationRound
from projects.services import Refused
from residents.models import PropertyCompany
from residents.roles import Role
from surveys import links

from .conftest import make_user
from .factories import BuildingFactory, HouseholdFactory, NeighbourhoodFactory
from .test_acceptance_resident import _run_together

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def served_by(company, households=3, **neighbourhood):
    building = BuildingFactory(
        neighbourhood=NeighbourhoodFactory(property_company=company, **neighbourhood)
    )
    return [HouseholdFactory(building=building) for _ in range(households)]


@pytest.fixture(autouse=True)
def in_english():
    """The rules' messages read in English here (the pages speak Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def firm():
    return PropertyCompany.objects.create(name="安居物业")


def open_now(company, days=30, **kwargs):
    year, quarter = evaluation.quarter_of(TODAY)
    return evaluation.open_round(
        company,
        year=kwargs.pop("year", year),
        quarter=kwargs.pop("quarter", quarter),
        closes_on=TODAY + datetime.timedelta(days=days),
        **kwargs,
    )


def answer_all(evaluation_round, households, ratings):
    for household, rating in zip(households, ratings, strict=True):
        evaluation.submit(evaluation_round, household, overall=rating)


# --- Opening --------------------------------------------------------------------------------


def test_opening_counts_the_households_the_firm_serves(firm):
    served_by(firm, 3)
    served_by(firm, 2)
    served_by(PropertyCompany.objects.create(name="别家物业"), 4)
    assert open_now(firm).households == 5


def test_opening_is_refused_with_reasons(firm):
    with pytest.raises(Refused) as nobody:
        open_now(firm)
    assert "nobody could answer" in str(nobody.value.reasons[0])
    served_by(firm, 1)
    with pytest.raises(Refused) as past:
        open_now(firm, days=-1)
    assert "already past" in str(past.value.reasons[0])
    with pytest.raises(Refused) as long_ago:
        open_now(firm, year=TODAY.year - 2, quarter=1)
    assert "this quarter or the one before" in str(long_ago.value.reasons[0])
    open_now(firm)
    with pytest.raises(Refused) as twice:
        open_now(firm)
    assert "already evaluated for this quarter" in str(twice.value.reasons[0])
    year, quarter = evaluation.quarters_open_to_evaluation(TODAY)[1]
    with pytest.raises(Refused) as two_open:
        open_now(firm, year=year, quarter=quarter)
    assert "already has a round open" in str(two_open.value.reasons[0])
    assert EvaluationRound.objects.count() == 1


# --- Answering: one answer per household per round --------------------------------------


def test_a_household_answers_once_and_its_last_answer_counts(firm):
    (household,) = served_by(firm, 1)
    evaluation_round = open_now(firm)
    evaluation.submit(evaluation_round, household, overall="dissatisfied", repairs="dissatisfied")
    evaluation.submit(evaluation_round, household, overall="satisfied", comment="改好了")
    stored = EvaluationAnswer.objects.get()
    assert (stored.overall, stored.repairs, stored.comment) == ("satisfied", "", "改好了")
    result = evaluation.result_of(evaluation_round)
    assert (result.answered, result.satisfied) == (1, 1)


def test_the_database_keeps_one_answer_per_household_per_round(firm):
    (household,) = served_by(firm, 1)
    evaluation_round = open_now(firm)
    EvaluationAnswer.objects.create(
        evaluation=evaluation_round, household=household, overall="satisfied"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationAnswer.objects.create(
            evaluation=evaluation_round, household=household, overall="dissatisfied"
        )


def test_answers_are_refused_from_other_firms_households_and_after_the_close(firm):
    (ours,) = served_by(firm, 1)
    (theirs,) = served_by(PropertyCompany.objects.create(name="别家物业"), 1)
    evaluation_round = open_now(firm)
    with pytest.raises(Refused, match="not served"):
        evaluation.submit(evaluation_round, theirs, overall="satisfied")
    with pytest.raises(Refused, match="Choose one answer"):
        evaluation.submit(evaluation_round, ours, overall="excellent")
    with pytest.raises(Refused, match="closed"):
        evaluation.submit(
            evaluation_round,
            ours,
            overall="satisfied",
            today=evaluation_round.closes_on + datetime.timedelta(days=1),
        )
    evaluation.close_round(evaluation_round)
    with pytest.raises(Refused, match="closed"):
        evaluation.submit(evaluation_round, ours, overall="satisfied")
    assert not EvaluationAnswer.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_answers_from_one_household_leave_one_answer():
    company = PropertyCompany.objects.create(name="并发物业")
    (household,) = served_by(company, 1)
    evaluation_round = open_now(company)

    def submit(rating):
        def target():
            evaluation.submit(evaluation_round, household, overall=rating, comment=rating)
            return rating

        return target

    outcomes = _run_together(*(submit(r) for r in ["satisfied", "dissatisfied"] * 4))
    assert sorted(outcomes) == ["dissatisfied"] * 4 + ["satisfied"] * 4
    stored = EvaluationAnswer.objects.get()
    assert stored.overall == stored.comment  # one whole answer, not a mix
    connection.close()


# --- Closing: the points -------------------------------------------------------------------


@pytest.mark.parametrize(
    "answered, satisfied, kind, points",
    [
        (10, 10, "good", 3),
        (10, 9, "good", 3),  # 90 % is the top tier
        (10, 8, "good", 1),
        (10, 7, None, 0),
        (10, 6, None, 0),  # 60 % costs nothing
        (10, 5, "bad", 3),
        (4, 4, "good", 3),  # 4 of 12 households: a third is enough
        (3, 3, None, 0),  # 3 of 12: too few to count
    ],
)
def test_a_closed_round_earns_points_by_its_satisfaction_rate(
    firm, answered, satisfied, kind, points
):
    households = served_by(firm, 12)
    evaluation_round = open_now(firm)
    ratings = ["satisfied"] * satisfied + ["dissatisfied"] * (answered - satisfied)
    answer_all(evaluation_round, households[:answered], ratings)

    closed = evaluation.close_round(evaluation_round)

    assert (closed.answered, closed.satisfied) == (answered, satisfied)
    record = closed.credit_record
    if kind is None:
        assert record is None and not CreditRecord.objects.exists()
    else:
        assert (record.kind, record.points, record.source) == (kind, points, "evaluation")
        assert f"{answered}" in record.description


def test_basically_satisfied_counts_as_satisfied(firm):
    households = served_by(firm, 3)
    evaluation_round = open_now(firm)
    answer_all(evaluation_round, households, ["basically_satisfied", "satisfied", "dissatisfied"])
    assert evaluation.result_of(evaluation_round).satisfied == 2


def test_closing_twice_writes_one_record(firm):
    households = served_by(firm, 3)
    evaluation_round = open_now(firm)
    answer_all(evaluation_round, households, ["satisfied"] * 3)
    evaluation.close_round(evaluation_round)
    evaluation.close_round(evaluation_round)
    assert CreditRecord.objects.count() == 1


def test_a_round_answered_through_household_links_changes_the_firms_score(firm, client):
    """The whole way: households open their links, see the card, answer; the round closes;
    the firm's score moves by the points the answers earned."""
    households = served_by(firm, 3)
    evaluation_round = open_now(firm)
    before = scoring.scores(TODAY.year)[0]["score"]

    for household in households:
        token = links.issue_link(household)
        home = client.get(f"/h/{token}/")
        assert f"/h/{token}/property/" in home.content.decode()  # the card invites
        page = client.get(f"/h/{token}/property/")
        assert page.status_code == 200 and "安居物业" in page.content.decode()
        sent = client.post(
            f"/h/{token}/property/",
            {"evaluation": evaluation_round.pk, "overall": "satisfied", "cleaning": "satisfied"},
        )
        assert sent.status_code == 302 and sent.url == f"/h/{token}/"
        again = client.get(f"/h/{token}/")
        assert "已填写" in again.content.decode()  # "answered"

    evaluation.close_round(evaluation_round, today=TODAY)

    after = scoring.scores(TODAY.year)[0]["score"]
    assert after - before == Decimal(3)
    assert EvaluationAnswer.objects.count() == 3


def test_the_form_keeps_what_was_typed_when_an_answer_is_missing(firm, client):
    (household,) = served_by(firm, 1)
    evaluation_round = open_now(firm)
    token = links.issue_link(household)
    page = client.post(
        f"/h/{token}/property/",
        {"evaluation": evaluation_round.pk, "comment": "楼道灯坏了一个月"},
    )
    assert page.status_code == 200
    assert "楼道灯坏了一个月" in page.content.decode()
    assert not EvaluationAnswer.objects.exists()


def test_a_household_without_an_open_round_is_told_so(firm, client):
    (household,) = served_by(firm, 1)
    token = links.issue_link(household)
    assert "/property/" not in client.get(f"/h/{token}/").content.decode()
    page = client.get(f"/h/{token}/property/")
    assert page.status_code == 200 and page.context["form"] is None
    # An answer posted for a round that has closed since is refused, and its comment kept.
    evaluation_round = open_now(firm)
    evaluation.close_round(evaluation_round)
    late = client.post(
        f"/h/{token}/property/",
        {"evaluation": evaluation_round.pk, "overall": "satisfied", "comment": "迟到的话"},
    )
    assert late.status_code == 200 and "迟到的话" in late.content.decode()
    assert not EvaluationAnswer.objects.exists()


def test_an_unknown_link_gets_the_friendly_not_found(client):
    assert client.get("/h/not-a-token/property/").status_code == 404


# --- Nightly: due rounds closed, this year assessed ------------------------------------------


def test_the_nightly_task_closes_due_rounds_and_assesses_the_year(firm):
    from governance.models import Assessment
    from governance.tasks import nightly

    households = served_by(firm, 3)
    due = open_now(firm)
    answer_all(due, households, ["satisfied"] * 3)
    EvaluationRound.objects.filter(pk=due.pk).update(closes_on=TODAY - datetime.timedelta(days=1))
    other = PropertyCompany.objects.create(name="别家物业")
    served_by(other, 1)
    still_open = open_now(other)

    outcome = nightly.delay().get()

    assert outcome == {"closed": 1, "assessed": 2, "year": TODAY.year}
    due.refresh_from_db()
    still_open.refresh_from_db()
    assert not due.is_open and due.credit_record.points == 3
    assert still_open.is_open
    assert Assessment.objects.get(company=firm, year=TODAY.year).score == Decimal("83.0")
    assert nightly.delay().get()["closed"] == 0  # safe to run again


# --- The admin -------------------------------------------------------------------------------


def test_the_office_opens_and_closes_a_round_in_the_admin(firm, client):
    households = served_by(firm, 2)
    office = make_user(Role.OFFICE)
    client.force_login(office)
    add = client.get("/admin/governance/evaluationround/add/")
    assert add.status_code == 200
    year, quarter = evaluation.quarter_of(TODAY)
    assert add.context["adminform"].form["quarter"].initial == quarter

    closes_on = (TODAY + datetime.timedelta(days=10)).isoformat()
    saved = client.post(
        "/admin/governance/evaluationround/add/",
        {"company": firm.pk, "year": year, "quarter": quarter, "closes_on": closes_on},
    )
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    evaluation_round = EvaluationRound.objects.get()
    assert (evaluation_round.households, evaluation_round.opened_by) == (2, office)

    answer_all(evaluation_round, households, ["satisfied", "dissatisfied"])
    listing = client.get("/admin/governance/evaluationround/")
    assert "50.0%" in listing.content.decode()  # satisfied, counted live
    change = client.get(f"/admin/governance/evaluationround/{evaluation_round.pk}/change/")
    assert change.status_code == 200  # the firm is read-only there

    selected = {"action": "close_rounds", "_selected_action": [evaluation_round.pk]}
    asked = client.post("/admin/governance/evaluationround/", selected)
    assert asked.status_code == 200 and "close_confirmation" in asked.templates[0].name
    assert "2 户中 2 户参评" in asked.content.decode()  # "2 of 2 households"
    evaluation_round.refresh_from_db()
    assert evaluation_round.is_open  # nothing closed before the confirmation

    client.post("/admin/governance/evaluationround/", {**selected, "confirm": "yes"})
    evaluation_round.refresh_from_db()
    assert not evaluation_round.is_open and evaluation_round.closed_by == office
    # Both answered, 50 % satisfied: a bad record, which is not edited by hand.
    record = evaluation_round.credit_record
    assert (record.kind, record.points) == ("bad", 3)
    assert client.get(f"/admin/governance/creditrecord/{record.pk}/delete/").status_code == 403
    edit = client.get(f"/admin/governance/creditrecord/{record.pk}/change/")
    assert edit.status_code == 200 and not edit.context["has_change_permission"]


def test_the_admin_refuses_a_round_nobody_could_answer_and_keeps_the_form(firm, client):
    client.force_login(make_user(Role.OFFICE))
    year, quarter = evaluation.quarter_of(TODAY)
    page = client.post(
        "/admin/governance/evaluationround/add/",
        {"company": firm.pk, "year": year, "quarter": quarter, "closes_on": "2000-01-01"},
    )
    assert page.status_code == 200
    errors = " ".join(page.context["adminform"].form.non_field_errors())
    assert "无人可以作答" in errors and "截止日期已过" in errors
    assert page.context["adminform"].form["closes_on"].value() == "2000-01-01"  # kept
    assert not EvaluationRound.objects.exists()


def test_no_one_reads_a_households_evaluation_in_the_admin(firm, client):
    client.force_login(make_user(Role.OFFICE))
    assert client.get("/admin/governance/evaluationanswer/").status_code == 404
