"""Every write to participants, questions and votes: one function per action.

Each moderation function: checks the move against qa/enums.TRANSITIONS, checks the caller's
`version` (optimistic concurrency), saves with update_fields, writes its ModerationAction
row in the same transaction, and publishes after commit (qa/broadcast.py). The API and any
WebSocket command call these, nothing else."""

from __future__ import annotations

import datetime
import logging
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from live.enums import SessionStatus
from live.errors import Conflict, DomainError, IllegalTransition
from live.models import Event, Session, Speaker
from qa import broadcast, similarity, translation
from qa.enums import (
    POLL_OPTIONS_MAX,
    POLL_OPTIONS_MIN,
    PUBLIC_STATUSES,
    QUEUE_STATUSES,
    PollAction,
    PollKind,
    PollState,
    QuestionAction,
    QuestionStatus,
    next_poll_state,
    next_status,
)
from qa.language import detect_language
from qa.models import (
    AUTHOR_NAME_MAX_LENGTH,
    POLL_OPTION_MAX_LENGTH,
    POLL_QUESTION_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
    TRANSLATION_MAX_LENGTH,
    Ballot,
    BallotChoice,
    ModerationAction,
    Participant,
    Poll,
    PollAuditEntry,
    PollOption,
    Question,
    QuestionKey,
    QuestionLanguage,
    Vote,
)
from qa.representations import addressed_to_data
from qa.selectors import last_actions, screening_matcher, similarity_candidates
from qa.text import clean_text

log = logging.getLogger(__name__)


class VersionConflict(Conflict):
    """Carries the current question so the client can show what changed."""

    code = "question.version_conflict"
    default_message = _("Another moderator changed this question first.")

    def __init__(self, question: Question):
        super().__init__()
        self.question = question


# ---- participants ---------------------------------------------------------------------------


def participant_join(*, event: Event, display_name: str = "") -> tuple[Participant, str]:
    """A phone's anonymous identity. Returns the participant and its token (shown once)."""
    display_name = clean_text(display_name, multiline=False)
    if len(display_name) > AUTHOR_NAME_MAX_LENGTH:
        raise DomainError(_("The name is too long."), code="participant.name_too_long")
    token, token_hash = Participant.new_token()
    participant = Participant.objects.create(
        event=event, token_hash=token_hash, display_name=display_name
    )
    return participant, token


# ---- submitting -----------------------------------------------------------------------------


def validate_question_text(text: str) -> str:
    text = clean_text(text)
    if not text:
        raise DomainError(_("Write a question first."), code="question.empty")
    if len(text) > QUESTION_MAX_LENGTH:
        raise DomainError(
            _("A question has at most %(n)d characters.") % {"n": QUESTION_MAX_LENGTH},
            code="question.too_long",
        )
    return text


def session_speaker(*, session: Session, speaker_id: int | None) -> Speaker | None:
    """The speaker a question is addressed to: None (everyone) for None, else one of the
    session's speakers (one query), or a DomainError about the field `addressed_to`."""
    if speaker_id is None:
        return None
    speaker = session.speakers.filter(pk=speaker_id).first()
    if speaker is None:
        raise DomainError(
            _("Choose one of this session's speakers, or everyone."),
            code="question.addressed_to_invalid",
            field="addressed_to",
        )
    return speaker


def question_submit(
    *,
    session: Session,
    participant: Participant,
    text: str,
    author_name: str = "",
    anonymous: bool = False,
    client_id: str | None = None,
    addressed_to: int | None = None,
) -> tuple[Question, bool]:
    """Ask a question. Returns (question, created). The same client_id from the same
    participant returns the first question, even when the retries race each other.
    `addressed_to`: the id of one of the session's speakers, or None for everyone."""
    if participant.event_id != session.event_id:
        raise DomainError(
            _("This identity belongs to another event."), code="participant.wrong_event"
        )
    if client_id:
        existing = (
            Question.objects.select_related("addressed_to")
            .filter(participant=participant, client_id=client_id)
            .first()
        )
        if existing is not None:
            return existing, False
    if not session.qa_open or session.status == SessionStatus.ENDED:
        raise DomainError(_("Questions are closed for this session."), code="qa.closed", status=409)
    text = validate_question_text(text)
    author_name = (
        "" if anonymous else clean_text(author_name or participant.display_name, multiline=False)
    )
    if len(author_name) > AUTHOR_NAME_MAX_LENGTH:
        raise DomainError(_("The name is too long."), code="question.author_too_long")
    speaker = session_speaker(session=session, speaker_id=addressed_to)
    status = QuestionStatus.APPROVED if session.moderation == "post" else QuestionStatus.PENDING
    screened = _screen(session=session, participant=participant, text=text)
    if screened.flags:
        status = QuestionStatus.PENDING  # held for a moderator, even under post-moderation
    try:
        with transaction.atomic():
            question = Question.objects.create(
                session=session,
                participant=participant,
                text=text,
                author_name=author_name,
                anonymous=anonymous,
                status=status,
                client_id=client_id or None,
                addressed_to=speaker,
                language=detect_language(text),  # issue 14: both languages
                flags=screened.flags,
                signature=screened.signature,
                similar_to=screened.similar_to,
            )
            QuestionKey.objects.bulk_create(
                QuestionKey(question=question, key=k) for k in screened.keys
            )
            broadcast.question_changed(question, before=None)
            suggest_translation_on_commit(question)  # issue 14: after commit, off the request
    except IntegrityError:
        # A concurrent retry with the same client_id won the race.
        if client_id:
            existing = (
                Question.objects.select_related("addressed_to")
                .filter(participant=participant, client_id=client_id)
                .first()
            )
            if existing is not None:
                return existing, False
        raise
    return question, True


# ---- screening and duplicates (issue 14), at submit ----------------------------------------


@dataclass(frozen=True)
class Screened:
    flags: dict  # why the question is held: {"words": [...]} and/or {"muted": True}; {} if not
    signature: str
    similar_to: list[int]
    keys: list[str]  # how later questions find this one (QuestionKey)


