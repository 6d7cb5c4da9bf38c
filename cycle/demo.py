"""The demo county's monthly cycle (五个一), for ``seed_demo``.

After the projects, the consultation, the acceptance and the requests are loaded,
``load_cycle`` plays the last two months of the cycle the way the county would have run
them, so that the leaders find last month's bulletin, ranking and inspection report:

1. **Each of the two past months** (the month before last, then last month), unless that
   month is already closed: the month's dispatch is opened (``jobs.open_month``); the
   projects under way at the month's end report it (``dispatch.submit_dispatch``, dated inside
   the month, most of them by the 25th, one late and one not at all); on the 25th
   those who have not reported are reminded (the ``remind`` job, dated the 25th: the demo
   accounts have no email address, so the job records who is unreported and emails nobody);
   the ``inspector`` account inspects some projects (``inspections.record_inspection`` and
   ``add_finding``: every category and severity; one finding has a photo, a generated PNG
   through the safe image path), findings are rectified (``inspections.rectify``), one late
   and one not at all; then the month is closed (``jobs.close_month``: snapshots, inspection
   report, ranking, bulletin).
2. **The previous quarter's meeting**: its pack is prepared (``jobs.prepare_quarter``: the
   months before the demo's first are named in it as not frozen, and its open problems are
   those of today, as the pack always reads them), then the meeting is recorded as held on
   the day the demo is loaded (after its pack, as it would be), with minutes and three
   decisions with their owners and deadlines, one done the same day: the next quarter's pack,
   prepared by the cycle once the current quarter is over, follows up the two left open.
3. **The current month's** dispatch is opened, so that staff find this month's sheets to fill;
   only the projects completed this month have reported theirs (on their completion day).

**Progress month by month.** ``projects.demo`` leaves each project with its work as it
stands today. To tell the months apart, the projects that have never had a dispatch get a
plausible path: under construction at a month's end, a project had done its present quantities
less ``PACE`` (15%) for each month before the month its work reached today's state (the month
of its completion, or last month for a project still under construction); before construction
nothing; completed, everything. Their task items are set back to where that path starts (the
end of the month before the first month played; their status follows, and their change history
keeps the change with ``DEMO_NOTE`` as its reason), and each month's dispatch then reports
the quantities of the path, so each dispatch line shows what was done in its month and each
month's snapshot the progress of that month. Projects that already had a dispatch are
reported as they stand.

**Dates set back after the fact**, as ``projects.demo`` does for its steps: a dispatch is
reported with ``submit_dispatch(now=…)`` at a moment inside its month and the reminder runs
with ``now`` on the 25th, so those are dated by the services themselves; the dispatches'
``opened_at`` is then set to the 1st at 00:05 (when beat opens a month) and a rectification's
``rectified_at`` to its day in the story, with ``update()``. The change history and the job
runs keep when the demo really ran. The funds spent reported on each dispatch are 0: the
current batch's funding lines record no money arrived yet, and spending cannot exceed what
arrived.

Deterministic (choices from random generators seeded by the month) and idempotent: a month
already closed is left alone, a month's inspections are recorded only when it has none, a
dispatch reported is not reported again, the jobs run once per period (``JobRun``), and the
meeting is recorded as held only when it was not. ``today`` (the county's today by default)
decides which months are played; the services still check against the real clock (no
inspection on a day to come), so a test may move it back, never forward.
"""

from __future__ import annotations

import datetime
import io
import random
import zlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw
from simple_history.utils import bulk_update_with_history

from projects.demo import DEMO_NOTE
from projects.models import Project, ProjectTransition, TaskItem

from . import dispatch as dispatch_service
from . import inspections, jobs
from .models import (
    Bulletin,
    Dispatch,
    Finding,
    Inspection,
    LeadershipMeeting,
    MeetingDecision,
)
from .periods import Month, Quarter

Status = Project.Status
Category = Finding.Category
Severity = Finding.Severity

#: The share of its present quantities a project under construction did each month.
PACE = Decimal("0.15")

#: When beat opens a month (``cycle/migrations/0002``: 00:05 on the 1st), and reminds (09:00).
OPENED_AT = datetime.time(0, 5)
REMINDED_AT = datetime.time(9, 0)

