"""Who may do what: every API endpoint, every stream and every page against six roles -
anonymous, a participant (a phone), a moderator and an organiser of the event, an organiser of
another event and a superuser. Each row names the rule it follows: public, the phones only,
the holder of the stage key, or a capability of the one role table (live.enums.
ROLE_CAPABILITIES, listed in docs/api.md). The last tests check that no endpoint, stream or
page is missing from these tables, and that the role table itself says what the issue says."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from live import services as live_services
from live.enums import ROLE_CAPABILITIES, Capability, EventRole
from live.models import HallAction
from live.realtime.db import database_sync_to_async
from qa import services as qa_services
from qa.models import Ballot, ModerationAction, Poll, PollAuditEntry
from tests import factories
from tests.api_clients import client_for
from tests.realtime import token_header

ROLES = ("anonymous", "participant", "other_organiser", "moderator", "organiser", "superuser")
PUBLIC, PHONE, STAGE_KEY, SIGNED_IN = "public", "phone", "stage key", "signed in"
REFUSED = {"anonymous": 401, "participant": 403, "other_organiser": 403}


def expected_status(rule: str, role: str, success: int) -> int:
    """What the role gets from an endpoint that follows `rule` (a capability or one of the
    rules above)."""
    if rule == PUBLIC:
        return success
    if rule == PHONE:
        return {"anonymous": 401, "participant": success}.get(role, 403)
    if role == "moderator" and rule not in ROLE_CAPABILITIES[EventRole.MODERATOR]:
        return 403
    return REFUSED.get(role, success)


@dataclass
class Venue:
    event: object
    hall: object
    session: object
    pending: object
    approved: object
    pinned: object
    rejected: object
    queued: object
    target: object

    # Polls are made when a row's path names one, each in the state its action starts from.
    @cached_property
    def draft_poll(self):
        return self._poll("draft")

    @cached_property
    def open_poll(self):
        return self._poll("open")

    @cached_property
    def open_poll_with_results(self):
        return self._poll("open", results_shown=True)

    @cached_property
    def closed_poll_on_screen(self):
        return self._poll("closed", on_screen=True)

    def _poll(self, state: str, **flags):
        made = qa_services.poll_create(
            session=self.session,
            actor=None,
            question_vi="Dịch vụ nào nên số hoá trước?",
            options=[qa_services.PollOptionText("Y tế"), qa_services.PollOptionText("Giáo dục")],
        )
        Poll.objects.filter(pk=made.pk).update(state=state, **flags)
        return Poll.objects.get(pk=made.pk)


def venue() -> Venue:
    event = factories.event(slug="matrix")
    hall = factories.hall(event)
    session = factories.session(hall, status="scheduled", qa_open=True)
    q = factories.question
    venue = Venue(
        event=event,
        hall=hall,
        session=session,
        pending=q(session),
        approved=q(session, status="approved"),
        pinned=q(session, status="approved", pinned=True),
        rejected=q(session, status="rejected"),
        queued=q(session, status="approved", queue_position=1),
        target=q(session, status="approved"),
    )
    factories.user("known")
    return venue


S = "/api/v1/sessions/{v.session.pk}/"
Q = "/api/v1/questions/{v.%s.pk}/"
P = "/api/v1/polls/{v.%s.pk}/"

# (url name, method, path with {v}, body, rule, success status). The url names are those of
# config/api_urls.py; test_every_endpoint_is_in_the_table keeps this list complete.
ENDPOINTS = [
    ("api-token", "post", "/api/v1/auth/token/", {"username": "known", "password": "pw-Secret-123"}, PUBLIC, 200),
    ("api-event", "get", "/api/v1/events/{v.event.slug}/", None, PUBLIC, 200),
    ("api-event-join", "post", "/api/v1/events/{v.event.slug}/join/", {}, PUBLIC, 201),
    ("api-event-export", "get", "/api/v1/events/{v.event.slug}/export/", None, Capability.EXPORT, 200),
    ("api-hall", "get", "/api/v1/halls/{v.hall.pk}/", None, PUBLIC, 200),
    ("api-hall", "patch", "/api/v1/halls/{v.hall.pk}/", {"display_mode": "join"}, Capability.RUN_DISPLAYS, 200),
    ("api-hall-stage-message", "post", "/api/v1/halls/{v.hall.pk}/stage-message/", {"text": "Còn hai câu hỏi"}, Capability.MODERATE, 200),
    ("api-hall-stage-key", "post", "/api/v1/halls/{v.hall.pk}/stage-key/", {}, Capability.RUN_DISPLAYS, 200),
    ("api-session", "get", S, None, PUBLIC, 200),
    ("api-session", "patch", S, {"qa_open": False}, Capability.OPEN_CLOSE_QA, 200),
    ("api-session", "patch", S, {"status": "live"}, Capability.RUN_SESSIONS, 200),
    ("api-session", "patch", S, {"moderation": "post"}, Capability.RUN_SESSIONS, 200),
    ("api-session", "patch", S, {"qa_open": False, "status": "live"}, Capability.RUN_SESSIONS, 200),
    ("api-session-questions", "get", S + "questions/", None, PUBLIC, 200),
    ("api-session-questions", "post", S + "questions/", {"text": "Xe buýt điện chạy khi nào?"}, PHONE, 201),
    ("api-session-questions-bulk", "post", S + "questions/bulk/", {"action": "approve", "ids": ["pending"]}, Capability.MODERATE, 200),
    ("api-session-export", "get", S + "export/", None, Capability.EXPORT, 200),
    ("api-session-audit", "get", S + "audit/", None, Capability.MODERATE, 200),
    ("api-session-reset", "post", S + "reset/", {}, Capability.RUN_SESSIONS, 200),
    ("api-question", "patch", Q % "pending", {"text": "Đã sửa"}, Capability.MODERATE, 200),
    ("api-question", "patch", Q % "approved", {"translation": "When will Hanoi have e-tickets?"}, Capability.MODERATE, 200),
    ("api-question-vote", "post", Q % "approved" + "vote/", {}, PHONE, 200),
    ("api-question-vote", "delete", Q % "approved" + "vote/", None, PHONE, 200),
    ("api-question-merge", "post", Q % "approved" + "merge/", {"into": "target"}, Capability.MODERATE, 200),
    ("api-question-queue", "post", Q % "approved" + "queue/", {}, Capability.MODERATE, 200),
    ("api-question-approve", "post", Q % "pending" + "approve/", {}, Capability.MODERATE, 200),
    ("api-question-reject", "post", Q % "pending" + "reject/", {}, Capability.MODERATE, 200),
    ("api-question-pin", "post", Q % "approved" + "pin/", {}, Capability.MODERATE, 200),
    ("api-question-unpin", "post", Q % "pinned" + "unpin/", {}, Capability.MODERATE, 200),
    ("api-question-answer", "post", Q % "approved" + "answer/", {}, Capability.MODERATE, 200),
    ("api-question-archive", "post", Q % "approved" + "archive/", {}, Capability.MODERATE, 200),
    ("api-question-restore", "post", Q % "rejected" + "restore/", {}, Capability.MODERATE, 200),
    ("api-question-unqueue", "post", Q % "queued" + "unqueue/", {}, Capability.MODERATE, 200),
    ("api-session-polls", "get", S + "polls/", None, PUBLIC, 200),
    ("api-session-polls", "post", S + "polls/", {"question_vi": "Hỏi?", "options": [{"text_vi": "A"}, {"text_vi": "B"}]}, Capability.MODERATE, 201),
    ("api-poll", "get", P % "draft_poll", None, Capability.MODERATE, 200),
    ("api-poll", "patch", P % "draft_poll", {"question_en": "Which first?"}, Capability.MODERATE, 200),
    ("api-poll", "delete", P % "draft_poll", None, Capability.MODERATE, 204),
    ("api-poll-open", "post", P % "draft_poll" + "open/", {}, Capability.MODERATE, 200),
    ("api-poll-close", "post", P % "open_poll" + "close/", {}, Capability.MODERATE, 200),
    ("api-poll-show-results", "post", P % "open_poll" + "show-results/", {}, Capability.MODERATE, 200),
    ("api-poll-hide-results", "post", P % "open_poll_with_results" + "hide-results/", {}, Capability.MODERATE, 200),
    ("api-poll-show", "post", P % "open_poll" + "show/", {}, Capability.MODERATE, 200),
    ("api-poll-hide", "post", P % "closed_poll_on_screen" + "hide/", {}, Capability.MODERATE, 200),
    ("api-poll-ballot", "post", P % "open_poll" + "ballot/", {"options": "open_poll"}, PHONE, 200),
    ("api-question-mute-author", "post", Q % "approved" + "mute-author/", {}, Capability.MODERATE, 200),
    ("api-question-unmute-author", "post", Q % "approved" + "unmute-author/", {}, Capability.MODERATE, 200),
]  # fmt: skip


def _ids(body, v: Venue):
    """Question names in a body ("pending", ["pending"]) become that question's id."""
    if body is None:
        return None
    named = {key: getattr(v, value).pk if key == "into" else value for key, value in body.items()}
    if "ids" in named:
        named["ids"] = [getattr(v, name).pk for name in named["ids"]]
    if isinstance(named.get("options"), str):  # a ballot: the named poll's first option
        named["options"] = [getattr(v, named["options"]).options.order_by("pk").first().pk]
    return named


