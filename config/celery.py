"""The one Celery app of Anju.

Configured from Django settings under the ``CELERY_`` namespace. Without ``REDIS_URL`` the
settings make every task run in-process (eager), so the embedded default needs no broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("anju")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="anju.ping")
def ping() -> str:
    """Round trip through the broker and a worker; used by the health check and tests."""
    return "pong"