#: The days of the month on which the projects report (in turn), and the late reporter's day.
REPORT_DAYS = (8, 12, 16, 20, 23)
LATE_REPORT_DAY = 27

#: Statuses whose work is under way or done: before them, nothing has been built.
BUILDING = {Status.UNDER_CONSTRUCTION}
BUILT = {Status.COMPLETED, Status.ACCEPTED, Status.HANDED_OVER}

#: What the dispatches say, by the stage of the project at the month's end.
PROBLEMS = {
    "waiting": (
        "施工招标文件正在审核，尚未确定施工单位，项目未开工。",
        "部分居民对改造方案中的停车位布置有不同意见，社区正在组织协商。",
    ),
    "building": (
        "雨季施工，外墙涂料和屋面防水作业受天气影响，进度有所放缓。",
        "部分居民对管线入地走向有异议，社区已组织楼栋协商会，正在调整方案。",
        "新增停车位划线与既有绿化有冲突，需调整局部设计。",
        "主要材料价格上涨，施工单位申请调整单价，县改造办正在审核。",
        "个别住户阳台违建未拆除，影响外墙施工，社区正在做工作。",
    ),
    "built": ("主体工程已全部完工，待组织竣工验收。",),
}
PLANS = {
    "waiting": ("完成施工招标，办理开工手续，进场施工。",),
    "building": (
        "完成剩余外墙保温及涂料施工，启动雨污管网改造。",
        "完成充电桩安装和门禁调试，组织阶段性检查。",
        "加快道路铺装和绿化补植，力争月底前完成主体工程。",
        "完成屋面防水和楼道整治，清理施工现场。",
    ),
    "built": ("组织竣工验收和居民满意度测评，整理竣工资料。",),
}


@dataclass(frozen=True)
class FindingSpec:
    category: str
    severity: str
    description: str
    #: (months after the inspection's month, day)
    deadline: tuple[int, int]
    rectified: tuple[int, int] | None = None
    rectification: str = ""
    photo: bool = False


@dataclass(frozen=True)
class InspectionSpec:
    day: int
    #: Which of the month's candidate projects (in turn) is inspected.
    slot: int
    summary: str
    findings: tuple[FindingSpec, ...]


#: The inspections of the month before last (0) and of last month (1). Every category and
#: severity appears; one finding is rectified only in the next month (overdue when its month
#: closed), one of last month is never rectified (overdue when last month closed), one is due
#: in the current month.
INSPECTIONS = (
    (
        InspectionSpec(
            9,
            0,
            "检查施工现场安全防护、文明施工及材料堆放情况。",
            (
                FindingSpec(
                    Category.SAFETY,
                    Severity.CRITICAL,
                    "3号楼外墙脚手架未挂设安全网，临边防护缺失。",
                    (0, 11),
                    (0, 11),
                    "已补挂密目安全网，增设临边防护栏杆，经复查合格。",
                    photo=True,
                ),
                FindingSpec(
                    Category.SITE,
                    Severity.MINOR,
                    "施工材料沿小区主干道堆放，占用消防通道。",
                    (0, 16),
                    (0, 14),
                    "材料已清运至指定堆场，消防通道已恢复畅通。",
                ),
            ),
        ),
        InspectionSpec(
            17,
            1,
            "检查外墙保温、屋面防水等工程质量，听取居民意见。",
            (
                FindingSpec(
                    Category.QUALITY,
                    Severity.MAJOR,
                    "2号楼外墙保温层局部空鼓，面积约12平方米。",
                    (0, 27),
                    (1, 9),
                    "已铲除空鼓部位，重新粘贴保温板并抹灰，经监理复验合格。",
                ),
                FindingSpec(
                    Category.RESIDENTS,
                    Severity.MINOR,
                    "夜间施工噪音扰民，居民多次反映。",
                    (0, 24),
                    (0, 21),
                    "已调整作业时间，22时后停止高噪声作业，并在各单元门张贴告示。",
                ),
            ),
        ),
    ),
    (
        InspectionSpec(
            12,
            2,
            "对照工期倒排计划检查施工进度和资金使用情况。",
            (
                FindingSpec(
                    Category.SCHEDULE,
                    Severity.MAJOR,
                    "雨污分流管网改造进度滞后于倒排计划约两周。",
                    (0, 26),
                ),
                FindingSpec(
                    Category.FUNDS,
                    Severity.MINOR,
                    "工程进度款支付台账不完整，缺少监理签认。",
                    (0, 20),
                    (0, 19),
                    "已补齐监理签认手续，台账按月更新。",
                ),
            ),
        ),
        InspectionSpec(
            21,
            0,
            "复查上月问题整改情况，抽查门禁、充电桩安装质量。",
            (
                FindingSpec(
                    Category.SAFETY,
                    Severity.MINOR,
                    "临时用电线路私拉乱接，未穿管保护。",
                    (0, 23),
                    (0, 23),
                    "已重新敷设临时用电线路并穿管保护。",
                ),
                FindingSpec(
                    Category.QUALITY,
                    Severity.MINOR,
                    "单元门禁安装后未调试，部分住户无法刷卡。",
                    (1, 10),
                ),
            ),
        ),
    ),
)

