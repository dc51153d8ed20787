"""The organisers' control room: every hall of one event on one stream (`control.<event_id>`).

Its snapshot's base is here (the halls, their current sessions, who is connected, the alarms
live can tell); `qa` contributes the question counts and its own alarm (qa/control.py). A
ticker in every process keeps what the stream shows current: it stamps when each hall's
displays were last seen, and, for each event with a control socket in this process, builds
the state (a fixed number of queries per event, not per socket) and publishes
`control.halls` when it changed, once over every process (the backend's `swap`)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from live import messages, selectors
from live.enums import ACTIVE_SESSION_STATUSES, SessionStatus
from live.models import Event, Session
from live.realtime import snapshots, streams
from live.realtime.backend import get_backend
from live.realtime.db import database_sync_to_async
from live.realtime.envelope import dumps
from live.realtime.publish import publish_now
from live.representations import event_data, hall_data, session_data

log = logging.getLogger(__name__)

# What `control.halls` carries: the parts of the snapshot that move without a message of
# their own (the clock, presence, question counts, a renewed stage key). Halls and sessions
# also come at once as `hall.updated` and `session.updated`.
MOVING_KEYS = ("sessions", "presence", "questions", "alarms", "stage")

# Alarm codes (docs/protocol.md, control stream).
ALARM_DISPLAY_MISSING = "display.missing"
ALARM_SESSION_OVERRUN = "session.overrun"

# The statuses in which a hall needs its display: a session on stage or in Q&A.
ON_STAGE = frozenset({SessionStatus.LIVE, SessionStatus.QA})


def _display_seen_key(hall_id: int) -> str:
    return f"display-seen:{hall_id}"


def _sent_key(event_id: int) -> str:
    return f"control-sent:{event_id}"


def current_sessions(*, event_id: int, hall_ids: list[int], now: datetime) -> dict[int, Session]:
    """Each hall's current session, chosen as selectors.hall_current_session chooses it (the
    active one that started last, else the next scheduled one that has not ended), for every
    hall of the event at once: two queries (the sessions and their speakers), not two a hall."""
    candidates = list(
        selectors.sessions_with_people().filter(
            event_id=event_id,
            hall_id__in=hall_ids,
            status__in=[*ACTIVE_SESSION_STATUSES, SessionStatus.SCHEDULED],
        )
    )
    chosen: dict[int, Session] = {}
    active = sorted(
        (s for s in candidates if s.status in ACTIVE_SESSION_STATUSES),
        key=lambda s: (s.starts_at, s.pk),
        reverse=True,
    )
    for session in active:
        chosen.setdefault(session.hall_id, session)
    upcoming = sorted(
        (s for s in candidates if s.status == SessionStatus.SCHEDULED and s.ends_at > now),
        key=lambda s: (s.starts_at, s.pk),
    )
    for session in upcoming:
        chosen.setdefault(session.hall_id, session)
    return chosen


def stage_path(hall) -> str:
    """The hall's stage screen (the lectern tablet), with its secret key: organisers only."""
    path = reverse("pages:stage", kwargs={"hall_id": hall.pk})
    return f"{path}?{urlencode({'key': hall.stage_key})}"


