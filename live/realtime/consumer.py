"""The consumer base: one socket following one stream, losslessly.

A subclass says which stream a socket follows and who may follow it (`resolve_stream`);
everything else is here: the first frame (snapshot, or the replay a reconnecting client asked
for), seq bookkeeping, recovery from gaps, the client commands, and bad-frame handling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from live import metrics
from live.realtime import envelope
from live.realtime.backend import Position
from live.realtime.hub import get_hub
from live.realtime.transport import backlog_probe, direct_writer, send_eagerly, unwrap_send

log = logging.getLogger(__name__)

# A recovery that failed (a stale pooled connection after a Redis restart) is tried once more
# after this pause, on a fresh connection.
RECOVERY_RETRY_SECONDS = 0.5


class Denied(Exception):
    def __init__(self, close_code: int):
        self.close_code = close_code
        super().__init__(close_code)


class SocketWithoutChannelLayer(AsyncWebsocketConsumer):
    """A socket served without Channels' per-message database clean-up and channel layer."""

    # The hub carries every broadcast: no channel-layer channel per socket (Channels would
    # otherwise subscribe one in Redis and keep a receive task waiting on it, per socket).
    channel_layer_alias = None

    async def dispatch(self, message: dict) -> None:
        """Channels 4.3 runs close_old_connections in the database thread before every handler
        (a thread hop per connect, ping and frame; 41% of a loaded Daphne's samples in the
        profile given with issue #6). These consumers touch the database only through
        database_sync_to_async, which does that clean-up itself, in that thread."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class StreamConsumer(SocketWithoutChannelLayer):
    """Subclasses implement `resolve_stream` and may add entries to `commands`."""

    async def resolve_stream(self) -> str:
        """The stream this socket follows; raise Denied(close code) to refuse it."""
        raise TypeError(f"{type(self).__name__} must define resolve_stream()")

    # ---- connection ----------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        """The socket's whole life. Every way out (client close, server close, a crash, the
        server shutting down) passes the one `finally` that releases what it holds."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._release()

    async def connect(self) -> None:
        self.stream: str | None = None
        self.epoch: str | None = None
        self.last_seq = -1
        # Buffer live messages from the moment the hub knows this socket until its first
        # frame (snapshot or replay) is out, so no second recovery starts meanwhile.
        self.recovering = True
        self.closed = False
        self._released = False
        self._buffer: list[tuple[str, int, str]] = []
        self._outbox: deque[str] = deque()
        self._sending = False
        self._tasks: set[asyncio.Task] = set()
        self._queue_limit = settings.REALTIME["SOCKET_QUEUE"]
        self._max_frame = settings.REALTIME["MAX_FRAME_BYTES"]
        self._max_backlog = settings.REALTIME["MAX_BACKLOG_BYTES"]
        # An accepted socket can carry a close code (4401, 4403); a refused handshake cannot.
        await self.accept()
        try:
            stream = await self.resolve_stream()
        except Denied as denied:
            await self._close_quietly(denied.close_code)
            return
        self.stream = stream
        self.hub = get_hub()
        self._send_frame = unwrap_send(self.base_send)
        self._backlog = backlog_probe(self._send_frame)
        self._direct = direct_writer(self._send_frame)
        try:
            await self.hub.join(self, stream)
        except Exception as exc:  # Redis is out of reach: the client retries with backoff
            log.warning("socket on %s could not follow it: %r", stream, exc)
            await self._close_quietly(envelope.CLOSE_UNAVAILABLE)
            return
        resume = self._resume_position_from_query()
        if resume is not None:
            self.epoch, self.last_seq = resume
            await self._recover(replay=True)
        else:
            await self._recover(replay=False)
        if not self.closed:
            await self.on_joined()

    async def on_joined(self) -> None:
        """Hook for subclasses (presence counters)."""

    async def disconnect(self, code: int) -> None:
        await self._release()

    async def _release(self) -> None:
        """Leave the hub and stop this socket's tasks; safe to call more than once."""
        if getattr(self, "_released", True):
            return  # never connected, or released already
        self._released = True
        self.closed = True
        if self.stream is not None:
            with contextlib.suppress(Exception):
                await self.hub.leave(self, self.stream)
            await self.on_left()
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    async def on_left(self) -> None:
        """Hook for subclasses (presence counters)."""

    def _resume_position_from_query(self) -> tuple[str, int] | None:
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        epoch, seq = query.get("epoch", [""])[0], query.get("seq", [""])[0]
        if epoch and seq.isdigit() and len(epoch) <= 32:
            return epoch, int(seq)
        return None

    # ---- the hot path: called by the hub for every stream message ----------------------

    def deliver(self, epoch: str, seq: int, frame: str) -> None:
        if self.recovering:
            self._buffer.append((epoch, seq, frame))
            return
        if epoch != self.epoch or seq > self.last_seq + 1:
            self._buffer.append((epoch, seq, frame))
            self.request_recovery()
            return
        if seq <= self.last_seq:
            return  # already sent (replay and live stream overlap by design)
        self.last_seq = seq
        self._write(frame)

    def request_recovery(self) -> None:
        if self.recovering or self.closed or self.stream is None:
            return
        self.recovering = True
        self._spawn(self._recover(replay=True))

    # ---- recovery: replay from history, or a fresh snapshot ---------------------------

    async def _recover(self, *, replay: bool) -> None:
        """Bring this socket to the stream's present. Live messages that arrive meanwhile are
        buffered and sent after, without duplicates and in seq order. Never a partial replay:
        if the history no longer holds every missed message, the client gets a snapshot.

        A failure (Redis restarting, a stale pooled connection) is retried once on a fresh
        connection; a second one closes the socket with 4503, which the client answers by
        reconnecting with backoff: a socket is never left open and silent."""
        self.recovering = True
        try:
            for attempt in (1, 2):
                try:
                    await self._catch_up(replay=replay)
                    return
                except Exception as exc:
                    if self.closed:
                        return
                    if attempt == 1:
                        log.info("recovering %s failed (%r); trying again", self.stream, exc)
                        await asyncio.sleep(RECOVERY_RETRY_SECONDS)
                        continue
                    log.warning("recovering %s failed again (%r); closing 4503", self.stream, exc)
                    metrics.recovered(metrics.FAILED)
                    await self._close_quietly(envelope.CLOSE_UNAVAILABLE)
        finally:
            self.recovering = False

    async def _catch_up(self, *, replay: bool) -> None:
        # A recovery is counted once, by how its first round went (the metrics); a new socket's
        # first snapshot is not a recovery.
        counted = not (replay and self.epoch is not None)
        while not self.closed:
            frames = None
            if replay and self.epoch is not None:
                frames = await self.hub.backend.history_after(
                    self.stream, self.epoch, self.last_seq
                )
            if frames is None:
                missed_epoch = self.epoch
                position, frame = await self.hub.snapshot(self.stream)
                self.epoch, self.last_seq = position.epoch, position.seq
                self._write(frame)
                outcome = metrics.TOO_OLD if self.epoch == missed_epoch else metrics.NEW_EPOCH
            else:
                for frame in frames:
                    self._write(frame)
                if frames:
                    self.last_seq = envelope.frame_seq(frames[-1])
                outcome = metrics.RESUMED
            if not counted:
                counted = True
                metrics.recovered(outcome)
            self.hub.seed_last_seen(self.stream, Position(self.epoch, self.last_seq))
            # Drain what arrived meanwhile; a gap sends us round again.
            buffered, self._buffer = sorted(self._buffer, key=lambda m: m[1]), []
            gap = False
            for epoch, seq, frame in buffered:
                if epoch != self.epoch or seq > self.last_seq + 1:
                    gap = True
                    break
                if seq == self.last_seq + 1:
                    self.last_seq = seq
                    self._write(frame)
            if not gap and not self._buffer:
                return
            replay = True

    # ---- writing ------------------------------------------------------------------------

    def _write(self, frame: str) -> None:
        if self.closed:
            return
        if self._backlog is not None and self._backlog() > self._max_backlog:
            self._too_slow("backlog")
            return
        if self._sending:
            if len(self._outbox) >= self._queue_limit:
                self._too_slow("queue")
                return
            self._outbox.append(frame)
            return
        if self._direct is not None and self._direct(frame):
            return  # written to the socket (or behind what waits in its buffer)
        pending = send_eagerly(self._send_frame({"type": "websocket.send", "text": frame}))
        if pending is not None:
            self._sending = True
            self._spawn(self._drain(pending))

    async def _drain(self, pending) -> None:
        try:
            await pending
            while self._outbox and not self.closed:
                await self._send_frame({"type": "websocket.send", "text": self._outbox.popleft()})
        finally:
            self._sending = False

    def _too_slow(self, reason: str) -> None:
        """Its queue overflowed: drop this client rather than hold memory for it. It will
        reconnect and resume."""
        if self.closed:
            return
        self.closed = True
        metrics.socket_dropped_slow(self.stream, reason)
        self._outbox.clear()
        self._spawn(self._close_quietly(envelope.CLOSE_TOO_SLOW))

    async def _close_quietly(self, code: int) -> None:
        """Close with `code` (one Daphne sends: 1000 or 4000-4999, envelope.CLOSE_*)."""
        log.debug("closing socket on %s with %d", self.stream, code)
        await self._release()
        with contextlib.suppress(Exception):
            await self.close(code=code)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send_local(self, type: str, data: dict) -> None:
        """A frame outside the stream's sequence (pong, error)."""
        self._write(envelope.local_frame(type, data))

    async def send_error(self, code: str, message: str, **context) -> None:
        self._write(envelope.error_frame(code, message, **context))

    # ---- client -> server ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.stream is None or self.closed:
            return
        raw = text_data if text_data is not None else bytes_data
        if raw is not None and len(raw.encode() if isinstance(raw, str) else raw) > self._max_frame:
            await self.send_error(
                "frame.too_large", f"Frames are limited to {self._max_frame} bytes."
            )
            await self._close_quietly(envelope.CLOSE_BAD_REQUEST)
            return
        if text_data is None:
            await self.send_error("frame.binary", "Send JSON text frames.")
            return
        try:
            message = envelope.loads_bounded(text_data)
        except ValueError:
            await self.send_error(
                "frame.invalid_json",
                f"The frame is not valid JSON (nested at most {envelope.MAX_JSON_DEPTH} deep).",
            )
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send_error("frame.invalid", 'A frame is a JSON object with a "type".')
            return
        handler = self.commands.get(message["type"])
        if handler is None:
            await self.send_error("frame.unknown_type", f"Unknown type {message['type'][:40]!r}.")
            return
        try:
            await handler(self, message)
        except Exception:
            # A bug, not bad input (that gets an error frame): say so with a code the client
            # can act on (it reconnects) rather than crash into a close it never receives.
            log.exception(
                "command %r on %s failed; closing 4500", message["type"][:40], self.stream
            )
            await self.send_error("server.error", "The server failed; reconnecting.")
            await self._close_quietly(envelope.CLOSE_SERVER_ERROR)

    async def command_ping(self, message: dict) -> None:
        await self.send_local(envelope.PONG, {"server_time_ms": int(time.time() * 1000)})

    async def command_resume(self, message: dict) -> None:
        epoch, seq = message.get("epoch"), message.get("seq")
        if not isinstance(epoch, str) or len(epoch) > 32 or not isinstance(seq, int) or seq < 0:
            await self.send_error(
                "resume.invalid", 'resume needs "epoch" (string) and "seq" (integer).'
            )
            return
        if self.recovering:
            return  # a recovery already brings this socket to the present
        self.epoch, self.last_seq = epoch, seq
        self.recovering = True
        await self._recover(replay=True)

    async def command_resync(self, message: dict) -> None:
        if self.recovering:
            return
        metrics.recovered(metrics.RESYNC)
        self.recovering = True
        await self._recover(replay=False)

    commands = {
        envelope.PING: command_ping,
        envelope.RESUME: command_resume,
        envelope.RESYNC: command_resync,
    }
