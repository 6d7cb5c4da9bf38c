"""The household's pages (``/h/<token>/``), phone-first, no login.

A household reaches them by its secret link (see ``surveys.links``): it reads the posted plan
of its neighbourhood, sends an opinion (needs, words, a photo), objects to the plan while the
notice is open, and reads the answers to what it sent. The pages show the household's address
and nothing personal (no name, no phone).

Every response of these pages:

- is rate-limited per client IP: ``PAGE_RATE`` for any request (each one looks a token up),
  ``POST_RATE`` for submissions; over the limit, ``rate_limited`` answers 429;
- answers an unknown, revoked or malformed token with the same friendly 404 page;
- carries ``Cache-Control: no-store`` and ``Referrer-Policy: same-origin``, so the token
  stays out of caches and out of the referrers of links to other sites (``no-referrer``
  would make browsers post with ``Origin: null``, which CSRF protection rightly refuses);
- never writes the token to the log: the 404 and 429 answers are logged here with the path
  masked (``/h/…/``) instead of by Django's request logger.

The rules are not here: ``surveys.ledger.submit_request`` records an opinion,
``surveys.notices.submit_objection`` an objection; this module only calls them.
"""

import functools
import logging

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from config.logging import mask_tokens
from projects.models import Project
from projects.services import Refused

from . import household_sections, ledger, links, notices
from .forms import MAX_TEXT, ObjectionForm, OpinionForm
from .models import PublicNotice

#: Requests of any kind to the household pages, per client IP.
PAGE_RATE = "30/m"
#: Submissions (opinions, objections), per client IP.
POST_RATE = "5/m"

request_logger = logging.getLogger("django.request")
_UNSET = object()


# --- What every household page does ----------------------------------------------------------


def _private(response):
    """No copy in any cache, no referrer that carries the token, no search engine."""
    add_never_cache_headers(response)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _logged_masked(request, response):
    """Log a refusal with the token masked, and keep Django's request logger (which would
    print the full path) from logging it again."""
    request_logger.warning(
        "%s: %s",
        response.reason_phrase,
        mask_tokens(request.path),
        extra={"status_code": response.status_code},
    )
    response._has_been_logged = True  # Django's own mark: see django.utils.log.log_response
    return response


def household_not_found(request, *args, **kwargs):
    """The one answer to a link that does not work, whatever the reason: it tells nothing
    about whether the token ever existed."""
    response = render(request, "surveys/household_not_found.html", status=404)
    return _private(_logged_masked(request, response))


def rate_limited(request, exception):
    """Too many requests from one address (``RATELIMIT_VIEW``): a friendly page, 429."""
    response = render(request, "surveys/rate_limited.html", status=429)
    response.headers["Retry-After"] = "60"
    return _private(_logged_masked(request, response))


def household_page(view):
    """Make ``view(request, household, token)`` a household page reached by ``token``."""

    @ratelimit(group="surveys.household.posts", key="ip", rate=POST_RATE, method="POST")
    @ratelimit(group="surveys.household", key="ip", rate=PAGE_RATE)
    def limited(request, token):
        household = links.household_for_token(token)
        if household is None:
            return household_not_found(request)
        return view(request, household, token)

    @functools.wraps(view)
    def page(request, token):
        try:
            response = limited(request, token)
        except Ratelimited as exception:
            response = rate_limited(request, exception)
        return _private(response)

    return page


# --- What the page shows ---------------------------------------------------------------------


def current_project(neighbourhood) -> Project | None:
    """The neighbourhood's current project: its latest project past the draft stage, its own
    or one it was merged into, with its notices (one query, and one for the notices)."""
    return (
        Project.objects.filter(
            Q(neighbourhood=neighbourhood) | Q(merged_neighbourhoods=neighbourhood)
        )
        .exclude(status=Project.Status.DRAFT)
        .prefetch_related("notices")
        .order_by("-batch_year", "-pk")
        .first()
    )


