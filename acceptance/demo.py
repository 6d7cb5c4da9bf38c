"""The demo county's acceptance (竣工验收), for ``seed_demo``.

``accept_ready`` is handed to ``projects.demo.load_projects``: when a demo project is
completed, it records the project's completion check and satisfaction survey so that its
acceptance stands as the demo wants (``Outcome``):

- every renovated project passed: a check whose every item passed, with the community, the
  owners' committee or the building heads, the contractor, the supervisor and the county
  office taking part, and a survey round in which well over two thirds of the households
  answered (75–95%) and nearly all of them are satisfied (92–99%), closed before
  ``projects.services.accept`` took its snapshot;
- one of them (百货公司家属院) passed the second time: its first check failed and asked for
  rectification, its first survey round fell short of 90% satisfied and was closed, and all
  of it is kept beside the check and the round that passed;
- in the current batch, 酒厂小区 waits with its round open and too few answers (40%), and
  建安公司小区 with enough answers but only about 80% of them satisfied: staff can enter paper
  answers, close the round, open another and see ``accept`` refused with its reasons.

Checks and rounds go through ``acceptance.services`` like any other, so the gate and the
snapshot are real. Only the answers are written in bulk: for each answering household, what
``services.submit_answer`` would write (one ``SatisfactionAnswer``, and the roll's row marked
with when and how it answered and, for paper and door-to-door answers, who entered them),
about 2,800 rows at once instead of one transaction each. The dates are then set back to when
the county did the work, between the completion and the acceptance dates the projects' demo
gives (``date_decisions`` dates the decisions once the projects' steps are dated).

Deterministic: each project draws from its own ``random.Random`` seeded by its
neighbourhood's name.
"""

from __future__ import annotations

import datetime
import random
import zlib
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from projects.demo import DEMO_NOTE
from projects.models import Project, ProjectTransition, TaskItem
from residents.demo import NAMES
from residents.models import BuildingHead, CommitteeMember
from residents.roles import Role as StaffRole

from . import rules, services
from .models import (
    AcceptanceCheck,
    AcceptanceDecision,
    Participant,
    Respondent,
    Result,
    Satisfaction,
    SatisfactionAnswer,
    SurveyRound,
)

SATISFIED, BASICALLY, DISSATISFIED = (
    Satisfaction.SATISFIED,
    Satisfaction.BASICALLY_SATISFIED,
    Satisfaction.DISSATISFIED,
)
LINK, PAPER, DOOR = (
    Respondent.Channel.LINK,
    Respondent.Channel.PAPER,
    Respondent.Channel.DOOR_TO_DOOR,
)


class Outcome(StrEnum):
    """How a demo project's acceptance stands."""

    PASSED = "passed"
    PASSED_AFTER_RECTIFICATION = "passed_after_rectification"
    SHORT_OF_TURNOUT = "short_of_turnout"
    SHORT_OF_SATISFACTION = "short_of_satisfaction"


#: Outcomes that leave the project waiting, its survey round open, for staff to try the gate.
WAITING = {Outcome.SHORT_OF_TURNOUT, Outcome.SHORT_OF_SATISFACTION}


@dataclass(frozen=True)
class SurveyPlan:
    """How a round goes: the share of households that answer, the share of answers
    satisfied (满意 or 基本满意) and, of those, the share that are only 基本满意."""

    turnout: float
    satisfied: float
    basically: float
    #: Round up where the shares fall short of the thresholds on a small roll.
    must_pass: bool = False


# --- The checklist ----------------------------------------------------------------------------

