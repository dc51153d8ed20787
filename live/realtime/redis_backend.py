"""The backend of production: streams, windows, shared values and presence in Redis.

One Lua script assigns the next seq, appends the frame to a capped history list and publishes
it, atomically, so the order of seq is the order of delivery. Each process holds one pub/sub
connection (`RedisSubscriber`) and receives a stream's message once, whatever the number of
its sockets. The contract is live/realtime/backend.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time

from live.realtime.backend import (
    PRESENCE_TTL,
    MessageHandler,
    Position,
    ReconnectHandler,
    new_epoch,
    sum_fresh,
)
from live.realtime.envelope import frame_seq

log = logging.getLogger(__name__)

_PUBLISH = """
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local frame = '{"seq":' .. seq .. ',"epoch":"' .. epoch .. '","type":"' .. ARGV[2] .. '","data":' .. ARGV[3] .. '}'
redis.call('RPUSH', KEYS[2], frame)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', KEYS[3], epoch .. ' ' .. seq .. ' ' .. ARGV[6] .. '\\n' .. frame)
return {epoch, seq}
"""

_POSITION = """
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
local v = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
return {v[1], v[2] or '0'}
"""

# The frames after seq ARGV[1], if the epoch still is ARGV[2]. Returns {epoch, seq, frames...}.
_HISTORY = """
local v = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if not v[1] then return {} end
local cur = tonumber(v[2] or '0')
local want = cur - tonumber(ARGV[1])
if v[1] ~= ARGV[2] or want <= 0 then return {v[1], cur} end
local out = redis.call('LRANGE', KEYS[2], -want, -1)
table.insert(out, 1, cur)
table.insert(out, 1, v[1])
return out
"""

# Coalescing: remember a dirty member; tell the caller whether it must arm the flush.
_MARK = """
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], 3600)
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""

_TAKE = """
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members
"""

# Release the window; if members arrived meanwhile, take the window again for the caller.
_RELEASE = """
redis.call('DEL', KEYS[2])
if redis.call('SCARD', KEYS[1]) > 0 and redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  return 1
end
return 0
"""

HISTORY_TTL_SECONDS = 7 * 24 * 3600


def _retry_once(asynchronous: bool) -> dict:
    """Pooled connections go stale when Redis restarts; the first command on one fails. Try
    it again at once on a fresh connection (redis-py retries nothing by default here). Only
    on a broken connection, not a timeout: a command that timed out may have run."""
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    if asynchronous:
        from redis.asyncio.retry import Retry
    else:
        from redis.retry import Retry
    return {"retry": Retry(NoBackoff(), 1), "retry_on_error": [RedisConnectionError]}


