"""Coalescing: many changes in a short window become one message.

Votes arrive by the thousand; screens need the tally, not every click. `mark_on_commit`
records what changed; the first mark in a window arms a timer in this process; when it fires,
the registered flusher gets every member marked meanwhile (across all processes, through
the backend) and publishes one message. A window spans `REALTIME["COALESCE_MS"]`."""

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections, transaction

from live.realtime.backend import get_backend

log = logging.getLogger(__name__)

_flushers: dict[str, Callable[[str, list[str]], None]] = {}


def register(kind: str, flusher: Callable[[str, list[str]], None]) -> None:
    """flusher(key, members) publishes what changed; key is e.g. the session id."""
    _flushers[kind] = flusher


def window_ms() -> int:
    return settings.REALTIME["COALESCE_MS"]


def mark_on_commit(kind: str, key: str, member: str) -> None:
    transaction.on_commit(lambda: mark(kind, key, member), robust=True)


def mark(kind: str, key: str, member: str) -> None:
    name = f"{kind}:{key}"
    if get_backend().mark_dirty(name, member, window_ms()):
        _arm(kind, key)


def _arm(kind: str, key: str) -> None:
    timer = threading.Timer(window_ms() / 1000, _flush, args=(kind, key))
    timer.daemon = True
    timer.start()


def _flush(kind: str, key: str) -> None:
    name = f"{kind}:{key}"
    backend = get_backend()
    try:
        members = backend.take_dirty(name)
        if members:
            _flushers[kind](key, members)
    except Exception:
        log.exception("flushing %s failed", name)
    finally:
        # This timer thread opened its own database connection.
        close_old_connections()
        connections.close_all()
    try:
        if backend.release_window(name, window_ms()):
            _arm(kind, key)
    except Exception:
        log.exception("releasing the %s window failed", name)