#: What the inspectors wrote beside each item of the county's checklist when it passed.
PASSED_NOTES = {
    "facade_stairwell": (
        "抽查{buildings}栋楼的楼道，墙面平整无空鼓开裂，扶手、单元门安装牢固。",
        "外立面涂料均匀，楼道墙面、踏步及扶手修缮到位。",
    ),
    "roof_waterproofing": (
        "屋面闭水试验24小时，无渗漏。",
        "防水卷材搭接规范，女儿墙泛水处理到位，闭水试验合格。",
    ),
    "roads": (
        "路面平整密实，坡向正确，雨后无积水。",
        "沥青路面压实度检测合格，路缘石顺直。",
    ),
    "water_drainage": (
        "雨污分流到位，通水、通球试验合格，检查井盖齐全。",
        "供水管网打压试验合格，排水畅通。",
    ),
    "cables": (
        "强弱电线缆入管入槽，楼道无飞线，标识清楚。",
        "弱电线缆归并整理，废弃线缆已拆除。",
    ),
    "gas": (
        "燃气管道气密性试验合格，附燃气公司验收意见。",
        "燃气立管防腐及固定符合要求，燃气公司已出具验收意见。",
    ),
    "fire": (
        "消防通道畅通并划线标识，灭火器配置到位。",
        "消火栓出水正常，消防通道标识清晰。",
    ),
    "lighting": (
        "路灯及楼道声控灯安装牢固，夜间照明正常。",
        "新装路灯光控运行正常，无暗区。",
    ),
    "parking_charging": (
        "停车位划线清晰，充电设施通电检测合格，车棚牢固。",
        "生态停车位植草成活，充电桩接地电阻检测合格。",
    ),
    "accessibility": (
        "单元入口坡道坡度及扶手符合规范，增设休息座椅。",
        "无障碍坡道防滑处理到位，适老化扶手安装牢固。",
    ),
    "greening": (
        "补植苗木成活良好，建筑垃圾已清运完毕。",
        "绿地平整，苗木长势良好，场地清洁。",
    ),
    "demolition": (
        "违章搭建已拆除到位，场地恢复平整。",
        "拆除违建后场地已硬化，无新增违建。",
    ),
    "as_built": (
        "施工、监理资料及竣工图纸齐全，签章完整。",
        "隐蔽工程验收记录及竣工图纸齐全。",
    ),
    "settlement": (
        "工程量清单与现场核对一致，结算资料齐全。",
        "签证资料齐全，工程量与现场相符。",
    ),
}
NO_DEMOLITION = "本项目无违章建筑拆除任务，现场核查无新增违建。"

#: The first check of the project that passed the second time: what failed and what to do.
FIRST_CHECK_FAILURES = {
    "roof_waterproofing": "3号楼屋面闭水试验24小时后顶层602室顶棚渗水，卷材搭接处开裂。",
    "fire": "2号楼东侧消防通道被杂物及私家车占用，1单元灭火器未配齐。",
}
RECTIFICATION = (
    "1. 3号楼屋面铲除开裂卷材，重新铺设防水层并做24小时闭水试验；"
    "2. 清理2号楼东侧消防通道杂物，设置禁停标识及隔离桩，按规范配齐灭火器。"
    "施工单位15日内整改完毕，由监理单位复查后申请复验。"
)
RECHECKED_NOTES = {
    "roof_waterproofing": "整改后复验：3号楼屋面重做防水层，闭水试验24小时无渗漏。",
    "fire": "整改后复验：消防通道已清理并设禁停标识，灭火器配置齐全。",
}

CONTRACTORS = (
    "安康汉江建设工程有限公司",
    "陕西秦岭建筑安装工程有限公司",
    "石泉县城乡建设工程有限责任公司",
    "安康市兴汉市政工程有限公司",
)
SUPERVISORS = (
    "安康市正衡工程建设监理有限公司",
    "陕西中原工程项目管理有限公司",
)
COUNTY_OFFICE = "石泉县物业管理与房产交易所（县改造办）"


# --- The survey ---------------------------------------------------------------------------

#: How the three dimensions go beside each overall answer: (level, weight).
DIMENSIONS = {
    SATISFIED: ((SATISFIED, 85), (BASICALLY, 13), (DISSATISFIED, 2)),
    BASICALLY: ((SATISFIED, 30), (BASICALLY, 55), (DISSATISFIED, 15)),
    DISSATISFIED: ((SATISFIED, 10), (BASICALLY, 35), (DISSATISFIED, 55)),
}

