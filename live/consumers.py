"""The three streams. Thin: who may follow what; the rest is the StreamConsumer base."""

import asyncio
import hmac
import logging
import time
from urllib.parse import parse_qs

from django.conf import settings

from live import selectors
from live.enums import Capability
from live.models import Event, Hall, Session
from live.realtime import envelope, streams
from live.realtime.consumer import Denied, SocketWithoutChannelLayer, StreamConsumer
from live.realtime.db import database_sync_to_async

log = logging.getLogger(__name__)

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
def _user_may(user, capability: str, event_id: int) -> bool:
    return selectors.user_may(user, capability, event_id=event_id)


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
        if not await _user_may(user, Capability.MODERATE, event_id):
            raise Denied(envelope.CLOSE_FORBIDDEN)
        return streams.moderation_stream(session_id)


class DisplayStreamConsumer(StreamConsumer):
    """ws/halls/<id>/display/ - a hall display: follows the hall's current session."""

    async def resolve_stream(self) -> str:
        hall_id = self.scope["url_route"]["kwargs"]["hall_id"]
        if not await _hall_exists(hall_id):
            raise Denied(envelope.CLOSE_NOT_FOUND)
        return streams.display_stream(hall_id)


def _event_exists(event_id: int) -> int | None:
    return Event.objects.filter(pk=event_id).values_list("pk", flat=True).first()


class ControlStreamConsumer(StreamConsumer):
    """ws/events/<id>/control/ - the organisers' control room: every hall of the event."""

    async def resolve_stream(self) -> str:
        event_id = self.scope["url_route"]["kwargs"]["event_id"]
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            raise Denied(envelope.CLOSE_UNAUTHENTICATED)
        if await _cached("event", event_id, _event_exists) is None:
            raise Denied(envelope.CLOSE_NOT_FOUND)
        if not await _user_may(user, Capability.CONTROL_ROOM, event_id):
            raise Denied(envelope.CLOSE_FORBIDDEN)
        return streams.control_stream(event_id)


def _stage_keys(hall_ids: list[int]) -> dict[int, str]:
    return dict(Hall.objects.filter(pk__in=hall_ids).values_list("pk", "stage_key"))


def stage_key_matches(given: str, key: str) -> bool:
    """In constant time, so the key cannot be guessed a character at a time."""
    return bool(given) and hmac.compare_digest(given.encode(), key.encode())


class StageStreamConsumer(StreamConsumer):
    """ws/halls/<id>/stage/?key=<stage key> - the lectern tablet: no login, the hall's stage
    key. The key is read from the database on every connect (a renewed key locks out at once)
    and, for the sockets already open, by `stage_key_watch`."""

    stage_key = ""

    async def resolve_stream(self) -> str:
        self.hall_id = self.scope["url_route"]["kwargs"]["hall_id"]
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        self.stage_key = query.get("key", [""])[0][:64]
        keys = await database_sync_to_async(_stage_keys)([self.hall_id])
        if self.hall_id not in keys:
            raise Denied(envelope.CLOSE_NOT_FOUND)
        if not stage_key_matches(self.stage_key, keys[self.hall_id]):
            raise Denied(envelope.CLOSE_FORBIDDEN)
        return streams.stage_stream(self.hall_id)

    def revoke(self) -> None:
        """Its key was renewed: close with 4403 (the page then says so)."""
        if not self.closed:
            self.closed = True
            self._spawn(self._close_quietly(envelope.CLOSE_FORBIDDEN))


async def stage_key_watch(hub) -> None:
    """A ticker: every REALTIME["WATCHDOG_SECONDS"], each process closes its stage sockets
    whose hall's key changed since they opened (one query for all of them; none without
    stage sockets)."""
    period = settings.REALTIME["WATCHDOG_SECONDS"]
    while True:
        await asyncio.sleep(period)
        sockets = [
            member
            for stream, members in list(hub.members.items())
            if stream.startswith(streams.STAGE + ".")
            for member in list(members)
            if isinstance(member, StageStreamConsumer)
        ]
        if not sockets:
            continue
        try:
            keys = await database_sync_to_async(_stage_keys)(sorted({m.hall_id for m in sockets}))
        except Exception:
            log.exception("stage key watch could not read the keys")
            continue
        for member in sockets:
            key = keys.get(member.hall_id)
            if key is None or not stage_key_matches(member.stage_key, key):
                log.info("stage key of hall %s renewed: closing a stage socket", member.hall_id)
                member.revoke()


class NotFoundConsumer(SocketWithoutChannelLayer):
    """Every WebSocket path that is no stream (config/routing.py's last route): accepted and
    closed with 4404, which reaches the client (a refused handshake is only a bare HTTP 403, and
    the router's "No route found" was a 500). No channel layer, no database."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=envelope.CLOSE_NOT_FOUND)
