"""一月一调度: the monthly dispatch of every active project.

On the 1st of each month ``open_dispatches`` opens a sheet (``Dispatch``) for every project
under way, with a line per task item prefilled with what the item records as done. The
project's responsible staff report it with ``submit_dispatch``: the quantity done to date of
each item, the funds spent in the month, the problems met and next month's plan. The report
moves the task items' completed quantities (through their own save, so their status follows
and the change history keeps who reported), and the project's % complete is taken from the
same rollup the project page shows. A dispatch may be reported, and reported again, until its
month is closed (the ``close_month`` job is done); then it is on record as it stands. On the
25th ``remind_unreported`` emails whoever has not reported.

The rules of a report (``report_refusals``):

* a quantity is never negative and never more than the item's planned quantity;
* a report may lower a completed quantity (below what the task item records now) only when
  its problems say why: a correction of an earlier report must be explained, and the change
  history keeps both;
* only the dispatch of a project still under way, of a month that has begun and is not
  closed, is reported.

Every door (the admin, the shell, the Celery tasks) calls these functions. A refused report
raises ``DispatchRefused``, whose ``reasons`` say why in words for people; nothing is written.
Opening and reminding run a fixed number of queries whatever the number of projects (the
inserts are batched).
"""

import datetime
from collections import defaultdict
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.utils import bulk_update_with_history

from projects.models import Project, TaskItem
from projects.services import Refused, say
from residents.auth import PERMISSIONS_BACKEND

from .models import Dispatch, DispatchLine, JobRun
from .periods import Month

__all__ = [
    "DispatchRefused",
    "month_closed",
    "open_dispatches",
    "remind_unreported",
    "report_refusals",
    "state_refusals",
    "submit_dispatch",
    "unreported",
]

#: Rows per INSERT when opening a month: None, all of them in one statement where the database
#: allows it (PostgreSQL: the queries do not grow with the projects; SQLite cuts batches to
#: its limit on parameters).
BATCH_SIZE = None

#: The permission that lets community staff report a dispatch.
REPORT_PERMISSION = "cycle.change_dispatch"


class DispatchRefused(Refused):
    """A dispatch could not be reported; ``reasons`` says why."""


def as_month(month: "Month | datetime.date") -> Month:
    """A ``Month`` from a month or any day in it."""
    return month if isinstance(month, Month) else Month.of(month)


def month_closed(month: "Month | datetime.date") -> bool:
    """Whether the month was closed (its ``close_month`` job is done): its dispatches are then
    on record as they stand. One query."""
    return JobRun.objects.filter(
        job=JobRun.Job.CLOSE_MONTH, period=as_month(month).key, state=JobRun.State.DONE
    ).exists()