#: Comments, by overall answer, and the share of answers that leave one.
COMMENTS = {
    SATISFIED: (
        0.08,
        (
            "楼道粉刷后亮堂多了，感谢政府。",
            "新装的路灯很方便，晚上出门安心。",
            "停车位划线后停车有序了。",
            "充电桩解决了电动车充电难的问题。",
            "施工队文明施工，每天收工都打扫干净。",
            "院子硬化后下雨不再积水了。",
            "加了扶手和座椅，老人上下楼方便多了。",
        ),
    ),
    BASICALLY: (
        0.35,
        (
            "希望后续物业管理能跟上，保持卫生。",
            "绿化还可以再多种些树。",
            "单元门禁有时反应慢。",
            "车棚离我们单元有点远。",
            "希望再增设几处休息座椅。",
            "施工期间灰尘较大。",
        ),
    ),
    DISSATISFIED: (
        0.7,
        (
            "楼顶还有渗水，希望再检修。",
            "施工期间晚上也有噪音，影响休息。",
            "停车位太少，还是不够停。",
            "我家门口的排水沟没有改到。",
            "外墙涂料颜色和议定的不一致。",
            "工期拖得太长。",
            "消防通道又被车堵了，没人管。",
        ),
    ),
}

#: Of the answers, the share sent through the household's link; the rest came on paper or
#: door to door, entered by staff (two paper forms for each door-to-door answer).
LINK_SHARE = (0.55, 0.8)

#: Paper forms left their dimensions blank this often.
BLANK_DIMENSIONS = 0.04


def _rng(name: str) -> random.Random:
    return random.Random(zlib.crc32(f"acceptance:{name}".encode()))


# --- Timing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A stretch of time: between the completion of a project and its acceptance (or now),
    where each event of the acceptance sits at a fraction of it; or the time a survey round
    took answers."""

    start: datetime.datetime
    end: datetime.datetime

    def at(self, fraction: float) -> datetime.datetime:
        return self.start + (self.end - self.start) * fraction

    def clamp(self, moment: datetime.datetime) -> datetime.datetime:
        return min(max(moment, self.start), self.end)

    def on(self, fraction: float, hour: int, minute: int = 0) -> datetime.datetime:
        """``hour:minute`` of the day at ``fraction`` of the window (kept within it)."""
        day = timezone.localdate(self.at(fraction))
        return self.clamp(
            timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
        )

    def daytime(self, rng: random.Random) -> datetime.datetime:
        """A moment of the window, in the day's waking hours when the window allows."""
        return self.on(rng.random(), rng.randint(7, 21), rng.randrange(60))


def _window(completed_on: datetime.date, accept_on: datetime.date | None) -> Window:
    # The projects' steps are dated at 10:00 (projects.demo); the acceptance comes between.
    start = timezone.make_aware(datetime.datetime.combine(completed_on, datetime.time(11)))
    if accept_on is None:
        end = timezone.now() - datetime.timedelta(minutes=30)
    else:
        end = timezone.make_aware(datetime.datetime.combine(accept_on, datetime.time(9)))
    return Window(start, max(start, end))


# --- The completion check ---------------------------------------------------------------------


def _participants(check: AcceptanceCheck, rng: random.Random, by) -> list[Participant]:
    """The community, the owners' committee (its chair and a member) or up to two building
    heads, the contractor, the supervisor and the county office."""
    neighbourhood = check.project.neighbourhood
    community = neighbourhood.community
    taking_part = Participant.Role
    people = [
        Participant(
            role=taking_part.COMMUNITY,
            name=rng.choice(NAMES),
            organisation=f"{community.name}居委会",
        )
    ]
    if neighbourhood.owners_committee_id:
        committee = neighbourhood.owners_committee
        members = list(
            CommitteeMember.objects.filter(committee=committee).order_by("position", "name")
        )
        people += [
            Participant(role=taking_part.OWNERS_COMMITTEE, name=m.name, organisation=committee.name)
            for m in members[:2]
        ]
    else:
        heads = list(
            BuildingHead.objects.filter(neighbourhood=neighbourhood)
            .select_related("building")
            .order_by("pk")[:2]
        )
        people += [
            Participant(
                role=taking_part.BUILDING_HEAD,
                name=head.name,
                organisation=(
                    f"{neighbourhood.name}{head.building.number}号楼"
                    if head.building_id
                    else neighbourhood.name
                ),
            )
            for head in heads
        ]
    office_name = (by.get_full_name() if by is not None else "") or rng.choice(NAMES)
    people += [
        Participant(
            role=taking_part.CONTRACTOR,
            name=rng.choice(NAMES),
            organisation=rng.choice(CONTRACTORS),
        ),
        Participant(
            role=taking_part.SUPERVISOR,
            name=rng.choice(NAMES),
            organisation=rng.choice(SUPERVISORS),
        ),
        Participant(role=taking_part.COUNTY_OFFICE, name=office_name, organisation=COUNTY_OFFICE),
    ]
    for person in people:
        person.acceptance_check = check
    return people


