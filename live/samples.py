"""Connections over time, for the event report: each minute while an event runs, how many
phones (the hall's current session's audience stream) and displays each hall had, summed over
every process from the presence counts the processes already report.

Every process with sockets runs the sampler; the backend's atomic swap of "the last minute
sampled" elects exactly one of them per minute, and the unique (hall, minute) constraint would
refuse a second sample anyway."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from live import selectors
from live.models import ConnectionSample, Event, Hall
from live.realtime import streams
from live.realtime.backend import get_backend

log = logging.getLogger(__name__)

LAST_SAMPLED_KEY = "samples:last-minute"


def running_events(now: datetime) -> list[Event]:
    """Events whose days include today in their own time zone (a day either side of the UTC
    date first, then each event's own date)."""
    today = now.date()
    candidates = Event.objects.filter(
        starts_on__lte=today + timedelta(days=1), ends_on__gte=today - timedelta(days=1)
    )
    return [
        e for e in candidates if e.starts_on <= timezone.localtime(now, e.tz).date() <= e.ends_on
    ]


def take_sample(now: datetime | None = None) -> int:
    """One sample per hall of every running event, for the current minute, unless another
    process took it. Returns how many rows were written."""
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    minute = now.isoformat()
    if get_backend().swap(LAST_SAMPLED_KEY, minute) == minute:
        return 0
    halls = list(Hall.objects.filter(event__in=running_events(now)))
    if not halls:
        return 0
    current = {
        hall.pk: selectors.hall_current_session_id(hall_id=hall.pk, now=now) for hall in halls
    }
    wanted = [streams.display_stream(hall.pk) for hall in halls]
    wanted += [streams.session_stream(s) for s in current.values() if s]
    totals = get_backend().presence_totals(wanted)
    rows = [
        ConnectionSample(
            hall=hall,
            session_id=current[hall.pk],
            at=now,
            displays=totals[streams.display_stream(hall.pk)],
            phones=totals[streams.session_stream(current[hall.pk])] if current[hall.pk] else 0,
        )
        for hall in halls
    ]
    try:
        with transaction.atomic():
            ConnectionSample.objects.bulk_create(rows)
    except IntegrityError:  # taken already (a backend that lost its memory): keep the first
        return 0
    return len(rows)


async def connection_sampler(hub) -> None:
    """A hub ticker: look each SAMPLE_SECONDS whether this minute's sample is due."""
    from live.realtime.db import database_sync_to_async

    period = settings.REALTIME.get("SAMPLE_SECONDS", 60)
    while True:
        await asyncio.sleep(period)
        try:
            await database_sync_to_async(take_sample)()
        except Exception:
            log.exception("connection sample failed")
