"""The per-process hub: which local sockets follow which stream.

Each process (each event loop) subscribes to a stream once, however many sockets follow it,
and hands every already-serialised frame straight to those sockets: no channel layer hop, no
query and no json.dumps per socket. It also keeps one snapshot per stream position, so a
thousand phones joining in the same minute cost one snapshot query, not a thousand."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import weakref
from functools import partial
from typing import Protocol

from django.conf import settings

from live import metrics
from live.realtime import snapshots
from live.realtime.backend import Position, get_backend
from live.realtime.db import database_sync_to_async
from live.realtime.envelope import SNAPSHOT, dumps

log = logging.getLogger(__name__)


class Member(Protocol):
    def deliver(self, epoch: str, seq: int, frame: str) -> None: ...

    def request_recovery(self) -> None: ...


class Hub:
    def __init__(self, backend) -> None:
        self.backend = backend
        self.members: dict[str, set[Member]] = {}
        self._subscribed: dict[str, asyncio.Future] = {}
        self._last_seen: dict[str, Position] = {}
        self._suspect: dict[str, Position] = {}
        self._snapshots: dict[str, tuple[Position, str]] = {}
        self._snapshot_locks: dict[str, asyncio.Lock] = {}
        self.subscriber = backend.subscriber(self._on_message, self._on_reconnect)
        # Names this hub's entries in shared state (presence counts).
        self.process_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._started: asyncio.Task | None = None
        self._watchdog: asyncio.Task | None = None
        self.tickers: list = []

    async def start(self) -> None:
        if self._started is None:
            self._started = asyncio.ensure_future(self.subscriber.start())
            self._watchdog = asyncio.ensure_future(self._watch())
            for ticker in _tickers:
                self.tickers.append(asyncio.ensure_future(ticker(self)))
        await asyncio.shield(self._started)

    # membership
    async def join(self, member: Member, stream: str) -> None:
        """Returns once this process receives the stream, so a position read after it is safe.
        Raises if it cannot (Redis is down); the member is then still listed, and the caller
        must `leave` as on any other way out."""
        await self.start()
        self.members.setdefault(stream, set()).add(member)
        ready = self._subscribed.get(stream)
        if ready is None:
            ready = self._subscribed[stream] = asyncio.ensure_future(self.subscriber.add(stream))
            ready.add_done_callback(partial(self._forget_failed, stream))
        await asyncio.shield(ready)

    def _forget_failed(self, stream: str, ready: asyncio.Future) -> None:
        """A subscription that failed is not kept: the next socket on the stream tries again
        (a cached failure once answered every socket of a stream with an error, for good)."""
        if (ready.cancelled() or ready.exception() is not None) and self._subscribed.get(
            stream
        ) is ready:
            del self._subscribed[stream]

    async def leave(self, member: Member, stream: str) -> None:
        members = self.members.get(stream)
        if members is None or member not in members:
            return
        members.discard(member)
        if not members:
            del self.members[stream]
            self._subscribed.pop(stream, None)
            self._snapshots.pop(stream, None)
            self._last_seen.pop(stream, None)
            self._suspect.pop(stream, None)
            with contextlib.suppress(Exception):
                await self.subscriber.remove(stream)

    def count(self, stream: str) -> int:
        return len(self.members.get(stream, ()))

    # the hot path
    def _on_message(self, stream: str, epoch: str, seq: int, frame: str) -> None:
        self._last_seen[stream] = Position(epoch, seq)
        members = self.members.get(stream)
        if not members:
            return
        members = tuple(members)
        for member in members:
            member.deliver(epoch, seq, frame)
        # Once per message, not per socket: the lag is the last local socket's.
        metrics.fanned_out(stream, len(members), self.subscriber.published_at)

    async def _on_reconnect(self) -> None:
        """The subscription was down and is back (every stream confirmed again): whatever was
        published meanwhile never reached us, so every socket catches up from history."""
        for members in list(self.members.values()):
            for member in tuple(members):
                member.request_recovery()

    async def _watch(self) -> None:
        """Notice silently lost messages: a stream whose position stays ahead of the last
        message this process received, for a whole period, is recovered from history."""
        period = settings.REALTIME["WATCHDOG_SECONDS"]
        while True:
            await asyncio.sleep(period)
            watched = list(self.members)
            if not watched:
                continue
            try:
                positions = await self.backend.positions(watched)
            except Exception as exc:
                log.warning("realtime watchdog could not read positions: %r", exc)
                continue
            for stream, position in positions.items():
                seen = self._last_seen.get(stream)
                behind = (
                    position is not None
                    and seen is not None
                    and (position.epoch != seen.epoch or position.seq > seen.seq)
                )
                if behind and self._suspect.get(stream) == position:
                    log.warning("realtime stream %s is behind; recovering its sockets", stream)
                    for member in tuple(self.members.get(stream, ())):
                        member.request_recovery()
                    self._suspect.pop(stream, None)
                elif behind:
                    self._suspect[stream] = position
                else:
                    self._suspect.pop(stream, None)

    # snapshots
    async def snapshot(self, stream: str) -> tuple[Position, str]:
        """The stream's state as a frame, with the position it reflects.

        The position is read before the database, and publishing happens after commit, so
        every message up to that position is contained in what the query sees."""
        position = await self.backend.position(stream)
        cached = self._snapshots.get(stream)
        if cached and cached[0] == position:
            return cached
        lock = self._snapshot_locks.setdefault(stream, asyncio.Lock())
        async with lock:
            cached = self._snapshots.get(stream)
            if cached and cached[0] == position:
                return cached
            position = await self.backend.position(stream)
            data = await database_sync_to_async(snapshots.build)(stream)
            frame = dumps(
                {"seq": position.seq, "epoch": position.epoch, "type": SNAPSHOT, "data": data}
            )
            if stream in self.members:
                self._snapshots[stream] = (position, frame)
            return position, frame

    def seed_last_seen(self, stream: str, position: Position) -> None:
        self._last_seen.setdefault(stream, position)

    async def close(self) -> None:
        for task in [self._watchdog, *self.tickers]:
            if task:
                task.cancel()
        await self.subscriber.close()


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_tickers: list = []


def register_ticker(ticker) -> None:
    """A coroutine function ticker(hub) run once per hub, e.g. the hall display clock."""
    if ticker not in _tickers:
        _tickers.append(ticker)


def hubs() -> list[Hub]:
    """This process's hubs (one per event loop), for the metrics read at scrape time."""
    return list(_hubs.values())


def get_hub() -> Hub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub(get_backend())
    return hub


async def close_hub() -> None:
    """Shut down the running loop's hub and its Redis clients (tests, server shutdown)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.pop(loop, None)
    if hub is not None:
        await hub.close()
    closer = getattr(get_backend(), "close_loop_clients", None)
    if closer is not None:
        await closer()
