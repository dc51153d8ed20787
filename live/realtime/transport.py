"""The small fast path between the hub and the ASGI server, kept out of the consumers.

`send_eagerly` runs an ASGI `send` coroutine to completion on the spot when it does not need
to wait (Daphne's never does: it hands the frame to Twisted), so a broadcast costs no task
per socket. `backlog_probe` reads how many bytes wait in Daphne's transport for one socket,
the only place a slow phone shows up, since Daphne's `send` never applies back-pressure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


def send_eagerly(coro: Coroutine[Any, Any, Any]) -> asyncio.Future | None:
    """Step `coro` now. None when it finished; else a future for the rest of it."""
    try:
        yielded = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_finish(coro, yielded))


async def _finish(coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
    # Drive the rest of a coroutine that already yielded once, as a Task would.
    while True:
        try:
            if yielded is None:
                await asyncio.sleep(0)
            else:
                await yielded
        except BaseException as exc:  # hand the failure to the coroutine, as a Task would
            try:
                yielded = coro.throw(exc)
            except StopIteration:
                return
            continue
        try:
            yielded = coro.send(None)
        except StopIteration:
            return


def unwrap_send(send: Callable) -> Callable:
    """The server's own `send` under Channels' session wrapper, which only acts on HTTP
    responses: websocket frames can skip that extra coroutine per socket and message."""
    for _ in range(5):
        inner = getattr(getattr(send, "__self__", None), "real_send", None)
        if inner is None:
            return send
        send = inner
    return send


def backlog_probe(send: Callable) -> Callable[[], int] | None:
    """Daphne passes each application `partial(server.handle_reply, protocol)`; the protocol's
    Twisted transport buffers what the socket has not taken yet. None for other servers."""
    args = getattr(send, "args", ())
    protocol = args[0] if args else None
    transport = getattr(protocol, "transport", None)
    if transport is None or not hasattr(transport, "dataBuffer"):
        return None

    def backlog() -> int:
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen

    return backlog
