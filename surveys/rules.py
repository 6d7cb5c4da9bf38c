"""The rules of consultation (一访一议一公示): who counts as visited, what residents asked for,
when a meeting may close, and the approval gate (rule 1 of DESIGN.md).

Every count is made by the database: a household's visit state is an ``EXISTS`` and a
correlated count over its visits, so a neighbourhood's coverage, a list of neighbourhoods with
their coverage, a team's work list and the demand tally each cost one query, whatever the
number of households. The admin, the project page, the demo data and ``projects.workflow``
(which asks ``consultation_gate`` before an approval) all read through these functions.

Messages meant for people are translated when they are shown, not when they are made: a gate
result computed in one language reads in the language of whoever looks at it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from projects.models import CatalogueKind, Project, TaskItem
from projects.services import later
from projects.workflow import GateResult
from residents.models import Household, Neighbourhood, VisitTeam

from .models import Discussion, PublicNotice, Visit

#: Outcomes of a visit that did not reach the household.
FAILED_OUTCOMES = (Visit.Outcome.NOT_AT_HOME, Visit.Outcome.REFUSED)

#: How many unvisited households a gate message names before it says "…".
ADDRESSES_NAMED = 10


def _date(day: datetime.date) -> str:
    return formats.date_format(day)


# --- One visit (一访): who counts as visited --------------------------------------------------


def failed_attempts() -> Coalesce:
    """For the outer household (``OuterRef("pk")``): on how many different days visits failed
    to reach it (two entries of one day are one attempt)."""
    counted = (
        Visit.objects.filter(household=OuterRef("pk"), outcome__in=FAILED_OUTCOMES)
        .order_by()
        .values("household")
        .annotate(n=Count("visited_on", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def is_visited() -> Q:
    """A filter on households: visited, that is reached by a visit, or tried and missed
    ``Visit.FAILED_ATTEMPTS_THAT_COUNT`` times (not at home or refused)."""
    reached = Visit.objects.filter(household=OuterRef("pk"), outcome=Visit.Outcome.REACHED)
    return Q(Exists(reached)) | Q(
        GreaterThanOrEqual(failed_attempts(), Visit.FAILED_ATTEMPTS_THAT_COUNT)
    )


def households_of(neighbourhood: Neighbourhood | int) -> QuerySet[Household]:
    """The registered households of a neighbourhood (or of its id)."""
    return Household.objects.filter(building__neighbourhood=neighbourhood)


def project_households(project: Project) -> QuerySet[Household]:
    """The households a project works for: those of its neighbourhood and of the compounds
    merged into it (拆墙并院). Each of them must be visited before the approval."""
    return Household.objects.filter(
        Q(building__neighbourhood=project.neighbourhood_id)
        | Q(building__neighbourhood__in=project.merged_neighbourhoods.values("pk"))
    )


def visited(households: QuerySet[Household]) -> QuerySet[Household]:
    """The households among ``households`` that count as visited (see ``is_visited``)."""
    return households.filter(is_visited())


def not_visited(households: QuerySet[Household]) -> QuerySet[Household]:
    """The households among ``households`` still to visit."""
    return households.exclude(is_visited())


def household_coverage(households: QuerySet[Household]) -> tuple[int, int]:
    """``(visited, total)`` among ``households``, in one query."""
    row = households.order_by().aggregate(
        total=Count("pk"), visited=Count("pk", filter=is_visited())
    )
    return row["visited"], row["total"]


def coverage(neighbourhood: Neighbourhood | int) -> tuple[int, int]:
    """``(visited, total)``: the visit coverage of a neighbourhood's households, one query."""
    return household_coverage(households_of(neighbourhood))


def coverage_by_neighbourhood(queryset: QuerySet[Neighbourhood]) -> QuerySet[Neighbourhood]:
    """Each neighbourhood of ``queryset`` with ``households_total`` and ``households_visited``,
    as correlated subqueries of the same query (a list costs one query whatever its length).
    """
    counts = (
        Household.objects.filter(building__neighbourhood=OuterRef("pk"))
        .order_by()
        .values("building__neighbourhood")
        .annotate(total=Count("pk"), visited=Count("pk", filter=is_visited()))
    )
    return queryset.annotate(
        households_total=Coalesce(Subquery(counts.values("total"), output_field=IntegerField()), 0),
        households_visited=Coalesce(
            Subquery(counts.values("visited"), output_field=IntegerField()), 0
        ),
    )


