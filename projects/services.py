"""The writes that move a project: its lifecycle and its backward schedule.

Every door (the admin's buttons and bulk actions, the shell, a management command, a Celery
task) calls these functions, and only these change a project's status. Each transition runs in
one transaction: it locks the project's row, checks the status it starts from and its guard,
writes the new status, keeps a ``ProjectTransition`` (who, when, from, to, note) and records the
actual date of the matching milestone, all with the acting user in the change history.

A refused step raises ``TransitionRefused``, whose ``reasons`` say why in words for people
(translated when shown); nothing is written.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from . import workflow
from .models import Milestone, PhaseDuration, Project, ProjectTransition
from .workflow import TRANSITIONS_BY_NAME, GateResult, Transition, available_transitions

__all__ = [
    "Refused",
    "ScheduleRefused",
    "TransitionRefused",
    "accept",
    "approve",
    "available_transitions",
    "complete_construction",
    "hand_over",
    "plan_schedule",
    "planned_dates",
    "refusal_reasons",
    "run_transition",
    "start_construction",
    "start_consultation",
    "start_tendering",
]


class Refused(Exception):
    """An action on a project was refused; ``reasons`` lists why, each a translatable text."""

    def __init__(self, reasons):
        self.reasons = list(reasons)
        super().__init__(*self.reasons)

    def __str__(self):
        return " ".join(str(reason) for reason in self.reasons)


class TransitionRefused(Refused):
    """A step of the lifecycle was refused: the project was in another status, or the step's
    guard failed. ``project`` is the project as stored, ``transition`` the step refused."""

    def __init__(self, project: Project, transition: Transition, reasons):
        self.project = project
        self.transition = transition
        super().__init__(reasons)


class ScheduleRefused(Refused):
    """The schedule could not be planned (no deadline, or no standard phase durations)."""


def say(message, **params) -> Promise:
    """``message % params``, translated when it is shown rather than when it is said (the
    reasons of every refusal in Anju are made with it)."""
    return lazy(lambda: str(message) % {k: str(v) for k, v in params.items()}, str)()


def later(render) -> Promise:
    """A text made by ``render()`` each time it is shown, so it is translated then (for texts
    that ``say`` cannot make, such as plurals)."""
    return lazy(render, str)()


def locked_step(record, *, by, refusals, change, refused=Refused):
    """Take a step on ``record`` under a row lock: ask ``refusals(locked)`` whether it may be
    taken from where the stored row stands (raise ``refused(reasons)`` if not), apply
    ``change(locked)``, which returns the fields it set, and save them with ``by`` in the
    change history. The caller's copy is brought up to date; returns the locked row."""
    model = type(record)
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=record.pk)
        reasons = refusals(locked)
        if reasons:
            raise refused(reasons)
        fields = change(locked)
        locked._history_user = by
        locked.save(update_fields=fields)
    if record is not locked:  # the caller's copy now tells what is stored
        for name in fields:
            attname = model._meta.get_field(name).attname
            setattr(record, attname, getattr(locked, attname))
    return locked


def _quantity(value) -> str:
    return f"{value.normalize():f}"


# --- Guards -------------------------------------------------------------------------------


def _gate_reasons(result: GateResult, fallback) -> list:
    if result:
        return []
    return list(result.missing) or [fallback]


def _approval_guard(project: Project) -> list:
    reasons = []
    if not project.task_items.exists():
        reasons.append(_("The project has no task items: list the work to be done first."))
    reasons += _gate_reasons(
        workflow.consultation_gate(project), _("The consultation of the residents is not complete.")
    )
    return reasons


def _completion_guard(project: Project) -> list:
    items = list(project.task_items.select_related("kind").order_by("pk"))
    if not items:
        return [_("The project has no task items.")]
    return [
        say(
            _("“%(item)s” is not finished: %(completed)s of %(planned)s done."),
            item=item.description or item.kind,
            completed=_quantity(item.completed_quantity),
            planned=_quantity(item.planned_quantity),
        )
        for item in items
        if item.completed_quantity < item.planned_quantity
    ]


