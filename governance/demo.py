"""The demo county's governance records, for ``seed_demo``:

- the files of its two property firms (contracts for the neighbourhoods they serve, staff
  contacts), a year's worth of good and bad records in their credit files, and their
  assessment for this year;
- the residents' evaluations: last quarter's round of each firm, answered and closed (its
  points are in the credit file), and this quarter's round of 金江物业 open, so that a household
  link can answer it and closing it changes the firm's score;
- the party members serving the neighbourhoods, the convention and four meetings of the
  committees' neighbourhoods, and a big property area of small compounds.

Idempotent: each part is written only where it is missing.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from residents.demo import NAMES, SYNTHETIC_TOWN, fake_mobile, stable_seed
from residents.models import Household, Neighbourhood, PropertyCompany

from . import evaluation, scoring
from .models import (
    AreaNeighbourhood,
    BigPropertyArea,
    CompanyStaff,
    CreditRecord,
    EvaluationAnswer,
    EvaluationRound,
    NegativeItem,
    PartyMember,
    Rating,
    ResidentsMeeting,
    ServiceContract,
)

JINJIANG = "石泉县金江物业服务有限公司"
HANSHUI = "石泉县汉水物业管理有限公司"

#: Per firm: (days before today, good or bad, source, points, what happened, negative item).
#: The residents' evaluations are not here: they come from the rounds (``EVALUATIONS``).
RECORDS = {
    JINJIANG: [
        (200, "good", "award", 5, "获评县级“红色物业”示范项目", None),
        (90, "bad", "inspection", None, "督查发现消防通道堆放杂物", "消防通道堵塞未及时处理"),
        (40, "good", "inspection", 2, "督查问题按期整改到位", None),
    ],
    HANSHUI: [
        (
            180,
            "bad",
            "complaint",
            None,
            "居民投诉保洁不到位",
            "未按合同约定提供保洁、保安、维修服务",
        ),
        (120, "bad", "inspection", None, "督查问题逾期未整改", "督查发现问题逾期未整改"),
        (30, "bad", "complaint", None, "电梯运行费分摊违规加收", "擅自提高收费标准或违规收费"),
        (20, "bad", "complaint", None, "诉求逾期未答复", "居民诉求逾期未答复"),
    ],
}

#: Last quarter's evaluation of each firm: (share of the households that answer, share of
#: the answers satisfied or basically satisfied).
EVALUATIONS = {JINJIANG: (0.62, 0.95), HANSHUI: (0.48, 0.83)}
#: This quarter's open round of 金江物业: a few answers in already.
OPEN_EVALUATION = (JINJIANG, 0.2, 0.9)

#: (monthly fee in yuan per m², staff: (duty, count)).
FILES = {
    JINJIANG: (Decimal("0.60"), [("总经理", 1), ("项目经理", 2), ("客服主管", 1)]),
    HANSHUI: (Decimal("0.45"), [("总经理", 1), ("项目经理", 1), ("维修主管", 1)]),
}

#: The meetings a committee's neighbourhood held this year: (kind, days before today, topic,
#: participants, attendance, outcome).
MEETINGS = [
    (
        "convention",
        300,
        "修订居民公约：停车、养犬、垃圾分类",
        "业委会、居民代表、社区",
        38,
        "居民公约修订稿经户代表表决通过并张贴公示",
    ),
    (
        "deliberation",
        210,
        "改造后新增停车位的分配办法",
        "业委会、楼栋长、居民代表、物业",
        26,
        "按先登记先分配、每户限一位的办法试行三个月",
    ),
    (
        "hearing",
        150,
        "物业服务费调整方案听证",
        "业委会、居民代表、物业企业、住建局",
        31,
        "调价方案暂缓，物业先补齐服务短板",
    ),
    (
        "coordination",
        80,
        "二次供水水箱清洗费用分摊",
        "业委会、物业、供水公司、社区",
        12,
        "由供水公司承担清洗费用，物业配合",
    ),
    (
        "evaluation",
        25,
        "评议物业服务第三季度表现",
        "业委会、居民代表、社区、物业",
        40,
        "服务基本满意，保洁频次需提高，限一个月整改",
    ),
]

BIG_PROPERTY_AREA = "老城片区大物业（社区托管）"
BIG_PROPERTY_NEIGHBOURHOODS = ("老冰棍厂小区", "百货公司家属院", "烟草公司家属院", "药材公司家属院")


def _quarter_before(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def _quarter_last_day(year: int, quarter: int) -> datetime.date:
    first_of_next = (
        datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    )
    return first_of_next - datetime.timedelta(days=1)


def _answer(rng, evaluation_round, household, satisfied) -> EvaluationAnswer:
    if satisfied:
        overall = rng.choice([Rating.SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED])
    else:
        overall = Rating.DISSATISFIED
    aspects = {
        name: rng.choice([overall, overall, Rating.BASICALLY_SATISFIED, ""])
        for name in ("cleaning", "security", "repairs", "greenery")
    }
    return EvaluationAnswer(
        evaluation=evaluation_round, household=household, overall=overall, **aspects
    )


def _answered_round(company, year, quarter, closes_on, answer_share, satisfied_share):
    """A round of ``company`` with a share of its households' answers, not yet closed."""
    households = list(evaluation.households_served(company).order_by("pk"))
    evaluation_round = EvaluationRound.objects.create(
        company=company, year=year, quarter=quarter, closes_on=closes_on, households=len(households)
    )
    rng = random.Random(stable_seed("evaluation", company.name, str(year), str(quarter)))
    answering = rng.sample(households, round(len(households) * answer_share))
    satisfied = round(len(answering) * satisfied_share)
    EvaluationAnswer.objects.bulk_create(
        [_answer(rng, evaluation_round, h, i < satisfied) for i, h in enumerate(answering)]
    )
    return evaluation_round


