"""StudioZens settings: one package, every value from the environment.

Without any environment this is a working local demo (SQLite file, local-memory
cache, eager Celery, console adapters). ``DJANGO_ENV=production`` turns on the
production checks: a missing, short or placeholder secret stops the process with a
message naming the variable.
"""

from __future__ import annotations

import json
import ssl
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as cors_default_headers
from django.conf import global_settings

from platform_core.plugins import (
    DEFAULT_QUEUE,
    discover,
    hashing_paths,
    installed_apps,
    password_hashers,
    user_model,
)
from platform_core.plugins import resolve as resolve_plugin_path

from .celery_queues import celery_queues_and_routes
from .env import Env, ImproperlyConfiguredEnv, check_secret, load_dotenv_for_development
from .logging import build_logging
from .storage import media_storage

env = Env()

BASE_DIR = Path(__file__).resolve().parents[3]
# Development reads ./.env (variables already in the environment win); production and test
# never do: production takes its variables from the platform only (docs/DEPLOYMENT_RUNBOOK.md).
DOTENV_LOADED = load_dotenv_for_development(BASE_DIR / ".env")
DJANGO_ENV = env.str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfiguredEnv(
        f"DJANGO_ENV must be development, test or production, got {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"

# --- Core secrets -------------------------------------------------------------------
_DEV_SECRET = "dev-insecure-secret-key-for-local-demo-only-0123456789"
_DEV_JWT_KEY = "dev-insecure-jwt-signing-key-for-local-demo-only-9876543210"
SECRET_KEY = env.str("SECRET_KEY") or ("" if PRODUCTION else _DEV_SECRET)
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY") or ("" if PRODUCTION else _DEV_JWT_KEY)
# A comma list; the first key encrypts, all keys decrypt (rotation).
FERNET_KEYS = env.list("FERNET_KEYS") or env.list("FERNET_KEY")
if not FERNET_KEYS and not PRODUCTION:
    FERNET_KEYS = ["ZGV2LWxvY2FsLWZlcm5ldC1rZXktMzItYnl0ZXMtISE="]

if PRODUCTION:
    check_secret("SECRET_KEY", SECRET_KEY, min_length=50)
    check_secret("JWT_SIGNING_KEY", JWT_SIGNING_KEY, min_length=32)
    if JWT_SIGNING_KEY == SECRET_KEY:
        raise ImproperlyConfiguredEnv("JWT_SIGNING_KEY must differ from SECRET_KEY")
    if not FERNET_KEYS:
        raise ImproperlyConfiguredEnv(
            "FERNET_KEYS (or FERNET_KEY) is required in production and is not set"
        )
    for _key in FERNET_KEYS:
        check_secret("FERNET_KEYS" if len(FERNET_KEYS) > 1 else "FERNET_KEY", _key, min_length=44)

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfiguredEnv("DEBUG must be false in production")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfiguredEnv("ALLOWED_HOSTS is required in production and is not set")
# Outside production, without SITE_URL, links follow the port the server runs on (PORT, as
# `make dev PORT=8300` exports it) and, inside a request, the host the browser used
# (platform_core.request_context.site_url).
SITE_URL_FROM_REQUEST = not PRODUCTION and not env.str("SITE_URL")
SITE_URL = (env.str("SITE_URL") or f"http://127.0.0.1:{env.int('PORT', 8000)}").rstrip("/")
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS")
# Development: any http://localhost:<port> front-end (Vite 5173, Next 3000, ...) may call the
# API. Never in production.
CORS_ALLOW_LOCALHOST = env.bool("CORS_ALLOW_LOCALHOST", DJANGO_ENV == "development")
if PRODUCTION and CORS_ALLOW_LOCALHOST:
    raise ImproperlyConfiguredEnv("CORS_ALLOW_LOCALHOST must be false in production")
CORS_ALLOWED_ORIGIN_REGEXES = (
    [r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$"] if CORS_ALLOW_LOCALHOST else []
)
# A browser front-end must be able to send our request headers and read our response headers.
CORS_ALLOW_HEADERS = (*cors_default_headers, "idempotency-key", "x-request-id")
CORS_EXPOSE_HEADERS = ("x-request-id", "retry-after", "idempotent-replayed")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")

# --- Modules (plugins) ------------------------------------------------------------
DEFAULT_MODULES = [
    "platform_core.plugin",
    "modules.identity.plugin",
    "modules.payments.plugin",
    "modules.membership.plugin",
    "modules.booking.plugin",
    "modules.shop.plugin",
    "modules.vouchers.plugin",
    "modules.assistant.plugin",
]
STUDIOZENS_MODULES = env.list("STUDIOZENS_MODULES", DEFAULT_MODULES) + env.list(
    "STUDIOZENS_EXTRA_MODULES"
)
STUDIOZENS_ENTRY_POINTS = env.bool("STUDIOZENS_ENTRY_POINTS", True)
_PLUGINS = discover(STUDIOZENS_MODULES, use_entry_points=STUDIOZENS_ENTRY_POINTS)

INSTALLED_APPS = [
    # Django's admin with our default site (Spanish labels, pesos, sections by role).
    "platform_core.admin_site.StudioZensAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "csp",
    "ninja",
    "ninja_extra",
    "ninja_jwt",
    "ninja_jwt.token_blacklist",
    "django_celery_beat",
    "import_export",
    *installed_apps(_PLUGINS),
]
AUTH_USER_MODEL = user_model(_PLUGINS)

MIDDLEWARE = [
    "platform_core.middleware.RequestIdMiddleware",
    # 413 for an oversize /api/ body before anything reads it (webhooks included).
    "platform_core.middleware.ApiBodyLimitMiddleware",
    # Before CommonMiddleware: either spelling of an /api/ path is routed, never redirected.
    "platform_core.middleware.ApiPathSpellingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "platform_core.csp_header.CSPMiddleware",  # django-csp, the policy text built once
    "platform_core.middleware.ApiErrorShapeMiddleware",
]

ROOT_URLCONF = "studiozens.urls"
# `python manage.py test` runs the pytest suite (studiozens/test_runner.py).
TEST_RUNNER = "studiozens.test_runner.PytestRunner"
WSGI_APPLICATION = "studiozens.wsgi.application"
ASGI_APPLICATION = "studiozens.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# Persistent connections are per thread: under Django's own ASGI handler (a new thread per
# request) a non-zero DB_CONN_MAX_AGE exhausted PostgreSQL's connection limit under load
# (measured: 18.9 % errors at 50 users, docs/performance.md). The web service uses a
# psycopg pool instead (DB_POOL_MAX_SIZE > 0), now with a fixed pool of request threads
# (WEB_THREADS, platform_core.asgi); workers open a connection per task.
DB_CONN_MAX_AGE = env.int("DB_CONN_MAX_AGE", 0)
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", 0)
DB_POOL_TIMEOUT = env.int("DB_POOL_TIMEOUT", 10)
DATABASE_URL = env.str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True
        )
    }
