"""The one message format: {"seq": n, "epoch": e, "type": t, "data": {...}}.

Stream messages get their seq and epoch where they are stored (backend.publish), so their
frames are built there; the helpers here build the frames a consumer sends by itself."""

import json
from typing import Any

# The transport's own frames. What a stream carries besides snapshots is the apps' business:
# each registers its message types (register_stream_types, from its AppConfig.ready) and the
# transport checks only that a published type is registered.
SNAPSHOT = "snapshot"  # server -> client: the full state of a stream
PONG = "pong"
ERROR = "error"
PING = "ping"  # client -> server
RESUME = "resume"
RESYNC = "resync"

_stream_types: set[str] = set()


def register_stream_types(*types: str) -> None:
    """Types an app publishes on streams (e.g. "question.updated")."""
    _stream_types.update(types)


def is_stream_type(type: str) -> bool:
    return type in _stream_types


# Close codes. Daphne's WebSocket library sends only 1000 and 3000-4999 from the server (a
# 1011 is refused and the client never learns the socket is dead), so every close the server
# makes uses one of these; docs/protocol.md lists them and what a client does on each.
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_SLOW = 4408
CLOSE_SERVER_ERROR = 4500  # a bug on our side; reconnect
CLOSE_UNAVAILABLE = 4503  # Redis or the database is out of reach; reconnect with backoff


def dumps(data: Any) -> str:
    """Compact JSON, UTF-8 text kept as is (Vietnamese stays readable and short)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def stream_frame(*, seq: int, epoch: str, type: str, data_json: str) -> str:
    """seq comes first so a frame's position can be read without parsing it (frame_seq)."""
    return f'{{"seq":{seq},"epoch":"{epoch}","type":"{type}","data":{data_json}}}'


def frame_seq(frame: str) -> int:
    return int(frame[7 : frame.index(",", 7)])


def local_frame(type: str, data: dict[str, Any]) -> str:
    """A frame outside the stream's sequence (pong, error): no seq, no epoch."""
    return dumps({"type": type, "data": data})


def error_frame(code: str, message: str, **context: Any) -> str:
    """`context` says which request failed (e.g. the vote's ref and question)."""
    return local_frame(ERROR, {"code": code, "message": message, **context})


# Every command and API body is flat; a deeper document is an attack on the parser (a few KB
# of brackets exhaust Python's recursion limit), refused before json.loads sees it.
MAX_JSON_DEPTH = 16


def loads_bounded(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads for untrusted input: ValueError for invalid JSON, or when arrays and
    objects nest deeper than `max_depth` (checked first, outside strings, in one pass)."""
    if isinstance(text, bytes | bytearray):
        text = text.decode()  # UnicodeDecodeError is a ValueError
    if text.count("[") + text.count("{") > max_depth:
        depth = 0
        in_string = escaped = False
        for char in text:
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char in "[{":
                depth += 1
                if depth > max_depth:
                    raise ValueError(f"JSON nested deeper than {max_depth} levels")
            elif char in "]}":
                depth -= 1
    return json.loads(text)
