"""Publish after commit: a service calls `publish_on_commit`; the message goes out only once
the transaction that made the change has committed, so no screen shows a change that was
rolled back, and a snapshot read after the message always contains it."""

import logging
import threading
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from live import metrics
from live.realtime.backend import get_backend
from live.realtime.envelope import dumps, is_stream_type

log = logging.getLogger(__name__)


def publish_now(streams: Iterable[str], type: str, data: dict[str, Any] | str) -> None:
    """Publish to each stream. `data` is serialised once, whatever the number of streams."""
    if not is_stream_type(type):
        raise ValueError(f"stream message type {type!r} is not registered")
    data_json = data if isinstance(data, str) else dumps(data)
    backend = get_backend()
    for stream in streams:
        try:
            backend.publish(stream, type, data_json)
        except Exception:
            # The change is committed but its message is lost: make the stream's clients
            # start over from a snapshot instead of silently missing it.
            log.exception("publishing %s to %s failed; resetting the stream", type, stream)
            metrics.publish_failed(stream)
            _reset_later(stream)
        else:
            metrics.frame_published(stream)


def publish_on_commit(streams: Iterable[str], type: str, data: dict[str, Any] | str) -> None:
    """Serialise now (the state as this transaction wrote it), publish after commit."""
    streams = list(streams)
    data_json = data if isinstance(data, str) else dumps(data)
    transaction.on_commit(lambda: publish_now(streams, type, data_json), robust=True)


def _reset_later(stream: str, attempt: int = 0) -> None:
    def retry() -> None:
        try:
            get_backend().reset(stream)
        except Exception:
            if attempt < 30:
                _reset_later(stream, attempt + 1)
            else:
                log.error("could not reset stream %s after a failed publish", stream)

    timer = threading.Timer(min(2**attempt * 0.1, 5.0), retry)
    timer.daemon = True
    timer.start()
