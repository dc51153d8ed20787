"""The realtime backend's contract (live/realtime/backend.py), one suite run against both
implementations: Redis (production) and memory (one process, `make run`)."""

import asyncio
import json
import uuid

import pytest
from django.conf import settings

from live.realtime.backend import Backend
from live.realtime.envelope import frame_seq
from live.realtime.memory_backend import MemoryBackend
from live.realtime.redis_backend import RedisBackend

HISTORY = 5


@pytest.fixture(params=["redis", "memory"])
async def backend(request):
    if request.param == "memory":
        yield MemoryBackend(history=HISTORY)
        return
    prefix = f"contract-{uuid.uuid4().hex[:8]}"
    redis_backend = RedisBackend(settings.REDIS_URL, prefix=prefix, history=HISTORY)
    yield redis_backend
    for key in redis_backend.sync.scan_iter(match=f"{prefix}:*"):
        redis_backend.sync.delete(key)
    await redis_backend.close_loop_clients()
    redis_backend.sync.close()


def publish(backend: Backend, stream: str, n: int) -> list:
    return [
        backend.publish(stream, "session.updated", json.dumps({"n": i})) for i in range(1, n + 1)
    ]


async def test_publish_numbers_messages_in_one_epoch(backend):
    positions = publish(backend, "s.1", 3)

    assert [p.seq for p in positions] == [1, 2, 3]
    assert len({p.epoch for p in positions}) == 1
    assert await backend.position("s.1") == positions[-1]


async def test_position_of_a_new_stream_starts_the_epoch_publish_continues(backend):
    start = await backend.position("s.1")
    first = backend.publish("s.1", "session.updated", "{}")

    assert start.seq == 0
    assert first == (start.epoch, 1)


async def test_history_after_is_exactly_the_missed_frames(backend):
    positions = publish(backend, "s.1", 4)
    epoch = positions[0].epoch

    frames = await backend.history_after("s.1", epoch, 1)

    assert [frame_seq(f) for f in frames] == [2, 3, 4]
    assert [json.loads(f) for f in frames] == [
        {"seq": n, "epoch": epoch, "type": "session.updated", "data": {"n": n}} for n in (2, 3, 4)
    ]
    assert await backend.history_after("s.1", epoch, 4) == []


async def test_history_after_refuses_what_it_cannot_give_whole(backend):
    epoch = publish(backend, "s.1", HISTORY + 2)[0].epoch

    assert await backend.history_after("s.1", epoch, 0) is None  # trimmed
    assert await backend.history_after("s.1", "otherepoch", 3) is None
    assert await backend.history_after("s.1", epoch, HISTORY + 3) is None  # ahead of it
    assert await backend.history_after("never", epoch, 0) is None
    assert len(await backend.history_after("s.1", epoch, 2)) == HISTORY


async def test_positions_of_unknown_streams_are_none(backend):
    known = publish(backend, "s.1", 2)[-1]

    assert await backend.positions(["s.1", "s.2"]) == {"s.1": known, "s.2": None}


async def test_reset_starts_a_new_epoch(backend):
    before = publish(backend, "s.1", 2)[-1]
    backend.reset("s.1")
    after = await backend.position("s.1")

    assert after.epoch != before.epoch
    assert after.seq == 0
    assert await backend.history_after("s.1", before.epoch, 1) is None


async def test_subscriber_gets_the_streams_it_follows_in_order(backend):
    received = []

    async def on_reconnect():
        pass

    subscriber = backend.subscriber(
        lambda stream, epoch, seq, frame: received.append((stream, seq, frame_seq(frame))),
        on_reconnect,
    )
    await subscriber.start()
    await subscriber.add("s.1")
    await subscriber.add("s.2")
    await subscriber.remove("s.2")
    await asyncio.to_thread(publish, backend, "s.1", 3)
    await asyncio.to_thread(publish, backend, "s.2", 1)
    await asyncio.to_thread(publish, backend, "s.3", 1)
    for _ in range(100):
        if len(received) >= 3:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)  # room for a message that should not come
    await subscriber.close()

    assert received == [("s.1", 1, 1), ("s.1", 2, 2), ("s.1", 3, 3)]


async def test_window_is_armed_once_and_rearmed_when_members_arrive_meanwhile(backend):
    first = backend.mark_dirty("votes:1", "10", 500)
    second = backend.mark_dirty("votes:1", "11", 500)
    taken = backend.take_dirty("votes:1")
    late = backend.mark_dirty("votes:1", "12", 500)
    rearm = backend.release_window("votes:1", 500)
    taken_late = backend.take_dirty("votes:1")
    closed = backend.release_window("votes:1", 500)
    next_window = backend.mark_dirty("votes:1", "13", 500)

    assert (first, second, late) == (True, False, False)
    assert sorted(taken) == ["10", "11"]
    assert rearm is True
    assert taken_late == ["12"]
    assert closed is False
    assert next_window is True


async def test_swap_returns_the_previous_value_and_set_if_absent_keeps_the_first(backend):
    assert backend.swap("k", "a") is None
    assert backend.swap("k", "b") == "a"
    backend.set_if_absent("once", "first")
    backend.set_if_absent("once", "second")

    assert backend.swap("once", "third") == "first"


async def test_get_reads_a_shared_value_without_changing_it(backend):
    assert backend.get("seen") is None
    backend.swap("seen", "2026-12-01T09:00:00+00:00")

    assert backend.get("seen") == "2026-12-01T09:00:00+00:00"
    assert backend.get("seen") == "2026-12-01T09:00:00+00:00"


async def test_presence_adds_up_processes(backend):
    backend.presence_report("process-a", {"s.1": 3, "s.2": 1})
    backend.presence_report("process-b", {"s.1": 4})
    backend.presence_report("process-a", {"s.1": 2, "s.2": 1})  # a newer report replaces

    assert backend.presence_totals(["s.1", "s.2", "s.3"]) == {"s.1": 6, "s.2": 1, "s.3": 0}