def _screen(*, session: Session, participant: Participant, text: str) -> Screened:
    """What `question_submit` stores besides the question itself: the listed words it contains
    (qa/screening.py), whether its author is muted (read now, not from the phone's cached
    identity), and the questions of the session it repeats (qa/similarity.py). Three indexed
    queries, whatever the session holds; `question_submit` stores the keys with the question."""
    flags: dict = {}
    words = screening_matcher(event_id=session.event_id).find(text)
    if words:
        flags["words"] = words
    # The socket's identity was read when the phone identified: refresh what may have changed.
    participant.muted_at = (
        Participant.objects.filter(pk=participant.pk).values_list("muted_at", flat=True).first()
    )
    if participant.muted_at is not None:
        flags["muted"] = True
    signature = similarity.signature(text)
    keys = similarity.index_keys(session.pk, signature)
    similar = similarity.most_similar(signature, similarity_candidates(keys=keys))
    return Screened(flags, signature, similar, keys)


# ---- muting a participant -------------------------------------------------------------------


def _mute(*, question_id: int, actor, muted: bool) -> Question:
    """Mute (or unmute) the author of a question, for the whole event. Questions asked while
    muted stay held and cannot be approved while the author is muted; unmuting releases
    nothing by itself. Side effects: `Participant.muted_at`; a ModerationAction `mute` or
    `unmute` on that question (detail: the participant); after commit `question.updated` on the
    moderation streams for each of the author's questions in the event (their cards show the
    new state; nothing public changes). Muting a muted author changes nothing."""
    action = QuestionAction.MUTE if muted else QuestionAction.UNMUTE
    with transaction.atomic():
        question = (
            Question.objects.select_related("session", "participant").filter(pk=question_id).first()
        )
        if question is None:
            raise DomainError(_("No such question."), code="question.not_found", status=404)
        participant = question.participant
        if participant is None:
            raise DomainError(
                _("The author of this question is no longer known."),
                code="question.author_unknown",
                status=409,
            )
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if (participant.muted_at is not None) == muted:
            question.participant = participant
            return question
        participant.muted_at = timezone.now() if muted else None
        participant.save(update_fields=["muted_at"])
        question.participant = participant
        record = _record(
            question,
            actor=actor,
            action=action,
            before=question.status,
            detail={"participant": participant.pk},
        )
        broadcast.author_changed(participant=participant, question=question, last_action=record)
    return question


def participant_mute(*, question_id: int, actor) -> Question:
    return _mute(question_id=question_id, actor=actor, muted=True)


def participant_unmute(*, question_id: int, actor) -> Question:
    return _mute(question_id=question_id, actor=actor, muted=False)


# ---- moderation -----------------------------------------------------------------------------


def _lock(question_ids: list[int]) -> dict[int, Question]:
    """Lock the questions for a change, with what the change may move as well: first their
    sessions' rows, then in id order the questions and their sessions' pinned and queued
    ones (pinning unpins another; a question leaving the stage queue moves the ones behind
    it). One order for every change: two moderators wait for each other on the session, and
    a round of votes (which locks question rows in id order, `votes_apply`) never deadlocks
    with a change. Returns the questions asked for that exist, by id."""
    sessions = Question.objects.filter(pk__in=question_ids).values("session_id")
    list(Session.objects.select_for_update().filter(pk__in=sessions).order_by("pk").values("pk"))
    moved_too = Q(session_id__in=sessions) & (Q(pinned=True) | Q(queue_position__isnull=False))
    rows = (
        Question.objects.select_for_update(of=("self",))
        .select_related("session", "addressed_to", "participant")
        .filter(Q(pk__in=question_ids) | moved_too)
        .order_by("pk")
    )
    return {q.pk: q for q in rows if q.pk in question_ids}


def _locked(question_id: int) -> Question:
    question = _lock([question_id]).get(question_id)
    if question is None:
        raise DomainError(_("No such question."), code="question.not_found", status=404)
    return question


def _check_version(question: Question, version: int | None) -> None:
    if version is not None and version != question.version:
        raise VersionConflict(question)


def _record(question: Question, *, actor, action: str, before: str, detail: dict | None = None):
    return ModerationAction.objects.create(
        session_id=question.session_id,
        question=question,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_state=before,
        to_state=question.status,
        detail=detail or {},
    )


def _save(question: Question, fields: Iterable[str]) -> Question:
    question.version = F("version") + 1
    question.save(update_fields=[*fields, "version", "updated_at"])
    question.refresh_from_db(fields=["version", "updated_at"])
    return question


def _transition(*, question_id: int, action: str, actor, version: int | None) -> Question:
    with transaction.atomic():
        question = _locked(question_id)
        _check_version(question, version)
        before = question.status
        question.status = next_status(action, before)
        if question.status in PUBLIC_STATUSES and question.flags.get("muted"):
            _check_author_unmuted(question)
        fields = ["status"]
        if question.pinned and question.status != QuestionStatus.APPROVED:
            question.pinned = False
            fields.append("pinned")
        if question.status == QuestionStatus.ANSWERED:
            question.answered_at = timezone.now()
            fields.append("answered_at")
        moved = []
        if question.queue_position is not None and question.status not in QUEUE_STATUSES:
            moved = _leave_queue(question)
            fields.append("queue_position")
        _save(question, fields)
        record = _record(question, actor=actor, action=action, before=before)
        broadcast.question_changed(question, before=before, last_action=record)
        _announce_moved(moved)
    return question


def _check_author_unmuted(question: Question) -> None:
    """A question asked while its author was muted stays off the screens while they are."""
    if Participant.objects.filter(pk=question.participant_id, muted_at__isnull=False).exists():
        raise Conflict(
            _("Its author is muted: unmute them first to show this question."),
            code="question.author_muted",
        )


def question_approve(*, question_id: int, actor, version: int | None = None) -> Question:
    return _transition(
        question_id=question_id, action=QuestionAction.APPROVE, actor=actor, version=version
    )


def question_reject(*, question_id: int, actor, version: int | None = None) -> Question:
    return _transition(
        question_id=question_id, action=QuestionAction.REJECT, actor=actor, version=version
    )


def question_answer(*, question_id: int, actor, version: int | None = None) -> Question:
    return _transition(
        question_id=question_id, action=QuestionAction.ANSWER, actor=actor, version=version
    )


def question_archive(*, question_id: int, actor, version: int | None = None) -> Question:
    return _transition(
        question_id=question_id, action=QuestionAction.ARCHIVE, actor=actor, version=version
    )


def question_restore(*, question_id: int, actor, version: int | None = None) -> Question:
    return _transition(
        question_id=question_id, action=QuestionAction.RESTORE, actor=actor, version=version
    )


