"""docker-compose.yml, deploy/nginx.conf and the Dockerfile: the production shape holds
together, and every environment variable it sets is one that config/settings.py reads."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
APP_IMAGE = "hoithao-live:latest"
APP_SERVICES = {"migrate", "app1", "app2", "housekeeping"}

ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_bool|env_int|env_list)\(\s*["']([A-Z0-9_]+)["']"""
)

COMPOSE_ENV = {
    "SECRET_KEY": "a-long-random-secret-key-for-the-compose-test-0123456789",
    "ALLOWED_HOSTS": "summit.example.org",
    "POSTGRES_PASSWORD": "pw",
}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def settings_env_names() -> set[str]:
    return set(ENV_READ.findall((ROOT / "config" / "settings.py").read_text()))


def app_services(config: dict) -> dict:
    return {
        name: service
        for name, service in config["services"].items()
        if "build" in service or service.get("image") == APP_IMAGE
    }


def test_settings_env_scan_finds_the_known_names():
    names = settings_env_names()

    assert {
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_DEBUG",
        "CSRF_TRUSTED_ORIGINS",
        "TRUSTED_PROXIES",
        "STATIC_ROOT",
        "SECURE_SSL_REDIRECT",
    } <= names


def test_compose_app_env_names_all_read_by_settings():
    config = compose()
    read = settings_env_names()

    services = app_services(config)

    assert set(services) == APP_SERVICES
    for name, service in services.items():
        env = service["environment"]
        assert isinstance(env, dict), name
        assert set(env) - read == set(), name
        assert env["DJANGO_DEBUG"] == "0"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["DATABASE_URL"].endswith("@db:5432/${POSTGRES_DB:-hoithao}")
        assert env["STATIC_ROOT"] == "/srv/static"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert env["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS:?")


def test_compose_shape_two_replicas_behind_nginx():
    config = compose()
    services = config["services"]

    assert config["version"] == "3.8"
    assert set(services) == {
        "db",
        "redis",
        "migrate",
        "app1",
        "app2",
        "housekeeping",
        "translate",
        "nginx",
    }
    assert "anonymise_event --due" in " ".join(services["housekeeping"]["command"])
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["app1"]["build"] == services["app2"]["build"] == "."
    for replica in ("app1", "app2"):
        assert services[replica]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
    nginx = services["nginx"]
    assert set(nginx["depends_on"]) == {"app1", "app2"}
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    # nginx serves the files the migrate service collected, from the same volume.
    assert "static:/srv/static:ro" in nginx["volumes"]
    assert "static:/srv/static" in services["migrate"]["volumes"]
    assert set(config["volumes"]) == {"pgdata", "static", "ltmodels"}


def test_compose_translate_service_is_optional_libretranslate_for_en_and_vi():
    """Issue 14: started only with `--profile translate`; nothing depends on it (no server:
    no suggestions, everything else works); the app finds it through TRANSLATE_URL."""
    config = compose()
    services = config["services"]
    translate = services["translate"]

    assert translate["image"].startswith("libretranslate/libretranslate:")
    assert translate["profiles"] == ["translate"]
    assert translate["environment"]["LT_LOAD_ONLY"] == "en,vi"
    assert "ltmodels:/home/libretranslate/.local" in translate["volumes"]
    assert all("translate" not in s.get("depends_on", {}) for s in services.values())
    assert all("profiles" not in s for name, s in services.items() if name != "translate")
    for name, service in app_services(config).items():
        env = service["environment"]
        assert env["TRANSLATE_URL"] == "${TRANSLATE_URL:-}", name
        assert env["TRANSLATE_TIMEOUT"] == "${TRANSLATE_TIMEOUT:-5}", name


