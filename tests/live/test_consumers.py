"""The three streams through Channels' communicator, against the real Redis backend."""

import json

import pytest
from rest_framework.authtoken.models import Token

from live import services as live_services
from live.realtime.db import database_sync_to_async
from qa import services
from tests import factories
from tests.realtime import StreamClient, token_header

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


@database_sync_to_async
def make_session(**kw):
    session = factories.session(**kw)
    moderator = factories.moderator(session.event)
    token = Token.objects.create(user=moderator)
    return session, moderator, token.key


@database_sync_to_async
def add_question(session, status="pending", **kw):
    return factories.question(session, status=status, **kw)


approve = database_sync_to_async(services.question_approve)
reject = database_sync_to_async(services.question_reject)
pin = database_sync_to_async(services.question_pin)


async def test_session_stream_first_frame_is_snapshot_with_position(stream_client):
    session, _, _ = await make_session()
    public = await add_question(
        session, status="approved", text="Hà Nội có bao nhiêu camera giao thông?"
    )
    await add_question(session, status="pending")

    client = await stream_client(f"/ws/sessions/{session.pk}/")

    snapshot = client.frames[0]
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == 0
    assert isinstance(snapshot["epoch"], str) and len(snapshot["epoch"]) == 12
    assert snapshot["data"]["session"]["id"] == session.pk
    assert snapshot["data"]["session"]["title"] == {"vi": session.title_vi, "en": session.title_en}
    assert [q["id"] for q in snapshot["data"]["questions"]] == [public.pk]
    assert snapshot["data"]["questions"][0]["text"] == "Hà Nội có bao nhiêu camera giao thông?"


async def test_session_stream_unknown_session_closes_4404(stream_client):
    client = StreamClient("/ws/sessions/999999/")
    assert await client.connect()
    assert await client.close_code() == 4404


async def test_session_stream_approval_arrives_as_question_updated(stream_client):
    session, moderator, _ = await make_session()
    question = await add_question(session)
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    await approve(question_id=question.pk, actor=moderator)

    frame = await client.receive()
    assert frame["type"] == "question.updated"
    assert frame["seq"] == client.frames[0]["seq"] + 1
    assert frame["epoch"] == client.frames[0]["epoch"]
    assert frame["data"]["id"] == question.pk
    assert frame["data"]["status"] == "approved"
    assert "original_text" not in frame["data"]  # the public view


async def test_session_stream_rejecting_public_question_sends_removed(stream_client):
    session, moderator, _ = await make_session()
    question = await add_question(session, status="approved")
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    await reject(question_id=question.pk, actor=moderator)

    frame = await client.receive()
    assert frame["type"] == "question.removed"
    assert frame["data"] == {"id": question.pk, "reason": "rejected"}


async def test_session_stream_pending_question_is_not_public(stream_client):
    session, _, _ = await make_session()
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    participant, _ = await database_sync_to_async(factories.participant)(session.event)

    await database_sync_to_async(services.question_submit)(
        session=session, participant=participant, text="Câu hỏi chờ duyệt"
    )

    assert await client.nothing_more(0.5)


async def test_moderation_stream_gets_created_and_who_acted(stream_client):
    session, moderator, token = await make_session()
    client = await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(token))
    participant, _ = await database_sync_to_async(factories.participant)(session.event)

    question, _ = await database_sync_to_async(services.question_submit)(
        session=session, participant=participant, text="Ai chịu trách nhiệm dữ liệu đô thị?"
    )
    created = await client.receive_type("question.created")
    await approve(question_id=question.pk, actor=moderator)
    updated = await client.receive_type("question.updated")

    assert created["type"] == "question.created"
    assert created["data"]["status"] == "pending"
    assert updated["type"] == "question.updated"
    assert updated["data"]["status"] == "approved"
    assert updated["data"]["last_action"]["action"] == "approve"
    assert updated["data"]["last_action"]["by"] == moderator.username
    assert updated["seq"] > created["seq"]
    assert client.gaps == []


async def test_moderation_stream_anonymous_closes_4401():
    session, _, _ = await make_session()
    client = StreamClient(f"/ws/sessions/{session.pk}/moderation/")
    assert await client.connect()
    assert await client.close_code() == 4401


async def test_moderation_stream_bad_token_closes_4401():
    session, _, _ = await make_session()
    client = StreamClient(f"/ws/sessions/{session.pk}/moderation/", token_header("0" * 40))
    assert await client.connect()
    assert await client.close_code() == 4401


async def test_moderation_stream_moderator_of_other_event_closes_4403():
    session, _, _ = await make_session()
    _, _, other_token = await make_session()
    client = StreamClient(f"/ws/sessions/{session.pk}/moderation/", token_header(other_token))
    assert await client.connect()
    assert await client.close_code() == 4403


async def test_moderation_stream_session_cookie_authenticates(stream_client, client):
    session, moderator, _ = await make_session()
    await database_sync_to_async(client.force_login)(moderator)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    ws = await stream_client(f"/ws/sessions/{session.pk}/moderation/", [(b"cookie", cookie)])

    assert ws.frames[0]["data"]["session"]["id"] == session.pk


async def test_moderation_stream_superuser_allowed(stream_client):
    session, _, _ = await make_session()
    admin = await database_sync_to_async(factories.superuser)()
    token = await database_sync_to_async(Token.objects.create)(user=admin)

    ws = await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(token.key))

    assert ws.frames[0]["type"] == "snapshot"


