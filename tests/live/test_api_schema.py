"""Schemathesis against /api/schema/: generated requests to every operation (as a moderator,
and as a phone where the operation is for phones) never get a server error."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from config.wsgi import application
from live import services as live_services
from tests import factories

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# Generated data only (the coverage phase's exhaustive boundary cases take minutes).
schema.config.phases.update(phases=["examples", "fuzzing"])

PHONE_OPERATIONS = ("vote_cast", "vote_withdraw", "question_submit", "event_join")


@pytest.fixture
def wsgi_keeps_test_connection():
    """Like Django's test client: a request through the WSGI handler must not close the test
    transaction's connection when it finishes."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_headers(db, wsgi_keeps_test_connection):
    """A small event (ids 1.. are likely hits for generated path parameters) and both kinds of
    credentials."""
    session = factories.session(factories.hall(factories.event(slug="demo")))
    for status in ("pending", "approved", "answered", "rejected"):
        factories.question(session, status=status)
    _participant, token = factories.participant(session.event)
    admin = factories.superuser()
    return {
        "moderator": {"Authorization": f"Token {live_services.api_token_issue(user=admin)}"},
        "phone": {"X-Participant-Token": token},
    }


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_no_server_error(case, api_headers):
    kind = (
        "phone"
        if case.operation.definition.raw.get("operationId") in PHONE_OPERATIONS
        else "moderator"
    )
    case.call_and_validate(headers=api_headers[kind], checks=[not_a_server_error])