def load_evaluations(today: datetime.date) -> None:
    """Last quarter's round of each firm, closed (its points in the credit file), and this
    quarter's round of 金江物业, open for a month."""
    year, quarter = evaluation.quarter_of(today)
    last_year, last_quarter = _quarter_before(year, quarter)
    closes_on = _quarter_last_day(last_year, last_quarter) + datetime.timedelta(days=20)
    for name, (answer_share, satisfied_share) in EVALUATIONS.items():
        company = PropertyCompany.objects.filter(name=name).first()
        if (
            company is None
            or company.evaluation_rounds.filter(year=last_year, quarter=last_quarter).exists()
        ):
            continue
        past = _answered_round(
            company, last_year, last_quarter, closes_on, answer_share, satisfied_share
        )
        closed_on = min(closes_on + datetime.timedelta(days=1), today)
        evaluation.close_round(past, today=closed_on)
    name, answer_share, satisfied_share = OPEN_EVALUATION
    company = PropertyCompany.objects.filter(name=name).first()
    if (
        company is not None
        and not company.evaluation_rounds.filter(year=year, quarter=quarter).exists()
    ):
        _answered_round(
            company,
            year,
            quarter,
            today + datetime.timedelta(days=evaluation.DEFAULT_DAYS),
            answer_share,
            satisfied_share,
        )


def household_to_try(today: datetime.date | None = None) -> Household | None:
    """A household that may answer the open evaluation and has not yet, for seed_demo to
    print a link to."""
    for evaluation_round in EvaluationRound.objects.filter(
        closed_at__isnull=True, closes_on__gte=today or timezone.localdate()
    ):
        household = (
            evaluation.households_served(evaluation_round.company)
            .exclude(pk__in=evaluation_round.answers.values("household"))
            .select_related("building__neighbourhood")
            .order_by("pk")
            .first()
        )
        if household is not None:
            return household
    return None


