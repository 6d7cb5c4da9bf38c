"""The one Celery app of Anju.

Configured from Django settings under the ``CELERY_`` namespace. Without ``REDIS_URL`` the
settings make every task run in-process (eager), so the embedded default needs no broker.
"""

import logging
import os

from celery import Celery
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("anju")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="anju.ping")
def ping() -> str:
    """Round trip through the broker and a worker; used by the health check and tests."""
    return "pong"


def send(task, *args) -> bool:
    """Send ``task`` with ``args`` to the workers: False, with a warning logged, when the
    broker (Redis) is unreachable, so that the caller keeps the work to send it again later
    instead of failing the request.

    Tasks run in-process (no broker configured) are not sent anywhere: what they raise is
    their own error, never an unreachable queue, and goes up to the caller."""
    try:
        task.delay(*args)
    except (OperationalError, RedisError, OSError) as error:
        if task.app.conf.task_always_eager:
            raise
        logger.warning("The task queue is unreachable, %s was not sent: %s", task.name, error)
        return False
    return True
