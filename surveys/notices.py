"""The public notice (一公示) and the objections to it: the rules and the writes.

A plan is posted for residents with its content, budget and schedule. From ``posted_on`` for
``period_days`` days of the county calendar (Asia/Shanghai) residents may object: from their
household link while the notice is open, or on paper, which staff record with the day it was
handed in. Every objection needs a written answer before the notice counts as passed.

Every door (the admin, the household pages, the shell) calls these functions. A refused write
raises ``ObjectionRefused``, whose ``reasons`` say why in words for people; nothing is written.
"""

import datetime

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Project
from projects.services import Refused, say
from residents.models import Household

from .models import Objection, PublicNotice

__all__ = [
    "NoticeStatus",
    "ObjectionRefused",
    "answer_objection",
    "answer_refusals",
    "current_notice",
    "notice_status",
    "paper_objection_refusals",
    "period_refusals",
    "record_paper_objection",
    "submit_objection",
    "with_objection_counts",
]


class ObjectionRefused(Refused):
    """An objection could not be recorded or answered; ``reasons`` says why."""


class NoticeStatus(models.TextChoices):
    """Where a notice stands: its period is yet to come, running, or over with answers owed or
    all given."""

    UPCOMING = "upcoming", _("Not yet posted")
    OPEN = "open", _("Open for objections")
    AWAITING_ANSWERS = "awaiting_answers", _("Awaiting answers")
    PASSED = "passed", _("Passed")


# --- Reads --------------------------------------------------------------------------------


def current_notice(project: Project, today: datetime.date | None = None) -> PublicNotice | None:
    """The notice residents see now: the project's latest notice posted on or before
    ``today`` (one dated later is not posted yet), or None.

    Reads ``project.notices.all()``, so a caller listing many projects prefetches
    ``"notices"`` once and this runs no query per project.
    """
    today = today or timezone.localdate()
    # PublicNotice.Meta.ordering is newest first: ("-posted_on", "-pk").
    return next((n for n in project.notices.all() if n.posted_on <= today), None)