def load_firm_files(today: datetime.date) -> None:
    """Each firm's contracts for the neighbourhoods it serves, and its staff contacts."""
    for name, (fee, duties) in FILES.items():
        company = PropertyCompany.objects.filter(name=name).first()
        if company is None or company.contracts.exists():
            continue
        rng = random.Random(stable_seed("firm file", name))
        ServiceContract.objects.bulk_create(
            ServiceContract(
                company=company,
                neighbourhood=neighbourhood,
                signed_on=datetime.date(today.year - 1, 12, 15),
                starts_on=datetime.date(today.year - 1, 1, 1)
                if i % 2
                else today.replace(month=1, day=1),
                ends_on=datetime.date(today.year + 2, 12, 31),
                fee=fee,
            )
            for i, neighbourhood in enumerate(company.neighbourhoods.order_by("name"))
        )
        neighbourhoods = list(company.neighbourhoods.order_by("name"))
        staff = []
        for duty, count in duties:
            for i in range(count):
                at_site = duty == "项目经理" and neighbourhoods
                staff.append(
                    CompanyStaff(
                        company=company,
                        name=rng.choice(NAMES),
                        duty=duty,
                        phone=fake_mobile(rng),
                        neighbourhood=neighbourhoods[i % len(neighbourhoods)] if at_site else None,
                    )
                )
        CompanyStaff.objects.bulk_create(staff)


def load_self_governance(today: datetime.date) -> None:
    """Party members serving every neighbourhood, the meetings of the neighbourhoods with a
    committee, and the big property area of a few small compounds without a firm."""
    for neighbourhood in Neighbourhood.objects.exclude(community__parent__name=SYNTHETIC_TOWN):
        if neighbourhood.party_members.exists():
            continue
        rng = random.Random(stable_seed("party members", neighbourhood.name))
        roles = [PartyMember.Role.SECRETARY] + [PartyMember.Role.REPORTED_IN] * rng.randint(1, 3)
        PartyMember.objects.bulk_create(
            PartyMember(
                neighbourhood=neighbourhood,
                name=rng.choice(NAMES),
                phone=fake_mobile(rng),
                role=role,
                since=datetime.date(2021, 7, 1) + datetime.timedelta(days=rng.randrange(1500)),
            )
            for role in roles
        )
    for neighbourhood in Neighbourhood.objects.filter(owners_committee__isnull=False):
        if neighbourhood.residents_meetings.exists():
            continue
        ResidentsMeeting.objects.bulk_create(
            ResidentsMeeting(
                neighbourhood=neighbourhood,
                kind=kind,
                held_on=max(today - datetime.timedelta(days=days), datetime.date(today.year, 1, 1)),
                topic=topic,
                participants=participants,
                attendance=attendance,
                outcome=outcome,
            )
            for kind, days, topic, participants, attendance, outcome in MEETINGS
        )
    area, _created = BigPropertyArea.objects.get_or_create(
        name=BIG_PROPERTY_AREA, defaults={"established_on": datetime.date(today.year - 1, 3, 1)}
    )
    for neighbourhood in Neighbourhood.objects.filter(
        name__in=BIG_PROPERTY_NEIGHBOURHOODS, property_company__isnull=True
    ):
        AreaNeighbourhood.objects.get_or_create(
            neighbourhood=neighbourhood, defaults={"area": area}
        )


def load_records(today: datetime.date) -> int:
    """The firms' credit records that are missing; returns how many were written."""
    written = 0
    for name, records in RECORDS.items():
        company = PropertyCompany.objects.filter(name=name).first()
        if company is None or CreditRecord.objects.filter(company=company).exists():
            continue
        for days, kind, source, points, text, behaviour in records:
            item = NegativeItem.objects.filter(behaviour=behaviour).first() if behaviour else None
            on = max(today - datetime.timedelta(days=days), datetime.date(today.year, 1, 1))
            CreditRecord.objects.create(
                company=company,
                date=on,
                kind=kind,
                source=source,
                points=Decimal(points) if points is not None else item.deduction,
                negative_item=item,
                description=text,
            )
            written += 1
    return written


def load_governance(today: datetime.date | None = None) -> int:
    """Write the demo's governance records that are missing and assess this year; returns
    how many credit records were written by hand (the evaluations add their own)."""
    today = today or timezone.localdate()
    written = load_records(today)
    load_evaluations(today)
    load_firm_files(today)
    load_self_governance(today)
    scoring.assess(today.year)
    return written
