import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from live.models import Event, Session, Speaker
from qa.enums import (
    PUBLIC_POLL_STATES,
    PUBLIC_STATUSES,
    PollAction,
    PollKind,
    PollState,
    QuestionAction,
    QuestionStatus,
)

QUESTION_MAX_LENGTH = 500
# A translation may run longer than its question (Vietnamese to English and back).
TRANSLATION_MAX_LENGTH = 1000
AUTHOR_NAME_MAX_LENGTH = 80


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; a stolen table reveals no token.
    return hashlib.sha256(token.encode()).hexdigest()


class Participant(models.Model):
    """A phone's anonymous identity within one event. Only the hash of its token is stored."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    display_name = models.CharField(
        _("display name"), max_length=AUTHOR_NAME_MAX_LENGTH, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by a moderator (qa/services.participant_mute): this phone's new questions are kept
    # for moderators only, never public.
    muted_at = models.DateTimeField(_("muted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return f"{self.display_name or _('Anonymous')} #{self.pk}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, hash_token(token)


class QuestionLanguage(models.TextChoices):
    VIETNAMESE = "vi", _("Vietnamese")
    ENGLISH = "en", _("English")
    OTHER = "other", pgettext_lazy("language", "Other")


class Question(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="questions"
    )
    text = models.TextField(_("text"), max_length=QUESTION_MAX_LENGTH)
    # The participant's own words, kept when a moderator edits the text.
    original_text = models.TextField(_("original text"), blank=True)
    author_name = models.CharField(_("author"), max_length=AUTHOR_NAME_MAX_LENGTH, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=QuestionStatus.choices, default=QuestionStatus.PENDING
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    # Optimistic concurrency: bumped by every moderation change.
    version = models.PositiveIntegerField(default=1)
    # Idempotent submission: a phone retrying on bad Wi-Fi sends the same id.
    # NULL, not "", when absent: the per-participant uniqueness only applies to real ids.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The speaker the question is for (one of its session's speakers); NULL: everyone.
    addressed_to = models.ForeignKey(
        Speaker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("addressed to"),
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    # Its place (1..n) in the session's stage queue: what the speaker takes next, after the
    # pinned question. NULL when not queued; only approved, unpinned questions wait there.
    queue_position = models.PositiveSmallIntegerField(
        _("place in the queue"), null=True, blank=True
    )
    # Both languages (issue 14): the language it was typed in, detected at submit
    # (qa/language.py); a moderator's translation into the other one; and the translation
    # server's suggestion for it, shown to moderators only.
    language = models.CharField(
        _("language"), max_length=5, choices=QuestionLanguage.choices, blank=True
    )
    translation = models.TextField(_("translation"), max_length=TRANSLATION_MAX_LENGTH, blank=True)
    translation_language = models.CharField(
        _("language of the translation"),
        max_length=5,
        choices=QuestionLanguage.choices,
        blank=True,
    )
    translation_suggestion = models.TextField(
        _("suggested translation"), max_length=TRANSLATION_MAX_LENGTH, blank=True
    )
    # The text was reworded after the translation was saved: the translation may describe the
    # old words. Set by an edit of the text, cleared when a moderator saves the translation.
    translation_stale = models.BooleanField(_("translation may be out of date"), default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Why it was held at submit (qa/services.question_submit), for moderators only:
    # {"words": [listed terms it contains]} and/or {"muted": true} (its author was muted).
    flags = models.JSONField(_("flags"), default=dict, blank=True)
    # Its words without tone marks, case, punctuation, order or filler words, space-separated
    # (qa/similarity.py): what a new question of the session is compared with.
    signature = models.TextField(blank=True, default="")
    # Questions of the session that said nearly the same thing when it arrived (ids).
    similar_to = models.JSONField(_("similar to"), default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["session"], condition=Q(pinned=True), name="one_pinned_question_per_session"
            ),
            models.UniqueConstraint(
                fields=["participant", "client_id"],
                condition=Q(client_id__isnull=False),
                name="question_client_id_unique_per_participant",
            ),
            models.CheckConstraint(
                condition=Q(pinned=False) | Q(status=QuestionStatus.APPROVED),
                name="only_approved_questions_pinned",
            ),
            models.CheckConstraint(
                condition=Q(queue_position__isnull=True)
                | Q(status=QuestionStatus.APPROVED, pinned=False, queue_position__gte=1),
                name="only_approved_unpinned_questions_queued",
            ),
        ]
        indexes = [models.Index(fields=["session", "status"])]

    def __str__(self) -> str:
        short = self.text if len(self.text) <= 60 else self.text[:59] + "…"
        return f"#{self.pk} {short}"

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def shown_author(self) -> str:
        return "" if self.anonymous else self.author_name


class QuestionKey(models.Model):
    """The duplicate check's index (qa/similarity.index_keys): a few keys per question, each
    "<session>|<numbers>|<word>", so that a new question finds the questions that may repeat
    it with one indexed lookup, however many the session holds."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(max_length=120, db_index=True)

    class Meta:
        verbose_name = _("duplicate key")
        verbose_name_plural = _("duplicate keys")

    def __str__(self) -> str:
        return self.key