elif env.str("DB_NAME"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": env.str("DB_NAME"),
            "USER": env.str("DB_USER"),
            "PASSWORD": env.str("DB_PASSWORD"),
            "HOST": env.str("DB_HOST", "localhost"),
            "PORT": env.str("DB_PORT", "5432"),
            "CONN_MAX_AGE": DB_CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {"sslmode": env.str("DB_SSLMODE", "prefer")},
        }
    }
elif PRODUCTION:
    raise ImproperlyConfiguredEnv(
        "DATABASE_URL (or DB_NAME/DB_USER/DB_PASSWORD/DB_HOST) is required in production"
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", str(BASE_DIR / "var" / "studiozens.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if USING_POSTGRES and DB_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django requires it with a pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": DB_POOL_TIMEOUT,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Bounded concurrency per web worker (platform_core.concurrency) -------------------------
# Requests running at once per worker; the next ones queue (no thread) up to WEB_QUEUE_LIMIT
# deep for WEB_QUEUE_TIMEOUT seconds, then 503. With the pool, the general lane and the login
# lane together use exactly the pool's connections, so no request waits inside Django for one.
# Chosen from `make load-ladder` (docs/performance.md, "Overload"). 0 turns the limiter off.
WEB_LOGIN_LANE_CONCURRENCY = env.int("WEB_LOGIN_LANE_CONCURRENCY", 1)
WEB_LOGIN_LANE_QUEUE = env.int("WEB_LOGIN_LANE_QUEUE", 200)
WEB_MAX_CONCURRENCY = env.int(
    "WEB_MAX_CONCURRENCY",
    max(1, DB_POOL_MAX_SIZE - WEB_LOGIN_LANE_CONCURRENCY) if DB_POOL_MAX_SIZE > 0 else 8,
)
WEB_QUEUE_LIMIT = env.int("WEB_QUEUE_LIMIT", 200)
WEB_QUEUE_TIMEOUT = env.float("WEB_QUEUE_TIMEOUT", 15.0)
# The routes that hash a password get their own lane (plugins' hashing_routes).
WEB_LOGIN_LANE_PATHS = hashing_paths(_PLUGINS)
WEB_UNLIMITED_PATHS = ["/api/core/health/"]  # liveness never queues
# Threads per worker that run the requests' synchronous work (platform_core.asgi): the lanes'
# slots plus two for the liveness probe, which never queues; 32 with the limiter off.
WEB_THREADS = env.int(
    "WEB_THREADS",
    WEB_MAX_CONCURRENCY + WEB_LOGIN_LANE_CONCURRENCY + 2 if WEB_MAX_CONCURRENCY > 0 else 32,
)

# --- Redis, cache, sessions -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL")
REDIS_SSL_CERT_REQS = env.str("REDIS_SSL_CERT_REQS", "required")
_SSL_REQS = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}
if REDIS_SSL_CERT_REQS not in _SSL_REQS:
    raise ImproperlyConfiguredEnv("REDIS_SSL_CERT_REQS must be required, optional or none")
