"""The Q&A screens' pages: the phone page (pick a session, ask, vote) and the moderator console.
Built on what every screen shares in live/views.py. The limits come from qa.models, the status
and action labels and the question transition table from qa.enums, so the page scripts get
them from the page config instead of keeping copies."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from live import selectors
from live.enums import ACTIVE_SESSION_STATUSES, SESSION_TRANSITIONS, Capability
from live.models import Event
from live.views import (
    served_from_cache,
    session_status_labels,
    socket_strings,
    vietnamese_unless_chosen,
)
from qa.enums import (
    ACTION_BUTTONS,
    FLAG_ACTIONS,
    TRANSITIONS,
    PollKind,
    PollState,
    QuestionAction,
    QuestionStatus,
)
from qa.models import (
    AUTHOR_NAME_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
    TRANSLATION_MAX_LENGTH,
    QuestionLanguage,
)
from qa.report import event_report


def question_status_labels() -> dict[str, str]:
    """The question statuses in the active language: the enum's labels, on every screen."""
    return {status.value: str(status.label) for status in QuestionStatus}


def question_language_labels() -> dict[str, str]:
    """The languages a question is in (issue 14), in the active language."""
    return {language.value: str(language.label) for language in QuestionLanguage}


def question_transitions() -> dict[str, dict[str, str]]:
    """qa.enums' table for the console: action -> {from status: to status}. The actions that
    keep the status (pin, unpin, edit) map each status they allow to itself."""
    table = {
        str(action): {str(a): str(b) for a, b in moves.items()}
        for action, moves in TRANSITIONS.items()
    }
    for action, statuses in FLAG_ACTIONS.items():
        table[str(action)] = {str(status): str(status) for status in sorted(statuses)}
    return table


# ---- phone page ---------------------------------------------------------------------------


def _phone_strings() -> dict:
    return {
        **socket_strings(),
        "statuses": session_status_labels(),
        "question_statuses": question_status_labels(),
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
        "addressed_to": _("→ {name}"),
        # both languages (issue 14): a translated question, the original one tap away
        "show_original": _("Show the original"),
        "show_translation": _("Show the translation"),
        "poll": _("Poll"),
        "poll_vote": _("Vote"),
        "poll_change": _("Change my vote"),
        "poll_voted": _("Your vote is counted. You can change it while the poll is open."),
        "poll_closed": _("Voting is closed."),
        "poll_pick_one": _("Choose one option."),
        "poll_pick_many": _("Choose up to {n} options."),
        "poll_choose": _("Choose an option first."),
        "poll_new": _("A new poll is open."),
        "voters_one": _("1 person voted"),
        "voters_many": _("{n} people voted"),
    }


@vietnamese_unless_chosen
@served_from_cache
def phone_page(request: HttpRequest, slug: str) -> HttpResponse:
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
            "strings": _phone_strings(),
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


# ---- moderator console ---------------------------------------------------------------------


def _console_strings() -> dict:
    return {
        **socket_strings(),
        "statuses": session_status_labels(),
        "question_statuses": question_status_labels(),
        "actions": {str(action): str(label) for action, label in ACTION_BUTTONS.items()},
        # the moderation log: every action by its past-tense label ("Approved", "Edited")
        "logged": {str(action.value): str(action.label) for action in QuestionAction},
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
        # the stage screen: its queue and the message to the speaker
        "queue": _("Queue"),
        "unqueue": _("Unqueue"),
        "queued": _("Queue #{n}"),
        "queue_for": _("Queue #{id} for the stage"),
        "unqueue_from": _("Take #{id} (queue #{n}) off the stage queue"),
        "stage_sent": _("Sent to the stage: {text}"),
        "stage_cleared": _("The stage message is cleared."),
        "stage_current": _("On the stage since {time}: {text}"),
        "stage_none": _("No message on the stage."),
        # moderation mode, card ages, search
        "moderation_pre": _("Pre-moderation: questions wait for approval"),
        "moderation_post": _("Post-moderation: questions appear at once"),
        "to_post": _("Switch to post-moderation"),
        "to_pre": _("Switch to pre-moderation"),
        "age_now": _("just now"),
        "age_minutes": _("{n} min"),
        "age_hours": _("{n} h"),
        "search_count": _("{shown} of {total} questions match"),
        "history_title": _("Moderation history of this session"),
        "history_of": _("History of question #{id}"),
        "history_none": _("Nothing has happened yet."),
        "history_by": _("by {who}"),
        "history_system": _("the system"),
        "history_before": _("Before:"),
        "history_after": _("After:"),
        "history": _("History"),
        "picked": _("{n} selected"),
        "pick": _("Select #{id}"),
        "bulk_done": _("Done for {n} questions: {action}"),
        "bulk_refused": _("Nothing was changed: {detail}"),
        "sort_votes": _("Sorted by votes (as on the display): sort by time"),
        "sort_time": _("Sorted by time, newest first: sort by votes"),
        "history_for": _("History of #{id}"),
        # screening, muting and duplicates (issue 14)
        "flagged": _("flagged: {words}"),
        "author_muted": _("author muted"),
        "asked_muted": _("asked while muted"),
        "like": _("like #{id}"),
        "merge_into": _("Merge into #{id}"),
        "merge_like": _("Merge #{id} into #{into}, the question it repeats"),
        "mute-author": _("Mute author"),
        "unmute-author": _("Unmute author"),
        # an organiser's reset after the rehearsal
        "reset_done": _(
            "Session reset: questions removed: {questions}, votes removed: {votes}, "
            "poll ballots removed: {ballots}. The polls are drafts again."
        ),
        "reset_running": _("A running session cannot be reset: end it first."),
        # the speaker a question is for
        "addressed_to": _("→ {name}"),
        "everyone": pgettext("question addressed to", "Everyone"),
        "history_to": _("To: {from} → {to}"),
        # both languages (issue 14)
        "languages": question_language_labels(),
        "translate_into": _("Translation into {language}, shown under the question"),
        "suggested": _("Suggested translation: {text}"),
        "suggestion_prefilled": _(
            "Prefilled with the translation server's suggestion: check it before saving."
        ),
        "translation_stale": _("translation may be out of date"),
        "translation_stale_hint": _(
            "The question was edited after this translation was saved: check it against the "
            "new text and save it again."
        ),
        "polls": _poll_console_strings(),
    }


