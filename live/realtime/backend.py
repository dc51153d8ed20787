"""The realtime backend's contract, and the backend this process uses.

A backend keeps four things for every process of the installation, each a Protocol below:
the streams (positions, history, fan-out to subscribers), coalescing windows, a few shared
values, and presence counts. Two implementations keep the same contract, checked by one test
suite run against both (tests/live/test_backend_contract.py):

- `redis_backend.RedisBackend` (production, several Daphne processes);
- `memory_backend.MemoryBackend` (one process, `make run` without Redis).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import NamedTuple, Protocol

from django.conf import settings

# (stream, epoch, seq, frame) -> None, called on the hub's event loop.
MessageHandler = Callable[[str, str, int, str], None]
ReconnectHandler = Callable[[], Awaitable[None]]

# A process reports its socket counts every few seconds; a report older than this belongs to
# a process that went away.
PRESENCE_TTL = 15


class Position(NamedTuple):
    epoch: str
    seq: int


def new_epoch() -> str:
    return secrets.token_hex(6)


class Subscriber(Protocol):
    """One per process and event loop: hands each message of the streams added to
    `on_message`, once, in seq order."""

    # While `on_message` runs: the message's publish time (the publishing process's
    # time.time()), 0.0 if unknown. The hub reads it for the delivery lag metric.
    published_at: float

    async def start(self) -> None: ...

    async def add(self, stream: str) -> None:
        """Returns once messages of `stream` reach this subscriber; may raise when the
        backend is unreachable."""

    async def remove(self, stream: str) -> None: ...

    async def close(self) -> None: ...


class Streams(Protocol):
    def publish(self, stream: str, type: str, data_json: str) -> Position:
        """Give the message the stream's next seq, keep it in the history, deliver it."""

    def reset(self, stream: str) -> None:
        """Forget the stream's position and history: its clients take a fresh snapshot."""

    async def position(self, stream: str) -> Position:
        """The stream's current position, starting an epoch if it has none."""

    async def positions(self, streams: list[str]) -> dict[str, Position | None]: ...

    async def history_after(self, stream: str, epoch: str, seq: int) -> list[str] | None:
        """Exactly the frames after (epoch, seq), in order; None if they are not all kept."""

    def subscriber(
        self, on_message: MessageHandler, on_reconnect: ReconnectHandler
    ) -> Subscriber: ...


class Windows(Protocol):
    """Coalescing (live/realtime/coalesce.py): members marked dirty within one window, taken
    together by whichever process armed it."""

    def mark_dirty(self, name: str, member: str, window_ms: int) -> bool:
        """Remember `member`; True if the caller must arm the window's flush."""

    def take_dirty(self, name: str) -> list[str]: ...

    def release_window(self, name: str, window_ms: int) -> bool:
        """Close the window; True if members arrived meanwhile and the caller must arm it
        again."""


class SharedValues(Protocol):
    def swap(self, key: str, value: str) -> str | None:
        """Set `key` to `value`; the value it had."""

    def set_if_absent(self, key: str, value: str) -> None: ...

    def get(self, key: str) -> str | None:
        """The value of `key`, or None."""


class Presence(Protocol):
    def presence_report(self, process: str, counts: dict[str, int]) -> None:
        """This process's socket count per stream, now."""

    def presence_totals(self, streams: list[str]) -> dict[str, int]:
        """Sockets per stream over every process that reported within PRESENCE_TTL."""


class Backend(Streams, Windows, SharedValues, Presence, Protocol):
    """Everything a process needs from the backend."""


def sum_fresh(entries: Iterable[str]) -> int:
    """Sum "count:timestamp" presence entries that are fresh enough."""
    oldest = time.time() - PRESENCE_TTL
    total = 0
    for entry in entries:
        count, _, stamp = entry.partition(":")
        if float(stamp) >= oldest:
            total += int(count)
    return total


_backend: Backend | None = None
_backend_lock = threading.Lock()


def get_backend() -> Backend:
    """Redis when REDIS_URL is set, else the in-memory backend (one process only)."""
    global _backend
    if _backend is None:
        with _backend_lock:
            if _backend is None:
                cfg = settings.REALTIME
                if settings.REDIS_URL:
                    from live.realtime.redis_backend import RedisBackend

                    _backend = RedisBackend(
                        settings.REDIS_URL,
                        prefix=cfg["PREFIX"],
                        history=cfg["HISTORY"],
                        max_connections=settings.REDIS_MAX_CONNECTIONS,
                    )
                else:
                    from live.realtime.memory_backend import MemoryBackend

                    _backend = MemoryBackend(history=cfg["HISTORY"])
    return _backend