# Seconds; Redis answers in well under a millisecond, so these only bound an outage.
REDIS_SOCKET_CONNECT_TIMEOUT = env.float("REDIS_SOCKET_CONNECT_TIMEOUT", 0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", 1.0)
# After a failed connection, Redis is not tried again for this long (per process).
REDIS_OUTAGE_BACKOFF_SECONDS = env.float("REDIS_OUTAGE_BACKOFF_SECONDS", 2.0)
# Test processes keep their cache and limiter keys apart from a development server's on the
# same Redis db ("sztest"), and parallel ones (pytest-xdist) from each other ("sztestgw1"):
# one process's version bump or lockout is not another's.
_TEST_WORKER = f"test{env.str('PYTEST_XDIST_WORKER', '')}" if DJANGO_ENV == "test" else ""
if REDIS_URL:
    _pool_kwargs: dict[str, object] = {"max_connections": env.int("REDIS_MAX_CONNECTIONS", 50)}
    if REDIS_URL.startswith("rediss://"):
        _pool_kwargs["ssl_cert_reqs"] = _SSL_REQS[REDIS_SSL_CERT_REQS]
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", "sz") + _TEST_WORKER,  # "sztestgw1"
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor",
                # Short: a request must answer within ~2 s with Redis gone (docs/architecture.md).
                "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_CONNECT_TIMEOUT,
                "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
                "CONNECTION_POOL_KWARGS": _pool_kwargs,
                "CONNECTION_POOL_CLASS": "platform_core.redis_pool.OutageAwareConnectionPool",
                # A Redis outage degrades cache reads to misses (the database answers).
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "studiozens",
        }
    }
# Public catalogs (platform_core.conditional): browsers and a CDN reuse a response this long,
# then revalidate (304 from one cache round trip while nothing changed).
CATALOG_CACHE_MAX_AGE = env.int("CATALOG_CACHE_MAX_AGE", 60)
CATALOG_CACHE_STALE_SECONDS = env.int("CATALOG_CACHE_STALE_SECONDS", 300)
# A catalog body is kept in the shared cache once its URL is rendered a second time within this
# long (platform_core.conditional): one-off URLs leave a marker of a few bytes, not a body.
CATALOG_BODY_SEEN_SECONDS = env.int("CATALOG_BODY_SEEN_SECONDS", 60)
# What those kept bodies may take in the cache, which never evicts (it is the broker): bytes per
# lifetime window (max-age + stale; two windows alive at most) and per body. Past them, rendered.
CATALOG_BODY_BUDGET_BYTES = env.int("CATALOG_BODY_BUDGET_BYTES", 8 * 1024 * 1024)
CATALOG_BODY_MAX_BYTES = env.int("CATALOG_BODY_MAX_BYTES", 512 * 1024)
# cached_db: sessions are served from the cache and survive a Redis outage.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL") or REDIS_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND") or REDIS_URL or None
# Tests run tasks in-process unless a test starts a real worker (tests/... celery worker test).
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL or DJANGO_ENV == "test"
)
if PRODUCTION and (CELERY_TASK_ALWAYS_EAGER or not CELERY_BROKER_URL):
    raise ImproperlyConfiguredEnv(
        "CELERY_BROKER_URL (or REDIS_URL) is required in production; eager mode is for demos"
    )
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", 1000)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_SSL_OPTIONS = {"ssl_cert_reqs": _SSL_REQS[REDIS_SSL_CERT_REQS]}
CELERY_TASK_QUEUES, CELERY_TASK_ROUTES = celery_queues_and_routes(_PLUGINS)
CELERY_TASK_DEFAULT_QUEUE = DEFAULT_QUEUE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 10.0
# Publishing must never hold a request on a dead broker (issue 14: sign-up took 20 s and
# answered 500 with Redis down). One connection attempt with short socket timeouts, one
# publish retry; a failure opens a process-local breaker (platform_core.outbox) for
# CELERY_BROKER_OUTAGE_BACKOFF_SECONDS, and work that must survive is in the task outbox.
# The worker's own consumer connection keeps retrying forever (broker_connection_retry).
_FAST_FAIL = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT,
    "socket_timeout": max(REDIS_SOCKET_TIMEOUT, 2.0),  # above BRPOP's 1 s poll
    **_FAST_FAIL,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_CONNECT_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_OUTAGE_BACKOFF_SECONDS = env.float("CELERY_BROKER_OUTAGE_BACKOFF_SECONDS", 5.0)
