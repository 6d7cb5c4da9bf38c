"""The household's pages (``/h/<token>/``), phone-first, no login.

A household reaches them by its secret link (see ``surveys.links``): it reads the posted plan
of its neighbourhood, sends an opinion (words, a photo, and while the plan is being made the
kinds of work it needs), objects to the plan while the notice is open, and reads the answers
to what it sent. The pages show the household's address and nothing personal (no name, no
phone).

Every response of these pages:

- is rate-limited: submissions at ``POST_RATE`` per household link (counted on the token's
  hash, so that the households sharing one address, a community centre's Wi-Fi or a mobile
  carrier's, do not take each other's turns), under a generous ceiling of ``IP_POST_RATE`` per
  client IP; requests of any kind at ``PAGE_RATE`` per client IP (each one looks a token up,
  so guessed tokens count there); over a limit, ``rate_limited`` answers 429;
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

#: Requests of any kind to the household pages, per client IP: room for a few dozen
#: households on one shared address, few enough to make guessing tokens pointless.
PAGE_RATE = "120/m"
#: Submissions (opinions, objections, survey answers), per household link.
POST_RATE = "5/m"
#: Submissions from one client IP, whichever links they come by.
IP_POST_RATE = "60/m"

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


def link_key(group, request) -> str:
    """The rate-limit key of the household link a request came by: the token's SHA-256 hash,
    never the token itself (the cache, like the database, holds no working link)."""
    match = request.resolver_match
    token = match.kwargs.get("token") if match is not None else None
    return links.hash_token(token if token is not None else request.path)


def household_page(view):
    """Make ``view(request, household, token)`` a household page reached by ``token``."""

    @ratelimit(group="surveys.household", key="ip", rate=PAGE_RATE)
    @ratelimit(group="surveys.household.ip-posts", key="ip", rate=IP_POST_RATE, method="POST")
    @ratelimit(group="surveys.household.posts", key=link_key, rate=POST_RATE, method="POST")
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


def neighbourhood_projects(neighbourhood):
    """The projects past the draft stage that renovate ``neighbourhood`` (its own or one it
    was merged into), the current one first: the latest batch, then the latest created."""
    return (
        Project.objects.filter(
            Q(neighbourhood=neighbourhood) | Q(merged_neighbourhoods=neighbourhood)
        )
        .exclude(status=Project.Status.DRAFT)
        .order_by("-batch_year", "-pk")
    )


def current_project(neighbourhood) -> Project | None:
    """The neighbourhood's current project (``neighbourhood_projects``), with its notices
    (one query, and one for the notices)."""
    return neighbourhood_projects(neighbourhood).prefetch_related("notices").first()


def project_and_notice(household) -> tuple[Project | None, PublicNotice | None]:
    """The household's current project and the notice it sees: the current notice of that
    project (``surveys.notices.current_notice``)."""
    project = current_project(household.building.neighbourhood)
    return project, notices.current_notice(project) if project is not None else None


def asks_for_needs(project: Project | None) -> bool:
    """Whether the opinion form asks which kinds of work the household needs: only while
    the renovation is being planned (no project yet, or residents being consulted). The
    ticks feed the demand tally beside the plan; once the plan is approved they would
    count for nothing, so the form takes words only (it stays the household's way to send
    opinions, suggestions and complaints, 民情)."""
    return project is None or project.status == Project.Status.CONSULTING


def opinion_form_for(project: Project | None, *args, **kwargs) -> OpinionForm:
    """The opinion form for a household whose current project is ``project``: without its
    needs once the plan is past consultation (``asks_for_needs``)."""
    form = OpinionForm(*args, **kwargs)
    if not asks_for_needs(project):
        del form.fields["needs"]
    return form


def _render_home(
    request,
    household,
    token,
    *,
    project=_UNSET,
    notice=None,
    opinion_form=None,
    objection_form=None,
):
    if project is _UNSET:
        project, notice = project_and_notice(household)
    status = notices.notice_status(notice) if notice is not None else None
    notice_open = status == notices.NoticeStatus.OPEN
    if notice_open and objection_form is None:
        objection_form = ObjectionForm(current_notice=notice)
    if opinion_form is None:
        opinion_form = opinion_form_for(project)
    context = {
        "address": household.address,
        # What other apps add to the page (the acceptance's satisfaction survey, for one).
        "sections": household_sections.render_sections(request, household, token),
        "notice": notice,
        "notice_status": status,
        "notice_open": notice_open,
        "opinion_form": opinion_form,
        "asks_for_needs": "needs" in opinion_form.fields,
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
    """POST an opinion (with needs while the plan is being made, an optional photo); back
    to the page with a message."""
    if request.method != "POST":
        return redirect(links.link_path(token))
    project, notice = project_and_notice(household)
    form = opinion_form_for(project, request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ledger.submit_request(
                household,
                text=data["text"].strip(),
                category=data["category"],
                needs=list(data.get("needs", ())),
                photo=data["photo"],
            )
        except Refused as refusal:
            _add_refusal(form, refusal)
        else:
            messages.success(
                request, _("Thank you: your opinion was received. The answer will appear below.")
            )
            return redirect(links.link_path(token))
    return _render_home(
        request, household, token, project=project, notice=notice, opinion_form=form
    )


@household_page
def submit_objection(request, household, token):
    """POST an objection to the posted plan; taken only while its notice is open."""
    if request.method != "POST":
        return redirect(links.link_path(token))
    project, notice = project_and_notice(household)
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
        return _render_home(
            request, household, token, project=project, notice=notice, objection_form=form
        )
    # No objection form without an open notice: say why here, and move what was typed to
    # the opinion form, so it is not lost and can still be sent.
    for error in [*form.non_field_errors(), *form["notice"].errors] or [
        _("Objections are not taken now: no plan is open for objections.")
    ]:
        messages.error(request, error)
    messages.info(request, _("Your text is in the opinion form below: you can send it there."))
    opinion = opinion_form_for(project, initial={"text": request.POST.get("text", "")[:MAX_TEXT]})
    return _render_home(
        request, household, token, project=project, notice=notice, opinion_form=opinion
    )
