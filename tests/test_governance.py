"""Governance after renovation: the property companies' credit file, their points assessment
and its grades (issue 9, first part)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from governance import scoring
from governance.models import Assessment, CreditRecord, Grade, NegativeItem
from residents.models import PropertyCompany

pytestmark = pytest.mark.django_db

D = Decimal


def record(company, points, *, kind="good", on=datetime.date(2026, 5, 1), **extra):
    return CreditRecord.objects.create(
        company=company,
        date=on,
        kind=kind,
        source=extra.pop("source", "inspection"),
        points=D(str(points)),
        description="记录",
        **extra,
    )


@pytest.fixture
def firms(db):
    return (
        PropertyCompany.objects.create(name="安居物业"),
        PropertyCompany.objects.create(name="汉江物业"),
    )


def test_the_county_grades_and_negative_list_are_installed():
    assert [(g.name, g.minimum) for g in Grade.objects.all()] == [
        ("AAA", 85), ("AA", 80), ("A", 70), ("B", 60), ("C", 0),
    ]  # fmt: skip
    assert Grade.objects.get(name="C").below_standard
    assert NegativeItem.objects.filter(active=True).count() >= 5


@pytest.mark.parametrize(
    "score, grade",
    [(100, "AAA"), (85, "AAA"), (D("84.9"), "AA"), (80, "AA"), (70, "A"), (60, "B"),
     (D("59.9"), "C"), (-10, "C")],
)  # fmt: skip
def test_a_score_gets_the_highest_grade_whose_minimum_it_reaches(score, grade):
    assert scoring.grade_of(D(score)).name == grade


def test_edited_thresholds_change_the_grade():
    Grade.objects.filter(name="AAA").update(minimum=90)
    assert scoring.grade_of(D(87)).name == "AA"


def test_a_score_is_the_base_plus_good_minus_bad_records_of_the_year(firms, settings):
    settings.ANJU_GOVERNANCE_BASE_POINTS = 80
    anju, hanjiang = firms
    record(anju, 5)  # an award
    record(anju, 3, kind="bad", negative_item=NegativeItem.objects.first())
    record(anju, 50, on=datetime.date(2025, 12, 31))  # last year: not counted
    record(hanjiang, 25, kind="bad")

    rows = {row["name"]: row for row in scoring.scores(2026)}

    assert rows["安居物业"]["score"] == D("82.0") and rows["安居物业"]["grade"] == "AA"
    assert rows["汉江物业"]["score"] == D("55.0") and rows["汉江物业"]["grade"] == "C"
    assert rows["汉江物业"]["below_standard"]
    assert [row["name"] for row in scoring.scores(2026)] == ["安居物业", "汉江物业"]


def test_scores_run_a_fixed_number_of_queries(firms, django_assert_num_queries):
    for company in firms:
        record(company, 2)
    with django_assert_num_queries(2):  # the grades, the firms with their sums
        scoring.scores(2026)
    for n in range(5):
        record(PropertyCompany.objects.create(name=f"物业{n}"), 1, kind="bad")
    with django_assert_num_queries(2):
        scoring.scores(2026)


def test_an_assessment_is_kept_and_replaced_when_run_again(firms):
    anju, _hanjiang = firms
    record(anju, 10)
    scoring.assess(2026)
    kept = Assessment.objects.get(company=anju, year=2026)
    assert (kept.score, kept.grade) == (D("90.0"), "AAA")

    record(anju, 25, kind="bad")  # 80 + 10 − 25 = 65
    scoring.assess(2026)
    assert Assessment.objects.filter(company=anju, year=2026).count() == 1
    assert Assessment.objects.get(company=anju, year=2026).grade == "B"


def test_a_negative_list_behaviour_is_always_a_bad_record(firms):
    with pytest.raises(IntegrityError), transaction.atomic():
        record(firms[0], 5, kind="good", negative_item=NegativeItem.objects.first())


def test_a_negative_list_record_costs_its_deduction_unless_points_are_given(firms):
    from governance.admin import CreditRecordForm

    item = NegativeItem.objects.get(behaviour="擅自提高收费标准或违规收费")
    data = {
        "company": firms[0].pk,
        "date": "2026-05-01",
        "kind": "good",  # corrected: a negative-list behaviour is bad
        "source": "complaint",
        "negative_item": item.pk,
        "points": "",
        "description": "违规收费",
    }
    form = CreditRecordForm(data)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert (saved.kind, saved.points) == ("bad", item.deduction)
    without = CreditRecordForm({**data, "negative_item": ""})
    assert not without.is_valid() and "points" in without.errors


def test_a_blacklisted_or_exited_firms_neighbourhoods_must_find_a_new_one(firms):
    from governance.models import CompanyDecision, needing_new_firm

    from .factories import NeighbourhoodFactory

    anju, hanjiang = firms
    served = NeighbourhoodFactory(property_company=hanjiang)
    NeighbourhoodFactory(property_company=anju)
    assert not needing_new_firm().exists()
    CompanyDecision.objects.create(
        company=hanjiang, kind="exit", decided_on=datetime.date(2026, 6, 1), reason="C级"
    )
    assert list(needing_new_firm()) == [served]
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyDecision.objects.create(
            company=hanjiang, kind="exit", decided_on=datetime.date(2026, 7, 1), reason="again"
        )


def test_the_demo_county_governance():
    """Two firms with scores and grades (last quarter's residents' evaluation counted, this
    quarter's open), eight committees, building heads wherever there is no committee."""
    from governance.demo import load_governance
    from governance.models import EvaluationRound, ResidentsMeeting
    from residents.demo import load_demo
    from residents.models import BuildingHead, Neighbourhood, OwnersCommittee

    load_demo()
    today = datetime.date(2026, 11, 26)
    load_governance(today)
    counts = (CreditRecord.objects.count(), EvaluationRound.objects.count())
    assert load_governance(today) == 0  # loaded once
    assert (CreditRecord.objects.count(), EvaluationRound.objects.count()) == counts
    kept = {a.company.name: (a.score, a.grade) for a in Assessment.objects.filter(year=2026)}
    assert kept == {
        "石泉县金江物业服务有限公司": (D("85.0"), "AAA"),
        "石泉县汉水物业管理有限公司": (D("61.0"), "B"),
    }
    closed = EvaluationRound.objects.filter(year=2026, quarter=3)
    assert {r.company.name: r.credit_record.points for r in closed} == {
        "石泉县金江物业服务有限公司": 3,  # 95 % satisfied
        "石泉县汉水物业管理有限公司": 1,  # 83 %
    }
    assert EvaluationRound.objects.get(year=2026, quarter=4).is_open
    assert OwnersCommittee.objects.filter(stage="registered").count() == 8
    without_committee = Neighbourhood.objects.filter(owners_committee__isnull=True)
    assert without_committee.count() == 19
    assert not without_committee.exclude(
        pk__in=BuildingHead.objects.values("neighbourhood")
    ).exists()
    assert ResidentsMeeting.objects.filter(kind="convention").count() == 10


def test_leaders_read_the_firms_ranked_and_the_coverage(firms, client, django_assert_num_queries):
    from django.utils import timezone

    from residents.roles import Role

    from .conftest import make_user
    from .factories import (
        BuildingFactory,
        BuildingHeadFactory,
        NeighbourhoodFactory,
        OwnersCommitteeFactory,
    )

    anju, hanjiang = firms
    idle = PropertyCompany.objects.create(name="闲置物业")  # serves no neighbourhood
    year = timezone.localdate().year
    record(anju, 10, on=datetime.date(year, 1, 2))
    record(hanjiang, 25, kind="bad", on=datetime.date(year, 1, 2))
    elected = {"stage": "elected", "elected_on": datetime.date(2024, 3, 1)}
    in_office = OwnersCommitteeFactory(**elected, term_start=datetime.date(2024, 3, 1))
    ended = OwnersCommitteeFactory(
        **elected, term_start=datetime.date(2020, 3, 1), term_end=datetime.date(2023, 2, 28)
    )
    NeighbourhoodFactory(owners_committee=in_office, property_company=anju)
    NeighbourhoodFactory(owners_committee=in_office, property_company=hanjiang)  # merged
    NeighbourhoodFactory(owners_committee=ended)
    with_head = NeighbourhoodFactory()
    BuildingHeadFactory(neighbourhood=with_head, building=BuildingFactory(neighbourhood=with_head))
    NeighbourhoodFactory()
    client.force_login(make_user(Role.LEADER))

    client.get("/leaders/governance/")
    # AUTH; the scores (2), neighbourhoods served, evaluations, decisions, coverage,
    # committees, meetings.
    with django_assert_num_queries(6 + 8):
        page = client.get("/leaders/governance/")
    assert [(f["name"], f["grade"], f["rank"]) for f in page.context["firms"]] == [
        ("安居物业", "AAA", 1),
        ("汉江物业", "C", 2),
    ]
    assert [f["name"] for f in page.context["firms_apart"]] == [idle.name]
    coverage = page.context["coverage"]
    assert (
        coverage["committee"],
        coverage["committee_out"],
        coverage["heads_only"],
        coverage["neither"],
    ) == (2, 1, 1, 1)
    assert coverage["firm"] == 2 and coverage["total"] == 5
    assert page.context["committees_in_office"] == 1
    assert "不达标" in page.content.decode()  # 汉江物业 is graded C, below standard

    # A record added now moves the ranking at once: no stale assessment.
    record(hanjiang, 60, on=datetime.date(year, 2, 1))
    again = client.get("/leaders/governance/")
    assert [f["name"] for f in again.context["firms"]] == ["汉江物业", "安居物业"]
    assert Assessment.objects.get(company=hanjiang, year=year).score == D("115.0")


def test_the_assessment_follows_the_credit_file_and_the_grades(firms):
    anju, _hanjiang = firms
    kept = record(anju, 10, on=datetime.date(2026, 5, 1))
    assert Assessment.objects.get(company=anju, year=2026).score == D("90.0")
    kept.date = datetime.date(2025, 5, 1)
    kept.save()
    assert Assessment.objects.get(company=anju, year=2026).score == D("80.0")
    assert Assessment.objects.get(company=anju, year=2025).score == D("90.0")
    Grade.objects.filter(name="AAA").update(minimum=95)  # a queryset update: no signal
    Grade.objects.get(name="AA").save()  # an edit in the admin: every kept year regraded
    assert Assessment.objects.get(company=anju, year=2025).grade == "AA"
    kept.delete()
    assert Assessment.objects.get(company=anju, year=2025).score == D("80.0")


# --- Residents' self-governance ------------------------------------------------------------


@pytest.mark.parametrize(
    "stage, dates, error_field",
    [
        ("elected", {"term_start": datetime.date(2024, 5, 1)}, "elected_on"),
        ("registered", {"elected_on": datetime.date(2024, 5, 1),
                        "term_start": datetime.date(2024, 5, 1)}, "registered_on"),
        ("preparing", {"elected_on": datetime.date(2024, 5, 1)}, "stage"),
        (
            "registered",
            {"elected_on": datetime.date(2024, 5, 1), "registered_on": datetime.date(2024, 4, 1)},
            "registered_on",
        ),
        ("elected", {"elected_on": datetime.date(2024, 5, 1)}, "term_start"),
        ("preparing", {"preparation_started_on": datetime.date(2999, 1, 1)},
         "preparation_started_on"),
        (
            "registered",
            {"elected_on": datetime.date(2024, 5, 1), "registered_on": datetime.date(2024, 5, 20),
             "term_start": datetime.date(2024, 5, 1)},
            None,
        ),
    ],
)  # fmt: skip
def test_a_committee_goes_through_preparation_election_and_registration(stage, dates, error_field):
    from django.core.exceptions import ValidationError

    from .factories import OwnersCommitteeFactory

    committee = OwnersCommitteeFactory.build(
        community=OwnersCommitteeFactory().community, name="新委员会", stage=stage, **dates
    )
    if error_field is None:
        committee.full_clean()
        assert committee.in_office
    else:
        with pytest.raises(ValidationError) as refused:
            committee.full_clean()
        assert error_field in refused.value.message_dict


def test_a_committee_covers_several_merged_compounds(client):
    from residents.roles import Role

    from .conftest import make_user
    from .factories import NeighbourhoodFactory, OwnersCommitteeFactory

    committee = OwnersCommitteeFactory(
        stage="elected", elected_on=datetime.date(2024, 1, 1), term_start=datetime.date(2024, 1, 1)
    )
    for name in ("东院", "西院"):
        NeighbourhoodFactory(community=committee.community, name=name, owners_committee=committee)
    client.force_login(make_user(Role.OFFICE))
    page = client.get(f"/admin/residents/ownerscommittee/{committee.pk}/change/")
    assert page.status_code == 200
    assert "东院" in page.content.decode() and "西院" in page.content.decode()


def test_community_staff_record_meetings_and_party_members_of_their_neighbourhoods_only(
    registers, client
):
    from governance.models import PartyMember, ResidentsMeeting
    from residents.roles import Role

    from .conftest import make_user

    for r in (registers.a, registers.b):
        ResidentsMeeting.objects.create(
            neighbourhood=r.neighbourhood,
            kind="hearing",
            held_on=datetime.date(2026, 6, 1),
            topic=f"{r.neighbourhood.name}停车听证",
            participants="业委会、居民",
            outcome="通过",
        )
        PartyMember.objects.create(
            neighbourhood=r.neighbourhood,
            name=f"{r.neighbourhood.name}党员",
            role="secretary",
            phone="13700000000",
        )
    client.force_login(make_user(Role.COMMUNITY, communities=[registers.a.community]))
    meetings = client.get("/admin/governance/residentsmeeting/").content.decode()
    assert "桃园小区停车听证" in meetings and "江南小区停车听证" not in meetings
    other = ResidentsMeeting.objects.get(neighbourhood=registers.b.neighbourhood)
    assert client.get(f"/admin/governance/residentsmeeting/{other.pk}/change/").status_code == 302
    members = client.get("/admin/governance/partymember/").content.decode()
    assert "桃园小区党员" in members and "江南小区党员" not in members
    added = client.post(
        "/admin/governance/residentsmeeting/add/",
        {
            "neighbourhood": registers.b.neighbourhood.pk,
            "kind": "deliberation",
            "held_on": "2026-07-01",
            "topic": "越权",
            "participants": "x",
            "outcome": "x",
        },
    )
    assert added.status_code == 200 and "neighbourhood" in added.context["adminform"].form.errors
    assert not ResidentsMeeting.objects.filter(topic="越权").exists()


def test_a_neighbourhood_is_in_one_big_property_area_at_most():
    from governance.models import AreaNeighbourhood, BigPropertyArea

    from .factories import NeighbourhoodFactory

    neighbourhood = NeighbourhoodFactory()
    first = BigPropertyArea.objects.create(name="老城片区")
    second = BigPropertyArea.objects.create(name="新城片区")
    AreaNeighbourhood.objects.create(area=first, neighbourhood=neighbourhood)
    with pytest.raises(IntegrityError), transaction.atomic():
        AreaNeighbourhood.objects.create(area=second, neighbourhood=neighbourhood)


def test_leaders_read_a_firms_file_with_its_staff_masked(firms, client, django_assert_num_queries):
    from governance.models import CompanyStaff, ServiceContract
    from residents.roles import Role

    from .conftest import make_user
    from .factories import NeighbourhoodFactory

    anju, _hanjiang = firms
    served = NeighbourhoodFactory(property_company=anju, name="安居小区")
    ServiceContract.objects.create(
        company=anju,
        neighbourhood=served,
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2028, 12, 31),
        fee=D("0.55"),
    )
    CompanyStaff.objects.create(
        company=anju, name="欧阳经理", duty="项目经理", phone="13912345678", neighbourhood=served
    )
    record(anju, 5, on=datetime.date(2026, 3, 1), source="award")
    client.force_login(make_user(Role.LEADER))
    with django_assert_num_queries(6 + 10):  # AUTH; the firm, its score (2), its file (7)
        page = client.get(f"/leaders/governance/firms/{anju.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "安居小区" in text and "0.55" in text and "项目经理" in text
    assert "13912345678" not in text and "139****5678" in text
    assert "欧阳经理" not in text
    assert client.get("/leaders/governance/firms/999999/").status_code == 404


def test_the_firms_file_in_the_admin_has_its_contracts_staff_and_record(firms, client):
    from residents.roles import Role

    from .conftest import make_user

    anju, _hanjiang = firms
    record(anju, 5, on=datetime.date(2026, 3, 1))
    client.force_login(make_user(Role.OFFICE))
    page = client.get(f"/admin/residents/propertycompany/{anju.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "contracts-TOTAL_FORMS" in text and "staff-TOTAL_FORMS" in text
    assert "/admin/governance/creditrecord/?company__id__exact=" in text


def test_one_branch_secretary_per_neighbourhood_and_no_meeting_before_it_is_held():
    from django.core.exceptions import ValidationError

    from governance.models import PartyMember, ResidentsMeeting

    from .factories import NeighbourhoodFactory

    neighbourhood = NeighbourhoodFactory()
    PartyMember.objects.create(neighbourhood=neighbourhood, name="甲", role="secretary")
    second = PartyMember(neighbourhood=neighbourhood, name="乙", role="secretary")
    with pytest.raises(ValidationError, match="已有党支部书记"):
        second.full_clean()
    PartyMember(neighbourhood=neighbourhood, name="乙", role="volunteer").full_clean()
    meeting = ResidentsMeeting(
        neighbourhood=neighbourhood,
        kind="hearing",
        held_on=datetime.date(2999, 1, 1),
        topic="议题",
        participants="居民",
        attendance=0,
        outcome="结果",
    )
    with pytest.raises(ValidationError) as refused:
        meeting.full_clean()
    assert {"held_on", "attendance"} <= set(refused.value.message_dict)


def test_community_staff_read_a_firms_file_without_a_link_they_may_not_follow(firms, client):
    from residents.roles import Role

    from .conftest import make_user

    anju, _hanjiang = firms
    client.force_login(make_user(Role.COMMUNITY))
    page = client.get(f"/admin/residents/propertycompany/{anju.pk}/change/")
    assert page.status_code == 200
    assert "/admin/governance/creditrecord/" not in page.content.decode()


def test_a_negative_list_record_needs_no_kind_and_a_plain_one_does(firms):
    from governance.admin import CreditRecordForm

    anju, _hanjiang = firms
    item = NegativeItem.objects.filter(active=True).first()
    data = {"company": anju.pk, "date": "2026-05-01", "source": "complaint", "description": "投诉"}
    with_item = CreditRecordForm({**data, "negative_item": item.pk})
    assert with_item.is_valid(), with_item.errors
    assert with_item.save().kind == "bad"
    plain = CreditRecordForm({**data, "points": "2"})
    assert not plain.is_valid() and "kind" in plain.errors
