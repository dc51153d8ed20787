from django.db import models
from django.utils.translation import gettext_lazy as _


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    QA = "qa", _("Q&A")
    BREAK = "break", _("Break")
    ENDED = "ended", _("Ended")


# A session moves forward through its day, may pause and come back, and may be reopened
# by a moderator who ended it by mistake.
SESSION_TRANSITIONS: dict[str, frozenset[str]] = {
    SessionStatus.SCHEDULED: frozenset({SessionStatus.LIVE, SessionStatus.QA, SessionStatus.ENDED}),
    SessionStatus.LIVE: frozenset({SessionStatus.QA, SessionStatus.BREAK, SessionStatus.ENDED}),
    SessionStatus.QA: frozenset({SessionStatus.LIVE, SessionStatus.BREAK, SessionStatus.ENDED}),
    SessionStatus.BREAK: frozenset({SessionStatus.LIVE, SessionStatus.QA, SessionStatus.ENDED}),
    SessionStatus.ENDED: frozenset({SessionStatus.LIVE, SessionStatus.QA}),
}

# The statuses in which a session is "current" in its hall (shown on the hall display).
ACTIVE_SESSION_STATUSES = frozenset({SessionStatus.LIVE, SessionStatus.QA, SessionStatus.BREAK})


class ModerationMode(models.TextChoices):
    PRE = "pre", _("Pre-moderation: questions wait for approval")
    POST = "post", _("Post-moderation: questions appear at once")


class EventRole(models.TextChoices):
    ORGANISER = "organiser", _("Organiser")
    MODERATOR = "moderator", _("Moderator")


class Capability(models.TextChoices):
    """What an event role lets a user do at that event. ROLE_CAPABILITIES is the one table the
    API, the sockets, the pages and the admin ask (live.selectors.user_may); docs/api.md lists
    it endpoint by endpoint."""

    MODERATE = (
        "moderate",
        _(
            "Moderate questions: the console and its stream, approve, reject, edit, pin, answer, "
            "archive, merge, queue for the speaker, the history, a message to the stage"
        ),
    )
    OPEN_CLOSE_QA = "open_close_qa", _("Open or close the session's Q&A")
    RUN_SESSIONS = (
        "run_sessions",
        _("Run sessions: their status, pre- or post-moderation, the rehearsal reset"),
    )
    RUN_DISPLAYS = "run_displays", _("Run the hall displays: what they show, stage keys")
    EXPORT = "export", _("Export any session or the whole event, and read the event report")
    CONTROL_ROOM = "control_room", _("Watch every hall at once in the control room")
    MANAGE_PEOPLE = "manage_people", _("Give and take the event's roles in the admin")


# Superusers may do everything at every event, without a role.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    EventRole.ORGANISER: frozenset(Capability.values),
    EventRole.MODERATOR: frozenset({Capability.MODERATE, Capability.OPEN_CLOSE_QA}),
}


class DisplayMode(models.TextChoices):
    """What a hall display shows (an organiser sets it per hall)."""

    QUESTIONS = "questions", _("Questions: the pinned one large, then the top questions")
    PINNED = "pinned", _("Pinned question only")
    JOIN = "join", _("Join: QR code, join code and the coming session")
    BLANK = "blank", _("Blank: event and hall name only")


# How many top questions a display may be asked to show besides the pinned one.
TOP_QUESTIONS_MIN = 0
TOP_QUESTIONS_MAX = 12
TOP_QUESTIONS_DEFAULT = 5