# Nothing reads task results except the worker ping (ignore_result=False on that task); a
# result subscription per publish would also retry the result store 20 times (~20 s).
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT,
    "socket_timeout": max(REDIS_SOCKET_TIMEOUT, 2.0),
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
}
# The task outbox (platform_core.outbox): unpublished rows older than this are the relay's.
OUTBOX_RELAY_GRACE_SECONDS = env.int("OUTBOX_RELAY_GRACE_SECONDS", 10)
OUTBOX_KEEP_PUBLISHED_DAYS = env.int("OUTBOX_KEEP_PUBLISHED_DAYS", 7)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "America/Bogota"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
if CELERY_BROKER_URL.startswith("rediss://"):
    CELERY_BROKER_USE_SSL = CELERY_SSL_OPTIONS
if (CELERY_RESULT_BACKEND or "").startswith("rediss://"):
    CELERY_REDIS_BACKEND_USE_SSL = CELERY_SSL_OPTIONS

# --- Auth ---------------------------------------------------------------------------------
# Argon2id with OWASP's parameters; PBKDF2 hashes verify and are re-hashed on the next login
# (docs/performance.md, "Password hashing").
PASSWORD_HASHERS = password_hashers(_PLUGINS, default=global_settings.PASSWORD_HASHERS)
# Hashes running at once per process; the others wait up to PASSWORD_HASH_WAIT_SECONDS, then 503.
PASSWORD_HASH_CONCURRENCY = env.int("PASSWORD_HASH_CONCURRENCY", 1)
PASSWORD_HASH_WAIT_SECONDS = env.float("PASSWORD_HASH_WAIT_SECONDS", 10.0)
if DJANGO_ENV == "test":
    # Hashing cost is not under test; PBKDF2's 1M iterations would dominate the suite.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
JWT_ACCESS_TOKEN_MINUTES = env.int("JWT_ACCESS_TOKEN_MINUTES", 15)
JWT_REFRESH_TOKEN_DAYS = env.int("JWT_REFRESH_TOKEN_DAYS", 7)
NINJA_JWT = {
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ALGORITHM": "HS256",
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=JWT_REFRESH_TOKEN_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "sub",
}
RECAPTCHA_SECRET_KEY = env.str("RECAPTCHA_SECRET_KEY")
RECAPTCHA_SITE_KEY = env.str("RECAPTCHA_SITE_KEY")
RECAPTCHA_MIN_SCORE = env.float("RECAPTCHA_MIN_SCORE", 0.5)
RECAPTCHA_VERIFY_URL = env.str(
    "RECAPTCHA_VERIFY_URL", "https://www.google.com/recaptcha/api/siteverify"
)
RECAPTCHA_TIMEOUT = env.int("RECAPTCHA_TIMEOUT", 5)
# Sign-ups from these countries (GeoIP, GEOIP_PATH) skip reCAPTCHA; empty = everyone solves it.
RECAPTCHA_EXEMPT_COUNTRIES = env.list("RECAPTCHA_EXEMPT_COUNTRIES", ["CO"])
# Phone verification (OTP). Twilio Verify is used when TWILIO_VERIFY_SERVICE_SID is set.
OTP_DEFAULT_CHANNEL = env.str("OTP_DEFAULT_CHANNEL", "sms")  # sms | whatsapp
OTP_CODE_TTL_SECONDS = env.int("OTP_CODE_TTL_SECONDS", 600)
OTP_MAX_CHECKS = env.int("OTP_MAX_CHECKS", 5)
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", 60)
OTP_SENDS_PER_PHONE_PER_HOUR = env.int("OTP_SENDS_PER_PHONE_PER_HOUR", 5)
OTP_SENDS_PER_IP_PER_HOUR = env.int("OTP_SENDS_PER_IP_PER_HOUR", 20)
LOGIN_FAILURES_PER_PHONE = env.int("LOGIN_FAILURES_PER_PHONE", 5)
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", 30)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
DATA_POLICY_VERSION = env.str("DATA_POLICY_VERSION", "2026-01")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "es-co"
# Only languages with a catalogue and message templates are offered (docs/architecture.md).
LANGUAGES = [("es-co", "Español (Colombia)")]
LOCALE_PATHS = [BASE_DIR / "src" / "locale"]
TIME_ZONE = "America/Bogota"
USE_I18N = True
USE_TZ = True
PHONE_DEFAULT_REGION = "CO"
CURRENCY = "COP"