def control_base(event_id: int) -> tuple[dict, dict]:
    """The event, its halls, each hall's current session, presence and live's alarms."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        raise LookupError(event_id)
    now = timezone.now()
    halls = selectors.halls_of(event=event)
    sessions = current_sessions(event_id=event_id, hall_ids=[h.pk for h in halls], now=now)
    presence = hall_presence(halls, sessions)
    alarms: dict[str, list[dict]] = {}
    for hall in halls:
        key, session = str(hall.pk), sessions.get(hall.pk)
        alarms[key] = session_alarms(session, presence[key], now=now)
    data = {
        "event": event_data(event),
        "halls": [hall_data(h) for h in halls],
        "stage": {str(h.pk): stage_path(h) for h in halls},
        "sessions": {
            str(h.pk): session_data(sessions[h.pk]) if h.pk in sessions else None for h in halls
        },
        "presence": presence,
        "alarms": alarms,
    }
    # Parts (qa) read the sessions and presence, and may add alarms to `alarms` in place.
    context = {
        "event": event,
        "halls": halls,
        "sessions": sessions,
        "presence": presence,
        "alarms": alarms,
        "now": now,
    }
    return data, context


def hall_presence(halls, sessions: dict[int, Session]) -> dict[str, dict]:
    """Per hall: phones and moderators of its current session, its displays (over every
    process, one backend call), and while no display is connected when one was last seen."""
    wanted: list[str] = []
    for hall in halls:
        wanted.append(streams.display_stream(hall.pk))
        session = sessions.get(hall.pk)
        if session is not None:
            wanted += [streams.session_stream(session.pk), streams.moderation_stream(session.pk)]
    backend = get_backend()
    totals = backend.presence_totals(wanted)
    presence = {}
    for hall in halls:
        session = sessions.get(hall.pk)
        displays = totals[streams.display_stream(hall.pk)]
        presence[str(hall.pk)] = {
            "phones": totals[streams.session_stream(session.pk)] if session else 0,
            "displays": displays,
            "moderators": totals[streams.moderation_stream(session.pk)] if session else 0,
            # Only while none is connected, so that the stamp every few seconds is no change.
            "display_last_seen": None if displays else backend.get(_display_seen_key(hall.pk)),
        }
    return presence


def session_alarms(session: Session | None, presence: dict, *, now: datetime) -> list[dict]:
    """What live can tell is wrong in a hall: its session on stage with no display, or still
    running past its end. `since` says from when (null: not known)."""
    alarms = []
    if session is None:
        return alarms
    if session.status in ON_STAGE and not presence["displays"]:
        alarms.append({"code": ALARM_DISPLAY_MISSING, "since": presence["display_last_seen"]})
    if session.status in ACTIVE_SESSION_STATUSES and session.ends_at < now:
        alarms.append({"code": ALARM_SESSION_OVERRUN, "since": session.ends_at.isoformat()})
    return alarms


def control_halls(event_id: int) -> dict:
    """The moving part of the control stream's state (`control.halls`), as the snapshot
    would show it now."""
    data = snapshots.build(streams.control_stream(event_id))
    return {key: data[key] for key in MOVING_KEYS}


def publish_control(event_id: int) -> bool:
    """`control.halls` when it differs from what was last sent; the swap makes one process
    publish each change. Returns whether it published."""
    data = control_halls(event_id)
    marker = dumps(data)
    if get_backend().swap(_sent_key(event_id), marker) == marker:
        return False
    publish_now([streams.control_stream(event_id)], messages.CONTROL_HALLS, marker)
    return True


def stamp_displays(hall_ids: list[int]) -> None:
    """These halls have a display connected to this process now."""
    backend = get_backend()
    now = timezone.now().isoformat(timespec="seconds")
    for hall_id in hall_ids:
        backend.swap(_display_seen_key(hall_id), now)


async def control_clock(hub) -> None:
    """Every process: stamp its halls' displays as seen; for each event with a control socket
    here, publish the control room's moving state if it changed (off the fan-out's path: it
    runs every PRESENCE_SECONDS, reads the hub's stream names, and touches the database only
    for events with a control socket in this process)."""
    period = settings.REALTIME["PRESENCE_SECONDS"]
    while True:
        await asyncio.sleep(period)
        names = [s for s, members in list(hub.members.items()) if members]
        displayed = [streams.parse(s)[1] for s in names if s.startswith(streams.DISPLAY + ".")]
        events = [streams.parse(s)[1] for s in names if s.startswith(streams.CONTROL + ".")]
        try:
            if displayed:
                await asyncio.to_thread(stamp_displays, displayed)
        except Exception:
            log.exception("stamping displays failed")
        for event_id in events:
            try:
                await database_sync_to_async(publish_control)(event_id)
            except LookupError:
                pass  # the event was deleted; its sockets go on their next reconnect
            except Exception:
                log.exception("control room update failed for event %s", event_id)