def question_pin(*, question_id: int, actor, version: int | None = None) -> Question:
    """Pin a question to the hall screen; the question pinned before it is unpinned."""
    with transaction.atomic():
        question = _locked(question_id)
        _check_version(question, version)
        next_status(QuestionAction.PIN, question.status)
        if question.pinned:
            return question
        previous = list(
            Question.objects.select_for_update(of=("self",))
            .select_related("participant")
            .filter(session_id=question.session_id, pinned=True)
        )
        for other in previous:
            other.pinned = False
            _save(other, ["pinned"])
            record = _record(other, actor=actor, action=QuestionAction.UNPIN, before=other.status)
            broadcast.question_changed(other, before=other.status, last_action=record)
        question.pinned = True
        moved = _leave_queue(question)  # on stage now: no longer waiting for it
        _save(question, ["pinned", "queue_position"])
        record = _record(question, actor=actor, action=QuestionAction.PIN, before=question.status)
        broadcast.question_changed(question, before=question.status, last_action=record)
        _announce_moved(moved)
    return question


def question_unpin(*, question_id: int, actor, version: int | None = None) -> Question:
    with transaction.atomic():
        question = _locked(question_id)
        _check_version(question, version)
        next_status(QuestionAction.UNPIN, question.status)
        if not question.pinned:
            return question
        question.pinned = False
        _save(question, ["pinned"])
        record = _record(question, actor=actor, action=QuestionAction.UNPIN, before=question.status)
        broadcast.question_changed(question, before=question.status, last_action=record)
    return question


# `question_edit(addressed_to=KEEP)`: the speaker the question is for stays as it is.
KEEP = object()


def question_edit(
    *,
    question_id: int,
    actor,
    text: str | None = None,
    addressed_to: int | object | None = KEEP,
    version: int | None = None,
) -> Question:
    """A moderator rewords a question (`text`; None keeps it), the participant's original words
    kept, and/or changes the speaker it is for (`addressed_to`: a speaker of its session, None
    for everyone, KEEP to leave it). Nothing changed: no version bump, no audit row.

    Side effects: the version bumped; a ModerationAction `edit` whose detail holds what changed
    (`old_text`/`new_text`, `addressed_to` {from, to} as the representation's {id, name} or
    null); after commit `question.updated` on every stream that shows the question. A new text
    also empties `translation_suggestion`, marks a moderator's translation `translation_stale`
    (until `question_translate` saves it again) and asks the translation server again after
    commit (when one is configured)."""
    if text is not None:
        text = validate_question_text(text)
    with transaction.atomic():
        question = _locked(question_id)
        _check_version(question, version)
        next_status(QuestionAction.EDIT, question.status)
        fields, detail = [], {}
        if text is not None and text != question.text:
            detail.update(old_text=question.text, new_text=text)
            if not question.original_text:
                question.original_text = question.text
            question.text = text
            fields += ["text", "original_text"]
            # The translation and the suggestion describe the old words (issue 14): the
            # suggestion goes (a new one is asked after commit); a moderator's translation stays
            # on the screens but is marked as possibly out of date until it is saved again.
            question.translation_suggestion = ""
            question.translation_stale = bool(question.translation)
            fields += ["translation_suggestion", "translation_stale"]
        if addressed_to is not KEEP and addressed_to != question.addressed_to_id:
            speaker = session_speaker(session=question.session, speaker_id=addressed_to)
            old = addressed_to_data(question)
            question.addressed_to = speaker
            detail["addressed_to"] = {"from": old, "to": addressed_to_data(question)}
            fields.append("addressed_to")
        if not fields:
            return question
        _save(question, fields)
        record = _record(
            question,
            actor=actor,
            action=QuestionAction.EDIT,
            before=question.status,
            detail=detail,
        )
        broadcast.question_changed(question, before=question.status, last_action=record)
        if "text" in fields:
            suggest_translation_on_commit(question)
    return question


# ---- both languages (issue 14) ---------------------------------------------------------------


def translation_target(language: str) -> str:
    """The other language of the summit: a Vietnamese question is translated into English,
    an English one (or one in another language) into Vietnamese."""
    return (
        QuestionLanguage.ENGLISH
        if language == QuestionLanguage.VIETNAMESE
        else QuestionLanguage.VIETNAMESE
    )


def question_translate(
    *, question_id: int, actor, translation: str, version: int | None = None
) -> Question:
    """A moderator gives a question its translation into the other language (empty: none).

    Side effects, like an edit: the version bumped, a ModerationAction `translate` (detail:
    the translation before and after), after commit `question.updated` on every stream that
    shows the question. Saving the same words again counts when the translation was marked
    out of date by an edit of the text: it confirms them and clears the mark."""
    text = clean_text(translation)
    if len(text) > TRANSLATION_MAX_LENGTH:
        raise DomainError(
            _("A translation has at most %(n)d characters.") % {"n": TRANSLATION_MAX_LENGTH},
            code="question.translation_too_long",
        )
    with transaction.atomic():
        question = _locked(question_id)
        _check_version(question, version)
        next_status(QuestionAction.TRANSLATE, question.status)
        # The same words again still count when they were marked out of date: the moderator
        # has read them against the new text and confirms them.
        if text == question.translation and not question.translation_stale:
            return question
        old = question.translation
        question.translation = text
        question.translation_language = translation_target(question.language) if text else ""
        question.translation_stale = False
        _save(question, ["translation", "translation_language", "translation_stale"])
        record = _record(
            question,
            actor=actor,
            action=QuestionAction.TRANSLATE,
            before=question.status,
            detail={
                "old_translation": old,
                "new_translation": text,
                "language": question.translation_language,
            },
        )
        broadcast.question_changed(question, before=question.status, last_action=record)
    return question


def suggest_translation_on_commit(question: Question) -> None:
    """After commit, in the translation pool (qa/translation.py): ask the translation server
    for the question's text in the other language and keep the answer as the question's
    suggestion. Nothing when no server is configured or the language is neither vi nor en."""
    if not translation.enabled() or question.language not in ("vi", "en"):
        return
    question_id, text, source = question.pk, question.text, question.language
    target = translation_target(source)

    def ask() -> None:
        try:
            suggestion = translation.translate(text, source=source, target=target)
        except translation.TranslationError as error:
            log.warning("no translation suggestion for question %s: %s", question_id, error)
            return
        question_suggestion_set(question_id=question_id, text=text, suggestion=suggestion)

    translation.run_after_commit(ask)


