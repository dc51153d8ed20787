"""Two real Daphne processes sharing the real Redis: what a moderator does through one reaches
phones on the other, in order; idle sockets survive."""

import asyncio
import json
import socket
import time

import httpx
import pytest
import websockets
from rest_framework.authtoken.models import Token

from live.realtime.db import database_sync_to_async
from qa import services
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("realtime_keys")]


@database_sync_to_async
def arrange(n: int = 3):
    session = factories.session()
    moderator = factories.moderator(session.event)
    token = Token.objects.create(user=moderator).key
    return session, moderator, token, [factories.question(session) for _ in range(n)]


async def next_frame(ws, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def test_approval_through_one_process_reaches_clients_of_the_other(daphne):
    first, second = daphne(), daphne()
    session, _, token, questions = await arrange(4)
    warmup, questions = questions[0], questions[1:]
    path = f"/ws/sessions/{session.pk}/"

    async with (
        websockets.connect(first.ws_url + path) as phone_a,
        websockets.connect(second.ws_url + path) as phone_b,
    ):
        snapshots = [await next_frame(phone_a), await next_frame(phone_b)]
        async with httpx.AsyncClient(
            base_url=second.url, headers={"Authorization": f"Token {token}"}
        ) as api:
            # A fresh process's first approval imports and connects everything; warm it up.
            warm = await api.post(f"/api/v1/questions/{warmup.pk}/approve/", json={})
            assert warm.status_code == 200
            await next_frame(phone_a)
            await next_frame(phone_b)
            latencies, frames = [], []
            for q in questions:
                started = time.monotonic()
                response = await api.post(f"/api/v1/questions/{q.pk}/approve/", json={})
                assert response.status_code == 200, response.text
                frame = await next_frame(phone_a, timeout=1.0)
                latencies.append(time.monotonic() - started)
                frames.append(frame)
            frames_b = [await next_frame(phone_b, timeout=1.0) for _ in questions]

    assert [s["type"] for s in snapshots] == ["snapshot", "snapshot"]
    assert snapshots[0]["epoch"] == snapshots[1]["epoch"]
    base = snapshots[0]["seq"] + 1  # after the warm-up approval
    assert [f["seq"] for f in frames] == [base + 1, base + 2, base + 3]
    assert [f["data"]["id"] for f in frames] == [q.pk for q in questions]
    assert frames_b == frames
    assert max(latencies) < 1.0


async def test_socket_idle_longer_than_redis_timeout_still_receives(daphne):
    """redis-py 8 would cut an idle subscriber after 5 s without socket_timeout=None."""
    server = daphne()
    session, moderator, _, questions = await arrange(1)

    async with websockets.connect(server.ws_url + f"/ws/sessions/{session.pk}/") as phone:
        snapshot = await next_frame(phone)
        await asyncio.sleep(6.5)
        await database_sync_to_async(services.question_approve)(
            question_id=questions[0].pk, actor=moderator
        )
        frame = await next_frame(phone, timeout=2.0)

    assert frame["type"] == "question.updated"
    assert frame["seq"] == snapshot["seq"] + 1


async def test_channel_layer_group_survives_idle_longer_than_redis_timeout():
    """The Channels layer from settings (channels-redis pub/sub) keeps an idle group member."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisPubSubChannelLayer"
    channel = await layer.new_channel()
    await layer.group_add("idle-test", channel)
    await asyncio.sleep(6.5)
    await layer.group_send("idle-test", {"type": "hello", "text": "xin chào"})
    message = await asyncio.wait_for(layer.receive(channel), 3)
    await layer.group_discard("idle-test", channel)
    await layer.flush()

    assert message == {"type": "hello", "text": "xin chào"}


async def test_slow_client_is_dropped_and_others_get_everything(daphne):
    """A phone that stops reading must not hold the server's memory or slow the others."""
    from live.realtime import streams
    from live.realtime.publish import publish_now

    server = daphne()  # drops a socket with more than 1 MiB waiting for it
    session, _, _, _ = await arrange(0)
    url = server.ws_url + f"/ws/sessions/{session.pk}/"
    padding = "ồ" * 2000  # ~6 KB of UTF-8 per message
    count = 1500  # ~9 MB: more than the kernel buffers and the 1 MiB allowance together
    small = socket.socket()
    small.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    small.connect(("127.0.0.1", server.port))

    async with (
        websockets.connect(url, sock=small, max_queue=1) as slow,
        websockets.connect(url) as fast,
    ):
        await next_frame(slow)
        first = await next_frame(fast)

        async def read_fast():
            return [await next_frame(fast, timeout=10) for _ in range(count)]

        reader = asyncio.ensure_future(read_fast())
        for i in range(count):
            await asyncio.to_thread(
                publish_now,
                [streams.session_stream(session.pk)],
                "session.updated",
                {"session": {"id": session.pk, "i": i, "padding": padding}},
            )
        received = await reader
        slow_frames = 0
        with pytest.raises(websockets.ConnectionClosed) as closed:
            for _ in range(count + 1):
                await asyncio.wait_for(slow.recv(), 10)
                slow_frames += 1

    assert [f["seq"] for f in received] == list(range(first["seq"] + 1, first["seq"] + count + 1))
    assert slow_frames < count
    # The close frame (4408) waits behind data the phone never reads, so the phone usually
    # sees the connection drop instead; either way it reconnects and resumes.
    assert closed.value.rcvd is None or closed.value.rcvd.code == 4408