def _audit_rows() -> int:
    return (
        ModerationAction.objects.count()
        + HallAction.objects.count()
        + PollAuditEntry.objects.count()
        + Ballot.objects.count()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "rule", "success"),
    [pytest.param(*row[1:], id=f"{row[1]} {row[0]} {row[4]}") for row in ENDPOINTS],
)
def test_who_may_call_each_endpoint(role, method, path, body, rule, success):
    v = venue()
    url = path.format(v=v)
    client = client_for(role, v.event)
    if method in ("patch",) and body is not None and "version" not in body:
        body = {**body, "version": 1}
    before = _audit_rows()
    if body is None:
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(url, _ids(body, v), format="json")

    status = expected_status(rule, role, success)
    assert response.status_code == status, (role, method, url, response.content[:300])
    if status in (401, 403):
        code = response.json()["code"]
        if role == "anonymous":
            assert code == "auth.required"
        elif role == "moderator" and rule not in (PUBLIC, PHONE):
            # A moderator asking for an organiser's work is told which role does it.
            assert code == "organiser.forbidden"
        assert _audit_rows() == before, "a refused call changed something"


# ---- the pages ----------------------------------------------------------------------------

# (url name, path, rule, success). The console and the organisers' pages sign in with the
# session cookie, so anonymous callers and phones are sent to the sign-in page.
PAGES = [
    ("event", "/e/{v.event.slug}/", PUBLIC, 200),
    ("display", "/display/{v.hall.pk}/", PUBLIC, 200),
    ("stage", "/stage/{v.hall.pk}/?key={v.hall.stage_key}", STAGE_KEY, 200),
    ("moderate", "/moderate/", SIGNED_IN, 200),
    ("moderate_session", "/moderate/sessions/{v.session.pk}/", Capability.MODERATE, 200),
    ("control", "/moderate/events/{v.event.slug}/control/", Capability.CONTROL_ROOM, 200),
    ("report", "/moderate/events/{v.event.slug}/report/", Capability.EXPORT, 200),
]
# Pages that are no screen of anyone's: redirects to a session and the language switch.
NOT_SCREENS = {"join", "join_hall", "language"}


