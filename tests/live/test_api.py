"""Sign-in, event and session endpoints (live/api.py), the error format and the client IP."""

import json
import threading

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.utils import ConnectionHandler
from django.test import RequestFactory, override_settings
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory

from live.api_errors import api_exception_handler
from live.client_address import client_ip
from live.representations import session_data
from live.selectors import sessions_with_people
from qa.models import ModerationAction
from tests import factories
from tests.api_clients import anonymous, as_user

pytestmark = pytest.mark.django_db


# ---- sign-in --------------------------------------------------------------------------------------


def test_token_for_valid_credentials():
    user = factories.user("lan")
    response = anonymous().post(
        "/api/v1/auth/token/", {"username": "lan", "password": "pw-Secret-123"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_token_same_key_on_second_sign_in():
    factories.user("lan")
    data = {"username": "lan", "password": "pw-Secret-123"}
    first = anonymous().post("/api/v1/auth/token/", data, format="json").json()
    second = anonymous().post("/api/v1/auth/token/", data, format="json").json()
    assert first == second


def test_token_wrong_password_is_400():
    factories.user("lan")
    response = anonymous().post(
        "/api/v1/auth/token/", {"username": "lan", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "auth.invalid_credentials",
        "detail": "Wrong user name or password.",
    }
    assert Token.objects.count() == 0


def test_token_inactive_user_is_400():
    factories.user("lan", is_active=False)
    response = anonymous().post(
        "/api/v1/auth/token/", {"username": "lan", "password": "pw-Secret-123"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "auth.invalid_credentials"


def test_token_missing_fields_is_400():
    response = anonymous().post("/api/v1/auth/token/", {"username": "lan"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "Some fields are not valid.",
        "fields": {"password": ["This field is required."]},
    }


def test_token_authenticates_moderation_requests():
    session = factories.session()
    factories.moderator(session.event, username="lan")
    key = (
        anonymous()
        .post(
            "/api/v1/auth/token/", {"username": "lan", "password": "pw-Secret-123"}, format="json"
        )
        .json()["token"]
    )
    client = anonymous()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(f"/api/v1/sessions/{session.pk}/audit/").status_code == 200


def test_bad_api_token_is_401():
    client = anonymous()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    response = client.get("/api/v1/sessions/1/")
    assert response.status_code == 401
    assert response.json() == {"code": "auth.failed", "detail": "Invalid token."}


# ---- event --------------------------------------------------------------------------------------


def test_event_detail_with_halls_and_sessions():
    event = factories.event(slug="hoi-nghi")
    hall = factories.hall(event, display_order=1)
    speaker = factories.speaker(event, name="Trần Văn A")
    session = factories.session(hall, status="live")
    session.speakers.add(speaker)
    response = anonymous().get("/api/v1/events/hoi-nghi/")
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "hoi-nghi"
    assert body["name"] == {"vi": event.name_vi, "en": event.name_en}
    assert body["halls"] == [
        {
            "id": hall.pk,
            "event_id": event.pk,
            "name": {"vi": hall.name_vi, "en": hall.name_en},
            "slug": hall.slug,
            "display_mode": "questions",
            "top_questions": 5,
            "version": 1,
        }
    ]
    assert body["sessions"] == [session_data(sessions_with_people().get(pk=session.pk))]
    assert body["sessions"][0]["speakers"][0]["name"] == "Trần Văn A"


def test_event_detail_live_sessions_first():
    event = factories.event()
    hall = factories.hall(event)
    scheduled = factories.session(hall, status="scheduled")
    live = factories.session(hall, status="qa")
    response = anonymous().get(f"/api/v1/events/{event.slug}/")
    assert [s["id"] for s in response.json()["sessions"]] == [live.pk, scheduled.pk]


def test_event_detail_unknown_is_404():
    response = anonymous().get("/api/v1/events/nope/")
    assert response.status_code == 404
    assert response.json() == {"code": "event.not_found", "detail": "No such event."}


@pytest.mark.parametrize("count", [1, 8])
def test_event_detail_query_count(django_assert_num_queries, count):
    event = factories.event()
    for _ in range(count):
        hall = factories.hall(event)
        session = factories.session(hall)
        session.speakers.add(factories.speaker(event))
    client = anonymous()
    with django_assert_num_queries(4):  # event, halls, sessions with halls, speakers
        response = client.get(f"/api/v1/events/{event.slug}/")
    assert len(response.json()["sessions"]) == count


# ---- session ------------------------------------------------------------------------------------------


def test_session_detail_is_public():
    session = factories.session()
    response = anonymous().get(f"/api/v1/sessions/{session.pk}/")
    assert response.status_code == 200
    assert response.json() == session_data(sessions_with_people().get(pk=session.pk))


def test_session_detail_unknown_is_404():
    response = anonymous().get("/api/v1/sessions/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "session.not_found"


def test_session_update_changes_and_audits():
    session = factories.session(status="live", qa_open=True, moderation="pre")
    organiser = factories.organiser(session.event)
    response = as_user(organiser).patch(
        f"/api/v1/sessions/{session.pk}/",
        {"status": "qa", "qa_open": False, "moderation": "post", "version": 1},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["qa_open"], body["moderation"], body["version"]) == (
        "qa",
        False,
        "post",
        2,
    )
    row = ModerationAction.objects.get(session=session)
    assert (row.actor, row.action, row.from_state, row.to_state) == (
        organiser,
        "session",
        "live",
        "qa",
    )
    assert row.detail == {
        "status": {"from": "live", "to": "qa"},
        "qa_open": {"from": True, "to": False},
        "moderation": {"from": "pre", "to": "post"},
    }


def test_session_update_stale_version_is_409_with_current_session():
    session = factories.session(status="live", version=4)
    moderator = factories.moderator(session.event)
    response = as_user(moderator).patch(
        f"/api/v1/sessions/{session.pk}/", {"qa_open": False, "version": 3}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "session.version_conflict"
    assert body["session"]["version"] == 4
    assert body["session"]["qa_open"] is True


def test_session_update_illegal_status_is_409():
    session = factories.session(status="ended")
    organiser = factories.organiser(session.event)
    response = as_user(organiser).patch(
        f"/api/v1/sessions/{session.pk}/", {"status": "break"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "session.illegal_status"


def test_session_update_unknown_value_is_400():
    session = factories.session()
    moderator = factories.moderator(session.event)
    response = as_user(moderator).patch(
        f"/api/v1/sessions/{session.pk}/", {"moderation": "none"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["moderation"]


def test_session_update_unknown_session_is_404():
    response = as_user(factories.superuser()).patch(
        "/api/v1/sessions/999999/", {"qa_open": False}, format="json"
    )
    assert response.status_code == 404


def test_session_update_anonymous_is_401():
    session = factories.session()
    response = anonymous().patch(
        f"/api/v1/sessions/{session.pk}/", {"qa_open": False}, format="json"
    )
    assert response.status_code == 401
    assert response.json() == {
        "code": "auth.required",
        "detail": "Authentication credentials were not provided.",
    }


# ---- the error format ----------------------------------------------------------------------------------


def test_method_not_allowed_has_code():
    session = factories.session()
    response = anonymous().delete(f"/api/v1/sessions/{session.pk}/")
    assert response.status_code == 405
    assert response.json() == {
        "code": "method_not_allowed",
        "detail": 'Method "DELETE" not allowed.',
    }


def test_malformed_json_has_code():
    response = anonymous().post(
        "/api/v1/auth/token/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_deeply_nested_json_body_is_400_parse_error_not_a_crash():
    body = "[" * 5000 + "]" * 5000  # past Python's recursion limit in json.loads
    response = anonymous().post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"code": "parse_error", "detail": "The body is not valid JSON."}


def test_json_nested_within_the_bound_is_parsed():
    body = json.dumps({"username": "x", "password": "y", "extra": [[[[1]]]]})
    response = anonymous().post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "auth.invalid_credentials"


def test_body_over_the_api_limit_is_413_json():
    body = json.dumps({"username": "x" * 70_000, "password": "y"})
    response = anonymous().post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"


def test_body_over_djangos_upload_limit_is_413_json():
    response = anonymous().post(
        "/api/v1/auth/token/",
        data="a=" + "x" * 3_000_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"


def test_unknown_api_path_is_404_json():
    response = anonymous().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_unknown_api_path_is_404_json_in_debug_mode_too():
    """`make run` serves with DJANGO_DEBUG=1, where Django's 404 is its HTML debug page."""
    with override_settings(DEBUG=True):
        response = anonymous().get("/api/v1/no-such-thing/")
        slashless = anonymous().post("/api/v1/events/x/join", {})

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert slashless.status_code == 404
    assert slashless.json()["code"] == "not_found"


def test_unhandled_exception_in_an_api_view_is_500_json_without_its_text():
    request = APIRequestFactory().get("/api/v1/sessions/1/")
    with translation.override("en"):
        response = api_exception_handler(RuntimeError("secret internals"), {"request": request})
    assert response.status_code == 500
    assert response.data == {"code": "server.error", "detail": "Something went wrong on our side."}


def test_database_unreachable_is_503_with_retry_after():
    request = APIRequestFactory().get("/api/v1/sessions/1/")
    error = OperationalError("connection failed: too many clients already")
    response = api_exception_handler(error, {"request": request})
    assert response.status_code == 503
    assert response.data["code"] == "service.unavailable"
    assert "too many" not in response.data["detail"]
    assert int(response["Retry-After"]) >= 1


@pytest.mark.skipif(
    not connection.settings_dict["ENGINE"].endswith("postgresql"), reason="a PostgreSQL pool"
)
def test_database_pool_timeout_is_503_with_retry_after():
    """A request that waits too long for a pooled connection (a burst past the budget) gets
    503: psycopg-pool's PoolTimeout reaches the handler as Django's OperationalError."""
    options = {**connection.settings_dict["OPTIONS"]}
    options["pool"] = {"min_size": 1, "max_size": 1, "timeout": 0.2}
    pools = ConnectionHandler(
        {
            "default": connection.settings_dict,
            "pooltest": {**connection.settings_dict, "OPTIONS": options},
        }
    )
    holder = pools["pooltest"]
    holder.ensure_connection()  # takes the pool's only connection
    raised = []

    def wait_for_a_connection():
        try:
            pools["pooltest"].ensure_connection()  # this thread's own wrapper, the same pool
        except Exception as exc:
            raised.append(exc)

    waiter = threading.Thread(target=wait_for_a_connection)
    waiter.start()
    waiter.join()
    holder.close()
    holder.close_pool()
    request = APIRequestFactory().post("/api/v1/questions/1/vote/")
    response = api_exception_handler(raised[0], {"request": request})

    assert response.status_code == 503
    assert response.data["code"] == "service.unavailable"
    assert int(response["Retry-After"]) >= 1


# ---- client IP ---------------------------------------------------------------------------------------------


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@override_settings(TRUSTED_PROXIES=["10.0.0.2"])
def test_client_ip_from_trusted_proxy_header():
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=["172.16.0.0/12"])
def test_client_ip_trusted_network_skips_inner_proxies():
    assert client_ip(_request("172.18.0.5", "203.0.113.7, 172.18.0.9")) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.2"])
def test_client_ip_header_ignored_from_untrusted_peer():
    assert client_ip(_request("198.51.100.1", "203.0.113.7")) == "198.51.100.1"


@override_settings(TRUSTED_PROXIES=[])
def test_client_ip_header_ignored_without_trusted_proxies():
    assert client_ip(_request("198.51.100.1", "203.0.113.7")) == "198.51.100.1"


@override_settings(TRUSTED_PROXIES=["10.0.0.2"])
def test_client_ip_garbage_header_falls_back_to_peer():
    assert client_ip(_request("10.0.0.2", "not-an-ip")) == "10.0.0.2"


# ---- schema and docs ------------------------------------------------------------------------------------------


def test_schema_valid_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/sessions/{session_id}/questions/:" in text
    assert "participantToken" in text


def test_schema_and_docs_served_offline():
    schema = anonymous().get("/api/schema/")
    assert schema.status_code == 200
    docs = anonymous().get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html


def test_session_cookie_moderator_write_needs_csrf():
    session = factories.session(qa_open=True)
    moderator = factories.moderator(session.event)
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(moderator)
    url = f"/api/v1/sessions/{session.pk}/"
    refused = client.patch(url, {"qa_open": False}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.forbidden"
    client.cookies["csrftoken"] = "k" * 32  # the console's CSRF cookie and header
    accepted = client.patch(url, {"qa_open": False}, format="json", HTTP_X_CSRFTOKEN="k" * 32)
    assert accepted.status_code == 200
    assert accepted.json()["qa_open"] is False


def test_an_id_past_the_database_integer_range_is_404_json_not_a_crash():
    for url in (
        "/api/v1/questions/63951614245685982174028767428608/vote/",
        "/api/v1/sessions/99999999999999999999/",
    ):
        response = anonymous().post(url) if url.endswith("vote/") else anonymous().get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
