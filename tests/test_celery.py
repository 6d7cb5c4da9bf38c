"""The one Celery app: in-process without a broker, a real worker on Redis when there is one."""

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app, ping


def test_the_app_reads_django_settings(settings):
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert "anju.ping" in app.tasks


def test_tasks_run_in_process_without_a_broker():
    # tests/settings.py keeps tasks eager, as the embedded default does without REDIS_URL.
    assert app.conf.task_always_eager
    assert ping.delay().get(timeout=1) == "pong"


@pytest.fixture
def redis_worker():
    """A real worker thread consuming from the Redis broker of ``REDIS_URL``."""
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield
    finally:
        app.conf.task_always_eager = True


@pytest.mark.redis
def test_a_task_round_trips_through_redis_and_a_worker(redis_worker):
    assert app.conf.broker_url.startswith("redis://")
    result = ping.delay()
    assert result.get(timeout=20) == "pong"
