"""What every screen's page shares (the language rule and switch, the page cache, the socket
strings) and live's own pages: the short link and the hall display. The Q&A pages (the phone
page, the moderator console) are qa's, in qa/views.py, built on these.

Pages are thin: find the object, check who may see it, render the shell. Everything live
comes afterwards over the WebSocket and the API; the strings and tables the page scripts need
travel in a json_script block in the active language."""

from __future__ import annotations

import logging
from functools import wraps

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from redis.exceptions import RedisError

from live.enums import SESSION_TRANSITIONS, Capability, DisplayMode, SessionStatus
from live.models import Event, Hall
from live.representations import event_data, hall_data
from live.selectors import hall_current_session_id, user_may

log = logging.getLogger(__name__)


def session_status_labels() -> dict[str, str]:
    """The session statuses in the active language, for the pages that show them."""
    return {status.value: str(status.label) for status in SessionStatus}


def socket_strings() -> dict[str, str]:
    """What every screen says about its socket's state (livesocket.js)."""
    return {
        "connected": _("Connected"),
        "reconnecting": _("Reconnecting…"),
        "offline": _("Offline: showing the last known state"),
    }


@never_cache
def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """GET /lang/<code>/?next=<path>: the one-tap language switch. It only sets this browser's
    language cookie (what Django's set_language does), and being a link it leaves the pages
    free of a per-visitor CSRF token, so a hall's phone page can come from the cache."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def served_from_cache(view):
    """The rendered page, kept PHONE_PAGE_CACHE_SECONDS per path, session and language: 2,000
    phones opening it in the same minute cost a few renders, not 2,000 (a render is ~9 ms of
    CPU; docs/performance.md). Only what every visitor gets alike is cached (a 200 without
    cookies); live state comes over the socket anyway."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = settings.PHONE_PAGE_CACHE_SECONDS
        if request.method not in ("GET", "HEAD") or seconds <= 0:
            return view(request, *args, **kwargs)
        session = request.GET.get("session", "")
        key = f"page:{request.path}:{session[:20]}:{get_language()}"
        content = _cache_call(cache.get, key)
        if content is not None:
            return HttpResponse(content)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.cookies:
            _cache_call(cache.set, key, response.content, seconds)
        return response

    return wrapper


def _cache_call(method, *args):
    """The page cache is an optimisation: while its Redis is out of reach the page is rendered
    every time (logged) rather than failing; the phone's writes say 503 on their own."""
    try:
        return method(*args)
    except (RedisError, OSError) as exc:
        log.warning("page cache unavailable (%s); rendering without it", type(exc).__name__)
        return None


def vietnamese_unless_chosen(view):
    """The screens speak the event's language (settings.LANGUAGE_CODE, Vietnamese) until the
    visitor picks another with the one-tap switch (the language cookie). The browser's
    Accept-Language is not enough: many phones and hall PCs in Vietnam run in English."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return view(request, *args, **kwargs)

    return wrapper


# ---- the short link and the hall display ------------------------------------------------


def _event_by_code(code: str) -> Event:
    """The event of a join code; typed codes are case-blind."""
    return get_object_or_404(Event, join_code=code.strip().upper())


def join_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """/j/<code>: the event's short link, typed from the screen: its session list."""
    event = _event_by_code(code)
    return redirect("pages:event", slug=event.slug)


@never_cache
def hall_join_redirect(request: HttpRequest, code: str, hall_slug: str) -> HttpResponse:
    """/j/<code>/<hall_slug>: a hall display's QR code. The hall's current session is chosen
    at scan time (the one its display shows), so a printed or projected link never goes stale;
    hence a 302 that phones must not keep. A hall with no current session, or a slug the event
    does not have (a mistyped poster), lands on the event's session list rather than a 404."""
    event = _event_by_code(code)
    halls = Hall.objects.filter(event=event)
    hall = halls.filter(slug=hall_slug).first() or halls.filter(slug__iexact=hall_slug).first()
    session_id = hall_current_session_id(hall_id=hall.pk) if hall is not None else None
    target = reverse("pages:event", kwargs={"slug": event.slug})
    if session_id is not None:
        target += f"?session={session_id}"
    return redirect(target)


def _display_strings() -> dict[str, str]:
    return {
        **socket_strings(),
        "live": _("LIVE"),
        "qa": _("Q&A"),
        "break": _("BREAK"),
        "next": _("NEXT at {time}"),
        "ended": _("ENDED"),
        "ends_in": _("Ends in"),
        "over": _("Time is up"),
        "no_session": _("No session in this hall right now"),
        "no_questions": _("Scan the code and ask your question"),
        "votes_one": _("1 vote"),
        "votes_many": _("{n} votes"),
        "pinned": _("Now answering"),
        "top": _("Top questions"),
        "addressed_to": _("→ {name}"),
        "voters_one": _("1 person voted"),
        "voters_many": _("{n} people voted"),
        "poll_closed": _("Voting closed"),
        "poll_open": _("Vote on your phone"),
    }


