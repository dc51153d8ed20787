"""The three screens' pages. Thin: find the object, check who may see it, render the shell.
Everything live (questions, votes, status) comes afterwards over the WebSocket and the API;
the strings the page scripts need travel in a json_script block in the active language."""

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
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from redis.exceptions import RedisError

from live import selectors
from live.enums import ACTIVE_SESSION_STATUSES, SESSION_TRANSITIONS, SessionStatus
from live.models import Event, Hall
from live.representations import event_data, hall_data

log = logging.getLogger(__name__)

# The limits of qa.models, for the form's counter (live does not import qa; the API enforces).
QUESTION_MAX_LENGTH = 500
AUTHOR_NAME_MAX_LENGTH = 80


def _status_labels() -> dict[str, str]:
    return {status.value: str(status.label) for status in SessionStatus}


def _socket_strings() -> dict[str, str]:
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


# ---- phone page ---------------------------------------------------------------------------


def _audience_strings() -> dict[str, str]:
    return {
        **_socket_strings(),
        "statuses": {k: str(v) for k, v in _status_labels().items()},
        "pending": _("Waiting for approval"),
        "approved": _("On screen"),
        "answered": _("Answered"),
        "rejected": _("Not approved"),
        "archived": _("Archived"),
        "pinned": _("Pinned"),
        "anonymous": _("Anonymous"),
        "vote": _("Vote for this question"),
        "unvote": _("Withdraw your vote"),
        "votes_one": _("1 vote"),
        "votes_many": _("{n} votes"),
        "no_questions": _("No questions on screen yet. Be the first to ask!"),
        "no_mine": _("You have not asked anything in this session yet."),
        "chars_left": _("{n} characters left"),
        "too_long": _("{n} characters too many"),
        "sent": _("Your question was sent."),
        "sent_pending": _("Your question was sent and is waiting for approval."),
        "queued": _("You are offline. Your question is saved and will be sent automatically."),
        "queued_item": _("Saved, will be sent when the network returns"),
        "retrying": _("Sending your saved question…"),
        "qa_closed": _("Questions are closed for this session."),
        "qa_open": _("Questions are open."),
        "error": _("Something went wrong. Please try again."),
        "throttled": _("You are asking very fast. Please wait a moment."),
        "empty": _("Please type a question."),
        "new_question": _("A new question is on screen."),
        "status_changed": _("Your question is now: {status}"),
    }


@vietnamese_unless_chosen
@served_from_cache
def event_page(request: HttpRequest, slug: str) -> HttpResponse:
    """/e/<slug>/: the session picker, or with ?session=<id> that session's questions."""
    event = get_object_or_404(Event, slug=slug)
    sessions = list(selectors.event_sessions_live_first(event=event))
    session = None
    raw = request.GET.get("session", "")
    if raw.isdigit():
        session = next((s for s in sessions if s.pk == int(raw)), None)
        if session is None:
            raise Http404
    live_now = [s for s in sessions if s.status in ACTIVE_SESSION_STATUSES]
    by_hall: dict[int, dict] = {}
    for s in sorted(sessions, key=lambda s: (s.hall.display_order, s.hall_id, s.starts_at)):
        if s.status in ACTIVE_SESSION_STATUSES:
            continue
        by_hall.setdefault(s.hall_id, {"hall": s.hall, "sessions": []})["sessions"].append(s)
    config = None
    if session is not None:
        config = {
            "event": event.slug,
            "session": session.pk,
            "lang": get_language(),
            "timezone": event.timezone,
            "max_length": QUESTION_MAX_LENGTH,
            "ws": f"/ws/sessions/{session.pk}/",
            "api": "/api/v1/",
            "qa_open": session.qa_open,
            "strings": _audience_strings(),
        }
    return render(
        request,
        "audience/event.html",
        {
            "event": event,
            "session": session,
            "live_now": live_now,
            "halls": list(by_hall.values()),
            "config": config,
            "max_length": QUESTION_MAX_LENGTH,
            "author_max_length": AUTHOR_NAME_MAX_LENGTH,
        },
    )


