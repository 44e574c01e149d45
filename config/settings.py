"""LedgerLink settings, read from the environment (see README "Configuration").

``LEDGERLINK_ENV`` picks the mode. ``development`` (the default) has safe local defaults so
``make run`` works on a fresh machine; ``production`` has no default for any secret and passes
``manage.py check --deploy``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import dj_database_url

from config.beat import beat_schedule
from config.env import (
    ImproperlyConfiguredEnv,
    allows_insecure_oauth_transport,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    is_fernet_key,
)
from config.headers import content_security_policy, permissions_policy
from config.logging_config import logging_config
from config.queues import *  # noqa: F403 - queues and task routes (config/queues.py)

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENT = env_str("LEDGERLINK_ENV", "development")
if ENVIRONMENT not in ("development", "production"):
    raise ImproperlyConfiguredEnv('LEDGERLINK_ENV must be "development" or "production".')
PRODUCTION = ENVIRONMENT == "production"
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")


SANDBOX_PRODUCTION_WARNING = """
!!! WARNING: LEDGERLINK_ENV=production with SANDBOX_ENABLED=true (SANDBOX_IN_PRODUCTION=true).
!!! The fake QuickBooks and Less Annoying CRM providers are served under /sandbox/ to anyone.
!!! This is only for public demos; never connect real QuickBooks or LACRM accounts here.
"""


def env_dev(name: str, dev_default: str) -> str:
    """Read a variable that has a default in development only; production requires it."""
    return env_str(name) if PRODUCTION else env_str(name, dev_default)


# The development defaults of the two secrets. They are public (they are in this file), so
# production refuses them even when they are set explicitly.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-prod"
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LWxlZGdlcmxpbmstMDE="

# --- Core -------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_dev("SECRET_KEY", DEV_SECRET_KEY)
if PRODUCTION and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfiguredEnv(
        "SECRET_KEY is the development value, which is public; set a long random secret."
    )
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The public base URL of this install; used for OAuth redirect URIs and the sandbox's own URLs.
SITE_URL = env_dev("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# The built-in sandbox providers (a fake QuickBooks and LACRM under /sandbox/). Anyone can mint
# tokens and keys there, so production refuses them unless SANDBOX_IN_PRODUCTION says it is meant.
SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", not PRODUCTION)
SANDBOX_IN_PRODUCTION = env_bool("SANDBOX_IN_PRODUCTION", False)
if PRODUCTION and SANDBOX_ENABLED:
    if not SANDBOX_IN_PRODUCTION:
        raise ImproperlyConfiguredEnv(
            "SANDBOX_ENABLED=true in production would serve the fake QuickBooks and Less Annoying "
            "CRM providers to anyone. Set SANDBOX_ENABLED=false, or also set "
            "SANDBOX_IN_PRODUCTION=true if this really is a public demo."
        )
    print(SANDBOX_PRODUCTION_WARNING, file=sys.stderr)  # noqa: T201 - logging is not set up yet
SANDBOX_APPS = ["integrations.sandbox", "integrations.sandbox.qbo", "integrations.sandbox.lacrm"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Index expressions with operator classes (the runtime log's trigram indexes) need its ready().
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "django_htmx",
    "accounts",
    "integrations",
    # Providers: each registers itself with integrations.registry (one line per system).
    "integrations.quickbooks",
    "integrations.lacrm",
    # The built-in providers exist only where they are served (their migrations depend on
    # nothing but accounts, so leaving them out is safe; their tables are then not created).
    *(SANDBOX_APPS if SANDBOX_ENABLED else []),
    "sync",
    # Preview Sync New Contacts: stored plans, applied exactly (its own app for its tables).
    "sync.preview",
    # Undo a run (its own app for its table).
    "sync.undo",
    "sync.continuous",
    "summaries",
    "notifications",
]

MIDDLEWARE = [
    *(["integrations.sandbox.runtime.SandboxTimingMiddleware"] if SANDBOX_ENABLED else []),
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.WorkspaceMiddleware",
    # Last, so its 400 page has the signed-in navigation; nothing above reads the query or form.
    "config.middleware.RejectUnreadableInputMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspace",
            ],
        },
    },
]

# --- Database: Postgres only --------------------------------------------------------------------
# The development default is the role and database scripts/ensure_services.sh creates (a password,
# since Debian's PostgreSQL asks for one on 127.0.0.1).
DATABASE_URL = env_dev("DATABASE_URL", "postgres://ledgerlink:ledgerlink@127.0.0.1:5432/ledgerlink")
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfiguredEnv(
        "DATABASE_URL must be a postgres:// URL; LedgerLink needs Postgres."
    )
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
DATABASES["default"]["OPTIONS"] = {"connect_timeout": 5}
# pytest's database: UTF-8 from template0 even where the cluster was made without a UTF-8 locale
# (template1 is then SQL_ASCII).
DATABASES["default"]["TEST"] = {"CHARSET": "UTF8", "TEMPLATE": "template0"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, cache, rate-limit buckets --------------------------------------------
REDIS_URL = env_dev("REDIS_URL", "redis://127.0.0.1:6379/0")
if not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfiguredEnv("REDIS_URL must be a redis:// URL.")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Each test process gets its own prefix so rate-limit buckets never leak between runs.
        "KEY_PREFIX": f"ledgerlink-test-{os.getpid()}" if TESTING else "ledgerlink",
    }
}

# --- Auth (django-allauth, email login) ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapter.WorkspaceAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
# Sign-up says plainly when an email is already registered (the product asks for clear errors).
# Login already answers the same for an unknown email and a wrong password; password reset would
# not with enumeration prevention off, so it uses a form that never says whether an email is known.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_FORMS = {"reset_password": "accounts.forms.QuietResetPasswordForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[LedgerLink] "
# allauth's built-in rate limits stay on (its defaults); they use the Redis cache above and key
# on the client address of accounts/client_ip.py.
# How many proxies of our own (load balancer, ingress…) stand in front of the app: the client is
# that many entries from the right of X-Forwarded-For. 0 (the default) ignores the header.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfiguredEnv("TRUSTED_PROXY_COUNT must be 0 or more.")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# --- Email: console in development, SMTP from the environment in production --------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LedgerLink <no-reply@ledgerlink.localhost>")
if PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    # Console by default; EMAIL_BACKEND/EMAIL_FILE_PATH let a developer (or a test's worker
    # process) write mail to files instead, e.g. django.core.mail.backends.filebased.EmailBackend.
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", "") or None

# --- Secrets at rest ----------------------------------------------------------------------------
# Fernet keys, newest first; older keys still decrypt so keys can be rotated.
FIELD_ENCRYPTION_KEYS = env_list(
    "FIELD_ENCRYPTION_KEYS", [] if PRODUCTION else [DEV_FIELD_ENCRYPTION_KEY]
)
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfiguredEnv("FIELD_ENCRYPTION_KEYS must list at least one Fernet key.")
# Checked here, in every environment, so a typo fails at start-up and not at the first
# connection; the message says which key by position and never echoes a key.
_bad_keys = [str(n) for n, key in enumerate(FIELD_ENCRYPTION_KEYS, 1) if not is_fernet_key(key)]
if _bad_keys:
    raise ImproperlyConfiguredEnv(
        f"FIELD_ENCRYPTION_KEYS: key number {', '.join(_bad_keys)} is not a Fernet key "
        '(32 url-safe base64-encoded bytes; make one with `python -c "from cryptography.fernet '
        'import Fernet; print(Fernet.generate_key().decode())"`).'
    )
if PRODUCTION and DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfiguredEnv(
        "FIELD_ENCRYPTION_KEYS holds the development key, which is public; use your own keys."
    )

# --- Integrations -------------------------------------------------------------------------------
_SANDBOX_BASE = f"{SITE_URL}/sandbox"
QBO_CLIENT_ID = env_str("QBO_CLIENT_ID", "" if PRODUCTION else "sandbox-client-id")
QBO_CLIENT_SECRET = env_str("QBO_CLIENT_SECRET", "" if PRODUCTION else "sandbox-client-secret")
QBO_REDIRECT_URI = env_str("QBO_REDIRECT_URI", f"{SITE_URL}/integrations/quickbooks/callback/")
QBO_ENVIRONMENT = env_str("QBO_ENVIRONMENT", "sandbox")
if QBO_ENVIRONMENT not in ("sandbox", "production"):
    raise ImproperlyConfiguredEnv('QBO_ENVIRONMENT must be "sandbox" or "production".')
# Empty means Intuit's own endpoints for QBO_ENVIRONMENT.
QBO_DISCOVERY_URL = env_str(
    "QBO_DISCOVERY_URL",
    f"{_SANDBOX_BASE}/intuit/.well-known/openid_configuration" if SANDBOX_ENABLED else "",
)
QBO_API_BASE_URL = env_str("QBO_API_BASE_URL", f"{_SANDBOX_BASE}/qbo/v3" if SANDBOX_ENABLED else "")
LACRM_API_URL = env_str(
    "LACRM_API_URL",
    f"{_SANDBOX_BASE}/lacrm/v2/" if SANDBOX_ENABLED else "https://api.lessannoyingcrm.com/v2/",
)
LACRM_OAUTH_CLIENT_ID = env_str("LACRM_OAUTH_CLIENT_ID", "")
LACRM_OAUTH_CLIENT_SECRET = env_str("LACRM_OAUTH_CLIENT_SECRET", "")
LACRM_OAUTH_AUTHORIZE_URL = env_str(
    "LACRM_OAUTH_AUTHORIZE_URL", "https://account.lessannoyingcrm.com/oauth/authorize.php"
)
LACRM_OAUTH_TOKEN_URL = env_str(
    "LACRM_OAUTH_TOKEN_URL", "https://script.lessannoyingcrm.com/oauth/token.php"
)
# In sandbox mode LACRM's partner OAuth endpoints default to the built-in sandbox provider.
if SANDBOX_ENABLED and not os.environ.get("LACRM_OAUTH_AUTHORIZE_URL"):
    LACRM_OAUTH_AUTHORIZE_URL = f"{_SANDBOX_BASE}/lacrm/oauth/authorize"
if SANDBOX_ENABLED and not os.environ.get("LACRM_OAUTH_TOKEN_URL"):
    LACRM_OAUTH_TOKEN_URL = f"{_SANDBOX_BASE}/lacrm/oauth/token"
# oauthlib (requests-oauthlib's OAuth2Session, which python-quickbooks' own client uses) refuses
# http:// URLs unless OAUTHLIB_INSECURE_TRANSPORT is set. In development the providers' URLs are
# http:// when they point at the built-in sandbox or a local stand-in; set it then, and only then.
# Production never sets it, whatever the URLs.
OAUTH_ENDPOINTS = [
    QBO_DISCOVERY_URL,
    QBO_API_BASE_URL,
    LACRM_API_URL,
    LACRM_OAUTH_AUTHORIZE_URL,
    LACRM_OAUTH_TOKEN_URL,
]
if allows_insecure_oauth_transport(PRODUCTION, OAUTH_ENDPOINTS):
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
# Our own pacing of provider calls, shared by every worker through Redis. The defaults are
# Intuit's published limits per realm and a safe budget per LACRM key.
QBO_REQUESTS_PER_MINUTE = env_int("QBO_REQUESTS_PER_MINUTE", 500)
QBO_MAX_IN_FLIGHT = env_int("QBO_MAX_IN_FLIGHT", 10)
QBO_BATCHES_PER_MINUTE = env_int("QBO_BATCHES_PER_MINUTE", 40)
LACRM_REQUESTS_PER_MINUTE = env_int("LACRM_REQUESTS_PER_MINUTE", 300)
PACING_REDIS_MAX_CONNECTIONS = env_int("PACING_REDIS_MAX_CONNECTIONS", 32)
# Continuous sync: the verifier token is the Intuit app's webhook secret (never logged).
QBO_WEBHOOK_VERIFIER_TOKEN = env_str(
    "QBO_WEBHOOK_VERIFIER_TOKEN", "" if PRODUCTION else "sandbox-webhook-verifier-token"
)
# Intuit's Builder tier: reads a month for the whole app; changes wait this long to share a read.
QBO_MONTHLY_READ_BUDGET = env_int("QBO_MONTHLY_READ_BUDGET", 500000)
SYNC_CHANGES_WINDOW_SECONDS = env_int("SYNC_CHANGES_WINDOW_SECONDS", 300)
# Where the built-in QuickBooks sends webhooks (empty: SITE_URL + our endpoint); format: admin.
SANDBOX_QBO_WEBHOOK_URL = env_str("SANDBOX_QBO_WEBHOOK_URL", "")
# Retries of transient errors (429, 5xx, timeouts): tries, then exponential back-off with jitter.
INTEGRATION_RETRY_TRIES = env_int("INTEGRATION_RETRY_TRIES", 5)
INTEGRATION_RETRY_BASE_SECONDS = env_float("INTEGRATION_RETRY_BASE_SECONDS", 0.5)
INTEGRATION_RETRY_CAP_SECONDS = env_float("INTEGRATION_RETRY_CAP_SECONDS", 8.0)
# Seconds of artificial latency per sandbox call, so progress is visible in demo mode.
SANDBOX_LATENCY = env_float("SANDBOX_LATENCY", 0.0)

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# CELERY_BROKER_TRANSPORT_OPTIONS (redelivery timeout, queue order): config/queues.py.
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = beat_schedule(sandbox_enabled=SANDBOX_ENABLED)
# A run whose heartbeat is older than this, and whose lock nobody holds, is re-enqueued.
SYNC_STALE_AFTER_SECONDS = env_int("SYNC_STALE_AFTER_SECONDS", 60)

# --- I18N, static -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production whitenoise serves straight from the source folders (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie.
# A failed CSRF check shows the site's own page, with a way back (config.errorpages).
CSRF_FAILURE_VIEW = "config.errorpages.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


CONTENT_SECURITY_POLICY = content_security_policy(
    SITE_URL, QBO_REDIRECT_URI, QBO_DISCOVERY_URL, LACRM_OAUTH_AUTHORIZE_URL
)
PERMISSIONS_POLICY = permissions_policy()
# Where the Django admin is served; moving it off /admin/ keeps it out of drive-by scans.
ADMIN_URL = env_str("ADMIN_URL", "admin/").strip("/") + "/"
if ADMIN_URL == "/" or not re.fullmatch(r"[A-Za-z0-9._~/-]+/", ADMIN_URL):
    raise ImproperlyConfiguredEnv(
        'ADMIN_URL must be a path such as "admin/" or "ops-7f3k/admin/" (letters, digits, '
        '".", "_", "~", "-" and "/").'
    )
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: everything to stdout --------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = logging_config(LOG_LEVEL)
