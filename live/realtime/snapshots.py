"""What a stream's snapshot holds. `live` registers the base of each stream kind (the session,
the hall); `qa` contributes its part (the questions) without `live` importing `qa`."""

from collections.abc import Callable
from typing import Any

from live.realtime import streams

Context = dict[str, Any]
# base(key) -> (data, context); raises LookupError when the object does not exist.
_bases: dict[str, Callable[[int], tuple[dict, Context]]] = {}
# part(context) -> dict merged into the data.
_parts: dict[str, list[Callable[[Context], dict]]] = {}


def register_base(kind: str, base: Callable[[int], tuple[dict, Context]]) -> None:
    _bases[kind] = base


def contribute(kind: str, part: Callable[[Context], dict]) -> None:
    if part not in _parts.setdefault(kind, []):
        _parts[kind].append(part)


def build(stream: str) -> dict:
    """The full state a stream shows, read from the database (a fixed number of queries)."""
    kind, key = streams.parse(stream)
    data, context = _bases[kind](key)
    for part in _parts.get(kind, []):
        data.update(part(context))
    return data
