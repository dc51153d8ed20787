"""The stage screen: the lectern tablet of a hall (/stage/<hall_id>/?key=<stage key>). No
login: the hall's stage key opens it, and a renewed key locks the old link out (403 here,
4403 on its socket, live/consumers.py). Everything live comes over the stage stream."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from live.consumers import stage_key_matches
from live.models import Hall
from live.representations import event_data, hall_data
from live.views import socket_strings, vietnamese_unless_chosen


def _stage_strings() -> dict[str, str]:
    return {
        **socket_strings(),
        "live": _("LIVE"),
        "qa": _("Q&A"),
        "break": _("BREAK"),
        "next": _("NEXT at {time}"),
        "ended": _("ENDED"),
        "time_left": _("Time left"),
        "over": _("Time is up"),
        "over_by": _("Over by {time}"),
        "starts_in": _("Starts in {time}"),
        "no_session": _("No session in this hall right now"),
        "no_pinned": _("No question pinned yet"),
        "no_queue": _("The moderator has not queued any questions"),
        "more": _("+{n} more"),
        "votes_one": _("1 vote"),
        "votes_many": _("{n} votes"),
        "addressed_to": _("→ {name}"),
        "sent_at": _("sent at {time}"),
        "denied": _("This stage link is no longer valid. Ask the organisers for the new one."),
    }


@never_cache
@vietnamese_unless_chosen
def stage_page(request: HttpRequest, hall_id: int) -> HttpResponse:
    hall = get_object_or_404(Hall.objects.select_related("event"), pk=hall_id)
    key = request.GET.get("key", "")[:64]
    if not stage_key_matches(key, hall.stage_key):
        raise PermissionDenied
    event = hall.event
    config = {
        "hall": hall.pk,
        "lang": get_language(),
        "timezone": event.timezone,
        "ws": f"/ws/halls/{hall.pk}/stage/?{urlencode({'key': key})}",
        "event_data": event_data(event),
        "hall_data": hall_data(hall),
        "strings": _stage_strings(),
    }
    return render(request, "stage/hall.html", {"event": event, "hall": hall, "config": config})
