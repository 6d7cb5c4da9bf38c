"""The Celery tasks of the monthly cycle: thin, keyed by period, safe to run twice.

Each task names its period by key ("2026-11", "2026-Q4"); without one it takes the period
that beat means (the current month, the month or quarter just ended, today), on the county's
calendar. The work and its run-once guarantee are in ``cycle.jobs``. Tasks are acknowledged
late and rejected when their worker is lost, so a task whose worker died is delivered again;
the job's transaction was rolled back with the dead worker's connection, so the redelivery
completes it once. Database hiccups are retried with backoff.
"""

import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from imports import tasks as import_tasks
from residents.auth import forget_old_logins

from . import jobs, snapshots
from .periods import Month, Quarter

RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 5,
}


def _month(period: str | None, *, default_previous: bool = False) -> Month:
    if period:
        return Month.parse(period)
    current = Month.current()
    return current.previous() if default_previous else current


def _summary(run) -> dict:
    return {"job": run.job, "period": run.period, "state": run.state, "summary": run.summary}


@shared_task(name="cycle.open_month", **RELIABLE)
def open_month(period: str | None = None) -> dict:
    """Open the dispatch of ``period`` (default: the current month)."""
    return _summary(jobs.open_month(_month(period)))


@shared_task(name="cycle.remind", **RELIABLE)
def remind(period: str | None = None) -> dict:
    """Remind who has not reported for ``period`` (default: the current month)."""
    return _summary(jobs.remind(_month(period)))


@shared_task(name="cycle.close_month", **RELIABLE)
def close_month(period: str | None = None, force: bool = False) -> dict:
    """Close ``period`` (default: the month just ended)."""
    return _summary(jobs.close_month(_month(period, default_previous=True), force=force))


@shared_task(name="cycle.prepare_quarter", **RELIABLE)
def prepare_quarter(period: str | None = None) -> dict:
    """The meeting pack of ``period`` (default: the quarter just ended)."""
    quarter = Quarter.parse(period) if period else Quarter.current().previous()
    return _summary(jobs.prepare_quarter(quarter))


@shared_task(name="cycle.daily", **RELIABLE)
def daily(period: str | None = None) -> dict:
    """The flags of ``period`` (a day, "2026-11-26"; default today), then, for today, catch
    up any monthly job that did not run, send the imports left unsent while the task queue
    was down, and forget the staff logins older than their keeping time."""
    today = timezone.localdate()
    day = datetime.date.fromisoformat(period) if period else today
    summary = {
        **_summary(jobs.daily(day)),
        "caught_up": [],
        "imports_sent": 0,
        "logins_forgotten": 0,
    }
    if day == today:  # what is done once a day, whichever day's flags were asked for
        summary["caught_up"] = [f"{r.job} {r.period}" for r in jobs.catch_up(today)]
        summary["imports_sent"] = import_tasks.send_unsent()
        summary["logins_forgotten"] = forget_old_logins()
    return summary


@shared_task(name="cycle.refresh_figures", ignore_result=True)
def refresh_figures() -> dict:
    """Sum the current month's county figures and keep them for the leader overview
    (``snapshots.recent_county_figures``), so no reader waits for them. Beat runs it every
    five minutes; a run missed costs nothing but one reader summing them."""
    figures, at = snapshots.recent_county_figures(refresh=True)
    return {"at": at.isoformat(), "projects": figures["projects"]}
