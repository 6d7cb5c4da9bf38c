"""Each monthly job, run once per period.

``run_once(job, period, work)`` is the whole idempotency of the cycle: it claims the
(job, period) row of ``JobRun`` (unique), locks it, and runs ``work`` in the same transaction
unless the row is already done. A second run waits for the first and then finds it done; a
run late after beat was down finds what was done and does the rest; a run whose worker died
left nothing behind (its transaction was rolled back with its connection) and completes when
run again. ``force=True`` produces a period's results again, replacing them (a bulletin
after a correction).

The jobs below are what the Celery tasks (``cycle.tasks``), the admin and the management
commands call.
"""

import datetime
import logging
import traceback
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import JobRun
from .periods import Month, Quarter, months_between

logger = logging.getLogger(__name__)

Job = JobRun.Job


def _claim(job: str, period: str) -> JobRun:
    try:
        with transaction.atomic():
            return JobRun.objects.get_or_create(job=job, period=period)[0]
    except IntegrityError:  # created by a concurrent run between the get and the create
        return JobRun.objects.get(job=job, period=period)


def run_once(job: str, period: str, work: Callable[[], dict], *, force: bool = False) -> JobRun:
    """Run ``work()`` as the job ``job`` of ``period`` unless it is done; returns the run.

    ``work`` returns a summary (a JSON-able dict) kept on the run. If it raises, nothing it
    wrote is kept, the run is marked failed with the error, and the exception propagates (the
    task retries; the daily catch-up runs it again).
    """
    run = _claim(job, period)
    if run.state == JobRun.State.DONE and not force:
        return run
    started = timezone.now()
    try:
        with transaction.atomic():
            run = JobRun.objects.select_for_update().get(pk=run.pk)
            if run.state == JobRun.State.DONE and not force:
                return run
            summary = work()
            run.state = JobRun.State.DONE
            run.attempts += 1
            run.started_at = started
            run.finished_at = timezone.now()
            run.summary = summary or {}
            run.error = ""
            run.save()
    except Exception:
        JobRun.objects.filter(pk=run.pk).exclude(state=JobRun.State.DONE).update(
            state=JobRun.State.FAILED,
            attempts=F("attempts") + 1,
            started_at=started,
            finished_at=timezone.now(),
            error=traceback.format_exc(limit=5)[-4000:],
        )
        logger.exception("Job %s %s failed", job, period)
        raise
    logger.info("Job %s %s done: %s", job, period, run.summary)
    return run


# --- The jobs ---------------------------------------------------------------------------------


def open_month(month: Month, *, force: bool = False) -> JobRun:
    """1st of the month: open the month's dispatch sheet of every active project."""
    from . import dispatch

    return run_once(Job.OPEN_MONTH, month.key, lambda: dispatch.open_dispatches(month), force=force)


def remind(month: Month, *, force: bool = False) -> JobRun:
    """25th of the month: remind the staff of projects that have not reported."""
    from . import dispatch

    return run_once(Job.REMIND, month.key, lambda: dispatch.remind_unreported(month), force=force)


def close_month(month: Month, *, force: bool = False) -> JobRun:
    """After the month: freeze its figures, produce its inspection report, ranking and
    bulletin (in that order: the bulletin shows the ranking and the findings)."""
    from . import bulletin, inspections, ranking, snapshots

    def work():
        return {
            "snapshots": snapshots.freeze_month(month),
            "inspection_report": inspections.produce_report(month),
            "ranking": ranking.rank_month(month),
            "bulletin": bulletin.produce_bulletin(month),
        }

    return run_once(Job.CLOSE_MONTH, month.key, work, force=force)


def prepare_quarter(quarter: Quarter, *, force: bool = False) -> JobRun:
    """After the quarter: the leading group's meeting pack. A quarter not yet over is refused
    (its run would count as done and the run after the quarter would skip it); staff can
    prepare a pack early from the admin, which does not touch the job's run."""
    from . import meetings

    if quarter.last >= timezone.localdate():
        raise ValueError(f"{quarter.key} is not over yet: its meeting pack is prepared after it.")

    return run_once(Job.QUARTER, quarter.key, lambda: meetings.prepare_pack(quarter), force=force)


def daily(day: datetime.date, *, force: bool = False) -> JobRun:
    """Each day: flag notice periods that ended, overdue requests and rectifications; and
    open the month's dispatch of projects that became active since the 1st."""
    from . import daily as daily_flags
    from . import dispatch

    def work():
        return {
            "flags": daily_flags.flags(day),
            "dispatch": dispatch.open_dispatches(Month.of(day)),
        }

    return run_once(Job.DAILY, day.isoformat(), work, force=force)


def catch_up(today: datetime.date | None = None) -> list[JobRun]:
    """Run every monthly job that should have run by ``today`` and did not (beat was down
    over a month boundary, a worker died): from the first month the cycle ran, the current
    month's dispatch, each past month's close, each past quarter's pack, and this month's
    reminder once the 25th has passed. Jobs already done are not run again."""
    today = today or timezone.localdate()
    current = Month.current(today)
    first_key = (
        JobRun.objects.filter(job=Job.OPEN_MONTH)
        .order_by("period")
        .values_list("period", flat=True)
    ).first()
    start = min(Month.parse(first_key), current) if first_key else current
    done = set(JobRun.objects.filter(state=JobRun.State.DONE).values_list("job", "period"))
    runs = []
    for month in months_between(start, current):
        if (Job.OPEN_MONTH, month.key) not in done:
            runs.append(open_month(month))
        if month < current and (Job.CLOSE_MONTH, month.key) not in done:
            runs.append(close_month(month))
    if today.day >= 25 and (Job.REMIND, current.key) not in done:
        runs.append(remind(current))
    quarter = start.quarter
    while quarter < current.quarter:
        if (Job.QUARTER, quarter.key) not in done:
            runs.append(prepare_quarter(quarter))
        quarter = quarter.next()
    return runs
