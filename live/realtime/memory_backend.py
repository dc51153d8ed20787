"""The backend of one process (`make run` without Redis): the contract of
live/realtime/backend.py in dicts, behind one lock (publishing happens in Django's threads)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

from live.realtime.backend import (
    MessageHandler,
    Position,
    ReconnectHandler,
    new_epoch,
    sum_fresh,
)
from live.realtime.envelope import frame_seq, stream_frame


class _MemoryStream:
    def __init__(self, history: int):
        self.epoch = new_epoch()
        self.seq = 0
        self.frames: deque[str] = deque(maxlen=history)


class MemoryBackend:
    def __init__(self, *, history: int):
        self.history = history
        self._lock = threading.Lock()
        self._streams: dict[str, _MemoryStream] = {}
        self._subscribers: set[MemorySubscriber] = set()
        self._dirty: dict[str, set[str]] = {}
        self._windows: set[str] = set()
        self._kv: dict[str, str] = {}
        self._presence: dict[str, dict[str, str]] = {}

    def _stream(self, stream: str) -> _MemoryStream:
        state = self._streams.get(stream)
        if state is None:
            state = self._streams[stream] = _MemoryStream(self.history)
        return state

    def publish(self, stream: str, type: str, data_json: str) -> Position:
        with self._lock:  # held while handing over, so every hub sees seq in order
            state = self._stream(stream)
            state.seq += 1
            frame = stream_frame(seq=state.seq, epoch=state.epoch, type=type, data_json=data_json)
            state.frames.append(frame)
            published_at = time.time()
            for subscriber in list(self._subscribers):
                subscriber.hand_over(stream, state.epoch, state.seq, frame, published_at)
            return Position(state.epoch, state.seq)

    def reset(self, stream: str) -> None:
        with self._lock:
            self._streams.pop(stream, None)

    async def position(self, stream: str) -> Position:
        with self._lock:
            state = self._stream(stream)
            return Position(state.epoch, state.seq)

    async def positions(self, streams: list[str]) -> dict[str, Position | None]:
        with self._lock:
            return {
                s: Position(self._streams[s].epoch, self._streams[s].seq)
                if s in self._streams
                else None
                for s in streams
            }

    async def history_after(self, stream: str, epoch: str, seq: int) -> list[str] | None:
        with self._lock:
            state = self._streams.get(stream)
            if state is None or state.epoch != epoch or seq > state.seq:
                return None
            want = state.seq - seq
            if want == 0:
                return []
            frames = list(state.frames)[-want:]
            if len(frames) != want or frame_seq(frames[0]) != seq + 1:
                return None
            return frames

    def subscriber(self, on_message: MessageHandler, on_reconnect: ReconnectHandler):
        return MemorySubscriber(self, on_message)

    def mark_dirty(self, name: str, member: str, window_ms: int) -> bool:
        with self._lock:
            self._dirty.setdefault(name, set()).add(member)
            if name in self._windows:
                return False
            self._windows.add(name)
            return True

    def take_dirty(self, name: str) -> list[str]:
        with self._lock:
            return sorted(self._dirty.pop(name, set()))

    def release_window(self, name: str, window_ms: int) -> bool:
        with self._lock:
            if self._dirty.get(name):
                return True
            self._windows.discard(name)
            return False

    def swap(self, key: str, value: str) -> str | None:
        with self._lock:
            old = self._kv.get(key)
            self._kv[key] = value
            return old

    def set_if_absent(self, key: str, value: str) -> None:
        with self._lock:
            self._kv.setdefault(key, value)

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._kv.get(key)

    def presence_report(self, process: str, counts: dict[str, int]) -> None:
        now = time.time()
        with self._lock:
            for stream, count in counts.items():
                self._presence.setdefault(stream, {})[process] = f"{count}:{now:.0f}"

    def presence_totals(self, streams: list[str]) -> dict[str, int]:
        with self._lock:
            return {s: sum_fresh(self._presence.get(s, {}).values()) for s in streams}


class MemorySubscriber:
    def __init__(self, backend: MemoryBackend, on_message: MessageHandler):
        self.backend = backend
        self.on_message = on_message
        self.streams: set[str] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.published_at = 0.0  # of the message being handed over (backend.Subscriber)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        with self.backend._lock:
            self.backend._subscribers.add(self)

    def hand_over(self, stream: str, epoch: str, seq: int, frame: str, published_at: float) -> None:
        if stream in self.streams and self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._deliver, stream, epoch, seq, frame, published_at)

    def _deliver(self, stream: str, epoch: str, seq: int, frame: str, published_at: float) -> None:
        self.published_at = published_at
        self.on_message(stream, epoch, seq, frame)

    async def add(self, stream: str) -> None:
        self.streams.add(stream)

    async def remove(self, stream: str) -> None:
        self.streams.discard(stream)

    async def close(self) -> None:
        with self.backend._lock:
            self.backend._subscribers.discard(self)
