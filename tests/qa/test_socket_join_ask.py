"""Joining and asking over the phone's socket (qa/consumers.py): the HTTP API's rules, its
throttles, and answers matched by ref."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from live.realtime.db import database_sync_to_async
from qa.models import Participant, Question
from qa.selectors import participant_for_token
from tests import factories
from tests.api_clients import rates
from tests.realtime import CLIENT_ADDRESS, token_header

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


@database_sync_to_async
def open_session(**kw):
    session = factories.session(**kw)
    question = factories.question(session, status="approved")
    return session, question


@database_sync_to_async
def questions_of(session):
    """The phone's questions (pending: the session moderates first), not the one open_session
    made."""
    asked = Question.objects.filter(session=session, status="pending").order_by("id")
    return list(asked.values_list("text", "client_id"))


@database_sync_to_async
def participants_of(event):
    return Participant.objects.filter(event=event).count()


@database_sync_to_async
def moderator_token(event):
    return Token.objects.create(user=factories.moderator(event)).key


@database_sync_to_async
def owner_of(token):
    return participant_for_token(token=token)


async def phone(stream_client, session):
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    await client.send({"type": "join", "display_name": "Lan", "ref": "j"})
    joined = await client.receive_type("joined")
    return client, joined["data"]


async def test_join_over_socket_gives_a_token_and_identifies_the_socket(stream_client):
    session, question = await open_session()
    client, joined = await phone(stream_client, session)

    owner = await owner_of(joined["participant_token"])
    assert owner.pk == joined["participant"] and owner.event_id == session.event_id
    assert owner.display_name == "Lan"
    assert joined["ref"] == "j"
    await client.send({"type": "vote", "question": question.pk, "ref": "v"})
    assert (await client.receive_type("vote.done"))["data"]["votes"] == 1  # no identify needed


async def test_join_with_bad_name_is_refused_and_creates_nobody(stream_client):
    session, _ = await open_session()
    before = await participants_of(session.event)  # the question's author
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    await client.send({"type": "join", "display_name": "x" * 500, "ref": "long"})
    too_long = await client.receive_type("error")
    await client.send({"type": "join", "display_name": ["Lan"], "ref": "list"})
    not_text = await client.receive_type("error")

    assert too_long["data"]["code"] == "participant.name_too_long"
    assert too_long["data"]["ref"] == "long"
    assert not_text["data"]["code"] == "invalid"
    assert "display_name" in not_text["data"]["fields"]
    assert await participants_of(session.event) == before


@rates(ip_join="2/hour")
async def test_joins_past_the_address_rate_are_throttled(stream_client):
    session, _ = await open_session()
    before = await participants_of(session.event)
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    for ref in ("1", "2", "3"):
        await client.send({"type": "join", "ref": ref})
    answers = [await client.receive_type(("joined", "error")) for _ in range(3)]

    assert [a["type"] for a in answers] == ["joined", "joined", "error"]
    assert answers[2]["data"]["code"] == "join.throttled"
    assert await participants_of(session.event) == before + 2


async def test_ask_over_socket_stores_once_per_client_id_and_reaches_moderators(
    stream_client,
):
    session, _ = await open_session()
    key = await moderator_token(session.event)
    moderators = await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(key))
    client, _ = await phone(stream_client, session)
    ask = {"type": "ask", "text": "Hà Nội <b>có</b> bao nhiêu trạm sạc?", "client_id": "c-1"}

    await client.send({**ask, "ref": "a1"})
    await client.send({**ask, "ref": "a2"})  # a retry racing the original
    answers = {}
    for _ in range(2):
        frame = await client.receive_type("asked")
        answers[frame["data"]["ref"]] = frame["data"]

    assert sorted(a["created"] for a in answers.values()) == [False, True]
    assert answers["a1"]["question"]["id"] == answers["a2"]["question"]["id"]
    assert answers["a1"]["question"]["status"] == "pending"
    assert await questions_of(session) == [("Hà Nội <b>có</b> bao nhiêu trạm sạc?", "c-1")]
    created = await moderators.receive_type("question.created")
    assert created["data"]["text"] == "Hà Nội <b>có</b> bao nhiêu trạm sạc?"
    assert await moderators.nothing_more(0.5)


async def test_ask_before_identify_is_refused(stream_client):
    session, _ = await open_session()
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    await client.send({"type": "ask", "text": "Câu hỏi?", "ref": "a"})
    error = await client.receive_type("error")

    assert error["data"]["code"] == "ask.unidentified" and error["data"]["ref"] == "a"
    assert await questions_of(session) == []


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "ask"}, "invalid"),
        ({"type": "ask", "text": ["Câu hỏi?"]}, "invalid"),
        ({"type": "ask", "text": "   "}, "question.empty"),
        ({"type": "ask", "text": "x" * 2000}, "question.too_long"),
        ({"type": "ask", "text": "ok?", "anonymous": "maybe"}, "invalid"),
        ({"type": "ask", "text": "ok?", "ref": ["r"]}, "frame.invalid_ref"),
        ({"type": "ask", "text": "ok?", "ref": "r" * 65}, "frame.invalid_ref"),
    ],
)
async def test_bad_questions_are_refused_with_a_code_and_nothing_is_stored(
    stream_client, frame, code
):
    session, _ = await open_session()
    client, _ = await phone(stream_client, session)

    await client.send(frame)
    error = await client.receive_type("error")

    assert error["data"]["code"] == code
    assert await questions_of(session) == []
    await client.send({"type": "ping"})
    assert (await client.receive_type("pong"))["type"] == "pong"


@database_sync_to_async
def speakers_for(session):
    """Hà speaks in the session; Minh in another session of the same event."""
    ha = factories.speaker(session.event, name="Nguyễn Thị Hà")
    session.speakers.add(ha)
    other = factories.session(factories.hall(session.event))
    minh = factories.speaker(session.event, name="Trần Văn Minh")
    other.speakers.add(minh)
    return ha, minh


@database_sync_to_async
def addressed_of(session):
    asked = Question.objects.filter(session=session, status="pending").order_by("id")
    return list(asked.values_list("text", "addressed_to_id"))


async def test_ask_addressed_to_a_speaker_over_socket(stream_client):
    session, _ = await open_session()
    ha, _minh = await speakers_for(session)
    client, _ = await phone(stream_client, session)

    await client.send({"type": "ask", "text": "Chị nghĩ sao?", "addressed_to": ha.pk, "ref": "a"})
    asked = await client.receive_type("asked")

    assert asked["data"]["question"]["addressed_to"] == {"id": ha.pk, "name": "Nguyễn Thị Hà"}
    assert await addressed_of(session) == [("Chị nghĩ sao?", ha.pk)]


@pytest.mark.parametrize("whose", ["other_session", "unknown", "not_an_id"])
async def test_ask_addressed_to_someone_else_is_refused_with_the_field(stream_client, whose):
    session, _ = await open_session()
    _ha, minh = await speakers_for(session)
    client, _ = await phone(stream_client, session)
    value = {"other_session": minh.pk, "unknown": 987654, "not_an_id": "Hà"}[whose]

    await client.send({"type": "ask", "text": "Câu hỏi?", "addressed_to": value, "ref": "a"})
    error = await client.receive_type("error")

    code = "invalid" if whose == "not_an_id" else "question.addressed_to_invalid"
    assert (error["data"]["code"], error["data"]["ref"]) == (code, "a")
    assert list(error["data"]["fields"]) == ["addressed_to"]
    assert await addressed_of(session) == []


async def test_ask_when_qa_is_closed_is_refused(stream_client):
    session, _ = await open_session(qa_open=False)
    client, _ = await phone(stream_client, session)

    await client.send({"type": "ask", "text": "Còn kịp hỏi không?", "ref": "a"})
    error = await client.receive_type("error")

    assert error["data"]["code"] == "qa.closed"
    assert await questions_of(session) == []


@rates(participant_question="2/min")
async def test_questions_past_the_participant_rate_are_throttled_but_retries_answered(
    stream_client,
):
    session, _ = await open_session()
    client, _ = await phone(stream_client, session)

    for i in range(3):
        await client.send(
            {"type": "ask", "text": f"Câu hỏi {i}?", "client_id": f"c{i}", "ref": str(i)}
        )
        await client.receive_type(("asked", "error"))
    await client.send({"type": "ask", "text": "Câu hỏi 0?", "client_id": "c0", "ref": "retry"})
    retry = await client.receive_type(("asked", "error"))

    codes = [f["data"].get("code") for f in client.frames if f["type"] == "error"]
    assert codes == ["question.throttled"]
    assert retry["type"] == "asked" and retry["data"]["created"] is False
    assert [t for t, _ in await questions_of(session)] == ["Câu hỏi 0?", "Câu hỏi 1?"]


# ---- one throttle function per action, for both doors ---------------------------------------


@database_sync_to_async
def http_post(path, data=None, token=None):
    """A POST from the sockets' address, as the same phone's page would send it."""
    client = APIClient(REMOTE_ADDR=CLIENT_ADDRESS)
    if token:
        client.credentials(HTTP_X_PARTICIPANT_TOKEN=token)
    return client.post(path, data or {}, format="json")


@rates(ip_join_burst="3/10min")
async def test_joins_over_http_and_the_socket_count_in_one_window(stream_client):
    session, _ = await open_session()
    url = f"/api/v1/events/{session.event.slug}/join/"
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    first = await http_post(url)
    for ref in ("1", "2", "3"):
        await client.send({"type": "join", "ref": ref})
    answers = [await client.receive_type(("joined", "error")) for _ in range(3)]
    last = await http_post(url)

    assert first.status_code == 201
    assert [a["type"] for a in answers] == ["joined", "joined", "error"]
    assert answers[2]["data"]["code"] == "join.throttled"
    assert last.status_code == 429 and last.json()["code"] == "throttled"
    assert 590 <= int(last["Retry-After"]) <= 600


@rates(participant_question="2/min")
async def test_questions_over_http_and_the_socket_count_against_one_phone_limit(stream_client):
    session, _ = await open_session()
    client, joined = await phone(stream_client, session)
    token, url = joined["participant_token"], f"/api/v1/sessions/{session.pk}/questions/"

    await client.send({"type": "ask", "text": "Qua socket?", "client_id": "s1", "ref": "1"})
    asked = await client.receive_type(("asked", "error"))
    over_http = await http_post(url, {"text": "Qua HTTP?", "client_id": "h1"}, token)
    await client.send({"type": "ask", "text": "Nữa?", "client_id": "s2", "ref": "2"})
    refused = await client.receive_type(("asked", "error"))
    http_refused = await http_post(url, {"text": "Nữa?", "client_id": "h2"}, token)
    http_retry = await http_post(url, {"text": "Qua socket?", "client_id": "s1"}, token)

    assert (asked["type"], over_http.status_code) == ("asked", 201)
    assert (refused["type"], refused["data"]["code"]) == ("error", "question.throttled")
    assert http_refused.status_code == 429 and http_refused.json()["code"] == "throttled"
    assert 1 <= int(http_refused["Retry-After"]) <= 60
    assert http_retry.status_code == 200  # a resend of the socket's question is not counted
    assert [t for t, _ in await questions_of(session)] == ["Qua socket?", "Qua HTTP?"]
