"""The lifecycle of a project, and the gates other apps keep for it.

A project moves draft → consulting → approved → tendering → under construction → completed
(awaiting acceptance) → accepted → handed over, one step at a time, only by the transition
functions of ``projects/services.py``. This module says which steps exist and asks the apps
that own the consultation (``surveys``) and the acceptance (``acceptance``) whether their gate
is open. It is the one place where ``projects`` reaches for those apps, so no model imports
"upwards" and no import circle forms (DESIGN.md, "Dependencies run one way").
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Milestone, Project

Status = Project.Status


@dataclass(frozen=True)
class GateResult:
    """What a gate says: open or not, and what is missing, in words for people (each message
    translatable). The admin, the pages and the refusal of a transition show this same list.

    A result is truthy when the gate is open: ``if consultation_gate(project): ...``.
    """

    passed: bool
    missing: list[str | Promise] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    @classmethod
    def open(cls) -> "GateResult":
        return cls(passed=True)

    @classmethod
    def closed(cls, missing) -> "GateResult":
        return cls(passed=False, missing=list(missing))


def consultation_gate(project: Project, today=None) -> GateResult:
    """Whether the consultation of ``project`` allows its approval (一访一议一公示).

    Rule 1 of DESIGN.md, checked by the ``surveys`` app (``surveys.rules.consultation_gate``):
    every household of the neighbourhood has a visit record (reached, or two recorded failed
    attempts); a closed discussion adopted the plan; the plan was posted for at least the
    notice period, the period is over and every objection filed has a written answer.
    ``today`` is a date of the county's calendar (by default, today in Asia/Shanghai).
    """
    from surveys.rules import consultation_gate as surveys_consultation_gate

    return surveys_consultation_gate(project, today)


def consultation_panel(project: Project):
    """What the project page shows of its consultation (``surveys.rules.ConsultationPanel``):
    the gate's checklist (each item with ``label``, ``ok``, ``detail``), the visit coverage,
    and the demand tally of the visits beside the plan. A fixed number of queries."""
    from surveys.rules import consultation_panel as surveys_consultation_panel

    return surveys_consultation_panel(project)


def acceptance_gate(project: Project) -> GateResult:
    """Whether ``project`` may be accepted (竣工验收), rule 2 of DESIGN.md, checked by the
    ``acceptance`` app (``acceptance.rules.acceptance_gate``): its latest completion check
    passed, and in its latest satisfaction survey round at least two thirds of the households
    answered and at least 90% of the answers are satisfied (3·answered ≥ 2·households,
    10·satisfied ≥ 9·answered)."""
    from acceptance.rules import acceptance_gate as acceptance_acceptance_gate

    return acceptance_acceptance_gate(project)


def acceptance_panel(project: Project):
    """What the project page shows of its acceptance (``acceptance.rules.AcceptancePanel``):
    the latest check and survey round, the round's live numbers and the gate's checklist."""
    from acceptance.rules import acceptance_panel as acceptance_acceptance_panel

    return acceptance_acceptance_panel(project)


def acceptance_page(project: Project) -> dict | None:
    """What the project's admin page shows of its acceptance, or None before completion: the
    context of the acceptance app's panel template (``acceptance.admin.panel``)."""
    from acceptance.admin.panel import acceptance_context

    return acceptance_context(project)


def record_acceptance(project: Project, *, by) -> None:
    """Keep the acceptance's verdict with the numbers of this moment
    (``acceptance.services.record_decision``); raises ``Refused`` if the gate fails on the
    numbers read under lock. Called by the ``accept`` transition inside its transaction."""
    from acceptance.services import record_decision

    record_decision(project, by=by)


def current_notice(project: Project):
    """The public notice (一公示) of ``project`` that residents see now: its latest notice
    posted on or before today (county calendar), or None. ``surveys.notices`` decides.

    It reads ``project.notices.all()``: a page listing many projects prefetches ``"notices"``
    once, and this runs no query per project.
    """
    from surveys.notices import current_notice

    return current_notice(project)


@dataclass(frozen=True)
class Transition:
    """One step of the lifecycle: its name (that of its function in ``projects.services``),
    the status it starts from and the one it leads to, the milestone whose actual date it
    records, and its words for the admin."""

    name: str
    source: str
    target: str
    milestone: str | None
    label: Promise
    action_label: Promise
    wrong_status: Promise  # why it is refused from another status; takes %(status)s


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "start_consultation",
        Status.DRAFT,
        Status.CONSULTING,
        Milestone.Kind.CONSULTATION_START,
        _("Start the consultation"),
        _("Start the consultation of the selected projects"),
        _("The project is “%(status)s”: its consultation cannot start from this status."),
    ),
    Transition(
        "approve",
        Status.CONSULTING,
        Status.APPROVED,
        Milestone.Kind.APPROVAL,
        _("Approve"),
        _("Approve the selected projects"),
        _("The project is “%(status)s”: it cannot be approved directly."),
    ),
    Transition(
        "start_tendering",
        Status.APPROVED,
        Status.TENDERING,
        Milestone.Kind.TENDERING_START,
        _("Start tendering"),
        _("Start tendering for the selected projects"),
        _("The project is “%(status)s”: tendering cannot start from this status."),
    ),
    Transition(
        "start_construction",
        Status.TENDERING,
        Status.UNDER_CONSTRUCTION,
        Milestone.Kind.CONSTRUCTION_START,
        _("Start construction"),
        _("Start construction of the selected projects"),
        _("The project is “%(status)s”: construction cannot start from this status."),
    ),
    Transition(
        "complete_construction",
        Status.UNDER_CONSTRUCTION,
        Status.COMPLETED,
        Milestone.Kind.CONSTRUCTION_END,
        _("Complete construction"),
        _("Complete construction of the selected projects"),
        _("The project is “%(status)s”: its construction cannot be completed directly."),
    ),
    Transition(
        "accept",
        Status.COMPLETED,
        Status.ACCEPTED,
        Milestone.Kind.ACCEPTANCE,
        _("Accept"),
        _("Accept the selected projects"),
        _("The project is “%(status)s”: it cannot be accepted directly."),
    ),
    Transition(
        "hand_over",
        Status.ACCEPTED,
        Status.HANDED_OVER,
        None,
        _("Hand over"),
        _("Hand over the selected projects"),
        _("The project is “%(status)s”: it cannot be handed over directly."),
    ),
)

TRANSITIONS_BY_NAME: dict[str, Transition] = {t.name: t for t in TRANSITIONS}


def available_transitions(project: Project) -> list[Transition]:
    """The steps that may be taken from the project's current status (their guards are
    checked when one is taken; ``services.refusal_reasons`` tells beforehand)."""
    return [t for t in TRANSITIONS if t.source == project.status]