def _acceptance_guard(project: Project) -> list:
    return _gate_reasons(workflow.acceptance_gate(project), _("The acceptance has not passed."))


def _hand_over_guard(project: Project) -> list:
    neighbourhood = project.neighbourhood
    if neighbourhood.property_company_id or neighbourhood.owners_committee_id:
        return []
    return [
        say(
            _(
                "“%(neighbourhood)s” has neither a property company nor an owners' committee "
                "to take the project over."
            ),
            neighbourhood=neighbourhood.name,
        )
    ]


GUARDS = {
    "approve": _approval_guard,
    "complete_construction": _completion_guard,
    "accept": _acceptance_guard,
    "hand_over": _hand_over_guard,
}


#: What a step keeps besides the new status, in its transaction; a ``Refused`` from it
#: refuses the step (the acceptance checks its gate again on numbers read under lock).
RECORDS = {
    "accept": workflow.record_acceptance,
}


def _transition(name: str) -> Transition:
    try:
        return TRANSITIONS_BY_NAME[name]
    except KeyError:
        raise ValueError(f"No project transition is named {name!r}.") from None


def refusal_reasons(project: Project, name: str) -> list:
    """Why the transition ``name`` would be refused for ``project`` now (empty: it would be
    taken). Reads the project as given, without locking it: for showing beside a button."""
    transition = _transition(name)
    if project.status != transition.source:
        return [say(transition.wrong_status, status=Project.Status(project.status).label)]
    guard = GUARDS.get(transition.name)
    return guard(project) if guard else []


# --- Transitions --------------------------------------------------------------------------


def _record_milestone(
    project: Project, kind: str, day: datetime.date, by, reason: str = ""
) -> None:
    """Set the milestone's actual date to ``day``, unless staff already recorded when it
    happened; create the milestone if the schedule was never planned."""
    milestone = Milestone.objects.filter(project=project, kind=kind).first()
    if milestone is not None and milestone.actual_date is not None:
        return
    if milestone is None:
        milestone = Milestone(project=project, kind=kind)
    milestone.actual_date = day
    milestone._change_reason = reason
    if by is not None:
        milestone._history_user = by
    if milestone.pk is None:
        milestone.save()
    else:
        milestone.save(update_fields=["actual_date"])


def run_transition(project: Project, name: str, *, by, note: str = "") -> Project:
    """Take the step ``name`` (one of ``workflow.TRANSITIONS``); see the named functions."""
    transition = _transition(name)
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        reasons = refusal_reasons(locked, transition.name)
        if reasons:
            raise TransitionRefused(locked, transition, reasons)
        now = timezone.now()
        locked.status = transition.target
        locked.status_changed_at = now
        if by is not None:
            locked._history_user = by
        locked._change_reason = transition.name
        locked._transition_in_progress = True
        try:
            locked.save(update_fields=["status", "status_changed_at"])
        finally:
            # Neither the permission nor the reason may carry over to a later save.
            del locked._transition_in_progress
            del locked._change_reason
        ProjectTransition.objects.create(
            project=locked,
            from_status=transition.source,
            to_status=transition.target,
            by=by,
            at=now,
            note=note,
        )
        if transition.milestone:
            _record_milestone(
                locked, transition.milestone, timezone.localdate(now), by, transition.name
            )
        record = RECORDS.get(transition.name)
        if record is not None:
            try:
                record(locked, by=by)
            except Refused as refusal:  # the whole step is rolled back
                raise TransitionRefused(locked, transition, refusal.reasons) from None
    if project is not locked:  # the caller's copy now tells the stored status
        project.status = project._stored_status = locked.status
        project.status_changed_at = locked.status_changed_at
    return locked


def start_consultation(project: Project, *, by, note: str = "") -> Project:
    """Draft → consulting residents. Records the consultation's actual start."""
    return run_transition(project, "start_consultation", by=by, note=note)