def question_suggestion_set(*, question_id: int, text: str, suggestion: str) -> Question | None:
    """Keep a machine suggestion for the translation of a question whose text is still `text`
    (a moderator may have reworded it meanwhile: then the suggestion is stale and dropped).

    Not a moderator's change: no version bump (a moderator editing meanwhile is not refused
    for it) and no audit row. After commit `question.updated` on the moderation stream only:
    suggestions are for moderators."""
    suggestion = suggestion[:TRANSLATION_MAX_LENGTH]
    with transaction.atomic():
        question = (
            Question.objects.select_for_update(of=("self",))
            .select_related("session")
            .filter(pk=question_id)
            .first()
        )
        if question is None or question.text != text:
            return None
        question.translation_suggestion = suggestion
        question.save(update_fields=["translation_suggestion"])
        broadcast.moderation_changed(question)
    return question


def question_merge(
    *, question_id: int, into_id: int, actor, version: int | None = None
) -> Question:
    """Fold a duplicate into another question of the same session: the duplicate leaves the
    public view, its votes move to the target, and nobody's vote counts twice."""
    if question_id == into_id:
        raise DomainError(_("A question cannot be merged into itself."), code="question.merge_self")
    with transaction.atomic():
        # Both rows (and what moves with them) in one order (`_lock`), so two opposite
        # merges cannot deadlock.
        locked = _lock([question_id, into_id])
        if question_id not in locked or into_id not in locked:
            raise DomainError(_("No such question."), code="question.not_found", status=404)
        question, target = locked[question_id], locked[into_id]
        if question.session_id != target.session_id:
            raise DomainError(
                _("Both questions must be in the same session."),
                code="question.merge_other_session",
            )
        if target.status in (QuestionStatus.REJECTED, QuestionStatus.ARCHIVED):
            raise DomainError(
                _("Merge into a question that is still open."),
                code="question.merge_target_closed",
                status=409,
            )
        _check_version(question, version)
        before = question.status
        question.status = next_status(QuestionAction.MERGE, before)
        question.pinned = False
        question.merged_into = target
        already = Vote.objects.filter(question=target).values_list("participant_id", flat=True)
        Vote.objects.filter(question=question).exclude(participant_id__in=already).update(
            question=target
        )
        Vote.objects.filter(question=question).delete()
        question.vote_count = 0
        moved = _leave_queue(question)
        _save(question, ["status", "pinned", "merged_into", "vote_count", "queue_position"])
        target.vote_count = Vote.objects.filter(question=target).count()
        target.save(update_fields=["vote_count", "updated_at"])
        record = _record(
            question,
            actor=actor,
            action=QuestionAction.MERGE,
            before=before,
            detail={"into": target.pk},
        )
        broadcast.question_changed(question, before=before, last_action=record)
        _announce_moved(moved)
        broadcast.votes_changed(session_id=target.session_id, question_id=target.pk)
    return question


# ---- the stage queue ----------------------------------------------------------------------------
# What the speaker takes after the pinned question, in the moderator's order (the stage screen
# shows it). Places are 1..n within a session, without gaps; a question leaves the queue when
# it is pinned, answered, rejected, archived or merged (in that change's transaction).


def _queue_of(question: Question) -> list[Question]:
    """The other questions waiting in the question's session's queue, in order (locked
    already, with the session's row, by `_lock`)."""
    return list(
        Question.objects.select_for_update(of=("self",))
        .select_related("session", "addressed_to", "participant")
        .filter(session_id=question.session_id, queue_position__isnull=False)
        .exclude(pk=question.pk)
        .order_by("queue_position", "id")
    )


def _number(queue: list[Question], *, skip: Question | None = None) -> list[Question]:
    """Give the questions of `queue` the places 1..n in that order; each whose place changes is
    saved (version bumped). Returns those, to announce after the change itself."""
    moved = []
    for place, other in enumerate(queue, start=1):
        if other is not skip and other.queue_position != place:
            other.queue_position = place
            _save(other, ["queue_position"])
            moved.append(other)
    return moved


def _leave_queue(question: Question) -> list[Question]:
    """Take the question out of its queue, if it waits there (the caller saves its
    `queue_position`); the ones behind it close up. Returns the ones that moved."""
    if question.queue_position is None:
        return []
    question.queue_position = None
    return _number(_queue_of(question))


def _announce_moved(moved: list[Question]) -> None:
    """question.updated for each question whose place changed as a side effect."""
    if not moved:
        return
    actions = last_actions(session_id=moved[0].session_id)
    for other in moved:
        broadcast.question_changed(other, before=other.status, last_action=actions.get(other.pk))


def question_queue(
    *, question_id: int, actor, position: int | None = None, version: int | None = None
) -> Question:
    """Queue an approved, unpinned question for the stage: at the end (`position` None), or at
    the 1-based `position` (past the end: the end), the others shifting to keep 1..n. A question
    already queued moves to `position` (with None it stays where it is).

    Side effects: its version bumped, and that of every question whose place changed; a
    ModerationAction `queue` (detail: its place before and after); after commit
    `question.updated` for each of them on every stream that shows them."""
    if position is not None and position < 1:
        raise DomainError(_("Places in the queue start at 1."), code="question.queue_position")
    with transaction.atomic():
        question = _locked(question_id)
        _check_version(question, version)
        if question.status not in QUEUE_STATUSES:
            raise IllegalTransition(
                _("Only questions on screen can be queued for the stage."),
                code="question.cannot_queue",
            )
        if question.pinned:
            raise DomainError(
                _("The pinned question is on stage already: it cannot be queued."),
                code="question.queue_pinned",
                status=409,
            )
        queue = _queue_of(question)
        if position is None and question.queue_position is not None:
            return question
        place = len(queue) + 1 if position is None else min(position, len(queue) + 1)
        if place == question.queue_position:
            return question
        before = question.queue_position
        queue.insert(place - 1, question)
        moved = _number(queue, skip=question)
        question.queue_position = place
        _save(question, ["queue_position"])
        record = _record(
            question,
            actor=actor,
            action=QuestionAction.QUEUE,
            before=question.status,
            detail={"from": before, "to": place},
        )
        broadcast.question_changed(question, before=question.status, last_action=record)
        _announce_moved(moved)
    return question


def question_unqueue(*, question_id: int, actor, version: int | None = None) -> Question:
    """Take a question out of the stage queue; the ones behind it close up. Not queued: no
    change. Side effects as `question_queue` (ModerationAction `unqueue`, detail: its place)."""
    with transaction.atomic():
        question = _locked(question_id)
        _check_version(question, version)
        if question.queue_position is None:
            return question
        before = question.queue_position
        moved = _leave_queue(question)
        _save(question, ["queue_position"])
        record = _record(
            question,
            actor=actor,
            action=QuestionAction.UNQUEUE,
            before=question.status,
            detail={"from": before},
        )
        broadcast.question_changed(question, before=question.status, last_action=record)
        _announce_moved(moved)
    return question


