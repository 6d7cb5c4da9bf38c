"""Settings of Anju, read from the environment through django-environ.

With no variable set, Anju runs on its embedded default: a SQLite file under ``var/`` and
Celery tasks executed in-process. Production sets ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL``,
``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``; the README lists every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

# --- Core ---------------------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Demo mode: ``seed_demo`` may give the demo accounts their published password. Production
# (DEBUG off) refuses to start with it, and the login backend refuses the demo password when
# demo mode is off, whatever the database holds.
ANJU_DEMO = env.bool("ANJU_DEMO", default=False)
DEMO_PASSWORD = "anju-demo"  # nosec B105
if ANJU_DEMO and not DEBUG:
    raise ImproperlyConfigured(
        "ANJU_DEMO=True enables the published demo passwords; it is refused when "
        "DJANGO_DEBUG is off (production). Unset ANJU_DEMO."
    )

_INSECURE_KEY = "django-insecure-anju-local-development-key-not-for-production"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=_INSECURE_KEY)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "config.third_party.LoginRecordsConfig",  # django-axes, named in Chinese
    "import_export",
    "simple_history",
    "config",
    "residents",
    "projects",
    "surveys",
    "acceptance",
    "cycle",
    "leaders",
    "imports",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.sessions.SessionIdleTimeout",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'anju.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite: wait for a writer instead of failing at once, and keep readers off its way.
    # Transactions take the write lock when they begin (IMMEDIATE): a transaction that began
    # reading and then writes could not wait for another writer and would fail at once
    # ("database is locked") when residents answer at the same moment.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Each request is one transaction: a request that fails half-way leaves nothing half-written.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------

# django-axes first: it refuses a login that is locked out before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "residents.auth.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time: Chinese first, the county's own clock -----------------------------

# A staff session ends after this long without a request (each request starts the time again),
# and when the browser is closed.
# (config.sessions.SessionIdleTimeout keeps a working session alive.)
SESSION_COOKIE_AGE = env.int("ANJU_SESSION_IDLE_MINUTES", default=120) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login lockout (django-axes): after ANJU_LOGIN_FAILURES failed logins for one account from one
# address, that account is refused from that address for ANJU_LOGIN_LOCKOUT_MINUTES. Counting
# the account with the address keeps a colleague's typing in a shared office from locking
# everyone out, and a stranger elsewhere from locking a clerk out. The address is the
# visitor's, not the proxy's (config.client_ip and ANJU_CLIENT_IP_HEADER).
AXES_FAILURE_LIMIT = env.int("ANJU_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ANJU_LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
#: Days the record of each staff login (account, address, browser) is kept, for tracing who
#: worked when; older ones are deleted by the daily run.
ANJU_LOGIN_RECORDS_DAYS = env.int("ANJU_LOGIN_RECORDS_DAYS", default=180)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 2**20)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 2**20

# --- Celery -------------------------------------------------------------------------------

REDIS_URL = env("REDIS_URL", default="")
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Longer than any task's time limit, so a late-acknowledged task is not redelivered
    # while it is still running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
    CELERY_RESULT_EXPIRES = 24 * 3600
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

# --- Cache (rate limits of the residents' pages) -------------------------------------------

CACHES = {
    "default": (
        {
            # Gives up when Redis is unreachable: a cache miss, not an error (config/cache.py).
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
RATELIMIT_VIEW = "surveys.views.rate_limited"
# With the cache unreachable the residents' pages are not limited: their answers are saved.
RATELIMIT_FAIL_OPEN = True
# Behind a proxy, the request header that carries the visitor's address (for example
# HTTP_X_REAL_IP), so that rate limits and the login lockout count per visitor, not per proxy.
ANJU_CLIENT_IP_HEADER = env("ANJU_CLIENT_IP_HEADER", default="")
RATELIMIT_IP_META_KEY = "config.client_ip.client_ip"

# --- The programme's own settings -----------------------------------------------------------

#: Days a plan stays posted for residents to object (一公示), unless a notice says otherwise.
ANJU_NOTICE_DAYS = env.int("ANJU_NOTICE_DAYS", default=7)
#: Days within which a resident's request should be answered.
ANJU_REQUEST_DUE_DAYS = env.int("ANJU_REQUEST_DUE_DAYS", default=7)
#: Whether "basically satisfied" (基本满意) counts as satisfied at acceptance, as the national
#: survey counts it; a round keeps the value it opened with.
ANJU_BASICALLY_SATISFIED_COUNTS = env.bool("ANJU_BASICALLY_SATISFIED_COUNTS", default=True)
#: The documented base of the property companies' points assessment (积分考核): a firm's score
#: for a year is this plus its good records' points minus its bad records' points.
ANJU_GOVERNANCE_BASE_POINTS = env.int("ANJU_GOVERNANCE_BASE_POINTS", default=80)
#: Imports of registers from spreadsheets: the largest file, the most rows in one file, and the
#: largest file checked and imported while the importer waits (larger ones go to Celery, with
#: their progress shown).
ANJU_IMPORT_MAX_BYTES = env.int("ANJU_IMPORT_MAX_BYTES", default=20 * 2**20)
ANJU_IMPORT_MAX_ROWS = env.int("ANJU_IMPORT_MAX_ROWS", default=200_000)
ANJU_IMPORT_INLINE_BYTES = env.int("ANJU_IMPORT_INLINE_BYTES", default=256 * 2**10)
#: How old (in seconds) the current month's county figures on the leader overview may be: they
#: are summed at most this often (and ahead of readers by the ``cycle.refresh_figures`` task),
#: so the page reads a snapshot whatever the number of projects. 0 sums them for every reader.
ANJU_LIVE_FIGURES_SECONDS = env.int("ANJU_LIVE_FIGURES_SECONDS", default=300)

# --- Email --------------------------------------------------------------------------------

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="anju@localhost")

# --- Security: production values unless DEBUG is on ---------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp): scripts only from Anju's own static files, never inline
# (the few page behaviours are bound in static/js/anju.js); no plugins, no framing, forms sent
# only to Anju. Inline styles stay allowed: the admin's own templates use style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Logging: to the console; personal data is never written here -------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_household_tokens": {"()": "config.logging.MaskHouseholdTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_household_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # Django's own loggers write through the root handler, not a second one of their own.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # runserver's request lines, which do not propagate: through the masking handler too.
        "django.server": {"handlers": ["console"], "propagate": False, "level": "INFO"},
        # django-axes announces itself at every start; its lockouts are warnings and still show.
        "axes.apps": {"level": "WARNING"},
    },
}

# --- Import and export --------------------------------------------------------------------

IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_USE_TRANSACTIONS = True