async def test_display_stream_follows_current_session(stream_client):
    session, moderator, _ = await make_session()
    question = await add_question(session)
    display = await stream_client(f"/ws/halls/{session.hall_id}/display/")
    assert display.frames[0]["data"]["session"]["id"] == session.pk
    assert display.frames[0]["data"]["hall"]["id"] == session.hall_id

    await approve(question_id=question.pk, actor=moderator)
    await pin(question_id=question.pk, actor=moderator)

    approved = await display.receive()
    pinned = await display.receive()
    assert (approved["type"], approved["data"]["status"]) == ("question.updated", "approved")
    assert (pinned["type"], pinned["data"]["pinned"]) == ("question.updated", True)
    assert display.gaps == []


async def test_display_stream_switches_when_session_ends(stream_client):
    session, moderator, _ = await make_session()
    later = await database_sync_to_async(factories.session)(
        session.hall, status="scheduled", starts_at=session.ends_at
    )
    display = await stream_client(f"/ws/halls/{session.hall_id}/display/")

    await database_sync_to_async(live_services.session_update)(
        session_id=session.pk, actor=moderator, status="ended"
    )

    changed = await display.receive_type("display.session_changed")
    assert changed["data"]["session"]["id"] == later.pk
    assert changed["data"]["questions"] == []


async def test_votes_are_coalesced_into_absolute_tallies(stream_client):
    session, _, _ = await make_session()
    question = await add_question(session, status="approved")
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    voters = [await database_sync_to_async(factories.participant)(session.event) for _ in range(5)]

    for participant, _ in voters:
        await database_sync_to_async(services.vote_cast)(
            question_id=question.pk, participant=participant
        )

    frames = []
    while not await client.nothing_more(0.8):
        frames.append(await client.receive())
    assert {f["type"] for f in frames} == {"votes.updated"}
    assert len(frames) <= 2  # five votes inside one 200 ms window (tests) -> one or two messages
    assert frames[-1]["data"] == {"votes": {str(question.pk): 5}}


async def test_ping_answers_pong_with_server_time(stream_client):
    session, _, _ = await make_session()
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    await client.send({"type": "ping"})
    pong = await client.receive()

    assert pong["type"] == "pong"
    assert "seq" not in pong
    assert pong["data"]["server_time_ms"] > 1_700_000_000_000


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "frame.invalid_json"),
        ("[1, 2]", "frame.invalid"),
        ('{"no": "type"}', "frame.invalid"),
        ('{"type": "approve"}', "frame.unknown_type"),
        ('{"type": "resume", "epoch": 5, "seq": "x"}', "resume.invalid"),
    ],
)
async def test_bad_frames_get_error_frame_and_socket_stays(stream_client, frame, code):
    session, _, _ = await make_session()
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    await client.send(frame)
    error = await client.receive()
    await client.send({"type": "ping"})

    assert error["type"] == "error"
    assert error["data"]["code"] == code
    assert (await client.receive())["type"] == "pong"


async def test_huge_frame_closes_4400_and_other_sockets_unaffected(stream_client):
    session, moderator, _ = await make_session()
    question = await add_question(session)
    bad = await stream_client(f"/ws/sessions/{session.pk}/")
    good = await stream_client(f"/ws/sessions/{session.pk}/")

    await bad.send(json.dumps({"type": "ping", "pad": "x" * (1 << 20)}))
    error = await bad.receive()
    code = await bad.close_code()
    await approve(question_id=question.pk, actor=moderator)

    assert error["data"]["code"] == "frame.too_large"
    assert code == 4400
    assert (await good.receive())["data"]["id"] == question.pk


async def test_binary_frame_gets_error(stream_client):
    session, _, _ = await make_session()
    client = await stream_client(f"/ws/sessions/{session.pk}/")

    await client.communicator.send_to(bytes_data=b"\x00\x01")

    assert (await client.receive())["data"]["code"] == "frame.binary"


async def test_moderation_stream_counts_connected_screens(stream_client):
    session, _, token = await make_session()
    await stream_client(f"/ws/sessions/{session.pk}/")
    await stream_client(f"/ws/sessions/{session.pk}/")
    await stream_client(f"/ws/halls/{session.hall_id}/display/")
    moderation = await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(token))

    frame = await moderation.receive_type("presence.updated", timeout=4)

    assert frame["data"] == {"presence": {"phones": 2, "displays": 1, "moderators": 1}}


async def test_session_status_change_reaches_audience_moderators_and_display(stream_client):
    session, moderator, token = await make_session()
    phone = await stream_client(f"/ws/sessions/{session.pk}/")
    console = await stream_client(f"/ws/sessions/{session.pk}/moderation/", token_header(token))
    display = await stream_client(f"/ws/halls/{session.hall_id}/display/")

    await database_sync_to_async(live_services.session_update)(
        session_id=session.pk, actor=moderator, status="qa", qa_open=False
    )

    for client in (phone, console, display):
        frame = await client.receive_type("session.updated")
        assert frame["data"]["session"]["status"] == "qa"
        assert frame["data"]["session"]["qa_open"] is False
        assert frame["data"]["session"]["version"] == 2
        assert client.gaps == []
