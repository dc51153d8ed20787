"""The three streams. Thin: who may follow what; the rest is the StreamConsumer base."""

import time

from channels.db import database_sync_to_async

from live import selectors
from live.models import Hall, Session
from live.realtime import envelope, streams
from live.realtime.consumer import Denied, SocketWithoutChannelLayer, StreamConsumer

# A hall of phones connects to the same session in the same minute; which event a session
# or hall belongs to does not change, so each process asks the database once a minute, not
# once per socket (the handshake's query was a third of Daphne's CPU in a join storm).
LOOKUP_SECONDS = 60
_lookups: dict[tuple[str, int], tuple[float, int | None]] = {}


async def _cached(kind: str, key: int, query) -> int | None:
    now = time.monotonic()
    hit = _lookups.get((kind, key))
    if hit is not None and now - hit[0] < LOOKUP_SECONDS:
        return hit[1]
    value = await database_sync_to_async(query)(key)
    if value is not None:  # an unknown id may be created the next minute: ask again then
        if len(_lookups) > 10_000:
            _lookups.clear()
        _lookups[(kind, key)] = (now, value)
    return value


def _event_of_session(session_id: int) -> int | None:
    return Session.objects.filter(pk=session_id).values_list("event_id", flat=True).first()


def _event_of_hall(hall_id: int) -> int | None:
    return Hall.objects.filter(pk=hall_id).values_list("event_id", flat=True).first()


async def _session_event_id(session_id: int) -> int | None:
    return await _cached("session", session_id, _event_of_session)


async def _hall_exists(hall_id: int) -> bool:
    return await _cached("hall", hall_id, _event_of_hall) is not None


@database_sync_to_async
def _can_moderate(user, event_id: int) -> bool:
    return selectors.user_can_moderate(user, event_id=event_id)


class SessionStreamConsumer(StreamConsumer):
    """ws/sessions/<id>/ - the audience: public questions, votes, session status."""

    async def resolve_stream(self) -> str:
        self.session_id = self.scope["url_route"]["kwargs"]["session_id"]
        self.event_id = await _session_event_id(self.session_id)
        if self.event_id is None:
            raise Denied(envelope.CLOSE_NOT_FOUND)
        return streams.session_stream(self.session_id)


class ModerationStreamConsumer(StreamConsumer):
    """ws/sessions/<id>/moderation/ - moderators of the session's event only."""

    async def resolve_stream(self) -> str:
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            raise Denied(envelope.CLOSE_UNAUTHENTICATED)
        event_id = await _session_event_id(session_id)
        if event_id is None:
            raise Denied(envelope.CLOSE_NOT_FOUND)
        if not await _can_moderate(user, event_id):
            raise Denied(envelope.CLOSE_FORBIDDEN)
        return streams.moderation_stream(session_id)


class DisplayStreamConsumer(StreamConsumer):
    """ws/halls/<id>/display/ - a hall display: follows the hall's current session."""

    async def resolve_stream(self) -> str:
        hall_id = self.scope["url_route"]["kwargs"]["hall_id"]
        if not await _hall_exists(hall_id):
            raise Denied(envelope.CLOSE_NOT_FOUND)
        return streams.display_stream(hall_id)


class NotFoundConsumer(SocketWithoutChannelLayer):
    """Every WebSocket path that is no stream (config/routing.py's last route): accepted and
    closed with 4404, which reaches the client (a refused handshake is only a bare HTTP 403, and
    the router's "No route found" was a 500). No channel layer, no database."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=envelope.CLOSE_NOT_FOUND)