class RedisBackend:
    def __init__(self, url: str, *, prefix: str, history: int, max_connections: int = 1000):
        import redis

        self.url = url
        self.prefix = prefix
        self.history = history
        self.max_connections = max_connections
        # Publishing happens in Django's worker threads; redis-py's sync client is thread-safe.
        self.sync = redis.Redis.from_url(
            url,
            socket_timeout=5,
            socket_connect_timeout=5,
            max_connections=max_connections,
            **_retry_once(asynchronous=False),
        )
        self._publish = self.sync.register_script(_PUBLISH)
        self._mark = self.sync.register_script(_MARK)
        self._take = self.sync.register_script(_TAKE)
        self._release = self.sync.register_script(_RELEASE)
        self._async: dict[asyncio.AbstractEventLoop, object] = {}

    # keys
    def _meta(self, stream: str) -> str:
        return f"{self.prefix}:rt:{stream}:meta"

    def _hist(self, stream: str) -> str:
        return f"{self.prefix}:rt:{stream}:hist"

    def channel(self, stream: str) -> str:
        return f"{self.prefix}:rt:{stream}"

    def stream_of_channel(self, channel: str) -> str:
        return channel[len(self.prefix) + 4 :]

    def _aio(self):
        """An asyncio client for the running loop (clients are bound to their loop)."""
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            client = aioredis.Redis.from_url(
                self.url,
                socket_timeout=10,
                socket_connect_timeout=5,
                max_connections=self.max_connections,
                **_retry_once(asynchronous=True),
            )
            self._async[loop] = client
        return client

    async def close_loop_clients(self) -> None:
        client = self._async.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    # the contract
    def publish(self, stream: str, type: str, data_json: str) -> Position:
        epoch, seq = self._publish(
            keys=[self._meta(stream), self._hist(stream), self.channel(stream)],
            # The publish time travels in the pub/sub header (not the frame) for the metrics.
            args=[new_epoch(), type, data_json, self.history, HISTORY_TTL_SECONDS, time.time()],
        )
        return Position(epoch.decode(), int(seq))

    def reset(self, stream: str) -> None:
        """Forget a stream's position and history: its clients will take a fresh snapshot."""
        self.sync.delete(self._meta(stream), self._hist(stream))

    async def position(self, stream: str) -> Position:
        client = self._aio()
        epoch, seq = await client.eval(
            _POSITION, 1, self._meta(stream), new_epoch(), HISTORY_TTL_SECONDS
        )
        return Position(epoch.decode(), int(seq))

    async def positions(self, streams: list[str]) -> dict[str, Position | None]:
        client = self._aio()
        async with client.pipeline(transaction=False) as pipe:
            for stream in streams:
                pipe.hmget(self._meta(stream), "epoch", "seq")
            rows = await pipe.execute()
        return {
            stream: Position(row[0].decode(), int(row[1] or 0)) if row[0] else None
            for stream, row in zip(streams, rows, strict=True)
        }

    async def history_after(self, stream: str, epoch: str, seq: int) -> list[str] | None:
        """Exactly the frames after (epoch, seq), in order; None if they are not all kept."""
        client = self._aio()
        reply = await client.eval(_HISTORY, 2, self._meta(stream), self._hist(stream), seq, epoch)
        if len(reply) < 2 or reply[0].decode() != epoch:
            return None
        current = int(reply[1])
        if seq > current:
            return None
        frames = [f.decode() for f in reply[2:]]
        if len(frames) != current - seq or (frames and frame_seq(frames[0]) != seq + 1):
            return None
        return frames

    def subscriber(self, on_message: MessageHandler, on_reconnect: ReconnectHandler):
        return RedisSubscriber(self, on_message, on_reconnect)

    # coalescing windows
    def _dirty(self, name: str) -> str:
        return f"{self.prefix}:co:{name}:dirty"

    def _window(self, name: str) -> str:
        return f"{self.prefix}:co:{name}:window"

    def mark_dirty(self, name: str, member: str, window_ms: int) -> bool:
        keys = [self._dirty(name), self._window(name)]
        return bool(self._mark(keys=keys, args=[member, window_ms * 4]))

    def take_dirty(self, name: str) -> list[str]:
        return [m.decode() for m in self._take(keys=[self._dirty(name)])]

    def release_window(self, name: str, window_ms: int) -> bool:
        keys = [self._dirty(name), self._window(name)]
        return bool(self._release(keys=keys, args=[window_ms * 4]))

    def swap(self, key: str, value: str) -> str | None:
        old = self.sync.set(f"{self.prefix}:kv:{key}", value, get=True, ex=HISTORY_TTL_SECONDS)
        return old.decode() if old is not None else None

    def set_if_absent(self, key: str, value: str) -> None:
        self.sync.set(f"{self.prefix}:kv:{key}", value, nx=True, ex=HISTORY_TTL_SECONDS)

    def get(self, key: str) -> str | None:
        value = self.sync.get(f"{self.prefix}:kv:{key}")
        return value.decode() if value is not None else None

    # presence: each process reports its own socket counts; entries older than PRESENCE_TTL
    # belong to a process that went away and are ignored.
    def presence_report(self, process: str, counts: dict[str, int]) -> None:
        now = time.time()
        with self.sync.pipeline(transaction=False) as pipe:
            for stream, count in counts.items():
                key = f"{self.prefix}:presence:{stream}"
                pipe.hset(key, process, f"{count}:{now:.0f}")
                pipe.expire(key, PRESENCE_TTL * 4)
            pipe.execute()

    def presence_totals(self, streams: list[str]) -> dict[str, int]:
        with self.sync.pipeline(transaction=False) as pipe:
            for stream in streams:
                pipe.hgetall(f"{self.prefix}:presence:{stream}")
            rows = pipe.execute()
        return {
            stream: sum_fresh(v.decode() for v in row.values())
            for stream, row in zip(streams, rows, strict=True)
        }