BULK_FUNCTIONS = {
    QuestionAction.APPROVE: question_approve,
    QuestionAction.REJECT: question_reject,
    QuestionAction.ANSWER: question_answer,
    QuestionAction.ARCHIVE: question_archive,
    QuestionAction.RESTORE: question_restore,
}


def question_bulk(*, session_id: int, action: str, ids: list[int], actor) -> list[Question]:
    """Apply one action to many questions of one session: all of them, or none."""
    if action not in BULK_FUNCTIONS:
        raise DomainError(_("This action cannot be applied in bulk."), code="bulk.invalid_action")
    ids = list(dict.fromkeys(ids))
    with transaction.atomic():
        found = set(
            Question.objects.filter(session_id=session_id, pk__in=ids).values_list("pk", flat=True)
        )
        missing = [i for i in ids if i not in found]
        if missing:
            raise DomainError(
                _("Not questions of this session: %(ids)s") % {"ids": ", ".join(map(str, missing))},
                code="bulk.unknown_questions",
                status=404,
            )
        return [BULK_FUNCTIONS[action](question_id=i, actor=actor) for i in ids]


# ---- votes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteChange:
    """One phone's vote (voted=True) or its withdrawal (voted=False) on one question."""

    participant_id: int
    event_id: int  # the participant's event: a question of another event is not found
    question_id: int
    voted: bool


