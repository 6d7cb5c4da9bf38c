"""The monthly cycle on a real Celery worker, Redis and PostgreSQL (rule 4 of DESIGN.md).

The same month's close sent twice, and twice at the same time, leaves one set of results; a
worker killed in the middle of a month's close leaves nothing half-written, and the job
completes once when it is sent again. These tests need the real services: they run in CI,
where REDIS_URL and a PostgreSQL DATABASE_URL are set.
"""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app
from cycle import tasks
from cycle.models import Bulletin, CountySnapshot, JobRun, ProjectSnapshot, Ranking
from projects.models import Project, ProjectTransition

from .test_project_lifecycle import project_at

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

MONTH = "2026-10"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def projects(db):
    from .conftest import make_user

    office = make_user(username="office-worker-test")
    made = [
        project_at(Project.Status.UNDER_CONSTRUCTION, by=office),
        project_at(Project.Status.TENDERING, by=office),
    ]
    # Their steps were taken before the month that is closed.
    ProjectTransition.objects.update(at=timezone.make_aware(datetime.datetime(2026, 9, 15, 10)))
    return made


@pytest.fixture
def worker():
    """A worker thread of the project's Celery app, consuming from Redis."""
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="threads", concurrency=2):
            yield
    finally:
        app.conf.task_always_eager = True


def one_set_of_results():
    assert JobRun.objects.filter(job="close_month", period=MONTH, state="done").count() == 1
    assert CountySnapshot.objects.filter(month="2026-10-01").count() == 1
    assert Bulletin.objects.filter(month="2026-10-01").count() == 1
    per_project = ProjectSnapshot.objects.filter(month="2026-10-01")
    assert per_project.count() == per_project.values("project").distinct().count() >= 2
    rankings = Ranking.objects.filter(month="2026-10-01")
    assert rankings.count() == rankings.values("project").distinct().count() >= 2


def test_a_month_closed_twice_on_a_worker_leaves_one_result(projects, worker):
    first = tasks.close_month.delay(MONTH).get(timeout=60)
    second = tasks.close_month.delay(MONTH).get(timeout=60)

    assert first["state"] == second["state"] == "done"
    assert JobRun.objects.get(job="close_month", period=MONTH).attempts == 1
    one_set_of_results()


def test_a_month_closed_twice_at_once_leaves_one_result(projects, worker):
    results = [tasks.close_month.delay(MONTH), tasks.close_month.delay(MONTH)]

    assert [r.get(timeout=60)["state"] for r in results] == ["done", "done"]
    assert JobRun.objects.get(job="close_month", period=MONTH).attempts == 1
    one_set_of_results()


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_killed_in_the_middle_of_a_month_close_leaves_a_job_that_completes(
    projects, tmp_path
):
    """A worker process is killed while its month close is under way (held up, after writing
    the snapshots, by a lock this test holds on the bulletins): nothing it wrote is kept, and
    the same task sent again completes the month once."""
    queue = f"anju-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_MEDIA_ROOT": str(tmp_path),
    }
    log = (tmp_path / "worker.log").open("w")
    blocker = psycopg.connect(_database_url().replace("postgres://", "postgresql://"))
    worker = None
    try:
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE cycle_bulletin IN ACCESS EXCLUSIVE MODE")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
             "--without-heartbeat", "--without-gossip", "--without-mingle",
             "-Q", queue, "--loglevel=WARNING"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        app.conf.task_always_eager = False
        try:
            tasks.close_month.apply_async(args=[MONTH], queue=queue)
        finally:
            app.conf.task_always_eager = True

        def close_is_waiting_on_the_lock():
            # From Django's own connection (autocommit): inside the blocker's transaction,
            # pg_stat_activity would be read once and never change.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query ILIKE '%%cycle_bulletin%%'"
                )
                return cursor.fetchone()[0] > 0

        reached = _wait_for(close_is_waiting_on_the_lock)
        assert reached, (tmp_path / "worker.log").read_text()[-3000:]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
        if worker is not None and worker.poll() is None:
            worker.kill()

    # The dead worker's transaction is rolled back by PostgreSQL: nothing is half-written.
    def rolled_back():
        return not ProjectSnapshot.objects.filter(month="2026-10-01").exists()

    assert _wait_for(rolled_back, timeout=30)
    assert not JobRun.objects.filter(job="close_month", period=MONTH, state="done").exists()

    # Sent again (by the daily catch-up, or redelivered: tasks are acknowledged late), it
    # completes, once.
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo"):
            assert tasks.close_month.delay(MONTH).get(timeout=60)["state"] == "done"
    finally:
        app.conf.task_always_eager = True
    one_set_of_results()


def test_the_tasks_are_acknowledged_late_and_rejected_when_their_worker_is_lost():
    for task in (tasks.open_month, tasks.remind, tasks.close_month, tasks.prepare_quarter):
        assert task.acks_late and task.reject_on_worker_lost
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > settings.CELERY_TASK_TIME_LIMIT


def test_concurrent_sends_through_threads_leave_one_result(projects, worker):
    outcomes = []

    def send():
        outcomes.append(tasks.close_month.delay(MONTH).get(timeout=60)["state"])

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert outcomes == ["done"] * 3
    one_set_of_results()
