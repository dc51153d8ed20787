"""A Redis outage must never wedge a process: the subscriber, the hub and a socket's recovery
against a real Redis of the test's own, stopped and started again (issue #10)."""

import asyncio

import pytest

from live.realtime import hub as hub_module
from live.realtime import streams
from live.realtime.db import database_sync_to_async
from live.realtime.hub import Hub
from live.realtime.redis_backend import RedisBackend, SubscribeTimeout
from tests import factories

# Bounds every wait, so a wedged subscriber fails the test instead of hanging it.
LIMIT = 15


class Received:
    """What a subscriber hands over, and how often it caught up after a reconnect."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, int]] = []
        self.catch_ups = 0

    def on_message(self, stream: str, epoch: str, seq: int, frame: str) -> None:
        self.messages.append((stream, seq))

    async def on_reconnect(self) -> None:
        self.catch_ups += 1


class Listener:
    """A hub member that only records (stands for a socket)."""

    def __init__(self) -> None:
        self.frames: list[int] = []
        self.recoveries = 0

    def deliver(self, epoch: str, seq: int, frame: str) -> None:
        self.frames.append(seq)

    def request_recovery(self) -> None:
        self.recoveries += 1


def backend_for(redis) -> RedisBackend:
    return RedisBackend(redis.url, prefix="outage", history=100)


async def publish(backend: RedisBackend, stream: str) -> int:
    position = await asyncio.to_thread(backend.publish, stream, "session.updated", "{}")
    return position.seq


async def eventually(check, what: str, seconds: float = LIMIT) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(0.05)


async def add_when_back(subscriber_or_hub, *args) -> float:
    """Retry a subscription until Redis confirms it; the seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        try:
            await asyncio.wait_for(subscriber_or_hub(*args), LIMIT)
            return loop.time() - started
        except (SubscribeTimeout, ConnectionError):
            if loop.time() - started > LIMIT:
                raise
            await asyncio.sleep(0.1)


async def test_subscribe_during_an_outage_does_not_wedge_the_process(own_redis):
    """A socket opening a new stream while Redis is down once held the subscriber's lock
    while waiting for a connection the reconnect (needing that lock) never made."""
    backend = backend_for(own_redis)
    received = Received()
    subscriber = backend.subscriber(received.on_message, received.on_reconnect)
    subscriber.CONFIRM_SECONDS = 1.0
    try:
        await asyncio.wait_for(subscriber.add("old"), LIMIT)
        await publish(backend, "old")
        await eventually(lambda: received.messages == [("old", 1)], "the first message")

        own_redis.stop()
        with pytest.raises(SubscribeTimeout):
            await asyncio.wait_for(subscriber.add("new"), LIMIT)
        own_redis.start()
        await add_when_back(subscriber.add, "new")
        await publish(backend, "old")
        await publish(backend, "new")
        await eventually(lambda: len(received.messages) == 3, "messages after the restart")
    finally:
        await subscriber.close()
        await backend.close_loop_clients()

    # A restart loses every key: both streams start a new epoch at seq 1.
    assert received.messages == [("old", 1), ("old", 1), ("new", 1)]
    assert subscriber.reconnects == 1
    assert received.catch_ups == 1


async def test_idle_subscriber_notices_a_restart(own_redis):
    """With no stream subscribed, the connection was never read: a dead one went unnoticed
    until the next subscribe failed on it."""
    backend = backend_for(own_redis)
    received = Received()
    subscriber = backend.subscriber(received.on_message, received.on_reconnect)
    try:
        await subscriber.start()
        await asyncio.sleep(0.5)  # connected, idle
        own_redis.stop()
        own_redis.start()
        # The first socket on a stream after the restart: one try, as a socket makes it.
        await asyncio.wait_for(subscriber.add("fresh"), LIMIT)
        await publish(backend, "fresh")
        await eventually(lambda: received.messages == [("fresh", 1)], "a message")
    finally:
        await subscriber.close()
        await backend.close_loop_clients()


async def test_failed_subscription_is_not_kept_for_the_next_socket(own_redis):
    """The hub once stored a failed subscribe per stream for good: every later socket of that
    stream failed on the same process."""
    hub = Hub(backend_for(own_redis))
    hub.subscriber.CONFIRM_SECONDS = 1.0
    first, second = Listener(), Listener()
    try:
        own_redis.stop()
        with pytest.raises(SubscribeTimeout):
            await asyncio.wait_for(hub.join(first, "talk"), LIMIT)
        await hub.leave(first, "talk")
        own_redis.start()
        await add_when_back(hub.join, second, "talk")
        await publish(hub.backend, "talk")
        await eventually(lambda: second.frames == [1], "the message after the restart")
    finally:
        await hub.close()
        await hub.backend.close_loop_clients()

    assert first.frames == []
    assert hub.count("talk") == 1


async def test_reconnect_makes_every_member_catch_up(own_redis):
    hub = Hub(backend_for(own_redis))
    listeners = [Listener() for _ in range(3)]
    try:
        for listener in listeners:
            await asyncio.wait_for(hub.join(listener, "talk"), LIMIT)
        own_redis.stop(kill=True)
        own_redis.start()
        await eventually(
            lambda: all(listener.recoveries == 1 for listener in listeners),
            "every member asked to recover",
        )
        await publish(hub.backend, "talk")
        await eventually(lambda: all(lr.frames == [1] for lr in listeners), "the next message")
    finally:
        await hub.close()
        await hub.backend.close_loop_clients()


# ---- a socket on a process whose Redis goes away ------------------------------------------------


@pytest.fixture
async def hub_on(own_redis):
    """This event loop's hub, on the test's own Redis (the sockets' consumers use it)."""
    loop = asyncio.get_running_loop()
    hub = hub_module._hubs[loop] = Hub(backend_for(own_redis))
    yield hub
    hub_module._hubs.pop(loop, None)
    await hub.close()
    await hub.backend.close_loop_clients()


@pytest.mark.django_db(transaction=True)
async def test_failed_recovery_closes_with_4503_and_releases_the_socket(
    stream_client, hub_on, own_redis
):
    """A recovery that failed closed with 1011, which Daphne's WebSocket library refuses to
    send: the socket stayed open, out of the hub, deaf to everything. Now: one retry on a
    fresh connection, then a close the client acts on (it reconnects with backoff)."""
    session = await database_sync_to_async(factories.session)()
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    stream = streams.session_stream(session.pk)
    members_before = hub_on.count(stream)

    own_redis.stop()
    await client.send({"type": "resync"})
    code = await client.close_code(timeout=LIMIT)

    assert members_before == 1
    assert code == 4503
    assert hub_on.count(stream) == 0


@pytest.mark.django_db(transaction=True)
async def test_deeply_nested_frame_is_refused_and_the_socket_lives(stream_client):
    """3.8 KB of brackets exhausted the JSON parser's recursion, crashed the socket and left
    its member in the hub: a phone that did not exist, counted in presence for good."""
    session = await database_sync_to_async(factories.session)()
    client = await stream_client(f"/ws/sessions/{session.pk}/")
    stream = streams.session_stream(session.pk)

    await client.send("[" * 1900 + "]" * 1900)
    error = await client.receive()
    await client.send({"type": "ping"})
    pong = await client.receive()
    members_while_open = hub_module.get_hub().count(stream)
    await client.disconnect()
    await asyncio.sleep(0.05)

    assert error["type"] == "error"
    assert error["data"]["code"] == "frame.invalid_json"
    assert pong["type"] == "pong"
    assert members_while_open == 1
    assert hub_module.get_hub().count(stream) == 0