def _check(project, rng, by, *, window: Window, at: float, failing=None) -> AcceptanceCheck:
    """A round of the completion check, through the services: started, its items marked,
    concluded, on the day at ``at`` of ``window``. ``failing`` maps template codes to what was
    found wrong; a round after a failed one re-checks its items as rectified."""
    started, concluded = window.on(at, 9), window.on(at, 11, 30)
    check = services.start_check(project, by=by, date=timezone.localdate(started))
    if check.number == 1:
        Participant.objects.bulk_create(_participants(check, rng, by))
    buildings = project.neighbourhood.buildings.count()
    demolished = TaskItem.objects.filter(
        project=project, kind__code="illegal_structure_demolition"
    ).exists()
    items = list(check.items.select_related("template_item"))
    for item in items:
        code = item.template_item.code if item.template_item_id else ""
        if failing and code in failing:
            item.result, item.notes = Result.FAILED, failing[code]
        elif item.result == Result.PENDING:
            item.result = Result.PASSED
            if check.number > 1 and code in RECHECKED_NOTES:
                item.notes = RECHECKED_NOTES[code]
            elif code == "demolition" and not demolished:
                item.notes = NO_DEMOLITION
            else:
                item.notes = rng.choice(PASSED_NOTES.get(code, ("符合要求。",))).format(
                    buildings=min(buildings, 3)
                )
    _save_in_bulk(items, ("result", "notes"))
    services.conclude_check(
        check,
        by=by,
        rectification=RECTIFICATION if failing else None,
    )
    check.notes = (
        "现场核查未通过，限期整改后复验。" if failing else "各分项工程现场核查合格，同意通过验收。"
    )
    AcceptanceCheck.objects.filter(pk=check.pk).update(
        notes=check.notes, created_at=started, concluded_at=concluded
    )
    return check


# --- The survey -----------------------------------------------------------------------------


def _counts(households: int, plan: SurveyPlan) -> tuple[int, int, int, int]:
    """``(answered, satisfied, basically, dissatisfied)`` for ``plan`` (satisfied counts
    满意 only; ``basically`` the 基本满意)."""
    answered = min(households, round(households * plan.turnout))
    satisfied_total = round(answered * plan.satisfied)
    if plan.must_pass:
        answered = max(answered, rules.answers_needed(households))
        satisfied_total = max(satisfied_total, rules.satisfied_needed(answered))
    basically = min(satisfied_total, max(1, round(satisfied_total * plan.basically)))
    return answered, satisfied_total - basically, basically, answered - satisfied_total


def _dimension(rng: random.Random, overall: str) -> str:
    levels, weights = zip(*DIMENSIONS[overall], strict=True)
    return rng.choices(levels, weights=weights)[0]


def _answer_values(rng: random.Random, overall: str, channel: str) -> dict:
    if channel != LINK and rng.random() < BLANK_DIMENSIONS:
        content = process = long_term = ""
    else:
        content, process, long_term = (_dimension(rng, overall) for _ in range(3))
        if overall == DISSATISFIED and DISSATISFIED not in (content, process, long_term):
            long_term = DISSATISFIED
    share, comments = COMMENTS[overall]
    return {
        "overall": overall,
        "content": content,
        "process": process,
        "long_term": long_term,
        "comment": rng.choice(comments) if rng.random() < share else "",
    }