def join_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """/j/<code>: the short link on the hall screen's QR code. Typed codes are case-blind."""
    event = get_object_or_404(Event, join_code=code.strip().upper())
    return redirect("pages:event", slug=event.slug)


# ---- hall display -------------------------------------------------------------------------


def _display_strings() -> dict[str, str]:
    return {
        **_socket_strings(),
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
    join_path = reverse("pages:join", kwargs={"code": event.join_code})
    join_url = request.build_absolute_uri(join_path)
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
            "join_short": join_url.split("://", 1)[-1],
            "qr_svg": _qr_svg(join_url),
            "config": config,
        },
    )


# ---- moderator console ---------------------------------------------------------------------


def _moderator_strings() -> dict[str, str]:
    return {
        **_socket_strings(),
        "statuses": {k: str(v) for k, v in _status_labels().items()},
        "q_pending": _("Waiting"),
        "q_approved": _("On screen"),
        "q_answered": _("Answered"),
        "q_archived": _("Archived"),
        "q_rejected": _("Rejected"),
        "approve": _("Approve"),
        "reject": _("Reject"),
        "pin": _("Pin"),
        "unpin": _("Unpin"),
        "answer": _("Mark answered"),
        "archive": _("Archive"),
        "restore": _("Restore"),
        "edit": _("Edit"),
        "merge": _("Merge"),
        "pinned": _("Pinned"),
        "edited": _("edited"),
        "anonymous": _("Anonymous"),
        "votes_one": _("1 vote"),
        "votes_many": _("{n} votes"),
        "merged_into": _("merged into #{id}"),
        "conflict": _(
            "Another moderator changed this question a moment ago. The card now shows its "
            "current state; check it and try again if still needed."
        ),
        "forbidden": _("You are not allowed to do this. Are you still logged in?"),
        "error": _("That did not work: {detail}"),
        "network": _("The server could not be reached. Nothing was changed; try again."),
        "done_action": _("Done: {action} #{id}"),
        "merge_none": _("There is no other question to merge into."),
        "empty": _("Nothing here."),
        "qa_open": _("Q&A is open: the audience can ask"),
        "qa_closed": _("Q&A is closed: the audience cannot ask"),
        "open_qa": _("Open Q&A"),
        "close_qa": _("Close Q&A"),
        "set_status": _("Set status: {status}"),
    }


@login_required
@vietnamese_unless_chosen
def moderate_index(request: HttpRequest) -> HttpResponse:
    """/moderate/: the events this user moderates and their sessions, live ones first.
    ?session=<id> (the console's session switcher) opens that session's console."""
    raw = request.GET.get("session", "")
    if raw.isdigit():
        return redirect("pages:moderate_session", session_id=int(raw))
    events = selectors.events_moderated_by(request.user)
    groups = [
        {"event": event, "sessions": list(selectors.event_sessions_live_first(event=event))}
        for event in events
    ]
    return render(
        request,
        "moderator/index.html",
        {"groups": groups, "status_labels": _status_labels()},
    )


@login_required
@ensure_csrf_cookie
@vietnamese_unless_chosen
def moderate_session(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(selectors.sessions_with_people(), pk=session_id)
    if not selectors.user_can_moderate(request.user, event_id=session.event_id):
        raise PermissionDenied
    event = session.event
    others = list(selectors.event_sessions_live_first(event=event))
    config = {
        "session": session.pk,
        "event": event.slug,
        "lang": get_language(),
        "timezone": event.timezone,
        "ws": f"/ws/sessions/{session.pk}/moderation/",
        "api": "/api/v1/",
        "max_length": QUESTION_MAX_LENGTH,
        "transitions": {str(k): sorted(str(s) for s in v) for k, v in SESSION_TRANSITIONS.items()},
        "strings": _moderator_strings(),
    }
    return render(
        request,
        "moderator/console.html",
        {
            "event": event,
            "session": session,
            "others": others,
            "status_labels": _status_labels(),
            "config": config,
            "now": timezone.now(),
        },
    )