def household_notice(household) -> PublicNotice | None:
    """The notice the household sees: the current notice of its neighbourhood's current
    project (``surveys.notices.current_notice``)."""
    project = current_project(household.building.neighbourhood)
    return notices.current_notice(project) if project is not None else None


def _render_home(
    request, household, token, *, notice=_UNSET, opinion_form=None, objection_form=None
):
    if notice is _UNSET:
        notice = household_notice(household)
    status = notices.notice_status(notice) if notice is not None else None
    notice_open = status == notices.NoticeStatus.OPEN
    if notice_open and objection_form is None:
        objection_form = ObjectionForm(current_notice=notice)
    context = {
        "address": household.address,
        # What other apps add to the page (the acceptance's satisfaction survey, for one).
        "sections": household_sections.render_sections(request, household, token),
        "notice": notice,
        "notice_status": status,
        "notice_open": notice_open,
        "opinion_form": opinion_form or OpinionForm(),
        "objection_form": objection_form if notice_open else None,
        "requests": household.requests.prefetch_related("needs").order_by("-received_at"),
        "objections": household.objections.select_related("notice").order_by("-created_at"),
        "opinion_url": reverse("surveys:household_opinion", args=[token]),
        "objection_url": reverse("surveys:household_objection", args=[token]),
    }
    return render(request, "surveys/household_home.html", context)


def _add_refusal(form, refusal: Refused):
    for reason in refusal.reasons:
        form.add_error(None, str(reason))


# --- The pages -------------------------------------------------------------------------------


@household_page
def household_home(request, household, token):
    """The household's page: its address, the posted plan, its forms and its past requests."""
    return _render_home(request, household, token)


@household_page
def submit_opinion(request, household, token):
    """POST an opinion (with needs, an optional photo); back to the page with a message."""
    if request.method != "POST":
        return redirect(links.link_path(token))
    form = OpinionForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ledger.submit_request(
                household,
                text=data["text"].strip(),
                category=data["category"],
                needs=list(data["needs"]),
                photo=data["photo"],
            )
        except Refused as refusal:
            _add_refusal(form, refusal)
        else:
            messages.success(
                request, _("Thank you: your opinion was received. The answer will appear below.")
            )
            return redirect(links.link_path(token))
    return _render_home(request, household, token, opinion_form=form)


@household_page
def submit_objection(request, household, token):
    """POST an objection to the posted plan; taken only while its notice is open."""
    if request.method != "POST":
        return redirect(links.link_path(token))
    notice = household_notice(household)
    form = ObjectionForm(request.POST, current_notice=notice)
    if form.is_valid():
        try:
            notices.submit_objection(
                form.cleaned_data["notice"],
                household=household,
                text=form.cleaned_data["text"],
            )
        except Refused as refusal:
            _add_refusal(form, refusal)
        else:
            messages.success(
                request,
                _("Thank you: your objection was received. The answer will appear below."),
            )
            return redirect(links.link_path(token))
    if notice is not None and notice.is_open():
        if form.has_error("notice", "stale_notice"):
            # A newer plan was posted while the resident was writing: show it, with what
            # was typed, to be sent against the plan now posted.
            messages.error(request, form.errors["notice"][0])
            form = ObjectionForm(
                initial={"text": request.POST.get("text", "")[:MAX_TEXT]}, current_notice=notice
            )
        return _render_home(request, household, token, notice=notice, objection_form=form)
    # No objection form without an open notice: say why here, and move what was typed to
    # the opinion form, so it is not lost and can still be sent.
    for error in [*form.non_field_errors(), *form["notice"].errors] or [
        _("Objections are not taken now: no plan is open for objections.")
    ]:
        messages.error(request, error)
    messages.info(request, _("Your text is in the opinion form below: you can send it there."))
    opinion = OpinionForm(initial={"text": request.POST.get("text", "")[:MAX_TEXT]})
    return _render_home(request, household, token, notice=notice, opinion_form=opinion)
