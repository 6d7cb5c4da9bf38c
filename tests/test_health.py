"""The health check: what is up, what is down, and the status code that says so."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_in_process_tasks(client, settings):
    settings.REDIS_URL = ""
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("not configured")


def test_healthz_is_503_when_the_broker_is_down(client, settings):
    # Nothing listens on port 9 (discard) of the loopback interface.
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "down"
    assert response.json()["status"] == "unavailable"


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise ConnectionError("database is unreachable")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


def test_healthz_needs_no_login_and_is_never_cached(client):
    response = client.get(reverse("healthz"))
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.redis
def test_healthz_sees_the_real_broker(client, settings):
    from django.conf import settings as live

    settings.REDIS_URL = live.REDIS_URL
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"