def _entry_sessions(rng: random.Random, when: Window) -> list[datetime.datetime]:
    """The evenings on which staff entered the paper and door-to-door answers."""
    return [
        when.on(fraction, rng.randint(17, 19), rng.randrange(60))
        for fraction in sorted(rng.uniform(0.2, 1) for _ in range(3))
    ]


def _answer(survey_round: SurveyRound, rng, plan: SurveyPlan, *, when: Window, enterer):
    """The households' answers to ``survey_round`` as ``plan`` says, within ``when``.

    What ``services.submit_answer`` writes for each household, written in bulk: its
    ``SatisfactionAnswer``, and its row on the roll marked with when and how it answered and
    who entered a paper or door-to-door answer (``enterer``; every answer comes through the
    link when there is nobody to enter them).
    """
    answered, satisfied, basically, dissatisfied = _counts(survey_round.households, plan)
    roll = list(survey_round.roll.order_by("household_id"))
    rng.shuffle(roll)
    respondents = roll[:answered]
    levels = [SATISFIED] * satisfied + [BASICALLY] * basically + [DISSATISFIED] * dissatisfied
    rng.shuffle(levels)
    link_share = rng.uniform(*LINK_SHARE) if enterer is not None else 1
    sessions = _entry_sessions(rng, when)
    answers = []
    for respondent, overall in zip(respondents, levels, strict=True):
        if rng.random() < link_share:
            channel, moment, entered_by = LINK, when.daytime(rng), None
        else:
            channel = PAPER if rng.random() < 2 / 3 else DOOR
            moment = rng.choice(sessions) + datetime.timedelta(seconds=rng.randrange(5400))
            moment, entered_by = when.clamp(moment), enterer
        respondent.answered_at, respondent.channel, respondent.entered_by = (
            moment,
            channel,
            entered_by,
        )
        answers.append(
            SatisfactionAnswer(
                respondent=respondent,
                survey_round=survey_round,
                **_answer_values(rng, overall, channel),
            )
        )
    _save_in_bulk(respondents, ("answered_at", "channel", "entered_by"))
    SatisfactionAnswer.objects.bulk_create(answers, batch_size=1000)