# seed_demo also fills the days around today with activity (agenda, orders, a waiting
# WhatsApp conversation). Off in tests: they book near "now" on the demo catalogue.
SEED_DEMO_ACTIVITY = env.bool("SEED_DEMO_ACTIVITY", DJANGO_ENV != "test")

# --- Admin ------------------------------------------------------------------------------------
# Members of this group (and superusers) are the owner: dashboard and technical sections.
ADMIN_OWNER_GROUP = "admin"
# Third-party apps whose admin sections only the owner sees (modules list theirs in their
# plugin's ``admin_technical``).
ADMIN_TECHNICAL_APPS = ("token_blacklist", "django_celery_beat")

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Uploaded media: local disk in development, object storage in production (storage.py).
MEDIA_STORAGE, _MEDIA_STORAGE_ENTRY = media_storage(env, production=PRODUCTION)
STORAGES = {
    "default": _MEDIA_STORAGE_ENTRY,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# A MaxMind .mmdb (GeoLite2-Country) or a directory holding one: the country on audit entries
# and the reCAPTCHA rule for sign-ups (platform_core/geoip.py). Empty = countries unknown.
GEOIP_PATH = env.str("GEOIP_PATH")

# --- Security ---------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", PRODUCTION)
# The platform's health check calls plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^api/core/health/"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # The API docs page (Swagger UI) loads its bundle from a CDN.
        "script-src": ["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net"],
        "style-src": ["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https://checkout.wompi.co"],
    }
}
# The one limit on a request body (JSON, forms, webhooks alike; uploaded files excluded):
# larger bodies answer 413 payload_too_large in the error shape (docs/api.md).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)

# --- Logging and Sentry -----------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", "INFO").upper()
LOG_SQL_QUERIES = env.bool("LOG_SQL_QUERIES", False)
LOG_JSON = env.bool("LOG_JSON", PRODUCTION)
LOGGING = build_logging(level=LOG_LEVEL, json=LOG_JSON, sql=LOG_SQL_QUERIES)
SENTRY_DSN = env.str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", DJANGO_ENV)
# The roadmap's 10 % of transactions traced in production (render.yaml sets it too).
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", 0.1 if PRODUCTION else 0.0)
if SENTRY_DSN:
    from platform_core.sentry import init_sentry

    init_sentry(
        SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE
    )

# --- Email --------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env.str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "StudioZens <no-reply@studiozens.co>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Twilio (Verify, SMS, WhatsApp) -------------------------------------------------------------
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN")
TWILIO_VERIFY_SERVICE_SID = env.str("TWILIO_VERIFY_SERVICE_SID")
TWILIO_PHONE_NUMBER = env.str("TWILIO_PHONE_NUMBER")
TWILIO_WHATSAPP_NUMBER = env.str("TWILIO_WHATSAPP_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID")
TWILIO_TIMEOUT = env.int("TWILIO_TIMEOUT", 10)
TWILIO_CB_FAILURES = env.int("TWILIO_CB_FAILURES", 5)
TWILIO_CB_TIMEOUT = env.int("TWILIO_CB_TIMEOUT", 60)
# Empty = the real hosts (api.twilio.com, verify.twilio.com). Set to a local fake's URL
# (`manage.py twilio_fake`) to send every SDK request there instead (development, e2e).
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL").rstrip("/")
TWILIO_ENABLED = bool(TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)
TWILIO_WEBHOOK_SHARED_KEY = env.str("TWILIO_WEBHOOK_SHARED_KEY")  # HMAC-SHA256 webhook scheme
# Approved WhatsApp Content templates (used outside the 24-hour window), JSON:
# {"booking_reminder": {"sid": "HX...", "variables": ["client_name", "when"]}} or {"key": "HX..."}.
try:
    TWILIO_CONTENT_SIDS = json.loads(env.str("TWILIO_CONTENT_SIDS") or "{}")
except ValueError as _exc:
    raise ImproperlyConfiguredEnv("TWILIO_CONTENT_SIDS must be a JSON object") from _exc

