"""The writes of consultation that carry a rule: recording a visit, closing a meeting.

The admin, the demo data and any later door (a resident page, a command) call these; each runs
in one transaction. A refused write raises ``DiscussionRefused`` (a ``projects.services.Refused``)
whose ``reasons`` say why, translated when shown; nothing is written.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from projects.services import Refused
from residents.models import Household, VisitTeam

from . import rules
from .models import Discussion, Visit

__all__ = ["DiscussionRefused", "close_discussion", "record_visit"]


class DiscussionRefused(Refused):
    """A meeting could not be closed; ``reasons`` says why."""

    def __init__(self, discussion: Discussion, reasons):
        self.discussion = discussion
        super().__init__(reasons)


def record_visit(
    household: Household,
    *,
    by,
    outcome: str,
    team: VisitTeam | None = None,
    visited_on: datetime.date | None = None,
    needs=(),
    needs_text: str = "",
    supports_renovation: bool | None = None,
    notes: str = "",
) -> Visit:
    """Record one visit to ``household`` by the user ``by`` (kept as its visitor): its outcome
    (a ``Visit.Outcome``), the catalogue kinds it named as needs and what else was said.
    ``visited_on`` defaults to today on the county's calendar."""
    with transaction.atomic():
        visit = Visit(
            household=household,
            team=team,
            visitor=by,
            outcome=outcome,
            visited_on=visited_on or timezone.localdate(),
            needs_text=needs_text,
            supports_renovation=supports_renovation,
            notes=notes,
        )
        if by is not None:
            visit._history_user = by
        visit.full_clean()
        visit.save()
        if needs:
            visit.needs.set(needs)
    return visit


def close_discussion(discussion: Discussion, *, by) -> Discussion:
    """Close a residents' meeting: it then counts for the approval gate and can no longer be
    changed. Needs its minutes and at least one adopted item of its project's plan
    (``rules.closing_refusals``); records who closed it and when. Returns the stored
    discussion, and updates the caller's copy."""
    with transaction.atomic():
        locked = Discussion.objects.select_for_update().get(pk=discussion.pk)
        reasons = rules.closing_refusals(locked)
        if reasons:
            raise DiscussionRefused(locked, reasons)
        locked.closed_at = timezone.now()
        locked.closed_by = by
        if by is not None:
            locked._history_user = by
        locked._change_reason = "close_discussion"
        try:
            locked.save(update_fields=["closed_at", "closed_by"])
        finally:
            del locked._change_reason  # a later save is not a closing
    if discussion is not locked:
        discussion.closed_at, discussion.closed_by = locked.closed_at, locked.closed_by
    return locked