#: The previous quarter's meeting, held the day the demo is loaded (after its pack is
#: prepared): its minutes and decisions (text, owner, days to the deadline or None for the end
#: of the current quarter, done the same day or not, the follow-up).
MINUTES = (
    "会议听取了县改造办关于{quarter}城镇老旧小区改造工作进展情况的汇报，通报了月度调度、"
    "督查和评比情况，研究了督查问题整改、滞后项目推进和竣工验收等事项。议定事项如下。"
)
DECISIONS = (
    (
        "对督查发现的逾期未整改问题挂牌督办，责任单位限期整改到位，整改结果报县改造办销号。",
        "县改造办",
        15,
        False,
        "",
    ),
    (
        "明确每个在建项目月度调度的报送责任人，未按时报送的由责任单位书面说明原因。",
        "各项目责任单位",
        7,
        True,
        "各项目报送责任人已明确，名单已报县改造办备案。",
    ),
    (
        "已完工项目抓紧组织竣工验收和居民满意度测评，满意率未达90%的查找原因、整改后再测评。",
        "县改造办、各相关社区",
        None,
        False,
        "",
    ),
)


@dataclass
class CycleResult:
    """What ``load_cycle`` did: the months it closed now, and the month whose bulletin and
    ranking the leaders read first (last month)."""

    last_month: Month
    closed: list[str] = field(default_factory=list)
    meeting: str | None = None

    @property
    def bulletin_ready(self) -> bool:
        return Bulletin.objects.filter(month=self.last_month.first).exists()


# --- Helpers ---------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """``time`` of ``day`` on the county's clock."""
    return datetime.datetime.combine(day, time, tzinfo=_zone())


def _day(month: Month, offset: int, day: int) -> datetime.date:
    """``day`` of the month ``offset`` months after ``month`` (at most its last day)."""
    for _ in range(offset):
        month = month.next()
    return month.first.replace(day=min(day, month.last.day))


def _rng(*parts) -> random.Random:
    return random.Random(zlib.crc32(":".join(["cycle", *map(str, parts)]).encode()))


def _photo(rng: random.Random) -> ContentFile:
    """A made-up site photo: a grey building with a scaffold and no safety net."""
    image = Image.new("RGB", (800, 600), (205, 210, 215))
    draw = ImageDraw.Draw(image)
    draw.rectangle((220, 120, 580, 600), fill=(170, 165, 160))
    for x in range(200, 620, 40):
        draw.line((x, 100, x, 600), fill=(90, 90, 90), width=4)
    for y in range(100, 600, 50):
        draw.line((200, y, 600, y), fill=(90, 90, 90), width=3)
    for _ in range(6):
        x, y = rng.randrange(240, 540), rng.randrange(140, 560)
        draw.rectangle((x, y, x + 30, y + 20), fill=(120, 150, 190))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="finding.png")


class Timeline:
    """A project's statuses over time, from its transitions."""

    def __init__(self, project: Project, transitions: list[tuple[datetime.datetime, str]]):
        self.project = project
        self.transitions = sorted(transitions)

    def status_at(self, moment: datetime.datetime) -> str:
        status = Status.DRAFT
        for at, to_status in self.transitions:
            if at >= moment:
                break
            status = to_status
        return status

    def status_at_end(self, month: Month) -> str:
        return self.status_at(_at(month.next().first, datetime.time.min))

    def reached(self, status: str) -> datetime.datetime | None:
        return next((at for at, to_status in self.transitions if to_status == status), None)