def _save_in_bulk(objects: list, names: tuple[str, ...]) -> None:
    """Save the fields ``names`` of ``objects`` (rows of one model): what ``bulk_update``
    does, with one prepared UPDATE run for every row. ``bulk_update`` builds a CASE for every
    row and field: 2 s for the demo's 2,800 answering households, against 0.04 s this way."""
    if not objects:
        return
    meta = objects[0]._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Names from the model's own metadata, quoted; the values go as parameters.
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"  # nosec B608
    rows = [
        [
            *(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields),
            obj.pk,
        ]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _survey(
    project, rng, plan, by, *, window: Window, opens: float, closes: float | None, enterer
) -> SurveyRound:
    """A survey round, opened by the services on the day at ``opens`` of ``window``, answered
    as ``plan`` says, and closed by the services on the day at ``closes`` (left open when
    None)."""
    survey_round = services.open_round(project, by=by)
    opened_at = window.on(opens, 14)
    SurveyRound.objects.filter(pk=survey_round.pk).update(opened_at=opened_at)
    closed_at = window.on(closes, 17, 30) if closes is not None else None
    last = closed_at - datetime.timedelta(hours=1) if closed_at else window.end
    _answer(survey_round, rng, plan, when=Window(opened_at, max(opened_at, last)), enterer=enterer)
    if closed_at is not None:
        services.close_round(survey_round, by=by)
        SurveyRound.objects.filter(pk=survey_round.pk).update(closed_at=closed_at)
    return survey_round


def _enterer(project: Project, by):
    """Who enters the paper and door-to-door answers: a demo community-staff account that
    works in the project's community, or else the county office (``by``)."""
    staff = (
        get_user_model()
        .objects.filter(
            staff_profile__is_demo_account=True,
            staff_profile__communities=project.neighbourhood.community_id,
            groups__name=StaffRole.COMMUNITY.value,
            is_active=True,
        )
        .order_by("pk")
        .first()
    )
    return staff or by


# --- The callback ---------------------------------------------------------------------------


def _passing_plan(rng: random.Random) -> SurveyPlan:
    return SurveyPlan(
        turnout=rng.uniform(0.75, 0.95),
        satisfied=rng.uniform(0.92, 0.99),
        basically=rng.uniform(0.04, 0.12),
        must_pass=True,
    )


#: The rounds of the projects left waiting in the current batch.
WAITING_PLANS = {
    Outcome.SHORT_OF_TURNOUT: SurveyPlan(turnout=0.4, satisfied=1, basically=0.1),
    Outcome.SHORT_OF_SATISFACTION: SurveyPlan(turnout=0.8, satisfied=0.8, basically=0.15),
}

#: The first round of the project that passed the second time: the roof still leaked.
FAILED_FIRST_ROUND = SurveyPlan(turnout=0.78, satisfied=0.84, basically=0.2)


def accept_ready(
    project: Project,
    *,
    by,
    outcome: str,
    completed_on: datetime.date,
    accept_on: datetime.date | None,
) -> None:
    """Record the completion check and the satisfaction survey of the completed ``project``
    so that its acceptance stands as ``outcome`` (an ``Outcome``) says: ready to be accepted
    on ``accept_on``, or waiting with its round open when ``accept_on`` is None. Everything
    is dated between ``completed_on`` and then."""
    outcome = Outcome(outcome)
    rng = _rng(project.neighbourhood.name)
    project = Project.objects.select_related(
        "neighbourhood__community", "neighbourhood__owners_committee"
    ).get(pk=project.pk)
    window = _window(completed_on, accept_on)
    survey = {"rng": rng, "by": by, "window": window, "enterer": _enterer(project, by)}
    if outcome == Outcome.PASSED_AFTER_RECTIFICATION:
        _check(project, rng, by, window=window, at=0.05, failing=FIRST_CHECK_FAILURES)
        _survey(project, plan=FAILED_FIRST_ROUND, opens=0.05, closes=0.35, **survey)
        _check(project, rng, by, window=window, at=0.5)
        _survey(project, plan=_passing_plan(rng), opens=0.5, closes=0.95, **survey)
    elif outcome == Outcome.PASSED:
        _check(project, rng, by, window=window, at=0.1)
        _survey(project, plan=_passing_plan(rng), opens=0.1, closes=0.95, **survey)
    else:
        _check(project, rng, by, window=window, at=0.05)
        _survey(project, plan=WAITING_PLANS[outcome], opens=0.05, closes=None, **survey)


def date_decisions() -> int:
    """Date each demo project's acceptance decision on its acceptance step, once the
    projects' demo has set the step back to when the county accepted the project. The
    decision is taken in the step's transaction, so this is the moment it was made. Returns
    how many decisions it re-dated (none when they already were)."""
    step = ProjectTransition.objects.filter(
        project=OuterRef("project"), to_status=Project.Status.ACCEPTED, note=DEMO_NOTE
    ).values("at")[:1]
    decisions = AcceptanceDecision.objects.annotate(step_at=Subquery(step)).filter(
        step_at__isnull=False
    )
    stale = [d for d in decisions.only("pk", "decided_at") if d.decided_at != d.step_at]
    for decision in stale:
        decision.decided_at = decision.step_at
    AcceptanceDecision.objects.bulk_update(stale, ["decided_at"])
    return len(stale)


# --- What seed_demo prints ----------------------------------------------------------------------


@dataclass(frozen=True)
class ToTry:
    """A project whose acceptance the demo left waiting, with its gate now."""

    name: str
    status: str
    panel: rules.AcceptancePanel | None


def projects_to_try(outcomes: dict[str, str]) -> list[ToTry]:
    """The projects that ``outcomes`` (neighbourhood name → ``Outcome``) left waiting, with
    their live acceptance panel (None once accepted)."""
    names = [name for name, outcome in outcomes.items() if Outcome(outcome) in WAITING]
    projects = Project.objects.filter(neighbourhood__name__in=names).select_related("neighbourhood")
    return [
        ToTry(
            name=project.neighbourhood.name,
            status=project.status,
            panel=rules.acceptance_panel(project)
            if project.status == Project.Status.COMPLETED
            else None,
        )
        for project in sorted(projects, key=lambda p: names.index(p.neighbourhood.name))
    ]