def percent(part: int, whole: int) -> int | None:
    """``part`` as a whole percentage of ``whole``, rounded down (100 only when complete)."""
    return part * 100 // whole if whole else None


def work_list(
    team: VisitTeam, *, neighbourhood: Neighbourhood | None = None, user=None
) -> QuerySet[Household]:
    """The households a visit team still has to visit, in the neighbourhoods it is assigned
    (only ``neighbourhood`` when given, only those ``user`` may see when given), ordered for
    walking: neighbourhood, building (2 before 10), unit, floor, room. Each household carries
    ``failed_attempts``; its building and neighbourhood are fetched with it. One query.
    """
    households = Household.objects.filter(
        building__neighbourhood__in=team.neighbourhoods.values("pk")
    )
    if neighbourhood is not None:
        households = households.filter(building__neighbourhood=neighbourhood)
    if user is not None:
        households = households.visible_to(user)
    return (
        not_visited(households)
        .annotate(failed_attempts=failed_attempts())
        .select_related("building__neighbourhood")
        .order_by(
            "building__neighbourhood__name",
            "building__neighbourhood_id",
            Length("building__number"),
            "building__number",
            "unit",
            "floor",
            Length("room"),
            "room",
        )
    )


def short_address(building_number: str, unit: int, room: str) -> str:
    """A household's address as visit teams write it: building-unit-room, ``3-2-501``."""
    return f"{building_number}-{unit}-{room}"


# --- What residents asked for (要什么改什么) ------------------------------------------------------


