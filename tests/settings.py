"""Settings for the test suite: the project's settings, with what tests need changed.

Tests run over plain HTTP through Django's client, so the HTTPS redirect is off; static files
are not collected, so the plain storage is used; passwords hash fast. Celery tasks run
in-process unless a test starts a real worker (the ``celery_worker`` fixture).
"""

import os
from urllib.parse import urlsplit, urlunsplit

from config.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Every test reads the figures it has just written: none is kept in the cache between tests
# (tests/test_leaders.py turns the cache on where it is the subject).
ANJU_LIVE_FIGURES_SECONDS = 0

# Under pytest-xdist each process of the suite has a Redis database of its own (its broker
# queues, task results and cache): a test's worker never takes a task another process sent,
# and a test's cache.clear() clears only its own process's rate limits.
_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … under xdist
if REDIS_URL and _PROCESS.startswith("gw"):  # noqa: F405
    _redis = urlsplit(REDIS_URL)  # noqa: F405
    _database = int(_redis.path.strip("/") or 0) + 1 + int(_PROCESS[2:])
    REDIS_URL = urlunsplit(_redis._replace(path=f"/{_database}"))
    CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL
    CACHES = {"default": {**CACHES["default"], "LOCATION": REDIS_URL}}  # noqa: F405