def page_client(role: str, event) -> Client:
    client = Client()
    users = {
        "other_organiser": lambda: factories.organiser(factories.event()),
        "moderator": lambda: factories.moderator(event),
        "organiser": lambda: factories.organiser(event),
        "superuser": factories.superuser,
    }
    if role in users:
        client.force_login(users[role]())
    return client


def expected_page_status(rule: str, role: str, success: int) -> int:
    if rule in (PUBLIC, STAGE_KEY):
        return success
    if role in ("anonymous", "participant"):
        return 302  # to the sign-in page
    if rule == SIGNED_IN:
        return success
    return expected_status(rule, role, success)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("path", "rule", "success"), [pytest.param(*row[1:], id=row[0]) for row in PAGES]
)
def test_who_may_open_each_page(role, path, rule, success):
    v = venue()
    response = page_client(role, v.event).get(path.format(v=v))
    assert response.status_code == expected_page_status(rule, role, success), role


@pytest.mark.django_db
def test_the_stage_page_wants_the_key_whoever_asks():
    v = venue()
    for role in ROLES:
        client = page_client(role, v.event)
        assert client.get(f"/stage/{v.hall.pk}/").status_code == 403, role
        assert client.get(f"/stage/{v.hall.pk}/?key=wrong").status_code == 403, role


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_console_shows_an_organisers_controls_to_organisers_only(role):
    """The page follows the same table: a moderator sees the status but no status buttons'
    permission, no moderation switch, no export links and no reset."""
    v = venue()
    response = page_client(role, v.event).get(f"/moderate/sessions/{v.session.pk}/")
    if role not in ("moderator", "organiser", "superuser"):
        return
    html = response.content.decode()
    organiser_controls = ("m-mod-toggle", "m-export-csv", "m-reset")
    for control in organiser_controls:
        assert (f'id="{control}"' in html) is (role != "moderator"), (role, control)
    capabilities = response.context["config"]["capabilities"]
    expected = ROLE_CAPABILITIES[EventRole.MODERATOR] if role == "moderator" else Capability.values
    assert set(capabilities) == set(expected)


# ---- the streams --------------------------------------------------------------------------

