"""The question lifecycle: one explicit table of which action moves a question from which state
to which. Every service looks its move up here; nothing else decides."""

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from live.errors import IllegalTransition


class QuestionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("On screen")
    REJECTED = "rejected", _("Not approved")
    ANSWERED = "answered", _("Answered")
    ARCHIVED = "archived", _("Archived")


class QuestionAction(models.TextChoices):
    SUBMIT = "submit", _("Submitted")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    ANSWER = "answer", _("Marked answered")
    ARCHIVE = "archive", _("Archived")
    RESTORE = "restore", _("Restored")
    MERGE = "merge", _("Merged into another question")
    PIN = "pin", _("Pinned")
    UNPIN = "unpin", _("Unpinned")
    EDIT = "edit", _("Edited")
    SESSION = "session", _("Session changed")
    QUEUE = "queue", _("Queued for the stage")
    UNQUEUE = "unqueue", _("Taken out of the stage queue")
    TRANSLATE = "translate", _("Translated")
    MUTE = "mute", _("Author muted")
    UNMUTE = "unmute", _("Author unmuted")


S = QuestionStatus

# action -> {from state: to state}. A pair missing here is an illegal move.
TRANSITIONS: dict[str, dict[str, str]] = {
    QuestionAction.APPROVE: {S.PENDING: S.APPROVED, S.REJECTED: S.APPROVED},
    QuestionAction.REJECT: {S.PENDING: S.REJECTED, S.APPROVED: S.REJECTED},
    QuestionAction.ANSWER: {S.APPROVED: S.ANSWERED},
    QuestionAction.ARCHIVE: {
        S.PENDING: S.ARCHIVED,
        S.APPROVED: S.ARCHIVED,
        S.ANSWERED: S.ARCHIVED,
        S.REJECTED: S.ARCHIVED,
    },
    # Back to review (rejected, archived) or back on screen (answered by mistake).
    QuestionAction.RESTORE: {S.REJECTED: S.PENDING, S.ARCHIVED: S.PENDING, S.ANSWERED: S.APPROVED},
    QuestionAction.MERGE: {S.PENDING: S.ARCHIVED, S.APPROVED: S.ARCHIVED, S.ANSWERED: S.ARCHIVED},
}

# Actions that keep the status but still need it to be one of these.
FLAG_ACTIONS: dict[str, frozenset[str]] = {
    QuestionAction.PIN: frozenset({S.APPROVED}),
    QuestionAction.UNPIN: frozenset({S.APPROVED, S.ANSWERED}),
    QuestionAction.EDIT: frozenset({S.PENDING, S.APPROVED, S.ANSWERED, S.REJECTED}),
    QuestionAction.TRANSLATE: frozenset({S.PENDING, S.APPROVED, S.ANSWERED, S.REJECTED}),
}

# What the moderator console's button for each action says. The action labels above say what
# happened (the audit trail); these say what a click does.
ACTION_BUTTONS: dict[str, Promise] = {
    QuestionAction.APPROVE: _("Approve"),
    QuestionAction.REJECT: _("Reject"),
    QuestionAction.ANSWER: _("Mark answered"),
    QuestionAction.ARCHIVE: _("Archive"),
    QuestionAction.RESTORE: _("Restore"),
    QuestionAction.MERGE: _("Merge"),
    QuestionAction.PIN: _("Pin"),
    QuestionAction.UNPIN: _("Unpin"),
    QuestionAction.EDIT: _("Edit"),
    QuestionAction.TRANSLATE: _("Translate"),
}

# What the audience and the hall displays see.
PUBLIC_STATUSES = frozenset({S.APPROVED, S.ANSWERED})

# The stage queue (qa/services.question_queue): only approved questions wait there, and not the
# pinned one (it is on stage already). Kept out of FLAG_ACTIONS: queueing is a place in a list
# with its own refusals (`question.cannot_queue`, `question.queue_pinned`), not a status move.
QUEUE_STATUSES = frozenset({S.APPROVED})

# Actions a moderator may apply to many questions at once.
BULK_ACTIONS = (
    QuestionAction.APPROVE,
    QuestionAction.REJECT,
    QuestionAction.ANSWER,
    QuestionAction.ARCHIVE,
    QuestionAction.RESTORE,
)


def next_status(action: str, current: str) -> str:
    """The state `action` moves a question in `current` to, or IllegalTransition with the
    fixed code `question.cannot_<action>`."""
    if action in TRANSITIONS:
        target = TRANSITIONS[action].get(current)
        if target is not None:
            return target
    elif action in FLAG_ACTIONS:
        if current in FLAG_ACTIONS[action]:
            return current
    else:
        raise ValueError(f"unknown question action {action!r}")
    raise IllegalTransition(
        _("A question that is “%(state)s” cannot be %(action)s.")
        % {"state": QuestionStatus(current).label, "action": QuestionAction(action).label.lower()},
        code=f"question.cannot_{action}",
    )


# ---- polls ----------------------------------------------------------------------------------


class PollState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for votes")
    CLOSED = "closed", _("Closed")


class PollKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")


class PollAction(models.TextChoices):
    CREATE = "create", _("Created")
    EDIT = "edit", _("Edited")
    DELETE = "delete", _("Deleted")
    OPEN = "open", _("Opened")
    CLOSE = "close", _("Closed")
    SHOW_RESULTS = "show_results", _("Results shown")
    HIDE_RESULTS = "hide_results", _("Results hidden")
    SHOW = "show", _("Put on screen")
    HIDE = "hide", _("Taken off screen")


P = PollState

# The one table of poll moves: action -> {from state: to state}; a pair missing is refused.
# A poll is edited and deleted only as a draft, opened once and closed once. Whether its results
# show does not depend on its state; it goes on the hall screen only once the audience can see
# it (open or closed), never as a draft.
POLL_TRANSITIONS: dict[str, dict[str, str]] = {
    PollAction.EDIT: {P.DRAFT: P.DRAFT},
    PollAction.DELETE: {P.DRAFT: P.DRAFT},
    PollAction.OPEN: {P.DRAFT: P.OPEN},
    PollAction.CLOSE: {P.OPEN: P.CLOSED},
    PollAction.SHOW_RESULTS: {P.DRAFT: P.DRAFT, P.OPEN: P.OPEN, P.CLOSED: P.CLOSED},
    PollAction.HIDE_RESULTS: {P.DRAFT: P.DRAFT, P.OPEN: P.OPEN, P.CLOSED: P.CLOSED},
    PollAction.SHOW: {P.OPEN: P.OPEN, P.CLOSED: P.CLOSED},
    PollAction.HIDE: {P.OPEN: P.OPEN, P.CLOSED: P.CLOSED},
}

# What the audience and the hall display see of a poll: never a draft.
PUBLIC_POLL_STATES = frozenset({P.OPEN, P.CLOSED})

POLL_OPTIONS_MIN = 2
POLL_OPTIONS_MAX = 10


def next_poll_state(action: str, current: str) -> str:
    """The state `action` moves a poll in `current` to, or IllegalTransition with the fixed
    code `poll.cannot_<action>`."""
    if action not in POLL_TRANSITIONS:
        raise ValueError(f"unknown poll action {action!r}")
    target = POLL_TRANSITIONS[action].get(current)
    if target is not None:
        return target
    raise IllegalTransition(
        _("A poll that is “%(state)s” cannot be %(action)s.")
        % {"state": PollState(current).label, "action": PollAction(action).label.lower()},
        code=f"poll.cannot_{action}",
    )