def votes_apply(changes: list[VoteChange]) -> list[int | DomainError]:
    """Apply many votes in one transaction; per change, in order, the question's tally after
    the transaction, or the DomainError that refused it (the others still apply).

    The socket path collects whatever phones send while the previous transaction runs
    (live/realtime/batch.py), so a hall voting at once costs a few transactions a second
    instead of one per vote. Casting twice is one vote; the last change of a participant on a
    question wins. Tallies are recounted from the vote rows, with the question rows locked
    (in id order, like question_merge), so concurrent writers cannot lose an update."""
    ids = sorted({c.question_id for c in changes})
    results: list[int | DomainError | None] = []
    wanted: dict[tuple[int, int], bool] = {}
    with transaction.atomic():
        questions = {
            q.pk: q
            for q in Question.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("session")
            .only("id", "status", "session_id", "session__event_id")
            .order_by("pk")
        }
        # A phone identified earlier may be gone since (its event deleted): refuse its vote
        # rather than fail the round for every phone in it.
        known = set(
            Participant.objects.filter(pk__in={c.participant_id for c in changes}).values_list(
                "pk", flat=True
            )
        )
        for change in changes:
            refusal = _vote_refusal(change, questions.get(change.question_id), known)
            if refusal is None:
                wanted[(change.participant_id, change.question_id)] = change.voted
            results.append(refusal)
        if not wanted:
            return results  # type: ignore[return-value]
        Vote.objects.bulk_create(
            [Vote(participant_id=p, question_id=q) for (p, q), voted in wanted.items() if voted],
            ignore_conflicts=True,
        )
        withdrawn = [
            Q(participant_id=p, question_id=q) for (p, q), voted in wanted.items() if not voted
        ]
        if withdrawn:
            Vote.objects.filter(reduce(operator.or_, withdrawn)).delete()
        touched = sorted({q for _, q in wanted})
        counted = (
            Vote.objects.filter(question_id=OuterRef("pk"))
            .order_by()
            .values("question_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        Question.objects.filter(pk__in=touched).update(vote_count=Coalesce(Subquery(counted), 0))
        tallies = dict(Question.objects.filter(pk__in=touched).values_list("pk", "vote_count"))
        for question_id in touched:
            broadcast.votes_changed(
                session_id=questions[question_id].session_id, question_id=question_id
            )
    return [
        tallies[c.question_id] if r is None else r for c, r in zip(changes, results, strict=True)
    ]


def _vote_refusal(change: VoteChange, question: Question | None, known: set[int]):
    """Why this vote cannot be applied (a DomainError), or None."""
    if change.participant_id not in known:
        return DomainError(
            _("This phone's identity is unknown; join the event again."),
            code="participant.unknown",
            status=401,
        )
    if question is None or question.session.event_id != change.event_id:
        return DomainError(_("No such question."), code="question.not_found", status=404)
    if question.status not in PUBLIC_STATUSES:
        return DomainError(
            _("Only questions on screen can be voted on."), code="vote.not_public", status=409
        )
    return None


def _vote(*, question_id: int, participant: Participant, voted: bool) -> int:
    change = VoteChange(participant.pk, participant.event_id, question_id, voted)
    (result,) = votes_apply([change])
    if isinstance(result, DomainError):
        raise result
    return result


def vote_cast(*, question_id: int, participant: Participant) -> int:
    """One vote per participant and question; casting again changes nothing. Returns the tally."""
    return _vote(question_id=question_id, participant=participant, voted=True)


def vote_withdraw(*, question_id: int, participant: Participant) -> int:
    return _vote(question_id=question_id, participant=participant, voted=False)


# ---- the session's audit row (a session change hook of live, QaConfig.ready) --------------------------------------------


def audit_session_change(*, session: Session, actor, changes: dict) -> None:
    ModerationAction.objects.create(
        session=session,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=QuestionAction.SESSION,
        from_state=str(changes.get("status", ("", ""))[0]),
        to_state=str(changes.get("status", ("", ""))[1]),
        detail={
            field: {"from": _audit_value(old), "to": _audit_value(new)}
            for field, (old, new) in changes.items()
        },
    )


def _audit_value(value):
    """Times as ISO 8601 in UTC (as the streams send them), dates as ISO 8601."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# ---- privacy ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anonymised:
    questions: int
    participants: int


def event_anonymise(*, event_id: int, actor) -> Anonymised:
    """Forget the attendees' names of an event: every question's author name blanked and its
    participant unlinked, every participant's display name blanked. Texts, votes, counts and
    the audit trail stay. Side effects: `Event.anonymised_at`; one audit row per session; after
    commit every stream of the event starts over (its history held the names) and each
    connected screen takes a fresh snapshot. Running it again changes nothing new."""
    from live.broadcast import restart_streams_on_commit
    from live.selectors import sessions_with_people

    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event_id)
        questions = Question.objects.filter(session__event_id=event_id).filter(
            ~Q(author_name="") | Q(participant__isnull=False)
        )
        question_count = questions.update(author_name="", participant=None)
        participant_count = (
            Participant.objects.filter(event_id=event_id)
            .exclude(display_name="")
            .update(display_name="")
        )
        event.anonymised_at = timezone.now()
        event.save(update_fields=["anonymised_at"])
        sessions = list(sessions_with_people().filter(event_id=event_id).order_by("pk"))
        ModerationAction.objects.bulk_create(
            ModerationAction(
                session=session,
                actor=actor,
                action=QuestionAction.SESSION,
                detail={"anonymised": {"questions": question_count}},
            )
            for session in sessions
        )
        restart_streams_on_commit(sessions=sessions, halls=list(event.halls.all()))
    return Anonymised(questions=question_count, participants=participant_count)


def events_due_for_anonymising(*, after_days: int, today: datetime.date | None = None):
    """Events that ended more than `after_days` days ago and still hold names."""
    today = today or timezone.localdate()
    return Event.objects.filter(
        anonymised_at__isnull=True, ends_on__lt=today - datetime.timedelta(days=after_days)
    ).order_by("ends_on", "pk")


# ---- rehearsal ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionReset:
    questions: int
    votes: int
    ballots: int


def session_reset(*, session_id: int, actor) -> SessionReset:
    """After the rehearsal: remove every question and vote of a session (their moderation
    rows go with them) and every ballot of its polls, refused while the session is live, in
    Q&A or on break. The polls stay (an organiser prepared their text and options) but start
    again as drafts: results hidden, off the hall screen, never opened or closed, their
    version bumped (a console holding the old one gets a 409). Side effects: an audit row for
    the reset itself, the session's version bumped, and after commit every stream showing the
    session starts over (a new epoch, a fresh snapshot on each screen)."""
    from live.broadcast import restart_streams_on_commit
    from live.selectors import sessions_with_people

    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session_id)
        if session.is_active:
            raise Conflict(
                _("A session cannot be reset while it is running: end it or set it back first."),
                code="session.reset_while_running",
            )
        # The polls' rows in id order, as a round of ballots locks them: a round in flight
        # commits first (its ballots are removed below) or then finds a draft and is refused.
        polls = Poll.objects.filter(session_id=session_id)
        list(polls.select_for_update().order_by("pk").values("pk"))
        questions = Question.objects.filter(session_id=session_id)
        ballots = Ballot.objects.filter(poll__session_id=session_id)
        counts = SessionReset(
            questions=questions.count(),
            votes=Vote.objects.filter(question__session_id=session_id).count(),
            ballots=ballots.count(),
        )
        Question.objects.filter(session_id=session_id, merged_into__isnull=False).update(
            merged_into=None
        )
        questions.delete()
        BallotChoice.objects.filter(poll__session_id=session_id).delete()
        ballots.delete()
        polls.update(
            state=PollState.DRAFT,
            results_shown=False,
            on_screen=False,
            opened_at=None,
            closed_at=None,
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        Session.objects.filter(pk=session_id).update(version=F("version") + 1)
        session = sessions_with_people().get(pk=session_id)
        ModerationAction.objects.create(
            session=session,
            actor=actor,
            action=QuestionAction.SESSION,
            detail={
                "reset": {
                    "questions": counts.questions,
                    "votes": counts.votes,
                    "ballots": counts.ballots,
                }
            },
        )
        # The session's own streams; its hall's displays only if they show it now.
        hall = session.hall
        shows_it = broadcast.display_streams_showing(session) != []
        restart_streams_on_commit(sessions=[session], halls=[hall] if shows_it else [])
    return counts


# ---- polls --------------------------------------------------------------------------------------
# A moderator's change: the session row locked first, then the poll (and the poll on screen, if
# another one goes up), the move checked against qa/enums.POLL_TRANSITIONS, the version checked,
# update_fields, a PollAuditEntry in the same transaction, the messages after commit. A round of
# ballots locks only poll rows (in id order), so it never waits on a session.


class PollVersionConflict(Conflict):
    """Carries the current poll so the console can show what changed."""

    code = "poll.version_conflict"
    default_message = _("Another moderator changed this poll first.")

    def __init__(self, poll: Poll):
        super().__init__()
        self.poll = poll


@dataclass(frozen=True)
class PollOptionText:
    text_vi: str
    text_en: str = ""


def _poll_text(value: str, *, code: str, max_length: int, required: bool) -> str:
    value = clean_text(value or "", multiline=False)
    if required and not value:
        raise DomainError(_("Write the text in Vietnamese."), code=f"{code}_empty")
    if len(value) > max_length:
        raise DomainError(
            _("At most %(n)d characters.") % {"n": max_length}, code=f"{code}_too_long"
        )
    return value


def _poll_options(options: list[PollOptionText]) -> list[PollOptionText]:
    if not POLL_OPTIONS_MIN <= len(options) <= POLL_OPTIONS_MAX:
        raise DomainError(
            _("A poll has %(min)d to %(max)d options.")
            % {"min": POLL_OPTIONS_MIN, "max": POLL_OPTIONS_MAX},
            code="poll.option_count",
        )
    return [
        PollOptionText(
            _poll_text(
                o.text_vi, code="poll.option", max_length=POLL_OPTION_MAX_LENGTH, required=True
            ),
            _poll_text(
                o.text_en, code="poll.option", max_length=POLL_OPTION_MAX_LENGTH, required=False
            ),
        )
        for o in options
    ]


def _poll_choices(kind: str, max_choices: int | None, option_count: int) -> int:
    """How many options a ballot may hold: 1 for a single choice; 2 up to the number of
    options for a multiple choice (all of them when not given)."""
    if kind == PollKind.SINGLE:
        if max_choices not in (None, 1):
            raise DomainError(
                _("A single choice poll takes one option per ballot."),
                code="poll.max_choices",
            )
        return 1
    if max_choices is None:
        return option_count
    if not 2 <= max_choices <= option_count:
        raise DomainError(
            _("A multiple choice poll allows 2 to %(n)d choices.") % {"n": option_count},
            code="poll.max_choices",
        )
    return max_choices


def _poll_record(poll: Poll, *, actor, action: str, before: str, detail: dict | None = None):
    return PollAuditEntry.objects.create(
        session_id=poll.session_id,
        poll=poll if poll.pk else None,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_state=before,
        to_state=poll.state,
        detail=detail or {},
    )


def _poll_locked(poll_id: int, *, version: int | None) -> Poll:
    """The poll locked for a moderator's change, after its session's row."""
    session_id = Poll.objects.filter(pk=poll_id).values_list("session_id", flat=True).first()
    if session_id is None:
        raise DomainError(_("No such poll."), code="poll.not_found", status=404)
    list(Session.objects.select_for_update().filter(pk=session_id).values("pk"))
    poll = Poll.objects.select_for_update(of=("self",)).select_related("session").get(pk=poll_id)
    if version is not None and version != poll.version:
        raise PollVersionConflict(poll)
    return poll


def _poll_save(poll: Poll, fields: Iterable[str]) -> Poll:
    poll.version = F("version") + 1
    poll.save(update_fields=[*fields, "version", "updated_at"])
    poll.refresh_from_db(fields=["version", "updated_at"])
    return poll


def _poll_set_options(poll: Poll, options: list[PollOptionText]) -> None:
    poll.options.all().delete()
    PollOption.objects.bulk_create(
        PollOption(poll=poll, position=i, text_vi=o.text_vi, text_en=o.text_en)
        for i, o in enumerate(options, start=1)
    )


def poll_create(
    *,
    session: Session,
    actor,
    question_vi: str,
    question_en: str = "",
    kind: str = PollKind.SINGLE,
    max_choices: int | None = None,
    options: list[PollOptionText],
) -> Poll:
    """A draft poll of a session, with its options in this order. Side effects: a
    PollAuditEntry `create`; after commit `poll.created` on the moderation stream."""
    question_vi = _poll_text(
        question_vi, code="poll.question", max_length=POLL_QUESTION_MAX_LENGTH, required=True
    )
    question_en = _poll_text(
        question_en, code="poll.question", max_length=POLL_QUESTION_MAX_LENGTH, required=False
    )
    options = _poll_options(options)
    max_choices = _poll_choices(kind, max_choices, len(options))
    with transaction.atomic():
        poll = Poll.objects.create(
            session=session,
            question_vi=question_vi,
            question_en=question_en,
            kind=kind,
            max_choices=max_choices,
        )
        _poll_set_options(poll, options)
        _poll_record(poll, actor=actor, action=PollAction.CREATE, before="")
        broadcast.poll_changed(poll, created=True)
    return poll


def poll_edit(
    *,
    poll_id: int,
    actor,
    version: int | None = None,
    question_vi: str | None = None,
    question_en: str | None = None,
    kind: str | None = None,
    max_choices: int | None = None,
    options: list[PollOptionText] | None = None,
) -> Poll:
    """Change a draft: the fields given (the options, when given, replace all of them). Side
    effects: the version bumped; a PollAuditEntry `edit` naming the fields; after commit
    `poll.updated` on the moderation stream."""
    with transaction.atomic():
        poll = _poll_locked(poll_id, version=version)
        next_poll_state(PollAction.EDIT, poll.state)
        changed: list[str] = []
        if question_vi is not None:
            poll.question_vi = _poll_text(
                question_vi,
                code="poll.question",
                max_length=POLL_QUESTION_MAX_LENGTH,
                required=True,
            )
            changed.append("question_vi")
        if question_en is not None:
            poll.question_en = _poll_text(
                question_en,
                code="poll.question",
                max_length=POLL_QUESTION_MAX_LENGTH,
                required=False,
            )
            changed.append("question_en")
        if options is not None:
            options = _poll_options(options)
        option_count = len(options) if options is not None else poll.options.count()
        if kind is not None or max_choices is not None or options is not None:
            poll.kind = kind or poll.kind
            if max_choices is None and poll.kind == PollKind.MULTIPLE:
                # Kept if it still fits the options, else every option may be chosen.
                max_choices = poll.max_choices if 2 <= poll.max_choices <= option_count else None
            poll.max_choices = _poll_choices(poll.kind, max_choices, option_count)
            changed += ["kind", "max_choices"]
        if options is not None:
            _poll_set_options(poll, options)
            changed.append("options")
        if not changed:
            return poll
        _poll_save(poll, [f for f in changed if f != "options"])
        _poll_record(
            poll, actor=actor, action=PollAction.EDIT, before=poll.state, detail={"fields": changed}
        )
        broadcast.poll_changed(poll)
    return poll


def poll_delete(*, poll_id: int, actor, version: int | None = None) -> None:
    """Delete a draft (an opened poll has ballots: it stays). Side effects: a PollAuditEntry
    `delete` (with the question, the poll being gone); after commit `poll.removed` on the
    moderation stream."""
    with transaction.atomic():
        poll = _poll_locked(poll_id, version=version)
        next_poll_state(PollAction.DELETE, poll.state)
        pk, before = poll.pk, poll.state
        poll.delete()
        poll.pk = pk  # for the message
        PollAuditEntry.objects.create(
            session_id=poll.session_id,
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=PollAction.DELETE,
            from_state=before,
            to_state="",
            detail={"poll": pk, "question_vi": poll.question_vi},
        )
        broadcast.poll_changed(poll, removed=True)


def _poll_move(*, poll_id: int, actor, action: str, version: int | None) -> Poll:
    """open and close: the state moves; opening stamps opened_at, closing closed_at."""
    with transaction.atomic():
        poll = _poll_locked(poll_id, version=version)
        before = poll.state
        poll.state = next_poll_state(action, before)
        stamp = "opened_at" if poll.state == PollState.OPEN else "closed_at"
        setattr(poll, stamp, timezone.now())
        _poll_save(poll, ["state", stamp])
        _poll_record(poll, actor=actor, action=action, before=before)
        broadcast.poll_changed(poll)
    return poll


def poll_open(*, poll_id: int, actor, version: int | None = None) -> Poll:
    """Open a draft for ballots: the phones of the session see it from now on."""
    return _poll_move(poll_id=poll_id, actor=actor, action=PollAction.OPEN, version=version)


def poll_close(*, poll_id: int, actor, version: int | None = None) -> Poll:
    """No ballot counts after this; the ballots stay, and so does the poll on screen."""
    return _poll_move(poll_id=poll_id, actor=actor, action=PollAction.CLOSE, version=version)


def _poll_flag(*, poll_id: int, actor, action: str, field: str, value: bool, version) -> Poll:
    with transaction.atomic():
        poll = _poll_locked(poll_id, version=version)
        next_poll_state(action, poll.state)
        if getattr(poll, field) == value:
            return poll
        if field == "on_screen" and value:
            # One poll on the hall screen per session: the one up before comes down.
            for other in Poll.objects.select_for_update(of=("self",)).filter(
                session_id=poll.session_id, on_screen=True
            ):
                other.on_screen = False
                _poll_save(other, ["on_screen"])
                _poll_record(other, actor=actor, action=PollAction.HIDE, before=other.state)
                broadcast.poll_changed(other)
        setattr(poll, field, value)
        _poll_save(poll, [field])
        _poll_record(poll, actor=actor, action=action, before=poll.state)
        broadcast.poll_changed(poll)
    return poll


def poll_show_results(*, poll_id: int, actor, version: int | None = None) -> Poll:
    """The phones and the hall display see the votes of each option from now on."""
    return _poll_flag(
        poll_id=poll_id,
        actor=actor,
        action=PollAction.SHOW_RESULTS,
        field="results_shown",
        value=True,
        version=version,
    )


def poll_hide_results(*, poll_id: int, actor, version: int | None = None) -> Poll:
    return _poll_flag(
        poll_id=poll_id,
        actor=actor,
        action=PollAction.HIDE_RESULTS,
        field="results_shown",
        value=False,
        version=version,
    )


def poll_show(*, poll_id: int, actor, version: int | None = None) -> Poll:
    """Put the poll on the hall display (instead of the questions); the poll that was there
    comes down."""
    return _poll_flag(
        poll_id=poll_id,
        actor=actor,
        action=PollAction.SHOW,
        field="on_screen",
        value=True,
        version=version,
    )


def poll_hide(*, poll_id: int, actor, version: int | None = None) -> Poll:
    """Take the poll off the hall display: it shows the questions again."""
    return _poll_flag(
        poll_id=poll_id,
        actor=actor,
        action=PollAction.HIDE,
        field="on_screen",
        value=False,
        version=version,
    )


# ---- ballots ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BallotChange:
    """A phone's choice in a poll: the options it picks now (replacing any earlier ballot)."""

    participant_id: int
    event_id: int  # the participant's event: a poll of another event is not found
    poll_id: int
    options: tuple[int, ...]
    session_id: int | None = None  # over a socket: its session; a poll of another is not found


def ballots_apply(changes: list[BallotChange]) -> list[list[int] | DomainError]:
    """Store many ballots in one transaction; per change, in order, the option ids the ballot
    holds after the transaction (in the poll's order), or the DomainError that refused it (the
    others still apply).

    As votes_apply: the socket path hands it whatever phones send while the previous round
    runs. The polls' rows are locked (in id order) first, so a ballot cannot slip in after
    poll_close and two rounds writing one participant's ballot wait for each other; the last
    change of a participant in a poll wins. One ballot row per (poll, participant) and one
    choice row per (ballot, option) are unique constraints; the tallies are counted from these
    rows (`selectors.poll_tallies`), after commit, in the coalescing window."""
    ids = sorted({c.poll_id for c in changes})
    results: list[DomainError | None] = []
    wanted: dict[tuple[int, int], tuple[int, ...]] = {}
    with transaction.atomic():
        polls = {
            p.pk: p
            for p in Poll.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .select_related("session")
            .only("id", "state", "max_choices", "session_id", "session__event_id")
            .order_by("pk")
        }
        options = {
            pk: (poll_id, position)
            for pk, poll_id, position in PollOption.objects.filter(poll_id__in=list(polls))
            .order_by()
            .values_list("id", "poll_id", "position")
        }
        known = set(
            Participant.objects.filter(pk__in={c.participant_id for c in changes}).values_list(
                "pk", flat=True
            )
        )
        for change in changes:
            refusal = _ballot_refusal(change, polls.get(change.poll_id), options, known)
            if refusal is None:
                chosen = sorted(set(change.options), key=lambda pk: options[pk][1])
                wanted[(change.participant_id, change.poll_id)] = tuple(chosen)
            results.append(refusal)
        if not wanted:
            return results  # type: ignore[return-value]
        # One statement for new and changed ballots alike (INSERT ... ON CONFLICT DO UPDATE
        # ... RETURNING id), in participant order: it locks each ballot row, so two rounds
        # changing one phone's ballot (two sockets on two processes) wait for each other, and
        # always in the same order.
        rows = Ballot.objects.bulk_create(
            [Ballot(participant_id=p, poll_id=q) for p, q in sorted(wanted)],
            update_conflicts=True,
            unique_fields=["poll", "participant"],
            update_fields=["updated_at"],
        )
        ballots = {(b.participant_id, b.poll_id): b.pk for b in rows}
        BallotChoice.objects.filter(ballot_id__in=list(ballots.values())).delete()
        BallotChoice.objects.bulk_create(
            BallotChoice(ballot_id=ballots[key], poll_id=key[1], option_id=option)
            for key, chosen in wanted.items()
            for option in chosen
        )
        for poll_id in sorted({q for _, q in wanted}):
            broadcast.poll_results_changed(session_id=polls[poll_id].session_id, poll_id=poll_id)
    return [
        list(wanted[(c.participant_id, c.poll_id)]) if r is None else r
        for c, r in zip(changes, results, strict=True)
    ]


def _ballot_refusal(change: BallotChange, poll: Poll | None, options: dict, known: set[int]):
    """Why this ballot cannot be stored (a DomainError), or None."""
    if change.participant_id not in known:
        return DomainError(
            _("This phone's identity is unknown; join the event again."),
            code="participant.unknown",
            status=401,
        )
    if (
        poll is None
        or poll.session.event_id != change.event_id
        or (change.session_id is not None and poll.session_id != change.session_id)
        or poll.state == PollState.DRAFT
    ):
        return DomainError(_("No such poll."), code="poll.not_found", status=404)
    if poll.state != PollState.OPEN:
        return DomainError(_("This poll is closed."), code="poll.closed", status=409)
    if not change.options:
        return DomainError(_("Choose an option first."), code="poll.no_choice")
    if any(options.get(pk, (None,))[0] != poll.pk for pk in change.options):
        return DomainError(_("That is not an option of this poll."), code="poll.bad_option")
    if len(set(change.options)) > poll.max_choices:
        return DomainError(
            _("Choose at most %(n)d options.") % {"n": poll.max_choices},
            code="poll.too_many_choices",
        )
    return None


def ballot_cast(
    *, poll_id: int, participant: Participant, options: list[int], session_id: int | None = None
) -> list[int]:
    """A phone's ballot in a poll (its earlier one replaced). Returns the options it holds."""
    change = BallotChange(participant.pk, participant.event_id, poll_id, tuple(options), session_id)
    (result,) = ballots_apply([change])
    if isinstance(result, DomainError):
        raise result
    return result
