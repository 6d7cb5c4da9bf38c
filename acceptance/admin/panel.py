"""The acceptance panel of a project's admin page, beside its consultation panel.

A completed project shows the gate's checklist (``projects.workflow.acceptance_panel``) with
the live numbers of its latest survey round (the answers by level only once the round is
closed, or to the auditor: see ``rounds.py``) and the next step when that round closed without
meeting the thresholds; an accepted project shows the numbers saved when it was accepted
(``AcceptanceDecision``), whatever happened to the registers since.
"""

from django.urls import NoReverseMatch, reverse

from projects import workflow
from projects.models import Project

from .. import rules
from ..models import AcceptanceDecision, Satisfaction

#: The statuses whose page shows the panel.
SHOWN_FROM = (Project.Status.COMPLETED, Project.Status.ACCEPTED, Project.Status.HANDED_OVER)


def report_urls(project) -> dict | None:
    """The acceptance report of ``project``: its page and its .docx, once those URLs exist."""
    try:
        return {
            "page": reverse("acceptance_report:page", args=[project.pk]),
            "docx": reverse("acceptance_report:docx", args=[project.pk]),
        }
    except NoReverseMatch:
        return None


def level_rows(numbers) -> list[tuple[str, int]]:
    """The answers at each level of overall satisfaction, as (label, count), all levels."""
    return [(label, numbers.by_level.get(value, 0)) for value, label in Satisfaction.choices]


def acceptance_context(project) -> dict | None:
    """What the page of ``project`` shows of its acceptance, or None before completion."""
    if project.status not in SHOWN_FROM:
        return None
    decision = None
    if project.status != Project.Status.COMPLETED:
        decision = (
            AcceptanceDecision.objects.select_related("decided_by").filter(project=project).first()
        )
    if decision is not None:
        return {
            "decision": decision,
            "numbers": rules.SurveyNumbers(
                households=decision.households,
                answered=decision.answered,
                satisfied=decision.satisfied,
                by_level={},
            ),
            "check_id": decision.acceptance_check_id,
            "round_id": decision.survey_round_id,
            "report": report_urls(project),
        }
    # Completed, or accepted before decisions were kept: the gate as it stands.
    panel = workflow.acceptance_panel(project)
    survey_round = panel.survey_round
    return {
        "panel": panel,
        "numbers": panel.numbers,
        "level_rows": level_rows(panel.numbers) if panel.numbers else [],
        "check_id": panel.check.pk if panel.check else None,
        "check": panel.check,
        "round_id": panel.survey_round.pk if panel.survey_round else None,
        "survey_round": survey_round,
        # The latest round closed without meeting the thresholds: the next step is a new one.
        "round_failed": (
            project.status == Project.Status.COMPLETED
            and survey_round is not None
            and not survey_round.is_open
            and not survey_round.passed
        ),
        "report": report_urls(project),
    }
