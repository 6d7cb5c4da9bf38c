"""Redis down: what residents and staff send is saved, what was to be queued is sent later.

Redis is made unreachable for real: the cache, the broker and the health check are pointed at
a port where nothing listens (``UNREACHABLE``), through the production code, without mocks.
"""

import logging

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse
from redis.exceptions import RedisError

from acceptance.models import SatisfactionAnswer
from config import cache as resilient
from config.celery import app
from cycle import tasks as cycle_tasks
from cycle.models import JobRun
from imports.models import ImportJob
from residents.models import Household
from surveys.models import ResidentRequest

from .conftest import UNREACHABLE
from .test_acceptance_resident import answer, completed, office, survey  # noqa: F401
from .test_imports import household, upload, xlsx
from .test_imports import office as importer  # noqa: F401
from .test_resident_pages import home  # noqa: F401

UNREACHABLE_CACHE = {
    "default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": UNREACHABLE}
}


@pytest.fixture
def cache_down(settings, monkeypatch):
    """The production cache, pointed at Redis that is down; its warning not yet given."""
    settings.CACHES = UNREACHABLE_CACHE
    monkeypatch.setattr(resilient, "_last_warning", float("-inf"))


@pytest.fixture
def queue_down():
    """Tasks sent to a Redis broker that is down (instead of being run in-process)."""
    _point_broker(UNREACHABLE, eager=False)
    yield
    _point_broker(settings.CELERY_BROKER_URL, eager=True)


def _point_broker(url, *, eager):
    app.conf.task_always_eager = eager
    app.conf.broker_url = url
    app._pool = None  # so that the next send connects to ``url``
    app.amqp._producer_pool = None


def test_nothing_listens_where_redis_is_said_to_be_down():
    with pytest.raises(RedisError):
        RedisCache(UNREACHABLE, {}).get("anything")


# --- The residents' pages: rate limits fail open ---------------------------------------------


def test_a_residents_answer_is_saved_when_redis_is_down(client, survey, cache_down, caplog):  # noqa: F811
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        response = answer(client, survey, comment="电梯很好")

    assert response.status_code == 302
    assert SatisfactionAnswer.objects.get().comment == "电梯很好"
    # Each request asks the cache several times (three rate limits): one warning, not one
    # per call.
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_a_residents_opinion_is_saved_when_redis_is_down(client, home, cache_down):  # noqa: F811
    response = client.post(home.opinion_url, {"category": "suggestion", "text": "希望修路灯"})

    assert response.status_code == 302
    assert ResidentRequest.objects.get().text == "希望修路灯"


def test_the_cache_down_reads_as_misses(cache_down):
    cache.set("k", 1)
    assert cache.get("k", "missing") == "missing"
    assert cache.add("k", 1) is False and cache.incr("k") is None
    assert cache.get_many(["k"]) == {}


# --- The health check ------------------------------------------------------------------------


def test_healthz_names_the_broker_and_the_cache_when_redis_is_down(
    db, client, settings, cache_down
):
    settings.REDIS_URL = UNREACHABLE
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "down", "cache": "down"}


@pytest.mark.redis
def test_healthz_sees_the_real_cache(db, client):
    assert client.get(reverse("healthz")).json()["checks"]["cache"] == "ok"


# --- Imports: kept unsent, sent later ---------------------------------------------------------


@pytest.fixture
def large_files(settings):
    settings.ANJU_IMPORT_INLINE_BYTES = 0  # every file goes to Celery


def test_an_import_uploaded_with_the_queue_down_is_kept_and_sent_by_the_daily_catch_up(
    importer,  # noqa: F811
    registers,
    large_files,
    queue_down,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        job = upload(importer, xlsx([household("901"), household("902")]))
    job.refresh_from_db()

    assert (job.state, job.phase) == (ImportJob.State.CHECKING, ImportJob.UNSENT)
    page = importer.get(reverse("admin:imports_importjob_change", args=[job.pk]))
    assert "任务队列暂时无法连接：文件已保存" in page.content.decode()
    assert ImportJob.objects.get(pk=job.pk).phase == ImportJob.UNSENT  # still down

    _point_broker(settings.CELERY_BROKER_URL, eager=True)  # Redis is back
    assert cycle_tasks.daily()["imports_sent"] == 1

    job.refresh_from_db()
    assert (job.state, job.phase, job.message) == (ImportJob.State.CHECKED, "", "")
    assert job.counts["new"] == 2
    assert cycle_tasks.daily()["imports_sent"] == 0  # sent once


def test_an_import_confirmed_with_the_queue_down_is_sent_when_its_page_is_opened(
    importer,  # noqa: F811
    registers,
    large_files,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        job = upload(importer, xlsx([household("903")]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED

    _point_broker(UNREACHABLE, eager=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = importer.post(reverse("admin:imports_importjob_import", args=[job.pk]))
        assert response.status_code == 302
        job.refresh_from_db()
        assert (job.state, job.phase) == (ImportJob.State.IMPORTING, ImportJob.UNSENT)
        assert not Household.objects.filter(room="903").exists()
    finally:
        _point_broker(settings.CELERY_BROKER_URL, eager=True)

    importer.get(reverse("admin:imports_importjob_change", args=[job.pk]))  # the queue is back

    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert Household.objects.filter(room="903").count() == 1


# --- Jobs run again from the admin ------------------------------------------------------------


def test_running_a_job_again_with_the_queue_down_says_it_was_not_sent(
    client, office_user, queue_down
):
    failed = JobRun.objects.create(
        job=JobRun.Job.CLOSE_MONTH, period="2026-10", state=JobRun.State.FAILED, attempts=1
    )
    client.force_login(office_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(
        reverse("admin:cycle_jobrun_changelist"),
        {"action": "run_again", "_selected_action": [failed.pk]},
        follow=True,
    )

    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("The task queue is unreachable: not sent" in m and "2026-10" in m for m in shown)
    assert not any("will run again" in m for m in shown)
    failed.refresh_from_db()
    assert failed.state == JobRun.State.FAILED  # left for the daily catch-up
