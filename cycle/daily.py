"""Each day's flags: what is past its time, told to whoever must act, one digest per person.

The daily job (``cycle.jobs.daily``, once per day through its ``JobRun``) calls ``flags(day)``,
which counts and tells:

* **Public notices** whose period is over (``PublicNotice.period_ended(day)``: the day after
  their last day) while their project still waits for approval (consulting residents). Only
  the project's current notice counts (its latest one posted by ``day``). Those with
  objections still unanswered hold the approval up (rule 1 of DESIGN.md): the project's
  responsible staff are told.
* **Residents' requests overdue** (``ResidentRequest.objects.overdue(day)``, the ledger's own
  notion: due before ``day`` and not yet answered): told to their assignee, or, for a request
  nobody took, to the responsible staff of the neighbourhood's project.
* **Findings not rectified by their deadline** (``Finding.objects.overdue(day)``): told to the
  responsible staff of the inspected project.

Each person with something to follow gets one email listing all of it, in the site's language
(Chinese by default). The emails name no resident: a request is named by its kind, its
neighbourhood and its dates, never by its household or its text. The whole runs a fixed number
of queries, whatever the number of records.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core import mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects.models import Project
from surveys.models import PublicNotice, ResidentRequest
from surveys.notices import with_objection_counts

from .dispatch import _admin_url, greeting, reachable_users
from .models import Finding

__all__ = ["flags"]


def _date(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _excerpt(text: str, length: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _ended_notices(day: datetime.date) -> list[PublicNotice]:
    """The current notices of projects still consulting whose period is over, each with its
    ``unanswered_count``. One query."""
    notices = with_objection_counts(
        PublicNotice.objects.filter(
            project__status=Project.Status.CONSULTING, posted_on__lte=day
        ).select_related("project")
    ).order_by("project_id", "-posted_on", "-pk")
    current = {}
    for notice in notices:
        current.setdefault(notice.project_id, notice)  # the latest posted by ``day``
    return [notice for notice in current.values() if notice.period_ended(day)]


def _responsible_by_neighbourhood(requests) -> dict[int, int]:
    """For the neighbourhoods of ``requests`` (a queryset), the responsible staff of their
    project: the latest batch still under way or in preparation, else the latest. One query."""
    rows = (
        Project.objects.filter(
            neighbourhood__in=requests.values("neighbourhood"), responsible__isnull=False
        )
        .order_by("neighbourhood_id", "-batch_year", "-pk")
        .values_list("neighbourhood_id", "responsible_id", "status")
    )
    chosen: dict[int, tuple[bool, int]] = {}
    for neighbourhood_id, responsible_id, status in rows:
        unfinished = status not in Project.FINISHED_STATUSES
        if neighbourhood_id not in chosen or (unfinished and not chosen[neighbourhood_id][0]):
            chosen[neighbourhood_id] = (unfinished, responsible_id)
    return {neighbourhood_id: pk for neighbourhood_id, (_unfinished, pk) in chosen.items()}


def _notice_line(notice: PublicNotice) -> str:
    text = ngettext(
        "%(project)s: the notice posted on %(posted)s ended on %(last)s; %(count)d objection "
        "still awaits a written answer, and the approval waits on it.",
        "%(project)s: the notice posted on %(posted)s ended on %(last)s; %(count)d objections "
        "still await a written answer, and the approval waits on them.",
        notice.unanswered_count,
    ) % {
        "project": notice.project.name,
        "posted": _date(notice.posted_on),
        "last": _date(notice.last_day),
        "count": notice.unanswered_count,
    }
    url = _admin_url("surveys_publicnotice_change", notice.pk)
    return f"- {text}" + (f" {url}" if url else "")


def _request_line(resident_request: ResidentRequest, day: datetime.date) -> str:
    days = (day - resident_request.due_on).days
    text = ngettext(
        "%(category)s in %(neighbourhood)s, received %(received)s, due %(due)s "
        "(%(days)d day overdue)",
        "%(category)s in %(neighbourhood)s, received %(received)s, due %(due)s "
        "(%(days)d days overdue)",
        days,
    ) % {
        "category": resident_request.get_category_display(),
        "neighbourhood": resident_request.neighbourhood.name,
        "received": _date(timezone.localdate(resident_request.received_at)),
        "due": _date(resident_request.due_on),
        "days": days,
    }
    url = _admin_url("surveys_residentrequest_change", resident_request.pk)
    return f"- {text}" + (f" {url}" if url else "")


def _finding_line(finding: Finding, day: datetime.date) -> str:
    days = (day - finding.deadline).days
    text = ngettext(
        "%(project)s: %(severity)s %(category)s finding “%(finding)s”, to be rectified by "
        "%(deadline)s (%(days)d day overdue)",
        "%(project)s: %(severity)s %(category)s finding “%(finding)s”, to be rectified by "
        "%(deadline)s (%(days)d days overdue)",
        days,
    ) % {
        "project": finding.inspection.project.name,
        "severity": finding.get_severity_display(),
        "category": finding.get_category_display(),
        "finding": _excerpt(finding.description),
        "deadline": _date(finding.deadline),
        "days": days,
    }
    url = _admin_url("cycle_finding_change", finding.pk)
    return f"- {text}" + (f" {url}" if url else "")


#: The sections of a digest, in the order they are listed.
SECTIONS = ("notices", "requests", "findings")


def _digest(user, day: datetime.date, sections: dict[str, list[str]]) -> mail.EmailMessage:
    count = sum(len(lines) for lines in sections.values())
    subject = ngettext(
        "Reminders of %(day)s: %(count)d item to follow up",
        "Reminders of %(day)s: %(count)d items to follow up",
        count,
    ) % {"day": _date(day), "count": count}
    headings = {
        "notices": _("Public notices whose objections await an answer"),
        "requests": _("Residents' requests overdue"),
        "findings": _("Inspection findings overdue for rectification"),
    }
    body = [greeting(user), "", _("These need your attention today:")]
    for key in SECTIONS:
        if sections.get(key):
            body += ["", f"{headings[key]}（{len(sections[key])}）", *sections[key]]
    return mail.EmailMessage(subject=subject, body="\n".join(body), to=[user.email])


def flags(day: datetime.date) -> dict:
    """Count what is past its time on ``day`` and send each person concerned one digest.

    Returns ``{"notices_ended", "notices_awaiting_answers", "requests_overdue",
    "findings_overdue", "emails", "without_recipient"}``: the counts, the digests sent, and
    the items nobody could be told of (no one responsible with an email address). Runs once a
    day through ``cycle.jobs.daily``; called directly it sends again.
    """
    ended = _ended_notices(day)
    awaiting = [notice for notice in ended if notice.unanswered_count]

    overdue_requests = ResidentRequest.objects.overdue(day)
    responsible_of = _responsible_by_neighbourhood(overdue_requests)
    requests = list(
        overdue_requests.select_related("neighbourhood")
        .defer("text", "answer")
        .order_by("due_on", "pk")
    )

    findings = list(
        Finding.objects.overdue(day)
        .select_related("inspection__project")
        .order_by("deadline", "pk")
    )

    # (recipient id or None, section, the record, how it is written)
    items = [(n.project.responsible_id, "notices", n, _notice_line) for n in awaiting]
    items += [
        (r.assignee_id or responsible_of.get(r.neighbourhood_id), "requests", r, _request_line)
        for r in requests
    ]
    items += [(f.inspection.project.responsible_id, "findings", f, _finding_line) for f in findings]
    users = reachable_users({recipient for recipient, *_rest in items} - {None})

    by_user: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    without_recipient = 0
    with translation.override(settings.LANGUAGE_CODE):
        for recipient, section, record, write in items:
            if recipient not in users:
                without_recipient += 1
                continue
            line = write(record) if section == "notices" else write(record, day)
            by_user[recipient][section].append(line)
        messages = [_digest(users[pk], day, sections) for pk, sections in sorted(by_user.items())]
    if messages:
        mail.get_connection().send_messages(messages)
    return {
        "notices_ended": len(ended),
        "notices_awaiting_answers": len(awaiting),
        "requests_overdue": len(requests),
        "findings_overdue": len(findings),
        "emails": len(messages),
        "without_recipient": without_recipient,
    }