def approve(project: Project, *, by, note: str = "") -> Project:
    """Consulting → approved. Needs at least one task item and the consultation gate
    (``workflow.consultation_gate``, rule 1 of DESIGN.md). Records the approval date."""
    return run_transition(project, "approve", by=by, note=note)


def start_tendering(project: Project, *, by, note: str = "") -> Project:
    """Approved → tendering. Records the tendering's actual start."""
    return run_transition(project, "start_tendering", by=by, note=note)


def start_construction(project: Project, *, by, note: str = "") -> Project:
    """Tendering → under construction. Records the construction's actual start."""
    return run_transition(project, "start_construction", by=by, note=note)


def complete_construction(project: Project, *, by, note: str = "") -> Project:
    """Under construction → completed, awaiting acceptance. Needs every task item's completed
    quantity to reach its planned quantity. Records the construction's actual end."""
    return run_transition(project, "complete_construction", by=by, note=note)


def accept(project: Project, *, by, note: str = "") -> Project:
    """Completed → accepted. Needs the acceptance gate (``workflow.acceptance_gate``, rule 2
    of DESIGN.md). Records the acceptance date."""
    return run_transition(project, "accept", by=by, note=note)


def hand_over(project: Project, *, by, note: str = "") -> Project:
    """Accepted → handed over. Needs a property company or an owners' committee in the
    neighbourhood to take the project over."""
    return run_transition(project, "hand_over", by=by, note=note)


# --- Backward schedule (工期倒排) -----------------------------------------------------------

Kind = Milestone.Kind
Phase = PhaseDuration.Phase

#: Each milestone, latest first, with the phase whose standard days separate it from the
#: milestone after it (the first one is the deadline itself).
BACKWARD_PLAN: tuple[tuple[str, str | None], ...] = (
    (Kind.ACCEPTANCE, None),
    (Kind.CONSTRUCTION_END, Phase.ACCEPTANCE),
    (Kind.CONSTRUCTION_START, Phase.CONSTRUCTION),
    (Kind.TENDERING_START, Phase.TENDERING),
    (Kind.APPROVAL, Phase.APPROVAL),
    (Kind.CONSULTATION_START, Phase.CONSULTATION),
)


def planned_dates(deadline: datetime.date, days: dict[str, int]) -> dict[str, datetime.date]:
    """The six milestones' planned dates, counted back from ``deadline`` by the standard
    ``days`` of each phase (calendar days: month ends and leap days fall where they fall)."""
    dates: dict[str, datetime.date] = {}
    day = deadline
    for kind, phase in BACKWARD_PLAN:
        if phase is not None:
            day -= datetime.timedelta(days=days[phase])
        dates[kind] = day
    return dates


def plan_schedule(project: Project, *, by=None) -> list[Milestone]:
    """Plan the project's six milestones backwards from its deadline (工期倒排).

    Creates the milestones that are missing and moves the planned dates that differ; actual
    dates are left as they are. Returns the milestones, latest first. Raises
    ``ScheduleRefused`` when the project has no deadline or a phase has no standard duration.
    """
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.deadline is None:
            raise ScheduleRefused([_("The project has no deadline to plan back from.")])
        days = dict(PhaseDuration.objects.values_list("phase", "days"))
        missing = [phase for phase in Phase if phase not in days]
        if missing:
            raise ScheduleRefused(
                say(_("The phase “%(phase)s” has no standard duration."), phase=phase.label)
                for phase in missing
            )
        existing = {m.kind: m for m in Milestone.objects.filter(project=locked)}
        milestones = []
        for kind, day in planned_dates(locked.deadline, days).items():
            milestone = existing.get(kind) or Milestone(project=locked, kind=kind)
            if milestone.pk is None or milestone.planned_date != day:
                milestone.planned_date = day
                if by is not None:
                    milestone._history_user = by
                if milestone.pk is None:
                    milestone.save()
                else:
                    milestone.save(update_fields=["planned_date"])
            milestones.append(milestone)
    return milestones
