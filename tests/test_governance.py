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


def test_the_demo_firms_have_scores_and_grades():
    from governance.demo import load_governance
    from residents.demo import load_demo

    load_demo()
    today = datetime.date(2026, 11, 26)
    load_governance(today)
    assert load_governance(today) == 0  # loaded once
    kept = {a.company.name: (a.score, a.grade) for a in Assessment.objects.filter(year=2026)}
    assert kept == {
        "石泉县金江物业服务有限公司": (D("85.0"), "AAA"),
        "石泉县汉水物业管理有限公司": (D("62.0"), "B"),
    }


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
    year = timezone.localdate().year
    record(anju, 10, on=datetime.date(year, 1, 2))
    record(hanjiang, 25, kind="bad", on=datetime.date(year, 1, 2))
    committee = OwnersCommitteeFactory()
    NeighbourhoodFactory(owners_committee=committee, property_company=anju)
    with_head = NeighbourhoodFactory()
    BuildingHeadFactory(neighbourhood=with_head, building=BuildingFactory(neighbourhood=with_head))
    NeighbourhoodFactory()
    client.force_login(make_user(Role.LEADER))

    live = client.get("/leaders/governance/")
    assert live.status_code == 200 and not live.context["kept"]
    assert [(f["name"], f["grade"]) for f in live.context["firms"]] == [
        ("安居物业", "AAA"),
        ("汉江物业", "C"),
    ]
    scoring.assess(year)
    with django_assert_num_queries(6 + 3):  # AUTH; the assessments, decisions, coverage
        kept = client.get("/leaders/governance/")
    assert kept.context["kept"] and kept.context["firms"][0]["rank"] == 1
    coverage = kept.context["coverage"]
    assert (coverage["committee"], coverage["heads_only"], coverage["neither"]) == (1, 1, 1)
    assert coverage["firm"] == 1 and coverage["total"] == 3
    assert "below standard" in kept.content.decode() or "不达标" in kept.content.decode()
