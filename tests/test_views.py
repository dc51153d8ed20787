"""config/views.py: the liveness and readiness probes, and the error pages (JSON under /api/,
HTML pages elsewhere, never Django's debug pages)."""

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler
from django.test import Client, RequestFactory, override_settings
from django.utils import translation

from config import views

pytestmark = pytest.mark.django_db


def test_healthz_is_liveness_only_ok_while_the_process_runs(redis_down):
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_readyz_is_200_when_database_and_redis_answer():
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_is_503_naming_redis_when_redis_is_down(redis_down):
    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "service.unavailable"
    assert body["checks"] == {"database": "ok", "redis": "unavailable"}
    assert int(response["Retry-After"]) >= 1


def test_database_check_fails_when_the_database_is_unreachable():
    # A real connection that cannot be made: this database's settings, pointed at a closed port
    # (PostgreSQL) or at a file in a directory that does not exist (SQLite).
    broken = {**connection.settings_dict}
    if broken["ENGINE"].endswith("sqlite3"):
        broken["NAME"] = "/nonexistent-dir/db.sqlite3"
    else:
        broken["PORT"], broken["OPTIONS"] = "1", {}
    unreachable = ConnectionHandler({"default": broken})["default"]

    assert views.database_ready(unreachable) is False
    assert views.database_ready() is True
    unreachable.close()


@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_are_not_redirected_to_https():
    client = Client()

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/events/x/").status_code == 301  # everything else is


def test_unknown_page_is_an_html_404_not_a_debug_page():
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"technical_404" not in response.content and b"Django" not in response.content


def test_server_error_under_api_is_json_and_pages_get_html():
    factory = RequestFactory()

    with translation.override("en"):
        api = views.server_error(factory.get("/api/v1/sessions/1/"))
    page = views.server_error(factory.get("/e/summit/"))

    assert api.status_code == page.status_code == 500
    assert api["Content-Type"] == "application/json"
    assert api.content == b'{"code": "server.error", "detail": "Something went wrong on our side."}'
    assert page["Content-Type"].startswith("text/html")
