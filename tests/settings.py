"""Settings for the test suite: the project's settings, with what tests need changed.

Tests run over plain HTTP through Django's client, so the HTTPS redirect is off; static files
are not collected, so the plain storage is used; passwords hash fast. Celery tasks run
in-process unless a test starts a real worker (the ``celery_worker`` fixture).
"""

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
