"""Household links: the secret address (``/h/<token>/``) by which a household takes part.

A link is a random token of 256 bits (``secrets.token_urlsafe(32)``), handed out once, on a
printed card or by the ``household_links`` command; the database keeps only its SHA-256 hash.
So a copy of the database alone yields no working link, and a lost or leaked card is answered
by issuing a new one, which revokes the old. Staff issue fresh links whenever cards are
printed (which revokes the old ones): the token exists in clear only on the card.

Lookups are by the hash of what the visitor presents, so no comparison of secrets takes a
time that depends on how much of a token was right: constant-time safe by construction. A
token is never logged: ``config.logging.MaskHouseholdTokens`` rewrites ``/h/<token>/`` to
``/h/…/`` in log records, and the resident pages log their own refusals with the token masked.
"""

import datetime
import hashlib
import re
import secrets

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from residents.models import Household

from .models import HouseholdLink

#: Random bytes of a token: 256 bits, well above the 128 the design asks for.
TOKEN_BYTES = 32
#: Tokens longer than this are not looked up at all (``token_urlsafe(32)`` gives 43).
MAX_TOKEN_LENGTH = 64
#: ``last_used_at`` is written at most this often, so reading a page rarely writes.
LAST_USED_PRECISION = datetime.timedelta(hours=1)

_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+")


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored for ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def issue_links(households, *, by=None) -> list[tuple[Household, str]]:
    """Give each of ``households`` a new link, revoking the link it had; return each
    household with its token, which exists nowhere else: print or hand it out now.

    One transaction: the households' rows are locked, so two issues for one household
    cannot both leave a link in use.
    """
    households = list(households)
    if not households:
        return []
    pks = [household.pk for household in households]
    now = timezone.now()
    with transaction.atomic():
        list(Household.objects.select_for_update().filter(pk__in=pks).values_list("pk"))
        HouseholdLink.objects.active().filter(household__in=pks).update(revoked_at=now)
        issued = [(household, new_token()) for household in households]
        HouseholdLink.objects.bulk_create(
            HouseholdLink(household=household, token_hash=hash_token(token), created_by=by)
            for household, token in issued
        )
    return issued


def issue_link(household, *, by=None) -> str:
    """A new link for ``household`` (its previous link stops working); returns the token,
    which is stored nowhere: only its hash is kept."""
    [(_household, token)] = issue_links([household], by=by)
    return token


def revoke(household, *, by=None) -> int:
    """Stop the household's link from working; returns how many links were revoked (0 or 1).

    When ``by`` is given, the revocation is written to the admin's change history.
    """
    return revoke_links(HouseholdLink.objects.filter(household=household), by=by)


def revoke_links(links, *, by=None) -> int:
    """Revoke those of ``links`` (a queryset) still in use; returns how many were revoked.

    When ``by`` is given, each revocation is written to the admin's change history.
    """
    with transaction.atomic():
        # Re-read by id: the caller's queryset may be one (an admin search) that cannot be
        # locked as it is, for instance a DISTINCT one.
        active = list(
            HouseholdLink.objects.active()
            .filter(pk__in=links.values("pk"))
            .select_related("household__building__neighbourhood")
            .select_for_update(of=("self",))
        )
        revoked = HouseholdLink.objects.filter(pk__in=[link.pk for link in active]).update(
            revoked_at=timezone.now()
        )
        if by is not None and active:
            LogEntry.objects.log_actions(
                user_id=by.pk,
                queryset=active,
                action_flag=CHANGE,
                change_message=[{"changed": {"fields": [gettext_noop("revoked")]}}],
            )
    return revoked


def household_for_token(token: str) -> Household | None:
    """The household whose link in use is ``token``, or None (unknown, revoked, malformed).

    The household comes with its building and neighbourhood. The link's ``last_used_at`` is
    brought up to date when it is older than an hour.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or not _TOKEN_SHAPE.fullmatch(token):
        return None
    try:  # get(), not first(): the hash is unique, and no ORDER BY to compile on every page
        link = (
            HouseholdLink.objects.active()
            .select_related("household__building__neighbourhood")
            .get(token_hash=hash_token(token))
        )
    except HouseholdLink.DoesNotExist:
        return None
    now = timezone.now()
    if link.last_used_at is None or now - link.last_used_at >= LAST_USED_PRECISION:
        HouseholdLink.objects.filter(pk=link.pk).update(last_used_at=now)
    return link.household


def link_path(token: str) -> str:
    return reverse("surveys:household_home", args=[token])


def link_url(token: str, request=None, *, base_url: str | None = None) -> str:
    """The address of the household page for ``token``: absolute when a request (its host)
    or a ``base_url`` such as ``https://anju.example.cn`` is given, else the path alone."""
    path = link_path(token)
    if base_url:
        return base_url.rstrip("/") + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def natural_key(text: str) -> tuple:
    """Sort key that puts building "2" before "10"."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text)
        if part
    )


def address_order(household: Household) -> tuple:
    """The order of households on cards and in lists: building, unit, room."""
    return (natural_key(household.building.number), household.unit, natural_key(household.room))