def _stage(status: str) -> str:
    if status in BUILT:
        return "built"
    if status in BUILDING:
        return "building"
    return "waiting"


class Path:
    """The quantities of a project's task items at each month's end (see the module's
    docstring): its present quantities (``final``) less ``PACE`` for each month before the
    month its work reached them."""

    def __init__(self, timeline: Timeline, final: dict[int, Decimal], last: Month):
        self.timeline = timeline
        self.final = final
        completed = timeline.reached(Status.COMPLETED)
        self.full = Month.of(timezone.localtime(completed, _zone()).date()) if completed else last

    def at_end(self, month: Month) -> dict[int, Decimal]:
        status = self.timeline.status_at_end(month)
        if status in BUILT:
            return dict(self.final)
        if status not in BUILDING:
            return dict.fromkeys(self.final, Decimal(0))
        months = 0
        while month < self.full:
            month = month.next()
            months += 1
        ratio = max(Decimal(1) - PACE * months, Decimal(0))
        return {
            pk: min((quantity * ratio).quantize(Decimal("1"), rounding=ROUND_HALF_UP), quantity)
            for pk, quantity in self.final.items()
        }


@dataclass
class Cast:
    """The demo accounts the cycle needs."""

    office: object
    inspector: object
    community: object | None
    community_ids: set[int]

    @classmethod
    def load(cls) -> Cast | None:
        users = {
            user.username: user
            for user in get_user_model().objects.filter(
                username__in=["office", "inspector", "community"]
            )
        }
        if "office" not in users or "inspector" not in users:
            return None
        community = users.get("community")
        ids = set()
        if community is not None:
            ids = set(
                community.staff_profile.communities.values_list("pk", flat=True)
                if hasattr(community, "staff_profile")
                else []
            )
        return cls(users["office"], users["inspector"], community, ids)

    def staff_of(self, project: Project):
        """Who reports and rectifies for ``project``: the community account where the
        project is in its communities, otherwise the county office."""
        if self.community is not None and project.neighbourhood.community_id in self.community_ids:
            return self.community
        return self.office


# --- The story -------------------------------------------------------------------------------