# (path, rule). Accepted means the snapshot arrives; refused, the close code.
STREAMS = [
    ("/ws/sessions/{v.session.pk}/", PUBLIC),
    ("/ws/sessions/{v.session.pk}/moderation/", Capability.MODERATE),
    ("/ws/halls/{v.hall.pk}/display/", PUBLIC),
    ("/ws/halls/{v.hall.pk}/stage/?key={v.hall.stage_key}", STAGE_KEY),
    ("/ws/events/{v.event.pk}/control/", Capability.CONTROL_ROOM),
]


def expected_close(rule: str, role: str) -> int | None:
    """None: accepted. Sockets authenticate with the API token, so a phone (no user) is
    refused as unauthenticated, like an anonymous caller."""
    if rule in (PUBLIC, STAGE_KEY):
        return None
    if role in ("anonymous", "participant"):
        return 4401
    return None if expected_status(rule, role, 200) == 200 else 4403


@database_sync_to_async
def _stream_headers(role: str, event) -> list:
    if role == "anonymous":
        return []
    if role == "participant":
        _participant, token = factories.participant(event)
        return [(b"x-participant-token", token.encode())]
    user = {
        "other_organiser": lambda: factories.organiser(factories.event()),
        "moderator": lambda: factories.moderator(event),
        "organiser": lambda: factories.organiser(event),
        "superuser": factories.superuser,
    }[role]()
    return token_header(live_services.api_token_issue(user=user))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("realtime_keys")
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "rule"), [pytest.param(*row, id=row[0]) for row in STREAMS])
async def test_who_may_open_each_stream(stream_client, role, path, rule):
    v = await database_sync_to_async(venue)()
    headers = await _stream_headers(role, v.event)

    client = await stream_client(path.format(v=v), headers, expect_snapshot=False)

    close = expected_close(rule, role)
    if close is None:
        assert (await client.receive())["type"] == "snapshot"
    else:
        assert await client.close_code() == close


# ---- nothing left out -----------------------------------------------------------------------


def _names(patterns, prefix: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_endpoint_and_method_is_in_the_table():
    from config import api_urls

    resolver = get_resolver()
    tabled = {(name, method) for name, method, *_ in ENDPOINTS}
    for pattern in api_urls.urlpatterns:
        view = pattern.callback.view_class
        methods = {m for m in ("get", "post", "patch", "put", "delete") if hasattr(view, m)}
        for method in methods:
            assert (pattern.name, method) in tabled, f"{method.upper()} {pattern.name}"
    assert resolver  # the URLconf loads


def test_every_page_and_stream_is_in_the_table():
    from config import routing, urls_pages

    assert _names(urls_pages.urlpatterns) == {name for name, *_ in PAGES} | NOT_SCREENS
    routes = {
        re.sub(r"<int:(\w+)>", "{}", str(p.pattern)) for p in routing.websocket_urlpatterns
    } - {""}
    tabled = {re.sub(r"\{v\.[\w.]+\}", "{}", path.split("?")[0]).lstrip("/") for path, _ in STREAMS}
    assert routes == tabled


def test_the_role_table():
    """Issue 13: an organiser manages the event; a moderator moderates questions in its
    sessions and opens or closes Q&A."""
    assert ROLE_CAPABILITIES[EventRole.ORGANISER] == set(Capability.values)
    assert ROLE_CAPABILITIES[EventRole.MODERATOR] == {
        Capability.MODERATE,
        Capability.OPEN_CLOSE_QA,
    }


def test_docs_list_every_capability_and_endpoint():
    """docs/api.md's role table names each capability, and each endpoint with its rule."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    section = text.split("## Who may do what", 1)[1].split("\n## ", 1)[0]
    for capability in Capability.values:
        assert f"`{capability}`" in section, capability
    for name, method, path, _body, rule, _success in ENDPOINTS:
        shown = path.replace("{v.event.slug}", "<slug>")
        shown = re.sub(r"\{v\.(hall|session)\.pk\}", lambda m: f"<{m.group(1)}_id>", shown)
        shown = re.sub(r"\{v\.\w+_poll\w*\.pk\}", "<poll_id>", shown)
        shown = re.sub(r"\{v\.\w+\.pk\}", "<question_id>", shown)
        line = f"| {method.upper()} | `{shown}` |"
        assert any(row.startswith(line) for row in section.splitlines()), line
        row = next(r for r in section.splitlines() if r.startswith(line))
        said = {PUBLIC: "anyone", PHONE: "a phone"}.get(rule, f"`{rule}`")
        assert said in row, (line, rule)
