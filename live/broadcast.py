"""What live's streams carry: the snapshot bases of the three stream kinds, the session
messages, and the hall display's choice of session (on every session change and on the clock).
`qa` contributes the questions (qa/broadcast.py)."""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from django.db import transaction

from live import messages, selectors
from live.models import Hall, Session
from live.realtime import snapshots, streams
from live.realtime.backend import get_backend
from live.realtime.db import database_sync_to_async
from live.realtime.envelope import dumps
from live.realtime.publish import publish_now, publish_on_commit
from live.representations import event_data, hall_data, session_data

log = logging.getLogger(__name__)


def session_base(session_id: int) -> tuple[dict, dict]:
    session = selectors.sessions_with_people().filter(pk=session_id).first()
    if session is None:
        raise LookupError(session_id)
    return {"session": session_data(session)}, {"session": session}


def moderation_base(session_id: int) -> tuple[dict, dict]:
    data, context = session_base(session_id)
    data["presence"] = presence_of(context["session"])
    return data, context


def display_base(hall_id: int) -> tuple[dict, dict]:
    hall = selectors.hall_for_display(hall_id=hall_id)
    if hall is None:
        raise LookupError(hall_id)
    session = selectors.hall_current_session(hall_id=hall_id)
    # What this hall's displays are showing, so that the first session change is compared
    # against it (and not announced as a switch when the session stays the same).
    get_backend().set_if_absent(
        _hall_marker_key(hall_id), _hall_marker(session.pk if session else None)
    )
    data = {
        "event": event_data(hall.event),
        "hall": hall_data(hall),
        "session": session_data(session) if session else None,
    }
    return data, {"session": session, "hall": hall}


def stage_base(hall_id: int) -> tuple[dict, dict]:
    """The lectern tablet: the display's base (event, hall, current session) and the
    moderator's last word to the stage. qa adds the pinned and queued questions."""
    data, context = display_base(hall_id)
    data["stage_message"] = stage_message_data(context["hall"])
    return data, context


def stage_message_data(hall: Hall) -> dict:
    return {
        "hall_id": hall.pk,
        "text": hall.stage_message,
        "at": hall.stage_message_at.isoformat() if hall.stage_message_at else None,
    }


def publish_stage_message(hall: Hall) -> None:
    """After commit: `stage.message` to the hall's stage screen, its event's control room, and
    the consoles of the session the hall shows (every moderator there sees what was said)."""
    targets = [streams.stage_stream(hall.pk), streams.control_stream(hall.event_id)]
    session_id = selectors.hall_current_session_id(hall_id=hall.pk)
    if session_id is not None:
        targets.append(streams.moderation_stream(session_id))
    publish_on_commit(targets, messages.STAGE_MESSAGE, stage_message_data(hall))


def display_streams_showing(session: Session) -> list[str]:
    """The hall's display and stage streams, if that hall currently shows this session."""
    if selectors.hall_current_session_id(hall_id=session.hall_id) == session.pk:
        return hall_screen_streams(session.hall_id)
    return []


def hall_screen_streams(hall_id: int) -> list[str]:
    """The streams that follow a hall's current session: its displays and its stage screen."""
    return [streams.display_stream(hall_id), streams.stage_stream(hall_id)]


def publish_session_updated(session: Session, *, previous_hall_id: int | None = None) -> None:
    """After commit: the session's new state to its audience, its moderators, its event's
    control room and, if the hall shows it, the hall display; then let the display switch
    sessions if it must (and the display of the hall the session moved out of,
    `previous_hall_id`)."""
    targets = [
        streams.session_stream(session.pk),
        streams.moderation_stream(session.pk),
        streams.control_stream(session.event_id),
    ]
    data = dumps({"session": session_data(session)})
    publish_on_commit(targets, messages.SESSION_UPDATED, data)
    hall_id = session.hall_id

    def after_commit() -> None:
        if not refresh_hall_display(hall_id) and (
            selectors.hall_current_session_id(hall_id=hall_id) == session.pk
        ):
            publish_now(hall_screen_streams(hall_id), messages.SESSION_UPDATED, data)
        if previous_hall_id is not None and previous_hall_id != hall_id:
            refresh_hall_display(previous_hall_id)

    transaction.on_commit(after_commit, robust=True)


def hall_streams(hall: Hall) -> list[str]:
    """Every stream that shows a hall's settings: its displays, its stage screen, and the
    control room of its event."""
    return [
        streams.display_stream(hall.pk),
        streams.stage_stream(hall.pk),
        streams.control_stream(hall.event_id),
    ]


def publish_hall_updated(hall: Hall) -> None:
    """After commit: `hall.updated` with the hall's settings (display mode, top questions)."""
    publish_on_commit(hall_streams(hall), messages.HALL_UPDATED, {"hall": hall_data(hall)})


