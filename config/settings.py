"""The one settings module. Every knob comes from the environment; the embedded defaults
run a single local process on SQLite with the in-memory channel layer."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "live",
    "qa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: the chain above runs synchronously in one thread (config/middleware.py).
    "config.middleware.SyncMiddlewareChain",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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

# Database: SQLite file by default, PostgreSQL (psycopg 3) when DATABASE_URL is set.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # 0 by default: under Daphne every request runs in a thread of its own (asgiref's
    # ThreadSensitiveContext), so a kept connection is never reused, only piles up; 50 phones
    # joining at once exhausted PostgreSQL's 100 connections with 60 (bench/, issue 6).
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0)
        )
    }
    # A bounded pool per process, on by default: a burst of HTTP requests (each in a thread
    # of its own under Daphne) waits for a pooled connection instead of opening its own; 300
    # phones voting over HTTP at once on two processes got 199 "too many clients" without it
    # (issue 10). The size is this process's share of PostgreSQL's connection budget:
    # (DATABASE_MAX_CONNECTIONS - DATABASE_RESERVED_CONNECTIONS) // APP_PROCESSES, between 2
    # and 40 (more connections than that only contend for the same two cores). A request that
    # waits DATABASE_POOL_TIMEOUT seconds answers 503 with Retry-After (live/api_errors.py).
    # DATABASE_POOL_SIZE overrides the size; 0 turns the pool off.
    APP_PROCESSES = max(1, env_int("APP_PROCESSES", env_int("WEB_CONCURRENCY", 2)))
    DATABASE_MAX_CONNECTIONS = env_int("DATABASE_MAX_CONNECTIONS", 100)
    DATABASE_RESERVED_CONNECTIONS = 10  # migrations, manage.py shells, psql, monitoring
    DATABASE_POOL_SIZE = env_int(
        "DATABASE_POOL_SIZE",
        min(
            40, max(2, (DATABASE_MAX_CONNECTIONS - DATABASE_RESERVED_CONNECTIONS) // APP_PROCESSES)
        ),
    )
    if DATABASE_POOL_SIZE > 0 and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        # A pooled connection is checked before use: after a database restart a stale one is
        # replaced instead of failing a request.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DATABASE_POOL_SIZE),
            "max_size": DATABASE_POOL_SIZE,
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Several writers (Daphne threads, tests' server processes) share the file.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis carries the channel layer, the real-time streams and the cache (throttles).
REDIS_URL = os.environ.get("REDIS_URL", "")
# redis-py 8 defaults to a 100-connection pool and a 5 s socket timeout; an idle pub/sub
# reader would be killed after 5 s and a burst of joins refused (channels_redis issue 422).
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 1000)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "socket_connect_timeout": 5,
                        "max_connections": REDIS_MAX_CONNECTIONS,
                    }
                ],
                "prefix": os.environ.get("REALTIME_PREFIX", "hoithao") + ":layer",
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("REALTIME_PREFIX", "hoithao"),
            "OPTIONS": {
                "max_connections": REDIS_MAX_CONNECTIONS,
                "pool_class": "config.redis_pool.SharedConnectionPool",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Real-time streams (live/realtime): key prefix in Redis, history kept per stream,
# coalescing window for vote tallies, per-socket outgoing queue bound.
REALTIME = {
    "PREFIX": os.environ.get("REALTIME_PREFIX", "hoithao"),
    "HISTORY": env_int("REALTIME_HISTORY", 500),
    # The window in which changes marked for coalescing (vote tallies) become one message.
    "COALESCE_MS": env_int("REALTIME_COALESCE_MS", 500),
    "SOCKET_QUEUE": env_int("REALTIME_SOCKET_QUEUE", 256),
    "WATCHDOG_SECONDS": env_int("REALTIME_WATCHDOG_SECONDS", 5),
    "CLOCK_SECONDS": env_int("REALTIME_CLOCK_SECONDS", 30),
    "PRESENCE_SECONDS": env_int("REALTIME_PRESENCE_SECONDS", 3),
    # How often each process looks whether this minute's connection sample (the event
    # report's chart) is taken; one process takes it.
    "SAMPLE_SECONDS": env_int("REALTIME_SAMPLE_SECONDS", 20),
    "MAX_FRAME_BYTES": 4096,
    # Bytes waiting in the server's buffer for one socket before that client counts as too slow.
    "MAX_BACKLOG_BYTES": env_int("REALTIME_MAX_BACKLOG_BYTES", 1 << 20),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# A hall of phones opens the same phone page within a minute: each process serves it from
# the cache for this long after rendering it (per event, session and language). 0: off.
PHONE_PAGE_CACHE_SECONDS = env_int("PHONE_PAGE_CACHE_SECONDS", 5)
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # A phone's X-Participant-Token: request.auth is the Participant, the user anonymous.
        "qa.authentication.ParticipantAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every error as {"code", "detail"} (live/api_errors.py).
    "EXCEPTION_HANDLER": "live.api_errors.api_exception_handler",
    # JSON bounded in size and depth before parsing (live/parsers.py); forms for sign-in.
    "DEFAULT_PARSER_CLASSES": [
        "live.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_THROTTLE_RATES": {
        "participant_question": os.environ.get("THROTTLE_PARTICIPANT_QUESTION", "5/min"),
        "participant_vote": os.environ.get("THROTTLE_PARTICIPANT_VOTE", "60/min"),
        "ip_question": os.environ.get("THROTTLE_IP_QUESTION", "600/min"),
        "ip_vote": os.environ.get("THROTTLE_IP_VOTE", "6000/min"),
        # New identities per address, three windows together (qa/throttles.JOIN_SCOPES):
        # a hall of 2,000 phones may share one NAT address and join in the same minute; a
        # script gets that burst, then waits for the window instead of taking the hour's
        # quota in seconds.
        "ip_join_burst": os.environ.get("THROTTLE_IP_JOIN_BURST", "2500/10min"),
        "ip_join": os.environ.get("THROTTLE_IP_JOIN", "3000/hour"),
        # ...and over a day: a whole summit day of re-joins, not a script's tens of thousands.
        "ip_join_day": os.environ.get("THROTTLE_IP_JOIN_DAY", "10000/day"),
        # Moderator sign-in (POST /api/v1/auth/token/): password guessing.
        "ip_auth": os.environ.get("THROTTLE_IP_AUTH", "30/min"),
    },
}
# The client IP comes from X-Forwarded-For only when the request's peer is this proxy.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# /metrics (live/metrics.py): answered to callers from these networks (the client address as
# above: X-Forwarded-For only from TRUSTED_PROXIES) or bearing `Authorization: Bearer
# <METRICS_TOKEN>`; anyone else gets 403. Each process is scraped on its own (docs/operations.md).
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# Forget attendees' names this many days after an event's last day (`manage.py
# anonymise_event --due`, run daily by cron or the compose stack); empty: never by itself.
ANONYMISE_AFTER_DAYS = (
    int(os.environ["ANONYMISE_AFTER_DAYS"]) if os.environ.get("ANONYMISE_AFTER_DAYS") else None
)

# Machine translation suggestions for moderators (qa/translation.py): a server speaking the
# LibreTranslate HTTP API on the venue LAN (the compose profile `translate`). Empty: no
# suggestions, everything else works. Asked after commit, off the request path, with this
# timeout in seconds.
TRANSLATE_URL = os.environ.get("TRANSLATE_URL", "").strip().rstrip("/")
TRANSLATE_API_KEY = os.environ.get("TRANSLATE_API_KEY", "")
TRANSLATE_TIMEOUT = float(os.environ.get("TRANSLATE_TIMEOUT", "5"))

SPECTACULAR_SETTINGS = {
    "TITLE": "Hội thảo Live Q&A API",
    "DESCRIPTION": "Audience and moderator API of the live Q&A backend.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # No internet at the venue: Swagger UI is served from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "QuestionStatusEnum": "qa.enums.QuestionStatus",
        "QuestionActionEnum": "qa.enums.QuestionAction",
        "QuestionLanguageEnum": "qa.models.QuestionLanguage",
        "BulkActionEnum": "qa.enums.BULK_ACTIONS",
        "PollStateEnum": "qa.enums.PollState",
        "PollKindEnum": "qa.enums.PollKind",
        "SessionStatusEnum": "live.enums.SessionStatus",
        "ModerationModeEnum": "live.enums.ModerationMode",
    },
}

# Production hardening; `manage.py check --deploy` is clean with DJANGO_DEBUG off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# The probes answer the load balancer, /metrics the scraper, on plain HTTP (config/views.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