def _poll_console_strings() -> dict:
    """The console's Polls panel (static/js/polls.js)."""
    return {
        "states": {str(s.value): str(s.label) for s in PollState},
        "kinds": {str(k.value): str(k.label) for k in PollKind},
        "open": _("Open"),
        "close": _("Close"),
        "show_results": _("Show results"),
        "hide_results": _("Hide results"),
        "show": _("Put on screen"),
        "hide": _("Take off screen"),
        "delete": _("Delete"),
        "delete_confirm": _("Delete this draft?"),
        "on_screen": _("On the hall screen"),
        "results_shown": _("Results shown"),
        "results_hidden": _("Results hidden"),
        "voters_one": _("1 person voted"),
        "voters_many": _("{n} people voted"),
        "max_choices": _("up to {n} choices"),
        "none": _("No polls yet. Prepare one below; the audience sees it once you open it."),
        "created": _("Draft created. Open it when the hall should vote."),
        "need_question": _("Write the question in Vietnamese."),
        "need_options": _("Give 2 to 10 options, one a line."),
        "en_mismatch": _("Give as many English options as Vietnamese ones, or none."),
        "conflict": _("Another moderator changed this poll first; it now shows its current state."),
        # editing a draft in the same form
        "edit": _("Edit"),
        "edit_title": _("Edit the draft #{id}"),
        "save": _("Save the draft"),
        "saved": _("Draft saved. The audience sees it once you open it."),
        "edit_conflict": _(
            "Another moderator changed this draft first: the form now shows it as it is now. "
            "Make your change again and save."
        ),
        "edit_gone": _("Draft #{id} can no longer be edited: it was opened or deleted."),
    }


def may_map(capabilities: frozenset[str]) -> dict[str, bool]:
    """{capability: bool} for the templates: `{% if may.run_sessions %}`."""
    return {capability: capability in capabilities for capability in Capability.values}


@login_required
@vietnamese_unless_chosen
def moderator_sessions(request: HttpRequest) -> HttpResponse:
    """/moderate/: the events this user moderates and their sessions, live ones first.
    ?session=<id> (the console's session switcher) opens that session's console."""
    raw = request.GET.get("session", "")
    if raw.isdigit():
        return redirect("pages:moderate_session", session_id=int(raw))
    events = selectors.events_with_capability(request.user, Capability.MODERATE)
    groups = [
        {
            "event": event,
            "sessions": list(selectors.event_sessions_live_first(event=event)),
            "may": may_map(selectors.user_capabilities(request.user, event_id=event.pk)),
        }
        for event in events
    ]
    return render(
        request,
        "moderator/index.html",
        {"groups": groups},
    )


@login_required
@ensure_csrf_cookie
@vietnamese_unless_chosen
def moderator_console(request: HttpRequest, session_id: int) -> HttpResponse:
    """/moderate/sessions/<id>/: one session's console. Its script gets the session and the
    question transition tables with the labels, and asks the server for every move anyway."""
    session = get_object_or_404(selectors.sessions_with_people(), pk=session_id)
    capabilities = selectors.user_capabilities(request.user, event_id=session.event_id)
    if Capability.MODERATE not in capabilities:
        raise PermissionDenied
    event = session.event
    others = list(selectors.event_sessions_live_first(event=event))
    strings = _console_strings()
    config = {
        "session": session.pk,
        "event": event.slug,
        "lang": get_language(),
        "timezone": event.timezone,
        "ws": f"/ws/sessions/{session.pk}/moderation/",
        "api": "/api/v1/",
        "max_length": QUESTION_MAX_LENGTH,
        "transitions": {str(k): sorted(str(s) for s in v) for k, v in SESSION_TRANSITIONS.items()},
        "question_transitions": question_transitions(),
        "strings": strings,
        "capabilities": sorted(capabilities),
    }
    return render(
        request,
        "moderator/console.html",
        {
            "event": event,
            "session": session,
            "others": others,
            "actions": strings["actions"],
            "max_length": QUESTION_MAX_LENGTH,
            "translation_max_length": TRANSLATION_MAX_LENGTH,
            "config": config,
            "now": timezone.now(),
            "may": may_map(capabilities),
        },
    )


@login_required
@vietnamese_unless_chosen
def event_report_page(request: HttpRequest, slug: str) -> HttpResponse:
    """/moderate/events/<slug>/report/: what happened in every hall, for the organisers."""
    event = get_object_or_404(Event, slug=slug)
    if not selectors.user_may(request.user, Capability.EXPORT, event_id=event.pk):
        raise PermissionDenied
    context = {"event": event, **event_report(event)}
    return render(request, "moderator/report.html", context)