def test_compose_database_budget_matches_postgres_and_the_replicas():
    """The pool per process comes from these two (config/settings.py): the replicas' share of
    PostgreSQL's max_connections, so a burst of HTTP requests waits for a connection instead
    of being refused ("too many clients")."""
    config = compose()
    services = config["services"]
    command = services["db"]["command"]
    max_connections = command[command.index("-c") + 1].split("=")

    # migrate and housekeeping are commands, not servers: they fit in the 10 connections
    # config/settings.py keeps out of the replicas' pools.
    commands = {"migrate", "housekeeping"}
    replicas = [name for name in app_services(config) if name not in commands]
    env = services["app1"]["environment"]

    assert max_connections[0] == "max_connections"
    assert (
        env["DATABASE_MAX_CONNECTIONS"] == max_connections[1] == "${DATABASE_MAX_CONNECTIONS:-200}"
    )
    assert env["APP_PROCESSES"] == str(len(replicas))
    assert "DATABASE_POOL_SIZE" not in env  # derived from the two above, unless .env sets it


def test_compose_app_healthcheck_is_readiness():
    config = compose()

    for name in ("app1", "app2"):
        test = config["services"][name]["healthcheck"]["test"]
        assert test[0] == "CMD" and "/readyz" in " ".join(test)
    assert config["services"]["nginx"]["depends_on"] == {
        "app1": {"condition": "service_healthy"},
        "app2": {"condition": "service_healthy"},
    }


def test_compose_trusted_proxies_default_is_the_backend_subnet():
    config = compose()

    subnet = config["networks"]["backend"]["ipam"]["config"][0]["subnet"]

    assert app_services(config)["app1"]["environment"]["TRUSTED_PROXIES"] == (
        "${TRUSTED_PROXIES:-" + subnet + "}"
    )
    assert all(s["networks"] == ["backend"] for s in config["services"].values())


def test_nginx_conf_proxies_websockets_and_forwards_client_headers():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()

    assert "server app1:8000" in conf and "server app2:8000" in conf
    assert conf.count("proxy_set_header Upgrade $http_upgrade;") == 2
    assert conf.count("proxy_set_header Connection $connection_upgrade;") == 2
    assert conf.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == 2
    assert conf.count("proxy_set_header X-Forwarded-Proto $forwarded_proto;") == 2
    assert conf.count("proxy_set_header Host $host;") == 2
    assert "location /static/ {\n            alias /srv/static/;" in conf
    assert "location /ws/ {" in conf
    assert "proxy_next_upstream error timeout http_502 http_503;" in conf
    # /metrics is scraped from each replica, never through the public entrance.
    assert "location = /metrics {\n            return 404;\n        }" in conf


def test_dockerfile_builds_the_app_with_daphne():
    lines = (ROOT / "Dockerfile").read_text().splitlines()

    assert lines[2] == "FROM python:3.11-slim"
    # The image installs the versions the suite passed with, as `make run` and `make test` do.
    assert "RUN pip install -c constraints.txt . \\" in lines
    assert (ROOT / "constraints.txt").is_file()
    assert "RUN DJANGO_DEBUG=1 python manage.py collectstatic --noinput -v 0" in lines
    assert lines[-1] == 'CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]'


def test_compose_config_validates_with_docker_compose():
    """The file parses here always; with Debian's docker-compose (1.29) installed, its own
    validation must pass too, and a missing secret must stop it."""
    config = compose()
    assert set(config) == {"version", "x-app", "services", "networks", "volumes"}

    binary = shutil.which("docker-compose")
    if binary is not None:
        base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
        ok = subprocess.run(
            [binary, "-f", str(COMPOSE), "config", "-q"],
            env={**base, **COMPOSE_ENV},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (ok.returncode, ok.stderr) == (0, "")

        without_secret = {k: v for k, v in COMPOSE_ENV.items() if k != "SECRET_KEY"}
        missing = subprocess.run(
            [binary, "-f", str(COMPOSE), "config", "-q"],
            env={**base, **without_secret},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert missing.returncode == 1
        assert "set SECRET_KEY to a long random string" in missing.stderr
