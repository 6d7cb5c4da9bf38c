"""The residents' request ledger (民情三本账): every opinion, suggestion and complaint, from
any channel, tracked to an answer.

A request is received (from a household link, or entered by staff from the suggestion box,
the supervision hotline or the opinion book), taken into handling by someone, answered in
writing, and closed: received → handling → answered → closed, one step at a time. It is due
``ANJU_REQUEST_DUE_DAYS`` days after the county day it was received, and overdue from the day
after that while it is still unanswered.

The three ledgers are the queryset methods of ``ResidentRequest``: ``open()`` (received),
``in_handling()`` and ``closed()`` (answered or closed); ``overdue()`` flags the late ones.

Every door (the admin, the household pages, the shell) calls these functions. A refused step
raises ``RequestRefused``, whose ``reasons`` say why in words for people; nothing is written.
A photo is stored only as ``projects.images.process_upload`` re-encodes it.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from projects.images import ProcessedImage, process_upload
from projects.models import CatalogueKind
from projects.services import Refused, locked_step, say
from residents.models import Household, Neighbourhood

from .models import ResidentRequest

__all__ = [
    "STAFF_CHANNELS",
    "RequestRefused",
    "answer_refusals",
    "answer_request",
    "close_request",
    "due_date",
    "record_refusals",
    "record_request",
    "start_handling",
    "submit_request",
]

Status = ResidentRequest.Status
Channel = ResidentRequest.Channel
Category = ResidentRequest.Category

#: The channels staff enter requests from; requests by link come from the household itself.
STAFF_CHANNELS = (Channel.BOX, Channel.HOTLINE, Channel.BOOK)
#: A household's request repeating one it sent within this time (a second tap on "send", the
#: form sent again from the browser's history) is that request, not a new one.
REPEAT_WINDOW = datetime.timedelta(hours=1)


class RequestRefused(Refused):
    """A request could not be recorded or moved on; ``reasons`` says why."""


def due_date(received_on: datetime.date | None = None) -> datetime.date:
    """The day an answer is due: ``ANJU_REQUEST_DUE_DAYS`` after the county day received."""
    received_on = received_on or timezone.localdate()
    return received_on + datetime.timedelta(days=settings.ANJU_REQUEST_DUE_DAYS)


# --- Checks, shared by the services and the forms that call them -----------------------------


def _text_refusals(text: str) -> list:
    if not (text or "").strip():
        return [_("The request has no text: write down what the resident said.")]
    return []


def record_refusals(
    *,
    channel: str,
    neighbourhood: Neighbourhood | None,
    household: Household | None,
    text: str,
    received_on: datetime.date,
    due_on: datetime.date | None,
) -> list:
    """Why a request entered by staff would be refused (empty: it would be recorded)."""
    reasons = []
    if channel not in STAFF_CHANNELS:
        reasons.append(
            _(
                "Requests through a household link are sent by the household itself: "
                "choose the suggestion box, the hotline or the opinion book."
            )
        )
    reasons += _text_refusals(text)
    if neighbourhood is None:
        reasons.append(_("Say which neighbourhood the request concerns."))
    elif household is not None and household.building.neighbourhood_id != neighbourhood.pk:
        reasons.append(
            say(
                _("The household does not live in “%(neighbourhood)s”."),
                neighbourhood=neighbourhood.name,
            )
        )
    if received_on > timezone.localdate():
        reasons.append(_("A request cannot be received on a day still to come."))
    if due_on is not None and due_on < received_on:
        reasons.append(_("The answer cannot be due before the request was received."))
    return reasons


def answer_refusals(resident_request: ResidentRequest, answer: str) -> list:
    """Why ``answer`` would be refused as the answer to ``resident_request`` now."""
    if resident_request.status != Status.HANDLING:
        return [_wrong_status(resident_request, "answer")]
    if not (answer or "").strip():
        return [_("The answer is empty: write what was done or decided.")]
    return []


_WRONG_STATUS = {
    "start": _("The request is “%(status)s”: only a received request can be taken into handling."),
    "answer": _(
        "The request is “%(status)s”: only a request in handling can be answered "
        "(take it into handling first)."
    ),
    "close": _("The request is “%(status)s”: only an answered request can be closed."),
}


def _wrong_status(resident_request: ResidentRequest, step: str) -> Promise:
    return say(_WRONG_STATUS[step], status=Status(resident_request.status).label)


def _safe_photo(photo):
    """The photo as it is to be stored: the upload re-encoded (a form that already ran
    ``process_upload`` hands its ``ProcessedImage``), or None."""
    if not photo:
        return None
    if isinstance(photo, ProcessedImage):
        return photo.image
    try:
        return process_upload(photo).image
    except ValidationError as refusal:
        raise RequestRefused(refusal.messages) from refusal


# --- Writes -------------------------------------------------------------------------------


def _create(fields: dict, needs: Iterable[CatalogueKind], by) -> ResidentRequest:
    resident_request = ResidentRequest(**fields)
    resident_request._history_user = by
    resident_request.save()
    needs = list(needs or ())
    if needs:
        resident_request.needs.set(needs)
    return resident_request


def record_request(
    *,
    channel: str,
    neighbourhood: Neighbourhood,
    text: str,
    by,
    category: str = Category.OPINION,
    household: Household | None = None,
    needs: Iterable[CatalogueKind] = (),
    photo=None,
    assignee=None,
    due_on: datetime.date | None = None,
    received_at: datetime.datetime | None = None,
) -> ResidentRequest:
    """Enter a request received through the suggestion box, the hotline or the opinion book.

    ``household`` is None for an anonymous note; otherwise it must live in ``neighbourhood``.
    ``received_at`` defaults to now, ``due_on`` to ``due_date()`` of the day received.
    ``photo`` is an upload (or a form's ``ProcessedImage``); one that is not a safe image is
    refused and nothing is stored.
    """
    received_at = received_at or timezone.now()
    received_on = timezone.localdate(received_at)
    reasons = record_refusals(
        channel=channel,
        neighbourhood=neighbourhood,
        household=household,
        text=text,
        received_on=received_on,
        due_on=due_on,
    )
    if reasons:
        raise RequestRefused(reasons)
    stored_photo = _safe_photo(photo)
    with transaction.atomic():
        return _create(
            {
                "channel": channel,
                "category": category,
                "neighbourhood": neighbourhood,
                "household": household,
                "text": text.strip(),
                "photo": stored_photo,
                "received_at": received_at,
                "assignee": assignee,
                "due_on": due_on or due_date(received_on),
            },
            needs,
            by,
        )


def submit_request(
    household: Household,
    *,
    text: str,
    category: str,
    needs: Iterable[CatalogueKind] = (),
    photo=None,
) -> ResidentRequest:
    """A household sends an opinion, suggestion or complaint from its own link; due
    ``ANJU_REQUEST_DUE_DAYS`` days from today. The same words sent again within
    ``REPEAT_WINDOW`` (without a photo the first lacked) return the request recorded then."""
    reasons = _text_refusals(text)
    if category not in Category.values:
        reasons.append(_("Choose whether this is an opinion, a suggestion or a complaint."))
    if reasons:
        raise RequestRefused(reasons)
    stored_photo = _safe_photo(photo)
    with transaction.atomic():
        # The household's row locked: the same words sent twice at the same moment (two
        # taps) wait for each other, and the second finds the first.
        list(Household.objects.select_for_update().filter(pk=household.pk).values_list("pk"))
        now = timezone.now()
        repeated = _repeated_request(household, text=text.strip(), category=category, since=now)
        if repeated is not None and (photo is None or repeated.photo):
            return repeated  # the re-encoded photo, not yet stored, is dropped
        return _create(
            {
                "channel": Channel.LINK,
                "category": category,
                "neighbourhood_id": household.building.neighbourhood_id,
                "household": household,
                "text": text.strip(),
                "photo": stored_photo,
                "received_at": now,
                "due_on": due_date(timezone.localdate(now)),
            },
            needs,
            None,
        )


def _repeated_request(household, *, text, category, since) -> ResidentRequest | None:
    """The household's request of the same words sent within ``REPEAT_WINDOW`` of ``since``."""
    return (
        household.requests.filter(
            channel=Channel.LINK,
            category=category,
            text=text,
            received_at__gte=since - REPEAT_WINDOW,
        )
        .order_by("-received_at")
        .first()
    )


def _step(resident_request, *, by, refusals, change) -> ResidentRequest:
    """A step of a request under its row lock (``projects.services.locked_step``)."""
    return locked_step(
        resident_request, by=by, refusals=refusals, change=change, refused=RequestRefused
    )


def _from(status: str, step: str):
    """The check of a step that starts from ``status``."""
    return lambda locked: [] if locked.status == status else [_wrong_status(locked, step)]


def start_handling(resident_request: ResidentRequest, /, *, by, assignee=None) -> ResidentRequest:
    """Received → handling. ``assignee`` takes the request over; without one, a request
    nobody was assigned goes to ``by``."""

    def change(locked):
        locked.status = Status.HANDLING
        if assignee is not None:
            locked.assignee = assignee
        elif locked.assignee_id is None:
            locked.assignee = by
        return ["status", "assignee"]

    return _step(resident_request, by=by, refusals=_from(Status.RECEIVED, "start"), change=change)


def answer_request(resident_request: ResidentRequest, /, *, answer: str, by) -> ResidentRequest:
    """Handling → answered, with the written ``answer`` (not empty), who answered and when."""

    def change(locked):
        locked.status = Status.ANSWERED
        locked.answer = answer.strip()
        locked.answered_at = timezone.now()
        locked.answered_by = by
        return ["status", "answer", "answered_at", "answered_by"]

    return _step(
        resident_request,
        by=by,
        refusals=lambda locked: answer_refusals(locked, answer),
        change=change,
    )


def close_request(resident_request: ResidentRequest, /, *, by) -> ResidentRequest:
    """Answered → closed."""

    def change(locked):
        locked.status = Status.CLOSED
        return ["status"]

    return _step(resident_request, by=by, refusals=_from(Status.ANSWERED, "close"), change=change)
