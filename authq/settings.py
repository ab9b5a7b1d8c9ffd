"""authq settings, driven by environment variables.

Every variable is read through one of the small helpers below, which fail loudly on a
value of the wrong type. The README lists each variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(
                f"{name} is not set. Start authq through `make run` / `make test` "
                f"(which start the embedded servers) or set {name}."
            )
        return default
    return value


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# Without DEBUG a real key is required; the development key only works with DEBUG on.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key" if DEBUG else None)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "accounts",
    "patients",
    "payers",
    # Before worklists: its roles, built after migrate, grant the import permissions.
    "intake",
    # Before worklists too, for the same reason (feeds.roles).
    "feeds",
    "fhirapi",
    "x12feed",
    "worklists",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A Content-Security-Policy with a fresh nonce on every response (SECURE_CSP below).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before anything reads the request: NUL characters, oversized bodies (see the class).
    "authq.middleware.BadInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Request ids, and the acting person for the patient-data audit triggers.
    "patients.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After auth and htmx: it needs request.user and request.htmx.
    "authq.middleware.SessionTimeoutMiddleware",
    "authq.middleware.NoStoreMiddleware",
]

if not DEBUG:
    # Production serves static files itself; runserver does it in development.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "authq.urls"
WSGI_APPLICATION = "authq.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "authq.context_processors.roles",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL"), conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60)
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("authq runs on PostgreSQL only: DATABASE_URL must be postgres://")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parameters travel apart from the SQL, and psycopg prepares a statement a connection has
# run 5 times, so PostgreSQL stops planning it anew (docs/performance.md). Behind a
# transaction-mode PgBouncer, set DATABASE_PREPARED_STATEMENTS=0.
if env_bool("DATABASE_PREPARED_STATEMENTS", True):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")

# ModelBackend reading permissions and role names with one query (authq/backends.py).
AUTHENTICATION_BACKENDS = ["authq.backends.PermissionsBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "worklists:home"
LOGOUT_REDIRECT_URL = "login"

# --- Multi-factor sign-in (S16-S18): django-allauth and its MFA ----------------------------
# allauth owns /accounts/ (sign-in, the second factor, re-authentication, email); every person
# must have a TOTP authenticator (accounts.middleware.RequireMFAMiddleware sends those
# without one to enrol). No self-signup (accounts.adapter). Sign-in is by username.
INSTALLED_APPS += ["allauth", "allauth.account", "allauth.mfa"]
# allauth's middleware just after Django's authentication; the MFA rule after the session
# timeouts (an ended session goes to sign-in, not to enrolment).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "allauth.account.middleware.AccountMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("authq.middleware.SessionTimeoutMiddleware") + 1,
    "accounts.middleware.RequireMFAMiddleware",
)
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
# A new address gets a confirmation link by mail; sign-in is by username, so an address is
# never a way in (and adding one needs the password again, below). allauth would refuse
# unconfirmed addresses on accounts with MFA unless told.
ACCOUNT_EMAIL_VERIFICATION = "optional"
MFA_ALLOW_UNVERIFIED_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
# Sessions end when the browser closes, as before (no "remember me").
ACCOUNT_SESSION_REMEMBER = False
# Changing email (and MFA, and a bulk export) needs a password or TOTP entered in the last
# 5 minutes; codes sent by email are not offered.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("AUTHQ_REAUTHENTICATION_SECONDS", 300)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The second step refuses a locked-out account (S15); wrong codes count toward the lockout.
MFA_FORMS = {"authenticate": "accounts.forms.SecondFactorForm"}
MFA_REAUTHENTICATION_REQUIRED = True
MFA_TOTP_ISSUER = "authq"
# One 30-second step of clock drift either way; a used code is refused for its whole window.
MFA_TOTP_TOLERANCE = 1
# Used TOTP codes (S17) and allauth's rate limits live in the cache: a shared one (Redis), so
# a code used on one web worker is refused on every other.
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "authq",
    }
}
# --- end of multi-factor sign-in -------------------------------------------------------------

# Sessions live in the database. A session ends after AUTHQ_IDLE_TIMEOUT_MINUTES without a
# request from the person (background refreshes do not count), and at the latest
# AUTHQ_SESSION_MAX_HOURS after sign-in (one shift), however busy.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
AUTHQ_IDLE_TIMEOUT_MINUTES = env_int("AUTHQ_IDLE_TIMEOUT_MINUTES", 15)
AUTHQ_SESSION_MAX_HOURS = env_int("AUTHQ_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = AUTHQ_SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SAMESITE = "Lax"

# Transport: HTTPS only in production. Behind a TLS-terminating proxy, name the header it
# sets (AUTHQ_PROXY_SSL_HEADER=X-Forwarded-Proto) so Django knows the request was secure;
# only do so when the proxy overwrites that header on every request.
SECURE_SSL_REDIRECT = env_bool("AUTHQ_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("AUTHQ_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("AUTHQ_HSTS_PRELOAD", True)
_proxy_ssl_header = env_str("AUTHQ_PROXY_SSL_HEADER", "-")
SECURE_PROXY_SSL_HEADER = (
    None
    if _proxy_ssl_header == "-"
    else ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
)
# Proxies whose X-Forwarded-For the access audit believes (their REMOTE_ADDR), so it
# records the client's address rather than the proxy's.
AUTHQ_TRUSTED_PROXIES = frozenset(env_list("AUTHQ_TRUSTED_PROXIES", []))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every script and style is a static file or carries the response's nonce; nothing inline.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
# The practice's time zone: every date the scan compares is a local date here.
AUTHQ_TIME_ZONE = env_str("AUTHQ_TIME_ZONE", "America/New_York")
try:
    ZoneInfo(AUTHQ_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"AUTHQ_TIME_ZONE is not a time zone: {AUTHQ_TIME_ZONE!r}") from exc
TIME_ZONE = AUTHQ_TIME_ZONE

# Every date that enters authq (forms, API, admin, query parameters) lies in these years.
AUTHQ_MIN_YEAR = env_int("AUTHQ_MIN_YEAR", 1900)
AUTHQ_MAX_YEAR = env_int("AUTHQ_MAX_YEAR", 2100)
if not 1 < AUTHQ_MIN_YEAR <= AUTHQ_MAX_YEAR < 9999:
    raise ImproperlyConfigured(
        "AUTHQ_MIN_YEAR..AUTHQ_MAX_YEAR must be a span of years inside 2..9998, "
        f"got {AUTHQ_MIN_YEAR}..{AUTHQ_MAX_YEAR}"
    )

AUTHQ_HORIZON_DAYS = env_int("AUTHQ_HORIZON_DAYS", 30)
AUTHQ_STAT_WINDOW_DAYS = env_int("AUTHQ_STAT_WINDOW_DAYS", 2)
AUTHQ_SCAN_INTERVAL_MINUTES = env_int("AUTHQ_SCAN_INTERVAL_MINUTES", 15)
# The same in seconds, when set (the fault tests run beat with a scan every few seconds).
AUTHQ_SCAN_INTERVAL_SECONDS = env_int(
    "AUTHQ_SCAN_INTERVAL_SECONDS", AUTHQ_SCAN_INTERVAL_MINUTES * 60
)
if not 1 <= AUTHQ_SCAN_INTERVAL_SECONDS <= 24 * 3600:
    raise ImproperlyConfigured("AUTHQ_SCAN_INTERVAL_SECONDS must be 1 to 86400")
AUTHQ_SCAN_CHUNK_SIZE = env_int("AUTHQ_SCAN_CHUNK_SIZE", 500)
# Rows of an imported file applied per transaction (intake): memory is bounded by this.
AUTHQ_IMPORT_CHUNK_ROWS = env_int("AUTHQ_IMPORT_CHUNK_ROWS", 2000)
if not 1 <= AUTHQ_IMPORT_CHUNK_ROWS <= 50_000:
    raise ImproperlyConfigured("AUTHQ_IMPORT_CHUNK_ROWS must be 1 to 50000")
# Largest export file the Imports page and POST /api/v1/imports/ take (the command: any).
AUTHQ_MAX_IMPORT_BYTES = env_int("AUTHQ_MAX_IMPORT_BYTES", 256 * 1024 * 1024)
# The Celery queue imports go to (empty: the default queue), for a worker of their own.
AUTHQ_IMPORT_QUEUE = env_str("AUTHQ_IMPORT_QUEUE", "")
# The HL7 v2 feed (feeds): where its listener listens, the import profile that maps its
# payer ids and names the MRN's assigning authority, the account its writes are recorded
# under, and how long a message for an unknown order waits for that order.
AUTHQ_HL7_HOST = env_str("AUTHQ_HL7_HOST", "127.0.0.1")
AUTHQ_HL7_PORT = env_int("AUTHQ_HL7_PORT", 2575)
if not 0 <= AUTHQ_HL7_PORT <= 65535:
    raise ImproperlyConfigured("AUTHQ_HL7_PORT must be 0 to 65535")
AUTHQ_HL7_PROFILE = env_str("AUTHQ_HL7_PROFILE", "hl7")
AUTHQ_HL7_USER = env_str("AUTHQ_HL7_USER", "hl7-feed")
# Threads applying messages side by side (one patient's always in the same one, in order).
AUTHQ_HL7_APPLIERS = env_int("AUTHQ_HL7_APPLIERS", 4)
if not 1 <= AUTHQ_HL7_APPLIERS <= 32:
    raise ImproperlyConfigured("AUTHQ_HL7_APPLIERS must be 1 to 32")
AUTHQ_HL7_HOLD_MINUTES = env_int("AUTHQ_HL7_HOLD_MINUTES", 60)
if not 1 <= AUTHQ_HL7_HOLD_MINUTES <= 7 * 24 * 60:
    raise ImproperlyConfigured("AUTHQ_HL7_HOLD_MINUTES must be 1 to 10080")
# A claimed item whose assignee has neither claimed nor acted on it for this long goes
# back to its queue (the beat's release_lapsed_claims, every 5 minutes).
AUTHQ_CLAIM_LEASE_MINUTES = env_int("AUTHQ_CLAIM_LEASE_MINUTES", 120)
if not 5 <= AUTHQ_CLAIM_LEASE_MINUTES <= 24 * 60:
    raise ImproperlyConfigured("AUTHQ_CLAIM_LEASE_MINUTES must be 5 to 1440")
# A beat scan none of whose chunks has finished for this long lost them (a worker died
# and the broker has not handed them on): the next scan marks it abandoned and starts.
AUTHQ_SCAN_STALE_MINUTES = env_int("AUTHQ_SCAN_STALE_MINUTES", 10)
if not 1 <= AUTHQ_SCAN_STALE_MINUTES <= 120:
    raise ImproperlyConfigured("AUTHQ_SCAN_STALE_MINUTES must be 1 to 120")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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
MEDIA_ROOT = Path(env_str("AUTHQ_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Uploaded documents (clinical notes, payer letters) larger than this are refused.
AUTHQ_MAX_DOCUMENT_BYTES = env_int("AUTHQ_MAX_DOCUMENT_BYTES", 10 * 1024 * 1024)

# Patient emails. With DEBUG they go to the console (recipients redacted, body left out:
# authq/mail.py); otherwise to the SMTP server named by the AUTHQ_EMAIL_* variables, which
# production must set (the host has no default, so a missing one fails at start, not at
# the first patient's email).
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
AUTHQ_EMAIL_BACKEND = env_str(
    "AUTHQ_EMAIL_BACKEND", "authq.mail.RedactedConsoleBackend" if DEBUG else SMTP_BACKEND
)
MAILERS: dict[str, dict[str, object]] = {"default": {"BACKEND": AUTHQ_EMAIL_BACKEND}}
if AUTHQ_EMAIL_BACKEND == SMTP_BACKEND:
    _tls = env_bool("AUTHQ_EMAIL_USE_TLS", True)
    _ssl = env_bool("AUTHQ_EMAIL_USE_SSL", False)
    if _tls and _ssl:
        raise ImproperlyConfigured(
            "Set at most one of AUTHQ_EMAIL_USE_TLS (STARTTLS) and AUTHQ_EMAIL_USE_SSL."
        )
    _port = env_int("AUTHQ_EMAIL_PORT", 465 if _ssl else 587)
    if not 0 < _port < 65536:
        raise ImproperlyConfigured(f"AUTHQ_EMAIL_PORT must be a TCP port, got {_port}")
    _timeout = env_int("AUTHQ_EMAIL_TIMEOUT", 20)
    if not 1 <= _timeout <= 300:
        raise ImproperlyConfigured("AUTHQ_EMAIL_TIMEOUT must be between 1 and 300 seconds")
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("AUTHQ_EMAIL_HOST"),
        "port": _port,
        "username": env_str("AUTHQ_EMAIL_USER", ""),
        "password": env_str("AUTHQ_EMAIL_PASSWORD", ""),
        "use_tls": _tls and not _ssl,
        "use_ssl": _ssl,
        "timeout": _timeout,
    }
# Attempts at one patient email before it is marked failed; the task waits
# AUTHQ_EMAIL_RETRY_SECONDS, then twice that, and so on, between them.
AUTHQ_EMAIL_MAX_ATTEMPTS = env_int("AUTHQ_EMAIL_MAX_ATTEMPTS", 5)
AUTHQ_EMAIL_RETRY_SECONDS = env_int("AUTHQ_EMAIL_RETRY_SECONDS", 60)
if not 1 <= AUTHQ_EMAIL_MAX_ATTEMPTS <= 20:
    raise ImproperlyConfigured("AUTHQ_EMAIL_MAX_ATTEMPTS must be between 1 and 20")
if not 1 <= AUTHQ_EMAIL_RETRY_SECONDS <= 3600:
    raise ImproperlyConfigured("AUTHQ_EMAIL_RETRY_SECONDS must be between 1 and 3600")
# How often beat hands the task queue the emails it could not take when they were sent.
AUTHQ_EMAIL_REQUEUE_SECONDS = env_int("AUTHQ_EMAIL_REQUEUE_SECONDS", 60)
if not 1 <= AUTHQ_EMAIL_REQUEUE_SECONDS <= 3600:
    raise ImproperlyConfigured("AUTHQ_EMAIL_REQUEUE_SECONDS must be between 1 and 3600")
DEFAULT_FROM_EMAIL = env_str("AUTHQ_FROM_EMAIL", "authq@localhost")
# Signs patient emails and letters.
AUTHQ_PRACTICE_NAME = env_str("AUTHQ_PRACTICE_NAME", "Your care team")

# The API's read audit (S25): authq.lib.records.AuditedReadsMixin hands each response's
# records to this function of the app that owns the audit.
AUTHQ_API_READ_AUDIT = "patients.audit.record_api_reads"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "authq.lib.permissions.RecordPermissions",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # ?limit= is capped at authq.lib.bounds.MAX_PAGE_SIZE; a bad ?offset= is a 400.
    "DEFAULT_PAGINATION_CLASS": "authq.lib.api.BoundedPagination",
    "PAGE_SIZE": 100,
    # JSON bodies only (no endpoint takes a form or a file); the schema says so.
    "DEFAULT_PARSER_CLASSES": ["authq.lib.api.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "authq API",
    "DESCRIPTION": "Prior-authorization records, work items and the scheduler's auth check.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation lists the error answers it can give; key rules (authq/lib/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "authq.lib.schema.describe_errors_and_keys",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: tasks carry ids only; a task whose worker dies is delivered again.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task not acknowledged this long after its delivery (its worker died) is delivered
# again; every sweep (each worker's, every 10 s) looks for such tasks. Tasks are short,
# and a countdown (a retry's wait) is kept below this (worklists.tasks.MAX_COUNTDOWN).
AUTHQ_BROKER_VISIBILITY_SECONDS = env_int("AUTHQ_BROKER_VISIBILITY_SECONDS", 600)
if not 2 <= AUTHQ_BROKER_VISIBILITY_SECONDS <= 3600:
    raise ImproperlyConfigured("AUTHQ_BROKER_VISIBILITY_SECONDS must be 2 to 3600")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": AUTHQ_BROKER_VISIBILITY_SECONDS,
    "unacked_restore_interval": min(10, AUTHQ_BROKER_VISIBILITY_SECONDS),
    "unacked_restore_throttle": 1,
}
# Tasks retried on a transient error (a database error) try this many times in all, with
# a growing wait between, then are parked (worklists.ParkedTask) for an administrator.
AUTHQ_TASK_MAX_ATTEMPTS = 5
# The first of those waits; each next one doubles it: 2, 4, 8, 16 s by default, so that
# a database away for up to 30 s (a restart) costs no task.
AUTHQ_TASK_RETRY_SECONDS = env_int("AUTHQ_TASK_RETRY_SECONDS", 2)
if not 1 <= AUTHQ_TASK_RETRY_SECONDS <= 60:
    raise ImproperlyConfigured("AUTHQ_TASK_RETRY_SECONDS must be 1 to 60")
CELERY_TIMEZONE = "UTC"
AUTHQ_DASHBOARD_REFRESH_MINUTES = env_int("AUTHQ_DASHBOARD_REFRESH_MINUTES", 5)
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "scan-authorizations": {
        "task": "worklists.tasks.scan_authorizations",
        "schedule": timedelta(seconds=AUTHQ_SCAN_INTERVAL_SECONDS),
    },
    # The managers' dashboard reads facts this job brings up to date (incrementally).
    "refresh-dashboard": {
        "task": "reports.tasks.refresh_dashboard",
        "schedule": timedelta(minutes=AUTHQ_DASHBOARD_REFRESH_MINUTES),
    },
    # Patient emails sent while the broker was down are handed to it once it is back.
    "queue-waiting-emails": {
        "task": "worklists.tasks.queue_waiting_emails",
        "schedule": timedelta(seconds=AUTHQ_EMAIL_REQUEUE_SECONDS),
    },
    # Claims whose lease ran out go back to their queues.
    "release-lapsed-claims": {
        "task": "worklists.tasks.release_lapsed_claims",
        "schedule": timedelta(minutes=5),
    },
    # The queue overview sums rows that every item change appends; this folds them.
    "compact-queue-counts": {
        "task": "worklists.tasks.compact_queue_counts",
        "schedule": timedelta(minutes=5),
    },
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Request paths in logs lose their query string and MRN segments (authq/lib/phi_logs.py).
    "filters": {"scrub_paths": {"()": "authq.lib.phi_logs.ScrubRequestPaths"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "requests": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_paths"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("AUTHQ_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["requests"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["requests"], "level": "WARNING", "propagate": False},
    },
}

# --- Sign-in lockout (S15), hashed API tokens, rate limits (S24) -------------------------
# Kept together in one block; it extends the lists and dicts defined above.

# Lockout (django-axes): AUTHQ_LOCKOUT_FAILURES failed sign-ins for one username from one
# address lock that pair out for AUTHQ_LOCKOUT_MINUTES, counted from the last failure (a
# try while locked out, even with the right password, starts the wait again). Attempts are
# kept in PostgreSQL, so a Redis outage loses nothing. The admin site's sign-in is covered.
AUTHQ_LOCKOUT_FAILURES = env_int("AUTHQ_LOCKOUT_FAILURES", 5)
AUTHQ_LOCKOUT_MINUTES = env_int("AUTHQ_LOCKOUT_MINUTES", 15)
if not 1 <= AUTHQ_LOCKOUT_FAILURES <= 100 or not 1 <= AUTHQ_LOCKOUT_MINUTES <= 24 * 60:
    raise ImproperlyConfigured(
        "AUTHQ_LOCKOUT_FAILURES must be 1 to 100 and AUTHQ_LOCKOUT_MINUTES 1 to 1440"
    )
# Before the apps whose post_migrate (accounts.roles) grants its permissions.
INSTALLED_APPS.insert(INSTALLED_APPS.index("accounts"), "axes")
# Refuses a locked-out pair before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
# Last: turns a lockout into our page (accounts.lockout.locked_out_page, status 429).
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AXES_FAILURE_LIMIT = AUTHQ_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=AUTHQ_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out_page"
# Failures counted: wrong passwords at allauth's sign-in (its form's `login` field reaches
# axes as `username` through authenticate(), as do wrong passwords when re-confirming) and
# wrong codes at the second step (accounts.lockout). allauth's own per-username count of
# failed passwords is off (accounts.adapter), so axes alone answers; allauth still caps
# sign-in posts per address ('login', 30 a minute) and second-factor codes ('login_failed').
# Logged and stored: the username typed and the address; never the password or code, nor the
# `next` address (it may carry a search for a patient's name).
AXES_SENSITIVE_PARAMETERS = ["next", "csrfmiddlewaretoken", "code"]
# axes logs each failure and lockout as a warning; its INFO lines are bookkeeping.
LOGGING["loggers"]["axes"] = {"level": "WARNING"}

# API tokens (accounts.APIToken, stored as SHA-256), valid this many days when issued.
AUTHQ_API_TOKEN_DAYS = env_int("AUTHQ_API_TOKEN_DAYS", 90)
if not 1 <= AUTHQ_API_TOKEN_DAYS <= 365:
    raise ImproperlyConfigured("AUTHQ_API_TOKEN_DAYS must be 1 to 365")
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "accounts.authentication.APITokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]

# Rate limits, counted in Redis so every web process sees the same counts. The cache
# fails open (authq/lib/cache.py): with Redis down pages work and nothing is limited.
CACHES = {
    "default": {
        "BACKEND": "authq.lib.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "authq",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
AUTHQ_THROTTLE_RATES = {
    # Every API call, per person (an integration engine is one person).
    "api": env_str("AUTHQ_API_RATE", "1200/minute"),
    # Bulk exports (the dashboard's CSV files), per person.
    "export": env_str("AUTHQ_EXPORT_RATE", "30/hour"),
}
for _scope, _rate in AUTHQ_THROTTLE_RATES.items():
    _count, _, _period = _rate.partition("/")
    if (
        not _count.isdigit()
        or int(_count) < 1
        or _period not in {"second", "minute", "hour", "day"}
    ):
        raise ImproperlyConfigured(
            f"the {_scope} rate must be N/second, N/minute, N/hour or N/day, got {_rate!r}"
        )
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["authq.lib.throttling.ApiRateThrottle"]
# --- end of lockout, tokens and rate limits -----------------------------------------------