# --- Notifications, rate limits, idempotency (platform_core) ---------------------------------
NOTIFICATIONS_BACKEND = env.str(
    "NOTIFICATIONS_BACKEND",
    "memory" if DJANGO_ENV == "test" else ("twilio" if TWILIO_ENABLED else "console"),
)
if NOTIFICATIONS_BACKEND not in {"twilio", "console", "memory"}:
    raise ImproperlyConfiguredEnv("NOTIFICATIONS_BACKEND must be twilio, console or memory")
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", 5)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", 30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", 3600)
NOTIFICATION_RELAY_GRACE_SECONDS = env.int("NOTIFICATION_RELAY_GRACE_SECONDS", 60)
# How long a claimed send stays with its worker (the provider call runs outside the row
# lock); past it the relay may send the row again. Above the adapters' timeouts.
NOTIFICATION_SEND_LEASE_SECONDS = env.int("NOTIFICATION_SEND_LEASE_SECONDS", 120)
RATELIMIT_ENABLED = env.bool("RATELIMIT_ENABLED", True)
RATELIMIT_FAIL_OPEN = env.bool("RATELIMIT_FAIL_OPEN", True)
# Proxies in front of the app, each appending to X-Forwarded-For (render.yaml: 1). The client
# address is the entry the outermost trusted proxy appended, counted from the right; with 0
# the header is ignored (platform_core.request_context.client_ip). Never more than there are.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfiguredEnv("TRUSTED_PROXY_COUNT must be 0 or more")
RATELIMIT_KEY_PREFIX = env.str("RATELIMIT_KEY_PREFIX", "sz:rl:") + (
    f"{_TEST_WORKER}:" if _TEST_WORKER else ""
)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", 120)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", 10.0)
ENCRYPTION_ROTATION_BATCH_SIZE = env.int("ENCRYPTION_ROTATION_BATCH_SIZE", 500)

# --- Wompi ---------------------------------------------------------------------------------------
WOMPI_ENVIRONMENT = env.str("WOMPI_ENVIRONMENT", "test")  # "test" (sandbox) or "prod"
if WOMPI_ENVIRONMENT not in {"test", "prod"}:
    raise ImproperlyConfiguredEnv("WOMPI_ENVIRONMENT must be test or prod")
_WOMPI_PROD = WOMPI_ENVIRONMENT == "prod"
# The API hosts follow the environment, so production keys never meet a sandbox URL.
WOMPI_BASE_URL = env.str(
    "WOMPI_BASE_URL",
    "https://production.wompi.co/v1" if _WOMPI_PROD else "https://sandbox.wompi.co/v1",
).rstrip("/")
WOMPI_PUBLIC_KEY = env.str("WOMPI_PUBLIC_KEY", "" if PRODUCTION else "pub_test_local_sandbox")
WOMPI_PRIVATE_KEY = env.str("WOMPI_PRIVATE_KEY", "" if PRODUCTION else "prv_test_local_sandbox")
WOMPI_EVENT_SECRET = env.str(
    "WOMPI_EVENT_SECRET", "" if PRODUCTION else "test_events_local_sandbox"
)
WOMPI_INTEGRITY_SECRET = env.str(
    "WOMPI_INTEGRITY_SECRET", "" if PRODUCTION else "test_integrity_local_sandbox"
)
WOMPI_REDIRECT_URL = env.str("WOMPI_REDIRECT_URL", f"{SITE_URL}/pago/resultado")
WOMPI_CHECKOUT_URL = env.str("WOMPI_CHECKOUT_URL", "https://checkout.wompi.co/p/")
WOMPI_TIMEOUT = env.int("WOMPI_TIMEOUT", 10)
WOMPI_PAYOUT_BASE_URL = env.str(
    "WOMPI_PAYOUT_BASE_URL",
    "https://api.payouts.wompi.co/v1" if _WOMPI_PROD else "https://api.sandbox.payouts.wompi.co/v1",
).rstrip("/")
WOMPI_PAYOUT_PRIVATE_KEY = env.str("WOMPI_PAYOUT_PRIVATE_KEY")
WOMPI_PAYOUT_USER_PRINCIPAL_ID = env.str("WOMPI_PAYOUT_USER_PRINCIPAL_ID")
WOMPI_PAYOUT_ACCOUNT_ID = env.str("WOMPI_PAYOUT_ACCOUNT_ID")
WOMPI_PAYOUT_EVENT_SECRET = env.str("WOMPI_PAYOUT_EVENT_SECRET")
WOMPI_DEVELOPER_DESTINATION = env.str("WOMPI_DEVELOPER_DESTINATION")
DEVELOPER_COMMISSION_PERCENT = env.float("DEVELOPER_COMMISSION_PERCENT", 0.0)
DEVELOPER_PAYOUT_THRESHOLD_CENTS = env.int("DEVELOPER_PAYOUT_THRESHOLD_CENTS", 10_000_000)
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", 10)
# "sandbox": the in-process local Wompi (no accounts needed); "wompi": the real HTTP API
# (point WOMPI_BASE_URL at `manage.py wompi_sandbox` to use the local HTTP sandbox).
WOMPI_ADAPTER = env.str("WOMPI_ADAPTER", "wompi" if PRODUCTION else "sandbox")
if WOMPI_ADAPTER not in {"sandbox", "wompi"}:
    raise ImproperlyConfiguredEnv("WOMPI_ADAPTER must be sandbox or wompi")
if PRODUCTION and WOMPI_ADAPTER != "wompi":
    raise ImproperlyConfiguredEnv("WOMPI_ADAPTER must be wompi in production")