def _objection_count(**filters):
    counted = (
        Objection.objects.filter(notice=OuterRef("pk"), **filters)
        .order_by()
        .values("notice")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_objection_counts(notices):
    """``notices`` annotated with ``objection_count`` and ``unanswered_count`` (subqueries in
    the same query, so a list of notices counts its objections without a query per row)."""
    return notices.annotate(
        objection_count=_objection_count(),
        unanswered_count=_objection_count(answered_at__isnull=True),
    )


def notice_status(notice: PublicNotice, today: datetime.date | None = None) -> NoticeStatus:
    """Open while residents may object; after the last day, awaiting answers until every
    objection has its written answer, then passed. A notice dated after ``today`` is not
    posted yet.

    Uses ``unanswered_count`` when the notice comes from ``with_objection_counts``; otherwise
    asks the database (one query, once the period is over).
    """
    today = today or timezone.localdate()
    if today < notice.posted_on:
        return NoticeStatus.UPCOMING
    if notice.is_open(today):
        return NoticeStatus.OPEN
    unanswered = getattr(notice, "unanswered_count", None)
    if unanswered is None:
        unanswered = notice.objections.unanswered().count()
    return NoticeStatus.AWAITING_ANSWERS if unanswered else NoticeStatus.PASSED


# --- Checks, shared by the services and the forms that call them -----------------------------


def period_refusals(period_days: int | None) -> list:
    """Why a notice period of ``period_days`` is refused: it may be longer than the county's
    notice period (``ANJU_NOTICE_DAYS``), never shorter (rule 1 of DESIGN.md)."""
    minimum = settings.ANJU_NOTICE_DAYS
    if period_days is not None and period_days < minimum:
        return [say(_("A notice stays posted for at least %(days)s days."), days=minimum)]
    return []


def _text_refusals(text: str) -> list:
    if not (text or "").strip():
        return [_("The objection has no text: write down what the resident objects to.")]
    return []


def _household_refusals(notice: PublicNotice, household: Household | None) -> list:
    """The household must live in the project's neighbourhood or one merged with it."""
    if household is None:
        return []
    project = notice.project
    neighbourhood_id = (
        Household.objects.filter(pk=household.pk)
        .values_list("building__neighbourhood_id", flat=True)
        .first()
    )
    if neighbourhood_id == project.neighbourhood_id:
        return []
    if project.merged_neighbourhoods.filter(pk=neighbourhood_id).exists():
        return []
    return [
        say(
            _("The household does not live in a neighbourhood of “%(project)s”."),
            project=project,
        )
    ]


def paper_objection_refusals(
    notice: PublicNotice,
    *,
    household: Household | None,
    text: str,
    submitted_on: datetime.date | None,
) -> list:
    """Why an objection handed in on paper would be refused (empty: it would be recorded)."""
    reasons = _text_refusals(text) + _household_refusals(notice, household)
    if submitted_on is None:
        reasons.append(_("Say on which day the objection was handed in."))
    elif submitted_on > timezone.localdate():
        reasons.append(_("An objection cannot have been handed in on a day still to come."))
    elif not notice.posted_on <= submitted_on <= notice.last_day:
        reasons.append(
            say(
                _(
                    "The objection was handed in on %(day)s, outside the notice period "
                    "(%(first)s to %(last)s): it cannot be recorded against this notice."
                ),
                day=submitted_on.isoformat(),
                first=notice.posted_on.isoformat(),
                last=notice.last_day.isoformat(),
            )
        )
    return reasons


def _link_refusals(notice, household, text, today) -> list:
    if today < notice.posted_on:
        return [
            say(
                _("The plan is not posted yet: objections are accepted from %(first)s."),
                first=notice.posted_on.isoformat(),
            )
        ]
    if notice.period_ended(today):
        return [
            say(
                _("The notice period ended on %(last)s: objections are no longer accepted."),
                last=notice.last_day.isoformat(),
            )
        ]
    return _text_refusals(text) + _household_refusals(notice, household)


def answer_refusals(answer: str) -> list:
    """Why ``answer`` cannot answer an objection (empty: it can)."""
    if not (answer or "").strip():
        return [_("The answer is empty: write what was decided about the objection.")]
    return []


# --- Writes -------------------------------------------------------------------------------


def _locked_notice(notice: PublicNotice) -> PublicNotice:
    return PublicNotice.objects.select_for_update().select_related("project").get(pk=notice.pk)


def record_paper_objection(
    notice: PublicNotice,
    *,
    household: Household | None = None,
    text: str,
    submitted_on: datetime.date,
    by,
) -> Objection:
    """Record an objection handed in on paper (or told to staff) on ``submitted_on``.

    ``household`` may be None when the paper names none. Refused when ``submitted_on`` lies
    outside the notice period (``posted_on`` to ``last_day``, both included), when the text is
    empty, or when the household lives outside the project's neighbourhoods.
    """
    with transaction.atomic():
        locked = _locked_notice(notice)
        reasons = paper_objection_refusals(
            locked, household=household, text=text, submitted_on=submitted_on
        )
        if reasons:
            raise ObjectionRefused(reasons)
        objection = Objection(
            notice=locked,
            household=household,
            channel=Objection.Channel.PAPER,
            text=text.strip(),
            submitted_on=submitted_on,
            recorded_by=by,
        )
        objection._history_user = by
        objection.save()
    return objection


def submit_objection(
    notice: PublicNotice,
    *,
    household: Household,
    text: str,
    today: datetime.date | None = None,
) -> Objection:
    """A household objects from its own link; accepted only while the notice is open (the
    day is the county's, ``timezone.localdate()``, unless ``today`` is given)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _locked_notice(notice)
        reasons = _link_refusals(locked, household, text, today)
        if reasons:
            raise ObjectionRefused(reasons)
        # The same words sent again (a second tap, the form sent again from the browser's
        # history) are the objection already received.
        repeated = locked.objections.filter(household=household, text=text.strip()).first()
        if repeated is not None:
            return repeated
        objection = Objection(
            notice=locked,
            household=household,
            channel=Objection.Channel.LINK,
            text=text.strip(),
            submitted_on=today,
        )
        objection.save()
    return objection


def answer_objection(objection: Objection, *, answer: str, by) -> Objection:
    """Give ``objection`` its written answer (or correct the one it has): records who
    answered and when. An empty answer is refused."""
    reasons = answer_refusals(answer)
    if reasons:
        raise ObjectionRefused(reasons)
    with transaction.atomic():
        locked = Objection.objects.select_for_update().get(pk=objection.pk)
        locked.answer = answer.strip()
        locked.answered_at = timezone.now()
        locked.answered_by = by
        locked._history_user = by
        locked.save(update_fields=["answer", "answered_at", "answered_by"])
    if objection is not locked:  # the caller's copy now tells what is stored
        objection.answer = locked.answer
        objection.answered_at = locked.answered_at
        objection.answered_by = locked.answered_by
    return locked
