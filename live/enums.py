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


class DisplayMode(models.TextChoices):
    """What a hall display shows (the organiser or moderator sets it per hall)."""

    QUESTIONS = "questions", _("Questions: the pinned one large, then the top questions")
    PINNED = "pinned", _("Pinned question only")
    JOIN = "join", _("Join: QR code, join code and the coming session")
    BLANK = "blank", _("Blank: event and hall name only")


# How many top questions a display may be asked to show besides the pinned one.
TOP_QUESTIONS_MIN = 0
TOP_QUESTIONS_MAX = 12
TOP_QUESTIONS_DEFAULT = 5