WOMPI_SANDBOX_CHECKOUT_URL = env.str(
    "WOMPI_SANDBOX_CHECKOUT_URL", f"{SITE_URL}/api/finances/sandbox/p/"
)
WOMPI_CB_FAILURES = env.int("WOMPI_CB_FAILURES", 5)
WOMPI_CB_TIMEOUT = env.int("WOMPI_CB_TIMEOUT", 60)
PAYMENT_CHECKOUT_EXPIRY_MINUTES = env.int("PAYMENT_CHECKOUT_EXPIRY_MINUTES", 60)
VIP_DEFAULT_PRICE_CENTS = env.int("VIP_DEFAULT_PRICE_CENTS", 9_900_000)
VIP_DUNNING_RETRY_DAYS = [int(d) for d in env.list("VIP_DUNNING_RETRY_DAYS", ["1", "3", "5"])]
if PRODUCTION:
    for _name in (
        "WOMPI_PUBLIC_KEY",
        "WOMPI_PRIVATE_KEY",
        "WOMPI_EVENT_SECRET",
        "WOMPI_INTEGRITY_SECRET",
    ):
        check_secret(_name, globals()[_name], min_length=16)

# --- Gemini (WhatsApp assistant) --------------------------------------------------------------
GEMINI_API_KEY = env.str("GEMINI_API_KEY")
GEMINI_MODEL = env.str("GEMINI_MODEL", "gemini-3.5-flash")
GEMINI_TIMEOUT = env.int("GEMINI_TIMEOUT", 20)
GEMINI_REQUESTS_PER_MINUTE = env.int("GEMINI_REQUESTS_PER_MINUTE", 60)
# Empty = Google's endpoint. Set to a local fake's URL (`manage.py gemini_fake`) in dev/e2e.
GEMINI_BASE_URL = env.str("GEMINI_BASE_URL")

# --- Assistant (WhatsApp concierge) --------------------------------------------------------------
# Token that validates X-Twilio-Signature on the inbound webhook. Outside production, without
# TWILIO_AUTH_TOKEN, a local dev token keeps the check running (bot_chat signs with it).
ASSISTANT_WEBHOOK_AUTH_TOKEN = TWILIO_AUTH_TOKEN or (
    "" if PRODUCTION else env.str("ASSISTANT_DEV_TWILIO_AUTH_TOKEN", "dev-local-twilio-auth-token")
)
ASSISTANT_MAX_TOOL_ROUNDS = env.int("ASSISTANT_MAX_TOOL_ROUNDS", 4)
ASSISTANT_HISTORY_TURNS = env.int("ASSISTANT_HISTORY_TURNS", 12)
ASSISTANT_HISTORY_HOURS = env.int("ASSISTANT_HISTORY_HOURS", 24)
ASSISTANT_CONFIRMATION_MINUTES = env.int("ASSISTANT_CONFIRMATION_MINUTES", 10)
ASSISTANT_MESSAGES_PER_WINDOW = env.int("ASSISTANT_MESSAGES_PER_WINDOW", 20)
ASSISTANT_RATE_WINDOW_SECONDS = env.int("ASSISTANT_RATE_WINDOW_SECONDS", 300)
ASSISTANT_MENU_MINUTES = env.int("ASSISTANT_MENU_MINUTES", 30)
# Attempts per Gemini request (our own retries, each one budgeted; the SDK's are off).
ASSISTANT_GEMINI_ATTEMPTS = env.int("ASSISTANT_GEMINI_ATTEMPTS", 2)
ASSISTANT_GEMINI_BACKOFF_SECONDS = env.float("ASSISTANT_GEMINI_BACKOFF_SECONDS", 0.5)
ASSISTANT_GEMINI_CB_FAILURES = env.int("ASSISTANT_GEMINI_CB_FAILURES", 5)
ASSISTANT_GEMINI_CB_RESET_SECONDS = env.int("ASSISTANT_GEMINI_CB_RESET_SECONDS", 60)
# Handoff to a person: who is alerted (once per handoff, on their preferred channel:
# WhatsApp or email) and how long a handoff may wait for a staff reply before the
# assistant takes the conversation back and tells the client (beat, every 5 minutes).
ASSISTANT_HANDOFF_ALERT_ROLES = tuple(env.list("ASSISTANT_HANDOFF_ALERT_ROLES", ["reception"]))
ASSISTANT_HANDOFF_TIMEOUT_MINUTES = env.int("ASSISTANT_HANDOFF_TIMEOUT_MINUTES", 30)
ASSISTANT_SIGNUP_URL = env.str("ASSISTANT_SIGNUP_URL", f"{SITE_URL}/registro")
# Bounded work (docs/assistant.md): a message whose processing fails is tried at most
# ASSISTANT_MAX_ATTEMPTS times, the sweep waiting ASSISTANT_RETRY_BASE_SECONDS × 2^(n-1)
# between tries, then handed to staff with the reason. The sweep looks at messages older
# than ASSISTANT_REQUEUE_AFTER_SECONDS and younger than ASSISTANT_REQUEUE_MAX_AGE_HOURS.
ASSISTANT_MAX_ATTEMPTS = env.int("ASSISTANT_MAX_ATTEMPTS", 3)
ASSISTANT_RETRY_BASE_SECONDS = env.int("ASSISTANT_RETRY_BASE_SECONDS", 60)
ASSISTANT_REQUEUE_AFTER_SECONDS = env.int("ASSISTANT_REQUEUE_AFTER_SECONDS", 120)
ASSISTANT_REQUEUE_MAX_AGE_HOURS = env.int("ASSISTANT_REQUEUE_MAX_AGE_HOURS", 6)
# Gemini requests (each HTTP attempt, retries included) one number may cause per day; past
# it that number is answered by the fallback until midnight (Bogotá).
ASSISTANT_GEMINI_PER_NUMBER_PER_DAY = env.int("ASSISTANT_GEMINI_PER_NUMBER_PER_DAY", 150)
ASSISTANT_SHORT_LINK_HOURS = env.int("ASSISTANT_SHORT_LINK_HOURS", 48)
ASSISTANT_SPA_ADDRESS = env.str(
    "ASSISTANT_SPA_ADDRESS", "Calle 93 # 11-27, Chicó, Bogotá (frente al Parque de la 93)"
)
ASSISTANT_SPA_PERSONA = env.str(
    "ASSISTANT_SPA_PERSONA",
    "Eres Zen, la asistente virtual de StudioZens, un spa en Bogotá. Hablas en español de "
    "Colombia, con calidez y frases cortas, y tuteas al cliente.",
)
ASSISTANT_OPENING_HOURS = env.str(
    "ASSISTANT_OPENING_HOURS",
    "Lunes a viernes de 8:00 a. m. a 8:00 p. m.; sábados de 9:00 a. m. a 6:00 p. m.; "
    "domingos y festivos de 10:00 a. m. a 4:00 p. m.",
)
ASSISTANT_POLICIES = env.str(
    "ASSISTANT_POLICIES",
    "Las citas se pueden cancelar o reprogramar sin costo hasta 24 horas antes. Algunas "
    "reservas requieren un anticipo que se paga con Wompi. Llega 10 minutos antes de tu cita.",
)