def _qr_svg(url: str) -> str:
    """The join QR code as inline SVG markup (segno output: no user text inside)."""
    return segno.make(url, error="m").svg_inline(
        scale=8, border=2, dark="#000", light="#fff", omitsize=True
    )


@vietnamese_unless_chosen
def display_page(request: HttpRequest, hall_id: int) -> HttpResponse:
    hall = get_object_or_404(Hall.objects.select_related("event"), pk=hall_id)
    event = hall.event
    join_path = reverse("pages:join_hall", kwargs={"code": event.join_code, "hall_slug": hall.slug})
    join_url = request.build_absolute_uri(join_path)
    join_short = join_url.split("://", 1)[-1]
    event_part, hall_part = join_short.rsplit("/", 1)
    config = {
        "hall": hall.pk,
        "lang": get_language(),
        "timezone": event.timezone,
        "ws": f"/ws/halls/{hall.pk}/display/",
        "event_data": event_data(event),
        "hall_data": hall_data(hall),
        "strings": _display_strings(),
    }
    return render(
        request,
        "display/hall.html",
        {
            "event": event,
            "hall": hall,
            "join_url": join_url,
            "join_short": join_short,
            # may wrap before the hall's part (kept whole: "hall-a" must not break at its
            # hyphen), never cut: a long host name still wraps anywhere and fits the card
            "join_short_html": format_html(
                '{}<wbr><span class="d-join-hall">/{}</span>', event_part, hall_part
            ),
            "qr_svg": _qr_svg(join_url),
            "config": config,
        },
    )


# ---- the organisers' control room ---------------------------------------------------------


def _control_strings() -> dict:
    return {
        **socket_strings(),
        "statuses": session_status_labels(),
        "display_modes": {mode.value: str(mode.label) for mode in DisplayMode},
        "display_modes_short": {
            DisplayMode.QUESTIONS: _("Questions"),
            DisplayMode.PINNED: _("Pinned only"),
            DisplayMode.JOIN: _("Join screen"),
            DisplayMode.BLANK: _("Blank"),
        },
        "no_session": _("No session in this hall"),
        "qa_open": _("Q&A open"),
        "qa_closed": _("Q&A closed"),
        "open_qa": _("Open Q&A"),
        "close_qa": _("Close Q&A"),
        "set_status": _("Set status"),
        "alarm_display_since": _("No display connected: dropped {ago} ago ({time})"),
        "alarm_display_never": _("No display connected (none seen yet)"),
        "alarm_unmoderated": _(
            "{n} questions waiting, no moderator connected (the oldest from {time})"
        ),
        "alarm_overrun": _("Still running {ago} past its end ({time})"),
        "ok": _("All well"),
        "alarms": _("Alarms: {n}"),
        "minutes": _("{n} min"),
        "seconds": _("{n} s"),
        "hours": _("{h} h {m} min"),
        "conflict_session": _(
            "Someone else changed this session a moment ago. The row now shows its current "
            "state; check it and try again if still needed."
        ),
        "conflict_hall": _(
            "Someone else changed this hall's display a moment ago. The row now shows its "
            "current setting; check it and try again if still needed."
        ),
        "forbidden": _("You are not allowed to do this. Are you still logged in?"),
        "error": _("That did not work: {detail}"),
        "network": _("The server could not be reached. Nothing was changed; try again."),
        "done": _("Done: {what}"),
        "renew_confirm": _(
            "Renew the stage key of {hall}? The stage screen open with the old link stops "
            "working until it is opened with the new one."
        ),
        "renewed": _("New stage key for {hall}. Open the stage screen with the new link."),
        "denied": _("This control room is for the event's organisers only."),
    }


@login_required
@ensure_csrf_cookie
@vietnamese_unless_chosen
def control_room(request: HttpRequest, slug: str) -> HttpResponse:
    """/moderate/events/<slug>/control/: every hall of the event at a glance, for its
    organisers. The rows come over the control stream; the actions are the API's."""
    event = get_object_or_404(Event, slug=slug)
    if not user_may(request.user, Capability.CONTROL_ROOM, event_id=event.pk):
        raise PermissionDenied
    config = {
        "event": event.pk,
        "lang": get_language(),
        "timezone": event.timezone,
        "ws": f"/ws/events/{event.pk}/control/",
        "api": "/api/v1/",
        "transitions": {str(k): sorted(str(s) for s in v) for k, v in SESSION_TRANSITIONS.items()},
        "strings": _control_strings(),
    }
    return render(request, "moderator/control.html", {"event": event, "config": config})
