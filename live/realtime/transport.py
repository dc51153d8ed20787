"""The small fast path between the hub and the ASGI server, kept out of the consumers.

`send_eagerly` runs an ASGI `send` coroutine to completion on the spot when it does not need
to wait (Daphne's never does: it hands the frame to Twisted), so a broadcast costs no task
per socket. `backlog_probe` reads how many bytes wait in Daphne's transport for one socket,
the only place a slow phone shows up, since Daphne's `send` never applies back-pressure.
`direct_writer` skips Daphne, autobahn and Twisted's write buffering for a frame that can go
to the socket at once (the bench showed them at ~4x the cost of the rest of the fan-out)."""

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


# ---- writing a text frame straight to Daphne's socket --------------------------------------

_last_frame: tuple[str, bytes] = ("", b"\x81\x00")


def text_frame(text: str) -> bytes:
    """The WebSocket frame (unmasked, server to client, one fragment) carrying `text`. A
    broadcast hands the same str to every socket, so the bytes are built once per message."""
    global _last_frame
    cached = _last_frame
    if cached[0] is text:
        return cached[1]
    payload = text.encode()
    n = len(payload)
    if n <= 125:
        header = bytes((0x81, n))
    elif n <= 0xFFFF:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    data = header + payload
    _last_frame = (text, data)
    return data


def direct_writer(send: Callable) -> Callable[[str], bool] | None:
    """For a Daphne WebSocket: a function that writes a text frame to the socket at once,
    the way asyncio's transports do, instead of Daphne -> autobahn -> Twisted's buffer and a
    writer registered with the event loop for every socket and message. It returns False when
    it cannot take the frame (not open, compression, TLS, autobahn's own queue in use); the
    caller then sends through the ASGI `send` as usual. None for other servers."""
    args = getattr(send, "args", ())
    protocol = args[0] if args else None
    transport = getattr(protocol, "transport", None)
    needed = ("socket", "dataBuffer", "offset", "_tempDataLen", "TLS", "connected", "disconnecting")
    if transport is None or not all(hasattr(transport, name) for name in needed):
        return None
    if not all(
        hasattr(protocol, name)
        for name in ("state", "STATE_OPEN", "send_queue", "_perMessageCompress")
    ):
        return None
    state_open = protocol.STATE_OPEN

    def write(text: str) -> bool:
        if (
            protocol.state != state_open
            or protocol._perMessageCompress is not None
            or protocol.send_queue
            or transport.TLS
            or not transport.connected
            or transport.disconnecting
        ):
            return False
        data = text_frame(text)
        if transport._tempDataLen or len(transport.dataBuffer) > transport.offset:
            transport.write(data)  # behind what already waits, in order
            return True
        try:
            sent = transport.socket.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            sent = 0  # Twisted's own write finds the broken connection and closes it
        if sent < len(data):
            transport.write(data[sent:])
        return True

    return write