class SubscribeTimeout(ConnectionError):
    """Redis did not confirm a subscription in time (it is down, or the connection is)."""


class RedisSubscriber:
    """One pub/sub connection per process and event loop, owned by one task (`_run`).

    That task connects, subscribes to every wanted stream plus a control channel (so the
    connection is always read, even with no stream: a dead one is noticed at once), reads,
    probes a silent connection with PING, and after any failure reconnects with backoff and
    then calls `on_reconnect`, so the hub catches its sockets up from history: a dropped
    connection loses pub/sub messages silently.

    Nothing holds a lock across a network wait (an outage once wedged a process for good,
    issue #10): `add` records the stream, sends SUBSCRIBE if a connection is up, and waits,
    bounded, for Redis to confirm it on this connection or on the next one `_run` makes."""

    CONFIRM_SECONDS = 5.0  # how long `add` waits for Redis to confirm a subscription
    PROBE_SECONDS = 5.0  # silence after which the connection is probed, and the probe's limit
    BACKOFF_MAX_SECONDS = 2.0

    def __init__(self, backend: RedisBackend, on_message: MessageHandler, on_reconnect):
        self.backend = backend
        self.on_message = on_message
        self.on_reconnect = on_reconnect
        self.streams: set[str] = set()  # wanted, whatever the state of the connection
        self._confirmed: set[str] = set()  # confirmed on the current connection
        self.published_at = 0.0  # of the message being handed over (backend.Subscriber)
        self._waiters: dict[str, asyncio.Future] = {}
        self._pubsub = None
        self._client = None
        self._connected = False
        self._task: asyncio.Task | None = None
        self._recovering: asyncio.Task | None = None
        self._closed = False
        self.connections = 0  # made so far; all but the first are reconnects
        self.control_channel = backend.channel("_control")

    async def start(self) -> None:
        """Starts the connection task; does not wait for Redis (a process serves what it can
        without it, and each `add` waits for its own stream)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def add(self, stream: str) -> None:
        """Returns once Redis confirmed the subscription, so a position read after it is safe;
        raises SubscribeTimeout if it cannot within CONFIRM_SECONDS."""
        await self.start()
        self.streams.add(stream)
        if stream in self._confirmed:
            return
        waiter = self._waiters.get(stream)
        if waiter is None or waiter.done():
            waiter = self._waiters[stream] = asyncio.get_running_loop().create_future()
            if self._connected:
                pubsub = self._pubsub
                try:
                    await pubsub.subscribe(self.backend.channel(stream))
                except Exception as exc:  # the run task notices too, reconnects, subscribes
                    log.warning("realtime subscribe to %s failed: %r", stream, exc)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.CONFIRM_SECONDS)
        except TimeoutError:
            if self._waiters.get(stream) is waiter:
                del self._waiters[stream]  # the next add sends SUBSCRIBE again
            raise SubscribeTimeout(f"Redis did not confirm the subscription to {stream}") from None

    async def remove(self, stream: str) -> None:
        self.streams.discard(stream)
        self._confirmed.discard(stream)
        if self._connected:
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe(self.backend.channel(stream))

    # ---- the connection task ---------------------------------------------------------------

    async def _run(self) -> None:
        backoff = 0.1
        failures = 0  # in a row: an outage is logged once as a warning, not every 2 s
        while not self._closed:
            try:
                await self._connect()
                if failures:
                    log.warning("realtime subscriber reconnected after %d attempts", failures)
                backoff, failures = 0.1, 0
                await self._read(catch_up=self.connections > 1)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "realtime subscriber has no Redis connection: %r", exc)
            finally:
                self._connected = False
                self._confirmed.clear()
                await self._close_connection()
            if not self._closed:
                await asyncio.sleep(backoff * (0.5 + secrets.randbelow(1000) / 1000))
                backoff = min(backoff * 2, self.BACKOFF_MAX_SECONDS)

    @property
    def reconnects(self) -> int:
        return max(0, self.connections - 1)

    async def _connect(self) -> None:
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # socket_timeout=None: an idle subscriber must not be cut off (redis-py 8 defaults to
        # 5 s); the PING probe finds a dead connection instead. No retries inside redis-py: a
        # reconnect that happened there would skip the catch-up.
        client = aioredis.Redis.from_url(
            self.backend.url,
            socket_timeout=None,
            socket_connect_timeout=5,
            health_check_interval=0,
            retry=Retry(NoBackoff(), 0),
        )
        self._client = client
        self._pubsub = pubsub = client.pubsub()
        initial = set(self.streams)
        await pubsub.subscribe(self.control_channel, *(self.backend.channel(s) for s in initial))
        self._connected = True
        self.connections += 1
        missing = self.streams - initial  # added while the first SUBSCRIBE was on its way
        if missing:
            await pubsub.subscribe(*(self.backend.channel(s) for s in missing))

    async def _read(self, *, catch_up: bool) -> None:
        """Dispatch messages until the connection fails. With `catch_up` (a reconnect), once
        every stream wanted now is confirmed, `on_reconnect` recovers what was missed."""
        pubsub = self._pubsub
        unconfirmed = set(self.streams)
        quiet_since = time.monotonic()
        probing = False
        while not self._closed:
            message = await pubsub.get_message(timeout=1.0)
            now = time.monotonic()
            if message is None:
                if now - quiet_since > self.PROBE_SECONDS:
                    if probing:
                        raise ConnectionError("Redis did not answer PING")
                    probing, quiet_since = True, now
                    await pubsub.ping()
                continue
            quiet_since, probing = now, False
            kind = message["type"]
            if kind == "message":
                self._dispatch(message)
            elif kind == "subscribe":
                stream = self.backend.stream_of_channel(message["channel"].decode())
                if stream in self.streams:
                    self._confirmed.add(stream)
                waiter = self._waiters.pop(stream, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
                unconfirmed.discard(stream)
                unconfirmed &= self.streams  # a stream left meanwhile needs no confirmation
                if catch_up and not unconfirmed:
                    catch_up = False
                    self._recovering = asyncio.ensure_future(self.on_reconnect())
            elif kind == "unsubscribe":
                stream = self.backend.stream_of_channel(message["channel"].decode())
                if stream not in self.streams:
                    self._confirmed.discard(stream)

    def _dispatch(self, message: dict) -> None:
        payload = message["data"].decode()
        head, _, frame = payload.partition("\n")
        epoch, _, seq = head.partition(" ")
        # "epoch seq time"; a publisher older than the metrics sends "epoch seq".
        seq, _, published_at = seq.partition(" ")
        stream = self.backend.stream_of_channel(message["channel"].decode())
        self.published_at = float(published_at or 0)
        self.on_message(stream, epoch, int(seq), frame)

    async def close(self) -> None:
        self._closed = True
        for task in (self._task, self._recovering):
            if task:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        await self._close_connection()

    async def _close_connection(self) -> None:
        pubsub, client, self._pubsub, self._client = self._pubsub, self._client, None, None
        with contextlib.suppress(Exception):
            if pubsub is not None:
                await pubsub.aclose()
        with contextlib.suppress(Exception):
            if client is not None:
                await client.aclose()