# --- Business rules -------------------------------------------------------------------------------
APPOINTMENT_HOLD_MINUTES = env.int("APPOINTMENT_HOLD_MINUTES", 20)
CANCELLATION_WINDOW_HOURS = env.int("CANCELLATION_WINDOW_HOURS", 24)
# Booking: start-time grid, how soon / how far ahead clients may book, reminder offsets.
BOOKING_SLOT_GRANULARITY_MINUTES = env.int("BOOKING_SLOT_GRANULARITY_MINUTES", 15)
BOOKING_MIN_LEAD_MINUTES = env.int("BOOKING_MIN_LEAD_MINUTES", 60)
BOOKING_MAX_HORIZON_DAYS = env.int("BOOKING_MAX_HORIZON_DAYS", 90)
BOOKING_REMINDER_HOURS = [int(h) for h in env.list("BOOKING_REMINDER_HOURS", ["24", "2"])]
BOOKING_AVAILABILITY_CACHE_SECONDS = env.int("BOOKING_AVAILABILITY_CACHE_SECONDS", 300)
# Waitlist: how long each waitlisted client has to accept a freed slot before it cascades.
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", 15)
ORDER_HOLD_MINUTES = env.int("ORDER_HOLD_MINUTES", 30)
DELIVERY_FEE_CENTS = env.int("DELIVERY_FEE_CENTS", 1_000_000)

# --- Shop -----------------------------------------------------------------------------------
# Availability shows "low" at or below this many units (a product may override it).
SHOP_LOW_STOCK_THRESHOLD = env.int("SHOP_LOW_STOCK_THRESHOLD", 3)
# Most units of one product a cart line may hold.
SHOP_MAX_LINE_QUANTITY = env.int("SHOP_MAX_LINE_QUANTITY", 20)

if PRODUCTION:
    for _name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        check_secret(_name, globals()[_name], min_length=16)
    # Each module's own production checks (e.g. payments: a payable payout destination).
    for _plugin in _PLUGINS:
        if _plugin.settings_check:
            _problems = resolve_plugin_path(_plugin.settings_check)(dict(globals()))
            if _problems:
                raise ImproperlyConfiguredEnv(f"{_plugin.name}: " + " | ".join(_problems))
