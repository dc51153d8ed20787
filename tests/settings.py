"""Test configuration: the production settings module, with a real Redis found or started
(tests/redis_server.py) and a per-run key prefix so parallel runs never see each other."""

import os
import uuid

from tests.redis_server import ensure_redis_url

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("REALTIME_PREFIX", f"test-{uuid.uuid4().hex[:8]}")
os.environ.setdefault("REALTIME_COALESCE_MS", "200")
os.environ.setdefault("REALTIME_WATCHDOG_SECONDS", "1")
os.environ.setdefault("REALTIME_PRESENCE_SECONDS", "1")
ensure_redis_url()

from config.settings import *  # noqa: E402, F403
from config.settings import BASE_DIR, DATABASES  # noqa: E402

# A file, not :memory:, so that Daphne processes started by e2e tests share the test database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# Throttle counters must not leak from one test to the next: a local cache, cleared per test
# (tests/conftest.py). The Redis-backed cache is exercised by its own tests.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