class BlockedTerm(models.Model):
    """A word or phrase of an event's list, added to the project's default lists
    (qa/screening.py): a question containing one is held for a moderator."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="blocked_terms")
    term = models.CharField(
        _("word or phrase"),
        max_length=100,
        help_text=_(
            "Case, tone marks and đ/d are ignored; whole words only. Start with “=” to match "
            "only with these tone marks."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["term"]
        verbose_name = _("screened word")
        verbose_name_plural = _("screened words")
        constraints = [
            models.UniqueConstraint(fields=["event", "term"], name="blocked_term_unique_per_event")
        ]

    def __str__(self) -> str:
        return self.term


class Vote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "participant"], name="one_vote_per_participant"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} -> {self.question_id}"


class ModerationAction(models.Model):
    """The audit trail: written in the same transaction as the change it records."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="moderation_actions"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, null=True, blank=True, related_name="moderation_actions"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_actions",
    )
    action = models.CharField(_("action"), max_length=12, choices=QuestionAction.choices)
    from_state = models.CharField(_("from"), max_length=12, blank=True)
    to_state = models.CharField(_("to"), max_length=12, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation actions")

    def __str__(self) -> str:
        target = f"#{self.question_id}" if self.question_id else f"session {self.session_id}"
        return f"{self.actor or '-'} {self.action} {target}: {self.from_state} -> {self.to_state}"


# ---- polls ----------------------------------------------------------------------------------

POLL_QUESTION_MAX_LENGTH = 300
POLL_OPTION_MAX_LENGTH = 120


class Poll(models.Model):
    """A question to the whole hall with 2..10 options (qa/enums.POLL_TRANSITIONS): a draft
    the moderators prepare, open for ballots, then closed. Whether its results show and whether
    it is on the hall screen are flags of their own. Tallies are never stored: they are counted
    from the ballots (qa/selectors.poll_tallies)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="polls")
    question_vi = models.CharField(_("question (Vietnamese)"), max_length=POLL_QUESTION_MAX_LENGTH)
    question_en = models.CharField(
        _("question (English)"), max_length=POLL_QUESTION_MAX_LENGTH, blank=True
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=PollKind.choices, default=PollKind.SINGLE
    )
    # How many options a ballot may hold: 1 for a single choice poll.
    max_choices = models.PositiveSmallIntegerField(_("most choices"), default=1)
    state = models.CharField(
        _("state"), max_length=10, choices=PollState.choices, default=PollState.DRAFT
    )
    results_shown = models.BooleanField(_("results shown"), default=False)
    on_screen = models.BooleanField(_("on the hall screen"), default=False)
    # Optimistic concurrency: bumped by every moderator's change.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(on_screen=True),
                name="one_poll_on_screen_per_session",
            ),
            models.CheckConstraint(
                condition=Q(on_screen=False) | Q(state__in=sorted(PUBLIC_POLL_STATES)),
                name="poll_on_screen_only_when_public",
            ),
            models.CheckConstraint(
                condition=Q(kind=PollKind.SINGLE, max_choices=1)
                | Q(kind=PollKind.MULTIPLE, max_choices__gte=1, max_choices__lte=10),
                name="poll_max_choices_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.question_vi[:60]}"

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_POLL_STATES

    @property
    def is_listed(self) -> bool:
        """Held by the phones and the hall display: open, or on the hall screen (a closed poll
        stays there, with its final results, until the moderator takes it down).
        qa/selectors.public_polls is the same rule as a query."""
        return self.state == PollState.OPEN or (self.on_screen and self.is_public)


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(_("position"))
    text_vi = models.CharField(_("text (Vietnamese)"), max_length=POLL_OPTION_MAX_LENGTH)
    text_en = models.CharField(_("text (English)"), max_length=POLL_OPTION_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("poll option")
        verbose_name_plural = _("poll options")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "position"], name="poll_option_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text_vi}"


class Ballot(models.Model):
    """One participant's choice in one poll; changed (its choices replaced) while the poll is
    open. The voters of a poll are its ballots."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="ballots")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "participant"], name="one_ballot_per_participant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} -> poll {self.poll_id}"


class BallotChoice(models.Model):
    """An option chosen on a ballot. `poll` repeats the ballot's poll so the tallies are one
    GROUP BY over this table and an option counts at most once per ballot."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="choices")
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="choices")

    class Meta:
        verbose_name = _("ballot choice")
        verbose_name_plural = _("ballot choices")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "option"], name="one_choice_per_option")
        ]
        indexes = [models.Index(fields=["poll", "option"])]

    def __str__(self) -> str:
        return f"ballot {self.ballot_id}: option {self.option_id}"


class PollAuditEntry(models.Model):
    """The audit trail of polls, as ModerationAction is that of questions: written in the same
    transaction as the change it records. A deleted draft keeps its entries (poll set null)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="poll_actions")
    poll = models.ForeignKey(
        Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="poll_actions",
    )
    action = models.CharField(_("action"), max_length=16, choices=PollAction.choices)
    from_state = models.CharField(_("from"), max_length=10, blank=True)
    to_state = models.CharField(_("to"), max_length=10, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("poll action")
        verbose_name_plural = _("poll actions")

    def __str__(self) -> str:
        return f"{self.actor or '-'} {self.action} poll {self.poll_id}"
