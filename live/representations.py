"""How sessions, halls and events look on the streams (one place, used by snapshots and
messages alike). Both languages travel: each screen picks its own."""

from __future__ import annotations

from live.models import Event, Hall, Session


def speaker_data(speaker) -> dict:
    return {
        "id": speaker.id,
        "name": speaker.name,
        "title": speaker.title,
        "organisation": speaker.organisation,
    }


def session_data(session: Session) -> dict:
    return {
        "id": session.id,
        "event_id": session.event_id,
        "hall_id": session.hall_id,
        "title": {"vi": session.title_vi, "en": session.title_en},
        "description": {"vi": session.description_vi, "en": session.description_en},
        "speakers": [speaker_data(s) for s in session.speakers.all()],
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "status": session.status,
        "qa_open": session.qa_open,
        "moderation": session.moderation,
        "livestream_url": session.livestream_url,
        "version": session.version,
    }


def hall_data(hall: Hall) -> dict:
    return {
        "id": hall.id,
        "event_id": hall.event_id,
        "name": {"vi": hall.name_vi, "en": hall.name_en},
        "slug": hall.slug,
        "display_mode": hall.display_mode,
        "top_questions": hall.top_questions,
        "version": hall.version,
    }


def event_data(event: Event) -> dict:
    return {
        "id": event.id,
        "slug": event.slug,
        "name": {"vi": event.name_vi, "en": event.name_en},
        "timezone": event.timezone,
        "join_code": event.join_code,
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
    }