def households_asking(households: QuerySet[Household]):
    """For the outer catalogue kind: how many of ``households`` named it as a need in any of
    their visits (each household counted once, however often it said so)."""
    asked = (
        Visit.needs.through.objects.filter(
            cataloguekind=OuterRef("pk"), visit__household__in=households.values("pk")
        )
        .order_by()
        .values("cataloguekind")
        .annotate(n=Count("visit__household", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(asked, output_field=IntegerField()), 0)


def demand_tally(neighbourhood: Neighbourhood | int) -> QuerySet[CatalogueKind]:
    """The catalogue kinds the households of a neighbourhood asked for in their visits, each
    with ``households`` (how many asked), most asked first. One query."""
    return (
        CatalogueKind.objects.annotate(households=households_asking(households_of(neighbourhood)))
        .filter(households__gt=0)
        .order_by("-households", "priority", "code")
    )


def demand_beside_plan(project: Project) -> QuerySet[CatalogueKind]:
    """The kinds residents of the project asked for and the kinds of its plan, side by side:
    each kind with ``households`` (how many asked for it) and ``in_plan`` (the project has a
    task item of that kind). Most asked first, then the plan's others. One query."""
    return (
        CatalogueKind.objects.annotate(
            households=households_asking(project_households(project)),
            in_plan=Exists(TaskItem.objects.filter(project=project, kind=OuterRef("pk"))),
        )
        .filter(Q(households__gt=0) | Q(in_plan=True))
        .order_by("-households", "priority", "code")
    )


# --- One discussion (一议) ----------------------------------------------------------------------


def adopting_discussions(project: Project) -> QuerySet[Discussion]:
    """The closed discussions of ``project`` that adopted its plan: every one of its task
    items, by more votes for than against."""
    through = Discussion.adopted_items.through
    adopted = through.objects.filter(discussion=OuterRef("pk"), taskitem__project=project)
    left_out = TaskItem.objects.filter(project=project).exclude(
        pk__in=through.objects.filter(discussion=OuterRef(OuterRef("pk"))).values("taskitem_id")
    )
    return (
        Discussion.objects.filter(
            project=project, closed_at__isnull=False, votes_for__gt=F("votes_against")
        )
        .filter(Exists(adopted))
        .exclude(Exists(left_out))
    )


def closing_refusals(discussion: Discussion) -> list[Promise]:
    """Why ``discussion`` cannot be closed now (empty: it can). A meeting closes once its
    minutes are written and it adopted at least one item of its project's plan."""
    if discussion.is_closed:
        return [_("The meeting is already closed.")]
    reasons = []
    if not discussion.minutes.strip():
        reasons.append(_("The minutes of the meeting have not been written."))
    adopted = discussion.adopted_items.all()
    if not adopted.exists():
        reasons.append(_("The meeting adopted no plan item."))
    elif adopted.exclude(project=discussion.project_id).exists():
        reasons.append(_("The meeting adopted plan items of another project."))
    return reasons


# --- The approval gate ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    """One line of the consultation checklist: what is checked, whether it is done, and in
    words what was found (when not done: exactly what is missing)."""

    label: Promise
    ok: bool
    detail: str | Promise


@dataclass(frozen=True)
class ConsultationPanel:
    """What the project page shows beside the plan: the checklist of the gate, the visit
    coverage and the demand tally (``demand``: catalogue kinds with ``households`` and
    ``in_plan``)."""

    checklist: list[CheckItem]
    visited: int
    households: int
    demand: list[CatalogueKind] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(item.ok for item in self.checklist)

    @property
    def coverage_percent(self) -> int | None:
        return percent(self.visited, self.households)


def _visit_check(project: Project) -> tuple[CheckItem, int, int]:
    households = project_households(project)
    done, total = household_coverage(households)
    label = _("Every household visited (one visit)")
    if total == 0:
        detail = _("No household of the neighbourhood is registered: nobody can be visited.")
        return CheckItem(label, False, detail), done, total
    missing = total - done
    if not missing:
        detail = later(
            lambda: (
                ngettext("%(count)d household visited.", "All %(count)d households visited.", total)
                % {"count": total}
            )
        )
        return CheckItem(label, True, detail), done, total
    rows = not_visited(households).order_by(
        "building__neighbourhood_id",
        Length("building__number"),
        "building__number",
        "unit",
        Length("room"),
        "room",
    )
    named = [
        f"{name} {short_address(number, unit, room)}"
        if neighbourhood_id != project.neighbourhood_id
        else short_address(number, unit, room)
        for neighbourhood_id, name, number, unit, room in rows.values_list(
            "building__neighbourhood_id",
            "building__neighbourhood__name",
            "building__number",
            "unit",
            "room",
        )[:ADDRESSES_NAMED]
    ]
    addresses = ", ".join(named) + (", …" if missing > len(named) else "")
    detail = later(
        lambda: (
            ngettext(
                "%(count)d household not visited: %(addresses)s",
                "%(count)d households not visited: %(addresses)s",
                missing,
            )
            % {"count": missing, "addresses": addresses}
        )
    )
    return CheckItem(label, False, detail), done, total


def _discussion_check(project: Project) -> CheckItem:
    label = _("Plan adopted at a residents' meeting (one discussion)")
    held_on = (
        adopting_discussions(project).order_by("-held_on", "-pk").values_list("held_on", flat=True)
    ).first()
    if held_on is None:
        return CheckItem(label, False, _("No closed discussion adopted the plan."))
    detail = later(
        lambda: gettext("Adopted at the meeting of %(date)s.") % {"date": _date(held_on)}
    )
    return CheckItem(label, True, detail)


def latest_notice(project: Project) -> PublicNotice | None:
    """The project's latest public notice (the one the gate reads), with ``objection_count``
    and ``unanswered_count``, or None. One query."""
    return (
        PublicNotice.objects.filter(project=project)
        .annotate(
            objection_count=Count("objections"),
            unanswered_count=Count("objections", filter=Q(objections__answered_at__isnull=True)),
        )
        .order_by("-posted_on", "-pk")
        .first()
    )


def _notice_checks(project: Project, today: datetime.date) -> list[CheckItem]:
    notice = latest_notice(project)
    posted_label = _("Plan posted (one public notice)")
    if notice is None:
        return [CheckItem(posted_label, False, _("No public notice has been posted."))]
    posted = CheckItem(
        posted_label,
        True,
        later(
            lambda: (
                ngettext(
                    "Posted on %(date)s for %(days)d day.",
                    "Posted on %(date)s for %(days)d days.",
                    notice.period_days,
                )
                % {"date": _date(notice.posted_on), "days": notice.period_days}
            )
        ),
    )

    period_label = _("Notice period over")
    required = settings.ANJU_NOTICE_DAYS
    if notice.period_days < required:
        period = CheckItem(
            period_label,
            False,
            later(
                lambda: (
                    ngettext(
                        "The notice period of %(days)d days is shorter than the %(required)d day "
                        "required.",
                        "The notice period of %(days)d days is shorter than the %(required)d days "
                        "required.",
                        required,
                    )
                    % {"days": notice.period_days, "required": required}
                )
            ),
        )
    elif not notice.period_ended(today):
        period = CheckItem(
            period_label,
            False,
            later(
                lambda: (
                    gettext("The notice period runs until %(date)s.")
                    % {"date": _date(notice.last_day)}
                )
            ),
        )
    else:
        period = CheckItem(
            period_label,
            True,
            later(
                lambda: (
                    gettext("The notice period ended on %(date)s.")
                    % {"date": _date(notice.last_day)}
                )
            ),
        )

    answers_label = _("Every objection answered in writing")
    unanswered, filed = notice.unanswered_count, notice.objection_count
    if unanswered:
        answers = CheckItem(
            answers_label,
            False,
            later(
                lambda: (
                    ngettext(
                        "%(count)d objection has no written answer.",
                        "%(count)d objections have no written answer.",
                        unanswered,
                    )
                    % {"count": unanswered}
                )
            ),
        )
    elif filed:
        answers = CheckItem(
            answers_label,
            True,
            later(
                lambda: (
                    ngettext(
                        "The objection filed has been answered.",
                        "All %(count)d objections filed have been answered.",
                        filed,
                    )
                    % {"count": filed}
                )
            ),
        )
    else:
        answers = CheckItem(answers_label, True, _("No objection was filed."))
    return [posted, period, answers]


def _checks(project: Project, today: datetime.date | None) -> tuple[list[CheckItem], int, int]:
    today = today or timezone.localdate()
    visits, done, total = _visit_check(project)
    return [visits, _discussion_check(project), *_notice_checks(project, today)], done, total


def consultation_checklist(project: Project, today: datetime.date | None = None) -> list[CheckItem]:
    """The consultation of ``project`` item by item: households visited, plan adopted at a
    closed meeting, plan posted, notice period over (on the county's calendar, Asia/Shanghai,
    ``today`` by default), objections answered. At most four queries, five when households
    are missing (their first addresses)."""
    return _checks(project, today)[0]


def consultation_gate(project: Project, today: datetime.date | None = None) -> GateResult:
    """Whether the consultation allows the approval of ``project`` (rule 1 of DESIGN.md).

    Open when every household of the project (its neighbourhood and merged compounds) was
    visited, a closed discussion adopted items of its plan, and its latest public notice was
    posted for at least ``ANJU_NOTICE_DAYS`` days, its period has ended and every objection
    filed against it has a written answer. Otherwise ``missing`` says exactly what is missing,
    in words translated when shown ("12 households not visited: 3-2-501, …").
    """
    checklist = consultation_checklist(project, today)
    if all(item.ok for item in checklist):
        return GateResult.open()
    return GateResult.closed(item.detail for item in checklist if not item.ok)


def consultation_panel(project: Project, today: datetime.date | None = None) -> ConsultationPanel:
    """The checklist, the coverage and the demand beside the plan, for the project page.
    A fixed number of queries (at most six)."""
    checklist, done, total = _checks(project, today)
    return ConsultationPanel(
        checklist=checklist,
        visited=done,
        households=total,
        demand=list(demand_beside_plan(project)),
    )