def _quantity(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _item_name(item: TaskItem):
    return item.description or item.kind


# --- Opening the month -----------------------------------------------------------------------


def open_dispatches(month: "Month | datetime.date") -> dict:
    """Open the month's dispatch of every active project that has none yet, with one line per
    task item (completed before the month = completed to date = what the item records now).

    Runs a fixed number of queries whatever the number of projects on PostgreSQL (each table's
    rows in one INSERT, ``BATCH_SIZE``); running it again opens nothing new. Returns ``{"opened": n,
    "existing": m}``: the dispatches opened now, and the active projects that already had one.
    """
    first = as_month(month).first
    with transaction.atomic():
        active = list(Project.objects.active().order_by("pk").values_list("pk", flat=True))
        existing = set(Dispatch.objects.filter(month=first).values_list("project_id", flat=True))
        to_open = [Dispatch(project_id=pk, month=first) for pk in active if pk not in existing]
        summary = {"opened": 0, "existing": len(existing.intersection(active))}
        if not to_open:
            return summary
        # A concurrent run may open some of them first: the unique (project, month) keeps one.
        Dispatch.objects.bulk_create(to_open, batch_size=BATCH_SIZE, ignore_conflicts=True)
        wanted = {dispatch.project_id for dispatch in to_open}
        opened = [d for d in Dispatch.objects.filter(month=first) if d.project_id in wanted]
        Dispatch.history.bulk_history_create(
            opened, batch_size=BATCH_SIZE, default_change_reason="open_month"
        )
        dispatch_of = {dispatch.project_id: dispatch.pk for dispatch in opened}
        items = (
            TaskItem.objects.filter(project__status__in=Project.ACTIVE_STATUSES)
            .order_by("project_id", "pk")
            .values_list("pk", "project_id", "completed_quantity")
        )
        DispatchLine.objects.bulk_create(
            [
                DispatchLine(
                    dispatch_id=dispatch_of[project_id],
                    task_item_id=item_id,
                    completed_before=completed,
                    completed_to_date=completed,
                )
                for item_id, project_id, completed in items
                if project_id in dispatch_of
            ],
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )
        summary["opened"] = len(opened)
    return summary


# --- Reporting -------------------------------------------------------------------------------


def state_refusals(
    dispatch: Dispatch, *, today: datetime.date | None = None, closed: bool | None = None
) -> list:
    """Why ``dispatch`` cannot be reported at all now (empty: it can): its month is closed or
    has not begun, or its project is no longer under way. ``closed`` saves the query when the
    caller knows whether the month is closed."""
    today = today or timezone.localdate()
    month = Month(dispatch.month)
    if closed is None:
        closed = month_closed(month)
    if closed:
        return [
            say(
                gettext_lazy(
                    "The month %(month)s is closed: its dispatch is on record as it stands."
                ),
                month=month,
            )
        ]
    if dispatch.month > today:
        return [say(gettext_lazy("The month %(month)s has not begun."), month=month)]
    project = dispatch.project
    if project.status not in Project.ACTIVE_STATUSES:
        return [
            say(
                gettext_lazy(
                    "“%(project)s” is “%(status)s”: only the dispatch of a project under way "
                    "is reported."
                ),
                project=project.name,
                status=Project.Status(project.status).label,
            )
        ]
    return []


def funds_refusals(funds_spent: Decimal | None) -> list:
    if funds_spent is not None and funds_spent < 0:
        return [gettext_lazy("The funds spent cannot be negative.")]
    return []


def report_refusals(
    dispatch: Dispatch,
    *,
    items: Mapping[int, TaskItem],
    lines: Mapping[int, Decimal],
    problems: str = "",
    funds_spent: Decimal | None = None,
    today: datetime.date | None = None,
    closed: bool | None = None,
) -> list:
    """Why the report of ``dispatch`` would be refused (empty: it would be taken).

    ``items`` are the project's task items by id (with their kinds), ``lines`` the quantities
    completed to date reported, by task item id. See the module's rules.
    """
    reasons = state_refusals(dispatch, today=today, closed=closed)
    if reasons:
        return reasons
    reasons += funds_refusals(funds_spent)
    explained = bool((problems or "").strip())
    for item_id, completed in lines.items():
        item = items.get(item_id)
        if item is None:
            reasons.append(gettext_lazy("A line names a task item that is not of this project."))
        elif completed is None:
            reasons.append(
                say(
                    gettext_lazy("Say how much of “%(item)s” is completed to date."),
                    item=_item_name(item),
                )
            )
        elif completed < 0:
            reasons.append(
                say(
                    gettext_lazy("“%(item)s”: a completed quantity cannot be negative."),
                    item=_item_name(item),
                )
            )
        elif completed > item.planned_quantity:
            reasons.append(
                say(
                    gettext_lazy(
                        "“%(item)s”: %(completed)s completed is more than the %(planned)s planned."
                    ),
                    item=_item_name(item),
                    completed=_quantity(completed),
                    planned=_quantity(item.planned_quantity),
                )
            )
        elif completed < item.completed_quantity and not explained:
            reasons.append(
                say(
                    gettext_lazy(
                        "“%(item)s” would go down from %(current)s to %(completed)s completed: "
                        "say why under “problems”."
                    ),
                    item=_item_name(item),
                    current=_quantity(item.completed_quantity),
                    completed=_quantity(completed),
                )
            )
    return reasons


#: "Keep what the dispatch has": the default of the report's texts and figures.
KEEP = object()


def submit_dispatch(
    dispatch: Dispatch,
    *,
    by,
    lines: Mapping[int, Decimal] | None = None,
    funds_spent=KEEP,
    problems=KEEP,
    next_month_plan=KEEP,
    now: datetime.datetime | None = None,
) -> Dispatch:
    """Report ``dispatch`` (or report it again, until its month is closed).

    ``lines`` maps task item ids to the quantity completed to date; an item not given is
    reported as its task item stands now. ``funds_spent`` (yuan spent this month, or None),
    ``problems`` and ``next_month_plan`` keep what the dispatch has unless given.

    In one transaction, with the dispatch, its project and its task items locked: checks the
    report (``report_refusals``; ``DispatchRefused`` and nothing written when refused), adds
    lines for task items added since the month was opened, moves each task item whose
    quantity changed through its own save (its status follows; the history names ``by``),
    records the lines, the project's % complete (the mean completion of its items), and who
    reported when. The first report's time and author are kept (reporting on time is scored
    by the ranking); every later one is in the change history.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Dispatch.objects.select_for_update().select_related("project").get(pk=dispatch.pk)
        items = {
            item.pk: item
            for item in TaskItem.objects.filter(project=locked.project_id)
            .select_related("kind")
            .select_for_update(of=("self",))
        }
        given = {int(item_id): value for item_id, value in (lines or {}).items()}
        new_funds = locked.funds_spent if funds_spent is KEEP else funds_spent
        new_problems = locked.problems if problems is KEEP else (problems or "").strip()
        new_plan = locked.next_month_plan if next_month_plan is KEEP else (next_month_plan or "")
        reasons = report_refusals(
            locked,
            items=items,
            lines=given,
            problems=new_problems,
            funds_spent=new_funds,
            today=timezone.localdate(now),
        )
        if reasons:
            raise DispatchRefused(reasons)

        reason = f"dispatch {Month(locked.month).key}"
        stored = {line.task_item_id: line for line in locked.lines.all()}
        missing = [
            DispatchLine(
                dispatch=locked,
                task_item_id=item.pk,
                completed_before=item.completed_quantity,
                completed_to_date=item.completed_quantity,
            )
            for item in items.values()
            if item.pk not in stored
        ]
        for line in missing:  # items added to the project since the month was opened
            line._history_user = by
            line.save()
            stored[line.task_item_id] = line

        changed_lines = []
        for item_id, line in stored.items():
            item = items.get(item_id)
            if item is None:
                continue
            completed = given.get(item_id, item.completed_quantity)
            if completed != item.completed_quantity:
                item.completed_quantity = completed
                item._history_user = by
                item._change_reason = reason
                item.save(update_fields=["completed_quantity"])
            if line.completed_to_date != completed:
                line.completed_to_date = completed
                changed_lines.append(line)
        if changed_lines:
            bulk_update_with_history(
                changed_lines,
                DispatchLine,
                ["completed_to_date"],
                default_user=by,
                default_change_reason=reason,
            )

        completion = TaskItem.objects.in_project(locked.project_id).completion()
        locked.percent_complete = (
            None
            if completion is None
            else (completion * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        )
        locked.funds_spent = new_funds
        locked.problems = new_problems
        locked.next_month_plan = new_plan
        if locked.submitted_at is None:
            locked.submitted_at = now
            locked.submitted_by = by
        locked._history_user = by
        locked._change_reason = reason
        locked.save(
            update_fields=[
                "percent_complete",
                "funds_spent",
                "problems",
                "next_month_plan",
                "submitted_at",
                "submitted_by",
            ]
        )
    if dispatch is not locked:  # the caller's copy now tells what is stored
        for name in (
            "percent_complete",
            "funds_spent",
            "problems",
            "next_month_plan",
            "submitted_at",
            "submitted_by_id",
        ):
            setattr(dispatch, name, getattr(locked, name))
    return locked


# --- Who has not reported -------------------------------------------------------------------


def unreported(month: "Month | datetime.date"):
    """The month's dispatches not reported, of projects still under way (a project accepted
    during the month has nothing left to report)."""
    return Dispatch.objects.filter(
        month=as_month(month).first,
        submitted_at__isnull=True,
        project__status__in=Project.ACTIVE_STATUSES,
    )


def _admin_url(name: str, *args) -> str:
    """The path of an admin page (the emails name pages of the site they come from)."""
    try:
        return reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return ""


def staff_by_community(communities, permission: str) -> dict[int, set[int]]:
    """The active accounts holding ``permission`` (superusers aside) whose staff profile names
    each of ``communities`` (ids): community id → user ids. One query."""
    found = defaultdict(set)
    rows = (
        get_user_model()
        .objects.with_perm(
            permission, is_active=True, include_superusers=False, backend=PERMISSIONS_BACKEND
        )
        .filter(staff_profile__communities__in=list(communities))
        .values_list("staff_profile__communities", "pk")
    )
    for community_id, user_id in rows:
        found[community_id].add(user_id)
    return found


def reachable_users(user_ids) -> dict:
    """The active accounts among ``user_ids`` that have an email address, by id. One query."""
    if not user_ids:
        return {}
    users = get_user_model().objects.filter(pk__in=list(user_ids), is_active=True).exclude(email="")
    return {user.pk: user for user in users}


def _recipients(project: Project, staff: dict[int, set[int]]) -> set[int]:
    """The ids of who is reminded of ``project``: its responsible staff and the staff of its
    community (``staff``, from ``staff_by_community``)."""
    recipients = set(staff.get(project.neighbourhood.community_id, ()))
    if project.responsible_id is not None:
        recipients.add(project.responsible_id)
    return recipients


def greeting(user) -> str:
    return _("Hello %(name)s,") % {"name": user.get_full_name() or user.get_username()}


def _reminder(user, month: Month, dispatches: list[Dispatch]) -> mail.EmailMessage:
    subject = ngettext(
        "Monthly dispatch of %(month)s: %(count)d project not yet reported",
        "Monthly dispatch of %(month)s: %(count)d projects not yet reported",
        len(dispatches),
    ) % {"month": month, "count": len(dispatches)}
    lines = [
        greeting(user),
        "",
        _("The monthly dispatch of %(month)s has not been reported for:") % {"month": month},
        "",
    ]
    for dispatch in dispatches:
        url = _admin_url("cycle_dispatch_change", dispatch.pk)
        lines.append(
            f"- {dispatch.project.name}（{dispatch.project.neighbourhood.name}）"
            + (f" {url}" if url else "")
        )
    lines += [
        "",
        _(
            "Please report the quantities done, the funds spent this month, the problems met "
            "and next month's plan in the admin (Monthly cycle → Monthly dispatches)."
        ),
    ]
    return mail.EmailMessage(subject=subject, body="\n".join(lines), to=[user.email])


def remind_unreported(month: "Month | datetime.date", now: datetime.datetime | None = None) -> dict:
    """Email the staff of every project that has not reported the month's dispatch: its
    responsible staff and the community staff of its community who may report dispatches;
    one email per person, listing their projects, in the site's language (Chinese by default).
    A dispatch is reminded once (``reminded_at``): calling this again emails nobody twice.
    Names no resident and runs a fixed number of queries.

    Returns ``{"unreported": n, "reminded": r, "emails": k, "without_recipient": u}``: the
    month's unreported dispatches, those reminded now, the emails sent, and the dispatches
    nobody could be emailed about (no responsible staff with an email address).
    """
    month = as_month(month)
    now = now or timezone.now()
    with transaction.atomic():
        total = unreported(month).count()
        pending = list(
            unreported(month)
            .filter(reminded_at__isnull=True)
            .select_related("project__neighbourhood")
            .select_for_update(of=("self",))
            .order_by("project__name", "pk")
        )
        staff = staff_by_community(
            {d.project.neighbourhood.community_id for d in pending}, REPORT_PERMISSION
        )
        recipients_of = {d.pk: _recipients(d.project, staff) for d in pending}
        users = reachable_users(set().union(set(), *recipients_of.values()))
        by_user = defaultdict(list)
        reached = []
        for dispatch in pending:
            recipients = [pk for pk in recipients_of[dispatch.pk] if pk in users]
            for pk in recipients:
                by_user[pk].append(dispatch)
            if recipients:
                reached.append(dispatch.pk)
        with translation.override(settings.LANGUAGE_CODE):
            messages = [
                _reminder(users[pk], month, dispatches)
                for pk, dispatches in sorted(by_user.items())
            ]
        if reached:
            Dispatch.objects.filter(pk__in=reached).update(reminded_at=now)
        if messages:
            mail.get_connection().send_messages(messages)
    return {
        "unreported": total,
        "reminded": len(reached),
        "emails": len(messages),
        "without_recipient": len(pending) - len(reached),
    }