class Story:
    def __init__(self, cast: Cast, today: datetime.date):
        self.cast = cast
        self.today = today
        self.current = Month.current(today)
        self.last = self.current.previous()
        self.quarter = self.current.quarter.previous()
        projects = list(
            Project.objects.active().select_related("neighbourhood").order_by("name", "pk")
        )
        self.projects = {project.pk: project for project in projects}
        moments = {pk: [] for pk in self.projects}
        for project_id, at, to_status in ProjectTransition.objects.filter(
            project__in=projects
        ).values_list("project_id", "at", "to_status"):
            moments[project_id].append((at, to_status))
        self.timelines = {pk: Timeline(self.projects[pk], moments[pk]) for pk in self.projects}
        # Projects that never had a dispatch follow a path; the others report as they stand.
        seasoned = set(
            Dispatch.objects.filter(project__in=projects).values_list("project_id", flat=True)
        )
        finals = {pk: {} for pk in self.projects if pk not in seasoned}
        for pk, project_id, completed in TaskItem.objects.filter(
            project__in=list(finals)
        ).values_list("pk", "project_id", "completed_quantity"):
            finals[project_id][pk] = completed
        self.paths = {
            pk: Path(self.timelines[pk], final, self.last) for pk, final in finals.items()
        }
        self.started = False

    # Task items -----------------------------------------------------------------------------

    def set_back(self, month: Month) -> None:
        """Put the task items of the projects on a path where they stood at the end of
        ``month`` (the month before the first one played)."""
        items = []
        for project_id, path in self.paths.items():
            quantities = path.at_end(month)
            for item in TaskItem.objects.filter(project=project_id):
                if item.completed_quantity != quantities[item.pk]:
                    item.completed_quantity = quantities[item.pk]
                    item.status = item.status_from_quantities()
                    items.append(item)
        if items:
            bulk_update_with_history(
                items,
                TaskItem,
                ["completed_quantity", "status"],
                default_user=self.cast.office,
                default_change_reason=f"{DEMO_NOTE}：月度调度从{month.first:%Y年%m月}底的进度开始",
            )

    # Dispatch -------------------------------------------------------------------------------

    def open(self, month: Month) -> None:
        jobs.open_month(month)
        opened = _at(month.first, OPENED_AT)
        Dispatch.objects.filter(month=month.first, opened_at__gt=opened).update(opened_at=opened)

    def report(self, dispatch: Dispatch, month: Month, moment: datetime.datetime) -> None:
        project = self.projects[dispatch.project_id]
        path = self.paths.get(project.pk)
        self._submit(
            dispatch,
            month,
            stage=_stage(self.timelines[project.pk].status_at(moment)),
            lines=path.at_end(month) if path is not None else None,
            moment=moment,
        )

    def _submit(self, dispatch: Dispatch, month: Month, *, stage, lines, moment) -> None:
        """Report ``dispatch`` at ``moment``: the problems and plans of its project's stage,
        each project of the month saying something else (in turn from a seeded start)."""
        project = self.projects[dispatch.project_id]
        position = list(self.projects).index(project.pk)
        start = _rng(month.key, "texts").randrange(60)
        problems, plans = PROBLEMS[stage], PLANS[stage]
        dispatch_service.submit_dispatch(
            dispatch,
            by=self.cast.staff_of(project),
            lines=lines,
            funds_spent=Decimal("0.00"),
            problems=problems[(start + position) % len(problems)],
            next_month_plan=plans[(start + position) % len(plans)],
            now=moment,
        )

    def report_month(self, month: Month, slot: int) -> None:
        """The month's reports: most by the 25th, one late, one not at all; the reminder on
        the 25th in between."""
        pending = list(
            Dispatch.objects.filter(
                month=month.first, submitted_at__isnull=True, project__in=list(self.projects)
            ).order_by("project_id")
        )
        pending.sort(key=lambda d: (self.projects[d.project_id].name, d.pk))
        due = [
            d
            for d in pending
            if self.timelines[d.project_id].status_at_end(month) in Project.ACTIVE_STATUSES
        ]
        rng = _rng(month.key, "reports")
        idle = [d for d in due if self._idle(d.project_id, month)]
        # The month before last, any one project did not report; last month, one with nothing
        # under way (or any one). Never the only project.
        silent = None
        if len(due) > 1:
            silent = (idle[0] if idle and slot == 1 else rng.choice(due)).pk
        reporting = [d for d in due if d.pk != silent]
        late = rng.choice(reporting) if len(reporting) > 1 else None
        on_time = [d for d in reporting if d is not late]
        for index, dispatch in enumerate(on_time):
            day = REPORT_DAYS[index % len(REPORT_DAYS)]
            self.report(dispatch, month, _at(_day(month, 0, day), datetime.time(16, 30)))
        reminded = _at(_day(month, 0, 25), REMINDED_AT)
        jobs.run_once(
            jobs.Job.REMIND,
            month.key,
            lambda: dispatch_service.remind_unreported(month, now=reminded),
        )
        if late is not None:
            self.report(late, month, _at(_day(month, 0, LATE_REPORT_DAY), datetime.time(10)))

    def _idle(self, project_id: int, month: Month) -> bool:
        """Whether the project had nothing to build in ``month`` (not yet under way)."""
        return self.timelines[project_id].status_at_end(month) not in BUILDING | BUILT

    def report_current(self) -> None:
        """This month's dispatch of the projects on a path that did not end last month (those
        completed this month): reported on the day their work was done."""
        now = timezone.now()
        for project_id, path in self.paths.items():
            final = path.final
            stands = dict(
                TaskItem.objects.filter(project=project_id).values_list("pk", "completed_quantity")
            )
            if stands == final:
                continue
            dispatch = Dispatch.objects.filter(
                project=project_id, month=self.current.first, submitted_at__isnull=True
            ).first()
            if dispatch is None:
                continue
            completed = path.timeline.reached(Status.COMPLETED)
            moment = now
            if completed is not None and completed >= _at(self.current.first, OPENED_AT):
                moment = min(completed + datetime.timedelta(hours=6), now)
            stage = _stage(self.projects[project_id].status)
            self._submit(dispatch, self.current, stage=stage, lines=final, moment=moment)

    # Inspections ----------------------------------------------------------------------------

    def inspect(self, month: Month, slot: int) -> None:
        """The month's inspections (``INSPECTIONS[slot]``), unless it has some already."""
        if Inspection.objects.filter(date__gte=month.first, date__lte=month.last).exists():
            return
        active = list(self.projects.values())
        candidates = [
            p for p in active if self.timelines[p.pk].status_at_end(month) in BUILDING
        ] or active
        if not candidates:
            return
        rng = _rng(month.key, "inspections")
        for spec in INSPECTIONS[slot]:
            project = candidates[spec.slot % len(candidates)]
            day = _day(month, 0, spec.day)
            inspection = inspections.record_inspection(
                project, inspector=self.cast.inspector, date=day, summary=spec.summary
            )
            for finding_spec in spec.findings:
                finding = inspections.add_finding(
                    inspection,
                    category=finding_spec.category,
                    severity=finding_spec.severity,
                    description=finding_spec.description,
                    deadline=max(_day(month, *finding_spec.deadline), day),
                    photo=_photo(rng) if finding_spec.photo else None,
                )
                if finding_spec.rectified is None:
                    continue
                rectified = max(_day(month, *finding_spec.rectified), day)
                if rectified > self.today:
                    continue  # its day is still to come: open for now
                inspections.rectify(
                    finding,
                    by=self.cast.staff_of(project),
                    rectification=finding_spec.rectification,
                )
                Finding.objects.filter(pk=finding.pk).update(
                    rectified_at=min(_at(rectified, datetime.time(17)), timezone.now())
                )

    # The month and the quarter --------------------------------------------------------------

    def play(self, month: Month, slot: int) -> bool:
        """Play ``month`` (0: the month before last, 1: last month); False when it was
        closed already."""
        if dispatch_service.month_closed(month):
            return False
        if not self.started:  # the paths start where the month before left off
            self.set_back(month.previous())
            self.started = True
        self.open(month)
        self.report_month(month, slot)
        self.inspect(month, slot)
        jobs.close_month(month)
        return True

    def hold_meeting(self) -> str:
        """The previous quarter's pack, then its meeting, held today with three decisions
        (one done the same day); the others are followed up in the next quarter's pack."""
        quarter = self.quarter
        jobs.prepare_quarter(quarter)
        meeting = LeadershipMeeting.objects.get(quarter=quarter.key)
        if meeting.held_on is not None or meeting.decisions.exists():
            return quarter.key
        meeting.held_on = self.today
        meeting.minutes = MINUTES.format(quarter=_quarter_name(quarter))
        meeting._history_user = self.cast.office
        meeting._change_reason = DEMO_NOTE
        meeting.save(update_fields=["held_on", "minutes"])
        for text, owner, days, done, follow_up in DECISIONS:
            decision = MeetingDecision(
                meeting=meeting,
                text=text,
                owner=owner,
                deadline=self.today + datetime.timedelta(days=days)
                if days is not None
                else self.current.quarter.last,
                follow_up=follow_up,
                done_on=self.today if done else None,
            )
            decision._history_user = self.cast.office
            decision._change_reason = DEMO_NOTE
            decision.save()
        return quarter.key


def _quarter_name(quarter: Quarter) -> str:
    return f"{quarter.year}年第{'一二三四'[quarter.number - 1]}季度"


def load_cycle(today: datetime.date | None = None) -> CycleResult:
    """Play the last two months of the cycle, the previous quarter's meeting and this
    month's opening (see the module's docstring); what exists is left as it is."""
    today = today or timezone.localdate()
    current = Month.current(today)
    result = CycleResult(last_month=current.previous())
    cast = Cast.load()
    if cast is None:  # no demo accounts: nothing to play the cycle with
        return result
    with transaction.atomic():
        story = Story(cast, today)
        for slot, month in enumerate((result.last_month.previous(), result.last_month)):
            if story.play(month, slot):
                result.closed.append(month.key)
        result.meeting = story.hold_meeting()
        story.open(current)
        story.report_current()
    return result