def publish_displays_on_commit(hall_ids: list[int]) -> None:
    """After commit: each hall's displays get their whole state again (a snapshot, as
    `display.session_changed`), for a change to what frames the whole display: the event's
    name, join code or time zone, or the hall's name. Read after commit, so several changes
    in one transaction (an admin form and its inlines) go out as they were committed."""
    hall_ids = list(dict.fromkeys(hall_ids))

    def after_commit() -> None:
        for hall_id in hall_ids:
            # The displays now show the hall's current session: the clock has nothing to add.
            marker = _hall_marker(selectors.hall_current_session_id(hall_id=hall_id))
            get_backend().swap(_hall_marker_key(hall_id), marker)
            _publish_session_changed(hall_id)

    if hall_ids:
        transaction.on_commit(after_commit, robust=True)


def _hall_marker_key(hall_id: int) -> str:
    return f"hall-current:{hall_id}"


def _hall_marker(session_id: int | None) -> str:
    return str(session_id) if session_id else "-"


def refresh_hall_display(hall_id: int) -> bool:
    """Publish display.session_changed if the hall's current session is not the one its
    displays were last told about. The swap is atomic, so of many processes noticing the
    same change, exactly one publishes. Returns whether it published."""
    marker = _hall_marker(selectors.hall_current_session_id(hall_id=hall_id))
    if get_backend().swap(_hall_marker_key(hall_id), marker) == marker:
        return False
    _publish_session_changed(hall_id)
    return True


def _publish_session_changed(hall_id: int) -> None:
    """`display.session_changed` to the hall's display and stage streams, each with its own
    snapshot (the whole state again)."""
    for stream in hall_screen_streams(hall_id):
        publish_now([stream], messages.DISPLAY_SESSION_CHANGED, snapshots.build(stream))


async def display_clock(hub) -> None:
    """Each process looks at the halls its displays show: as the clock moves past a scheduled
    session's end, the display moves on to the next one by itself."""
    period = settings.REALTIME["CLOCK_SECONDS"]
    while True:
        await asyncio.sleep(period)
        shown = (streams.DISPLAY + ".", streams.STAGE + ".")
        hall_ids = {streams.parse(s)[1] for s in list(hub.members) if s.startswith(shown)}
        for hall_id in sorted(hall_ids):
            try:
                await database_sync_to_async(refresh_hall_display)(hall_id)
            except Exception:
                log.exception("display clock failed for hall %s", hall_id)


def presence_of(session: Session) -> dict[str, int]:
    """How many screens follow a session now, over every process."""
    phones, moderators, displays = (
        streams.session_stream(session.pk),
        streams.moderation_stream(session.pk),
        streams.display_stream(session.hall_id),
    )
    totals = get_backend().presence_totals([phones, moderators, displays])
    return {
        "phones": totals[phones],
        "displays": totals[displays],
        "moderators": totals[moderators],
    }


def publish_presence(session_id: int) -> None:
    """presence.updated to the session's moderators, when the numbers changed (the swap makes
    sure that of several processes with moderators, one message goes out per change)."""
    session = Session.objects.only("id", "hall_id").filter(pk=session_id).first()
    if session is None:
        return
    presence = presence_of(session)
    marker = dumps(presence)
    if get_backend().swap(f"presence-sent:{session_id}", marker) != marker:
        publish_now(
            [streams.moderation_stream(session_id)],
            messages.PRESENCE_UPDATED,
            {"presence": presence},
        )


async def presence_clock(hub) -> None:
    """Each process reports its socket counts; processes with moderators publish the totals."""
    period = settings.REALTIME["PRESENCE_SECONDS"]
    reported: set[str] = set()
    while True:
        await asyncio.sleep(period)
        counts = {stream: hub.count(stream) for stream in list(hub.members)}
        for gone in reported - counts.keys():
            counts[gone] = 0
        reported = {stream for stream, n in counts.items() if n}
        try:
            await asyncio.to_thread(get_backend().presence_report, hub.process_id, counts)
            moderated = [
                streams.parse(s)[1]
                for s in counts
                if s.startswith(streams.MODERATION + ".") and counts[s]
            ]
            for session_id in moderated:
                await database_sync_to_async(publish_presence)(session_id)
        except Exception:
            log.exception("presence report failed")


def restart_streams_on_commit(*, sessions: list[Session], halls: list[Hall]) -> None:
    """After commit: forget the history of every stream that shows these sessions and halls
    (it may hold what must not be shown any more: names after anonymisation, questions after
    a reset), then publish their state under a new epoch, so every connected screen sees the
    epoch change and takes a fresh snapshot."""

    def after_commit() -> None:
        backend = get_backend()
        for session in sessions:
            targets = [streams.session_stream(session.pk), streams.moderation_stream(session.pk)]
            for stream in targets:
                backend.reset(stream)
            publish_now(targets, messages.SESSION_UPDATED, {"session": session_data(session)})
        for event_id in {hall.event_id for hall in halls}:
            backend.reset(streams.control_stream(event_id))
        for hall in halls:
            backend.reset(streams.display_stream(hall.pk))
            backend.reset(streams.stage_stream(hall.pk))
            publish_now(hall_streams(hall), messages.HALL_UPDATED, {"hall": hall_data(hall)})

    transaction.on_commit(after_commit, robust=True)
