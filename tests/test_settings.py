"""config/settings.py as production runs it: each case in a fresh interpreter with only the
environment it names (the test process's own settings are tests/settings.py)."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "ALLOWED_HOSTS": "summit.example.org",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}

DUMP = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS,
    "TRUSTED_PROXIES": s.TRUSTED_PROXIES,
    "CHANNEL_LAYERS": s.CHANNEL_LAYERS,
    "CACHE_BACKEND": s.CACHES["default"]["BACKEND"],
    "DATABASE_ENGINE": s.DATABASES["default"]["ENGINE"],
    "DATABASE_NAME": s.DATABASES["default"]["NAME"],
    "DATABASE_POOL": s.DATABASES["default"].get("OPTIONS", {}).get("pool"),
    "DATABASE_CONN_MAX_AGE": s.DATABASES["default"].get("CONN_MAX_AGE"),
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "STATIC_ROOT": str(s.STATIC_ROOT),
}))
"""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run Python with a clean environment: PATH and HOME, plus `env`."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def dump(env: dict[str, str]) -> dict:
    result = run(["-c", DUMP], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def secret_key() -> str:
    return secrets.token_urlsafe(50)


def test_check_deploy_clean_with_production_env():
    env = {**PRODUCTION_ENV, "SECRET_KEY": secret_key()}

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_check_deploy_clean_with_redis_and_postgres_env():
    env = {
        **PRODUCTION_ENV,
        "SECRET_KEY": secret_key(),
        "DATABASE_URL": "postgres://hoithao:pw@db:5432/hoithao",
        "REDIS_URL": "redis://redis:6379/0",
    }

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_settings_missing_secret_key_without_debug_fails_loudly():
    env = {k: v for k, v in PRODUCTION_ENV.items()}

    result = run(["manage.py", "check"], env)

    assert result.returncode == 1
    assert "SECRET_KEY must be set when DJANGO_DEBUG is off." in result.stderr


def test_settings_missing_allowed_hosts_without_debug_fails_loudly():
    env = {
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secret_key(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }

    result = run(["manage.py", "check"], env)

    assert result.returncode == 1
    assert "ALLOWED_HOSTS must be set when DJANGO_DEBUG is off." in result.stderr


def test_settings_empty_allowed_hosts_without_debug_fails_loudly():
    env = {**PRODUCTION_ENV, "SECRET_KEY": secret_key(), "ALLOWED_HOSTS": " , "}

    result = run(["manage.py", "check"], env)

    assert result.returncode == 1
    assert "ALLOWED_HOSTS must be set when DJANGO_DEBUG is off." in result.stderr


def test_settings_debug_runs_without_any_env():
    values = dump({"DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"})

    assert values["DEBUG"] is True
    assert values["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert values["CHANNEL_LAYERS"] == {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }
    assert values["CACHE_BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["DATABASE_ENGINE"] == "django.db.backends.sqlite3"
    assert values["DATABASE_NAME"] == str(ROOT / "db.sqlite3")
    assert values["SECURE_SSL_REDIRECT"] is False


def test_settings_production_env_lists_parsed():
    values = dump(
        {
            **PRODUCTION_ENV,
            "SECRET_KEY": secret_key(),
            "ALLOWED_HOSTS": "summit.example.org, www.summit.example.org",
            "CSRF_TRUSTED_ORIGINS": "https://summit.example.org",
            "TRUSTED_PROXIES": "172.18.0.5",
            "STATIC_ROOT": "/srv/static",
        }
    )

    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["summit.example.org", "www.summit.example.org"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://summit.example.org"]
    assert values["TRUSTED_PROXIES"] == ["172.18.0.5"]
    assert values["STATIC_ROOT"] == "/srv/static"
    assert values["SECURE_SSL_REDIRECT"] is True


def test_settings_redis_url_switches_layer_and_cache():
    values = dump(
        {**PRODUCTION_ENV, "SECRET_KEY": secret_key(), "REDIS_URL": "redis://redis:6379/0"}
    )

    layer = values["CHANNEL_LAYERS"]["default"]
    assert layer["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    (host,) = layer["CONFIG"]["hosts"]
    assert host["address"] == "redis://redis:6379/0"
    # redis-py's 5 s socket timeout would kill idle pub/sub readers (channels_redis #422).
    assert host["socket_timeout"] is None
    assert host["max_connections"] > 100
    assert values["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_settings_database_url_switches_to_postgresql():
    values = dump(
        {
            **PRODUCTION_ENV,
            "SECRET_KEY": secret_key(),
            "DATABASE_URL": "postgres://hoithao:pw@db:5432/hoithao",
        }
    )

    assert values["DATABASE_ENGINE"] == "django.db.backends.postgresql"
    assert values["DATABASE_NAME"] == "hoithao"


POSTGRES_ENV = {**PRODUCTION_ENV, "DATABASE_URL": "postgres://hoithao:pw@db:5432/hoithao"}


def test_settings_postgresql_pool_is_on_by_default_within_the_connection_budget():
    """Two processes, PostgreSQL's default 100 connections: each process pools at most 40, so
    a burst waits for a connection instead of opening its own ("too many clients": issue 10)."""
    values = dump({**POSTGRES_ENV, "SECRET_KEY": secret_key()})

    assert values["DATABASE_POOL"] == {"min_size": 2, "max_size": 40, "timeout": 10}
    assert values["DATABASE_CONN_MAX_AGE"] == 0


def test_settings_pool_size_is_the_budget_shared_by_the_processes():
    sizes = {
        (processes, budget): dump(
            {
                **POSTGRES_ENV,
                "SECRET_KEY": secret_key(),
                "APP_PROCESSES": processes,
                "DATABASE_MAX_CONNECTIONS": budget,
            }
        )["DATABASE_POOL"]["max_size"]
        for processes, budget in [("4", "100"), ("8", "100"), ("2", "30"), ("64", "100")]
    }

    # (budget - 10 kept for migrations, shells and probes) // processes, between 2 and 40.
    assert sizes == {("4", "100"): 22, ("8", "100"): 11, ("2", "30"): 10, ("64", "100"): 2}


def test_settings_web_concurrency_counts_processes_and_explicit_pool_size_wins():
    concurrency = dump({**POSTGRES_ENV, "SECRET_KEY": secret_key(), "WEB_CONCURRENCY": "3"})
    explicit = dump({**POSTGRES_ENV, "SECRET_KEY": secret_key(), "DATABASE_POOL_SIZE": "20"})
    off = dump({**POSTGRES_ENV, "SECRET_KEY": secret_key(), "DATABASE_POOL_SIZE": "0"})

    assert concurrency["DATABASE_POOL"]["max_size"] == 30
    assert explicit["DATABASE_POOL"]["max_size"] == 20
    assert off["DATABASE_POOL"] is None


def test_settings_time_zone_hanoi():
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert settings.USE_TZ is True


def test_settings_languages_vietnamese_default_and_english():
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _name in settings.LANGUAGES] == ["vi", "en"]
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


def test_readme_documents_every_env_name_settings_read():
    source = (ROOT / "config" / "settings.py").read_text()
    names = set(
        re.findall(
            r"""(?:os\.environ\.get|env_bool|env_int|env_list)\(\s*["']([A-Z0-9_]+)["']""", source
        )
    )
    readme = (ROOT / "README.md").read_text()

    assert len(names) >= 20
    assert {name for name in names if f"| `{name}` |" not in readme} == set()
