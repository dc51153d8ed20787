"""Lossless by design: resume, replay, snapshot fallback, and the server noticing lost messages."""

import asyncio

import pytest
from django.conf import settings

from live.realtime import streams
from live.realtime.db import database_sync_to_async
from live.realtime.hub import get_hub
from qa import services
from tests import factories
from tests.realtime import StreamClient, state_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


@database_sync_to_async
def arrange(n_pending=5):
    session = factories.session()
    moderator = factories.moderator(session.event)
    questions = [factories.question(session) for _ in range(n_pending)]
    return session, moderator, questions


approve = database_sync_to_async(services.question_approve)


async def approve_all(questions, moderator):
    for q in questions:
        await approve(question_id=q.pk, actor=moderator)


async def read_n(client: StreamClient, n: int) -> list[dict]:
    return [await client.receive() for _ in range(n)]


async def test_resume_replays_exactly_the_missed_messages(stream_client):
    session, moderator, questions = await arrange()
    path = f"/ws/sessions/{session.pk}/"
    steady = await stream_client(path)
    dropped = await stream_client(path)
    position = (dropped.frames[0]["epoch"], dropped.frames[0]["seq"])
    await dropped.disconnect()

    await approve_all(questions, moderator)
    await read_n(steady, 5)
    resumed = await stream_client(
        f"{path}?epoch={position[0]}&seq={position[1]}", expect_snapshot=False
    )
    replay = await read_n(resumed, 5)

    assert [f["type"] for f in replay] == ["question.updated"] * 5
    assert [f["seq"] for f in replay] == [position[1] + i for i in range(1, 6)]
    assert await resumed.nothing_more()
    assert state_of(dropped.frames + replay) == state_of(steady.frames)
    assert len(state_of(steady.frames)["questions"]) == 5


async def test_resume_frame_replays_from_the_given_position(stream_client):
    session, moderator, questions = await arrange(3)
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    await approve_all(questions, moderator)
    live = await read_n(client, 3)

    await client.send({"type": "resume", "epoch": live[0]["epoch"], "seq": live[0]["seq"]})
    replay = await read_n(client, 2)

    assert [f["seq"] for f in replay] == [live[1]["seq"], live[2]["seq"]]
    assert replay == live[1:]


async def test_resume_from_trimmed_position_gets_snapshot(stream_client, realtime_keys):
    session, moderator, questions = await arrange()
    path = f"/ws/sessions/{session.pk}/"
    first = await stream_client(path)
    position = (first.frames[0]["epoch"], first.frames[0]["seq"])
    await first.disconnect()
    await approve_all(questions, moderator)
    # Keep only the last two messages, as a long outage would.
    realtime_keys.ltrim(
        f"{settings.REALTIME['PREFIX']}:rt:{streams.session_stream(session.pk)}:hist", -2, -1
    )

    resumed = await stream_client(
        f"{path}?epoch={position[0]}&seq={position[1]}", expect_snapshot=False
    )
    frame = await resumed.receive()

    assert frame["type"] == "snapshot"
    assert frame["seq"] == position[1] + 5
    assert len(frame["data"]["questions"]) == 5
    assert await resumed.nothing_more()


async def test_resume_with_unknown_epoch_gets_snapshot(stream_client):
    session, _, _ = await arrange(0)
    client = await stream_client(
        f"/ws/sessions/{session.pk}/?epoch=deadbeef0000&seq=3", expect_snapshot=False
    )

    frame = await client.receive()

    assert frame["type"] == "snapshot"
    assert frame["epoch"] != "deadbeef0000"


async def test_resume_from_the_future_gets_snapshot(stream_client):
    session, _, _ = await arrange(0)
    first = await stream_client(f"/ws/sessions/{session.pk}/")
    epoch = first.frames[0]["epoch"]

    client = await stream_client(
        f"/ws/sessions/{session.pk}/?epoch={epoch}&seq=999", expect_snapshot=False
    )

    assert (await client.receive())["type"] == "snapshot"


async def test_resync_sends_fresh_snapshot(stream_client):
    session, moderator, questions = await arrange(2)
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    await approve_all(questions, moderator)
    await read_n(client, 2)

    await client.send({"type": "resync"})
    snapshot = await client.receive()

    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == client.frames[2]["seq"]
    assert {q["id"] for q in snapshot["data"]["questions"]} == {q.pk for q in questions}


async def test_server_replays_when_its_subscription_missed_a_message(stream_client):
    """A message this process never received shows up as a gap in the next one; the socket
    is caught up from history, in order, without the client asking."""
    session, moderator, questions = await arrange(3)
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    hub = get_hub()
    stream = streams.session_stream(session.pk)
    await hub.subscriber.remove(stream)  # this process stops receiving the stream for a moment

    await approve(question_id=questions[0].pk, actor=moderator)
    await hub.subscriber.add(stream)
    await approve_all(questions[1:], moderator)
    frames = await read_n(client, 3)

    assert [f["data"]["id"] for f in frames] == [q.pk for q in questions]
    assert client.gaps == []


async def test_watchdog_recovers_a_silently_lost_last_message(stream_client):
    session, moderator, questions = await arrange(1)
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    hub = get_hub()
    stream = streams.session_stream(session.pk)
    await hub.subscriber.remove(stream)

    await approve(question_id=questions[0].pk, actor=moderator)
    await asyncio.sleep(0.1)
    await hub.subscriber.add(stream)  # nothing else will be published on this stream
    frame = await client.receive(timeout=settings.REALTIME["WATCHDOG_SECONDS"] * 4)

    assert frame["type"] == "question.updated"
    assert frame["data"]["id"] == questions[0].pk
    assert client.gaps == []


async def test_pubsub_connection_killed_on_server_clients_recover(stream_client, realtime_keys):
    """CLIENT KILL TYPE pubsub drops every subscriber; messages published meanwhile are lost by
    pub/sub, yet every client ends in the state of the database."""
    session, moderator, questions = await arrange(6)
    clients = [await stream_client(f"/ws/sessions/{session.pk}/") for _ in range(3)]
    await approve_all(questions[:2], moderator)
    for c in clients:
        await read_n(c, 2)

    killed = realtime_keys.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    await approve_all(questions[2:], moderator)

    for c in clients:
        await read_n(c, 4)
    assert killed >= 1
    assert get_hub().subscriber.reconnects == 1
    expected = {q.pk for q in questions}
    for c in clients:
        assert set(state_of(c.frames)["questions"]) == expected
        assert c.gaps == []
