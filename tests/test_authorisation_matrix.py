"""Who may call each endpoint the control room, the stage screen and the organisers' tools
added (issues 12 and 15): one table, every role against every endpoint. The streams' own
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


def poll(session, state="draft", **flags) -> int:
    """A poll of the session in this state (made when the row's path is built)."""
    from qa import services
    from qa.models import Poll

    made = services.poll_create(
        session=session,
        actor=None,
        question_vi="Thăm dò?",
        options=[services.PollOptionText("Một"), services.PollOptionText("Hai")],
    )
    Poll.objects.filter(pk=made.pk).update(state=state, **flags)
    return made.pk


def ballot_body(session) -> dict:
    from qa.models import PollOption

    return {"options": [PollOption.objects.filter(poll__session=session).first().pk]}


PHONES = {"anonymous": 401, "other_organiser": 403, "moderator": 403, "organiser": 403,
          "superuser": 403}  # fmt: skip


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
    ("stage message", "post", lambda e, h, s, q: f"/api/v1/halls/{h.pk}/stage-message/",
     {"text": "Còn hai câu hỏi"}, MODERATORS, 200),
    ("stage key", "post", lambda e, h, s, q: f"/api/v1/halls/{h.pk}/stage-key/", {},
     ORGANISERS, 200),
    ("session reset", "post", lambda e, h, s, q: f"/api/v1/sessions/{s.pk}/reset/", {},
     ORGANISERS, 200),
    ("event export", "get", lambda e, h, s, q: f"/api/v1/events/{e.slug}/export/", None,
     ORGANISERS, 200),
    ("polls list", "get", lambda e, h, s, q: f"/api/v1/sessions/{s.pk}/polls/", None, {}, 200),
    ("poll create", "post", lambda e, h, s, q: f"/api/v1/sessions/{s.pk}/polls/",
     {"question_vi": "Hỏi?", "options": [{"text_vi": "A"}, {"text_vi": "B"}]}, MODERATORS, 201),
    ("poll detail", "get", lambda e, h, s, q: f"/api/v1/polls/{poll(s)}/", None, MODERATORS,
     200),
    ("poll edit", "patch", lambda e, h, s, q: f"/api/v1/polls/{poll(s)}/",
     {"question_en": "Asked?"}, MODERATORS, 200),
    ("poll delete", "delete", lambda e, h, s, q: f"/api/v1/polls/{poll(s)}/", {}, MODERATORS,
     204),
    ("poll open", "post", lambda e, h, s, q: f"/api/v1/polls/{poll(s)}/open/", {}, MODERATORS,
     200),
    ("poll close", "post", lambda e, h, s, q: f"/api/v1/polls/{poll(s, 'open')}/close/", {},
     MODERATORS, 200),
    ("poll show results", "post",
     lambda e, h, s, q: f"/api/v1/polls/{poll(s, 'open')}/show-results/", {}, MODERATORS, 200),
    ("poll hide results", "post",
     lambda e, h, s, q: f"/api/v1/polls/{poll(s, 'open', results_shown=True)}/hide-results/",
     {}, MODERATORS, 200),
    ("poll show", "post", lambda e, h, s, q: f"/api/v1/polls/{poll(s, 'open')}/show/", {},
     MODERATORS, 200),
    ("poll hide", "post",
     lambda e, h, s, q: f"/api/v1/polls/{poll(s, 'closed', on_screen=True)}/hide/", {},
     MODERATORS, 200),
    ("poll ballot", "post", lambda e, h, s, q: f"/api/v1/polls/{poll(s, 'open')}/ballot/",
     ballot_body, PHONES, 200),
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
    if callable(body):
        body = body(session)
    if method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, body or {}, **kwargs)

    assert response.status_code == refusals.get(role, success), (role, url, response.content[:200])
