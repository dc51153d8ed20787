"""Who may call each endpoint the control room, the stage screen and the organisers' tools
added (issues 12, 14 and 15): one table, every role against every endpoint. The streams' own
tables are in tests/live/test_control.py and tests/live/test_stage.py; the older endpoints'
in tests/qa/test_api.py."""

import pytest
from django.test import Client

from tests import factories
from tests.api_clients import client_for

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "participant", "other_organiser", "moderator", "organiser", "superuser")
MODERATORS = {"anonymous": 401, "participant": 403, "other_organiser": 403}
ORGANISERS = {**MODERATORS, "moderator": 403}
PAGES = {"anonymous": 302, "participant": 302, "other_organiser": 403, "moderator": 403}


def page_client(role: str, event) -> Client:
    """The pages sign in with the session cookie; a phone has no account."""
    client = Client()
    users = {
        "other_organiser": lambda: factories.moderator(factories.event(), role="organiser"),
        "moderator": lambda: factories.moderator(event),
        "organiser": lambda: factories.moderator(event, role="organiser"),
        "superuser": factories.superuser,
    }
    if role in users:
        client.force_login(users[role]())
    return client


def venue():
    event = factories.event(slug="matrix")
    hall = factories.hall(event)
    session = factories.session(hall, status="scheduled")
    question = factories.question(session, status="approved")
    return event, hall, session, question


# (name, method, path(event, hall, session, question), body, refusals, success status)
ENDPOINTS = [
    ("hall settings", "patch", lambda e, h, s, q: f"/api/v1/halls/{h.pk}/",
     {"display_mode": "join"}, MODERATORS, 200),
    ("queue", "post", lambda e, h, s, q: f"/api/v1/questions/{q.pk}/queue/", {}, MODERATORS, 200),
    ("unqueue", "post", lambda e, h, s, q: f"/api/v1/questions/{q.pk}/unqueue/", {},
     MODERATORS, 200),
    ("mute author", "post", lambda e, h, s, q: f"/api/v1/questions/{q.pk}/mute-author/", {},
     MODERATORS, 200),
    ("unmute author", "post", lambda e, h, s, q: f"/api/v1/questions/{q.pk}/unmute-author/", {},
     MODERATORS, 200),
    ("stage message", "post", lambda e, h, s, q: f"/api/v1/halls/{h.pk}/stage-message/",
     {"text": "Còn hai câu hỏi"}, MODERATORS, 200),
    ("stage key", "post", lambda e, h, s, q: f"/api/v1/halls/{h.pk}/stage-key/", {},
     ORGANISERS, 200),
    ("session reset", "post", lambda e, h, s, q: f"/api/v1/sessions/{s.pk}/reset/", {},
     ORGANISERS, 200),
    ("event export", "get", lambda e, h, s, q: f"/api/v1/events/{e.slug}/export/", None,
     ORGANISERS, 200),
    ("control room page", "get", lambda e, h, s, q: f"/moderate/events/{e.slug}/control/", None,
     PAGES, 200),
    ("report page", "get", lambda e, h, s, q: f"/moderate/events/{e.slug}/report/", None,
     PAGES, 200),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "refusals", "success"),
    [pytest.param(*endpoint[1:], id=endpoint[0]) for endpoint in ENDPOINTS],
)
def test_who_may_call_what(role, method, path, body, refusals, success):
    event, hall, session, question = venue()
    url = path(event, hall, session, question)
    client = page_client(role, event) if url.startswith("/moderate/") else client_for(role, event)
    kwargs = {"format": "json"} if body is not None else {}
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, body or {}, **kwargs)

    assert response.status_code == refusals.get(role, success), (role, url, response.content[:200])
